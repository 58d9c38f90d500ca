"""CharLSTM's data and training semantics in PyTorch: vocabulary, split, char-rnn batching, evaluation, schedule.

Shared by the benchmarks, the learning-curve check and `train_ddp.py`, so that there is one definition of
how CharLSTM cuts a corpus into batches.
"""

import codecs
import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from model import CharModel, detach_state


def read_corpus(path, limit: int | None = None) -> str:
    """The corpus as text (UTF-8 without a leading byte-order mark, as charlstm reads it; newlines untouched),
    optionally only its first `limit` characters."""
    text = Path(path).read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    return text if limit is None else text[:limit]


def vocabulary_of(text: str) -> list[str]:
    """The distinct code points of `text`, ascending; a character's index is its position."""
    return sorted(set(text))


def encode(text: str, vocabulary: list[str], table: np.ndarray | None = None) -> torch.Tensor:
    """`text` as an int64 tensor of vocabulary indices; raises if a character is not in the vocabulary.
    `table` is the vocabulary's code points as uint32, when the caller has it already."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    if table is None:
        table = np.array([ord(c) for c in vocabulary], dtype=np.uint32)
    indices = np.searchsorted(table, points)
    if len(points) and (indices.max() >= len(table) or not np.array_equal(table[indices], points)):
        raise ValueError("the text has characters outside the vocabulary")
    return torch.from_numpy(indices.astype(np.int64))


def corpus_digest(path, chunk: int = 1 << 24) -> tuple[int, str]:
    """(size in bytes, BLAKE2b-128 hex digest) of a file, read in chunks: what a token file is checked against."""
    digest, size = hashlib.blake2b(digest_size=16), 0
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def token_file(corpus, vocabulary: list[str], folder, chunk: int = 1 << 22) -> np.memmap:
    """The corpus as a read-only memory-mapped array of vocabulary indices (uint8 for up to 256 characters, else
    uint16), cached as `folder/tokens.bin` with `folder/tokens.json` naming the corpus size, its BLAKE2b digest and
    the vocabulary. A cache is used only when all three match (the corpus is hashed on every call, ~1 s per GB);
    otherwise it is rebuilt in one chunked pass, so neither building nor using it holds the text in memory. The
    pages of the mapping are the kernel's to drop: they count as file pages, not anonymous memory. Raises
    UnicodeDecodeError for invalid UTF-8 and ValueError for characters outside the vocabulary."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    size, digest = corpus_digest(corpus)
    dtype = np.dtype(np.uint8 if len(vocabulary) <= 256 else np.uint16)
    key = {"version": 1, "corpus_bytes": size, "corpus_blake2b": digest, "vocabulary": "".join(vocabulary),
           "dtype": dtype.name}
    tokens, meta = folder / "tokens.bin", folder / "tokens.json"
    try:
        found = json.loads(meta.read_text())
        count = int(found.pop("count"))
        if found == key and tokens.stat().st_size == count * dtype.itemsize:
            return np.memmap(tokens, dtype=dtype, mode="r", shape=(count,))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    meta.unlink(missing_ok=True)  # no description of a token file that is being replaced
    table = np.array([ord(c) for c in vocabulary], dtype=np.uint32)
    decoder, count, first = codecs.getincrementaldecoder("utf-8")("strict"), 0, True
    partial = folder / f".tokens.bin.{os.getpid()}.tmp"
    try:
        with open(corpus, "rb") as source, open(partial, "wb") as out:
            while True:
                block = source.read(chunk)
                text = decoder.decode(block, final=not block)
                if first and text:
                    text, first = text.removeprefix("\ufeff"), False  # a byte-order mark, as read_corpus drops it
                if text:
                    indices = encode(text, vocabulary, table).numpy().astype(dtype)
                    out.write(indices.tobytes())
                    count += len(indices)
                if not block:
                    break
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, tokens)
    finally:
        partial.unlink(missing_ok=True)
    partial_meta = folder / f".tokens.json.{os.getpid()}.tmp"
    partial_meta.write_text(json.dumps({**key, "count": count}))
    os.replace(partial_meta, meta)
    return np.memmap(tokens, dtype=dtype, mode="r", shape=(count,))


