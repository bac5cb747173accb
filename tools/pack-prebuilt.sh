#!/usr/bin/env bash
# Writes .prebuilt/ (git-ignored): what tools/gpu-check.sh and tools/amx/amx-check.sh need on a
# Linux x64 machine that has no .NET SDK and no network — the .NET runtime this SDK runs on
# (compressed), the Release binaries of the CLI, the tests and the bench tool (managed code only;
# the bench tool's llama.cpp comparison is not included), and xunit's console runner. Copy the
# repository with .prebuilt/ to that machine and run the check scripts there as usual.
# Usage: tools/pack-prebuilt.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/.prebuilt"
cd "$repo"
dotnet build SharpInfer.sln -c Release -v q --nologo >/dev/null
dotnet build bench/SharpInfer.Bench -c Release -v q --nologo >/dev/null

rm -rf "$out/app" "$out/xunit" "$out/dotnet"
mkdir -p "$out/app" "$out/xunit"
# Tests (they carry the CLI): without the VSTest platform, which the console runner does not use.
tests_bin=tests/SharpInfer.Tests/bin/Release/net10.0
find "$tests_bin" -maxdepth 1 -type f ! -name 'Microsoft.TestPlatform.*' ! -name 'Microsoft.VisualStudio.*' \
  ! -name 'testhost.dll' ! -name 'xunit.runner.visualstudio.*' ! -name 'Newtonsoft.Json.dll' -exec cp {} "$out/app/" \;
# The bench tool, managed only: `make-models` writes the random-weight models; no native llama.cpp.
bench_bin=bench/SharpInfer.Bench/bin/Release/net10.0
find "$bench_bin" -maxdepth 1 -type f -name '*.dll' -exec cp -n {} "$out/app/" \;
cp "$bench_bin/SharpInfer.Bench.runtimeconfig.json" "$out/app/"
# Without its deps.json the host loads the bench tool's assemblies from the folder (its deps.json
# names the native llama.cpp files left out above).

xunit_pkg="$HOME/.nuget/packages/xunit.runner.console/2.4.1/tools/netcoreapp2.0"
if [ ! -f "$xunit_pkg/xunit.console.dll" ]; then
  tmp=$(mktemp -d)
  printf '%s\n' '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>' \
    '<ItemGroup><PackageDownload Include="xunit.runner.console" Version="[2.4.1]" /></ItemGroup></Project>' >"$tmp/x.csproj"
  dotnet restore "$tmp/x.csproj" -v q >/dev/null
  rm -rf "$tmp"
fi
cp "$xunit_pkg"/* "$out/xunit/"

# The runtime: the host and Microsoft.NETCore.App of the SDK's own installation.
dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
runtime_version="$(dotnet --list-runtimes | sed -n 's/^Microsoft.NETCore.App \(10\.[^ ]*\).*/\1/p' | tail -1)"
stamp="$out/dotnet-runtime.version"
if [ ! -f "$out/dotnet-runtime.tar.xz" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$runtime_version" ]; then
  (cd "$dotnet_root" && tar -cJf "$out/dotnet-runtime.tar.xz" dotnet LICENSE.txt ThirdPartyNotices.txt host/fxr \
    "shared/Microsoft.NETCore.App/$runtime_version")
  echo "$runtime_version" >"$stamp"
fi
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src tests bench || echo +uncommitted), built $(date -u +%F' '%H:%M' UTC'), .NET $runtime_version" >"$out/PROVENANCE"
du -sh "$out"/* | sed 's/^/pack-prebuilt: /'
