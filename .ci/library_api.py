#!/usr/bin/env python3
"""The public API of the CharLSTM library, one line per symbol, from the symbol graph of a release build.

    python3 .ci/library_api.py            # compare with docs/library-api.txt (CI); exit 1 and a diff when they differ
    python3 .ci/library_api.py --write    # rewrite docs/library-api.txt after a deliberate change of the public API

Needs `swift build -c release` (or `swift build -c release --target CharLSTM`) first: it reads the module from
.build/release/Modules with the toolchain's swift-symbolgraph-extract (well under a second). A line is the
symbol's place (its type's path), its declaration as the compiler prints it, and the conformances and default
implementations the graph records, so that a changed signature, a new or removed symbol or a changed `Sendable`
shows in the diff. Doc comments are not part of it, but a public symbol without one is an error.
"""
import argparse, difflib, json, os, pathlib, shutil, subprocess, sys, tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "docs" / "library-api.txt"
MODULE = "CharLSTM"


def symbol_graph(modules: pathlib.Path) -> dict:
    tool = shutil.which("swift-symbolgraph-extract")
    if tool is None:
        sys.exit("swift-symbolgraph-extract is not on PATH (it comes with the Swift toolchain)")
    info = json.loads(subprocess.run(["swift", "-print-target-info"], check=True, capture_output=True, text=True).stdout)
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([tool, "-module-name", MODULE, "-I", str(modules), "-target", info["target"]["triple"],
                        "-minimum-access-level", "public", "-skip-synthesized-members", "-output-dir", out],
                       check=True)
        return json.loads((pathlib.Path(out) / f"{MODULE}.symbols.json").read_text())


def declaration(symbol: dict) -> str:
    return "".join(f["spelling"] for f in symbol["declarationFragments"]).replace("\n", " ")


def api_lines(graph: dict) -> tuple[list[str], list[str]]:
    """The sorted lines, and the public symbols without a doc comment."""
    by_id = {s["identifier"]["precise"]: s for s in graph["symbols"]}
    lines, undocumented = set(), []
    for s in graph["symbols"]:
        place = ".".join(s["pathComponents"][:-1])
        lines.add(f"{place + ': ' if place else ''}{declaration(s)}")
        if not s.get("docComment") and not s["kind"]["identifier"].startswith("swift.enum.case") \
                and s["kind"]["identifier"] != "swift.func.op":
            undocumented.append(".".join(s["pathComponents"]))
    for r in graph.get("relationships", []):
        if r["kind"] != "conformsTo" or r["source"] not in by_id:
            continue
        target = by_id[r["target"]]["pathComponents"][-1] if r["target"] in by_id else r.get("targetFallback", r["target"])
        target = target.split(".")[-1]
        if target == "SendableMetatype":  # implied by Sendable (Swift 6.2)
            continue
        lines.add(f"{'.'.join(by_id[r['source']]['pathComponents'])} conforms to {target}")
    return sorted(lines), sorted(undocumented)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite docs/library-api.txt instead of comparing")
    parser.add_argument("--modules", type=pathlib.Path, default=ROOT / ".build" / "release" / "Modules",
                        help="the folder holding CharLSTM.swiftmodule (default: .build/release/Modules)")
    args = parser.parse_args()
    if not (args.modules / f"{MODULE}.swiftmodule").exists():
        sys.exit(f"no {MODULE}.swiftmodule in {args.modules}: run 'swift build -c release' first")
    lines, undocumented = api_lines(symbol_graph(args.modules))
    if undocumented:
        print(f"public symbols of {MODULE} without a doc comment (document them):", *undocumented, sep="\n  ")
        return 1
    text = "".join(line + "\n" for line in lines)
    if args.write:
        GOLDEN.write_text(text)
        print(f"wrote {GOLDEN.relative_to(ROOT)}: {len(lines)} lines")
        return 0
    golden = GOLDEN.read_text() if GOLDEN.exists() else ""
    if golden == text:
        print(f"the public API of {MODULE} is {GOLDEN.relative_to(ROOT)} ({len(lines)} lines)")
        return 0
    sys.stdout.writelines(difflib.unified_diff(golden.splitlines(True), text.splitlines(True),
                                               str(GOLDEN.relative_to(ROOT)), "the build's public API"))
    print(f"\nthe public API of {MODULE} changed: if that is meant, run 'python3 .ci/library_api.py --write' and commit "
          f"{GOLDEN.relative_to(ROOT)} with the change (see docs/contributing.md)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
