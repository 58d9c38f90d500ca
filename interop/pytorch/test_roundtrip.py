"""Round-trip tests between charlstm and PyTorch (pytest, or `python3 test_roundtrip.py [pytest options]`).

Without PyTorch every test is skipped with the reason. Without a binary only the Python side runs: save/load
round trip, format layout (cross-checked with the `safetensors` package), checksum and atomic-write rules, and a
1-rank vs 2-rank `torchrun` continuation. With `CHARLSTM=path/to/charlstm` (default: .build/release/charlstm at
the repository root) it also checks that checkpoints written by `save_charlstm` pass `charlstm info`, `eval` and
`train --resume`, and runs the round trip: `charlstm train` a tiny model -> PyTorch's bits/char on a text equals
`charlstm eval --json` within 1e-4 -> `torchrun --nproc-per-node 2 train_ddp.py` (gloo) continues it -> both
sides again agree within 1e-4, and agree with `charlstm train --resume` over the same steps -> `charlstm
generate`, `info` and `train --resume` (appending to the DDP run's metrics.csv) accept the result.
Not part of `.ci/run`; about a minute on 2 cores.
"""

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install -r interop/pytorch/requirements.txt")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from charlstm_io import (CheckpointError, load_charlstm, parameter_shapes, rng_state_for_seed,  # noqa: E402
                         save_charlstm)
from data import (Batches, encode, evaluate_continuous, read_corpus, split, token_file,  # noqa: E402
                  validation_batches, vocabulary_of)
from model import CharModel  # noqa: E402

REPO = HERE.parents[1]
CHARLSTM = os.environ.get("CHARLSTM", str(REPO / ".build" / "release" / "charlstm"))
needs_charlstm = pytest.mark.skipif(not Path(CHARLSTM).exists(),
                                    reason=f"no charlstm binary at {CHARLSTM} (set CHARLSTM=path)")
needs_torchrun = pytest.mark.skipif(shutil.which("torchrun") is None, reason="torchrun is not on PATH")

TEXT = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n" * 40


