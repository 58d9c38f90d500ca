"""The figures Corpora/README.md gives for each shipped file (size, SHA-256, characters, distinct characters, lines,
rows) are those of the file as it is (`python3 -m unittest discover -s benchmarks -p 'test_*.py'`)."""

import hashlib
import re
import unittest

from results import REPO

CORPORA = REPO / "Corpora"


def sections() -> dict[str, str]:
    """file name → the text of its `## \\`NAME\\`` section in Corpora/README.md."""
    text = (CORPORA / "README.md").read_text()
    parts = re.split(r"^## `([^`]+)`.*$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2]))


def figure(pattern: str, section: str) -> int:
    found = re.search(pattern, section)
    if not found:
        raise AssertionError(f"no match for {pattern!r}")
    return int(found.group(1).replace(",", ""))


class CorporaReadmeTests(unittest.TestCase):
    def test_every_shipped_file_has_a_section_and_its_figures_are_the_files(self):
        found = sections()
        shipped = sorted(p.name for p in CORPORA.iterdir() if p.suffix in (".txt", ".csv"))
        self.assertEqual(sorted(found), shipped)
        for name, section in found.items():
            with self.subTest(name):
                data = (CORPORA / name).read_bytes()
                self.assertEqual(figure(r"\| Size \| ([\d,]+) bytes", section), len(data))
                self.assertIn(f"`{hashlib.sha256(data).hexdigest()}`", section)
                text = data.decode("utf-8")
                if "| Characters |" in section:
                    self.assertEqual(figure(r"\| Characters \| ([\d,]+) Unicode scalars", section), len(text))
                    self.assertEqual(figure(r"([\d,]+) lines", section), text.count("\n"))
                    self.assertEqual(figure(r"\| Vocabulary \| (\d+) distinct", section), len(set(text)))
                if "| Rows |" in section:
                    rows = text.splitlines()[1:]
                    self.assertEqual(figure(r"and ([\d,]+) weeks", section), len(rows))
                    self.assertEqual(figure(r"\| Gaps \| (\d+) weeks without a value", section),
                                     sum(1 for row in rows if not row.split(",")[1].strip()))


if __name__ == "__main__":
    unittest.main()
