"""Recorded results: every figure that README.md or docs/ show comes from a JSON file under benchmarks/results/,
written here, and `render_tables.py` turns those files into the tables (CI checks that they agree).

    from results import record
    record("compare", results={...}, bench=one_charlstm_bench_record, pytorch_version=torch.__version__)

One file per script and kind of machine, `benchmarks/results/<name>-<machine slug>.json`: a new run on the same
kind of machine replaces the last one (git keeps the history). The file says when, at which commit, with which
command, on which machine (CPU, ISA, peak) and with which toolchain and PyTorch the figures were taken.
"""

import datetime
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
SCHEMA = 1


def cpu_fields(text: str | None = None) -> dict:
    """vendor, family, model, model name and flags of the first CPU in /proc/cpuinfo (empty where unknown)."""
    if text is None:
        try:
            text = Path("/proc/cpuinfo").read_text()
        except OSError:
            text = ""
    fields = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the first processor's block
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    def number(key):
        try:
            return int(fields.get(key, ""))
        except ValueError:
            return None
    return {"vendor": fields.get("vendor_id", ""), "family": number("cpu family"), "model": number("model"),
            "name": fields.get("model name", platform.processor() or "unknown"),
            "flags": set(fields.get("flags", fields.get("Features", "")).split())}


def machine_kind(vendor: str, family: int | None, model: int | None) -> tuple[str, str]:
    """(slug, readable kind) of a CPU: the kinds this project is measured on by name, others by their numbers."""
    if vendor == "AuthenticAMD" and family == 26:
        return "amd-zen5", "AMD EPYC Zen 5"
    if vendor == "AuthenticAMD" and family == 25 and model is not None:
        if 0x10 <= model <= 0x1F or 0x60 <= model <= 0x7F or 0xA0 <= model <= 0xAF:
            return "amd-zen4", "AMD EPYC Zen 4"
        return "amd-zen3", "AMD EPYC Zen 3"
    if vendor == "GenuineIntel" and family == 6:
        named = {207: ("intel-emerald-rapids", "Intel Xeon Emerald Rapids"),
                 143: ("intel-sapphire-rapids", "Intel Xeon Sapphire Rapids"),
                 173: ("intel-granite-rapids", "Intel Xeon Granite Rapids"),
                 106: ("intel-ice-lake", "Intel Xeon Ice Lake"),
                 85: ("intel-skylake", "Intel Xeon Skylake/Cascade Lake")}
        if model in named:
            return named[model]
    short = {"AuthenticAMD": "amd", "GenuineIntel": "intel"}.get(vendor, re.sub(r"[^a-z0-9]+", "", vendor.lower()) or "cpu")
    arch = platform.machine().lower()
    if family is None:
        return f"{short}-{arch}", f"{vendor or 'unknown'} {arch}"
    return f"{short}-f{family}m{model}", f"{vendor} family {family} model {model}"


def machine(bench: dict | None = None) -> dict:
    """This machine: its kind, CPU, ISA and peak (the last two from a `charlstm bench --json` record when given,
    else the ISA from the CPU flags and no peak), and its core count."""
    cpu = cpu_fields()
    slug, kind = machine_kind(cpu["vendor"], cpu["family"], cpu["model"])
    flags = cpu["flags"]
    isa = "avx512" if "avx512f" in flags else "avx2" if "avx2" in flags else "neon" if "asimd" in flags else "portable"
    described = f"{cpu['name']} ({cpu['vendor']} family {cpu['family']} model {cpu['model']})" if cpu["vendor"] else cpu["name"]
    return {"slug": slug, "kind": kind, "cpu": (bench or {}).get("cpu", described),
            "isa": (bench or {}).get("isa", isa), "peak_gflops": (bench or {}).get("peak_gflops"),
            "cores": os.cpu_count()}


def swift_version() -> str | None:
    try:
        out = subprocess.run(["swift", "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"Swift version (\S+)", out)
    return found.group(1) if found else None


def commit() -> str:
    def git(*args):
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def record(name: str, results: dict, bench: dict | None = None, pytorch_version: str | None = None,
           command: list[str] | None = None, folder: Path = RESULTS) -> Path:
    """Writes `results` as `<folder>/<name>-<machine slug>.json` with the date, commit, command, machine and
    versions, and returns the path. `bench` is one `charlstm bench --json` record of this run (CPU, ISA, peak)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise ValueError(f"result name {name!r}: lower-case letters, digits, '-' and '_' only")
    here = machine(bench)
    document = {
        "schema": SCHEMA,
        "name": name,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit(),
        "command": " ".join(["python3"] + [str(a) for a in (command if command is not None else sys.argv)]),
        "machine": here,
        "versions": {"swift": swift_version(), "pytorch": pytorch_version},
        "results": results,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{here['slug']}.json"
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    os.replace(temporary, path)
    print(f"recorded {path.relative_to(REPO) if path.is_relative_to(REPO) else path}", file=sys.stderr)
    return path


def load(path: Path) -> dict:
    """A recorded result, checked for the fields every table relies on."""
    document = json.loads(Path(path).read_text())
    missing = [k for k in ("schema", "name", "date", "commit", "command", "machine", "versions", "results") if k not in document]
    if missing or document["schema"] != SCHEMA:
        raise ValueError(f"{path}: not a schema-{SCHEMA} result (missing {', '.join(missing) or 'nothing'})")
    return document


def load_all(name: str, folder: Path = RESULTS) -> list[dict]:
    """Every recorded result of one script, one per kind of machine, newest first."""
    documents = [load(p) for p in sorted(folder.glob(f"{name}-*.json"))]
    return sorted((d for d in documents if d["name"] == name), key=lambda d: d["date"], reverse=True)
