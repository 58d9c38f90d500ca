#!/usr/bin/env python3
"""Peak memory of the `charlstm` commands the README quotes, each in its own process: `--help` (the runtime
alone), `train` on config M (2 × 512, batch 64 × 100: 6 steps, a validation and a checkpoint every 3), and
`info` and `export` of the training checkpoint that run leaves. Peak memory is VmHWM (resident, by GNU time) and
the largest RssAnon (anonymous) sampled while it runs (runs.py's `measured`); config S/M/L's peak RSS beside
PyTorch's is compare.py's (from `charlstm bench`), not this.

    python3 benchmarks/memory.py --record                # 1 minute (3 on a busy machine)
    python3 benchmarks/memory.py --corpus FILE           # another corpus; nothing recorded

render_tables.py: `memory`.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

from results import record
from runs import CORPUS, DEFAULT_CHARLSTM, measured, require_gnu_time

M = ["--layers", "2", "--hidden", "512", "--seq-length", "100", "--batch-size", "64"]
TRAIN = ["train", "{corpus}", *M, "--steps", "6", "--eval-every", "3", "--checkpoint-every", "3", "--out", "run"]
COMMANDS = [  # (name, arguments), run in this order in a temporary folder
    ("help", ["--help"]),
    ("train", TRAIN),
    ("info", ["info", "run/latest.safetensors"]),
    ("export", ["export", "run/latest.safetensors", "model.safetensors"]),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charlstm", default=DEFAULT_CHARLSTM)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--record", action="store_true", help="write benchmarks/results/memory-<machine>.json")
    args = parser.parse_args()
    if args.record:
        require_gnu_time()
    if args.record and args.corpus != CORPUS:
        sys.exit("error: --record measures the bundled corpus")
    binary = str(Path(args.charlstm).resolve())
    runs = {}
    with tempfile.TemporaryDirectory(prefix="memory-") as folder:
        for name, arguments in COMMANDS:
            arguments = [a.replace("{corpus}", str(args.corpus.resolve())) for a in arguments]
            runs[name] = {"command": " ".join(["charlstm", *arguments]).replace(str(CORPUS), "Corpora/shakespeare.txt"),
                          **measured([binary, *arguments], cwd=folder)}
            runs[name].pop("stderr_tail")
            if name == "train":
                runs[name]["checkpoint_bytes"] = (Path(folder) / "run" / "latest.safetensors").stat().st_size
            if name == "export":
                runs[name]["output_bytes"] = (Path(folder) / "model.safetensors").stat().st_size
            print(json.dumps({name: runs[name]}), flush=True)
    if args.record:
        record("memory", {"corpus": "Corpora/shakespeare.txt", "runs": runs})


if __name__ == "__main__":
    main()
