#!/usr/bin/env python3
"""Runs the commands of README.md and docs/*.md as a reader would, in order, with training budgets cut to seconds.

Which commands: every command line in a fenced block whose info string is sh, shell, bash or console (in console
blocks only the lines after a `$ ` prompt; a line ending in a backslash continues; comments are left out): the rules
of the Swift test DocumentationTests, which parses every `charlstm` command found so (also those run nowhere).
README.md comes first, then docs/*.md in name order (docs/commands.md, generated from --help, has examples only),
each page in a scratch folder of its own that holds a copy of Corpora/ and the shipped Checkpoints/: a page's
commands may use what its earlier commands made, as a reader following it would, and nothing lands in the
repository.

What runs:
- a line that calls `charlstm` (alone, in a pipeline, after `NAME=value` or `&&`) runs through bash with the
  release build first on PATH. Cuts, for `train` only: `--minutes M` becomes 0.05, `--steps N` N/200 (rounded up, so
  that a later resume to a larger N still trains), `--epochs X` X/100, a run with no budget gets `--minutes 0.05`,
  and a new text run validates on at most 20,000 characters (`--val-chars`) unless it says otherwise;
  `bench` measures 0.2 s per configuration. `serve` is started on a free port, asked for /health and /v1/models, and
  stopped with SIGINT, which must end it with 0.
- a line of a harmless shell command that prepares files (mkdir, tail, head, cat, cp, printf, echo) runs as written.
- anything else (swift build / test, which CI runs itself; export; pip, python3, torchrun, curl) is listed as not run.
- a block preceded by the line `<!-- ci: parse only -->` is not run (it needs what CI lacks, e.g. PyTorch's output).

    python3 .ci/doc_commands.py [--charlstm .build/release/charlstm] [--list]
"""

import argparse
import json
import math
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHELL_BLOCKS = {"sh", "shell", "bash", "console"}
PREPARING = {"mkdir", "tail", "head", "cat", "cp", "printf", "echo"}
PARSE_ONLY = "<!-- ci: parse only -->"
CUT_MINUTES = "0.05"
CHARLSTM = re.compile(r"(?:^|[|;&]\s*|\s)(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*charlstm\s+(\S+)")


def documents() -> list[Path]:
    pages = sorted(p for p in (REPO / "docs").glob("*.md") if p.name != "commands.md")
    return [REPO / "README.md", *pages]


def without_comment(line: str) -> str:
    quote, previous = None, " "
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and previous in " \t":
            return line[:i]
        previous = c
    return line


def commands(text: str) -> list[tuple[str, bool]]:
    """The command lines of a document's shell blocks, each with whether it may run (False: parse only)."""
    found, block, pending, runnable, previous = [], None, "", True, ""
    for line in text.split("\n"):
        if line.startswith("```"):
            if block is None:
                block, runnable = line[3:].strip(), previous.strip() != PARSE_ONLY
            else:
                block = None
            pending, previous = "", line
            continue
        previous = line if block is None else previous
        if block not in SHELL_BLOCKS:
            continue
        if not pending and block == "console":
            if not line.startswith("$ "):
                continue
            line = line[2:]
        line = without_comment(line).strip()
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        command, pending = pending + line, ""
        if command:
            found.append((command, runnable))
    return found


def subcommand(command: str) -> str | None:
    match = CHARLSTM.search(command)
    return match.group(1) if match else None


def cut(command: str) -> str:
    """The command with its training budget cut to seconds (see the module's description)."""
    kind = subcommand(command)
    if kind == "train":
        budget = re.search(r"--(minutes|steps|epochs)\s", command)
        command = re.sub(r"--minutes\s+[0-9.e]+", f"--minutes {CUT_MINUTES}", command)
        command = re.sub(r"--steps\s+(\d+)", lambda m: f"--steps {max(1, math.ceil(int(m.group(1)) / 200))}", command)
        command = re.sub(r"--epochs\s+([0-9.e]+)", lambda m: f"--epochs {float(m.group(1)) / 100:g}", command)
        if not budget:
            command = add_option(command, f"--minutes {CUT_MINUTES}")
        if not re.search(r"--(column|resume|val-chars)\s", command):
            command = add_option(command, "--val-chars 20000")
    elif kind == "bench":
        command = re.sub(r"--seconds\s+[0-9.]+", "", command)
        command = add_option(command, "--seconds 0.2")
    return command


