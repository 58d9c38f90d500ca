#!/usr/bin/env bash
# Builds and runs README.md's "Using CharLSTM from Swift" example exactly as written: the ```swift block after the
# line "<!-- swift-example-package -->" becomes the Package.swift of a package next to a folder `CharLSTM` (a link
# to this repository), and the ```swift block after "<!-- swift-example -->" its main.swift. The program runs in a
# scratch folder whose Corpora/ is the repository's, so the run it trains never touches the repository's
# Checkpoints/. Fails when the README's code no longer compiles against the library, or when it fails at run time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
block() {
  awk -v mark="<!-- $1 -->" '$0 == mark {found=1; next} found && /^```swift/ {inblock=1; next} inblock && /^```/ {exit} inblock' \
    "$root/README.md"
}
manifest=$(block swift-example-package)
program=$(block swift-example)
[ -n "$manifest" ] && [ -n "$program" ] || { echo "README.md has no Swift example (see .ci/swift-example.sh)"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ln -s "$root" "$work/CharLSTM"
mkdir -p "$work/MyApp/Sources/MyApp" "$work/run"
printf '%s\n' "$manifest" > "$work/MyApp/Package.swift"
printf '%s\n' "$program" > "$work/MyApp/Sources/MyApp/main.swift"
ln -s "$root/Corpora" "$work/run/Corpora"

swift build -c release --package-path "$work/MyApp"
binary="$(swift build -c release --package-path "$work/MyApp" --show-bin-path)/MyApp"
(cd "$work/run" && "$binary") | tee "$work/output.txt"

# It trained, saved where it said, and generated text after its prime.
saved=$(sed -n 's/^trained [0-9]* steps, saved \(.*\)$/\1/p' "$work/output.txt")
[ -n "$saved" ] && [ -s "$work/run/$saved" ] || { echo "the example did not save the checkpoint it reported"; exit 1; }
# (The text may start with a line break after the prime: look for anything printed from "ROMEO:" on.)
sed -n '/^ROMEO:/,$p' "$work/output.txt" | sed '1s/^ROMEO://' | grep -q '[^[:space:]]' \
  || { echo "the example generated no text"; exit 1; }
