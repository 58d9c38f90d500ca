#!/usr/bin/env bash
# Builds and runs the Swift examples of README.md ("From Swift") and docs/library.md exactly as written: the ```swift
# block after the line "<!-- swift-example-package -->" becomes the Package.swift of a package next to a folder
# `CharLSTM` (a link to this repository), and the ```swift block after "<!-- swift-example -->" its main.swift; the
# block after "<!-- swift-example-series -->" (in docs/library.md) is the main.swift of a second such package. The program runs in a
# scratch folder whose Corpora/ is the repository's, so the run it trains never touches the repository's
# Checkpoints/. Fails when the README's code no longer compiles against the library, or when it fails at run time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
block() {
  awk -v mark="<!-- $1 -->" '$0 == mark {found=1; next} found && /^```swift/ {inblock=1; next} inblock && /^```/ {exit} inblock' \
    "$root/README.md" "$root/docs/library.md"
}
manifest=$(block swift-example-package)
program=$(block swift-example)
series=$(block swift-example-series)
[ -n "$manifest" ] && [ -n "$program" ] && [ -n "$series" ] \
  || { echo "README.md or docs/library.md has no Swift example (see .ci/swift-example.sh)"; exit 1; }

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

# The series example, as a package of its own (the same manifest), run in the same scratch folder.
mkdir -p "$work/MySeries/Sources/MyApp"
printf '%s\n' "$manifest" > "$work/MySeries/Package.swift"
printf '%s\n' "$series" > "$work/MySeries/Sources/MyApp/main.swift"
swift build -c release --package-path "$work/MySeries"
binary="$(swift build -c release --package-path "$work/MySeries" --show-bin-path)/MyApp"
(cd "$work/run" && "$binary") | tee "$work/series.txt"
saved=$(sed -n 's/^trained 300 steps, validation RMSE [0-9.]* ppm, saved \(.*\)$/\1/p' "$work/series.txt")
[ -n "$saved" ] && [ -s "$work/run/$saved" ] || { echo "the series example did not save the checkpoint it reported"; exit 1; }
grep -Eq '^forecast: next week [0-9.]+ ppm, in a year [0-9.]+ ppm$' "$work/series.txt" \
  || { echo "the series example forecast nothing"; exit 1; }
