#!/usr/bin/env python3
"""The README's CO2 forecast figures: charlstm with the README's commands (below, in one place: change them here
when the README's change), over several seeds and differencings, beside the naive and seasonal-naive forecasts,
and PyTorch training the same model on the same data and batches.

charlstm: for each (difference, seed) in RUNS, `train` (the README's command with `--difference` and `--seed`),
`eval` (one step ahead over the whole file) and `forecast --holdout 104` from `latest.safetensors` and from the
run's best model; the RMSE of each 104-week forecast, the training seconds (the whole process) and the steps. The
README's own run (difference 52, the default seed) is also timed on 1 thread; with --record its forecast plot
becomes docs/co2-forecast.svg (the README's picture).

PyTorch (`--no-pytorch` skips it; torch is imported only here): `nn.LSTM(1, H)` + `nn.Linear(H, 1)` on the same
series (gaps filled linearly, seasonal differences over 52 weeks, standardised with the training part's mean and
std, the last 10 % held out), in the same streams and sequence length as charlstm's run (read from its
checkpoint), Adam at its learning rate, clip 5, for as many steps as charlstm's run took; forecasts the last 104
weeks from its final weights; training seconds of its loop alone, on 1 and 2 threads. It starts from its own
random weights, so the two differ like two seeds do.

    python3 benchmarks/series_pytorch.py --record        # about 2 minutes on 2 cores
    python3 benchmarks/series_pytorch.py --quick         # one charlstm run, 200 steps, no PyTorch; nothing recorded

render_tables.py: `series` (README's table), `series-pytorch` (benchmarks/README.md's). Their check compares the
recorded run's settings with a 1-step run of the current program, and the series defaults `charlstm help train`
showed when recorded (the budget among them) with what it shows now: a changed series default fails it.
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

from results import REPO, record
from runs import DEFAULT_CHARLSTM, info, settings

DATA = "Corpora/co2-mauna-loa-weekly.csv"
SEASON, HELD_OUT = 52, 104
# The README's commands ("Numeric series"); `--out`, `--seed` and `--threads` are added, `{…}` filled in.
TRAIN = ["train", DATA, "--column", "co2", "--interpolate", "--difference", "{difference}"]
EVAL = ["eval", DATA, "--checkpoint", "{run}", "--interpolate", "--season", str(SEASON), "--json"]
FORECAST = ["forecast", DATA, "--checkpoint", "{checkpoint}", "--interpolate", "--holdout", str(HELD_OUT),
            "--season", str(SEASON)]
# (difference, seed): the README's run first (seed None: the default; difference None: no --difference, a model of
# the raw level, which the README says cannot forecast beyond the range it was trained on).
RUNS = [(52, None), (52, 1), (52, 2), (1, None), (1, 1), (1, 2), (None, None)]
# The README's plot: its run's forecast from this checkpoint of the run folder, drawn by `forecast --plot`.
PLOT, PLOT_FROM = REPO / "docs" / "co2-forecast.svg", "latest.safetensors"
CLIP = 5.0


def filled(arguments: list[str], **values) -> list[str]:
    return [a.format(**values) if "{" in a else a for a in arguments]


def train_arguments(difference) -> list[str]:
    """TRAIN with its `--difference`, or without it when `difference` is None."""
    if difference is None:
        at = TRAIN.index("--difference")
        return TRAIN[:at] + TRAIN[at + 2:]
    return filled(TRAIN, difference=difference)


def values_with_gaps_filled() -> list[float]:
    with open(REPO / DATA, newline="") as f:
        raw = [float(r["co2"]) if r["co2"].strip() else math.nan for r in csv.DictReader(f)]
    known = [i for i, v in enumerate(raw) if not math.isnan(v)]
    out = list(raw)
    for a, b in zip(known, known[1:]):
        for k in range(a + 1, b):
            out[k] = raw[a] + (raw[b] - raw[a]) * (k - a) / (b - a)
    return out


def rmse(forecast_values, actual) -> float:
    return math.sqrt(sum((f - a) ** 2 for f, a in zip(forecast_values, actual)) / len(actual))


def forecast_rmse(charlstm: str, checkpoint: str, threads: int) -> float:
    """RMSE of `forecast --holdout` against the held-out values it prints beside its forecast."""
    out = subprocess.run([charlstm, *filled(FORECAST, checkpoint=checkpoint), "--threads", str(threads)], cwd=REPO,
                         check=True, capture_output=True, text=True).stdout
    rows = list(csv.DictReader(out.splitlines()))
    return rmse([float(r["co2"]) for r in rows], [float(r["actual"]) for r in rows])


def charlstm_run(charlstm: str, difference: int | None, seed, threads: int, extra: list[str], plot: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        command = [charlstm, *train_arguments(difference), "--out", folder, "--threads", str(threads),
                   *(["--seed", str(seed)] if seed is not None else []), *extra]
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        about = info(charlstm, Path(folder) / "latest.safetensors")
        one_step = json.loads(subprocess.run([charlstm, *filled(EVAL, run=folder)], cwd=REPO, check=True,
                                             capture_output=True, text=True).stdout)
        if plot is not None:
            subprocess.run([charlstm, *filled(FORECAST, checkpoint=str(Path(folder) / PLOT_FROM)), "--plot", str(plot), "--unit", "ppm"],
                           cwd=REPO, check=True, capture_output=True)
        return {"difference": difference, "seed": seed, "threads": threads, "train_seconds": round(seconds, 2),
                "steps": about.get("step"), "best_val_rmse": about.get("best_val_rmse", about.get("best_val_bpc")),
                "forecast_rmse": {"latest": forecast_rmse(charlstm, str(Path(folder) / "latest.safetensors"), threads),
                                  "best": forecast_rmse(charlstm, folder, threads)},
                "eval": {k: v for k, v in one_step.items() if k not in ("checkpoint", "file")},
                "settings": settings(about)}


def train_pytorch(values: list[float], threads: int, model: dict, steps: int, seed: int = 1234) -> dict:
    """Trains charlstm's series model in PyTorch as charlstm batches it; its forecast RMSE and seconds."""
    import torch
    from torch import nn
    sys.path.insert(0, str(REPO / "interop" / "pytorch"))
    from series_forecast import forecast

    hidden, batch, seq = model["hidden"], model["batch_size"], model["seq_length"]
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    n = len(values)
    train_count = n - int(n * model.get("val_fraction", 0.1))
    d = torch.tensor([values[i] - values[i - SEASON] for i in range(SEASON, train_count)], dtype=torch.float32)
    mean, std = d.mean(), d.std(unbiased=False)
    z = (d - mean) / std
    streams = (len(z) - 1) // batch
    batches = streams // seq
    rnn, head = nn.LSTM(1, hidden, model["layers"]), nn.Linear(hidden, 1)
    parameters = list(rnn.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(parameters, lr=model["learning_rate"])
    start, state = time.perf_counter(), None
    for step in range(steps):
        p = step % batches
        if p == 0:
            state = None
        x = torch.stack([z[b * streams + p * seq: b * streams + p * seq + seq] for b in range(batch)], dim=1).unsqueeze(-1)
        y = torch.stack([z[b * streams + p * seq + 1: b * streams + p * seq + seq + 1] for b in range(batch)], dim=1).unsqueeze(-1)
        output, state = rnn(x, state)
        state = tuple(s.detach() for s in state)
        loss = nn.functional.mse_loss(head(output), y)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(parameters, CLIP)
        optimizer.step()
    seconds = time.perf_counter() - start
    series = {"lag": SEASON, "mean": [mean.item()], "std": [std.item()], "columns": ["co2"]}
    history = [[v] for v in values[: n - HELD_OUT]]
    predicted = forecast(rnn.double().eval(), head.double().eval(), series, history, HELD_OUT)
    return {"threads": threads, "steps": steps, "rmse": rmse(predicted, values[n - HELD_OUT:]),
            "seconds": round(seconds, 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charlstm", default=DEFAULT_CHARLSTM)
    parser.add_argument("--threads", type=int, default=2, help="threads of every run but the 1-thread timing")
    parser.add_argument("--no-pytorch", action="store_true", help="charlstm's figures only")
    parser.add_argument("--quick", action="store_true", help="one run of 200 steps, no PyTorch, nothing recorded")
    parser.add_argument("--record", action="store_true", help="write benchmarks/results/series-<machine>.json")
    args = parser.parse_args()
    if args.record and args.quick:
        sys.exit("error: --record measures the README's commands as written, not --quick")
    values = values_with_gaps_filled()
    history, actual = values[:-HELD_OUT], values[-HELD_OUT:]
    baselines = {"naive": rmse([history[-1]] * HELD_OUT, actual),
                 "seasonal_naive": rmse([history[len(history) - SEASON + k % SEASON] for k in range(HELD_OUT)], actual)}
    print(json.dumps(baselines), flush=True)
    extra = ["--steps", "200"] if args.quick else []
    runs = []
    for difference, seed in RUNS[:1] if args.quick else RUNS:
        print(f"charlstm --difference {difference} --seed {seed or 'default'} ...", file=sys.stderr, flush=True)
        plot = PLOT if args.record and not runs else None
        runs.append(charlstm_run(args.charlstm, difference, seed, args.threads, extra, plot))
        print(json.dumps(runs[-1]), flush=True)
    one_thread = charlstm_run(args.charlstm, RUNS[0][0], RUNS[0][1], 1, extra)
    print(json.dumps(one_thread), flush=True)
    pytorch, pytorch_version = [], None
    if not (args.no_pytorch or args.quick):
        import torch
        pytorch_version = torch.__version__
        for threads in (1, 2):
            print(f"PyTorch, {threads} thread(s) ...", file=sys.stderr, flush=True)
            pytorch.append(train_pytorch(values, threads, runs[0]["settings"], runs[0]["steps"]))
            print(json.dumps(pytorch[-1]), flush=True)
    if args.record:
        from render_tables import help_series_defaults
        record("series", {"help_series_defaults": help_series_defaults(args.charlstm), "data": DATA, "held_out": HELD_OUT, "season": SEASON, "baselines": baselines,
                          "commands": {"train": " ".join(["charlstm", *TRAIN]), "eval": " ".join(["charlstm", *EVAL]),
                                       "forecast": " ".join(["charlstm", *FORECAST])},
                          "charlstm": runs, "charlstm_one_thread": one_thread, "pytorch": pytorch},
               pytorch_version=pytorch_version)


if __name__ == "__main__":
    main()
