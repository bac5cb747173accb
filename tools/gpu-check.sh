#!/usr/bin/env bash
# GPU checks for a machine with an NVIDIA GPU and driver (UNTESTED on hardware so far: written on a
# machine without a GPU).
#   1. the GPU tests (tests/SharpInfer.Tests/Backends/Gpu) on CUDA instead of ILGPU's CPU accelerator
#      (SHARPINFER_GPU_TESTS=cuda: a missing device fails them instead of falling back);
#   2. `sharpinfer bench` on MODEL with -ngl 99 (everything offloaded) and a partial offload,
#      beside the device's peak memory bandwidth and the token-generation rate it allows
#      (each generated token reads every offloaded weight once).
# usage: tools/gpu-check.sh MODEL.gguf [PARTIAL_NGL]   (PARTIAL_NGL default: half the layers)
set -euo pipefail
cd "$(dirname "$0")/.."

model=${1:?usage: tools/gpu-check.sh MODEL.gguf [PARTIAL_NGL]}
[ -f "$model" ] || { echo "gpu-check: no such model: $model" >&2; exit 1; }
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=index,name,memory.total,memory.free --format=csv || echo "gpu-check: nvidia-smi not found" >&2

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build -c Release -v q >/dev/null

echo "== GPU tests on CUDA"
SHARPINFER_GPU_TESTS=cuda dotnet test tests/SharpInfer.Tests -c Release --no-build --filter "FullyQualifiedName~Backends.Gpu" \
  --logger "console;verbosity=normal"

cli=(dotnet src/SharpInfer.Cli/bin/Release/net10.0/SharpInfer.Cli.dll)

# Devices and their peak bandwidth, as SharpInfer sees them (printed on stderr under -ngl).
devices=$("${cli[@]}" run -m "$model" -ngl 1 -n 1 -p "a" --temp 0 2>&1 >/dev/null | grep '^GPU ' || true)
echo "== devices"
echo "${devices:-none found (see the warning above)}"
[ -n "$devices" ] || exit 1
bw=$(echo "$devices" | sed -n 's/.*peak memory bandwidth \([0-9]*\) GB\/s.*/\1/p' | head -1)

# "offloaded N/M layers" with -ngl 99: M = n_layer + 1 (the output layer)
layers=$("${cli[@]}" plan -m "$model" -ngl 99 2>&1 | sed -n 's/.*offloaded [0-9]*\/\([0-9]*\) layers.*/\1/p' | head -1 || true)
n_layer=$(( ${layers:-3} - 1 ))
partial=${2:-$(( n_layer / 2 ))}
echo "n_layer $n_layer; partial offload: -ngl $partial"
bytes=$(stat -c %s "$model")

for ngl in 99 "$partial"; do
  echo "== bench -ngl $ngl"
  "${cli[@]}" bench -m "$model" -ngl "$ngl" -p 512 -n 128 -r 3 | tee /tmp/gpu-check-bench.md
  if [ -n "$bw" ]; then
    # upper bound for tg with everything offloaded: bandwidth / bytes of weights read per token
    awk -v bw="$bw" -v bytes="$bytes" -v ngl="$ngl" 'BEGIN {
      printf "memory-bandwidth limit: %s GB/s / %.1f MiB of weights = %.1f tokens/s for tg (full offload; -ngl %s reads part of them from host)\n",
             bw, bytes / 1048576, bw * 1e9 / bytes, ngl }'
  fi
done
