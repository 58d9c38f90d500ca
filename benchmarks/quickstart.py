#!/usr/bin/env python3
"""What a newcomer gets from the README's quick start: `charlstm train --minutes 5` on the bundled corpus with
every default, then `charlstm generate --length 500 --temperature 0.8`; records the steps, the validation loss,
the speed, the settings (the defaults, as the checkpoint states them) and the sample, from which the README's
quick-start figures are rendered (render_tables.py: `quickstart`, `quickstart-sample`).

    python3 benchmarks/quickstart.py --record            # 5 minutes, as the README says
    python3 benchmarks/quickstart.py --minutes 0.2       # a quick look; nothing recorded

Trains into a temporary folder (never into Checkpoints/), from the repository folder, exactly as the quick start
does otherwise. Run it on an idle machine: the budget is wall time. Takes 5½ minutes.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time

from results import REPO, record
from runs import DEFAULT_CHARLSTM, run_summary

SAMPLE_SEED = 1


def run_quickstart(charlstm: str, minutes: float, length: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        subprocess.run([charlstm, "train", "--minutes", str(minutes), "--out", folder], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)
        summary = run_summary(charlstm, folder, time.perf_counter() - start)
        sample = subprocess.run([charlstm, "generate", "--checkpoint", folder, "--length", str(length),
                                 "--temperature", "0.8", "--seed", str(SAMPLE_SEED)], cwd=REPO, check=True,
                                capture_output=True, text=True).stdout
    return {"minutes": minutes, **summary,
            "sample": {"seed": SAMPLE_SEED, "temperature": 0.8, "length": length, "text": sample}}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charlstm", default=DEFAULT_CHARLSTM)
    parser.add_argument("--minutes", type=float, default=5.0, help="the quick start's budget (README: 5)")
    parser.add_argument("--length", type=int, default=500, help="characters of the sample (README: 500)")
    parser.add_argument("--record", action="store_true", help="write benchmarks/results/quickstart-<machine>.json")
    args = parser.parse_args()
    if args.record and (args.minutes != 5.0 or args.length != 500):
        sys.exit("error: --record measures the README's quick start as written: --minutes 5 --length 500")
    results = run_quickstart(args.charlstm, args.minutes, args.length)
    print(json.dumps({k: v for k, v in results.items() if k != "sample"}, indent=1))
    print(results["sample"]["text"])
    if args.record:
        record("quickstart", results)


if __name__ == "__main__":
    main()