def tiny_checkpoint(path: Path, cell: str = "lstm", corpus: str = "c.txt", best_val_bpc: float | None = 3.5,
                    batch_size: int = 4, seq_length: int = 8):
    """Saves a small trained-looking checkpoint (2 Adam steps, carried state) and returns its pieces."""
    torch.manual_seed(0)
    vocabulary = vocabulary_of(TEXT)
    model = CharModel(cell, len(vocabulary), 8, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    x = torch.randint(0, len(vocabulary), (seq_length, batch_size))
    for _ in range(2):
        logits, state = model(x)
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(logits.reshape(-1, len(vocabulary)), x.reshape(-1)).backward()
        optimizer.step()
    training = {"seq_length": seq_length, "batch_size": batch_size, "learning_rate": 0.01,
                "learning_rate_decay": 0.97, "decay_after": 10, "weight_decay": 0, "clip": 5, "val_fraction": 0.05,
                "seed": 1234, "corpus": corpus, "adam_step": 0}
    save_charlstm(path, model, vocabulary, model.config(), training, optimizer, state, step=2, epoch=0,
                  data_position=2, best_val_bpc=best_val_bpc, val_bpc=3.75)
    return model, optimizer, state, vocabulary, training


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_save_load_round_trip(tmp_path, cell):
    path = tmp_path / "model.safetensors"
    model, optimizer, state, vocabulary, training = tiny_checkpoint(path, cell)
    model_state, extra = load_charlstm(path)
    assert set(model_state) == set(parameter_shapes(model.config()))
    for name, parameter in model.named_parameters():
        assert torch.equal(model_state[name], parameter.detach())
        assert torch.equal(extra["optimizer"]["exp_avg"][name], optimizer.state[parameter]["exp_avg"])
        assert torch.equal(extra["optimizer"]["exp_avg_sq"][name], optimizer.state[parameter]["exp_avg_sq"])
    h = state[0] if cell == "lstm" else state
    assert torch.equal(extra["state"]["h"], h.detach())
    assert ("c" in extra["state"]) == (cell == "lstm")
    assert extra["vocabulary"] == vocabulary and extra["config"] == model.config()
    assert extra["training"] == dict(training, adam_step=2)
    assert (extra["step"], extra["epoch"], extra["data_position"]) == (2, 0, 2)
    assert (extra["best_val_bpc"], extra["val_bpc"]) == (3.5, 3.75)
    assert extra["rng_state"] == rng_state_for_seed(1234) and extra["metadata"]["cell"] == cell


def test_layout_matches_the_format(tmp_path):
    from safetensors import safe_open

    path = tmp_path / "model.safetensors"
    tiny_checkpoint(path)
    content = path.read_bytes()
    (length,) = struct.unpack("<Q", content[:8])
    assert length % 8 == 0 and content[8 + length - 1:8 + length] in (b" ", b"}")
    header = json.loads(content[8:8 + length])
    names = sorted(n for n in header if n != "__metadata__")
    offsets = [header[n]["data_offsets"] for n in names]
    assert offsets[0][0] == 0 and offsets[-1][1] == len(content) - 8 - length
    assert all(a[1] == b[0] for a, b in zip(offsets, offsets[1:])) and all(header[n]["dtype"] == "F32" for n in names)
    ours, _ = load_charlstm(path)
    with safe_open(str(path), framework="pt") as reference:  # an independent reader agrees
        assert reference.metadata()["format"] == "charlstm"
        for name in ours:
            assert torch.equal(reference.get_tensor(name), ours[name])


def test_rng_state_is_splitmix64_seeding():
    # SplitMix64 from seed 0 starts 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4 (reference implementation by Vigna).
    assert rng_state_for_seed(0).split(",")[:2] == ["e220a8397b1dcdaf", "6e789e6aa1b965f4"]


def test_corrupted_data_is_rejected(tmp_path):
    path = tmp_path / "model.safetensors"
    tiny_checkpoint(path)
    content = bytearray(path.read_bytes())
    content[-3] ^= 0x01
    path.write_bytes(bytes(content))
    with pytest.raises(CheckpointError, match="checksum"):
        load_charlstm(path)


def test_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    tiny_checkpoint(path)
    before = path.read_bytes()

    def crash(*_):
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        tiny_checkpoint(path, cell="gru")
    assert path.read_bytes() == before and os.listdir(tmp_path) == [path.name]


def python_eval(checkpoint: Path, text_path: Path) -> tuple[float, float]:
    """(bits/char, accuracy) of a checkpoint on a text as `charlstm eval` computes them: one continuous pass."""
    model_state, extra = load_charlstm(checkpoint)
    model = CharModel.from_config(extra["config"])
    model.load_state_dict(model_state)
    bpc, accuracy, _ = evaluate_continuous(model, encode(read_corpus(text_path), extra["vocabulary"]))
    return bpc, accuracy


def torchrun(nproc: int, checkpoint: Path, corpus: Path, out: Path, steps: int, eval_every: int = 1000) -> str:
    """Runs train_ddp.py on `nproc` CPU processes (gloo) up to step `steps` (total); returns its output."""
    result = subprocess.run(["torchrun", "--nproc-per-node", str(nproc), str(HERE / "train_ddp.py"),
                             "--checkpoint", str(checkpoint), "--corpus", str(corpus), "--steps", str(steps),
                             "--out", str(out), "--eval-every", str(eval_every)],
                            capture_output=True, text=True, env=dict(os.environ, CUDA_VISIBLE_DEVICES=""))
    assert result.returncode == 0, f"torchrun failed ({result.returncode}):\n{result.stdout}\n{result.stderr[-3000:]}"
    return result.stdout


@needs_torchrun
def test_two_and_three_ranks_train_like_one(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT)
    start = tmp_path / "start.safetensors"
    tiny_checkpoint(start, corpus=str(corpus), best_val_bpc=None)  # at step 2, 4 streams
    torchrun(1, start, corpus, tmp_path / "one", 8)  # --steps is the total: 6 more
    torchrun(2, start, corpus, tmp_path / "two", 8)
    torchrun(3, start, corpus, tmp_path / "three", 8)  # uneven shards: 2, 1 and 1 streams
    one, one_extra = load_charlstm(tmp_path / "one" / "latest.safetensors")
    assert one_extra["step"] == one_extra["training"]["adam_step"] == 8
    for ranks in ("two", "three"):
        other, other_extra = load_charlstm(tmp_path / ranks / "latest.safetensors")
        assert other_extra["step"] == 8
        for name in one:
            torch.testing.assert_close(one[name], other[name], rtol=1e-4, atol=1e-5)
        for name in ("h", "c"):
            torch.testing.assert_close(one_extra["state"][name], other_extra["state"][name], rtol=1e-4, atol=1e-5)
    assert (tmp_path / "two" / "best.safetensors").exists() and (tmp_path / "two" / "metrics.csv").exists()
    assert "nothing to do" in torchrun(1, tmp_path / "two" / "latest.safetensors", corpus, tmp_path / "four", 8)
    assert not (tmp_path / "four").exists()


# ---------------------------------------------------------------------------------------------------------------
# With the charlstm binary


def charlstm(*arguments: str) -> str:
    result = subprocess.run([CHARLSTM, *arguments], capture_output=True, text=True)
    assert result.returncode == 0, f"charlstm {' '.join(arguments)} failed ({result.returncode}): {result.stderr}"
    return result.stdout


def charlstm_eval(checkpoint: Path, text_path: Path) -> tuple[float, float]:
    """(bits/char, accuracy) from `charlstm eval FILE --checkpoint PATH --json`."""
    result = json.loads(charlstm("eval", str(text_path), "--checkpoint", str(checkpoint), "--json"))
    assert result["chars"] == len(read_corpus(text_path))
    return result["bits_per_char"], result["accuracy"]


def assert_same_eval(checkpoint: Path, text_path: Path) -> float:
    """PyTorch and `charlstm eval` agree on the bits/char (1e-4) and accuracy of a checkpoint; returns the bpc."""
    (ours, our_accuracy), (theirs, their_accuracy) = charlstm_eval(checkpoint, text_path), python_eval(checkpoint,
                                                                                                       text_path)
    assert abs(ours - theirs) < 1e-4, f"charlstm eval {ours} vs PyTorch {theirs} bits/char"
    assert abs(our_accuracy - their_accuracy) < 2e-3
    return ours


def test_token_file_is_the_encoded_corpus_and_is_rebuilt_when_the_corpus_changes(tmp_path):
    text = "\ufeff" + TEXT + "Zoë and 中文 😀\n"
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(text.encode("utf-8"))
    vocabulary = vocabulary_of(read_corpus(corpus))
    expected = encode(read_corpus(corpus), vocabulary)
    tokens = token_file(corpus, vocabulary, tmp_path, chunk=61)  # chunks cut multi-byte characters
    assert tokens.dtype == np.uint8 and np.array_equal(np.asarray(tokens, dtype=np.int64), expected.numpy())
    built = (tmp_path / "tokens.bin").stat().st_mtime_ns
    assert np.array_equal(token_file(corpus, vocabulary, tmp_path), tokens)
    assert (tmp_path / "tokens.bin").stat().st_mtime_ns == built  # reused: same size, digest and vocabulary
    # Same length, two characters swapped: the digest differs and the file is rebuilt.
    swapped = TEXT[1] + TEXT[0] + TEXT[2:] + "Zoë and 中文 😀\n"
    corpus.write_bytes(swapped.encode("utf-8"))
    rebuilt = token_file(corpus, vocabulary, tmp_path)
    assert np.array_equal(np.asarray(rebuilt, dtype=np.int64), encode(swapped, vocabulary).numpy())
    # Batches read from the memory map are those of the tensor, for a shard of the streams too.
    train, val = split(rebuilt, 0.05)
    train_tensor, val_tensor = split(encode(swapped, vocabulary), 0.05)
    for streams in (None, [1, 3]):
        mapped, tensor = Batches(train, 4, 8, streams=streams), Batches(train_tensor, 4, 8, streams=streams)
        for p in (0, 1, mapped.steps_per_epoch - 1):
            assert all(torch.equal(a, b) and a.dtype == torch.int64 for a, b in zip(mapped[p], tensor[p]))
    assert torch.equal(validation_batches(val, 4, 8, limit=50)[0][0], validation_batches(val_tensor[:50], 4, 8)[0][0])
    with pytest.raises(ValueError):
        token_file(corpus, vocabulary[:-1], tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.txt", "tokens.bin"]  # no partial file left


@needs_charlstm
def test_checkpoints_from_save_charlstm_pass_charlstm(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT)
    trained = tmp_path / "trained.safetensors"
    model, _, _, vocabulary, _ = tiny_checkpoint(trained, corpus=str(corpus))
    model_only = tmp_path / "model.safetensors"
    save_charlstm(model_only, model, vocabulary, model.config())
    assert "step 2" in charlstm("info", str(trained)) and "no training state" in charlstm("info", str(model_only))
    assert load_charlstm(model_only)[1]["training"] is None
    assert assert_same_eval(trained, corpus) == assert_same_eval(model_only, corpus)
    charlstm("train", str(corpus), "--resume", str(trained), "--steps", "5", "--out", str(tmp_path / "resumed"))
    assert load_charlstm(tmp_path / "resumed" / "latest.safetensors")[1]["step"] == 5


@needs_charlstm
@needs_torchrun
def test_charlstm_and_pytorch_round_trip(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT)
    held_out = tmp_path / "held_out.txt"
    held_out.write_text(split(TEXT, 0.05)[1])
    run = tmp_path / "run"
    charlstm("train", str(corpus), "--layers", "2", "--hidden", "16", "--batch-size", "4", "--seq-length", "16",
             "--steps", "30", "--eval-every", "10", "--out", str(run), "--force", "--threads", "1")
    trained = run / "latest.safetensors"
    _, start = load_charlstm(trained)
    assert start["step"] == 30 and start["state"]["h"].shape == (2, 4, 16)
    assert_same_eval(trained, held_out)

    continued = tmp_path / "ddp"
    torchrun(2, trained, corpus, continued, 40, eval_every=5)  # --steps is the total: 10 more
    result = continued / "latest.safetensors"
    _, extra = load_charlstm(result)
    assert (extra["step"], extra["training"]["adam_step"], extra["data_position"]) == (40, 40, 40)
    ddp_bpc = assert_same_eval(result, held_out)
    assert ddp_bpc < assert_same_eval(trained, held_out)
    # charlstm continuing the same checkpoint over the same steps lands in the same place.
    charlstm("train", str(corpus), "--resume", str(trained), "--steps", "40", "--out", str(tmp_path / "swift"),
             "--threads", "1")
    assert abs(charlstm_eval(tmp_path / "swift" / "latest.safetensors", held_out)[0] - ddp_bpc) < 1e-3

    assert "step 40" in charlstm("info", str(result))
    text = charlstm("generate", "--checkpoint", str(result), "--length", "200", "--seed", "7")
    assert set(text.rstrip("\n")) <= set(extra["vocabulary"]) and len(text) >= 200

    # Resume in the DDP folder itself: charlstm appends to the metrics.csv that train_ddp.py wrote.
    charlstm("train", str(corpus), "--resume", str(continued), "--steps", "50", "--eval-every", "5", "--threads", "1")
    _, resumed = load_charlstm(result)
    assert resumed["step"] == 50
    steps = [int(line.split(",")[0]) for line in (continued / "metrics.csv").read_text().splitlines()[1:]]
    assert steps == [35, 40, 45, 50] and (continued / "loss.svg").exists()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, *sys.argv[1:]]))
