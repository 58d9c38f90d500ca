"""What the benchmark scripts share: paths, the S/M/L configurations, the result keys and the Markdown table."""

import math
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "tinyshakespeare.txt"
sys.path.insert(0, str(REPO / "interop" / "pytorch"))

# name -> (layers, hidden, seq_length, batch_size)
CONFIGS = {"S": (2, 128, 50, 50), "M": (2, 512, 100, 64), "L": (3, 512, 100, 64)}

# The keys of one benchmark JSON line, shared with `charlstm bench --json` (which adds train_gflops, peak_gflops).
RESULT_KEYS = ["impl", "config", "cell", "layers", "hidden", "seq_length", "batch_size", "dropout", "threads",
               "train_chars_per_sec", "generate_chars_per_sec", "peak_rss_mib"]


# charlstm's training recipe beyond the model and batching, for the PyTorch side of a like-for-like comparison
# (Sources/CharLSTM/Training/LearningRateSchedule.swift, CellKind.forgetGate, CharModel.setDecoderBiasToFrequencies):
# its default schedule and warm-up; the two initialisations are below.
SCHEDULE, WARMUP, DECAY_SHARE = "stable-decay", 20, 0.2


def schedule_factor(shape: str, warmup: int, steps_done: int, progress) -> float:
    """charlstm's LearningRateSchedule.factor: linear warm-up over `warmup` steps, then a decay to zero at the end
    of the budget (`progress` = share spent, None = no end)."""
    factor = min(1.0, (steps_done + 1) / warmup) if warmup > 0 else 1.0
    if progress is None or shape == "constant":
        return factor
    p = min(1.0, max(0.0, progress))
    if shape == "cosine":
        return factor * 0.5 * (1 + math.cos(math.pi * p))
    if shape == "stable-decay":
        return factor * min(1.0, (1 - p) / DECAY_SHARE)
    return factor * (1 - p)


def set_forget_gate_bias(model) -> None:
    """charlstm's LSTM initialisation: the forget gate's bias starts at 1 (bias_ih 1, bias_hh 0 in gate block 1)."""
    import torch
    if model.cell != "lstm":
        return
    h = model.hidden
    with torch.no_grad():
        for k in range(model.layers):
            getattr(model.recurrent, f"bias_ih_l{k}")[h:2 * h] = 1.0
            getattr(model.recurrent, f"bias_hh_l{k}")[h:2 * h] = 0.0


def set_decoder_bias_to_frequencies(model, tokens) -> None:
    """charlstm's initialisation of a new run's decoder bias: the log of each character's add-one smoothed
    frequency in the training tokens, centred on zero."""
    import torch
    counts = torch.bincount(torch.as_tensor(tokens, dtype=torch.int64), minlength=model.vocab_size).double() + 1
    logs = torch.log(counts / counts.sum())
    with torch.no_grad():
        model.decoder.bias.copy_((logs - logs.mean()).float())


def config_names(choice: str) -> list[str]:
    return list(CONFIGS) if choice == "all" else [choice]


def markdown_table(header: list[str], rows: list[list]) -> str:
    """A Markdown table; floats are printed with thousands separators and no decimals, or 2 decimals below 100."""
    def cell(v):
        if isinstance(v, float):
            return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}"
        return str(v)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or 'unknown')."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"
