#!/bin/sh
# usage: shm.sh HVMM SHM_SHARE_PROGRAM
# Shared memory between VMs (docs/lwk.md "Shared file mappings"): a writer and a reader
# exchange data through a /dev/shm file mapped MAP_SHARED, natively as two processes and
# under hvmm as two VMs given the same --shm DIR; then one VM maps a file twice, unmaps
# and maps it again; then UCX's way (an unlinked file reopened through /proc/self/fd/N).
# Output and exit status must be the native ones.
. "$(dirname "$0")/lib.sh"
HVMM=$(abs "$1") PROG=$(abs "$2")
need_kvm
need_cpus 2
scratch
echo "1..5"
name="dsv-shm-test-$$"
mkdir "$WORK/shm" "$WORK/native-shm"
# The native runs use a directory of their own (a host, or the nested test guest, may have
# no /dev/shm); the VMs use /dev/shm, which --shm makes $WORK/shm.
nshm="$WORK/native-shm"

pair_native "$name" "$nshm"
pair_vm "$name"
if same_as_native "two VMs" && [ "$native_rc" = "0 0" ]; then
	echo "ok 1 - writer and reader in two VMs with one --shm DIR: as natively"
else
	dump "$WORK/hvmm.rerr" "reader stderr"
	dump "$WORK/hvmm.werr" "writer stderr"
	echo "not ok 1 - writer and reader in two VMs"
fi
if [ -z "$(ls -A "$WORK/shm")" ] && [ -z "$(ls -A "$nshm")" ]; then
	echo "ok 2 - the writer's unlink removed the file from --shm DIR"
else
	ls -la "$WORK/shm" | sed 's/^/# /'
	echo "not ok 2 - files left in --shm DIR"
fi

run_native "$SHARE" "$WORK/native.out" "$WORK/native.err" "$PROG" self "$name" "$nshm"
native_rc=$rc
HVMM_ARGS="--shm $WORK/shm" run_hvmm 1 "$SHARE" "$WORK/hvmm.out" "$WORK/hvmm.err" \
	"$PROG" self "$name"
hvmm_rc=$rc
if same_as_native "hvmm" && [ "$native_rc" = 0 ]; then
	echo "ok 3 - one VM: a file mapped twice, unmapped and mapped again, errors: as natively"
else
	dump "$WORK/hvmm.err" "hvmm stderr"
	echo "not ok 3 - one VM mapping a file twice"
fi

# Without --shm, /dev/shm stays out of reach (outside the share).
run_hvmm 1 "$SHARE" "$WORK/none.out" "$WORK/none.err" "$PROG" self "$name"
if [ $rc = 1 ] && grep -qx "self: create: Permission denied" "$WORK/none.out"; then
	echo "ok 4 - without --shm, /dev/shm is EACCES as before"
else
	echo "# exit status $rc"
	dump "$WORK/none.out" stdout
	echo "not ok 4 - without --shm"
fi

# UCX's POSIX segment: unlinked, reopened through /proc/self/fd/N, mapped past its end;
# its signal socket's abstract address kept in the mapping (--net host: abstract names).
run_native "$SHARE" "$WORK/native.out" "$WORK/native.err" "$PROG" procfd "$name" "$nshm"
native_rc=$rc
HVMM_ARGS="--shm $WORK/shm --net host" run_hvmm 1 "$SHARE" "$WORK/hvmm.out" "$WORK/hvmm.err" \
	"$PROG" procfd "$name"
hvmm_rc=$rc
if same_as_native "hvmm" && [ "$native_rc" = 0 ] && [ -z "$(ls -A "$WORK/shm")" ]; then
	echo "ok 5 - /proc/self/fd/N reopens the program's own file: as natively"
else
	dump "$WORK/hvmm.err" "hvmm stderr"
	echo "not ok 5 - /proc/self/fd/N"
fi
