"""Tests of compare.py's parsing and report on fake benchmark records (`python3 -m pytest benchmarks`)."""

import argparse
import json

from compare import best_of, json_lines, recorded_results, report
from results import record

FAKE = {"impl": "charlstm", "config": "M", "cell": "lstm", "layers": 2, "hidden": 512, "seq_length": 100,
        "batch_size": 64, "dropout": 0.0, "threads": 2, "train_chars_per_sec": 30000.0,
        "generate_chars_per_sec": 4000.0, "peak_rss_mib": 50.0, "train_gflops": 80.0, "peak_gflops": 150.0,
        "train_percent_of_peak": 53.3, "cpu": "AMD EPYC (AuthenticAMD family 26 model 2)", "isa": "avx512",
        "kernel": "avx512-zmm-8x48", "kernel_forced": False,
        "sgemm_percent_of_peak": {"recurrent h·Whhᵀ": 91.2, "decoder x·Wdᵀ": 40.0},
        "plan": {"recurrent h·Whhᵀ": {"problem": "16×2048×512 NT packed, 1 thread",
                                      "choice": "avx512-zmm-8x48, kc 256, mc 144, nc 3072", "gflops": 300.0}}}


def test_json_lines_keeps_only_benchmark_records():
    output = "warming up\n{not json\n" + json.dumps(FAKE) + "\n{\"other\": 1}\n"
    assert json_lines(output) == [FAKE]


def test_report_has_both_sides_and_ratios():
    theirs = dict(FAKE, impl="pytorch", train_chars_per_sec=10000.0, generate_chars_per_sec=1000.0,
                  peak_rss_mib=1000.0)
    for key in ["train_gflops", "peak_gflops", "train_percent_of_peak", "cpu", "isa", "kernel", "kernel_forced",
                "sgemm_percent_of_peak", "plan"]:
        del theirs[key]
    args = argparse.Namespace(threads=2, cell="lstm", dropout=0.0, seconds=10.0, corpus="/x/tiny.txt")
    text = report(args, [(FAKE, theirs)], 0.5, 0.25)
    row = next(line for line in text.splitlines() if line.startswith("| M "))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3:6] == ["30,000", "10,000", "3.00×"]
    assert cells[6:9] == ["4,000", "1,000", "4.00×"]
    assert cells[9:12] == ["50.00", "1,000", "0.05×"]
    assert "load average 0.50 before, 0.25 after" in text and "tiny.txt" in text
    assert cells[12:15] == ["80.00", "150", "53%"]
    assert "AMD EPYC (AuthenticAMD family 26 model 2), ISA avx512, SGEMM kernels planned per product" in text
    plan_row = next(line for line in text.splitlines() if "avx512-zmm-8x48, kc 256" in line)
    assert plan_row.startswith("| M | recurrent h·Whhᵀ | 16×2048×512 NT packed, 1 thread |")
    forced = report(args, [(dict(FAKE, kernel_forced=True), theirs)], 0.5, 0.25)
    assert "ISA avx512, SGEMM kernel avx512-zmm-8x48 forced" in forced
    sgemm_row = next(line for line in text.splitlines() if line.startswith("| M ") and "91%" in line)
    assert [c.strip() for c in sgemm_row.strip("|").split("|")] == ["M", "91%", "40%"]


def test_best_of_keeps_each_speed_at_its_best_and_the_largest_rss():
    slow = dict(FAKE, train_chars_per_sec=20000.0, generate_chars_per_sec=5000.0, peak_rss_mib=60.0,
                train_percent_of_peak=30.0)
    best = best_of([slow, FAKE])
    assert best["train_chars_per_sec"] == 30000.0 and best["generate_chars_per_sec"] == 5000.0
    assert best["peak_rss_mib"] == 60.0 and best["train_percent_of_peak"] == 53.3


def test_report_lists_the_ratio_of_every_round():
    theirs = dict(FAKE, impl="pytorch", train_chars_per_sec=10000.0)
    ours = dict(FAKE, round_train_ratios=[2.5, 3.0, 2.75])
    args = argparse.Namespace(threads=2, cell="lstm", dropout=0.0, seconds=10.0, corpus="/x/tiny.txt", rounds=3)
    text = report(args, [(ours, theirs)], 0.5, 0.25)
    assert "best of 3 alternating rounds" in text and "M: 2.50×, 3.00×, 2.75×" in text


def test_record_writes_the_schema_1_result(tmp_path):
    theirs = dict(FAKE, impl="pytorch", train_chars_per_sec=10000.0, generate_chars_per_sec=1000.0, peak_rss_mib=1000.0)
    ours = dict(FAKE, round_train_ratios=[2.5, 3.0])
    args = argparse.Namespace(threads=2, cell="lstm", dropout=0.0, seconds=8.0, corpus="/x/tiny.txt", rounds=2)
    results = recorded_results(args, [(ours, theirs)], 0.1, 0.2)
    path = record("compare", results=results, bench=FAKE, pytorch_version="2.15.0",
                  command=["benchmarks/compare.py", "--record"], folder=tmp_path)
    document = json.loads(path.read_text())
    assert document["schema"] == 1 and document["name"] == "compare" and path.name.startswith("compare-")
    assert document["command"] == "python3 benchmarks/compare.py --record"
    assert document["machine"]["isa"] == "avx512" and document["machine"]["peak_gflops"] == 150.0
    assert document["versions"]["pytorch"] == "2.15.0"
    config = document["results"]["configs"][0]
    assert config["train_ratio"] == 3.0 and config["round_train_ratios"] == [2.5, 3.0]
    assert config["charlstm"]["plan"]["recurrent h·Whhᵀ"]["gflops"] == 300.0
