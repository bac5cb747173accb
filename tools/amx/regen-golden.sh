#!/usr/bin/env bash
# Re-assembles tools/amx/golden.s with GNU as and prints "<hex bytes>  <instruction>" per line, the
# source of truth for tests/SharpInfer.Tests/Amx/X64EmitterGoldenTests.cs (and the jump listing below).
# Usage: tools/amx/regen-golden.sh            (prints the table)
#        tools/amx/regen-golden.sh --verify   (checks the bytes recorded in the test file, in order)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
as --version | head -1 >&2
print_listing() {
  as "$1" -o "$tmp/o.o"
  # objdump wraps long instructions onto continuation lines; join them before printing.
  objdump -d -M intel "$tmp/o.o" | awk -F'\t' '
    /^ *[0-9a-f]+:\t/ {
      if (NF >= 3) { if (bytes != "") print bytes "\t" ins; bytes = $2; ins = $3 }
      else { bytes = bytes " " $2 }
      next }
    END { if (bytes != "") print bytes "\t" ins }' | sed -e 's/ *\t/\t/' -e 's/  */ /g' | grep -v $'\tnop$'
}
if [ "${1:-}" = "--verify" ]; then
  tests="$here/../../tests/SharpInfer.Tests/Amx/X64EmitterGoldenTests.cs"
  print_listing "$here/golden.s" | cut -f1 > "$tmp/as.txt"
  grep -oE '^ *\["[0-9a-f ]+"' "$tests" | sed -E 's/^ *\["//; s/"$//' > "$tmp/tests.txt"
  if diff "$tmp/as.txt" "$tmp/tests.txt" > "$tmp/diff.txt"; then
    echo "OK: $(wc -l < "$tmp/as.txt") forms in X64EmitterGoldenTests.cs match GNU as"
  else
    echo "MISMATCH between GNU as (<) and the test file (>):"; cat "$tmp/diff.txt"; exit 1
  fi
  exit 0
fi
echo "# golden.s"
print_listing "$here/golden.s"
echo "# jumps.s"
print_listing "$here/jumps.s"
