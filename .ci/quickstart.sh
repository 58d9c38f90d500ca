#!/usr/bin/env bash
# Runs every command of README.md's quick start (the ```sh block after the line "<!-- quickstart -->") exactly
# as written, except that a training budget of minutes becomes a few seconds. Works in a scratch copy of
# Checkpoints/ so that it never touches a developer's runs.
set -euo pipefail
cd "$(dirname "$0")/.."
commands=$(awk '/<!-- quickstart -->/{found=1; next} found && /^```sh/{inblock=1; next} inblock && /^```/{exit} inblock && NF && $1 !~ /^#/' README.md)
[ -n "$commands" ] || { echo "no quick start found in README.md"; exit 1; }
# Set the developer's runs aside; keep what the repository ships (README, pretrained model).
backup=$(mktemp -d)
mv Checkpoints "$backup/"
mkdir Checkpoints
for shipped in README.md pretrained; do
  if [ -e "$backup/Checkpoints/$shipped" ]; then cp -a "$backup/Checkpoints/$shipped" Checkpoints/; fi
done
restore() { rm -rf Checkpoints; mv "$backup/Checkpoints" .; rm -rf "$backup"; }
trap restore EXIT
while IFS= read -r line; do
  cmd=$(printf '%s' "$line" | sed -E 's/--minutes [0-9.]+/--minutes 0.1/')
  echo "\$ $cmd"
  bash -c "$cmd" > /tmp/charlstm-quickstart.out 2>&1 || { cat /tmp/charlstm-quickstart.out; echo "quick start command failed: $cmd"; exit 1; }
  tail -n 5 /tmp/charlstm-quickstart.out
done <<< "$commands"
