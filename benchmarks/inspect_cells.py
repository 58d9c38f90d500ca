#!/usr/bin/env python3
"""README's "Look inside": what `charlstm inspect` finds in the shipped model on held-out text, with the README's
command (below): the best cells per property with their correlation r, the header's bits/char and accuracy, and
the size of the page it writes.

    python3 benchmarks/inspect_cells.py --record         # a few seconds
    python3 benchmarks/inspect_cells.py                  # the same, nothing recorded

Runs in a temporary folder. Records the SHA-256 of Checkpoints/pretrained/best.safetensors: render_tables.py
--check fails when the shipped model is no longer the one measured (render_tables.py: `inspect-cells`).
"""

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from results import REPO, record
from runs import CORPUS, DEFAULT_CHARLSTM, PRETRAINED, sha256

HELD_OUT_BYTES = 20000  # README: tail -c 20000 Corpora/shakespeare.txt > held-out.txt
INSPECT = ["inspect", "{held_out}", "--checkpoint", "Checkpoints/pretrained", "--json", "--out", "{page}"]
TOP = 3  # cells kept per property


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charlstm", default=DEFAULT_CHARLSTM)
    parser.add_argument("--record", action="store_true", help="write benchmarks/results/inspect-cells-<machine>.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        held_out, page = Path(folder) / "held-out.txt", Path(folder) / "held-out.inspect.html"
        held_out.write_bytes(CORPUS.read_bytes()[-HELD_OUT_BYTES:])
        command = [a.format(held_out=held_out, page=page) for a in INSPECT]
        seen = json.loads(subprocess.run([args.charlstm, *command], cwd=REPO, check=True, capture_output=True,
                                         text=True).stdout)
        page_bytes = page.stat().st_size
    properties = {name: {"varies": entry.get("varies"),
                         "cells": [{"layer": c["layer"], "cell": c["cell"], "r": round(c["correlation"], 4)}
                                   for c in entry.get("cells", [])[:TOP]]}
                  for name, entry in seen.get("properties", {}).items()}
    results = {"command": f"tail -c {HELD_OUT_BYTES} {CORPUS.relative_to(REPO)} > held-out.txt; charlstm "
                          + " ".join(INSPECT).replace("{held_out}", "held-out.txt").replace("{page}", "held-out.inspect.html"),
               "pretrained_sha256": sha256(PRETRAINED),
               "chars": seen.get("chars"), "total_chars": seen.get("total_chars"),
               "bits_per_char": seen.get("bits_per_char"), "accuracy": seen.get("accuracy"),
               "activity": seen.get("activity"), "page_bytes": page_bytes, "properties": properties}
    print(json.dumps(results, indent=1))
    if args.record:
        record("inspect-cells", results)


if __name__ == "__main__":
    main()
