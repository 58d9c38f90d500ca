#!/usr/bin/env python3
"""Continue training a CharLSTM checkpoint with PyTorch DistributedDataParallel (CPU: gloo, CUDA: nccl).

    torchrun --nproc-per-node 2 interop/pytorch/train_ddp.py --checkpoint latest.safetensors \\
        --corpus input.txt --steps 1000 --out run/ [--learning-rate 1e-3] [--eval-every 500]

`--steps` is the total step count, as in `charlstm train`: a checkpoint at step 200 with `--steps 300` trains
100 more (and one already at step 300 trains none).

It resumes exactly where `charlstm train` stopped: weights, Adam moments and step, epoch, data position and the
carried state of the B training streams, with the same char-rnn batching. The B streams are sharded across
ranks (rank r takes streams r, r + world, ...); each rank's loss is weighted by its share of the streams, so
DDP's gradient average is the mean over all B·T positions, as in single-process training. Rank 0 evaluates,
writes DIR/metrics.csv, DIR/latest.safetensors (atomically, at every evaluation and at the end) and
DIR/best.safetensors when the validation bits/char improve. The result loads back into `charlstm`.
"""

import argparse
import csv
import json
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from charlstm_io import CheckpointError, load_charlstm, save_charlstm
from data import VAL_CHARS, Batches, Trainer, evaluate_bpc, split, token_file, validation_batches
from model import CharModel

