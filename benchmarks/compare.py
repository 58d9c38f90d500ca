#!/usr/bin/env python3
"""Runs `charlstm bench --json` and the PyTorch reference alternately, config by config, on the same corpus, and
prints a Markdown table of both with ratios (charlstm ÷ PyTorch), the date and the CPU, ready for the README.

    python3 benchmarks/compare.py --charlstm .build/release/charlstm --config all --seconds 10 --threads 2

With --rounds N (default 3) each config is measured N times, the two sides alternating, and each side's best
round is reported: on a shared machine other tenants only ever slow a run down, and alternating exposes both
sides to the same neighbours. The spread of the per-round training ratios is printed under the table, and the
plan charlstm's planner made for each config's matrix products (kernel and blocking per product).

With --record the run is also written to benchmarks/results/compare-<machine>.json (see results.py), which is
where README's tables come from. Its "results" hold, per config: "config", "layers", "hidden", "seq_length",
"batch_size", "dropout", "charlstm" and "pytorch" (each side's best-of-rounds record: train_chars_per_sec,
generate_chars_per_sec, peak_rss_mib, and for charlstm train_gflops, peak_gflops, train_percent_of_peak,
generate_weights, plan, sgemm_percent_of_peak), "train_ratio", "generate_ratio", "rss_ratio" and
"round_train_ratios"; and "cell", "threads", "seconds", "rounds", "corpus", "load_before", "load_after".
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

from benchmark_common import CONFIGS, DEFAULT_CORPUS, REPO, config_names, cpu_model, markdown_table
from results import record

PYTORCH_REFERENCE = Path(__file__).resolve().with_name("pytorch_reference.py")


def json_lines(output: str) -> list[dict]:
    """The benchmark records (JSON objects with an "impl" key) among a command's output lines."""
    records = []
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and "impl" in record:
                records.append(record)
    return records


def run(command: list[str]) -> dict:
    """Runs one benchmark command and returns its single record."""
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.exit(f"error: {' '.join(command)} failed ({completed.returncode}):\n{completed.stderr}")
    records = json_lines(completed.stdout)
    if len(records) != 1:
        sys.exit(f"error: expected one JSON record from {' '.join(command)}, got {len(records)}:\n{completed.stdout}")
    return records[0]


def common_options(args, config: str) -> list[str]:
    return ["--config", config, "--cell", args.cell, "--seconds", str(args.seconds), "--threads", str(args.threads),
            "--dropout", str(args.dropout), "--json"]


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "–"


def best_of(records: list[dict]) -> dict:
    """One record from several rounds of the same side: each speed the best seen, the RSS the largest."""
    best = dict(records[0])
    for key in ["train_chars_per_sec", "generate_chars_per_sec", "train_gflops"]:
        if key in best:
            best[key] = max(r[key] for r in records)
    if "train_percent_of_peak" in best:  # belongs to the round with the best training speed
        fastest = max(records, key=lambda r: r["train_chars_per_sec"])
        best["train_percent_of_peak"] = fastest["train_percent_of_peak"]
        best["peak_gflops"] = fastest["peak_gflops"]
        best["sgemm_percent_of_peak"] = fastest.get("sgemm_percent_of_peak", {})
        if "plan" in fastest:
            best["plan"] = fastest["plan"]
    best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in records)
    return best


def measure(args, config: str) -> tuple[dict, dict]:
    """`args.rounds` alternating rounds of both sides on one config; each side's best (see best_of), with
    the per-round training ratios kept on ours."""
    ours_rounds, theirs_rounds = [], []
    for r in range(args.rounds):
        print(f"config {config}, round {r + 1}/{args.rounds}: charlstm ...", file=sys.stderr, flush=True)
        ours_rounds.append(run([args.charlstm, "bench", args.corpus, *common_options(args, config)]))
        print(f"config {config}, round {r + 1}/{args.rounds}: PyTorch ...", file=sys.stderr, flush=True)
        theirs_rounds.append(run([sys.executable, str(PYTORCH_REFERENCE), "--corpus", args.corpus,
                                  *common_options(args, config)]))
    ours, theirs = best_of(ours_rounds), best_of(theirs_rounds)
    ours["round_train_ratios"] = [o["train_chars_per_sec"] / t["train_chars_per_sec"]
                                  for o, t in zip(ours_rounds, theirs_rounds)]
    return ours, theirs


