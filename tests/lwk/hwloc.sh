#!/bin/sh
# usage: hwloc.sh HVMM HWLOC_TOPO_PROGRAM
# hwloc (statically linked, as an MPI program links it) must see the VM through the
# synthetic /proc and /sys: one package, one core and one PU per vCPU, one NUMA node
# holding the VM's memory (256 MiB = 268435456 bytes), whatever the host has.
. "$(dirname "$0")/lib.sh"
HVMM=$(abs "$1") PROG=$(abs "$2")
need_kvm
scratch
echo "1..2"

# check N VCPUS
check() {
	run_hvmm "$2" "$SHARE" "$WORK/out$2" "$WORK/err$2" "$PROG"
	want="packages 1 cores $2 pus $2 numa 1 memory 268435456"
	if [ $rc = 0 ] && [ "$(cat "$WORK/out$2")" = "$want" ]; then
		echo "ok $1 - $2 vCPU(s): $want"
	else
		echo "# exit status $rc, want: $want"
		dump "$WORK/out$2" stdout
		dump "$WORK/err$2" stderr
		echo "not ok $1 - $2 vCPU(s)"
	fi
}

check 1 1
if [ "$(nproc)" -ge 2 ]; then
	check 2 2
else
	echo "ok 2 # SKIP 2 vCPUs need 2 usable host CPUs"
fi
