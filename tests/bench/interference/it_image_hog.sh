#!/usr/bin/env bash
# One image hog through the runner's code path (image_hog_probe.c) against a real dsvd and
# libvirtd, without the HPC side: the guest image from tests/dsvd/images boots (on TCG where
# there is no /dev/kvm), its init runs the hog from the cloud-init user-data, the runner
# sees the hog's console line, deletes the VM, and nothing is left. Run it under
# flock /tmp/dsv-host.lock with the integration suite (it makes libvirt domains and dsvd's
# NAT network).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (libvirt)"
[ -x "$PROBE" ] || skip_all "the probe is not built"
for t in libvirtd qemu-img genisoimage; do
    command -v $t >/dev/null || skip_all "$t is not installed (scripts/install-deps.sh)"
done
if [ -e /sys/module/kvm_pvm ] && kvm_usable; then
    skip_all "kvm_pvm host: an unmodified Linux guest's kernel is emulated and never reaches its user-data (docs/commodity.md)"
fi
IMG=$("$BUILD_GUEST_IMAGE" "$GUEST_IMAGE_DIR" 2>"$WORK/image.log"); rc=$?
[ $rc -eq 77 ] && skip_all "no test guest image: $(tail -1 "$WORK/image.log")"
[ $rc -eq 0 ] || { sed 's/^/#   /' "$WORK/image.log"; not_ok "the test guest image builds"; finish; exit; }
"$START_SERVICES" >"$WORK/services.log" 2>&1 || {
    sed 's/^/#   /' "$WORK/services.log"; skip_all "libvirtd could not be started"; }

# the runner's checks come first: a bad image is refused before anything starts
echo "not a disk image" > "$WORK/notes.txt"
"$PROBE" --hog-image "$WORK/notes.txt" >"$WORK/bad.out" 2>"$WORK/bad.err"; rc=$?
check "a text file as --hog-image is bad usage (status $rc)" [ $rc -eq 2 ]
check "  ... named as no disk image" grep -q "neither a qcow2 image nor a raw disk image" "$WORK/bad.err"
check "  ... before any VM or dsvd exists" [ ! -s "$WORK/bad.out" ]

img_sum=$(md5sum < "$IMG")
# TCG boots the guest's kernel in about a minute on an idle host; a loaded one is slower
"$PROBE" --hog-image "$IMG" --hog-image-mem 256 --hog-boot-timeout 540 \
    >"$WORK/out" 2>"$WORK/err"; rc=$?
check "the probe ran an image hog and deleted it (status $rc)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || { sed 's/^/#   /' "$WORK/out" "$WORK/err"; }
val() { sed -n "s/^$1 //p" "$WORK/out" | head -1; }
ID=$(val run_id)
check "dsvd made the hog VM (started $(val started))" [ -n "$(val started)" ]
check "the runner saw the hog's line on its console (the user-data ran)" \
    grep -q "running the hog from their user-data" "$WORK/err"
check "  ... and GET /vms/{name}/console holds it" [ "$(val console_token)" = yes ]
check "the hog VM was still running after the wait" [ "$(val alive)" = yes ]
check "its domain is gone after the deletion" [ "$(val domain_gone)" = yes ]
check "its overlay, base link and seed are removed ($(val files_left) left)" [ "$(val files_left)" = 0 ]
check "the image itself was never written" [ "$(md5sum < "$IMG")" = "$img_sum" ]
check_leftovers "${ID:-none}"
finish
