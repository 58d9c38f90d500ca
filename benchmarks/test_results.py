"""Tests of results.py (the machine slug, the recorded file) and runs.py (held-out split, metadata, peak memory)
(`python3 -m unittest discover -s benchmarks -p 'test_*.py'`)."""

import contextlib
import io
import json
import struct
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import results
import runs

ZEN5_CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 26
model\t\t: 2
model name\t: AMD EPYC 9B45
flags\t\t: fpu avx2 avx512f

processor\t: 1
vendor_id\t: GenuineIntel
"""


class MachineKindTests(unittest.TestCase):
    def test_the_kinds_this_project_is_measured_on_have_names(self):
        self.assertEqual(results.machine_kind("AuthenticAMD", 26, 2), ("amd-zen5", "AMD EPYC Zen 5"))
        self.assertEqual(results.machine_kind("AuthenticAMD", 25, 0x11), ("amd-zen4", "AMD EPYC Zen 4"))
        self.assertEqual(results.machine_kind("AuthenticAMD", 25, 0xA0), ("amd-zen4", "AMD EPYC Zen 4"))
        self.assertEqual(results.machine_kind("AuthenticAMD", 25, 0x01), ("amd-zen3", "AMD EPYC Zen 3"))
        self.assertEqual(results.machine_kind("GenuineIntel", 6, 207),
                         ("intel-emerald-rapids", "Intel Xeon Emerald Rapids"))

    def test_other_machines_get_their_numbers(self):
        self.assertEqual(results.machine_kind("GenuineIntel", 6, 999), ("intel-f6m999", "GenuineIntel family 6 model 999"))
        self.assertEqual(results.machine_kind("AuthenticAMD", 23, 49)[0], "amd-f23m49")
        slug, _ = results.machine_kind("", None, None)
        self.assertRegex(slug, r"^cpu-[a-z0-9_]+$")

    def test_cpu_fields_reads_the_first_processor_only(self):
        fields = results.cpu_fields(ZEN5_CPUINFO)
        self.assertEqual((fields["vendor"], fields["family"], fields["model"]), ("AuthenticAMD", 26, 2))
        self.assertEqual(fields["name"], "AMD EPYC 9B45")
        self.assertIn("avx512f", fields["flags"])


class RecordTests(unittest.TestCase):
    def test_record_writes_a_schema_1_file_per_machine_that_load_reads(self):
        with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stderr(io.StringIO()):
            path = results.record("cells", {"minutes": 2}, pytorch_version="2.9", command=["benchmarks/cells.py"],
                                  folder=Path(folder))
            self.assertEqual(path.name, f"cells-{results.machine()['slug']}.json")
            document = results.load(path)
            self.assertEqual((document["schema"], document["name"], document["results"]), (1, "cells", {"minutes": 2}))
            self.assertEqual(document["command"], "python3 benchmarks/cells.py")
            self.assertEqual(document["versions"]["pytorch"], "2.9")
            self.assertEqual([d["name"] for d in results.load_all("cells", Path(folder))], ["cells"])
            self.assertEqual(list(Path(folder).glob("*.tmp")), [])

    def test_record_refuses_a_name_that_is_not_a_file_name(self):
        for name in ["", "Cells", "a/b", "../x", "-x"]:
            with self.assertRaises(ValueError):
                results.record(name, {}, folder=Path("/nonexistent"))

    def test_load_refuses_a_file_without_the_common_fields(self):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "x-y.json"
            path.write_text(json.dumps({"schema": 1, "name": "x"}))
            with self.assertRaises(ValueError):
                results.load(path)


class RunsTests(unittest.TestCase):
    def test_held_out_tail_counts_characters_as_train_does(self):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "t.txt"
            path.write_text("äöü" * 7 + "abc", encoding="utf-8")  # 24 characters, 45 bytes
            self.assertEqual(runs.held_out_tail(path, 0.1), "bc")  # floor(2.4) = 2 characters

    def test_safetensors_metadata_decodes_json_fields(self):
        header = json.dumps({"__metadata__": {"format": "charlstm", "training": json.dumps({"seed": 7}), "step": "12"}})
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "m.safetensors"
            path.write_bytes(struct.pack("<Q", len(header)) + header.encode())
            metadata = runs.safetensors_metadata(path)
        self.assertEqual(metadata["training"], {"seed": 7})
        self.assertEqual((metadata["format"], metadata["step"]), ("charlstm", "12"))

    def test_parameter_digests_cover_the_model_tensors_only(self):
        def checkpoint(path, weight: bytes, moment: bytes, with_moment: bool):
            tensors = {"decoder.bias": weight} | ({"optimizer.exp_avg.decoder.bias": moment} if with_moment else {})
            header, offset, data = {"__metadata__": {"format": "charlstm"}}, 0, b""
            for name, raw in tensors.items():
                header[name] = {"dtype": "F32", "shape": [len(raw) // 4], "data_offsets": [offset, offset + len(raw)]}
                offset, data = offset + len(raw), data + raw
            encoded = json.dumps(header).encode()
            path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + data)
        with tempfile.TemporaryDirectory() as folder:
            training, exported, other = (Path(folder) / n for n in ("t", "e", "o"))
            checkpoint(training, b"\x00\x00\x80\x3f", b"\x01\x02\x03\x04", True)
            checkpoint(exported, b"\x00\x00\x80\x3f", b"", False)
            checkpoint(other, b"\x00\x00\x00\x40", b"", False)
            self.assertEqual(runs.parameter_digests(training), runs.parameter_digests(exported))
            self.assertNotEqual(runs.parameter_digests(training), runs.parameter_digests(other))
            self.assertEqual(list(runs.parameter_digests(training)), ["decoder.bias"])

    def test_measured_takes_peak_memory_and_can_stop_a_long_run(self):
        # Held for half a second, so that the /proc samples see it too where GNU time is not installed.
        allocate = [sys.executable, "-c", "import time; b = bytearray(64 << 20); b[::4096] = b'x' * len(b[::4096]); "
                    "time.sleep(0.5)"]
        for gnu_time in (runs.GNU_TIME, "/nonexistent/time"):
            with self.subTest(gnu_time), mock.patch.object(runs, "GNU_TIME", gnu_time):
                done = runs.measured(allocate)
                self.assertEqual(done["exit"], 0)
                self.assertGreaterEqual(done["peak_mib"], 64)
                self.assertGreaterEqual(done["peak_anon_mib"], 64)
        stopped = runs.measured([sys.executable, "-c", "import time; time.sleep(30)"], stop_after=0.3)
        self.assertTrue(stopped["stopped"])
        self.assertLess(stopped["seconds"], 10)

    def test_median_speed_and_last_training_loss_from_metrics_rows(self):
        rows = [{"chars_per_sec": "100", "train_bpc": "3.0"}, {"chars_per_sec": "300", "train_bpc": ""},
                {"chars_per_sec": "200", "train_bpc": "2.5"}]
        self.assertEqual(runs.median_chars_per_sec(rows), 200)
        self.assertEqual(runs.last_train_bpc(rows), 2.5)


if __name__ == "__main__":
    unittest.main()
