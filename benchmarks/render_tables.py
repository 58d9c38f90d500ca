#!/usr/bin/env python3
"""Renders the tables of README.md and docs/*.md from the recorded results in benchmarks/results/.

A table lives between two marker lines in a document:

    <!-- table: compare intel-emerald-rapids -->
    …generated…
    <!-- /table -->

The first word names a renderer below, the rest are its arguments (mostly: which machine's file). Everything
between the markers is replaced by what the renderer makes of the recorded file(s); nothing else is touched.

    python3 benchmarks/render_tables.py           # rewrite the tables in place
    python3 benchmarks/render_tables.py --check   # exit 1, naming each table, if any differs from its data (CI)
    python3 benchmarks/render_tables.py --list    # the renderers, their arguments and the script that records each

The check also fails when a table no longer describes the program or the repository: with `--charlstm PATH`
(CI passes the release build), a table measured with the defaults (the quick start, the cells, the series
example) is compared with the defaults the program has now (`charlstm help train`; for series, a 1-step run's
`info --json`), and a changed default names itself; and a table measured with the shipped model is compared with
Checkpoints/pretrained/best.safetensors (its SHA-256). Either way the fix is to measure again with the command
on the table's source line.
"""

import argparse
import functools
import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from results import REPO, RESULTS, load

DOCUMENTS = [REPO / "README.md", REPO / "Checkpoints" / "README.md", REPO / "benchmarks" / "README.md",
             *sorted((REPO / "docs").glob("*.md"))]
BEGIN = re.compile(r"^<!-- table: ([a-z0-9_-]+)((?: [A-Za-z0-9_.-]+)*) -->$")
END = "<!-- /table -->"
SHIPPED = "Checkpoints/pretrained/best.safetensors"
PRETRAINED = REPO / SHIPPED


class TableError(Exception):
    pass


# MARK: - Formatting

def number(value, digits: int = 0) -> str:
    """1234.5 → '1,235' (digits 0), 2.1234 → '2.123' (digits 3)."""
    return f"{value:,.{digits}f}"


