"""Running `charlstm` from the measurement scripts: a command's wall time and peak memory, `info --json`, a run
folder's `metrics.csv`, a file's SHA-256, the held-out tail of a corpus, and the safetensors metadata of a checkpoint.

Every script that records figures for README.md or docs/ (quickstart.py, cells.py, finetune.py, …) runs the
tool through these, so that "steps", "validation bits/char" and "peak memory" mean the same in every table:

- steps, validation: the run's `info --json` (`step`, `best_val_bpc`, `val_bpc`), i.e. what the checkpoint says;
- training speed: the median of `metrics.csv`'s `chars_per_sec` column (the training steps alone);
- peak memory: `VmHWM` (peak resident set) as GNU time reports it (see `measured`), and the peak `RssAnon`
  (anonymous memory: what the process allocated, not the mapped binary and libraries) sampled from
  `/proc/PID/status` every 10 ms while it runs.
"""

import csv
import hashlib
import json
import os
import signal
import struct
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CHARLSTM = str(REPO / ".build" / "release" / "charlstm")
CORPUS = REPO / "Corpora" / "shakespeare.txt"
PRETRAINED = REPO / "Checkpoints" / "pretrained" / "best.safetensors"


def info(charlstm: str, path, cwd=REPO) -> dict:
    """`charlstm info PATH --json` as a dict (its fields vary by version: read them with .get)."""
    out = subprocess.run([charlstm, "info", str(path), "--json"], cwd=cwd, check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)


