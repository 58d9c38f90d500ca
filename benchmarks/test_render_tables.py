"""Tests of render_tables.py: every renderer on small fixture result files, the regions it replaces, and the checks
that fail when a table no longer describes the program (changed defaults) or the shipped model
(`python3 -m unittest discover -s benchmarks -p 'test_*.py'`; no PyTorch, no build needed)."""

import json
import os
import shutil
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import render_tables as rt
from results import REPO

HELP = """OVERVIEW: Train a model (a made-up help text in the format of `charlstm help train`).

OPTIONS:
  --cell <cell>           The cell. (values: lstm, gru, rnn;
                          default: lstm)
  --layers <n>            Layers. (default: 2; series: 1)
  --hidden <n>            Units. (from 1 to 8192; default: 256)
  --seq-length <n>        Sequence length, a description long enough to wrap
                          onto a second line and a third. (from 1 to 100000;
                          default: 100)
  --batch-size <n>        Streams. (default: 64)
  --dropout <p>           Dropout. (in [0, 1);
                          default: 0)
  --learning-rate <rate>  Adam's rate. (in (0, 10]; default: {lr})
  --learning-rate-decay <factor>
                          Decay per epoch. (in (0, 1]; default: 0.97)
  --clip <norm>           Gradient norm. (at least 0; default: 5)
  --val-fraction <fraction>
                          Held out. (in (0, 0.5]; default: 0.05)
  --epochs <x>            Epochs. (greater than 0; default:
                          50 when no budget option is given; series: --steps
                          {budget} instead)
  --minutes <m>           Minutes. (greater than 0)
  -h, --help              Show help information.

EXAMPLE:
  charlstm train my-corpus.txt --minutes 60
"""

SETTINGS = {"cell": "lstm", "layers": 2, "hidden": 256, "dropout": 0.0, "seq_length": 100, "batch_size": 64,
            "learning_rate": 0.004, "vocab_size": 84, "parameters": 898132, "corpus": "Corpora/shakespeare.txt"}
SLUG = "amd-zen5"


def document(name: str, results: dict, pytorch: str | None = None) -> dict:
    return {"schema": 1, "name": name, "date": "2026-12-06T20:15:00Z", "commit": "abc1234",
            "command": f"python3 benchmarks/{name}.py --record",
            "machine": {"slug": SLUG, "kind": "AMD EPYC Zen 5", "cpu": "AMD EPYC", "isa": "avx512",
                        "peak_gflops": 466, "cores": 2},
            "versions": {"swift": "6.3", "pytorch": pytorch}, "results": results}


def text_run(**changes) -> dict:
    run = {"process_seconds": 301.2, "steps": 1391, "epochs": 1.83, "best_val_bpc": 1.9991, "last_val_bpc": 1.9991,
           "last_train_bpc": 1.95, "train_chars_per_sec": 31000, "settings": dict(SETTINGS)}
    run.update(changes)
    return run


