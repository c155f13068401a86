#!/bin/sh
# usage: sysview.sh HVMM SYSVIEW_PROGRAM
# The synthetic /proc and /sys against known answers: the program's sysconf, get_nprocs,
# directory walk of /sys/devices/system/cpu, /proc/cpuinfo, /proc/meminfo and
# /proc/self/status must show the VM's --vcpus and --mem (256M), not the host's; the view
# is read-only; and hvmm leaves no view directory behind.
. "$(dirname "$0")/lib.sh"
HVMM=$(abs "$1") PROG=$(abs "$2")
need_kvm
scratch
mkdir "$WORK/tmp"
echo "1..3"

# check N VCPUS: one run with VCPUS vCPUs
check() {
	TMPDIR="$WORK/tmp" run_hvmm "$2" "$SHARE" "$WORK/out$2" "$WORK/err$2" "$PROG" "$2" 256 vm
	if [ $rc = 0 ] && ! grep -q FAIL "$WORK/out$2"; then
		echo "ok $1 - $2 vCPU(s), 256 MiB: the view matches"
	else
		echo "# exit status $rc"
		dump "$WORK/out$2" stdout
		dump "$WORK/err$2" stderr
		echo "not ok $1 - $2 vCPU(s), 256 MiB"
	fi
}

check 1 1
if [ "$(nproc)" -ge 2 ]; then
	check 2 2
else
	echo "ok 2 # SKIP 2 vCPUs need 2 usable host CPUs"
fi
left=$(ls "$WORK/tmp")
if [ -z "$left" ]; then
	echo "ok 3 - no view directory left behind"
else
	echo "# left: $left"
	echo "not ok 3 - no view directory left behind"
fi
