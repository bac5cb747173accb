# Sourced by the check scripts in tools/: how to run SharpInfer's CLI, the bench tool and the tests on
# this machine. With the .NET SDK: build Release, `dotnet test`. Without it (a GPU or AMX box with
# no network, say): the folder .prebuilt/ that tools/pack-prebuilt.sh writes on a machine with the
# SDK — a .NET runtime, the Release binaries and xunit's console runner — copied beside the sources.
# SHARPINFER_PREBUILT=1 prefers .prebuilt/ even where an SDK exists.
# Defines: si_cli ARGS…, si_bench ARGS…, si_tests NAMESPACE (runs the tests under that namespace).
si_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
si_prebuilt="$si_repo/.prebuilt"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [ -f "$si_prebuilt/app/SharpInfer.Tests.dll" ] && { [ -n "${SHARPINFER_PREBUILT:-}" ] || ! dotnet --list-sdks 2>/dev/null | grep -q .; }; then
  if [ ! -x "$si_prebuilt/dotnet/dotnet" ]; then
    mkdir -p "$si_prebuilt/dotnet"
    if command -v xz >/dev/null; then
      tar -xJf "$si_prebuilt/dotnet-runtime.tar.xz" -C "$si_prebuilt/dotnet"
    else
      python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
        "$si_prebuilt/dotnet-runtime.tar.xz" "$si_prebuilt/dotnet"
    fi
  fi
  export DOTNET_ROOT="$si_prebuilt/dotnet"
  si_dotnet="$si_prebuilt/dotnet/dotnet"
  echo "(prebuilt binaries: $(cat "$si_prebuilt/PROVENANCE" 2>/dev/null | head -1))"
  si_cli() { "$si_dotnet" "$si_prebuilt/app/SharpInfer.Cli.dll" "$@"; }
  si_bench() { "$si_dotnet" "$si_prebuilt/app/SharpInfer.Bench.dll" "$@"; }
  # xunit's console runner targets netcoreapp2.0: roll it forward onto the carried runtime.
  si_tests() {
    DOTNET_ROLL_FORWARD=Major "$si_dotnet" "$si_prebuilt/xunit/xunit.console.dll" \
      "$si_prebuilt/app/SharpInfer.Tests.dll" -namespace "$1" -parallel none -nocolor -verbose
  }
else
  dotnet build "$si_repo/SharpInfer.sln" -c Release -v q --nologo >/dev/null
  dotnet build "$si_repo/bench/SharpInfer.Bench" -c Release -v q --nologo >/dev/null
  si_cli() { dotnet "$si_repo/src/SharpInfer.Cli/bin/Release/net10.0/SharpInfer.Cli.dll" "$@"; }
  si_bench() { dotnet "$si_repo/bench/SharpInfer.Bench/bin/Release/net10.0/SharpInfer.Bench.dll" "$@"; }
  si_tests() {
    dotnet test "$si_repo/tests/SharpInfer.Tests" -c Release --no-build --filter "FullyQualifiedName~$1." \
      --logger "console;verbosity=normal"
  }
fi
