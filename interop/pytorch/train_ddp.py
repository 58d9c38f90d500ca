#!/usr/bin/env python3
"""Continue training a CharLSTM checkpoint with PyTorch DistributedDataParallel (CPU: gloo, CUDA: nccl).

    torchrun --nproc-per-node 2 interop/pytorch/train_ddp.py --checkpoint latest.safetensors \\
        --corpus input.txt --steps 1000 --out run/ [--learning-rate 1e-3] [--eval-every 500]

It resumes exactly where `charlstm train` stopped: weights, Adam moments and step, epoch, data position and the
carried state of the B training streams, with the same char-rnn batching. The B streams are sharded across
ranks (rank r takes streams r, r + world, ...); each rank's loss is weighted by its share of the streams, so
DDP's gradient average is the mean over all B·T positions, as in single-process training. Rank 0 evaluates,
writes DIR/metrics.csv, DIR/latest.safetensors (atomically, at every evaluation and at the end) and
DIR/best.safetensors when the validation bits/char improve. The result loads back into `charlstm`.
"""

import argparse
import csv
import math
import os
import time
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from charlstm_io import load_charlstm, save_charlstm
from data import Batches, Trainer, encode, evaluate_bpc, read_corpus, split, validation_batches
from model import CharModel

METRICS_HEADER = ["step", "epoch", "train_bpc", "val_bpc", "learning_rate", "grad_norm", "chars_per_sec",
                  "elapsed_seconds"]


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="the CharLSTM checkpoint to continue")
    parser.add_argument("--corpus", required=True, help="the training text (the checkpoint's vocabulary)")
    parser.add_argument("--steps", type=int, required=True, help="optimizer steps to train (added to the checkpoint's)")
    parser.add_argument("--out", required=True, help="folder for latest.safetensors, best.safetensors, metrics.csv")
    parser.add_argument("--learning-rate", type=float, help="new initial learning rate (default: the checkpoint's)")
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--log-every", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per rank")
    return parser.parse_args()


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
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    torch.set_num_threads(args.threads)

    model_state, extra = load_charlstm(args.checkpoint)
    config, training = extra["config"], dict(extra["training"])
    if args.learning_rate is not None:
        training["learning_rate"] = args.learning_rate
    batch_size, seq_length = int(training["batch_size"]), int(training["seq_length"])
    if world > batch_size:
        raise SystemExit(f"error: {world} ranks but only {batch_size} streams to share")
    torch.manual_seed(int(training.get("seed", 1234)) + extra["step"] * world + rank)  # dropout masks

    model = CharModel.from_config(config).to(device)
    model.load_state_dict(model_state)
    train, val = split(encode(read_corpus(args.corpus), extra["vocabulary"]), float(training["val_fraction"]))
    streams = list(range(rank, batch_size, world))
    batches = Batches(train.to(device), batch_size, seq_length, streams=streams)
    val_batches = validation_batches(val.to(device), batch_size, seq_length)

    ddp = DistributedDataParallel(model, device_ids=[device.index] if cuda else None)
    optimizer = torch.optim.Adam(ddp.parameters(), lr=float(training["learning_rate"]), betas=(0.9, 0.999), eps=1e-8,
                                 weight_decay=float(training.get("weight_decay", 0)))
    load_moments(model, optimizer, extra["optimizer"], int(training.get("adam_step", extra["step"])), device)
    share = len(streams) / batch_size
    trainer = Trainer(ddp, optimizer, batches, float(training.get("clip", 0)), float(training["learning_rate"]),
                      float(training.get("learning_rate_decay", 1)), float(training.get("decay_after", 0)),
                      loss_scale=world * share, step=extra["step"], epoch=extra["epoch"],
                      position=extra["data_position"], state=shard_state(extra["state"], streams, device))

    out = Path(args.out)
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    best = extra["best_val_bpc"]
    final_step = trainer.step + args.steps
    nats, norm, logged, start = 0.0, 0.0, 0, time.perf_counter()
    last_log = (start, trainer.step)

    while trainer.step < final_step:
        loss, norm = trainer.train_step()
        nats, logged = nats + loss * share, logged + 1
        log_now = trainer.step % args.log_every == 0 or trainer.step == final_step
        evaluate_now = trainer.step % args.eval_every == 0 or trainer.step == final_step
        if not (log_now or evaluate_now):
            continue
        total = torch.tensor([nats], dtype=torch.float64)
        dist.all_reduce(total)  # the mean loss over all streams
        train_bpc = total.item() / logged / math.log(2)
        nats, logged = 0.0, 0
        val_bpc = evaluate_bpc(model, val_batches) if evaluate_now and rank == 0 and val_batches else None
        state = gather_state(model, trainer.state, streams, batch_size, world) if evaluate_now else None
        if rank != 0:
            continue
        now = time.perf_counter()
        chars_per_sec = (trainer.step - last_log[1]) * batch_size * seq_length / max(now - last_log[0], 1e-9)
        last_log = (now, trainer.step)
        append_metrics(out / "metrics.csv", [trainer.step, trainer.epoch, train_bpc, val_bpc, trainer.learning_rate,
                                             norm, chars_per_sec, now - start])
        print(f"step {trainer.step}: train {train_bpc:.4f} bpc" + (f", val {val_bpc:.4f} bpc" if val_bpc else ""),
              flush=True)
        if evaluate_now:
            improved = val_bpc is not None and (best is None or val_bpc < best)
            best = val_bpc if improved else best
            checkpoint = dict(path=out / "latest.safetensors", model=model, vocabulary=extra["vocabulary"],
                              config=config, training=training, optimizer=optimizer, state=state, step=trainer.step,
                              epoch=trainer.epoch, data_position=trainer.position, rng_state=extra["rng_state"],
                              best_val_bpc=best, val_bpc=val_bpc)
            save_charlstm(**checkpoint)
            if improved:
                save_charlstm(**dict(checkpoint, path=out / "best.safetensors"))
    dist.barrier()
    dist.destroy_process_group()


def append_metrics(path: Path, row: list) -> None:
    """Appends a row to metrics.csv (same columns as charlstm's), writing the header for a new file."""
    new = not path.exists() or path.stat().st_size == 0
    with open(path, "a", newline="") as file:
        writer = csv.writer(file)
        if new:
            writer.writerow(METRICS_HEADER)
        writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else v for v in row])


if __name__ == "__main__":
    main()
