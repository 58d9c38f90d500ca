#!/usr/bin/env python3
"""PyTorch reference benchmark: CharLSTM's model and char-rnn batching, timed in PyTorch on the CPU.

For each configuration (S = 2×128 seq 50 batch 50, M = 2×512 seq 100 batch 64, L = 3×512 seq 100 batch 64)
it measures training characters/s (Adam 2e-3, clip 5, after warm-up steps), generation characters/s (batch 1,
one character at a time, softmax sampling, no grad) and the peak resident memory of training. Every
configuration runs in a fresh subprocess so that peak memory numbers don't mix.

    python3 benchmarks/pytorch_reference.py --config all --seconds 10 --threads 2 [--json]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import torch

from benchmark_common import CONFIGS, DEFAULT_CORPUS, RESULT_KEYS, config_names, markdown_table
from data import Batches, Trainer, encode, read_corpus, split, vocabulary_of
from model import CharModel

WARMUP_STEPS = 3
WARMUP_CHARS = 20


def timed_loop(seconds: float, body) -> tuple[int, float]:
    """Calls `body()` until `seconds` have passed (at least once); returns (calls, elapsed seconds)."""
    calls, start = 0, time.perf_counter()
    while True:
        body()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls, elapsed


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def run_config(args, name: str) -> dict:
    """Benchmarks one configuration in this process."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(1234)
    layers, hidden, seq_length, batch_size = CONFIGS[name]
    text = read_corpus(args.corpus)
    vocabulary = vocabulary_of(text)
    train, _ = split(encode(text, vocabulary), 0.05)
    batches = Batches(train, batch_size, seq_length)
    model = CharModel(args.cell, len(vocabulary), hidden, layers, args.dropout)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    trainer = Trainer(model, optimizer, batches, clip=5.0)
    for _ in range(WARMUP_STEPS):
        trainer.train_step()
    steps, elapsed = timed_loop(args.seconds, trainer.train_step)
    train_rate = steps * seq_length * batch_size / elapsed
    train_rss = peak_rss_mib()

    model.eval()
    char, gen_state = torch.zeros(1, 1, dtype=torch.long), None

    @torch.no_grad()
    def generate_one():
        nonlocal char, gen_state
        logits, gen_state = model(char, gen_state)
        char = torch.multinomial(torch.softmax(logits[0], dim=-1), 1)

    for _ in range(WARMUP_CHARS):
        generate_one()
    chars, elapsed = timed_loop(args.seconds, generate_one)

    values = ["pytorch", name, args.cell, layers, hidden, seq_length, batch_size, args.dropout, args.threads,
              train_rate, chars / elapsed, train_rss]
    return dict(zip(RESULT_KEYS, values))


def run_in_subprocess(args, name: str) -> dict:
    command = [sys.executable, __file__, "--worker", "--config", name, "--corpus", str(args.corpus), "--cell",
               args.cell, "--seconds", str(args.seconds), "--threads", str(args.threads), "--dropout",
               str(args.dropout)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def import_baseline_mib() -> float:
    """The peak RSS of a Python process that only imports torch: the floor under every peak_rss_mib."""
    code = "import resource, torch; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--config", choices=[*CONFIGS, "all"], default="all")
    parser.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    parser.add_argument("--seconds", type=float, default=10.0, help="timed seconds of training, and of generation")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--json", action="store_true", help="print one JSON line per configuration")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main():
    args = parse_arguments()
    if args.worker:
        print(json.dumps(run_config(args, args.config)))
        return
    results, load_before = [], os.getloadavg()[0]
    for name in config_names(args.config):
        result = run_in_subprocess(args, name)
        results.append(result)
        if args.json:
            print(json.dumps(result), flush=True)
    if not args.json:
        print(f"PyTorch {torch.__version__}, {args.cell}, {args.threads} threads, dropout {args.dropout}")
        print(markdown_table(
            ["config", "layers×hidden", "seq×batch", "train chars/s", "generate chars/s", "peak RSS MiB"],
            [[r["config"], f'{r["layers"]}×{r["hidden"]}', f'{r["seq_length"]}×{r["batch_size"]}',
              r["train_chars_per_sec"], r["generate_chars_per_sec"], r["peak_rss_mib"]] for r in results]))
        print(f"(peak RSS includes {import_baseline_mib():.0f} MiB taken by importing torch alone; 1-minute load "
              f"average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after)")


if __name__ == "__main__":
    main()
