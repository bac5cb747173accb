# Sourced by the regen-golden scripts (tools/x64, tools/amx): GNU as is the source of truth for the emitter's
# golden-byte tests. Needs $tmp (a scratch folder the caller removes).
# gas_listing FILE.s            prints "<hex bytes>\t<instruction>" per instruction (alignment nops left out)
# gas_verify FILE.s TESTS.cs    checks that TESTS.cs records those bytes, in order; exits 1 on a mismatch
gas_listing() {
  as "$1" -o "$tmp/o.o"
  # objdump wraps long instructions onto continuation lines; join them before printing.
  objdump -d -M intel "$tmp/o.o" | awk -F'\t' '
    /^ *[0-9a-f]+:\t/ {
      if (NF >= 3) { if (bytes != "") print bytes "\t" ins; bytes = $2; ins = $3 }
      else { bytes = bytes " " $2 }
      next }
    END { if (bytes != "") print bytes "\t" ins }' | sed -e 's/ *\t/\t/' -e 's/  */ /g' | grep -v $'\tnop$'
}

gas_verify() {
  gas_listing "$1" | cut -f1 > "$tmp/as.txt"
  grep -oE '^ *\["[0-9a-f ]+"' "$2" | sed -E 's/^ *\["//; s/"$//' > "$tmp/tests.txt"
  if diff "$tmp/as.txt" "$tmp/tests.txt" > "$tmp/diff.txt"; then
    echo "OK: $(wc -l < "$tmp/as.txt") forms in $(basename "$2") match GNU as"
  else
    echo "MISMATCH between GNU as (<) and the test file (>):"; cat "$tmp/diff.txt"; exit 1
  fi
}
