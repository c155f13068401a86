#!/usr/bin/env bash
# Both hog kinds in one run (--hog-kind lwk,image): the dual-stack scenario beside lwk hogs
# and beside Linux VMs from the test guest image (tests/dsvd/images), one row each, with the
# slowdown against the runs without hogs; nothing left behind. Needs KVM (the HPC side).
. "$(dirname "$0")/lib.sh"
preflight
for t in qemu-img genisoimage; do
    command -v $t >/dev/null || skip_all "$t is not installed (scripts/install-deps.sh)"
done
IMG=$("$BUILD_GUEST_IMAGE" "$GUEST_IMAGE_DIR" 2>"$WORK/image.log"); rc=$?
[ $rc -eq 77 ] && skip_all "no test guest image: $(tail -1 "$WORK/image.log")"
[ $rc -eq 0 ] || { sed 's/^/#   /' "$WORK/image.log"; not_ok "the test guest image builds"; finish; exit; }

host_state_before
OUT=$WORK/out
# bounded below meson's 600 s, so a slow host (nested KVM on TCG boots a Linux guest
# slowly) shows how far the run got; SIGINT makes the runner clean up
timeout -s INT -k 30 ${IX_HOG_KINDS_BOUND:-540} \
    "$IX" --reps 1 --size small --hogs 1 --no-fwq --wait 60 --scenarios native-alone,hpc-alone,dual-stack \
    --hog-kind lwk,image --hog-image "$IMG" --hog-image-mem 256 --hog-boot-timeout 400 --out "$OUT" \
    >"$WORK/stdout" 2>"$WORK/stderr"
rc=$?
check "the run completes with every run verified (status $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || { sed 's/^/#   /' "$WORK/stderr"; [ -f "$OUT/report.md" ] && sed 's/^/#   /' "$OUT/report.md"; }

for kind in lwk image; do
    check "the table has a dual-stack row with $kind hogs" grep -q "^| dual-stack | $kind | 1/1 |" "$OUT/table.md"
    check "summary.csv has dual-stack with $kind hogs and a slowdown" \
        [ "$(awk -F, -v k="$kind" '$1 == "dual-stack" && $NF == k && $8 + 0 > 0' "$OUT/summary.csv" | wc -l)" -eq 1 ]
    check "runs.csv has one verified dual-stack run with $kind hogs" \
        [ "$(awk -F, -v k="$kind" '$2 == "dual-stack" && $3 == 1 && $NF == k' "$OUT/runs.csv" | wc -l)" -eq 1 ]
done
check "the runs without hogs have one row each" \
    [ "$(grep -c -e '^| native-alone | - |' -e '^| hpc-alone | - |' "$OUT/table.md")" -eq 2 ]
check "every runs.csv line has 17 fields" [ "$(awk -F, 'NF != 17' "$OUT/runs.csv" | wc -l)" -eq 0 ]
check "the report names the image" grep -q "booted from \`$IMG\`" "$OUT/report.md"
if [ -e /sys/module/kvm_pvm ]; then
    check "on kvm_pvm the report says what the image hogs did" grep -q "kvm_pvm host" "$OUT/report.md"
else
    check "the image hogs ran their user-data" grep -q "running the hog from their user-data" "$WORK/stderr"
fi
ID=$(run_id_of "$WORK/stderr")
check_leftovers "${ID:-none}"
check_host_state_after
finish