def metrics(folder) -> list[dict]:
    """The rows of a run folder's metrics.csv."""
    with open(Path(folder) / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def median_chars_per_sec(rows: list[dict]):
    rates = sorted(float(r["chars_per_sec"]) for r in rows if r.get("chars_per_sec"))
    return round(rates[len(rates) // 2]) if rates else None


def last_train_bpc(rows: list[dict]):
    values = [float(r["train_bpc"]) for r in rows if r.get("train_bpc")]
    return round(values[-1], 4) if values else None


def run_summary(charlstm: str, folder, seconds: float) -> dict:
    """What a finished text run folder says: steps, epochs, validation, training loss, speed, settings."""
    about, rows = info(charlstm, Path(folder) / "latest.safetensors"), metrics(folder)
    return {
        "process_seconds": round(seconds, 1),
        "steps": about.get("step"),
        "epochs": round(float(rows[-1]["epoch"]), 3) if rows and rows[-1].get("epoch") else None,
        "best_val_bpc": about.get("best_val_bpc"),
        "last_val_bpc": about.get("val_bpc"),
        "last_train_bpc": last_train_bpc(rows),
        "train_chars_per_sec": median_chars_per_sec(rows),
        "settings": {**training_settings(Path(folder) / "latest.safetensors"), **settings(about)},
    }


SETTING_KEYS = ("cell", "layers", "hidden", "dropout", "seq_length", "batch_size", "learning_rate", "lr_schedule",
                "warmup_steps", "clip", "val_fraction", "vocab_size", "parameters", "corpus")


def settings(about: dict) -> dict:
    """The model and training settings among `info --json`'s fields (those this version prints)."""
    return {k: about[k] for k in SETTING_KEYS if k in about}


TRAINING_KEYS = ("seq_length", "batch_size", "learning_rate", "lr_schedule", "warmup_steps", "learning_rate_decay",
                 "decay_after", "weight_decay", "clip", "val_fraction", "val_chars", "seed", "corpus")


def training_settings(checkpoint) -> dict:
    """The training settings a checkpoint's metadata records (its `training` JSON), those of TRAINING_KEYS."""
    training = safetensors_metadata(checkpoint).get("training")
    return {k: training[k] for k in TRAINING_KEYS if k in training} if isinstance(training, dict) else {}


def sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def held_out_tail(path, fraction: float) -> str:
    """The last `fraction` of a UTF-8 text counted in characters (Unicode scalars), as `train --val-fraction`
    holds it out: floor(count × fraction) characters from the end."""
    text = Path(path).read_text(encoding="utf-8")
    return text[len(text) - int(len(text) * fraction):]


def safetensors_metadata(path) -> dict:
    """The `__metadata__` of a safetensors file, with its JSON-valued fields (`config`, `training`, …) decoded."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        if length > 100_000_000:
            raise ValueError(f"{path}: header of {length} bytes")
        header = json.loads(f.read(length))
    metadata = dict(header.get("__metadata__", {}))
    for key, value in metadata.items():
        if isinstance(value, str) and value[:1] in "{[":
            try:
                metadata[key] = json.loads(value)
            except json.JSONDecodeError:
                pass
    return metadata


def parameter_digests(path) -> dict[str, str]:
    """SHA-256 of each model tensor's bytes in a safetensors checkpoint (not the Adam moments or carried state):
    equal for a training checkpoint and its `export`."""
    digests = {}
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        for name, entry in sorted(header.items()):
            if name == "__metadata__" or name.startswith(("optimizer.", "state.")):
                continue
            start, end = entry["data_offsets"]
            f.seek(8 + length + start)
            digests[name] = hashlib.sha256(f.read(end - start)).hexdigest()
    return digests


def _status(pid: int) -> dict:
    """The kB fields of /proc/PID/status (VmHWM, RssAnon, …) and its Name."""
    fields = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key == "Name":
                fields[key] = value.strip()
            elif value.strip().endswith("kB"):
                fields[key] = int(value.split()[0])
    except (OSError, ValueError):
        pass
    return fields


def _first_child(pid: int) -> int | None:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None


GNU_TIME = "/usr/bin/time"


def require_gnu_time():
    """Recorded peak memory must be exact: refuse to record without GNU time (see `measured`)."""
    if not Path(GNU_TIME).exists():
        raise SystemExit(f"error: recording peak memory needs GNU time at {GNU_TIME} (apt-get install time)")


def measured(command: list[str], cwd=REPO, stop_after: float | None = None, stdout=subprocess.DEVNULL,
             check: bool = True) -> dict:
    """Runs `command` to its end (or sends it SIGINT after `stop_after` seconds) and returns its wall time
    (`seconds`), its peak resident memory (`peak_mib`: VmHWM) and its peak anonymous memory (`peak_anon_mib`: the
    largest RssAnon seen, sampled every 10 ms), in MiB, and its exit status.

    The peak resident memory is GNU time's (`/usr/bin/time -f %M`, Debian's `time`) where it is installed: a child
    forked by Python inherits Python's own peak in the kernel's count (wait4's ru_maxrss; Linux keeps the peak of
    the memory a process had before its exec), about 18 MiB, more than some commands need; GNU time's fork adds
    about 1 MiB. Without it, the largest VmHWM sampled from /proc (which can miss the last 10 ms)."""
    timed = Path(GNU_TIME).exists()
    report = tempfile.NamedTemporaryFile("r", suffix=".time") if timed else None
    prefix = [GNU_TIME, "-f", "%M", "-o", report.name] if timed else []
    name = Path(command[0]).name[:15]  # as /proc/PID/status shows it: the program, not Python before its exec
    start = time.perf_counter()
    errors = tempfile.TemporaryFile("w+")  # a file, not a pipe: a chatty child never blocks on it
    process = subprocess.Popen([*prefix, *command], cwd=cwd, stdout=stdout, stderr=errors, text=True)
    anon_kib, hwm_kib, stopped = 0, 0, False
    while process.poll() is None:
        target = _first_child(process.pid) if timed else process.pid
        status = _status(target) if target else {}
        if status.get("Name") == name:
            anon_kib, hwm_kib = max(anon_kib, status.get("RssAnon", 0)), max(hwm_kib, status.get("VmHWM", 0))
            if stop_after is not None and not stopped and time.perf_counter() - start >= stop_after:
                os.kill(target, signal.SIGINT)
                stopped = True
        time.sleep(0.01)
    seconds = time.perf_counter() - start
    if report is not None:
        lines = [line.strip() for line in report.read().splitlines() if line.strip().isdigit()]
        report.close()
        if lines:
            hwm_kib = int(lines[-1])
    errors.seek(0)
    stderr = errors.read()
    errors.close()
    if check and process.returncode != 0 and not stopped:
        raise subprocess.CalledProcessError(process.returncode, command, stderr=stderr)
    return {"seconds": round(seconds, 2), "peak_mib": round(hwm_kib / 1024, 1),
            "peak_anon_mib": round(anon_kib / 1024, 1), "exit": process.returncode, "stopped": stopped,
            "peak_from": "GNU time" if timed else "/proc samples", "stderr_tail": stderr[-400:]}