def split(data, val_fraction: float):
    """(train, validation): the last `int(N * val_fraction)` characters are validation."""
    cut = len(data) - int(len(data) * val_fraction)
    return data[:cut], data[cut:]


class Batches:
    """char-rnn batching: `batch_size` streams of `S = (len(data) - 1) // batch_size` characters each.

    Batch p (0-based) holds, for every stream b, the inputs `data[b*S + p*T : b*S + p*T + T]` and the targets one
    character later, time-major as [T, B]. `streams` selects a subset of the streams (a DDP rank's shard).
    `data` is a tensor, or a numpy array such as `token_file`'s memory map: then only each batch is copied out of
    it (as int64, onto `device`), never the text.
    """

    def __init__(self, data, batch_size: int, seq_length: int, streams=None, device=None):
        self.batch_size, self.seq_length = batch_size, seq_length
        self.stream_length = (len(data) - 1) // batch_size
        self.steps_per_epoch = self.stream_length // seq_length
        if self.steps_per_epoch == 0:
            raise ValueError(f"{len(data)} characters are too few for {batch_size} streams of {seq_length}")
        used = batch_size * self.stream_length
        self.inputs = data[:used].reshape(batch_size, self.stream_length)  # views, also of a memory map
        self.targets = data[1:used + 1].reshape(batch_size, self.stream_length)
        self.streams, self.device = streams, device

    def _take(self, rows, window) -> torch.Tensor:
        part = rows[:, window] if self.streams is None else rows[:, window][self.streams]
        if isinstance(part, np.ndarray):
            part = torch.from_numpy(np.array(part, dtype=np.int64))
        part = part.t().contiguous()
        return part if self.device is None else part.to(self.device)

    def __getitem__(self, p: int):
        """(inputs, targets) of batch p, each [T, B] int64."""
        window = slice(p * self.seq_length, (p + 1) * self.seq_length)
        return self._take(self.inputs, window), self._take(self.targets, window)


VAL_CHARS = 300_000
"""charlstm's default `--val-chars`: the most validation characters a periodic validation reads."""


def validation_batches(data, batch_size: int, seq_length: int, limit: int = 0, device=None) -> Batches | None:
    """The validation text cut as charlstm's `evaluateStreams` cuts it during training: its first `limit`
    characters (all when 0, as `--val-chars`), as `min(B, (n - 1) // T)` streams of chunks of T, or one stream of
    one chunk of n - 1 when the text is shorter than T + 1; None below 2 characters (nothing to predict)."""
    if limit > 0:
        data = data[:limit]
    if len(data) < 2:
        return None
    streams = min(batch_size, (len(data) - 1) // seq_length)
    return (Batches(data, streams, seq_length, device=device) if streams > 0
            else Batches(data, 1, len(data) - 1, device=device))


@torch.no_grad()
def evaluate_bpc(model: CharModel, batches: Batches) -> float:
    """Mean bits per character over every predicted position, state carried from zero, dropout off."""
    was_training = model.training
    model.eval()
    state, nats, count = None, 0.0, 0
    for p in range(batches.steps_per_epoch):
        x, y = batches[p]
        logits, state = model(x, state)
        nats += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
        count += y.numel()
    model.train(was_training)
    return nats / count / math.log(2)


@torch.no_grad()
def evaluate_continuous(model: CharModel, data: torch.Tensor, chunk: int = 4096) -> tuple[float, float, int]:
    """What `charlstm eval` reports: (bits/char, accuracy, predictions) of `data` read in ONE continuous pass
    from a zero state (batch 1, state carried through the whole text, predicting characters 2..n, dropout off).
    `chunk` only sets how many steps each forward call runs."""
    if len(data) < 2:
        raise ValueError(f"{len(data)} characters: at least 2 are needed to predict one")
    was_training = model.training
    model.eval()
    state, nats, correct = None, 0.0, 0
    for start in range(0, len(data) - 1, chunk):
        end = min(start + chunk, len(data) - 1)
        x, y = data[start:end].view(-1, 1), data[start + 1:end + 1].view(-1, 1)
        logits, state = model(x, state)
        logits = logits.reshape(-1, logits.shape[-1])
        nats += F.cross_entropy(logits.double(), y.reshape(-1), reduction="sum").item()
        correct += (logits.argmax(dim=-1) == y.reshape(-1)).sum().item()
    model.train(was_training)
    count = len(data) - 1
    return nats / count / math.log(2), correct / count, count


def train_step(model, optimizer, x, y, state, clip: float, loss_scale: float = 1.0):
    """One step: mean cross-entropy (nats), backward, clip the total gradient norm to `clip` (0 = off), Adam step.

    Returns (loss in nats, pre-clip gradient norm, detached new state). `loss_scale` multiplies the loss before
    backward (a DDP rank's share of the global mean); the returned loss is unscaled.
    """
    logits, state = model(x, state)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    optimizer.zero_grad(set_to_none=True)
    (loss * loss_scale).backward()
    params = [p for p in model.parameters() if p.grad is not None]
    if clip > 0:
        norm = torch.nn.utils.clip_grad_norm_(params, clip)
    else:
        norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params]))
    optimizer.step()
    return loss.item(), norm.item(), detach_state(state)


