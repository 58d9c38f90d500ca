#!/usr/bin/env python3
"""The learning-speed check: does charlstm learn as fast per step as PyTorch with the same model and batching?

Both train 2 layers × 128 (lstm), batch 32, seq 50, Adam 2e-3 at a constant rate (charlstm's `--lr-schedule
constant --warmup 0`), clip 5, no dropout, the forget gate's bias starting at 1 and the decoder's at the log character frequencies
of the training text (charlstm's initialisation, given to PyTorch too), for 1,500 steps on the first 400,000 characters of a corpus, evaluating validation bits/char every
100 steps; the two curves are printed side by side. The charlstm side runs `charlstm train ... --out DIR` and reads
DIR/metrics.csv; it is skipped when the binary does not exist. Reference for PyTorch with its default
initialisation (forget-gate bias uniform, as before charlstm set it to 1): ~3.3 bpc at step 400, ~3.1 at 600, ~2.6
at 1,500.

    python3 benchmarks/learning_curve.py [--corpus FILE] [--charlstm .build/release/charlstm] [--json] [--record]

With --record (the defaults only) the curves go to benchmarks/results/learning-curve-<machine>.json (keys:
"settings", "pytorch" and "charlstm", each step → [train, validation] bits/char), from which render_tables.py's
`learning-curve` table is made. About 10 minutes on 2 cores (the curves do not depend on the machine's speed).
"""

import argparse
import csv
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmark_common import (DEFAULT_CORPUS, REPO, markdown_table, set_decoder_bias_to_frequencies,
                              set_forget_gate_bias)

LAYERS, HIDDEN, BATCH, SEQ, LEARNING_RATE, CLIP, CHARACTERS = 2, 128, 32, 50, 2e-3, 5.0, 400_000


def pytorch_curve(text: str, steps: int, eval_every: int, seed: int, log) -> dict[int, tuple[float, float]]:
    """step -> (mean train bits/char since the previous evaluation, validation bits/char)."""
    import torch
    from data import Batches, Trainer, encode, evaluate_bpc, split, validation_batches, vocabulary_of
    from model import CharModel

    torch.manual_seed(seed)
    vocabulary = vocabulary_of(text)
    train, val = split(encode(text, vocabulary), 0.05)
    model = CharModel("lstm", len(vocabulary), HIDDEN, LAYERS)
    set_forget_gate_bias(model)
    set_decoder_bias_to_frequencies(model, train)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    trainer = Trainer(model, optimizer, Batches(train, BATCH, SEQ), CLIP, LEARNING_RATE,
                      learning_rate_decay=0.97, decay_after=10)
    val_batches = validation_batches(val, BATCH, SEQ)
    curve, nats, start = {}, [], time.perf_counter()
    while trainer.step < steps:
        nats.append(trainer.train_step()[0])
        if trainer.step % eval_every == 0 or trainer.step == steps:
            curve[trainer.step] = (sum(nats) / len(nats) / math.log(2), evaluate_bpc(model, val_batches))
            nats = []
            log(f"pytorch step {trainer.step}: train {curve[trainer.step][0]:.4f} val {curve[trainer.step][1]:.4f} "
                f"bpc ({time.perf_counter() - start:.0f} s)")
    return curve


def charlstm_curve(binary: str, corpus: Path, steps: int, eval_every: int, out: Path) -> dict:
    """step -> (train bits/char, validation bits/char) from `charlstm train`'s metrics.csv."""
    command = [binary, "train", str(corpus), "--layers", str(LAYERS), "--hidden", str(HIDDEN), "--batch-size",
               str(BATCH), "--seq-length", str(SEQ), "--learning-rate", str(LEARNING_RATE), "--clip", str(CLIP),
               "--lr-schedule", "constant", "--warmup", "0", "--steps", str(steps), "--eval-every", str(eval_every), "--log-every", str(eval_every),
               "--out", str(out), "--force"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return read_metrics(out / "metrics.csv")


def read_metrics(path: Path) -> dict[int, tuple[float, float]]:
    """The evaluated rows of a metrics.csv (step,epoch,train_bpc,val_bpc,...): step -> (train_bpc, val_bpc)."""
    with open(path, newline="") as file:
        return {int(row["step"]): (float(row["train_bpc"] or "nan"), float(row["val_bpc"]))
                for row in csv.DictReader(file) if row["val_bpc"]}


def finite(values) -> list:
    """A point of a curve for JSON: NaN (no training loss logged at that step) as null."""
    return [None if math.isnan(v) else round(v, 4) for v in values]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--charlstm", default=str(REPO / ".build" / "release" / "charlstm"))
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--json", action="store_true", help="print the curves as one JSON object")
    parser.add_argument("--record", action="store_true",
                        help="write benchmarks/results/learning-curve-<machine>.json (the defaults only)")
    args = parser.parse_args()
    import torch
    from data import read_corpus
    torch.set_num_threads(args.threads)
    if args.record and (args.steps, args.eval_every, args.seed, Path(args.corpus)) != (1500, 100, 1234, DEFAULT_CORPUS):
        parser.error("--record measures the documented curve: default --steps, --eval-every, --seed and --corpus")
    if args.record and not Path(args.charlstm).exists():
        parser.error(f"--record needs both sides: no charlstm binary at {args.charlstm}")
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731

    text = read_corpus(args.corpus, CHARACTERS)
    with tempfile.TemporaryDirectory(prefix="learning-curve-") as folder:
        corpus = Path(folder) / "corpus.txt"
        corpus.write_bytes(text.encode("utf-8"))
        ours = {}
        if Path(args.charlstm).exists():
            log(f"charlstm: {args.charlstm} train ...")
            ours = charlstm_curve(args.charlstm, corpus, args.steps, args.eval_every, Path(folder) / "run")
        else:
            log(f"charlstm: skipped, no binary at {args.charlstm}")
        theirs = pytorch_curve(text, args.steps, args.eval_every, args.seed, log)

    if args.record:
        from results import record
        record("learning-curve", {
            "settings": {"layers": LAYERS, "hidden": HIDDEN, "batch_size": BATCH, "seq_length": SEQ,
                         "learning_rate": LEARNING_RATE, "clip": CLIP, "characters": len(text),
                         "corpus": Path(args.corpus).name, "steps": args.steps, "eval_every": args.eval_every,
                         "threads": args.threads, "seed": args.seed},
            "pytorch": {str(k): finite(v) for k, v in theirs.items()},
            "charlstm": {str(k): finite(v) for k, v in ours.items()}}, pytorch_version=torch.__version__)
    if args.json:
        print(json.dumps({"pytorch": theirs, "charlstm": ours}))
        return
    missing = (math.nan, math.nan)
    rows = [[step, theirs.get(step, missing)[1], ours.get(step, missing)[1], theirs.get(step, missing)[0],
             ours.get(step, missing)[0]] for step in sorted(set(theirs) | set(ours))]
    print(f"Validation bits/char, 2×{HIDDEN} lstm, batch {BATCH}, seq {SEQ}, Adam {LEARNING_RATE}, clip {CLIP}, "
          f"first {len(text):,} characters of {Path(args.corpus).name}")
    print(markdown_table(["step", "PyTorch val", "charlstm val", "PyTorch train", "charlstm train"],
                         [[r[0]] + [f"{v:.3f}" if not math.isnan(v) else "–" for v in r[1:]] for r in rows]))


if __name__ == "__main__":
    main()
