#!/usr/bin/env bash
# The README's "Numeric series" commands on the bundled CO2 record, with a budget cut to a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
data=Corpora/co2-mauna-loa-weekly.csv
charlstm() { .build/release/charlstm "$@"; }
charlstm train "$data" --column co2 --interpolate --difference 52 --out "$out/co2" --steps 200 --eval-every 100
charlstm eval "$data" --checkpoint "$out/co2" --interpolate --season 52
charlstm forecast "$data" --checkpoint "$out/co2/latest.safetensors" --interpolate \
    --holdout 104 --season 52 --plot "$out/co2-forecast.svg" > "$out/forecast.csv"
test "$(wc -l < "$out/forecast.csv")" -eq 105
charlstm forecast "$data" --checkpoint "$out/co2" --interpolate --steps 52 > "$out/next-year.csv"
test "$(head -1 "$out/next-year.csv")" = "step,co2"
charlstm info "$out/co2" | grep -q "series model  column 'co2', changes over 52 steps"
echo "series commands of the README: ok"
