#!/usr/bin/env python3
"""Forecasts a numeric series in PyTorch with a CharLSTM series checkpoint (`charlstm train SERIES.csv --column NAME`).

The checkpoint's tensors load unchanged into `nn.LSTM`/`nn.GRU`/`nn.RNN(F, H, L)` + `nn.Linear(H, F)` (F = the
number of columns it reads); its `series` metadata gives the columns, the differencing lag and the standardisation.
This script reads the CSV the same way as `charlstm forecast` (no gaps; `--interpolate` is not repeated here),
runs the model in float64 from the zero state over the history, feeds each prediction back, and prints
`step,<column>` like `charlstm forecast --steps K`: the two agree to float32 precision.

    python3 interop/pytorch/series_forecast.py Checkpoints/sine/latest.safetensors sine.csv --steps 10
"""

import argparse
import csv
import json
import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from charlstm_io import decode_tensors, read_safetensors  # noqa: E402

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def load_series_model(path):
    """(recurrent layers, head, series metadata) of a series checkpoint, in float64."""
    header, data = read_safetensors(Path(path).read_bytes())
    metadata = header.pop("__metadata__")
    if "series" not in metadata:
        sys.exit(f"{path} holds a text model, not a series model")
    config, series = json.loads(metadata["config"]), json.loads(metadata["series"])
    tensors = decode_tensors(header, data, path)
    cell, width = config["cell"], int(config["vocab_size"])
    rnn = CELLS[cell](width, int(config["hidden"]), int(config["layers"])).double()
    head = nn.Linear(int(config["hidden"]), width).double()
    prefix = cell + "."
    rnn.load_state_dict({n[len(prefix):]: t.double() for n, t in tensors.items() if n.startswith(prefix)}, strict=True)
    head.load_state_dict({n[len("decoder."):]: t.double() for n, t in tensors.items() if n.startswith("decoder.")}, strict=True)
    return rnn.eval(), head.eval(), series


def forecast(rnn, head, series, rows: list[list[float]], steps: int) -> list[float]:
    """The next `steps` values of the first column after the history `rows` [n][F]."""
    lag, mean, std = int(series.get("lag", 0)), torch.tensor(series["mean"]), torch.tensor(series["std"])
    x = torch.tensor(rows, dtype=torch.float64)
    model_rows = x[lag:] - x[:-lag] if lag > 0 else x
    z = ((model_rows - mean) / std).to(torch.float32).double()  # as the Swift side reads them: Float
    values, out = x.clone(), []
    with torch.no_grad():
        output, state = rnn(z.unsqueeze(1))
        prediction = head(output[-1, 0])
        for _ in range(steps):
            change = prediction * std + mean
            row = change + (values[-lag] if lag > 0 else 0)
            values = torch.cat([values, row.unsqueeze(0)])
            out.append(row[0].item())
            output, state = rnn(prediction.to(torch.float32).double().view(1, 1, -1), state)
            prediction = head(output[-1, 0])
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint")
    parser.add_argument("series", help="a CSV file with a header row holding the model's columns")
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    rnn, head, series = load_series_model(args.checkpoint)
    with open(args.series, newline="") as f:
        table = list(csv.DictReader(f))
    rows = [[float(r[c]) for c in series["columns"]] for r in table]
    print(f"step,{series['columns'][0]}")
    for k, value in enumerate(forecast(rnn, head, series, rows, args.steps), start=1):
        print(f"{k},{value}")


if __name__ == "__main__":
    main()
