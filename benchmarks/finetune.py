#!/usr/bin/env python3
"""README's "Your own small corpus": fine-tuning the shipped model on Corpora/faust.txt against training from
scratch, with the README's commands (below, in one place), in temporary folders:

- `patience`: the README's first command as written (`--init-from Checkpoints/pretrained --dropout 0.3 --minutes 10
  --patience 5 --eval-every 10 --val-fraction 0.1`), which stops itself; where it stopped, its best step and loss,
  its sample.
- `init` and `scratch`: 90 seconds each (`--dropout 0.3 --minutes 1.5 --val-fraction 0.1 --eval-every 10`), the same held-out last
  10 %, one after the other in both orders (init first, then scratch first: the machine's load drifts); steps,
  held-out bits/char (the run's best validation), and a sample of each run with a fixed seed.

    python3 benchmarks/finetune.py --record              # about 10 minutes
    python3 benchmarks/finetune.py --minutes 0.1         # a quick look (the 90 s runs cut to 6 s); nothing recorded

Records the SHA-256 of Checkpoints/pretrained/best.safetensors: render_tables.py --check fails when the shipped
model is no longer the one these figures were measured with (render_tables.py: `finetune`, `finetune-patience`,
`finetune-sample`).
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time

from results import REPO, record
from runs import DEFAULT_CHARLSTM, PRETRAINED, held_out_tail, metrics, run_summary, sha256

CORPUS = "Corpora/faust.txt"
VAL_FRACTION = 0.1
# The README's commands; `--out` is added, and `{minutes}` is the budget (README: 10 and 1.5).
PATIENCE_RUN = ["train", CORPUS, "--init-from", "Checkpoints/pretrained", "--dropout", "0.3", "--minutes", "{minutes}",
                "--patience", "5", "--eval-every", "10", "--val-fraction", str(VAL_FRACTION)]
COMPARED_RUNS = {
    "init": ["train", CORPUS, "--init-from", "Checkpoints/pretrained", "--dropout", "0.3", "--minutes", "{minutes}",
             "--val-fraction", str(VAL_FRACTION), "--eval-every", "10"],
    "scratch": ["train", CORPUS, "--dropout", "0.3", "--minutes", "{minutes}", "--val-fraction", str(VAL_FRACTION),
                "--eval-every", "10"],
}
PATIENCE_MINUTES, COMPARED_MINUTES = 10.0, 1.5
SAMPLE = {"prime": "FAUST:\n", "temperature": 0.8, "seed": 7, "length": 240}


def train(charlstm: str, arguments: list[str], minutes: float) -> dict:
    """Runs one README command into a temporary folder; its summary, best step and sample."""
    command = [charlstm, *(a.replace("{minutes}", f"{minutes:g}") for a in arguments)]
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        done = subprocess.run([*command, "--out", folder], cwd=REPO, check=True, capture_output=True, text=True)
        summary = run_summary(charlstm, folder, time.perf_counter() - start)
        validations = [(int(r["step"]), float(r["val_bpc"])) for r in metrics(folder) if r.get("val_bpc")]
        best_step = min(validations, key=lambda v: v[1])[0] if validations else None
        sample = subprocess.run([charlstm, "generate", "--checkpoint", folder, "--prime", SAMPLE["prime"],
                                 "--temperature", str(SAMPLE["temperature"]), "--seed", str(SAMPLE["seed"]),
                                 "--length", str(SAMPLE["length"])], cwd=REPO, check=True, capture_output=True,
                                text=True).stdout
    last_line = (done.stdout.strip().splitlines() or [""])[-1]
    return {"command": " ".join(["charlstm", *command[1:]]), "minutes": minutes, **summary, "best_step": best_step,
            "validations": len(validations), "last_line": last_line, "sample": sample}


def measure(charlstm: str, minutes: float, both_orders: bool = True) -> dict:
    """The patience run, then the compared runs in one or both orders; everything the tables show."""
    patience_minutes = PATIENCE_MINUTES * minutes / COMPARED_MINUTES
    print(f"patience run ({patience_minutes:g} minutes at most) ...", file=sys.stderr, flush=True)
    patience = train(charlstm, PATIENCE_RUN, patience_minutes)
    print(json.dumps({k: v for k, v in patience.items() if k != "sample"}), flush=True)
    compared = []
    for order in [["init", "scratch"]] + ([["scratch", "init"]] if both_orders else []):
        runs = {}
        for name in order:
            print(f"{name} ({minutes:g} minutes) ...", file=sys.stderr, flush=True)
            runs[name] = train(charlstm, COMPARED_RUNS[name], minutes)
            print(json.dumps({k: v for k, v in runs[name].items() if k != "sample"}), flush=True)
        compared.append({"order": order, "runs": runs})
    corpus_text = (REPO / CORPUS).read_text(encoding="utf-8")
    return {"corpus": CORPUS, "corpus_bytes": (REPO / CORPUS).stat().st_size, "corpus_chars": len(corpus_text),
            "vocabulary": len(set(corpus_text)), "val_fraction": VAL_FRACTION,
            "held_out_chars": len(held_out_tail(REPO / CORPUS, VAL_FRACTION)),
            "pretrained_sha256": sha256(PRETRAINED), "sample": SAMPLE, "patience": patience, "compared": compared}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charlstm", default=DEFAULT_CHARLSTM)
    parser.add_argument("--minutes", type=float, default=COMPARED_MINUTES,
                        help="budget of each compared run (README: 1.5); the patience run's (README: 10) is scaled alike")
    parser.add_argument("--one-order", action="store_true", help="only init then scratch (half the time)")
    parser.add_argument("--record", action="store_true", help="write benchmarks/results/finetune-<machine>.json")
    args = parser.parse_args()
    if args.record and args.minutes != COMPARED_MINUTES:
        sys.exit(f"error: --record measures the README's runs as written: --minutes {COMPARED_MINUTES:g}")
    results = measure(args.charlstm, args.minutes, not args.one_order)
    print(results["patience"]["sample"])
    if args.record:
        record("finetune", results)


if __name__ == "__main__":
    main()
