#!/usr/bin/env bash
# A tiny run of the whole matrix (one repetition, smallest sizes) completes, writes a
# well-formed CSV, summary and table with every scenario, and leaves nothing behind.
. "$(dirname "$0")/lib.sh"
preflight

SCN="native-alone hpc-alone single-stack single-stack-pinned dual-stack"
host_state_before

OUT=$WORK/out
"$IX" --reps 1 --size small --hogs 1 --wait 60 --out "$OUT" >"$WORK/stdout" 2>"$WORK/stderr"
rc=$?
check "the matrix completes with every run verified (status $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || { sed 's/^/#   /' "$WORK/stderr"; [ -f "$OUT/report.md" ] && sed 's/^/#   /' "$OUT/report.md"; }

check "runs.csv has the header" \
    [ "$(head -1 "$OUT/runs.csv" 2>/dev/null)" = "rep,scenario,ok,seconds,figure,noise_pct,max_detour_us,hog_ms,other_ms,irq_ms,softirq_ms,steal_ms,interrupts,irq_sources,others,note,hogs" ]
for s in $SCN; do
    check "runs.csv has one verified $s row" \
        [ "$(awk -F, -v s="$s" '$2 == s && $3 == 1 && $4 + 0 > 0' "$OUT/runs.csv" 2>/dev/null | wc -l)" -eq 1 ]
    check "summary.csv has $s with a slowdown" \
        [ "$(awk -F, -v s="$s" '$1 == s && $8 + 0 > 0' "$OUT/summary.csv" 2>/dev/null | wc -l)" -eq 1 ]
    check "the table has a $s row" grep -q "^| $s |" "$OUT/table.md"
    check "stdout shows the $s row" grep -q "^| $s |" "$WORK/stdout"
done
check "every runs.csv line has 17 fields" \
    [ "$(awk -F, 'NF != 17' "$OUT/runs.csv" 2>/dev/null | wc -l)" -eq 0 ]
check "every summary.csv line has 17 fields" \
    [ "$(awk -F, 'NF != 17' "$OUT/summary.csv" 2>/dev/null | wc -l)" -eq 0 ]
check "the table has a header, a rule and 5 rows" \
    [ "$(grep -c '^|' "$OUT/table.md" 2>/dev/null)" -eq 7 ]
check "native-alone's slowdown is 1 by definition" \
    [ "$(awk -F, '$1 == "native-alone" { print $8 }' "$OUT/summary.csv")" = 1 ]
check "the report names the date, machine and command" \
    grep -q 'Command:.*--reps 1' "$OUT/report.md"
if command -v gnuplot >/dev/null; then
    check "the plot is an SVG" grep -q '<svg' "$OUT/plot.svg"
else
    skip "gnuplot is not installed"
fi

ID=$(run_id_of "$WORK/stderr")
check "the run id is printed" [ -n "$ID" ]
check_leftovers "${ID:-none}"
check_host_state_after
finish
