"""Read and write CharLSTM checkpoints (format_version 1) from PyTorch.

A checkpoint is a safetensors file: an 8-byte little-endian header length N, N bytes of JSON header padded with
spaces to a multiple of 8, then the data section. Every tensor is little-endian F32, laid out contiguously in
sorted-name order. The header's `__metadata__` holds the vocabulary, model config, training settings and
progress, and `checksum` = "crc32:" + the 8 hex digits of zlib.crc32 of the whole data section.

    model_state, extra = load_charlstm("latest.safetensors")
    save_charlstm("out.safetensors", model, extra["vocabulary"], extra["config"], extra["training"],
                  optimizer, state, step=extra["step"], epoch=extra["epoch"])
"""

import json
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

FORMAT, FORMAT_VERSION = "charlstm", "1"
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
MOMENTS = ("exp_avg", "exp_avg_sq")


class CheckpointError(ValueError):
    """A file that is not a valid CharLSTM checkpoint (or values that cannot be written as one)."""


def parameter_shapes(config: dict) -> dict[str, tuple[int, ...]]:
    """The name and shape of every model tensor for a `config` ({"cell", "layers", "hidden", "vocab_size"})."""
    cell, layers = config["cell"], int(config["layers"])
    hidden, vocab = int(config["hidden"]), int(config["vocab_size"])
    if cell not in GATES:
        raise CheckpointError(f"unknown cell {cell!r}")
    rows = GATES[cell] * hidden
    shapes = {}
    for k in range(layers):
        shapes[f"{cell}.weight_ih_l{k}"] = (rows, vocab if k == 0 else hidden)
        shapes[f"{cell}.weight_hh_l{k}"] = (rows, hidden)
        shapes[f"{cell}.bias_ih_l{k}"] = (rows,)
        shapes[f"{cell}.bias_hh_l{k}"] = (rows,)
    shapes["decoder.weight"] = (vocab, hidden)
    shapes["decoder.bias"] = (vocab,)
    return shapes


def rng_state_for_seed(seed: int) -> str:
    """`RandomGenerator(seed:).stateString`: xoshiro256** state seeded by SplitMix64, as "w0,w1,w2,w3" hex."""
    mask, x, words = (1 << 64) - 1, seed & ((1 << 64) - 1), []
    for _ in range(4):
        x = (x + 0x9E3779B97F4A7C15) & mask
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        words.append(z ^ (z >> 31))
    return ",".join(format(w, "x") for w in words)


# ---------------------------------------------------------------------------------------------------------------
# Saving


def save_charlstm(path, model, vocabulary, config: dict, training: dict | None = None, optimizer=None, state=None, *,
                  step: int = 0, epoch: int = 0, data_position: int = 0, rng_state: str | None = None,
                  best_val_bpc: float | None = None, val_bpc: float | None = None,
                  elapsed_seconds: float | None = None) -> None:
    """Writes a CharLSTM checkpoint atomically (temp file in the same folder, fsync, os.replace).

    `model` is an nn.Module or a state dict with the format's tensor names; `config` its {"cell", "layers",
    "hidden", "vocab_size", "dropout"}. With `training` None the file is a model-only checkpoint (enough for
    `charlstm generate`, `eval`, `info`); with the training settings ({"seq_length", "batch_size",
    "learning_rate", "learning_rate_decay", "decay_after", "weight_decay", "clip", "val_fraction", "seed",
    "corpus", "adam_step"}) it is a training checkpoint that `charlstm train --resume` continues, and then:
    `optimizer` is a torch.optim.Adam over the model's parameters, or {"exp_avg": {name: tensor},
    "exp_avg_sq": {...}}, or None for zero moments; `training["adam_step"]` is taken from a torch optimizer.
    `state` is the carried state of all B = training["batch_size"] streams, h or (h, c) [L, B, H], or
    {"h": ..., "c": ...}, or None for zeros. `rng_state` defaults to `RandomGenerator(seed: training["seed"])`.
    `elapsed_seconds` is the training time behind the checkpoint (charlstm adds it up over resumes).
    """
    tensors = dict(model.state_dict() if isinstance(model, torch.nn.Module) else model)
    config = {"dropout": 0.0, **config}
    check_model(tensors, config, vocabulary)
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "cell": config["cell"],
        "vocabulary": json.dumps(list(vocabulary), ensure_ascii=False),
        "config": json.dumps(config),
    }
    if training is not None:
        training = {"adam_step": 0, **training}
        moments = optimizer_moments(model, optimizer) if optimizer is not None else {}
        if "step" in moments:
            training["adam_step"] = int(moments["step"])
        for kind in MOMENTS:
            for name, value in tensors.copy().items():
                if not name.startswith(("optimizer.", "state.")):
                    tensors[f"optimizer.{kind}.{name}"] = moments.get(kind, {}).get(name, torch.zeros_like(value))
        tensors.update(state_tensors(state, config, int(training["batch_size"])))
        metadata.update({
            "training": json.dumps(training, ensure_ascii=False),
            "step": str(int(step)),
            "epoch": str(int(epoch)),
            "data_position": str(int(data_position)),
            "rng_state": rng_state if rng_state is not None else rng_state_for_seed(int(training.get("seed", 1234))),
            "best_val_bpc": "" if best_val_bpc is None else repr(float(best_val_bpc)),
            "val_bpc": "" if val_bpc is None else repr(float(val_bpc)),
        })
        if elapsed_seconds is not None:
            metadata["elapsed_seconds"] = repr(float(elapsed_seconds))
    write_atomically(Path(path), safetensors_bytes(tensors, metadata))