METRICS_HEADER = ["step", "epoch", "train_bpc", "val_bpc", "learning_rate", "grad_norm", "chars_per_sec",
                  "elapsed_seconds"]


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="the CharLSTM training checkpoint to continue")
    parser.add_argument("--corpus", required=True, help="the training text (the checkpoint's vocabulary)")
    parser.add_argument("--steps", type=int, required=True,
                        help="total optimizer steps, counted from the start of training as in `charlstm train`")
    parser.add_argument("--out", required=True, help="folder for latest.safetensors, best.safetensors, metrics.csv")
    parser.add_argument("--learning-rate", type=float, help="new initial learning rate (default: the checkpoint's)")
    parser.add_argument("--eval-every", type=int, default=500, help="steps between validation runs and checkpoints")
    parser.add_argument("--log-every", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per rank")
    args = parser.parse_args()
    for name in ("steps", "eval_every", "log_every", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.learning_rate is not None and not 0 < args.learning_rate <= 10:
        parser.error("--learning-rate must be in (0, 10]")
    return args


def shard_state(state: dict | None, streams: list[int], device):
    """This rank's streams of the checkpoint's carried state: h or (h, c), or None."""
    if not state:
        return None
    h = state["h"][:, streams].to(device)
    return (h, state["c"][:, streams].to(device)) if "c" in state else h


def gather_state(model: CharModel, state, streams: list[int], batch_size: int, world: int):
    """The carried state of all B streams on rank 0 ({"h", "c"} [L, B, H]); zeros at an epoch start."""
    local = None if state is None else [s.cpu() for s in (state if isinstance(state, tuple) else (state,))]
    pieces = [None] * world
    dist.all_gather_object(pieces, (streams, local))
    full = [torch.zeros(model.layers, batch_size, model.hidden) for _ in range(2 if model.cell == "lstm" else 1)]
    for rank_streams, rank_state in pieces:
        for target, source in zip(full, rank_state or []):
            target[:, rank_streams] = source
    return dict(zip(("h", "c"), full))


def load_moments(model: CharModel, optimizer: torch.optim.Adam, moments: dict | None, adam_step: int, device):
    """Puts the checkpoint's Adam moments and step into a fresh torch Adam."""
    if not moments:
        return
    for name, parameter in model.named_parameters():
        optimizer.state[parameter] = {"step": torch.tensor(float(adam_step)),
                                      "exp_avg": moments["exp_avg"][name].to(device).clone(),
                                      "exp_avg_sq": moments["exp_avg_sq"][name].to(device).clone()}


def main():
    args = parse_arguments()
    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    try:
        train(args, cuda)
    finally:
        dist.destroy_process_group()


def fail(message: str):
    raise SystemExit(f"train_ddp.py: error: {message}")


def train(args, cuda: bool):
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    torch.set_num_threads(args.threads)

    # Every rank reads the same files, so every rank fails the same way, before any collective.
    try:
        model_state, extra = load_charlstm(args.checkpoint)
    except (OSError, CheckpointError) as error:
        fail(str(error))
    if extra["training"] is None:
        fail(f"'{args.checkpoint}' holds a model but no training state, so it cannot be continued")
    if extra["step"] >= args.steps:
        if rank == 0:
            print(f"nothing to do: the checkpoint is at step {extra['step']}, which --steps {args.steps} already "
                  "reaches (--steps counts from the start of training)", flush=True)
        return
    config, training = extra["config"], dict(extra["training"])
    if args.learning_rate is not None:
        training["learning_rate"] = args.learning_rate
    batch_size, seq_length = int(training["batch_size"]), int(training["seq_length"])
    if world > batch_size:
        fail(f"{world} ranks but only {batch_size} streams to share: use at most {batch_size} processes")
    torch.manual_seed(int(training.get("seed", 1234)) + extra["step"] * world + rank)  # dropout masks

    model = CharModel.from_config(config).to(device)
    model.load_state_dict(model_state)
    out = Path(args.out)
    problem = [prepare_output(out) if rank == 0 else None]
    dist.broadcast_object_list(problem)  # all ranks stop together when rank 0 cannot write there
    if problem[0]:
        fail(problem[0])
    # The corpus as a token file in the output folder, memory-mapped by every rank: the first rank of each machine
    # (re)builds it when the corpus or vocabulary changed, then all ranks map it. Each batch is copied out of it,
    # never the text.
    local_problem = (tokens_problem(args.corpus, extra["vocabulary"], out)
                     if int(os.environ.get("LOCAL_RANK", rank)) == 0 else None)
    problems = [None] * world
    dist.all_gather_object(problems, local_problem)
    if any(problems):
        fail(next(p for p in problems if p))
    text = open_token_file(out)
    train_text, val = split(text, float(training["val_fraction"]))
    streams = list(range(rank, batch_size, world))
    try:
        batches = Batches(train_text, batch_size, seq_length, streams=streams, device=device)
    except ValueError as error:
        fail(str(error))
    val_batches = validation_batches(val, batch_size, seq_length, int(training.get("val_chars", VAL_CHARS)), device)

    ddp = DistributedDataParallel(model, device_ids=[device.index] if cuda else None)
    optimizer = torch.optim.Adam(ddp.parameters(), lr=float(training["learning_rate"]), betas=(0.9, 0.999), eps=1e-8,
                                 weight_decay=float(training.get("weight_decay", 0)))
    load_moments(model, optimizer, extra["optimizer"], int(training.get("adam_step", extra["step"])), device)
    share = len(streams) / batch_size
    try:
        trainer = Trainer(ddp, optimizer, batches, float(training.get("clip", 0)), float(training["learning_rate"]),
                          float(training.get("learning_rate_decay", 1)), float(training.get("decay_after", 0)),
                          loss_scale=world * share, step=extra["step"], epoch=extra["epoch"],
                          position=extra["data_position"], state=shard_state(extra["state"], streams, device))
    except ValueError as error:
        fail(str(error))

    if rank == 0:
        print(f"continuing '{args.checkpoint}' at step {trainer.step} on {world} rank(s) "
              f"({'nccl' if cuda else 'gloo'}), {len(streams)} of {batch_size} streams on rank 0, "
              f"to step {args.steps}; output '{out}'", flush=True)
    best = extra["best_val_bpc"]
    elapsed_before = extra["elapsed_seconds"] or 0.0
    window = torch.zeros(3, dtype=torch.float64, device=device)  # this rank's share of loss, norm sum, steps
    start = last_log = time.perf_counter()
    last_log_step = trainer.step

    while trainer.step < args.steps:
        learning_rate = trainer.learning_rate
        loss, norm = trainer.train_step()
        window += torch.tensor([loss * share, norm / world, 1.0 / world], dtype=torch.float64, device=device)
        done = trainer.step == args.steps
        log_now = trainer.step % args.log_every == 0 or done
        evaluate_now = trainer.step % args.eval_every == 0 or done
        if not (log_now or evaluate_now):
            continue
        dist.all_reduce(window)  # sums: mean loss over all streams, and the (equal) norm and step count
        nats, norm_sum, steps = window.tolist()
        window.zero_()
        val_bpc = evaluate_bpc(model, val_batches) if evaluate_now and rank == 0 and val_batches else None
        state = gather_state(model, trainer.state, streams, batch_size, world) if evaluate_now else None
        if rank != 0:
            continue
        now = time.perf_counter()
        chars_per_sec = (trainer.step - last_log_step) * batch_size * seq_length / max(now - last_log, 1e-9)
        last_log, last_log_step = now, trainer.step
        append_metrics(out / "metrics.csv", [trainer.step, trainer.epoch_progress, nats / steps / math.log(2),
                                             val_bpc, learning_rate, norm_sum / steps, chars_per_sec,
                                             elapsed_before + now - start])
        print(f"step {trainer.step}: train {nats / steps / math.log(2):.4f} bpc"
              + (f", val {val_bpc:.4f} bpc" if val_bpc is not None else ""), flush=True)
        if evaluate_now:
            improved = val_bpc is not None and (best is None or val_bpc < best)
            best = val_bpc if improved else best
            checkpoint = dict(path=out / "latest.safetensors", model=model, vocabulary=extra["vocabulary"],
                              config=config, training=training, optimizer=optimizer, state=state, step=trainer.step,
                              epoch=trainer.epoch, data_position=trainer.position, rng_state=extra["rng_state"],
                              best_val_bpc=best, val_bpc=val_bpc, elapsed_seconds=elapsed_before + now - start)
            if improved:
                save_charlstm(**dict(checkpoint, path=out / "best.safetensors"))
            save_charlstm(**checkpoint)
    if rank == 0:
        print(f"done at step {trainer.step}: saved '{out / 'latest.safetensors'}'"
              + (f" and '{out / 'best.safetensors'}'" if (out / "best.safetensors").exists() else ""), flush=True)
    dist.barrier()


def tokens_problem(corpus: str, vocabulary: list[str], out: Path) -> str | None:
    """Builds (or checks) the token file of `corpus` in `out`; the reason it cannot be used, or None."""
    try:
        token_file(corpus, vocabulary, out)
    except (OSError, UnicodeDecodeError) as error:
        return f"cannot read the corpus '{corpus}': {error}"
    except ValueError:
        return (f"'{corpus}' has characters not in the checkpoint's vocabulary: continue on the corpus the run "
                "was trained on")
    return None


def open_token_file(out: Path):
    """The token file rank 0 has just checked against the corpus or built, memory-mapped read-only."""
    meta = json.loads((out / "tokens.json").read_text())
    return np.memmap(out / "tokens.bin", dtype=np.dtype(meta["dtype"]), mode="r", shape=(int(meta["count"]),))


def prepare_output(out: Path) -> str | None:
    """Creates the output folder; the reason it cannot be used (None when it can), e.g. a metrics.csv that is
    not charlstm's."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        path = out / "metrics.csv"
        if path.exists() and path.stat().st_size > 0:
            with open(path, newline="") as file:
                first = file.readline().rstrip("\n")
            if first != ",".join(METRICS_HEADER):
                return (f"{path} exists but does not start with the metrics header (found {first[:100]!r}); "
                        "move it away or choose another --out")
    except OSError as error:
        return f"cannot use the output folder '{out}': {error}"
    return None


def append_metrics(path: Path, row: list) -> None:
    """Appends a row to metrics.csv in charlstm's format (same columns, "\\n" line ends, empty val_bpc when
    validation did not run), writing the header for a new file, so `charlstm train --resume` appends to it."""
    new = not path.exists() or path.stat().st_size == 0
    with open(path, "a", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        if new:
            writer.writerow(METRICS_HEADER)
        writer.writerow(["" if v is None else repr(float(v)) if isinstance(v, float) else v for v in row])


if __name__ == "__main__":
    main()
