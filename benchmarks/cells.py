#!/usr/bin/env python3
"""README's "Choosing a cell": each cell (`--cell lstm`, `gru`, `rnn`) trained for the same wall time on the
bundled corpus with every other option at its default (2 × 256, batch 64 × 100, the default learning rate and
schedule), one after the other; records the steps each did, its validation bits/char (best and last), its
training speed and its settings (render_tables.py: `cells`).

    python3 benchmarks/cells.py --record                 # 2 minutes a cell, as the README says (about 7 minutes)
    python3 benchmarks/cells.py --minutes 0.1            # a quick look; nothing recorded

Trains into temporary folders, from the repository folder. Run it on an idle machine: the budget is wall time.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time

from results import REPO, record
from runs import DEFAULT_CHARLSTM, run_summary

CELLS = ["lstm", "gru", "rnn"]
MINUTES = 2.0


def train_cell(charlstm: str, cell: str, minutes: float) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        subprocess.run([charlstm, "train", "--cell", cell, "--minutes", str(minutes), "--out", folder], cwd=REPO,
                       check=True, stdout=subprocess.DEVNULL)
        return {"cell": cell, **run_summary(charlstm, folder, time.perf_counter() - start)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charlstm", default=DEFAULT_CHARLSTM)
    parser.add_argument("--minutes", type=float, default=MINUTES, help="budget of each cell (README: 2)")
    parser.add_argument("--record", action="store_true", help="write benchmarks/results/cells-<machine>.json")
    args = parser.parse_args()
    if args.record and args.minutes != MINUTES:
        sys.exit(f"error: --record measures the README's table as written: --minutes {MINUTES:g}")
    runs = []
    for cell in CELLS:
        print(f"{cell}: {args.minutes:g} minutes ...", file=sys.stderr, flush=True)
        runs.append(train_cell(args.charlstm, cell, args.minutes))
        print(json.dumps(runs[-1]), flush=True)
    if args.record:
        record("cells", {"minutes": args.minutes, "runs": runs})


if __name__ == "__main__":
    main()