def state_tensors(state, config: dict, batch_size: int) -> dict:
    """{"state.h": [L, B, H] (, "state.c")} from h, (h, c), {"h", "c"} or None (zeros); checks the shapes."""
    shape = (int(config["layers"]), batch_size, int(config["hidden"]))
    h, c = (state.get("h"), state.get("c")) if isinstance(state, dict) else (
        state if isinstance(state, tuple) else (state, None))
    tensors = {"state.h": torch.zeros(shape) if h is None else h}
    if config["cell"] == "lstm":
        tensors["state.c"] = torch.zeros(shape) if c is None and h is None else c
    for name, value in tensors.items():
        if value is None or tuple(value.shape) != shape:
            raise CheckpointError(f"{name} must have shape {shape} ([layers, batch_size, hidden]), "
                                  f"got {None if value is None else tuple(value.shape)}")
    return tensors


def check_model(tensors: dict, config: dict, vocabulary) -> None:
    """Raises CheckpointError unless the tensors, config and vocabulary describe one model."""
    if list(vocabulary) != sorted(set(vocabulary)) or any(len(c) != 1 for c in vocabulary):
        raise CheckpointError("the vocabulary must be distinct single characters in ascending order")
    if int(config["vocab_size"]) != len(vocabulary):
        raise CheckpointError(f"config vocab_size {config['vocab_size']} != {len(vocabulary)} vocabulary entries")
    expected = parameter_shapes(config)
    if set(tensors) != set(expected):
        raise CheckpointError(f"model tensors {sorted(tensors)} != expected {sorted(expected)}")
    for name, shape in expected.items():
        if tuple(tensors[name].shape) != shape:
            raise CheckpointError(f"{name} has shape {tuple(tensors[name].shape)}, expected {shape}")


def optimizer_moments(model, optimizer) -> dict:
    """{"exp_avg": {name: t}, "exp_avg_sq": {name: t}, "step": n} from a torch Adam (or such a dict as is)."""
    if isinstance(optimizer, dict):
        return optimizer
    if not isinstance(model, torch.nn.Module):
        raise CheckpointError("saving a torch optimizer needs the nn.Module (to name its parameters)")
    moments, step = {kind: {} for kind in MOMENTS}, 0
    for name, parameter in model.named_parameters():
        adam = optimizer.state.get(parameter, {})
        for kind in MOMENTS:
            moments[kind][name] = adam.get(kind, torch.zeros_like(parameter))
        step = max(step, int(adam.get("step", 0)))
    moments["step"] = step
    return moments