def learning_rate(initial: float, decay: float, decay_after: float, completed_epochs: int) -> float:
    """char-rnn's schedule: after each completed epoch e (1, 2, ...) with e >= decay_after, lr *= decay."""
    decays = sum(1 for e in range(1, completed_epochs + 1) if e >= decay_after)
    return initial * decay ** decays


class Trainer:
    """Walks the training batches in order, carrying the state and applying char-rnn's learning-rate schedule.

    `position` is the next batch index within the epoch, `epoch` the number of completed epochs and `step` the
    number of optimizer steps done (the checkpoint's `data_position`, `epoch` and `step`). The carried state is
    reset to zeros (None) when an epoch begins.
    """

    def __init__(self, model, optimizer, batches: Batches, clip: float, learning_rate: float = 2e-3,
                 learning_rate_decay: float = 1.0, decay_after: float = 0.0, loss_scale: float = 1.0,
                 step: int = 0, epoch: int = 0, position: int = 0, state=None):
        self.model, self.optimizer, self.batches, self.clip = model, optimizer, batches, clip
        self.initial_learning_rate, self.learning_rate_decay, self.decay_after = (
            learning_rate, learning_rate_decay, decay_after)
        self.loss_scale = loss_scale
        if not 0 <= position < batches.steps_per_epoch:
            raise ValueError(f"the checkpoint stopped at batch {position} of an epoch, but this corpus and batch "
                             f"shape give only {batches.steps_per_epoch} batches per epoch: continue on the corpus "
                             "the run was started on")
        self.step, self.epoch, self.position = step, epoch, position
        self.state = state if self.position else None
        self._set_learning_rate()

    @property
    def epoch_progress(self) -> float:
        """Fractional epochs done, as charlstm's metrics.csv `epoch` column."""
        return self.epoch + self.position / self.batches.steps_per_epoch

    @property
    def learning_rate(self) -> float:
        return learning_rate(self.initial_learning_rate, self.learning_rate_decay, self.decay_after, self.epoch)

    def _set_learning_rate(self):
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate

    def train_step(self) -> tuple[float, float]:
        """One optimizer step on the next batch; returns (loss in nats, pre-clip gradient norm)."""
        x, y = self.batches[self.position]
        loss, norm, self.state = train_step(self.model, self.optimizer, x, y, self.state, self.clip, self.loss_scale)
        self.step += 1
        self.position += 1
        if self.position == self.batches.steps_per_epoch:
            self.position, self.epoch, self.state = 0, self.epoch + 1, None
            self._set_learning_rate()
        return loss, norm