def bpc(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def rate(value: float) -> str:
    """A learning rate as the README writes it: 0.004 → '4e-3', 0.0015 → '1.5e-3', 0.1 → '0.1'."""
    if value >= 0.01:
        return f"{value:g}"
    mantissa, exponent = f"{value:e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def seconds(value: float) -> str:
    if value >= 120:
        return f"{value / 60:.1f} min"
    return f"{value:.1f} s" if value < 100 else f"{value:.0f} s"


def mib(value: float) -> str:
    return f"{value:,.0f} MiB"


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def machine_name(document: dict) -> str:
    m = document["machine"]
    return f"{m['cores']}-core {m['kind']}" if m.get("cores") else m["kind"]


def model_name(settings: dict) -> str:
    """'LSTM 2 × 256' from recorded settings."""
    return f"{str(settings.get('cell', '?')).upper()} {settings.get('layers', '?')} × {settings.get('hidden', '?')}"


# MARK: - The document being rendered

class Tables:
    """What a renderer works with: the recorded results, the document (for relative links) and the program."""

    def __init__(self, document: Path, charlstm: str | None = None, folder: Path = RESULTS):
        self.document, self.charlstm, self.folder = document, charlstm, folder

    def result(self, name: str, machine: str) -> dict:
        path = self.folder / f"{name}-{machine}.json"
        if not path.exists():
            shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
            raise TableError(f"no recorded result {shown}")
        return load(path)

    def link(self, repo_path: str) -> str:
        return os.path.relpath(REPO / repo_path, self.document.parent)

    def source(self, document: dict) -> str:
        """Where a table's figures come from: machine, date, commit, versions, the command and the file."""
        m, v = document["machine"], document["versions"]
        parts = [f"{machine_name(document)} ({m['isa']}"
                 + (f", peak {number(m['peak_gflops'])} GFLOP/s" if m.get("peak_gflops") else "") + ")",
                 document["date"][:10], f"commit {document['commit']}", f"Swift {v.get('swift') or '?'}"]
        if v.get("pytorch"):
            parts.append(f"PyTorch {v['pytorch']}")
        path = f"benchmarks/results/{document['name']}-{m['slug']}.json"
        return f"<sub>{', '.join(parts)}; `{document['command']}` → [{path}]({self.link(path)})</sub>"

    # Checks of the recorded run against the program and the repository as they are now.

    def check_defaults(self, settings: dict, document: dict, given: tuple[str, ...] = ()):
        """Fails naming each setting of a run made with the defaults whose default has changed since (text
        models; `given`: settings the run set itself). Needs --charlstm."""
        if not self.charlstm:
            return
        defaults = help_defaults(self.charlstm)
        changed = []
        for key, option in TEXT_OPTIONS.items():
            if key in given or key not in settings:
                continue
            if option not in defaults:
                raise TableError(f"`charlstm help train` shows no default for --{option} (the recorded run used "
                                 f"{settings[key]}): update render_tables.help_defaults")
            if not same(settings[key], defaults[option]):
                changed.append(f"--{option} was {settings[key]}, is now {defaults[option]}")
        if changed:
            raise TableError(f"measured with defaults that changed ({'; '.join(changed)}): measure again with "
                             f"`{document['command']}`")

    def check_series_defaults(self, settings: dict, document: dict):
        """As check_defaults, for a series model: the settings of a 1-step run made now with the same command."""
        if not self.charlstm:
            return
        now = series_defaults(self.charlstm)
        changed = [f"{k} was {settings[k]}, is now {now[k]}" for k in SERIES_KEYS
                   if k in settings and k in now and not same(settings[k], now[k])]
        recorded_help = document["results"].get("help_series_defaults")
        if recorded_help is not None:  # what `help train` said of series defaults then (the budget among them)
            help_now = help_series_defaults(self.charlstm)
            changed += [f"--{k}'s series default was {recorded_help.get(k, 'none')}, is now {help_now.get(k, 'none')}"
                        for k in sorted(set(recorded_help) | set(help_now)) if recorded_help.get(k) != help_now.get(k)]
        if changed:
            raise TableError(f"measured with series defaults that changed ({'; '.join(changed)}): measure again "
                             f"with `{document['command']}`")

    def check_pretrained(self, recorded_sha256: str, document: dict):
        """Fails when the shipped model is no longer the one these figures were measured with."""
        if not PRETRAINED.exists():
            raise TableError(f"{SHIPPED} is missing")
        if file_sha256(PRETRAINED) != recorded_sha256:
            raise TableError(f"measured with another {SHIPPED} than the one shipped now: "
                             f"measure again with `{document['command']}`")


# The recorded settings (`charlstm info --json` keys) of a text run and the `train` options that set them.
TEXT_OPTIONS = {"cell": "cell", "layers": "layers", "hidden": "hidden", "dropout": "dropout",
                "seq_length": "seq-length", "batch_size": "batch-size", "learning_rate": "learning-rate",
                "lr_schedule": "lr-schedule", "warmup_steps": "warmup", "learning_rate_decay": "learning-rate-decay",
                "decay_after": "decay-after", "weight_decay": "weight-decay", "clip": "clip",
                "val_fraction": "val-fraction", "val_chars": "val-chars", "seed": "seed"}
SERIES_KEYS = ("cell", "layers", "hidden", "dropout", "seq_length", "batch_size", "learning_rate", "clip",
               "val_fraction")
# The `train` options whose series default (`series: VALUE` in the help) shapes a series table's figures.
SERIES_HELP_OPTIONS = ("cell", "layers", "hidden", "seq-length", "batch-size", "dropout", "learning-rate", "lr-schedule",
                       "warmup", "learning-rate-decay", "decay-after", "weight-decay", "clip", "val-fraction", "steps",
                       "epochs", "minutes", "patience", "seed")


def help_series_defaults(charlstm: str) -> dict[str, str]:
    """The series defaults `charlstm help train` shows for the options in SERIES_HELP_OPTIONS."""
    found = parse_help_defaults(help_train(charlstm), "series")
    return {k: v for k, v in found.items() if k in SERIES_HELP_OPTIONS}


def same(recorded, default) -> bool:
    try:
        return math.isclose(float(recorded), float(default), rel_tol=1e-9, abs_tol=1e-12)
    except (TypeError, ValueError):
        return str(recorded) == str(default)


def parse_help_defaults(text: str, kind: str = "default") -> dict[str, str]:
    """option name → its default, from a command's help text: an option starts a line (`  --name <value>`), its
    description may continue on more deeply indented lines, and its default is written `default: VALUE` (up to
    `;` or `)`). With kind "series", the series models' defaults where one differs (`series: VALUE`)."""
    entries, current = {}, None
    for line in text.splitlines():
        start = re.match(r"^ {1,4}(?:-\w, )?--([a-z][a-z0-9-]*)(.*)$", line)
        if start:
            current = start.group(1)
            entries[current] = start.group(2)
        elif current and line.startswith("     ") and line.strip():
            entries[current] += " " + line.strip()
        else:
            current = None
    defaults = {}
    for name, body in entries.items():
        found = re.search(rf"\b{kind}:\s*([^;)]+)", body)
        if found:
            defaults[name] = found.group(1).strip()
    return defaults


@functools.lru_cache(maxsize=None)
def help_train(charlstm: str) -> str:
    done = subprocess.run([charlstm, "help", "train"], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise TableError(f"`{charlstm} help train` failed ({done.returncode}): {done.stderr.strip()[:200]}")
    return done.stdout


def help_defaults(charlstm: str) -> dict[str, str]:
    defaults = parse_help_defaults(help_train(charlstm))
    if not defaults:
        raise TableError(f"no defaults found in `{charlstm} help train`: update render_tables.parse_help_defaults")
    return defaults


@functools.lru_cache(maxsize=None)
def series_defaults(charlstm: str) -> dict:
    """The settings of a 1-step series run made now with the recorded command (series_pytorch.py's TRAIN)."""
    from runs import info, settings
    from series_pytorch import TRAIN, filled
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run([charlstm, *filled(TRAIN, difference=52), "--steps", "1", "--out", folder], cwd=REPO,
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise TableError(f"a 1-step series run failed ({done.returncode}): {done.stderr.strip()[:200]}")
        return settings(info(charlstm, Path(folder) / "latest.safetensors"))


@functools.lru_cache(maxsize=None)
def file_sha256(path: Path) -> str:
    from runs import sha256
    return sha256(path)


# MARK: - Renderers

RENDERERS = {}


def renderer(name: str, arguments: str, script: str):
    """Registers a renderer under `name`; `arguments` and `script` (what records its data) are for --list."""
    def register(function):
        RENDERERS[name] = (function, arguments, script)
        return function
    return register


@renderer("quickstart", "MACHINE…", "quickstart.py --record")
def quickstart(t: Tables, *machines: str) -> str:
    """The quick start's outcome, a row per machine: model (the defaults), steps, validation, speed."""
    if not machines:
        raise TableError("name at least one machine")
    rows, sources = [], []
    for machine in machines:
        d = t.result("quickstart", machine)
        r, s = d["results"], d["results"]["settings"]
        t.check_defaults(s, d)
        model = f"{model_name(s)}, batch {s.get('batch_size', '?')} × {s.get('seq_length', '?')}"
        if "learning_rate" in s:
            model += f", Adam {rate(s['learning_rate'])}"
        rows.append([machine_name(d), model, number(r["steps"]), f"{r['epochs']:.2f}" if r.get("epochs") is not None else "–",
                     f"**{bpc(r['best_val_bpc'])}**", number(r["train_chars_per_sec"] or 0),
                     f"{r['process_seconds'] / 60:.1f}"])
        sources.append(t.source(d))
    minutes = f"{t.result('quickstart', machines[0])['results']['minutes']:g}"
    header = ["machine", "model (the defaults)", f"steps in {minutes} min", "epochs", "validation bits/char",
              "training chars/s", "minutes in all"]
    return table(header, rows) + "\n\n" + "<br>\n".join(sources)


def text_block(text: str) -> str:
    text = text.strip("\n")
    fence = "````" if "```" in text else "```"
    return f"{fence}text\n{text}\n{fence}"


@renderer("quickstart-sample", "MACHINE", "quickstart.py --record")
def quickstart_sample(t: Tables, machine: str) -> str:
    d = t.result("quickstart", machine)
    sample = d["results"]["sample"]
    return (text_block(sample["text"]) + "\n\n" + t.source(d).replace(
        "<sub>", f"<sub>`generate --length {sample['length']} --temperature {sample['temperature']:g} --seed "
                 f"{sample['seed']}` after the quick start's training; "))


@renderer("cells", "MACHINE", "cells.py --record")
def cells(t: Tables, machine: str) -> str:
    d = t.result("cells", machine)
    r = d["results"]
    rows = []
    for run in r["runs"]:
        t.check_defaults(run["settings"], d, given=("cell",))
        rows.append([run["cell"], number(run["steps"]), bpc(run["best_val_bpc"]),
                     number(run["train_chars_per_sec"] or 0)])
    return (table(["cell", f"steps in {r['minutes']:g} min", "validation bits/char", "training chars/s"], rows)
            + "\n\n" + t.source(d))


FINETUNE_RUNS = {"init": "`--init-from Checkpoints/pretrained`", "scratch": "from scratch"}


def finetune_result(t: Tables, machine: str) -> tuple[dict, dict]:
    """The fine-tuning record and its results, checked to be of the shipped model."""
    d = t.result("finetune", machine)
    t.check_pretrained(d["results"]["pretrained_sha256"], d)
    return d, d["results"]


@renderer("finetune", "MACHINE", "finetune.py --record")
def finetune(t: Tables, machine: str) -> str:
    d, r = finetune_result(t, machine)
    orders = r["compared"]
    first = orders[0]["runs"]
    minutes = first["init"]["minutes"]
    t.check_defaults(first["scratch"]["settings"], d, given=("val_fraction", "dropout"))
    budget = f"{minutes * 60:.0f} s" if minutes < 2 else f"{minutes:g} min"
    header = [""]
    for order in orders:
        label = f" ({order['order'][0]} first)" if len(orders) > 1 else ""
        header += [f"steps in {budget}{label}", f"held-out bits/char{label}"]
    rows = []
    for name, label in FINETUNE_RUNS.items():
        row = [label]
        for order in orders:
            run = order["runs"][name]
            row += [number(run["steps"]), f"**{bpc(run['best_val_bpc'])}**" if name == "init" else bpc(run["best_val_bpc"])]
        rows.append(row)
    note = (f"`{r['corpus']}` ({r['corpus_bytes'] / 1000:.0f} KB, {r['vocabulary']} characters), the same held-out "
            f"last {r['val_fraction']:.0%} ({number(r['held_out_chars'])} characters), {budget} each, one after the "
            f"other" + (", in both orders" if len(orders) > 1 else "") + ".")
    return table(header, rows) + "\n\n" + note + "\n\n" + t.source(d)


@renderer("finetune-patience", "MACHINE", "finetune.py --record")
def finetune_patience(t: Tables, machine: str) -> str:
    """The README's first fine-tuning command, as it ended: where it stopped and why."""
    d, r = finetune_result(t, machine)
    run = r["patience"]
    patience = re.search(r"--patience (\d+)", run["command"])
    if run["process_seconds"] < run["minutes"] * 60 * 0.95:
        ending = (f"stopped itself after {run['process_seconds'] / 60:.1f} minutes: at step {number(run['steps'])} the "
                  f"validation loss had not gone below that of step {number(run['best_step'])} "
                  f"(**{bpc(run['best_val_bpc'])}** bits/char) for {patience.group(1) if patience else 'several'} "
                  f"validations, while the training loss kept falling ({run['last_train_bpc']:.2f}): "
                  f"`best.safetensors` holds step {number(run['best_step'])}.")
    else:
        ending = (f"ran its whole {run['minutes']:g} minutes ({number(run['steps'])} steps); its best validation, "
                  f"**{bpc(run['best_val_bpc'])}** bits/char, was at step {number(run['best_step'])}.")
    return f"On a {machine_name(d)} the first command {ending}\n\n{t.source(d)}"


@renderer("finetune-sample", "MACHINE patience|init|scratch", "finetune.py --record")
def finetune_sample(t: Tables, machine: str, which: str) -> str:
    d, r = finetune_result(t, machine)
    if which == "patience":
        run = r["patience"]
    elif which in FINETUNE_RUNS:
        run = r["compared"][0]["runs"][which]
    else:
        raise TableError(f"no run '{which}' (patience, init or scratch)")
    s = r["sample"]
    prime = s["prime"].replace("\n", "\\n")
    return (text_block(run["sample"]) + "\n\n" + t.source(d).replace(
        "<sub>", f"<sub>`generate --prime \"{prime}\" --temperature {s['temperature']:g} --seed {s['seed']} --length "
                 f"{s['length']}` after `{run['command']}`; "))


@renderer("series", "MACHINE [latest|best]", "series_pytorch.py --record")
def series(t: Tables, machine: str, checkpoint: str = "latest") -> str:
    """README's CO2 table: the forecast of the held-out weeks by the baselines, charlstm's runs (from
    `latest.safetensors` or the best model) and PyTorch; then one step ahead over the whole file."""
    d = t.result("series", machine)
    r = d["results"]
    if checkpoint not in ("latest", "best"):
        raise TableError(f"'{checkpoint}': latest or best")
    readme_run = r["charlstm"][0]
    t.check_series_defaults(readme_run["settings"], d)

    def rmses(runs):
        return ", ".join(f"{run['forecast_rmse'][checkpoint]:.2f}" for run in runs)

    def seeds(runs):
        return ", ".join("default seed" if run["seed"] is None else str(run["seed"]) for run in runs)

    groups = {}  # difference → its runs, in the recorded order (the README's run first)
    for run in r["charlstm"]:
        groups.setdefault(run["difference"], []).append(run)
    first_lag = readme_run["difference"]
    weeks = r["held_out"]
    rows = [["naive (last value repeated)", f"{r['baselines']['naive']:.2f}"],
            ["seasonal naive (last year repeated)", f"{r['baselines']['seasonal_naive']:.2f}"],
            [f"CharLSTM, `--difference {first_lag}` (the commands above)", f"**{rmses([readme_run])}**"]]
    for lag, runs in groups.items():
        shown = runs[1:] if lag == first_lag else runs
        if not shown:
            continue
        label = f"CharLSTM, `--difference {lag}`" if lag is not None else "CharLSTM without `--difference` (the raw level)"
        rows.append([f"{label}, seeds {seeds(shown)}" if lag == first_lag else f"{label}, {seeds(shown)}",
                     rmses(shown)])
    for run in r.get("pytorch", []):
        rows.append([f"PyTorch, the same model, data and batches ({run['threads']} thread{'s' if run['threads'] > 1 else ''})",
                     f"{run['rmse']:.2f}"])
    which = "`latest.safetensors`" if checkpoint == "latest" else "the best model (`best.safetensors`)"
    forecast = table([f"forecast of {weeks} held-out weeks from {which}", "RMSE (ppm)"], rows)
    one_step_rows = [["naive (the previous value)", f"{readme_run['eval']['naive_rmse']:.2f}"]]
    if "seasonal_naive_rmse" in readme_run["eval"]:
        one_step_rows.append(["seasonal naive (the value a season earlier)",
                              f"{readme_run['eval']['seasonal_naive_rmse']:.2f}"])
    for lag, runs in groups.items():
        label = f"`--difference {lag}`" if lag is not None else "without `--difference`"
        one_step_rows.append([f"CharLSTM, {label}", f"{runs[0]['eval']['rmse']:.2f}"])
    one_step = table(["one step ahead over the whole file (`eval`)", "RMSE (ppm)"], one_step_rows)
    timing = (f"The run of the commands above trained {number(readme_run['steps'])} steps in "
              f"{readme_run['train_seconds']:.1f} s on {readme_run['threads']} threads"
              + (f", {r['charlstm_one_thread']['train_seconds']:.1f} s on 1" if r.get("charlstm_one_thread") else "")
              + " (the whole `train` process).")
    return forecast + "\n\n" + one_step + "\n\n" + timing + "\n\n" + t.source(d)


@renderer("series-pytorch", "MACHINE", "series_pytorch.py --record")
def series_pytorch(t: Tables, machine: str) -> str:
    """benchmarks/README.md's table: forecast RMSE and training seconds of charlstm and PyTorch per thread count."""
    d = t.result("series", machine)
    r = d["results"]
    t.check_series_defaults(r["charlstm"][0]["settings"], d)
    ours = {run["threads"]: run for run in [r["charlstm"][0], r.get("charlstm_one_thread")] if run}
    theirs = {run["threads"]: run for run in r.get("pytorch", [])}
    rows = []
    for threads in sorted(set(ours) | set(theirs)):
        o, p = ours.get(threads), theirs.get(threads)
        rows.append([threads, f"{o['forecast_rmse']['latest']:.2f}" if o else "–", f"{o['train_seconds']:.1f}" if o else "–",
                     f"{p['rmse']:.2f}" if p else "–", f"{p['seconds']:.1f}" if p else "–"])
    return (table(["threads", "charlstm RMSE", "charlstm seconds", "PyTorch RMSE", "PyTorch seconds"], rows)
            + f"\n\nNaive {r['baselines']['naive']:.2f}, seasonal naive {r['baselines']['seasonal_naive']:.2f} ppm. "
            "charlstm's seconds are its whole `train` process (start-up, validation, saves); PyTorch's its training "
            "loop alone.\n\n" + t.source(d))


def dropout_name(dropout: str) -> str:
    """'0.5' → 'quality-per-minute-dropout05' (as quality_per_minute.py names its records)."""
    try:
        value = float(dropout)
    except ValueError:
        raise TableError(f"'{dropout}' is not a dropout")
    return f"quality-per-minute-dropout{value:g}".replace(".", "")


@renderer("quality-per-minute", "MACHINE DROPOUT…", "quality_per_minute.py --dropout P --record")
def quality_per_minute(t: Tables, machine: str, *dropouts: str) -> str:
    if not dropouts:
        raise TableError("name at least one recorded dropout (0.5, …)")
    rows, sources = [], []
    for dropout in dropouts:
        d = t.result(dropout_name(dropout), machine)
        r = d["results"]
        o, p = r["charlstm"], r["pytorch"]
        difference = o["best_val_bpc"] - p["best_val_bpc"]
        rows.append([f"{r['dropout']:g}", f"{number(o['steps'])}, {o['epochs']:.1f}, **{bpc(o['best_val_bpc'])}**",
                     f"{number(p['steps'])}, {p['epochs']:.1f}, **{bpc(p['best_val_bpc'])}**",
                     f"**{difference:+.3f}**" if difference < 0 else f"{difference:+.3f}"])
        sources.append(t.source(d))
    r = t.result(dropout_name(dropouts[0]), machine)["results"]
    header = ["dropout (both sides)", "CharLSTM: steps, epochs, **val bits/char**",
              "PyTorch: steps, epochs, **val bits/char**", "CharLSTM − PyTorch"]
    note = (f"Config {r['config']} ({r['layers']} × {r['hidden']}, batch {r['batch_size']} × {r['seq_length']}, Adam "
            f"{rate(r['learning_rate'])}, clip {r['clip']:g}), {r['minutes']:g} minutes of wall time each side, one "
            f"after the other, {r['threads']} threads, `{r['corpus']}` (last {r['val_fraction']:.0%} held out, "
            f"validated every {r['eval_every']} steps and at the end); best validation bits/char.")
    return table(header, rows) + "\n\n" + note + "\n\n" + "<br>\n".join(sources)


@renderer("learning-curve", "MACHINE [STEP…]", "learning_curve.py --record")
def learning_curve(t: Tables, machine: str, *steps: str) -> str:
    d = t.result("learning-curve", machine)
    r = d["results"]
    chosen = [str(int(s)) for s in steps] if steps else sorted(r["pytorch"], key=int)
    for step in chosen:
        if step not in r["pytorch"] or step not in r["charlstm"]:
            raise TableError(f"step {step} was not evaluated on both sides")
    s = r["settings"]
    rows = [["PyTorch", *(bpc(r["pytorch"][k][1]) for k in chosen)],
            ["charlstm", *(bpc(r["charlstm"][k][1]) for k in chosen)]]
    note = (f"Validation bits/char, {s['layers']} × {s['hidden']} LSTM, batch {s['batch_size']}, seq {s['seq_length']}, "
            f"Adam {rate(s['learning_rate'])} constant, clip {s['clip']:g}, no dropout, the first "
            f"{number(s['characters'])} characters of `{s['corpus']}` (its last 5 % for validation); both sides with "
            "charlstm's initial biases, from different random weights.")
    return table(["step", *(number(int(k)) for k in chosen)], rows) + "\n\n" + note + "\n\n" + t.source(d)


@renderer("large-corpus", "MACHINE", "large_corpus.py --record")
def large_corpus(t: Tables, machine: str) -> str:
    d = t.result("large-corpus", machine)
    r = d["results"]
    c, runs = r["corpus"], r["runs"]
    labels = {"scan": "the scan alone (a 1-step run of a 1 × 16 model)", "train": "`train`, config S, 20 steps",
              "resume": "`train --resume` to step 40", "eval": "`eval` of the file"}
    rows = []
    for name, label in labels.items():
        run = runs.get(name)
        if not run:
            continue
        if name == "eval" and run.get("stopped"):
            label += f" (its first {r['eval_seconds']:g} s)"
        rows.append([label, seconds(run["seconds"]), f"**{mib(run['peak_anon_mib'])}**", mib(run["peak_mib"])])
    note = (f"A {c['bytes'] / 2**30:.2f} GiB UTF-8 file ({number(c['chars'])} characters, {c['vocabulary']} distinct: "
            "Corpora/shakespeare.txt repeated, with `é` and `ß`), page cache warm, one run after the other; memory "
            "is the peak of the process (anonymous: RssAnon sampled every 10 ms; resident: VmHWM).")
    return (note + "\n\n" + table(["", "wall time", "peak anonymous memory", "peak resident memory"], rows)
            + "\n\n" + t.source(d))


@renderer("pretrained", "MACHINE", "pretrained.py --record --run RUN_FOLDER")
def pretrained(t: Tables, machine: str) -> str:
    """Checkpoints/README.md's table of the shipped model."""
    d = t.result("pretrained", machine)
    r = d["results"]
    t.check_pretrained(r["sha256"], d)
    m, h, recipe = r["model"], r["held_out"], r["recipe"]
    training = recipe.get("training", {})
    parts = []
    if training.get("step") is not None:
        epochs = f" ({float(training['epoch']):.1f} epochs)" if training.get("epoch") is not None else ""
        parts.append(f"{number(int(training['step']))} steps of {training.get('batch_size', '?')} streams × "
                     f"{training.get('seq_length', '?')} characters{epochs}")
    if "learning_rate" in training:
        schedule = training.get("lr_schedule")
        warmup = training.get("warmup_steps")
        parts.append(f"Adam {rate(float(training['learning_rate']))}"
                     + (f", `{schedule}` schedule" if schedule else "")
                     + (f" with a {warmup}-step warm-up" if warmup else ""))
    if "clip" in training:
        parts.append(f"clip {float(training['clip']):g}")
    parts.append("no dropout" if not m.get("dropout") else f"dropout {m['dropout']:g}")
    if "seed" in training:
        parts.append(f"seed {training['seed']}")
    if recipe.get("training_seconds"):
        parts.append(f"{recipe['training_seconds'] / 60:.0f} minutes")
    loss = f"; training loss at the end {recipe['last_train_bpc']:.2f}" if recipe.get("last_train_bpc") else ""
    shipped_step = r.get("recorded", {}).get("step")
    if shipped_step is not None and shipped_step != training.get("step"):
        parts.append(f"the shipped model is the best validation's, step {number(int(shipped_step))}")
    rows = [["model", f"{str(m['cell']).upper()}, {m['layers']} layers × {m['hidden']} hidden, {m['vocab_size']}-character "
                      f"vocabulary, {number(m['parameters'])} parameters"],
            ["corpus", f"`{h['corpus']}`, last {h['fraction']:.0%} held out"],
            ["training", ", ".join(parts)],
            ["held-out", f"**{h['bits_per_char']:.3f} bits/char** on the held-out {number(h.get('chars', 0))} characters "
                         "by `charlstm eval`" + (f", top-1 accuracy {h['accuracy']:.1%}" if "accuracy" in h else "") + loss],
            ["file", f"{r['file_bytes'] / 1e6:.1f} MB, model only (`charlstm export`), SHA-256 `{r['sha256'][:16]}…`"]]
    return table(["", ""], rows) + "\n\n" + t.source(d)


@renderer("pretrained-recipe", "MACHINE", "pretrained.py --record --run RUN_FOLDER")
def pretrained_recipe(t: Tables, machine: str) -> str:
    d = t.result("pretrained", machine)
    r = d["results"]
    t.check_pretrained(r["sha256"], d)
    return "```sh\n" + "\n".join(r["recipe"]["commands"]) + "\n```"


PROPERTIES = {"inside_quotes": "inside double quotes", "inside_brackets": "inside brackets or parentheses"}


@renderer("inspect-cells", "MACHINE", "inspect_cells.py --record")
def inspect_cells(t: Tables, machine: str) -> str:
    d = t.result("inspect-cells", machine)
    r = d["results"]
    t.check_pretrained(r["pretrained_sha256"], d)
    rows = []
    for name, entry in r["properties"].items():
        cells = ", ".join(f"layer {c['layer']} cell {c['cell']} (r = {c['r']:+.2f})" for c in entry["cells"])
        rows.append([PROPERTIES.get(name, name.replace("_", " ")), cells if entry.get("varies", True) else "(does not vary in this text)"])
    note = (f"The shipped model on the last 20,000 characters of the corpus ({number(r['chars'])} inspected): "
            f"{r['bits_per_char']:.3f} bits/char; the page is {r['page_bytes'] / 1e6:.1f} MB.")
    return table(["property", "the cells that follow it most (Pearson's r)"], rows) + "\n\n" + note + "\n\n" + t.source(d)


@renderer("memory", "MACHINE", "memory.py --record")
def memory(t: Tables, machine: str) -> str:
    d = t.result("memory", machine)
    runs = d["results"]["runs"]
    train, export = runs.get("train", {}), runs.get("export", {})
    sizes = (f" ({train['checkpoint_bytes'] / 1e6:.0f} MB → {export['output_bytes'] / 1e6:.1f} MB)"
             if "checkpoint_bytes" in train and "output_bytes" in export else "")
    labels = {"help": "`charlstm --help` (the runtime alone)",
              "train": "`train` on config M (2 × 512, batch 64 × 100): 6 steps, a validation and a checkpoint every 3",
              "info": "`info` of that run's training checkpoint", "export": f"`export` of it{sizes}"}
    order = [*labels, *sorted(set(runs) - set(labels))]  # the recorded file's keys are sorted
    rows = [[labels.get(name, name), f"**{mib(runs[name]['peak_mib'])}**", mib(runs[name]["peak_anon_mib"])]
            for name in order if name in runs]
    return table(["command", "peak resident memory (VmHWM)", "peak anonymous memory"], rows) + "\n\n" + t.source(d)


def compare_rows(document: dict) -> list[str]:
    rows = []
    for c in document["results"]["configs"]:
        ours, theirs = c["charlstm"], c["pytorch"]
        name = c["config"] + (f", dropout {c['dropout']:g}" if c["dropout"] else "")
        weights = ours.get("generate_weights")
        rows.append(f"| {name} | {c['layers']} × {c['hidden']}, {c['seq_length']} × {c['batch_size']} "
                    f"| {number(ours['train_chars_per_sec'])} / {number(theirs['train_chars_per_sec'])} = **{c['train_ratio']:.2f}×** "
                    f"| {number(ours['generate_chars_per_sec'])}{f' ({weights})' if weights else ''} / "
                    f"{number(theirs['generate_chars_per_sec'])} = **{c['generate_ratio']:.1f}×** "
                    f"| {number(ours['peak_rss_mib'])} / {number(theirs['peak_rss_mib'])} MiB = {c['rss_ratio']:.2f} "
                    f"| {ours.get('train_percent_of_peak', 0):.0f}% |")
    return rows


@renderer("compare", "MACHINE [RECORD_NAME…]", "compare.py --record (planner)")
def compare(t: Tables, machine: str, *extra: str) -> str:
    """compare.py's recorded run on `machine` (and the runs named by `extra`, e.g. `compare-lstm-dropout02`, as more
    rows): both sides' speeds and their ratios, generation's weights, RSS, % of peak, the per-round ratios.
    (The planner's format, ported to this file's renderers.)"""
    documents = [t.result("compare", machine)] + [t.result(name, machine) for name in extra]
    header = ("| config | layers × hidden, seq × batch | train chars/s: CharLSTM / PyTorch | generate chars/s: CharLSTM "
              "(weights) / PyTorch | peak RSS: CharLSTM / PyTorch | train, % of peak |\n|---|---|---|---|---|---|")
    rows = [row for d in documents for row in compare_rows(d)]
    rounds = "; ".join(f"{c['config']}{' dropout ' + format(c['dropout'], 'g') if c['dropout'] else ''}: "
                       + ", ".join(f"{r:.2f}×" for r in c["round_train_ratios"])
                       for d in documents for c in d["results"]["configs"])
    loads = ", ".join(f"{d['results']['load_before']:.1f} → {d['results']['load_after']:.1f}" for d in documents)
    return "\n".join([header, *rows, "",
                      f"Training ratio per round: {rounds}. 1-minute load average before → after each run: {loads}.", "",
                      *(t.source(d) for d in documents)]) + "\n"


@renderer("compare-plan", "MACHINE [CONFIG]", "compare.py --record (planner)")
def compare_plan(t: Tables, machine: str, config: str = "M") -> str:
    """The plan charlstm's planner made for `config`'s products in compare.py's recorded run on `machine`."""
    document = t.result("compare", machine)
    c = next((c for c in document["results"]["configs"] if c["config"] == config), None)
    if c is None:
        raise TableError(f"no config {config} in the recorded run")
    rows = [f"| {name} | {entry['problem']} | `{entry['choice']}` | {number(entry['gflops'])} |"
            for name, entry in c["charlstm"].get("plan", {}).items()]
    return "\n".join(["| product | shape (m × n × k) | kernel and blocking | GFLOP/s |", "|---|---|---|---|", *rows, "",
                      t.source(document)]) + "\n"


# The serve engineer's renderers (benchmarks/serve_load.py's records), ported to the Tables renderers unchanged.
SERVE_MODELS = [("serve_pretrained", "shipped"), ("serve_m", "M")]


def model_words(model: dict) -> str:
    return f"{model['cell']} {model['layers']} × {model['hidden']}, {model['vocab_size']} characters"


@renderer("serve_throughput", "MACHINE", "serve_load.py --record (serve)")
def serve_throughput(t: Tables, machine: str) -> str:
    """Aggregate characters per second of `charlstm serve` by concurrent streams (benchmarks/serve_load.py)."""
    documents = [(label, t.result(name, machine)) for name, label in SERVE_MODELS]
    counts = sorted({int(c) for _, d in documents for c in d["results"]["chars_per_s"]})
    lines = ["| model | " + " | ".join(f"{c} stream{'s' if c > 1 else ''}" for c in counts) + " | 16 streams ÷ 1 |",
             "|---|" + "---:|" * (len(counts) + 1)]
    for label, d in documents:
        rates = {int(c): r for c, r in d["results"]["chars_per_s"].items()}
        ratio = f"{rates[16] / rates[1]:.1f}×" if 16 in rates and 1 in rates else "–"
        lines.append(f"| {label} ({model_words(d['results']['model'])}) | "
                     + " | ".join(number(rates[c]) if c in rates else "–" for c in counts) + f" | {ratio} |")
    lines.append("")
    lines += [t.source(d) for _, d in documents]
    return "\n".join(lines)


@renderer("serve_load", "MACHINE", "serve_load.py --record (serve)")
def serve_load(t: Tables, machine: str) -> str:
    """The load test of benchmarks/serve_load.py on the shipped model: throughput, first character, memory, fuzz."""
    d = t.result("serve_pretrained", machine)
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
             "", t.source(d)]
    return "\n".join(lines)


# MARK: - Rendering documents

def render(text: str, document: Path, charlstm: str | None, folder: Path = RESULTS) -> tuple[str, list[str]]:
    """The document with every table region rendered anew, and the problems met (unknown renderer, no data, a
    recorded run that no longer describes the program)."""
    tables = Tables(document, charlstm, folder)
    lines, out, problems, i = text.split("\n"), [], [], 0
    shown = document.relative_to(REPO) if document.is_relative_to(REPO) else document
    while i < len(lines):
        line = lines[i]
        out.append(line)
        match = BEGIN.match(line)
        i += 1
        if not match:
            continue
        end = next((j for j in range(i, len(lines)) if lines[j] == END), None)
        if end is None:
            problems.append(f"{shown}: '{line}' has no '{END}'")
            continue
        name, arguments = match.group(1), match.group(2).split()
        try:
            if name not in RENDERERS:
                raise TableError(f"unknown table '{name}' (known: {', '.join(sorted(RENDERERS))})")
            out.extend(RENDERERS[name][0](tables, *arguments).rstrip("\n").split("\n"))
        except (TableError, TypeError, KeyError, ValueError, IndexError) as error:
            kind = "" if isinstance(error, TableError) else f"{type(error).__name__}: "
            problems.append(f"{shown}: table '{' '.join([name, *arguments])}': {kind}{error}")
            out.extend(lines[i:end])
        out.append(END)
        i = end + 1
    return "\n".join(out), problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if any table differs from its data")
    parser.add_argument("--charlstm", help="the built tool, to check recorded defaults against (CI passes it)")
    parser.add_argument("--list", action="store_true", help="list the renderers and the scripts that record their data")
    args = parser.parse_args()
    if args.list:
        for name, (_, arguments, script) in RENDERERS.items():
            print(f"<!-- table: {name} {arguments} -->    recorded by benchmarks/{script}")
        return
    if args.charlstm and not Path(args.charlstm).exists():
        sys.exit(f"error: no charlstm binary at {args.charlstm}")
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
