#!/usr/bin/env bash
# SharpInfer vs llama.cpp (LLamaSharp.Backend.Cpu 0.30.0) on random-weight models of real shapes.
# Usage: bench/run.sh [--models llama-1b,qwen2-0.5b] [--types F16,Q8_0,Q6_K,Q4_K_M,Q4_0] [-r 5] [-t N]
#                     [-p 512] [-n 128] [--fa] [--seed 1] [--out bench/out] [--verbose]
# Models are generated on first use into bench/out/ (git-ignored); results go to bench/out/results.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

project="$here/SharpInfer.Bench/SharpInfer.Bench.csproj"
if ! log=$(dotnet build "$project" -c Release --nologo -v q 2>&1); then
  echo "$log" >&2
  echo "bench: build failed" >&2
  exit 1
fi
tool=(dotnet "$here/SharpInfer.Bench/bin/Release/net10.0/SharpInfer.Bench.dll")

commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain --untracked-files=no -- src 2>/dev/null)" ]; then commit="$commit+uncommitted"; fi

"${tool[@]}" probe
"${tool[@]}" make-models "$@"
"${tool[@]}" compare --commit "$commit" "$@"
