#!/usr/bin/env python3
"""Quality per minute: the best validation bits/char charlstm and PyTorch reach in the same wall-clock budget.

Both train config M (2 layers × 512 lstm, seq 100, batch 64, Adam 2e-3, clip 5, learning-rate decay 0.97 after
10 epochs, dropout --dropout, 0.5 unless given) on the same corpus (the last 5 % held out as validation) for --minutes
of wall time each, one after the other (never at the same time), validating every --eval-every steps and once
more when the budget runs out. The printed Markdown table has the steps each did and the best validation
bits/char each reached, with the date, the CPU and the load average.

charlstm trains with its default recipe apart from the learning rate (M's 2e-3 on both sides): a 20-step
warm-up, the base rate, a linear decay to zero over the last 20 % of the time budget (`--lr-schedule
stable-decay`), the forget gate's bias starting at 1 and the decoder's bias at the log character frequencies of
the training text. With `--pytorch-recipe matched` (the default) PyTorch does the same (the same schedule over
the share of its own time budget spent, the same initial biases), so that the two differ only in speed;
`--pytorch-recipe plain` gives PyTorch a constant rate and its default initialisation, as before charlstm had
them.

The two clocks run the same way, as charlstm's `--minutes` does: the clock starts when training starts (after
reading the corpus and building the model), a step is taken while the elapsed time is below the budget, the
validation passes count against the budget, and the final validation (after the step that crossed the budget)
runs past it. charlstm also writes checkpoints and its loss plot inside its budget; PyTorch writes nothing.

    python3 benchmarks/quality_per_minute.py [--minutes 10] [--threads 2] [--eval-every 200]
        [--charlstm .build/release/charlstm] [--corpus FILE] [--dropout 0.5] [--hidden 512 --layers 2]
        [--pytorch-recipe matched|plain] [--record]

With --record (config M, the matched recipe) the run goes to
benchmarks/results/quality-per-minute-dropout<p>-<machine>.json (dropout 0.5 → `dropout05`; keys: the settings,
"charlstm" and "pytorch" with each side's steps, epochs, best/last validation and seconds, "load" and "busy"),
from which render_tables.py's `quality-per-minute` table is made, one row per recorded dropout. A 10-minute run
takes about 21 minutes in all.
"""

import argparse
import csv
import datetime
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmark_common import (CONFIGS, DEFAULT_CORPUS, REPO, SCHEDULE, WARMUP, cpu_model, markdown_table,
                              schedule_factor, set_decoder_bias_to_frequencies, set_forget_gate_bias)

LAYERS, HIDDEN, SEQ, BATCH = CONFIGS["M"][0], CONFIGS["M"][1], CONFIGS["M"][2], CONFIGS["M"][3]
LEARNING_RATE, CLIP, DECAY, DECAY_AFTER, VAL_FRACTION = 2e-3, 5.0, 0.97, 10, 0.05


def log(message: str):
    print(message, file=sys.stderr, flush=True)


