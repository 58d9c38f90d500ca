"""Tests of compare.py's parsing, report and record on fake benchmark records
(`python3 -m unittest discover -s benchmarks -p 'test_*.py'`; no PyTorch needed)."""

import argparse
import json
import subprocess
import tempfile
import unittest
from pathlib import Path
from unittest import mock

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


class CompareTests(unittest.TestCase):
    def setUp(self):
        # report() asks a fresh python3 for torch's version: answered here, so the tests need no PyTorch.
        answer = subprocess.CompletedProcess([], 0, stdout="2.15.0\n", stderr="")
        patcher = mock.patch("compare.subprocess.run", return_value=answer)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_json_lines_keeps_only_benchmark_records(self):
        output = "warming up\n{not json\n" + json.dumps(FAKE) + "\n{\"other\": 1}\n"
        self.assertEqual(json_lines(output), [FAKE])

    def test_report_has_both_sides_and_ratios(self):
        theirs = dict(FAKE, impl="pytorch", train_chars_per_sec=10000.0, generate_chars_per_sec=1000.0,
                      peak_rss_mib=1000.0)
        for key in ["train_gflops", "peak_gflops", "train_percent_of_peak", "cpu", "isa", "kernel", "kernel_forced",
                    "sgemm_percent_of_peak", "plan"]:
            del theirs[key]
        args = argparse.Namespace(threads=2, cell="lstm", dropout=0.0, seconds=10.0, corpus="/x/tiny.txt")
        text = report(args, [(FAKE, theirs)], 0.5, 0.25)
        row = next(line for line in text.splitlines() if line.startswith("| M "))
        cells = [c.strip() for c in row.strip("|").split("|")]
        self.assertEqual(cells[3:6], ["30,000", "10,000", "3.00×"])
        self.assertEqual(cells[6:9], ["4,000", "1,000", "4.00×"])
        self.assertEqual(cells[9:12], ["50.00", "1,000", "0.05×"])
        self.assertIn("load average 0.50 before, 0.25 after", text)
        self.assertIn("tiny.txt", text)
        self.assertEqual(cells[12:15], ["80.00", "150", "53%"])
        self.assertIn("AMD EPYC (AuthenticAMD family 26 model 2), ISA avx512, SGEMM kernels planned per product", text)
        plan_row = next(line for line in text.splitlines() if "avx512-zmm-8x48, kc 256" in line)
        self.assertTrue(plan_row.startswith("| M | recurrent h·Whhᵀ | 16×2048×512 NT packed, 1 thread |"))
        forced = report(args, [(dict(FAKE, kernel_forced=True), theirs)], 0.5, 0.25)
        self.assertIn("ISA avx512, SGEMM kernel avx512-zmm-8x48 forced", forced)
        sgemm_row = next(line for line in text.splitlines() if line.startswith("| M ") and "91%" in line)
        self.assertEqual([c.strip() for c in sgemm_row.strip("|").split("|")], ["M", "91%", "40%"])

    def test_best_of_keeps_each_speed_at_its_best_and_the_largest_rss(self):
        slow = dict(FAKE, train_chars_per_sec=20000.0, generate_chars_per_sec=5000.0, peak_rss_mib=60.0,
                    train_percent_of_peak=30.0)
        best = best_of([slow, FAKE])
        self.assertEqual((best["train_chars_per_sec"], best["generate_chars_per_sec"]), (30000.0, 5000.0))
        self.assertEqual((best["peak_rss_mib"], best["train_percent_of_peak"]), (60.0, 53.3))

    def test_report_lists_the_ratio_of_every_round(self):
        theirs = dict(FAKE, impl="pytorch", train_chars_per_sec=10000.0)
        ours = dict(FAKE, round_train_ratios=[2.5, 3.0, 2.75])
        args = argparse.Namespace(threads=2, cell="lstm", dropout=0.0, seconds=10.0, corpus="/x/tiny.txt", rounds=3)
        text = report(args, [(ours, theirs)], 0.5, 0.25)
        self.assertIn("best of 3 alternating rounds", text)
        self.assertIn("M: 2.50×, 3.00×, 2.75×", text)

    def test_record_writes_the_schema_1_result(self):
        theirs = dict(FAKE, impl="pytorch", train_chars_per_sec=10000.0, generate_chars_per_sec=1000.0, peak_rss_mib=1000.0)
        ours = dict(FAKE, round_train_ratios=[2.5, 3.0])
        args = argparse.Namespace(threads=2, cell="lstm", dropout=0.0, seconds=8.0, corpus="/x/tiny.txt", rounds=2)
        results = recorded_results(args, [(ours, theirs)], 0.1, 0.2)
        with tempfile.TemporaryDirectory() as folder:
            path = record("compare", results=results, bench=FAKE, pytorch_version="2.15.0",
                          command=["benchmarks/compare.py", "--record"], folder=Path(folder))
            document = json.loads(path.read_text())
            self.assertTrue(path.name.startswith("compare-"))
        self.assertEqual((document["schema"], document["name"]), (1, "compare"))
        self.assertEqual(document["command"], "python3 benchmarks/compare.py --record")
        self.assertEqual((document["machine"]["isa"], document["machine"]["peak_gflops"]), ("avx512", 150.0))
        self.assertEqual(document["versions"]["pytorch"], "2.15.0")
        config = document["results"]["configs"][0]
        self.assertEqual((config["train_ratio"], config["round_train_ratios"]), (3.0, [2.5, 3.0]))
        self.assertEqual(config["charlstm"]["plan"]["recurrent h·Whhᵀ"]["gflops"], 300.0)


if __name__ == "__main__":
    unittest.main()
