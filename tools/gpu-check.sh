#!/usr/bin/env bash
# GPU checks for a machine with an NVIDIA GPU and driver:
#   1. the GPU tests (tests/SharpInfer.Tests/Backends/Gpu) on CUDA instead of ILGPU's CPU accelerator
#      (SHARPINFER_GPU_TESTS=cuda: a missing device fails them instead of falling back);
#   2. `sharpinfer bench` with -ngl 99 (everything offloaded) and a partial offload on
#      Llama-3.2-1B-shaped random-weight models (written here by the bench tool, as bench/run.sh does),
#      beside the device's peak memory bandwidth and the generation rate it allows (each generated
#      token reads every offloaded weight once).
# Runs with the .NET SDK, or without it from .prebuilt/ (tools/pack-prebuilt.sh; see tools/lib/dotnet-env.sh).
# Usage: tools/gpu-check.sh [--types Q4_0,Q8_0,Q4_K_M] [--models DIR] [--partial N] [-r N] [-p N] [-n N] [--no-tests]
#                           [--gpu-backend ilgpu-cpu]   (the latter only to try the script on a machine without a GPU)
set -euo pipefail
cd "$(dirname "$0")/.."
types=Q4_0,Q8_0,Q4_K_M models=bench/out partial="" reps=3 pp=512 tg=128 tests=1 backend=cuda
while [ $# -gt 0 ]; do
  case "$1" in
    --types) types=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --partial) partial=$2; shift 2 ;;
    -r) reps=$2; shift 2 ;;
    -p) pp=$2; shift 2 ;;
    -n) tg=$2; shift 2 ;;
    --no-tests) tests=0; shift ;;
    --gpu-backend) backend=$2; shift 2 ;;
    *) echo "gpu-check: unknown argument: $1" >&2; exit 2 ;;
  esac
done
source tools/lib/dotnet-env.sh

echo "== machine"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=index,name,driver_version,memory.total,memory.free,clocks.max.memory --format=csv \
  || echo "gpu-check: nvidia-smi not found" >&2
grep -m1 'model name' /proc/cpuinfo || true
echo "cores: $(nproc)"

status=0
if [ "$tests" = 1 ]; then
  echo "== GPU tests on CUDA"
  SHARPINFER_GPU_TESTS=cuda si_tests SharpInfer.Tests.Backends.Gpu || status=1
fi

# Devices and their peak bandwidth, as SharpInfer sees them (printed on stderr under -ngl).
devices=$(si_cli run -m models/stories260K.gguf --gpu-backend "$backend" -ngl 1 -n 1 -p "a" --temp 0 2>&1 >/dev/null | grep -E '^(GPU |warning: )' || true)
echo "== devices"
echo "$devices"
echo "$devices" | grep -q '^GPU ' || exit 1
bw=$(echo "$devices" | sed -n 's/.*peak memory bandwidth \([0-9]*\) GB\/s.*/\1/p' | head -1)

mkdir -p "$models"
si_bench make-models --models llama-1b --types "$types" --out "$models"
for type in ${types//,/ }; do
  model="$models/llama-1b-$type.gguf"
  # "offloaded N/M layers" with -ngl 99: M = n_layer + 1 (the output layer)
  layers=$(si_cli plan -m "$model" --gpu-backend "$backend" -ngl 99 2>&1 | sed -n 's/.*offloaded [0-9]*\/\([0-9]*\) layers.*/\1/p' | head -1 || true)
  n_layer=$(( ${layers:-3} - 1 ))
  part=${partial:-$(( n_layer / 2 ))}
  bytes=$(stat -c %s "$model")
  for ngl in 99 "$part"; do
    echo "== $type: bench -ngl $ngl (of $n_layer layers)"
    si_cli bench -m "$model" --gpu-backend "$backend" -ngl "$ngl" -p "$pp" -n "$tg" -r "$reps" || status=1
  done
  if [ -n "$bw" ]; then
    # upper bound for tg with everything offloaded: bandwidth / bytes of weights read per token
    awk -v bw="$bw" -v bytes="$bytes" 'BEGIN {
      printf "memory-bandwidth limit (-ngl 99): %s GB/s / %.1f MiB of weights = %.0f tokens/s for tg\n",
             bw, bytes / 1048576, bw * 1e9 / bytes }'
  fi
done
exit $status
