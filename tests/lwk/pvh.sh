#!/bin/sh
# usage: pvh.sh LWK_ELF PROGRAM
# QEMU (-M microvm) boots lwk.elf through its PVH note, the lwk opts in to PVM from its
# command line, and runs PROGRAM, passed as the initrd. QEMU's isa-debug-exit turns exit
# status s into (s << 1) | 1.
. "$(dirname "$0")/lib.sh"
LWK=$(abs "$1") PROG=$(abs "$2")
need_kvm
scratch
echo "1..1"
QEMU=$(command -v qemu-system-x86_64)
if [ -z "$QEMU" ]; then
	echo "ok 1 # SKIP qemu-system-x86_64 not installed"
	exit 0
fi
platform=
grep -q '^flags.* \(vmx\|svm\)\b' /proc/cpuinfo || platform=dsv.platform=pvm
timeout 60 "$QEMU" -M microvm,rtc=on -enable-kvm -cpu host,-arch-capabilities -m 256 -display none \
	-no-reboot -nodefaults -chardev file,id=out,path="$WORK/out" -serial chardev:out \
	-chardev file,id=err,path="$WORK/err" -device isa-debugcon,iobase=0xe9,chardev=err \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$LWK" -initrd "$PROG" \
	-append "$platform -- hello xyz" </dev/null >"$WORK/qemu.log" 2>&1
rc=$?
(cd "$WORK" && "$PROG" xyz) >"$WORK/expected"
expected_rc=$?
if [ $rc -eq $((expected_rc * 2 + 1)) ] && cmp -s "$WORK/expected" "$WORK/out"; then
	echo "ok 1 - PVH boot under QEMU ($platform) ran $(basename "$PROG"), exit status $expected_rc"
else
	echo "# qemu exit status $rc, expected $((expected_rc * 2 + 1))"
	dump "$WORK/out" "guest stdout"
	dump "$WORK/err" "guest stderr"
	dump "$WORK/qemu.log" qemu
	echo "not ok 1 - PVH boot"
fi
