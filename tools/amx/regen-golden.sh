#!/usr/bin/env bash
# Re-assembles tools/amx/golden.s with GNU as and prints "<hex bytes>  <instruction>" per line, the
# source of truth for tests/SharpInfer.Tests/Amx/X64EmitterGoldenTests.cs (and the jump listing below).
# Usage: tools/amx/regen-golden.sh            (prints the table)
#        tools/amx/regen-golden.sh --verify   (checks the bytes recorded in the test file, in order)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
as --version | head -1 >&2
source "$here/../lib/gas-golden.sh"
if [ "${1:-}" = "--verify" ]; then
  gas_verify "$here/golden.s" "$here/../../tests/SharpInfer.Tests/Amx/X64EmitterGoldenTests.cs"
  exit 0
fi
echo "# golden.s"
gas_listing "$here/golden.s"
echo "# jumps.s"
gas_listing "$here/jumps.s"