def add_option(command: str, option: str) -> str:
    """`option` added to the charlstm command's arguments, before any pipe or redirection that follows them."""
    match = CHARLSTM.search(command)
    rest = command[match.end():]
    stop = re.search(r"\s(?:\||&&|;|\d?>|<)", rest)
    at = match.end() + (stop.start() if stop else len(rest))
    return f"{command[:at]} {option}{command[at:]}"


def run_serve(command: str, env: dict, cwd: Path) -> None:
    """Starts the documented `serve` on a free port, checks that it answers, and stops it as Ctrl-C would."""
    command = re.sub(r"--port\s+\d+", "", command) + " --port 0"
    process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline, url = time.time() + 120, None
        while url is None and time.time() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.time()))
            line = process.stdout.readline() if ready else ""
            if not line:
                break
            match = re.search(r"listening on (http://\S+)", line)
            url = match.group(1) if match else None
        if url is None:
            raise RuntimeError(f"serve printed no 'listening on' line: {process.stderr.read()[-2000:]}")
        for path in ["/health", "/v1/models"]:
            with urllib.request.urlopen(url + path, timeout=30) as answer:
                body = json.loads(answer.read())
            print(f"    GET {path}: {json.dumps(body)[:160]}")
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
        if code != 0:
            raise RuntimeError(f"serve exited with {code} after SIGINT: {process.stderr.read()[-2000:]}")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def scratch_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="charlstm-docs-"))
    shutil.copytree(REPO / "Corpora", folder / "Corpora")
    (folder / "Checkpoints").mkdir()
    for shipped in ["README.md", "pretrained"]:
        source = REPO / "Checkpoints" / shipped
        if source.is_dir():
            shutil.copytree(source, folder / "Checkpoints" / shipped)
        elif source.exists():
            shutil.copy2(source, folder / "Checkpoints" / shipped)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charlstm", default=str(REPO / ".build/release/charlstm"), help="the built tool")
    parser.add_argument("--list", action="store_true", help="print what would run, cut, and what not; run nothing")
    args = parser.parse_args()
    binary = Path(args.charlstm).resolve()
    if not args.list and not binary.is_file():
        print(f"error: no charlstm binary at {binary} (swift build -c release)", file=sys.stderr)
        return 66
    bin_folder = Path(tempfile.mkdtemp(prefix="charlstm-bin-"))
    (bin_folder / "charlstm").symlink_to(binary)
    env = dict(os.environ, PATH=f"{bin_folder}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("CHARLSTM_SGEMM_KERNEL", None)
    work = None
    started, ran, not_run = time.time(), 0, []
    try:
        for document in documents():
            shown = document.relative_to(REPO)
            if not args.list:
                if work is not None:
                    shutil.rmtree(work, ignore_errors=True)
                work = scratch_folder()
            for command, runnable in commands(document.read_text()):
                try:
                    first = shlex.split(command, posix=True)[0]
                except (ValueError, IndexError):
                    first = ""
                kind = subcommand(command)
                if not runnable or (kind is None and first not in PREPARING):
                    not_run.append(f"{shown}: {command}" + ("  (parse only)" if kind and not runnable else ""))
                    continue
                to_run = cut(command)
                print(f"[{shown}] $ {to_run}" + ("" if to_run == command else "    (budget cut)"), flush=True)
                if args.list:
                    continue
                ran += 1
                if kind == "serve":
                    run_serve(to_run, env, work)
                    continue
                result = subprocess.run(["bash", "-o", "pipefail", "-c", to_run], cwd=work, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        text=True, errors="replace")
                tail = result.stdout.strip().split("\n")[-4:]
                print("\n".join(f"    {line[:160]}" for line in tail if line))
                if result.returncode != 0:
                    print(result.stdout[-4000:])
                    print(f"error: {shown}: exit {result.returncode}: {command}", file=sys.stderr)
                    return 1
    finally:
        shutil.rmtree(bin_folder, ignore_errors=True)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"not run here ({len(not_run)}; every charlstm command among them is parsed by DocumentationTests):")
    print("\n".join(f"    {line}" for line in not_run))
    if not args.list:
        print(f"{ran} documented commands ran in {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
