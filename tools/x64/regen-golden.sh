#!/usr/bin/env bash
# Re-assembles tools/x64/evex-golden.s with GNU as and prints "<hex bytes>  <instruction>" per line, the source of
# truth for tests/SharpInfer.Tests/Platform/X64EvexGoldenTests.cs.
# Usage: tools/x64/regen-golden.sh            (prints the table)
#        tools/x64/regen-golden.sh --verify   (checks the bytes recorded in the test file, in order)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
as --version | head -1 >&2
source "$here/../lib/gas-golden.sh"
if [ "${1:-}" = "--verify" ]; then
  gas_verify "$here/evex-golden.s" "$here/../../tests/SharpInfer.Tests/Platform/X64EvexGoldenTests.cs"
  exit 0
fi
gas_listing "$here/evex-golden.s"
