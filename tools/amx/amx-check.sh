#!/usr/bin/env bash
# AMX check for a machine that has it (Sapphire Rapids or later, Linux 5.16+ or Windows):
# reports what the CPU/kernel say, then runs the emitted tile kernels natively against the scalar
# reference and the interpreter. On a machine without AMX it fails with the detection's reason.
# Usage: tools/amx/amx-check.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
echo "== CPU/kernel"
uname -srm
if [ -r /proc/cpuinfo ]; then
  flags="$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^amx' | tr '\n' ' ' || true)"
  echo "cpuinfo AMX flags: ${flags:-none}"
fi
echo "== SharpInfer AMX tests (native kernels required)"
cd "$repo"
SHARPINFER_REQUIRE_AMX=1 dotnet test tests/SharpInfer.Tests \
  --filter "FullyQualifiedName~SharpInfer.Tests.Amx" \
  --logger "console;verbosity=detailed" 2>&1 | grep -Ev '^\s*$' | grep -E 'detection:|native ==|AMX-BF16|^  Failed |Error Message|AMX unavailable|error|Total tests|Passed:|Failed:'