def safetensors_bytes(tensors: dict, metadata: dict[str, str]) -> bytes:
    """The safetensors file: F32 tensors contiguous in sorted-name order, header padded to 8, crc32 checksum."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name].detach().to("cpu", torch.float32).numpy(), dtype="<f4")
        chunk = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(chunk)]}
        chunks.append(chunk)
        offset += len(chunk)
    data = b"".join(chunks)
    metadata = dict(metadata, checksum=f"crc32:{zlib.crc32(data) & 0xFFFFFFFF:08x}")
    text = json.dumps({"__metadata__": metadata, **header}, ensure_ascii=False, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def write_atomically(path: Path, content: bytes) -> None:
    """Writes `content` to a temp file next to `path`, fsyncs it, renames it over `path` and fsyncs the folder."""
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(temporary, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


# ---------------------------------------------------------------------------------------------------------------
# Loading


def load_charlstm(path) -> tuple[dict[str, torch.Tensor], dict]:
    """Reads and verifies a CharLSTM checkpoint: (model state dict, extra).

    `extra` holds "vocabulary" (list of characters), "config" (dict) and the raw "metadata"; for a training
    checkpoint also "training" (dict), "step", "epoch", "data_position" (ints), "rng_state" (str),
    "best_val_bpc", "val_bpc", "elapsed_seconds" (float or None), "optimizer" ({"exp_avg": {name: t},
    "exp_avg_sq": {...}}) and "state" ({"h": t[, "c": t]} [L, B, H]). A model-only checkpoint (`charlstm
    export`) has None for all of those. Raises CheckpointError on anything the Swift reader rejects: format,
    version, checksum, layout, dtype, shapes, non-finite values, incomplete training state.
    """
    header, data = read_safetensors(Path(path).read_bytes())
    metadata = header.pop("__metadata__", None) or {}
    if metadata.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a CharLSTM checkpoint (format {metadata.get('format')!r})")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{path}: unsupported format_version {metadata.get('format_version')!r}")
    checksum = f"crc32:{zlib.crc32(data) & 0xFFFFFFFF:08x}"
    if metadata.get("checksum") != checksum:
        raise CheckpointError(f"{path}: checksum mismatch (stored {metadata.get('checksum')!r}, data {checksum})")
    tensors = decode_tensors(header, data, path)
    extra = dict.fromkeys(("training", "step", "epoch", "data_position", "rng_state", "best_val_bpc", "val_bpc",
                           "elapsed_seconds", "optimizer", "state"))
    try:
        vocabulary = json.loads(metadata["vocabulary"])
        config = json.loads(metadata["config"])
        extra.update(metadata=metadata, vocabulary=vocabulary, config=config)
        if "training" in metadata:
            extra.update(training=json.loads(metadata["training"]), step=int(metadata["step"]),
                         epoch=int(metadata["epoch"]), data_position=int(metadata["data_position"]),
                         rng_state=metadata["rng_state"],
                         best_val_bpc=optional_float(metadata.get("best_val_bpc", "")),
                         val_bpc=optional_float(metadata.get("val_bpc", "")),
                         elapsed_seconds=optional_float(metadata.get("elapsed_seconds", "")))
    except (KeyError, ValueError, TypeError) as error:
        raise CheckpointError(f"{path}: bad metadata: {error}") from error
    if config.get("cell") != metadata.get("cell"):
        raise CheckpointError(f"{path}: metadata cell {metadata.get('cell')!r} != config cell {config.get('cell')!r}")
    model_state = {n: t for n, t in tensors.items() if not n.startswith(("optimizer.", "state."))}
    check_model(model_state, config, vocabulary)
    if extra["training"] is None:
        return model_state, extra
    try:
        extra["optimizer"] = {kind: {n: tensors[f"optimizer.{kind}.{n}"] for n in model_state} for kind in MOMENTS}
    except KeyError as missing:
        raise CheckpointError(f"{path}: Adam moments incomplete, no {missing}") from None
    for kind in MOMENTS:
        for name, value in extra["optimizer"][kind].items():
            if value.shape != model_state[name].shape:
                raise CheckpointError(f"{path}: optimizer.{kind}.{name} has shape {tuple(value.shape)}")
    needed = ["state.h", "state.c"] if config["cell"] == "lstm" else ["state.h"]
    if any(name not in tensors for name in needed):
        raise CheckpointError(f"{path}: a training checkpoint needs {' and '.join(needed)}")
    try:
        extra["state"] = {k[len("state."):]: v for k, v in state_tensors(
            {k: tensors.get(f"state.{k}") for k in ("h", "c")}, config,
            int(extra["training"]["batch_size"])).items()}
    except (KeyError, ValueError, TypeError) as error:
        raise CheckpointError(f"{path}: {error}") from error
    return model_state, extra


def optional_float(text: str) -> float | None:
    return None if text == "" else float(text)


def read_safetensors(content: bytes) -> tuple[dict, bytes]:
    """(header dict, data section) of a safetensors file; checks the header's length and padding."""
    if len(content) < 8:
        raise CheckpointError("file too short for a safetensors header")
    (length,) = struct.unpack("<Q", content[:8])
    if length % 8 or 8 + length > len(content):
        raise CheckpointError(f"bad header length {length} for a {len(content)}-byte file")
    try:
        header = json.loads(content[8:8 + length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"bad header JSON: {error}") from error
    if not isinstance(header, dict):
        raise CheckpointError("the header is not a JSON object")
    return header, content[8 + length:]


def decode_tensors(header: dict, data: bytes, path) -> dict[str, torch.Tensor]:
    """The F32 tensors of a header, checking they tile the data section in sorted-name order."""
    tensors, offset = {}, 0
    for name in sorted(header):
        entry = header[name]
        shape, (begin, end) = entry.get("shape"), entry.get("data_offsets", (None, None))
        if entry.get("dtype") != "F32":
            raise CheckpointError(f"{path}: {name} has dtype {entry.get('dtype')!r}, expected F32")
        if begin != offset or end != begin + 4 * math.prod(shape):
            raise CheckpointError(f"{path}: {name} data_offsets {[begin, end]} break the contiguous layout")
        array = np.frombuffer(data, dtype="<f4", count=math.prod(shape), offset=begin).astype(np.float32)
        if not np.isfinite(array).all():
            raise CheckpointError(f"{path}: {name} holds NaN or infinite values")
        tensors[name] = torch.from_numpy(array.reshape(shape))
        offset = end
    if offset != len(data):
        raise CheckpointError(f"{path}: the data section has {len(data) - offset} bytes no tensor covers")
    return tensors
