#!/usr/bin/env python3
"""What a newcomer gets from the README's quick start: `charlstm train --minutes 5` on the bundled corpus with
every default, then `charlstm generate --length 500 --temperature 0.8`; records the steps, the validation loss,
the speed and the sample (README's quick-start figures are rendered from it).

    python3 benchmarks/quickstart.py --record            # 5 minutes, as the README says
    python3 benchmarks/quickstart.py --minutes 0.2       # a quick look; nothing recorded

Trains into a temporary folder (never into Checkpoints/), from the repository folder, exactly as the quick start
does otherwise. Run it on an idle machine: the budget is wall time.
"""

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import REPO, record

SAMPLE_SEED = 1


def run_quickstart(charlstm: str, minutes: float, length: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        subprocess.run([charlstm, "train", "--minutes", str(minutes), "--out", folder], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        info = json.loads(subprocess.run([charlstm, "info", folder, "--json"], cwd=REPO, check=True,
                                         capture_output=True, text=True).stdout)
        with open(Path(folder) / "metrics.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        sample = subprocess.run([charlstm, "generate", "--checkpoint", folder, "--length", str(length),
                                 "--temperature", "0.8", "--seed", str(SAMPLE_SEED)], cwd=REPO, check=True,
                                capture_output=True, text=True).stdout
    rates = [float(r["chars_per_sec"]) for r in rows if r.get("chars_per_sec")]
    return {
        "minutes": minutes,
        "process_seconds": round(seconds, 1),
        "steps": info["step"],
        "epochs": round(float(rows[-1]["epoch"]), 3) if rows else None,
        "best_val_bpc": info["best_val_bpc"],
        "last_val_bpc": info["val_bpc"],
        "train_chars_per_sec": round(sorted(rates)[len(rates) // 2]) if rates else None,
        "model": {k: info[k] for k in ("cell", "layers", "hidden", "dropout", "seq_length", "batch_size",
                                       "learning_rate", "vocab_size", "parameters")},
        "sample": {"seed": SAMPLE_SEED, "temperature": 0.8, "length": length, "text": sample},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charlstm", default=str(REPO / ".build" / "release" / "charlstm"))
    parser.add_argument("--minutes", type=float, default=5.0, help="the quick start's budget (README: 5)")
    parser.add_argument("--length", type=int, default=500, help="characters of the sample (README: 500)")
    parser.add_argument("--record", action="store_true", help="write benchmarks/results/quickstart-<machine>.json")
    args = parser.parse_args()
    results = run_quickstart(args.charlstm, args.minutes, args.length)
    print(json.dumps({k: v for k, v in results.items() if k != "sample"}, indent=1))
    print(results["sample"]["text"])
    if args.record:
        if args.minutes != 5.0 or args.length != 500:
            sys.exit("error: --record measures the README's quick start as written: --minutes 5 --length 500")
        record("quickstart", results)


if __name__ == "__main__":
    main()
