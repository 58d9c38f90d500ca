#!/usr/bin/env bash
# Measures again every figure that README.md and docs/ show, on this machine, and renders the tables from the new
# results: each script below runs with --record and writes benchmarks/results/<name>-<machine>.json.
#
#   bash benchmarks/record_all.sh                    # all of them, about 95 minutes on 2 cores
#   bash benchmarks/record_all.sh cells memory       # only these (names as in the list below)
#
# Run it on an idle machine with the release build of the commit the figures are for (most figures are wall-time
# budgets or speeds). CHARLSTM names another binary; PRETRAINED_RUN the training run folder Checkpoints/pretrained
# was exported from (for its recipe and training loss; without it `pretrained` records what the shipped file says).
# compare, quality-per-minute and learning-curve need PyTorch and ../shared/corpora/tinyshakespeare.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
charlstm=${CHARLSTM:-.build/release/charlstm}
[ -x "$charlstm" ] || { echo "error: no charlstm binary at $charlstm (swift build -c release)" >&2; exit 66; }
SECONDS=0

# name: command (duration on a 2-core machine)
record() {
  local name=$1; shift
  if [ ${#selected[@]} -gt 0 ] && [[ ! " ${selected[*]} " == *" $name "* ]]; then return; fi
  echo "== $name: python3 $* --charlstm $charlstm --record (at ${SECONDS}s)"
  python3 "$@" --charlstm "$charlstm" --record
}
selected=("$@")

record quickstart benchmarks/quickstart.py                                  # 5.5 min
record cells benchmarks/cells.py                                            # 7 min
record finetune benchmarks/finetune.py                                      # 10 min
record series benchmarks/series_pytorch.py                                  # 2 min
record large-corpus benchmarks/large_corpus.py                              # 1 min, 1 GiB of disk
record memory benchmarks/memory.py                                          # 1 min
record inspect-cells benchmarks/inspect_cells.py                            # 10 s
record pretrained benchmarks/pretrained.py ${PRETRAINED_RUN:+--run "$PRETRAINED_RUN"}   # 30 s
record compare benchmarks/compare.py --config all                           # 10 min
record compare-dropout benchmarks/compare.py --config M --dropout 0.2       # 3 min
record learning-curve benchmarks/learning_curve.py                          # 5 min
record quality-per-minute benchmarks/quality_per_minute.py --dropout 0.5    # 21 min
record quality-per-minute-0 benchmarks/quality_per_minute.py --dropout 0    # 21 min

echo "== rendering the tables (at ${SECONDS}s)"
python3 benchmarks/render_tables.py
python3 benchmarks/render_tables.py --check --charlstm "$charlstm"
echo "== recorded in ${SECONDS}s: review with git diff, then commit benchmarks/results/ with the documents"
