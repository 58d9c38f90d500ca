#!/usr/bin/env python3
"""The shipped model's figures for Checkpoints/README.md: Checkpoints/pretrained/best.safetensors's config,
parameters, vocabulary and file size (`charlstm info --json`), its SHA-256, its held-out bits/char and accuracy
(`charlstm eval --json` on the last 5 % of Corpora/shakespeare.txt, the part its training held out), and how it
was made: the RECIPE below (the commands that made it: change them here when it is retrained) and the training
settings read from the training run's checkpoint (`--run FOLDER`: its `latest.safetensors` metadata, and its
metrics.csv for the last training loss and the time; refused unless the folder's best.safetensors holds the shipped
weights), or from the shipped file when its metadata keeps them.

    python3 benchmarks/pretrained.py --record --run /path/to/the/training/run     # about 30 s
    python3 benchmarks/pretrained.py                                               # the same, nothing recorded
    python3 benchmarks/pretrained.py --make --record   # runs RECIPE first (hours), then measures and records

render_tables.py: `pretrained`; its check fails when Checkpoints/pretrained/best.safetensors is no longer the
file that was measured (its SHA-256), and so do the other tables measured with the shipped model (finetune,
inspect-cells).
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import REPO, record
from runs import CORPUS, DEFAULT_CHARLSTM, PRETRAINED, held_out_tail, info, last_train_bpc, metrics, \
    parameter_digests, safetensors_metadata, sha256, training_settings

RUN = "Checkpoints/shakespeare"
# How Checkpoints/pretrained/best.safetensors was made, from the repository folder (`charlstm` = the release
# binary). Keep this as it was really made: Checkpoints/README.md shows it.
RECIPE = [
    ["train", "Corpora/shakespeare.txt", "--steps", "12000", "--eval-every", "500", "--checkpoint-every", "500",
     "--log-every", "100", "--out", RUN],
    ["export", RUN, "Checkpoints/pretrained/best.safetensors"],
]
VAL_FRACTION = 0.05


def training_recipe(checkpoint: Path) -> dict:
    """The `training` metadata of a checkpoint (the settings it was trained with), its step and epoch."""
    metadata = safetensors_metadata(checkpoint)
    out = training_settings(checkpoint)
    for key in ("step", "epoch", "elapsed_seconds"):
        if key in metadata:
            try:
                out[key] = float(metadata[key]) if "." in str(metadata[key]) else int(metadata[key])
            except ValueError:
                pass
    return out


def measure(charlstm: str, run: Path | None) -> dict:
    if run is not None and parameter_digests(run / "best.safetensors") != parameter_digests(PRETRAINED):
        raise SystemExit(f"error: {run / 'best.safetensors'} is not the model shipped in {PRETRAINED.relative_to(REPO)} "
                         "(their weights differ): name the run folder it was exported from")
    about = info(charlstm, PRETRAINED)
    with tempfile.TemporaryDirectory() as folder:
        held_out = Path(folder) / "held-out.txt"
        held_out.write_text(held_out_tail(CORPUS, VAL_FRACTION), encoding="utf-8")
        start = time.perf_counter()
        evaluation = json.loads(subprocess.run([charlstm, "eval", str(held_out), "--checkpoint", str(PRETRAINED),
                                                "--json"], cwd=REPO, check=True, capture_output=True,
                                               text=True).stdout)
        eval_seconds = time.perf_counter() - start
    recipe = training_recipe(run / "latest.safetensors" if run is not None else PRETRAINED)
    last_train, run_seconds = None, None
    if run is not None:
        rows = metrics(run)
        if rows and rows[-1].get("epoch"):
            recipe["epoch"] = float(rows[-1]["epoch"])  # the metadata's is whole epochs
        last_train = last_train_bpc(rows)
        run_seconds = float(rows[-1]["elapsed_seconds"]) if rows and rows[-1].get("elapsed_seconds") else None
    return {
        "path": str(PRETRAINED.relative_to(REPO)), "file_bytes": PRETRAINED.stat().st_size,
        "sha256": sha256(PRETRAINED),
        "model": {k: about.get(k) for k in ("cell", "layers", "hidden", "dropout", "vocab_size", "parameters")},
        "vocabulary": "".join(about.get("vocabulary", [])),
        "recorded": {k: about.get(k) for k in ("step", "val_bpc", "best_val_bpc", "elapsed_seconds") if k in about},
        "held_out": {"corpus": str(CORPUS.relative_to(REPO)), "fraction": VAL_FRACTION,
                     **{k: v for k, v in evaluation.items() if k not in ("checkpoint", "file")},
                     "seconds": round(eval_seconds, 1)},
        "recipe": {"commands": [" ".join(["charlstm", *c]) for c in RECIPE], "training": recipe,
                   "last_train_bpc": last_train, "training_seconds": run_seconds},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charlstm", default=DEFAULT_CHARLSTM)
    parser.add_argument("--run", type=Path, help="the training run folder the shipped model was exported from")
    parser.add_argument("--make", action="store_true", help="run RECIPE first (retrains the shipped model: hours)")
    parser.add_argument("--record", action="store_true", help="write benchmarks/results/pretrained-<machine>.json")
    args = parser.parse_args()
    if args.make:
        if PRETRAINED.exists():
            sys.exit(f"error: --make exports to {PRETRAINED.relative_to(REPO)}: move the old model away first")
        for command in RECIPE:
            print("charlstm " + " ".join(command), file=sys.stderr, flush=True)
            subprocess.run([args.charlstm, *command], cwd=REPO, check=True)
        args.run = args.run or REPO / RUN
    results = measure(args.charlstm, args.run)
    print(json.dumps(results, indent=1, ensure_ascii=False))
    if args.record:
        record("pretrained", results)


if __name__ == "__main__":
    main()
