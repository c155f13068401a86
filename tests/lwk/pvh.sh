#!/bin/sh
# usage: pvh.sh LWK_ELF VCPUS PROGRAM [ARGS...]
# QEMU (-M microvm) boots lwk.elf through its PVH note with VCPUS vCPUs, the lwk opts in
# to PVM from its command line (on a PVM host), and runs PROGRAM, passed as the initrd.
# Without KVM the same boot runs on QEMU's TCG. Its stdout must match a native run; QEMU's isa-debug-exit turns exit status
# s into (s << 1) | 1.
. "$(dirname "$0")/lib.sh"
LWK=$(abs "$1") VCPUS=$2 PROG=$(abs "$3")
shift 3
need_cpus "$VCPUS"
scratch
echo "1..1"
QEMU=$(command -v qemu-system-x86_64)
if [ -z "$QEMU" ]; then
	echo "ok 1 # SKIP qemu-system-x86_64 not installed"
	exit 0
fi
platform= accel="-enable-kvm -cpu host,-arch-capabilities" how=kvm
if kvm_usable; then
	[ -e /sys/module/kvm_pvm ] && platform=dsv.platform=pvm how=$platform
else
	accel="-accel tcg -cpu max" how=tcg
fi
timeout 60 "$QEMU" -M microvm,rtc=on $accel -m 256 \
	-smp "$VCPUS" -display none -no-reboot -nodefaults \
	-chardev file,id=out,path="$WORK/out" -serial chardev:out \
	-chardev file,id=err,path="$WORK/err" -device isa-debugcon,iobase=0xe9,chardev=err \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$LWK" -initrd "$PROG" \
	-append "$platform -- $(basename "$PROG") $*" </dev/null >"$WORK/qemu.log" 2>&1
rc=$?
(cd "$WORK" && "$PROG" "$@") >"$WORK/expected"
expected_rc=$?
name="PVH boot under QEMU, $VCPUS vCPU(s) ($how): $(basename "$PROG")"
if [ $rc -eq $((expected_rc * 2 + 1)) ] && cmp -s "$WORK/expected" "$WORK/out"; then
	echo "ok 1 - $name, exit status $expected_rc"
else
	echo "# qemu exit status $rc, expected $((expected_rc * 2 + 1))"
	diff "$WORK/expected" "$WORK/out" | head -n 20 | sed 's/^/# /'
	dump "$WORK/err" "guest stderr"
	dump "$WORK/qemu.log" qemu
	echo "not ok 1 - $name"
fi
