#!/usr/bin/env bash
# Re-assembles tools/x64/evex-golden.s with GNU as and prints "<hex bytes>  <instruction>" per line, the source of
# truth for tests/SharpInfer.Tests/Platform/X64EvexGoldenTests.cs.
# Usage: tools/x64/regen-golden.sh            (prints the table)
#        tools/x64/regen-golden.sh --verify   (checks the bytes recorded in the test file, in order)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
as --version | head -1 >&2
as "$here/evex-golden.s" -o "$tmp/o.o"
objdump -d -M intel "$tmp/o.o" | awk -F'\t' '
  /^ *[0-9a-f]+:\t/ {
    if (NF >= 3) { if (bytes != "") print bytes "\t" ins; bytes = $2; ins = $3 }
    else { bytes = bytes " " $2 }
    next }
  END { if (bytes != "") print bytes "\t" ins }' | sed -e 's/ *\t/\t/' -e 's/  */ /g' > "$tmp/listing.txt"
if [ "${1:-}" = "--verify" ]; then
  tests="$here/../../tests/SharpInfer.Tests/Platform/X64EvexGoldenTests.cs"
  cut -f1 "$tmp/listing.txt" > "$tmp/as.txt"
  grep -oE '^ *\["[0-9a-f ]+"' "$tests" | sed -E 's/^ *\["//; s/"$//' > "$tmp/tests.txt"
  if diff "$tmp/as.txt" "$tmp/tests.txt" > "$tmp/diff.txt"; then
    echo "OK: $(wc -l < "$tmp/as.txt") forms in X64EvexGoldenTests.cs match GNU as"
  else
    echo "MISMATCH between GNU as (<) and the test file (>):"; cat "$tmp/diff.txt"; exit 1
  fi
  exit 0
fi
cat "$tmp/listing.txt"