FIXTURES = {
    "quickstart": document("quickstart", {"minutes": 5.0, **text_run(),
                                          "sample": {"seed": 1, "temperature": 0.8, "length": 500,
                                                     "text": "\nROMEO:\nWhat light?\n"}}),
    "cells": document("cells", {"minutes": 2.0, "runs": [
        {"cell": c, **text_run(steps=s, best_val_bpc=v, settings=dict(SETTINGS, cell=c))}
        for c, s, v in [("lstm", 457, 2.27), ("gru", 602, 2.34), ("rnn", 1479, 2.26)]]}),
    "finetune": document("finetune", {
        "corpus": "Corpora/faust.txt", "corpus_bytes": 59414, "corpus_chars": 58513, "vocabulary": 70,
        "val_fraction": 0.1, "held_out_chars": 5851, "pretrained_sha256": "PRETRAINED",
        "sample": {"prime": "FAUST:\n", "temperature": 0.8, "seed": 7, "length": 240},
        "patience": {"command": "charlstm train Corpora/faust.txt --init-from Checkpoints/pretrained --minutes 10 "
                                "--patience 5 --eval-every 10 --val-fraction 0.1", "minutes": 10.0,
                     **text_run(process_seconds=185.0, steps=190, best_val_bpc=2.543, last_train_bpc=1.84),
                     "best_step": 140, "validations": 19, "last_line": "", "sample": "FAUST:\nMastischam"},
        "compared": [{"order": order, "runs": {
            "init": {"command": "charlstm train … --init-from …", "minutes": 1.5,
                     **text_run(steps=79, best_val_bpc=2.619, settings=dict(SETTINGS, val_fraction=0.1)),
                     "best_step": 79, "sample": "FAUST:\nO söur"},
            "scratch": {"command": "charlstm train …", "minutes": 1.5,
                        **text_run(steps=88, best_val_bpc=4.742, settings=dict(SETTINGS, val_fraction=0.1)),
                        "best_step": 88, "sample": "FAUST:\nmarwÄs"}}}
            for order in (["init", "scratch"], ["scratch", "init"])]}),
    "series": document("series", {
        "data": "Corpora/co2-mauna-loa-weekly.csv", "held_out": 104, "season": 52,
        "baselines": {"naive": 2.49, "seasonal_naive": 2.12},
        "charlstm": [{"difference": d, "seed": s, "threads": 2, "train_seconds": 3.3, "steps": 2000,
                      "best_val_rmse": 0.6, "forecast_rmse": {"latest": l, "best": l - 0.1},
                      "eval": {"rmse": 0.51 if d == 52 else 0.36, "naive_rmse": 0.49, "seasonal_naive_rmse": 1.51},
                      "settings": {"cell": "lstm", "layers": 1, "hidden": 64, "seq_length": 32, "batch_size": 16,
                                   "learning_rate": 0.002}}
                     for d, s, l in [(52, None, 0.88), (52, 1, 1.05), (52, 2, 1.42), (1, None, 1.06), (1, 1, 1.32),
                                     (1, 2, 1.63), (None, None, 11.0)]],
        "charlstm_one_thread": {"difference": 52, "seed": None, "threads": 1, "train_seconds": 2.8, "steps": 2000,
                                "forecast_rmse": {"latest": 0.88, "best": 0.78}},
        "pytorch": [{"threads": 1, "steps": 2000, "rmse": 1.27, "seconds": 3.9},
                    {"threads": 2, "steps": 2000, "rmse": 0.88, "seconds": 191.8}]}, pytorch="2.15.0"),
    "quality-per-minute-dropout05": document("quality-per-minute-dropout05", {
        "config": "M", "layers": 2, "hidden": 512, "seq_length": 100, "batch_size": 64, "learning_rate": 0.002,
        "clip": 5.0, "dropout": 0.5, "minutes": 10.0, "eval_every": 200, "threads": 2, "corpus": "tinyshakespeare.txt",
        "val_fraction": 0.05,
        "charlstm": {"steps": 1475, "epochs": 8.9, "best_val_bpc": 2.162},
        "pytorch": {"steps": 899, "epochs": 5.5, "best_val_bpc": 2.264}}, pytorch="2.15.0"),
    "learning-curve": document("learning-curve", {
        "settings": {"layers": 2, "hidden": 128, "batch_size": 32, "seq_length": 50, "learning_rate": 0.002,
                     "clip": 5.0, "characters": 400000, "corpus": "tinyshakespeare.txt"},
        "pytorch": {"100": [4.7, 4.611], "200": [3.8, 3.708]}, "charlstm": {"100": [4.6, 4.555], "200": [3.7, 3.626]}},
        pytorch="2.15.0"),
    "large-corpus": document("large-corpus", {
        "corpus": {"bytes": 2**30, "chars": 1073000000, "vocabulary": 86, "copies": 213}, "eval_seconds": 20.0,
        "runs": {"scan": {"seconds": 1.2, "peak_mib": 20.0, "peak_anon_mib": 3.0, "stopped": False},
                 "train": {"seconds": 8.8, "peak_mib": 44.0, "peak_anon_mib": 25.0, "stopped": False},
                 "resume": {"seconds": 7.6, "peak_mib": 44.0, "peak_anon_mib": 25.0, "stopped": False},
                 "eval": {"seconds": 20.1, "peak_mib": 26.0, "peak_anon_mib": 9.0, "stopped": True}}}),
    "pretrained": document("pretrained", {
        "path": "Checkpoints/pretrained/best.safetensors", "file_bytes": 3594064, "sha256": "PRETRAINED",
        "model": {"cell": "lstm", "layers": 2, "hidden": 256, "dropout": 0.0, "vocab_size": 84, "parameters": 898132},
        "held_out": {"corpus": "Corpora/shakespeare.txt", "fraction": 0.05, "bits_per_char": 1.9512,
                     "accuracy": 0.4567, "chars": 252701},
        "recipe": {"commands": ["charlstm train Corpora/shakespeare.txt --steps 12000", "charlstm export a b"],
                   "training": {"step": 12000, "epoch": 16.0, "batch_size": 64, "seq_length": 100,
                                "learning_rate": 0.004, "lr_schedule": "stable-decay", "warmup_steps": 20,
                                "clip": 5.0, "seed": 1234},
                   "last_train_bpc": 1.71, "training_seconds": 7200.0}}),
    "inspect-cells": document("inspect-cells", {
        "pretrained_sha256": "PRETRAINED", "chars": 5000, "total_chars": 20000, "bits_per_char": 2.05,
        "accuracy": 0.44, "page_bytes": 3800000,
        "properties": {"position_in_line": {"varies": True, "cells": [{"layer": 1, "cell": 232, "r": -0.71}]},
                       "inside_quotes": {"varies": False, "cells": []}}}),
    "memory": document("memory", {"runs": {
        "train": {"peak_mib": 154.0, "peak_anon_mib": 140.0}, "help": {"peak_mib": 12.0, "peak_anon_mib": 1.0}}}),
    "compare": document("compare", {
        "configs": [{"config": "S", "layers": 2, "hidden": 128, "seq_length": 50, "batch_size": 50, "dropout": 0.0,
                     "charlstm": {"train_chars_per_sec": 209457, "generate_chars_per_sec": 196460,
                                  "peak_rss_mib": 45, "train_percent_of_peak": 40.2, "generate_weights": "bf16",
                                  "plan": {"recurrent h·Whhᵀ": {"problem": "16×2048×512 NT packed, 1 thread",
                                                                "choice": "avx512-zmm-8x48, kc 256", "gflops": 300.0}}},
                     "pytorch": {"train_chars_per_sec": 127159, "generate_chars_per_sec": 5037, "peak_rss_mib": 386},
                     "train_ratio": 1.647, "generate_ratio": 39.0, "rss_ratio": 0.1166,
                     "round_train_ratios": [1.32, 2.08, 2.28]}],
        "cell": "lstm", "threads": 2, "seconds": 10.0, "rounds": 3, "dropout": 0.0, "corpus": "tinyshakespeare.txt",
        "load_before": 0.1, "load_after": 0.2}, pytorch="2.15.0"),
    "compare-lstm-dropout02": document("compare-lstm-dropout02", {
        "configs": [{"config": "M", "layers": 2, "hidden": 512, "seq_length": 100, "batch_size": 64, "dropout": 0.2,
                     "charlstm": {"train_chars_per_sec": 17466, "generate_chars_per_sec": 13152, "peak_rss_mib": 174},
                     "pytorch": {"train_chars_per_sec": 11794, "generate_chars_per_sec": 747, "peak_rss_mib": 758},
                     "train_ratio": 1.48, "generate_ratio": 17.6, "rss_ratio": 0.23, "round_train_ratios": []}],
        "cell": "lstm", "threads": 2, "seconds": 10.0, "rounds": 3, "dropout": 0.2, "corpus": "tinyshakespeare.txt",
        "load_before": 0.1, "load_after": 0.2}, pytorch="2.15.0"),
    "serve_pretrained": document("serve_pretrained", {
        "chars_per_s": {"1": 10809.8, "16": 26308.7}, "model": {"cell": "lstm", "hidden": 256, "layers": 2, "vocab_size": 84},
        "load": {"chars_per_s": 20187.4, "failures": 0, "requests": 795, "rss_max_kib": 31076, "seconds": 21.06,
                 "ttfc_median_ms": 44.51, "ttfc_p99_ms": 127.74},
        "fuzz": {"good_ok": 300, "rounds": 300, "statuses": {"400": 144, "closed": 70}},
        "rss_kib": {"after": 31148, "peak": 31148, "start": 26480}, "health_after": {"active": 0, "status": "ok"}}),
    "serve_m": document("serve_m", {"chars_per_s": {"1": 1945.0, "16": 8671.0},
                                    "model": {"cell": "lstm", "hidden": 512, "layers": 2, "vocab_size": 65}}),
}


