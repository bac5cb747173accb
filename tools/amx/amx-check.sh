#!/usr/bin/env bash
# AMX check for a machine that has it (Sapphire Rapids or later, Linux 5.16+ or Windows):
#   1. what the CPU/kernel say, and SharpInfer's own detection (the --amx plan line);
#   2. the Amx tests with SHARPINFER_REQUIRE_AMX=1: the emitted tile kernels run natively and must
#      equal the scalar reference and the interpreter;
#   3. `sharpinfer bench` pp/tg with and without --amx (CPU only) on Llama-3.2-1B-shaped random-weight
#      models written here by the bench tool.
# On a machine without AMX, step 2 fails with the detection's reason. Runs with the .NET SDK, or
# without it from .prebuilt/ (tools/pack-prebuilt.sh; see tools/lib/dotnet-env.sh).
# F16 is in the default list because the AMX buffer takes F16 weights too (file layout, F32 activations, as ggml);
# Q6_K, Q5_K_M and IQ4_XS for the K-quant layouts (the file's bits, unpacked per thread for the tiles).
# Usage: tools/amx/amx-check.sh [--types Q8_0,Q4_0,Q4_K_M,Q6_K,Q5_K_M,IQ4_XS,F16] [--models DIR] [-r N] [-p N] [-n N] [-t N] [--no-bench]
set -euo pipefail
cd "$(dirname "$0")/../.."
types=Q8_0,Q4_0,Q4_K_M,Q6_K,Q5_K_M,IQ4_XS,F16 models=bench/out reps=3 pp=512 tg=128 threads="" bench=1
while [ $# -gt 0 ]; do
  case "$1" in
    --types) types=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    -r) reps=$2; shift 2 ;;
    -p) pp=$2; shift 2 ;;
    -n) tg=$2; shift 2 ;;
    -t) threads=$2; shift 2 ;;
    --no-bench) bench=0; shift ;;
    *) echo "amx-check: unknown argument: $1" >&2; exit 2 ;;
  esac
done
source tools/lib/dotnet-env.sh

echo "== CPU/kernel"
uname -srm
grep -m1 'model name' /proc/cpuinfo 2>/dev/null || true
if [ -r /proc/cpuinfo ]; then
  flags="$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(amx|avx512_vnni|avx_vnni|avx512_bf16)' | tr '\n' ' ' || true)"
  echo "cpuinfo flags: ${flags:-none of amx*, avx512_vnni, avx_vnni, avx512_bf16}"
fi
echo "SharpInfer: $(si_cli plan -m models/stories260K.gguf --amx 2>&1 | grep -m1 -- '--amx' || echo 'no --amx line')"

status=0
echo "== SharpInfer AMX tests (native kernels required)"
SHARPINFER_REQUIRE_AMX=1 si_tests SharpInfer.Tests.Amx || status=1

if [ "$bench" = 1 ]; then
  mkdir -p "$models"
  si_bench make-models --models llama-1b --types "$types" --out "$models"
  for type in ${types//,/ }; do
    for amx in "" --amx; do
      echo "== $type: bench ${amx:-(default)}"
      si_cli bench -m "$models/llama-1b-$type.gguf" $amx ${threads:+-t "$threads"} -p "$pp" -n "$tg" -r "$reps" || status=1
    done
  done
fi
exit $status
