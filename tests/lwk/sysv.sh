#!/bin/sh
# usage: sysv.sh HVMM SYSV_SHM_PROGRAM
# SysV shared memory (docs/lwk.md "SysV shared memory"): one process's segments, then a
# writer and a reader sharing a keyed segment, natively (one IPC namespace) and under hvmm
# (VMs given one --shm DIR). Output and exit status must be the native ones, and the VMs
# must leave no segment file behind in DIR.
. "$(dirname "$0")/lib.sh"
HVMM=$(abs "$1") PROG=$(abs "$2")
need_kvm
need_cpus 2
scratch
echo "1..4"
mkdir "$WORK/shm"
# Keys unique to this run: natively they live in the host's (or test guest's) namespace.
key1=$(( ($$ % 100000) * 1000 + 11 )) key2=$(( ($$ % 100000) * 1000 + 12 ))

run_native "$SHARE" "$WORK/native.out" "$WORK/native.err" "$PROG" self "$key1"
native_rc=$rc
HVMM_ARGS="--shm $WORK/shm" run_hvmm 1 "$SHARE" "$WORK/hvmm.out" "$WORK/hvmm.err" \
	"$PROG" self "$key1"
hvmm_rc=$rc
if same_as_native "hvmm" && [ "$native_rc" = 0 ]; then
	echo "ok 1 - one VM: private and keyed segments, IPC_STAT, IPC_RMID, errors: as natively"
else
	dump "$WORK/hvmm.err" "hvmm stderr"
	echo "not ok 1 - one VM's SysV segments"
fi

pair_native "$key2"
pair_vm "$key2"
if same_as_native "two VMs" && [ "$native_rc" = "0 0" ]; then
	echo "ok 2 - writer and reader share a keyed segment across two VMs: as natively"
else
	dump "$WORK/hvmm.rerr" "reader stderr"
	dump "$WORK/hvmm.werr" "writer stderr"
	echo "not ok 2 - a keyed segment across two VMs"
fi
if [ -z "$(ls -A "$WORK/shm")" ]; then
	echo "ok 3 - every removed segment's file is gone from --shm DIR"
else
	ls -la "$WORK/shm" | sed 's/^/# /'
	echo "not ok 3 - segment files left in --shm DIR"
fi

# Without --shm there is nowhere to put a segment: /dev/shm is out of reach.
run_hvmm 1 "$SHARE" "$WORK/none.out" "$WORK/none.err" "$PROG" self "$key1"
if [ $rc = 1 ] && grep -qx "private: shmget: Permission denied" "$WORK/none.out"; then
	echo "ok 4 - without --shm, shmget is EACCES"
else
	echo "# exit status $rc"
	dump "$WORK/none.out" stdout
	echo "not ok 4 - without --shm"
fi
