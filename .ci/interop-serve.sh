#!/usr/bin/env bash
# The server driven by real clients (README: Serving): the official openai Python package and curl -N, against
# `charlstm generate`'s text for each seed. Skips cleanly where python3, curl or the openai package cannot be had.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v python3 >/dev/null || ! command -v curl >/dev/null; then
    echo "skipped: python3 or curl is not installed"
    exit 0
fi
if ! python3 -c 'import openai' 2>/dev/null; then
    timeout 180 python3 -m pip install --quiet openai 2>/dev/null \
        || timeout 180 python3 -m pip install --quiet --break-system-packages openai 2>/dev/null || true
fi
if ! python3 -c 'import openai' 2>/dev/null; then
    echo "skipped: the openai package could not be installed"
    exit 0
fi
timeout 600 python3 interop/serve/clients.py --charlstm .build/release/charlstm --checkpoint Checkpoints/pretrained
