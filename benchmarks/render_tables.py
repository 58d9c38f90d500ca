#!/usr/bin/env python3
"""Renders the tables of README.md and docs/*.md from the recorded results in benchmarks/results/.

A table lives between two marker lines in a document:

    <!-- table: compare intel-emerald-rapids -->
    …generated…
    <!-- /table -->

The first word names a renderer below, the rest are its arguments (here: which machine's file). Everything
between the markers is replaced by what the renderer makes of the recorded file(s); nothing else is touched.

    python3 benchmarks/render_tables.py           # rewrite the tables in place
    python3 benchmarks/render_tables.py --check   # exit 1, naming each table, if any differs from its data (CI)

A renderer may also check the recorded run against the program as it is now (`--charlstm PATH`): a table that
describes defaults that are no longer the defaults fails the check, so that a changed default forces a new
measurement.
"""

import argparse
import re
import subprocess
import sys
from pathlib import Path

from results import REPO, RESULTS, load

DOCUMENTS = [REPO / "README.md", REPO / "Checkpoints" / "README.md", REPO / "benchmarks" / "README.md",
             *sorted((REPO / "docs").glob("*.md"))]
BEGIN = re.compile(r"^<!-- table: ([a-z0-9_-]+)((?: [A-Za-z0-9_.-]+)*) -->$")
END = "<!-- /table -->"


class TableError(Exception):
    pass


def result(name: str, machine: str) -> dict:
    path = RESULTS / f"{name}-{machine}.json"
    if not path.exists():
        raise TableError(f"no recorded result {path.relative_to(REPO)}")
    return load(path)


def number(value, digits: int = 0) -> str:
    """1234.5 → '1,235' (digits 0), 2.1234 → '2.123' (digits 3)."""
    return f"{value:,.{digits}f}"


def source_line(document: dict) -> str:
    """Where a table's figures come from: machine, date, commit and the recorded file."""
    m, v = document["machine"], document["versions"]
    parts = [f"{m['kind']} ({m['isa']}" + (f", peak {number(m['peak_gflops'])} GFLOP/s" if m.get("peak_gflops") else "") + ")",
             document["date"][:10], f"commit {document['commit']}", f"Swift {v.get('swift') or '?'}"]
    if v.get("pytorch"):
        parts.append(f"PyTorch {v['pytorch']}")
    path = f"benchmarks/results/{document['name']}-{m['slug']}.json"
    return f"<sub>{', '.join(parts)}; `{document['command']}` → [{path}]({path_from_document(path)})</sub>"


# The document being rendered, for relative links.
_current_document: Path = REPO / "README.md"


def path_from_document(repo_path: str) -> str:
    import os
    return os.path.relpath(REPO / repo_path, _current_document.parent)


RENDERERS = {}


def renderer(name):
    def register(function):
        RENDERERS[name] = function
        return function
    return register


SERVE_MODELS = [("serve_pretrained", "shipped"), ("serve_m", "M")]


def model_words(model: dict) -> str:
    return f"{model['cell']} {model['layers']} × {model['hidden']}, {model['vocab_size']} characters"


@renderer("serve_throughput")
def serve_throughput(machine: str, charlstm=None) -> str:
    """Aggregate characters per second of `charlstm serve` by concurrent streams (benchmarks/serve_load.py)."""
    documents = [(label, result(name, machine)) for name, label in SERVE_MODELS]
    counts = sorted({int(c) for _, d in documents for c in d["results"]["chars_per_s"]})
    lines = ["| model | " + " | ".join(f"{c} stream{'s' if c > 1 else ''}" for c in counts) + " | 16 streams ÷ 1 |",
             "|---|" + "---:|" * (len(counts) + 1)]
    for label, d in documents:
        rates = {int(c): r for c, r in d["results"]["chars_per_s"].items()}
        ratio = f"{rates[16] / rates[1]:.1f}×" if 16 in rates and 1 in rates else "–"
        lines.append(f"| {label} ({model_words(d['results']['model'])}) | "
                     + " | ".join(number(rates[c]) if c in rates else "–" for c in counts) + f" | {ratio} |")
    lines.append("")
    lines += [source_line(d) for _, d in documents]
    return "\n".join(lines)


@renderer("serve_load")
def serve_load(machine: str, charlstm=None) -> str:
    """The load test of benchmarks/serve_load.py on the shipped model: throughput, first character, memory, fuzz."""
    d = result("serve_pretrained", machine)
    r = d["results"]
    load, fuzz, rss = r["load"], r["fuzz"], r["rss_kib"]
    statuses = ", ".join(f"{count} × {status}" for status, count in sorted(fuzz["statuses"].items()))
    lines = ["| measured | |", "|---|---|",
             f"| 64 clients for {load['seconds']:.0f} s, each sending streamed requests of 100–1,000 characters one after another "
             f"| {number(load['requests'])} requests answered, {number(load['failures'])} failed; {number(load['chars_per_s'])} characters/s |",
             f"| time to first character | median {load['ttfc_median_ms']:.1f} ms, p99 {load['ttfc_p99_ms']:.1f} ms |",
             f"| the server's memory (RSS) | {rss['start'] / 1024:.1f} MiB at start, {load['rss_max_kib'] / 1024:.1f} MiB during the load "
             f"(peak {rss['peak'] / 1024:.1f} MiB), {rss['after'] / 1024:.1f} MiB after |",
             f"| then {number(fuzz['rounds'])} damaged requests, each followed by a good one | damaged: {statuses}; "
             f"good: {fuzz['good_ok']} of {fuzz['rounds']} answered 200 |",
             f"| `/health` afterwards | `{r['health_after']['status']}`, {r['health_after']['active']} streams active |",
             "", source_line(d)]
    return "\n".join(lines)


def render(text: str, document: Path, charlstm: str | None) -> tuple[str, list[str]]:
    """The document with every table region rendered anew, and the problems met (unknown renderer, no data)."""
    global _current_document
    _current_document = document
    lines, out, problems, i = text.split("\n"), [], [], 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        match = BEGIN.match(line)
        i += 1
        if not match:
            continue
        end = next((j for j in range(i, len(lines)) if lines[j] == END), None)
        if end is None:
            problems.append(f"{document.name}: '{line}' has no '{END}'")
            continue
        name, arguments = match.group(1), match.group(2).split()
        try:
            if name not in RENDERERS:
                raise TableError(f"unknown table '{name}' (known: {', '.join(sorted(RENDERERS))})")
            out.extend(RENDERERS[name](*arguments, charlstm=charlstm).rstrip("\n").split("\n"))
        except (TableError, TypeError, KeyError) as error:
            problems.append(f"{document.relative_to(REPO)}: table '{name} {' '.join(arguments)}': {error}")
            out.extend(lines[i:end])
        out.append(END)
        i = end + 1
    return "\n".join(out), problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if any table differs from its data")
    parser.add_argument("--charlstm", help="the built tool, to check recorded defaults against (optional)")
    args = parser.parse_args()
    differing, problems = [], []
    for document in DOCUMENTS:
        if not document.exists():
            continue
        text = document.read_text()
        rendered, found = render(text, document, args.charlstm)
        problems += found
        if rendered != text:
            differing.append(str(document.relative_to(REPO)))
            if not args.check:
                document.write_text(rendered)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if args.check and differing:
        print(f"error: tables differ from benchmarks/results/ in {', '.join(differing)}: "
              "run python3 benchmarks/render_tables.py and commit", file=sys.stderr)
    elif differing:
        print(f"rendered tables in {', '.join(differing)}")
    sys.exit(1 if problems or (args.check and differing) else 0)


if __name__ == "__main__":
    main()
