#!/usr/bin/env bash
# Disassembles a hex dump of emitted code with GNU objdump (Intel syntax).
# Usage: tools/amx/disasm.sh tools/amx/kernels/q8_0-32x32-sysv.hex
set -euo pipefail
tmp="$(mktemp)"; trap 'rm -f "$tmp"' EXIT
xxd -r -p "$1" > "$tmp"
objdump -D -b binary -m i386:x86-64 -M intel "$tmp" | tail -n +8