class RenderTestCase(unittest.TestCase):
    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.folder)
        for name, doc in FIXTURES.items():
            (self.folder / f"{name}-{SLUG}.json").write_text(json.dumps(doc))
        self.pretrained = self.folder / "best.safetensors"
        self.pretrained.write_bytes(b"the shipped model")
        rt.file_sha256.cache_clear()
        patcher = mock.patch.object(rt, "PRETRAINED", self.pretrained)
        patcher.start()
        self.addCleanup(patcher.stop)
        sha = rt.file_sha256(self.pretrained)
        for name in ("finetune", "pretrained", "inspect-cells"):
            path = self.folder / f"{name}-{SLUG}.json"
            path.write_text(path.read_text().replace("PRETRAINED", sha))

    def tables(self, charlstm=None) -> rt.Tables:
        return rt.Tables(REPO / "README.md", charlstm, self.folder)

    def fake_charlstm(self, learning_rate="0.004", budget="2000") -> str:
        help_file = self.folder / "help.txt"
        help_file.write_text(HELP.replace("{lr}", learning_rate).replace("{budget}", budget))
        script = self.folder / f"charlstm-{learning_rate}-{budget}"
        script.write_text(f"#!/bin/sh\ncat '{help_file}'\n")
        os.chmod(script, 0o755)
        rt.help_train.cache_clear()
        return str(script)