def run_charlstm(args, out: Path) -> dict:
    """Runs `charlstm train` for the budget and summarises its metrics.csv."""
    command = [args.charlstm, "train", args.corpus, "--hidden", str(args.hidden), "--layers", str(args.layers),
               "--seq-length", str(SEQ), "--batch-size", str(BATCH), "--learning-rate", str(LEARNING_RATE),
               "--lr-schedule", SCHEDULE, "--warmup", str(WARMUP),
               "--clip", str(CLIP), "--dropout", str(args.dropout), "--minutes", str(args.minutes),
               "--eval-every", str(args.eval_every), "--log-every", str(args.eval_every), "--out", str(out),
               "--force", "--threads", str(args.threads), "--seed", str(args.seed)]
    log("charlstm: " + " ".join(command))
    started = time.perf_counter()
    # Its progress lines (one per evaluation) go to our stderr.
    subprocess.run(command, check=True, stdout=sys.stderr)
    process_seconds = time.perf_counter() - started
    with open(out / "metrics.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    if not rows:
        raise SystemExit(f"charlstm wrote no rows to {out / 'metrics.csv'}")
    evaluations = [(int(r["step"]), float(r["val_bpc"])) for r in rows if r["val_bpc"]]
    last = rows[-1]
    return summary("charlstm", int(last["step"]), float(last["epoch"]), evaluations,
                   float(last["elapsed_seconds"]), process_seconds)


def run_pytorch(args) -> dict:
    """Trains the same model with PyTorch for the budget, with charlstm's batching, split and validation."""
    import torch

    from data import Batches, Trainer, encode, evaluate_bpc, read_corpus, split, validation_batches, vocabulary_of
    from model import CharModel

    started = time.perf_counter()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    text = read_corpus(args.corpus)
    vocabulary = vocabulary_of(text)
    train, val = split(encode(text, vocabulary), VAL_FRACTION)
    model = CharModel("lstm", len(vocabulary), args.hidden, args.layers, args.dropout)
    matched = args.pytorch_recipe == "matched"
    if matched:
        set_forget_gate_bias(model)
        set_decoder_bias_to_frequencies(model, train)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    trainer = Trainer(model, optimizer, Batches(train, BATCH, SEQ), CLIP, LEARNING_RATE,
                      learning_rate_decay=DECAY, decay_after=DECAY_AFTER)
    val_batches = validation_batches(val, BATCH, SEQ)
    budget = args.minutes * 60
    log(f"pytorch: torch {torch.__version__}, {torch.get_num_threads()} threads, {len(vocabulary)} symbols, "
        f"{len(train):,} training / {len(val):,} validation characters, {budget:.0f} s")

    # As charlstm's TrainingSession: step while elapsed < budget; validate every E steps and after the step
    # that spends the budget.
    start = time.perf_counter()
    elapsed = lambda: time.perf_counter() - start  # noqa: E731
    evaluations, nats = [], []
    while elapsed() < budget:
        if matched:  # charlstm's schedule over the share of the time budget spent, on top of char-rnn's decay
            factor = schedule_factor(SCHEDULE, WARMUP, trainer.step, elapsed() / budget)
            for group in optimizer.param_groups:
                group["lr"] = trainer.learning_rate * factor
        loss, _ = trainer.train_step()
        if not math.isfinite(loss):
            raise SystemExit(f"pytorch diverged at step {trainer.step}")
        nats.append(loss)
        if trainer.step % args.eval_every == 0 or elapsed() >= budget:
            bpc = evaluate_bpc(model, val_batches)
            evaluations.append((trainer.step, bpc))
            log(f"pytorch step {trainer.step} (epoch {trainer.epoch_progress:.2f}): train "
                f"{sum(nats) / len(nats) / math.log(2):.4f} val {bpc:.4f} bpc, {elapsed():.0f} s")
            nats = []
    seconds = elapsed()
    return summary("PyTorch", trainer.step, trainer.epoch_progress, evaluations, seconds,
                   time.perf_counter() - started)


def summary(name: str, steps: int, epochs: float, evaluations: list[tuple[int, float]], seconds: float,
            process_seconds: float) -> dict:
    best_step, best = min(evaluations, key=lambda e: e[1]) if evaluations else (None, math.nan)
    return {"impl": name, "steps": steps, "epochs": epochs, "best_val_bpc": best, "best_step": best_step,
            "last_val_bpc": evaluations[-1][1] if evaluations else math.nan, "evaluations": len(evaluations),
            "seconds": seconds, "process_seconds": process_seconds}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charlstm", default=str(REPO / ".build" / "release" / "charlstm"))
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--minutes", type=float, default=10.0, help="wall-clock budget of each side")
    parser.add_argument("--eval-every", type=int, default=200, help="steps between validations (both sides)")
    parser.add_argument("--threads", type=int, default=2)
    # Without enough dropout M overfits tinyshakespeare's 1 MB in about 6 epochs, fewer than either side trains
    # in 10 minutes, and the extra steps of the faster side buy nothing: 0.5 keeps both learning to the end.
    parser.add_argument("--dropout", type=float, default=0.5,
                        help="dropout after every recurrent layer, both sides (default 0.5)")
    parser.add_argument("--hidden", type=int, default=HIDDEN, help="override M's 512 (quick tests)")
    parser.add_argument("--layers", type=int, default=LAYERS, help="override M's 2 (quick tests)")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--pytorch-recipe", choices=["matched", "plain"], default="matched",
                        help="matched: PyTorch gets charlstm's schedule and forget-gate bias; plain: constant rate, "
                             "PyTorch's default initialisation")
    parser.add_argument("--record", action="store_true",
                        help="write benchmarks/results/quality-per-minute-dropout<p>-<machine>.json (config M only)")
    args = parser.parse_args()
    if args.record and ((args.hidden, args.layers) != (HIDDEN, LAYERS) or args.pytorch_recipe != "matched"):
        parser.error("--record measures config M with the matched recipe (no --hidden, --layers or --pytorch-recipe)")
    if args.minutes <= 0 or args.eval_every < 1 or args.threads < 1 or not 0 <= args.dropout < 1:
        parser.error("need --minutes > 0, --eval-every >= 1, --threads >= 1 and 0 <= --dropout < 1")
    if not Path(args.charlstm).exists():
        parser.error(f"no charlstm binary at {args.charlstm} (build it with `swift build -c release`)")
    if not Path(args.corpus).exists():
        parser.error(f"no corpus at {args.corpus}")

    busy, load = [cpu_busy()], [os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="quality-per-minute-") as folder:
        ours = run_charlstm(args, Path(folder) / "run")
    load.append(os.getloadavg())
    busy.append(cpu_busy())
    theirs = run_pytorch(args)
    load.append(os.getloadavg())

    config = "M" if (args.hidden, args.layers) == (HIDDEN, LAYERS) else "custom"
    print(f"Quality per minute, {datetime.date.today().isoformat()}, {cpu_model()}, {os.cpu_count()} CPUs, "
          f"{args.threads} threads each, run one after the other. Config {config}: {args.layers} × {args.hidden} "
          f"lstm, seq {SEQ}, batch {BATCH}, Adam {LEARNING_RATE:g}, clip {CLIP:g}, dropout {args.dropout:g}; "
          f"charlstm: {WARMUP}-step warm-up, {SCHEDULE} schedule to the end of the budget, forget-gate bias 1, "
          f"decoder bias from the character frequencies; "
          f"PyTorch: {'the same' if args.pytorch_recipe == 'matched' else 'constant rate, default initialisation'}; "
          f"{args.minutes:g} min of wall time each, validation (last {VAL_FRACTION:.0%} of "
          f"{Path(args.corpus).name}) every {args.eval_every} steps and at the end, its time included. "
          f"Load average (1/5/15 min) before charlstm {fmt_load(load[0])}, before PyTorch {fmt_load(load[1])}, "
          f"after {fmt_load(load[2])}; CPU busy in the second before each side started: charlstm {busy[0]:.0%}, "
          f"PyTorch {busy[1]:.0%}.")
    if max(busy) > 0.2:
        print()
        print(f"**Warning: the machine was not idle ({max(busy):.0%} of the CPUs busy before a side started); "
              "PyTorch's spin-waiting OpenMP threads slow down by up to an order of magnitude when a core is "
              "taken, so these figures are not comparable. Rerun on an idle machine.**")
    print()
    rows = [[r["impl"], f"{r['steps']:,}", f"{r['epochs']:.2f}", f"**{r['best_val_bpc']:.4f}**",
             f"{r['best_step']:,}" if r["best_step"] is not None else "–", f"{r['last_val_bpc']:.4f}",
             r["evaluations"], f"{r['seconds']:.1f}", f"{r['process_seconds']:.1f}"] for r in (ours, theirs)]
    print(markdown_table(["impl", "steps", "epochs", "best val bpc", "at step", "last val bpc", "validations",
                          "training s (incl. validation)", "with setup s"], rows))
    print()
    print(f"charlstm ÷ PyTorch steps: {ours['steps'] / max(theirs['steps'], 1):.2f}×; best val bpc difference "
          f"(charlstm − PyTorch): {ours['best_val_bpc'] - theirs['best_val_bpc']:+.4f}")
    if args.record:
        import torch
        from results import record
        record(f"quality-per-minute-dropout{args.dropout:g}".replace(".", ""), {
            "config": config, "layers": args.layers, "hidden": args.hidden, "seq_length": SEQ, "batch_size": BATCH,
            "learning_rate": LEARNING_RATE, "clip": CLIP, "dropout": args.dropout, "minutes": args.minutes,
            "eval_every": args.eval_every, "threads": args.threads, "seed": args.seed,
            "pytorch_recipe": args.pytorch_recipe, "corpus": Path(args.corpus).name, "val_fraction": VAL_FRACTION,
            "load": [list(v) for v in load], "busy": busy, "charlstm": ours, "pytorch": theirs},
            pytorch_version=torch.__version__)


def cpu_busy(seconds: float = 1.0) -> float:
    """The share of all CPUs busy (not idle or iowait) during the next `seconds`, from /proc/stat; NaN elsewhere.

    Unlike the load average it is not inflated by the run just before, so it shows whether other work is on the
    machine when a side starts."""
    def sample():
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]
    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return math.nan
    return 1 - (idle1 - idle0) / max(total1 - total0, 1)


def fmt_load(load: tuple[float, float, float]) -> str:
    return "/".join(f"{v:.2f}" for v in load)


if __name__ == "__main__":
    main()
