"""PyTorch's forecast of a CharLSTM series checkpoint (`series_forecast.py`) against `charlstm forecast` (pytest).

Skipped with the reason when PyTorch or the binary is missing. For lags 0, 1 and a season, with and without an
input column, on a 2-layer model trained a few steps: the two forecasts agree within 1e-4 (relative) at every
one of 24 steps. Run with the round-trip test: `CHARLSTM=.build/release/charlstm python3 -m pytest -q interop/pytorch`.
"""

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="PyTorch is not installed: pip install -r interop/pytorch/requirements.txt")

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CHARLSTM = os.environ.get("CHARLSTM", str(REPO / ".build" / "release" / "charlstm"))
needs_charlstm = pytest.mark.skipif(not Path(CHARLSTM).exists(), reason=f"no charlstm binary at {CHARLSTM} (set CHARLSTM=path)")


def write_series(path, rows=240):
    """A seasonal series with a trend, `y`, and an input `u` that leads it."""
    with open(path, "w") as f:
        f.write("t,y,u\n")
        for t in range(rows):
            u = math.cos(t / 3)
            f.write(f"{t},{0.05 * t + math.sin(2 * math.pi * t / 12) + 0.3 * u},{u}\n")


def forecast_csv(text):
    """The values of `step,<column>` CSV output."""
    lines = text.strip().splitlines()
    assert lines[0].startswith("step,")
    return [float(line.split(",")[1]) for line in lines[1:]]


@needs_charlstm
@pytest.mark.parametrize("lag,with_input", [(0, False), (1, False), (12, False), (12, True)])
def test_pytorch_forecast_equals_charlstm_forecast(tmp_path, lag, with_input):
    data = tmp_path / "series.csv"
    write_series(data)
    run = tmp_path / "run"
    train = [CHARLSTM, "train", str(data), "--column", "y", "--out", str(run), "--steps", "20", "--hidden", "8",
             "--layers", "2", "--threads", "1", "--learning-rate", "0.01"]
    train += ["--difference", str(lag)] if lag else []
    train += ["--inputs", "u"] if with_input else []
    subprocess.run(train, check=True, capture_output=True, text=True)
    checkpoint = run / "latest.safetensors"
    ours = subprocess.run([CHARLSTM, "forecast", str(data), "--checkpoint", str(checkpoint), "--steps", "24"],
                          check=True, capture_output=True, text=True).stdout
    theirs = subprocess.run([sys.executable, str(HERE / "series_forecast.py"), str(checkpoint), str(data), "--steps", "24"],
                            check=True, capture_output=True, text=True).stdout
    a, b = forecast_csv(ours), forecast_csv(theirs)
    assert len(a) == len(b) == 24
    for k, (x, y) in enumerate(zip(a, b), start=1):
        assert abs(x - y) <= 1e-4 * max(1.0, abs(y)), f"step {k}: charlstm {x}, PyTorch {y}"