class RendererTests(RenderTestCase):
    def test_every_renderer_renders_its_fixture_with_a_source_line(self):
        calls = {"quickstart": [SLUG], "quickstart-sample": [SLUG], "cells": [SLUG], "finetune": [SLUG],
                 "finetune-patience": [SLUG], "finetune-sample": [SLUG, "init"], "series": [SLUG, "best"],
                 "series-pytorch": [SLUG], "quality-per-minute": [SLUG, "0.5"], "learning-curve": [SLUG],
                 "large-corpus": [SLUG], "pretrained": [SLUG], "pretrained-recipe": [SLUG], "inspect-cells": [SLUG],
                 "memory": [SLUG], "compare": [SLUG, "compare-lstm-dropout02"], "compare-plan": [SLUG, "S"],
                 "serve_throughput": [SLUG], "serve_load": [SLUG]}
        self.assertEqual(set(calls), set(rt.RENDERERS))
        for name, arguments in calls.items():
            with self.subTest(name):
                text = rt.RENDERERS[name][0](self.tables(), *arguments)
                if name not in ("pretrained-recipe",):
                    self.assertIn("2-core AMD EPYC Zen 5 (avx512, peak 466 GFLOP/s), 2026-12-06, commit abc1234", text)
                    self.assertIn("](benchmarks/results/", text)

    def test_the_figures_land_where_the_readme_shows_them(self):
        t = self.tables()
        self.assertIn("| 2-core AMD EPYC Zen 5 | LSTM 2 × 256, batch 64 × 100, Adam 4e-3 | 1,391 | 1.83 | **1.999** "
                      "| 31,000 | 5.0 |", rt.quickstart(t, SLUG))
        self.assertIn("```text\nROMEO:\nWhat light?\n```", rt.quickstart_sample(t, SLUG))
        self.assertIn("| gru | 602 | 2.340 | 31,000 |", rt.cells(t, SLUG))
        finetune = rt.finetune(t, SLUG)
        self.assertIn("| `--init-from Checkpoints/pretrained` | 79 | **2.619** | 79 | **2.619** |", finetune)
        self.assertIn("steps in 90 s (init first)", finetune)
        self.assertIn("5,851 characters", finetune)
        patience = rt.finetune_patience(t, SLUG)
        self.assertIn("stopped itself after 3.1 minutes: at step 190", patience)
        self.assertIn("that of step 140 (**2.543** bits/char) for 5 validations", patience)
        series = rt.series(t, SLUG)
        self.assertIn("| CharLSTM, `--difference 52` (the commands above) | **0.88** |", series)
        self.assertIn("| CharLSTM, `--difference 52`, seeds 1, 2 | 1.05, 1.42 |", series)
        self.assertIn("| CharLSTM, `--difference 1`, default seed, 1, 2 | 1.06, 1.32, 1.63 |", series)
        self.assertIn("| PyTorch, the same model, data and batches (2 threads) | 0.88 |", series)
        self.assertIn("| CharLSTM, `--difference 1` | 0.36 |", series)
        self.assertIn("| CharLSTM without `--difference` (the raw level), default seed | 11.00 |", series)
        self.assertIn("**0.78**", rt.series(t, SLUG, "best"))
        self.assertIn("| 2 | 0.88 | 3.3 | 0.88 | 191.8 |", rt.series_pytorch(t, SLUG))
        self.assertIn("| 0.5 | 1,475, 8.9, **2.162** | 899, 5.5, **2.264** | **-0.102** |",
                      rt.quality_per_minute(t, SLUG, "0.5"))
        curve = rt.learning_curve(t, SLUG)
        self.assertIn("| step | 100 | 200 |", curve)
        self.assertIn("| charlstm | 4.555 | 3.626 |", curve)
        self.assertIn("| `eval` of the file (its first 20 s) | 20.1 s | **9 MiB** | 26 MiB |", rt.large_corpus(t, SLUG))
        pretrained = rt.pretrained(t, SLUG)
        self.assertIn("| model | LSTM, 2 layers × 256 hidden, 84-character vocabulary, 898,132 parameters |", pretrained)
        self.assertIn("12,000 steps of 64 streams × 100 characters (16.0 epochs), Adam 4e-3, `stable-decay` schedule "
                      "with a 20-step warm-up, clip 5, no dropout, seed 1234, 120 minutes", pretrained)
        self.assertIn("**1.951 bits/char** on the held-out 252,701 characters by `charlstm eval`, top-1 accuracy "
                      "45.7%; training loss at the end 1.71", pretrained)
        self.assertIn("```sh\ncharlstm train Corpora/shakespeare.txt --steps 12000\n", rt.pretrained_recipe(t, SLUG))
        self.assertIn("| position in line | layer 1 cell 232 (r = -0.71) |", rt.inspect_cells(t, SLUG))
        memory = rt.memory(t, SLUG)
        self.assertIn("| `charlstm --help` (the runtime alone) | **12 MiB** | 1 MiB |", memory)
        self.assertLess(memory.index("--help"), memory.index("on config M"))  # in the documented order
        compare = rt.compare(t, SLUG, "compare-lstm-dropout02")
        self.assertIn("| S | 2 × 128, 50 × 50 | 209,457 / 127,159 = **1.65×** | 196,460 (bf16) / 5,037 = **39.0×** | "
                      "45 / 386 MiB = 0.12 | 40% |", compare)
        self.assertIn("| M, dropout 0.2 | 2 × 512, 100 × 64 |", compare)
        self.assertIn("Training ratio per round: S: 1.32×, 2.08×, 2.28×; M dropout 0.2: .", compare)
        self.assertIn("| recurrent h·Whhᵀ | 16×2048×512 NT packed, 1 thread | `avx512-zmm-8x48, kc 256` | 300 |",
                      rt.compare_plan(t, SLUG, "S"))
        self.assertIn("| M (lstm 2 × 512, 65 characters) | 1,945 | 8,671 | 4.5× |", rt.serve_throughput(t, SLUG))
        self.assertIn("795 requests answered, 0 failed; 20,187 characters/s", rt.serve_load(t, SLUG))

    def test_learning_rates_are_written_as_the_readme_does(self):
        self.assertEqual([rt.rate(x) for x in (0.004, 0.002, 0.0015, 0.1, 1e-4)], ["4e-3", "2e-3", "1.5e-3", "0.1", "1e-4"])