def report(args, pairs: list[tuple[dict, dict]], load_before: float, load_after: float) -> str:
    rows = []
    for ours, theirs in pairs:
        rows.append([
            ours["config"], f'{ours["layers"]}×{ours["hidden"]}', f'{ours["seq_length"]}×{ours["batch_size"]}',
            ours["train_chars_per_sec"], theirs["train_chars_per_sec"],
            ratio(ours["train_chars_per_sec"], theirs["train_chars_per_sec"]),
            ours["generate_chars_per_sec"], theirs["generate_chars_per_sec"],
            ratio(ours["generate_chars_per_sec"], theirs["generate_chars_per_sec"]),
            ours["peak_rss_mib"], theirs["peak_rss_mib"], ratio(ours["peak_rss_mib"], theirs["peak_rss_mib"]),
            ours.get("train_gflops", "–"), ours.get("peak_gflops", "–"), percent(ours.get("train_percent_of_peak")),
        ])
    header = ["config", "layers×hidden", "seq×batch", "charlstm train chars/s", "PyTorch train chars/s", "train ×",
              "charlstm generate chars/s", "PyTorch generate chars/s", "generate ×", "charlstm RSS MiB",
              "PyTorch RSS MiB", "RSS ratio", "charlstm train GFLOP/s", "peak GFLOP/s", "% of peak"]
    torch_version = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"],
                                   capture_output=True, text=True).stdout.strip() or "?"
    first = pairs[0][0] if pairs else {}
    machine = first.get("cpu") or cpu_model()
    if "isa" in first:
        machine += f", ISA {first['isa']}" + (f", SGEMM kernel {first['kernel']} forced" if first.get("kernel_forced")
                                              else ", SGEMM kernels planned per product (below)")
    rounds = getattr(args, "rounds", 1)
    intro = (f"{datetime.date.today().isoformat()}, {machine}, {args.threads} threads, cell {args.cell}, "
             f"dropout {args.dropout}, {args.seconds:g} s per measurement, "
             f"{'best of ' + str(rounds) + ' alternating rounds, ' if rounds > 1 else ''}"
             f"corpus `{Path(args.corpus).name}`, "
             f"PyTorch {torch_version} (CPU). Ratios are charlstm ÷ PyTorch; PyTorch's RSS includes the "
             f"interpreter and the torch import. 1-minute load average {load_before:.2f} before, {load_after:.2f} "
             f"after (anything much above 0 on an idle machine makes both sides slower).")
    return intro + "\n\n" + markdown_table(header, rows) + spread(pairs) + sgemm_table(pairs) + plan_table(pairs)


def spread(pairs: list[tuple[dict, dict]]) -> str:
    """The per-round training ratios of each config, when there was more than one round."""
    lines = [f"{ours['config']}: " + ", ".join(f"{x:.2f}×" for x in ours["round_train_ratios"])
             for ours, _ in pairs if len(ours.get("round_train_ratios", [])) > 1]
    return "\n\nTraining ratio in each round (charlstm ÷ PyTorch): " + "; ".join(lines) + "." if lines else ""


def percent(value) -> str:
    return "–" if value is None else f"{value:.0f}%"


def sgemm_table(pairs: list[tuple[dict, dict]]) -> str:
    """charlstm's SGEMM speed on each product of a training step, as % of the machine's peak, per config."""
    names = []
    for ours, _ in pairs:
        for name in ours.get("sgemm_percent_of_peak", {}):
            if name not in names:
                names.append(name)
    if not names:
        return ""
    rows = [[ours["config"], *(percent(ours.get("sgemm_percent_of_peak", {}).get(n)) for n in names)]
            for ours, _ in pairs]
    return "\n\nSGEMM alone on the training step's products, % of peak:\n\n" + markdown_table(["config", *names], rows)


def plan_table(pairs: list[tuple[dict, dict]]) -> str:
    """The kernel and blocking charlstm's planner chose for each product, per config."""
    rows = []
    for ours, _ in pairs:
        for name, entry in ours.get("plan", {}).items():
            rows.append([ours["config"], name, entry.get("problem", ""), entry.get("choice", ""), entry.get("gflops", "–")])
    if not rows:
        return ""
    return ("\n\nThe plan (charlstm's planner, measured on this machine; `charlstm bench` lists every candidate):\n\n"
            + markdown_table(["config", "product", "shape", "kernel and blocking", "GFLOP/s"], rows))


def recorded_results(args, pairs: list[tuple[dict, dict]], load_before: float, load_after: float) -> dict:
    """The figures of this run as README's tables need them (keys in the module's docstring)."""
    configs = []
    for ours, theirs in pairs:
        configs.append({
            "config": ours["config"], "layers": ours["layers"], "hidden": ours["hidden"],
            "seq_length": ours["seq_length"], "batch_size": ours["batch_size"], "dropout": ours["dropout"],
            "charlstm": {k: v for k, v in ours.items() if k != "round_train_ratios"},
            "pytorch": theirs,
            "train_ratio": ours["train_chars_per_sec"] / theirs["train_chars_per_sec"],
            "generate_ratio": ours["generate_chars_per_sec"] / theirs["generate_chars_per_sec"],
            "rss_ratio": ours["peak_rss_mib"] / theirs["peak_rss_mib"],
            "round_train_ratios": ours.get("round_train_ratios", []),
        })
    return {"configs": configs, "cell": args.cell, "threads": args.threads, "seconds": args.seconds,
            "rounds": args.rounds, "dropout": args.dropout, "corpus": Path(args.corpus).name,
            "load_before": load_before, "load_after": load_after}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charlstm", default=str(REPO / ".build" / "release" / "charlstm"))
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--config", choices=[*CONFIGS, "all"], default="all")
    parser.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per config; each side's best is kept")
    parser.add_argument("--record", action="store_true",
                        help="also write the run to benchmarks/results/compare-<machine>.json (README's tables)")
    args = parser.parse_args()
    if args.rounds < 1:
        sys.exit("error: --rounds must be at least 1")
    if not Path(args.charlstm).exists():
        sys.exit(f"error: no charlstm binary at {args.charlstm} "
                 "(build it with `swift build -c release` or pass --charlstm)")

    pairs, load_before = [], os.getloadavg()[0]
    for config in config_names(args.config):
        pairs.append(measure(args, config))
    load_after = os.getloadavg()[0]
    print(report(args, pairs, load_before, load_after))
    if args.record:
        torch_version = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"],
                                       capture_output=True, text=True).stdout.strip() or None
        name = "compare" if args.dropout == 0 and args.cell == "lstm" else f"compare-{args.cell}-dropout{args.dropout:g}".replace(".", "")
        record(name, results=recorded_results(args, pairs, load_before, load_after), bench=pairs[0][0],
               pytorch_version=torch_version, command=sys.argv)


if __name__ == "__main__":
    main()
