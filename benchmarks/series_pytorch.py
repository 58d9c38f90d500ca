#!/usr/bin/env python3
"""The README's CO2 forecast, trained by charlstm and by PyTorch with the same model, data and optimiser.

Both train `nn.LSTM(1, 64)` + `nn.Linear(64, 1)` on the weekly Mauna Loa CO2 record (gaps filled linearly, seasonal
differences over 52 weeks, standardised with the training part's mean and std, the last 10 % held out), in 16
streams of 32 steps with carried state (truncated BPTT, as charlstm batches), Adam 2e-3, gradient clipping at 5,
for 2,000 steps; then each forecasts the last 104 weeks from the weeks before them. Prints the RMSE of each
forecast with the naive and seasonal-naive baselines, and the training seconds of each (one after the other,
`--threads` each). PyTorch starts from its own random weights, so the two differ like two seeds do.

    python3 benchmarks/series_pytorch.py --charlstm .build/release/charlstm
"""

import argparse
import csv
import math
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "interop" / "pytorch"))
from series_forecast import forecast, load_series_model  # noqa: E402

DATA = REPO / "Corpora" / "co2-mauna-loa-weekly.csv"
LAG, HELD_OUT, HORIZON, STEPS, HIDDEN, BATCH, SEQ, LR, CLIP, VAL_FRACTION = 52, 104, 104, 2000, 64, 16, 32, 2e-3, 5.0, 0.1


def values_with_gaps_filled() -> list[float]:
    with open(DATA, newline="") as f:
        raw = [float(r["co2"]) if r["co2"].strip() else math.nan for r in csv.DictReader(f)]
    known = [i for i, v in enumerate(raw) if not math.isnan(v)]
    out = list(raw)
    for a, b in zip(known, known[1:]):
        for k in range(a + 1, b):
            out[k] = raw[a] + (raw[b] - raw[a]) * (k - a) / (b - a)
    return out


def rmse(forecast_values, actual) -> float:
    return math.sqrt(sum((f - a) ** 2 for f, a in zip(forecast_values, actual)) / len(actual))


def train_pytorch(values: list[float], threads: int) -> tuple[list[float], float]:
    torch.manual_seed(1234)
    torch.set_num_threads(threads)
    n = len(values)
    train_count = n - int(n * VAL_FRACTION)
    d = torch.tensor([values[i] - values[i - LAG] for i in range(LAG, train_count)], dtype=torch.float32)
    mean, std = d.mean(), d.std(unbiased=False)
    z = (d - mean) / std
    streams = (len(z) - 1) // BATCH
    batches = streams // SEQ
    rnn, head = nn.LSTM(1, HIDDEN), nn.Linear(HIDDEN, 1)
    parameters = list(rnn.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(parameters, lr=LR)
    start = time.perf_counter()
    state = None
    for step in range(STEPS):
        p = step % batches
        if p == 0:
            state = None
        x = torch.stack([z[b * streams + p * SEQ: b * streams + p * SEQ + SEQ] for b in range(BATCH)], dim=1).unsqueeze(-1)
        y = torch.stack([z[b * streams + p * SEQ + 1: b * streams + p * SEQ + SEQ + 1] for b in range(BATCH)], dim=1).unsqueeze(-1)
        output, state = rnn(x, state)
        state = tuple(s.detach() for s in state)
        loss = nn.functional.mse_loss(head(output), y)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(parameters, CLIP)
        optimizer.step()
    seconds = time.perf_counter() - start
    series = {"lag": LAG, "mean": [mean.item()], "std": [std.item()], "columns": ["co2"]}
    history = [[v] for v in values[: n - HELD_OUT]]
    return forecast(rnn.double().eval(), head.double().eval(), series, history, HORIZON), seconds


def train_charlstm(charlstm: str, threads: int) -> tuple[list[float], float]:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        subprocess.run([charlstm, "train", str(DATA), "--column", "co2", "--interpolate", "--difference", str(LAG),
                        "--out", folder, "--steps", str(STEPS), "--threads", str(threads)], check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        out = subprocess.run([charlstm, "forecast", str(DATA), "--checkpoint", folder + "/latest.safetensors", "--interpolate",
                              "--holdout", str(HELD_OUT), "--steps", str(HORIZON), "--threads", str(threads)],
                             check=True, capture_output=True, text=True).stdout
    return [float(line.split(",")[1]) for line in out.splitlines()[1:]], seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charlstm", default=str(REPO / ".build" / "release" / "charlstm"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    values = values_with_gaps_filled()
    history, actual = values[:-HELD_OUT], values[-HELD_OUT:]
    naive = [history[-1]] * HORIZON
    seasonal = [history[len(history) - 52 + k % 52] for k in range(HORIZON)]
    ours, ours_seconds = train_charlstm(args.charlstm, args.threads)
    theirs, theirs_seconds = train_pytorch(values, args.threads)
    print(f"{time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, {args.threads} threads")
    print("| forecast of 104 held-out weeks | RMSE (ppm) | training seconds |")
    print("|---|---|---|")
    print(f"| naive | {rmse(naive, actual):.2f} | |")
    print(f"| seasonal naive | {rmse(seasonal, actual):.2f} | |")
    print(f"| charlstm (process, incl. start-up and saves) | {rmse(ours, actual):.2f} | {ours_seconds:.1f} |")
    print(f"| PyTorch (training loop only) | {rmse(theirs, actual):.2f} | {theirs_seconds:.1f} |")


if __name__ == "__main__":
    main()