class RegionTests(RenderTestCase):
    def test_only_the_region_between_the_markers_is_replaced(self):
        text = f"intro\n<!-- table: cells {SLUG} -->\nold figures\n<!-- /table -->\noutro\n"
        rendered, problems = rt.render(text, REPO / "README.md", None, self.folder)
        self.assertEqual(problems, [])
        self.assertTrue(rendered.startswith(f"intro\n<!-- table: cells {SLUG} -->\n| cell |"))
        self.assertTrue(rendered.endswith("json)</sub>\n<!-- /table -->\noutro\n"))
        self.assertNotIn("old figures", rendered)
        again, _ = rt.render(rendered, REPO / "README.md", None, self.folder)
        self.assertEqual(again, rendered)

    def test_links_are_relative_to_the_document(self):
        text = f"<!-- table: cells {SLUG} -->\n<!-- /table -->"
        rendered, _ = rt.render(text, REPO / "docs" / "cells.md", None, self.folder)
        self.assertIn(f"](../benchmarks/results/cells-{SLUG}.json)", rendered)

    def test_problems_name_the_table_and_keep_its_text(self):
        text = ("<!-- table: nonesuch x -->\nkept\n<!-- /table -->\n<!-- table: cells zen9 -->\nkept too\n"
                "<!-- /table -->\n<!-- table: cells x -->\nno end")
        rendered, problems = rt.render(text, REPO / "README.md", None, self.folder)
        self.assertIn("kept\n", rendered)
        self.assertIn("kept too\n", rendered)
        self.assertEqual(len(problems), 3)
        self.assertIn("unknown table 'nonesuch'", problems[0])
        self.assertIn("no recorded result", problems[1])
        self.assertIn("cells-zen9.json", problems[1])
        self.assertIn("has no '<!-- /table -->'", problems[2])

    def test_a_missing_argument_is_a_problem_not_a_crash(self):
        _, problems = rt.render("<!-- table: finetune-sample amd-zen5 -->\n<!-- /table -->", REPO / "README.md", None,
                                self.folder)
        self.assertEqual(len(problems), 1)


