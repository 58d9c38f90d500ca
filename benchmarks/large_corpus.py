#!/usr/bin/env python3
"""README's "Large corpora": time and peak memory of `train`, `train --resume` and `eval` on a corpus of
gigabytes, which they stream instead of holding.

Builds a UTF-8 file of --mib MiB in a temporary folder (Corpora/shakespeare.txt repeated, each copy followed by a
line "é ß" so that the text is not ASCII), then, one after the other (the page cache warm after the first):

- `scan`: a 1-step run of a tiny model (1 × 16): what the pass over the file before training costs;
- `train`: config S (`--layers 2 --hidden 128 --seq-length 50 --batch-size 50 --val-fraction 0.001`), 20 steps;
- `resume`: `train --resume` of that run to step 40;
- `eval`: `eval` of the whole file with that model, stopped (SIGINT) after --eval-seconds if not done by then.

Each is timed (wall, the whole process) and its peak memory taken: VmHWM (resident, all of it) and the largest
RssAnon (anonymous: what it allocated) sampled from /proc/PID/status (runs.py's `measured`).

    python3 benchmarks/large_corpus.py --record          # 1 GiB, about a minute (and 1 GiB of disk)
    python3 benchmarks/large_corpus.py --mib 16 --eval-seconds 2    # a quick look; nothing recorded

render_tables.py: `large-corpus`.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

from results import record
from runs import CORPUS, DEFAULT_CHARLSTM, measured, require_gnu_time

S = ["--layers", "2", "--hidden", "128", "--seq-length", "50", "--batch-size", "50", "--val-fraction", "0.001"]
TINY = ["--layers", "1", "--hidden", "16", "--seq-length", "50", "--batch-size", "50", "--val-fraction", "0.001"]
STEPS, RESUMED_STEPS = 20, 40
MIB, EVAL_SECONDS = 1024, 20.0


def build(path: Path, mib: int) -> dict:
    """Writes at least `mib` MiB of whole copies of the bundled corpus, each followed by "é ß"; its size and
    character count."""
    copy = CORPUS.read_text(encoding="utf-8") + "é ß\n"
    encoded = copy.encode("utf-8")
    copies = -(-mib * 2**20 // len(encoded))
    with open(path, "wb") as f:
        for _ in range(copies):
            f.write(encoded)
    return {"bytes": path.stat().st_size, "chars": copies * len(copy), "vocabulary": len(set(copy)),
            "copies": copies}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charlstm", default=DEFAULT_CHARLSTM)
    parser.add_argument("--mib", type=int, default=MIB, help=f"size of the corpus (default {MIB})")
    parser.add_argument("--eval-seconds", type=float, default=EVAL_SECONDS, help="stop eval after this long")
    parser.add_argument("--record", action="store_true", help="write benchmarks/results/large-corpus-<machine>.json")
    args = parser.parse_args()
    if args.record:
        require_gnu_time()
    if args.mib < 1 or args.eval_seconds <= 0:
        parser.error("need --mib >= 1 and --eval-seconds > 0")
    if args.record and (args.mib, args.eval_seconds) != (MIB, EVAL_SECONDS):
        sys.exit(f"error: --record measures the documented case: --mib {MIB} --eval-seconds {EVAL_SECONDS:g}")
    with tempfile.TemporaryDirectory(prefix="large-corpus-") as folder:
        big, run = Path(folder) / "large.txt", Path(folder) / "run"
        binary = str(Path(args.charlstm).resolve())  # the runs start in the temporary folder
        print(f"writing {args.mib} MiB ...", file=sys.stderr, flush=True)
        corpus = build(big, args.mib)
        steps = {}
        plan = [("scan", ["train", str(big), *TINY, "--steps", "1", "--out", str(Path(folder) / "tiny")], None),
                ("train", ["train", str(big), *S, "--steps", str(STEPS), "--out", str(run)], None),
                ("resume", ["train", "--resume", str(run), "--steps", str(RESUMED_STEPS)], None),
                ("eval", ["eval", str(big), "--checkpoint", str(run / "latest.safetensors")], args.eval_seconds)]
        for name, arguments, stop_after in plan:
            print(f"{name}: charlstm {' '.join(arguments)}", file=sys.stderr, flush=True)
            steps[name] = {"command": " ".join(["charlstm", *arguments]).replace(folder, "$TMP"),
                           **measured([binary, *arguments], cwd=folder, stop_after=stop_after)}
            steps[name].pop("stderr_tail")
            print(json.dumps({name: steps[name]}), flush=True)
    if args.record:
        record("large-corpus", {"corpus": corpus, "eval_seconds": args.eval_seconds, "runs": steps})


if __name__ == "__main__":
    main()