class DefaultCheckTests(RenderTestCase):
    def test_help_defaults_are_read_across_wrapped_lines(self):
        text = HELP.replace("{lr}", "0.004").replace("{budget}", "2000")
        self.assertEqual(rt.parse_help_defaults(text, "series"), {"layers": "1", "epochs": "--steps 2000 instead"})
        defaults = rt.parse_help_defaults(text)
        self.assertEqual(defaults["cell"], "lstm")
        self.assertEqual(defaults["seq-length"], "100")
        self.assertEqual(defaults["learning-rate"], "0.004")
        self.assertEqual(defaults["learning-rate-decay"], "0.97")
        self.assertEqual(defaults["val-fraction"], "0.05")
        self.assertEqual(defaults["dropout"], "0")
        self.assertEqual(defaults["layers"], "2")
        self.assertNotIn("minutes", defaults)

    def test_a_table_of_current_defaults_passes(self):
        charlstm = self.fake_charlstm("0.004")
        rt.quickstart(self.tables(charlstm), SLUG)
        rt.cells(self.tables(charlstm), SLUG)

    def test_a_changed_default_fails_naming_it_and_the_command_to_measure_again(self):
        charlstm = self.fake_charlstm("0.002")
        for function in (rt.quickstart, rt.cells):
            with self.subTest(function.__name__), self.assertRaises(rt.TableError) as caught:
                function(self.tables(charlstm), SLUG)
            self.assertIn("--learning-rate was 0.004, is now 0.002", str(caught.exception))
            self.assertIn("python3 benchmarks/", str(caught.exception))
        _, problems = rt.render(f"<!-- table: quickstart {SLUG} -->\n<!-- /table -->", REPO / "README.md", charlstm,
                                self.folder)
        self.assertEqual(len(problems), 1)

    def test_without_the_program_no_default_is_checked(self):
        self.fake_charlstm("0.002")
        rt.quickstart(self.tables(None), SLUG)

    def test_a_default_the_help_no_longer_shows_fails(self):
        charlstm = self.fake_charlstm("0.004")
        (self.folder / "help.txt").write_text(HELP.replace("  --clip <norm>", "  --clipping <norm>").replace("{lr}", "0.004"))
        rt.help_train.cache_clear()
        with_clip = json.loads((self.folder / f"cells-{SLUG}.json").read_text())
        for run in with_clip["results"]["runs"]:
            run["settings"]["clip"] = 5.0
        (self.folder / f"cells-{SLUG}.json").write_text(json.dumps(with_clip))
        with self.assertRaises(rt.TableError) as caught:
            rt.cells(self.tables(charlstm), SLUG)
        self.assertIn("shows no default for --clip", str(caught.exception))

    def test_series_tables_compare_with_a_run_made_now(self):
        charlstm = self.fake_charlstm()
        now = {"cell": "lstm", "layers": 1, "hidden": 64, "seq_length": 32, "batch_size": 16, "learning_rate": 0.002}
        with mock.patch.object(rt, "series_defaults", lambda _: now):
            rt.series(self.tables(charlstm), SLUG)
        with mock.patch.object(rt, "series_defaults", lambda _: dict(now, hidden=32)):
            with self.assertRaises(rt.TableError) as caught:
                rt.series_pytorch(self.tables(charlstm), SLUG)
        self.assertIn("hidden was 64, is now 32", str(caught.exception))

    def test_series_tables_fail_when_the_help_shows_other_series_defaults_than_when_recorded(self):
        path = self.folder / f"series-{SLUG}.json"
        recorded = json.loads(path.read_text())
        recorded["results"]["help_series_defaults"] = {"layers": "1", "epochs": "--steps 2000 instead"}
        path.write_text(json.dumps(recorded))
        now = recorded["results"]["charlstm"][0]["settings"]
        with mock.patch.object(rt, "series_defaults", lambda _: now):
            rt.series(self.tables(self.fake_charlstm(budget="2000")), SLUG)
            with self.assertRaises(rt.TableError) as caught:
                rt.series(self.tables(self.fake_charlstm(budget="500")), SLUG)
        self.assertIn("--epochs's series default was --steps 2000 instead, is now --steps 500 instead", str(caught.exception))

    def test_tables_of_the_shipped_model_fail_once_it_is_replaced(self):
        self.pretrained.write_bytes(b"a retrained model")
        rt.file_sha256.cache_clear()
        for name, arguments in [("pretrained", [SLUG]), ("finetune", [SLUG]), ("finetune-sample", [SLUG, "scratch"]),
                                ("inspect-cells", [SLUG])]:
            with self.subTest(name), self.assertRaises(rt.TableError) as caught:
                rt.RENDERERS[name][0](self.tables(), *arguments)
            self.assertIn("measured with another Checkpoints/pretrained/best.safetensors", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
