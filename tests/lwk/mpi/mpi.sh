#!/bin/sh
# usage: mpi.sh HVMM MPIEXEC PROGRAM [ARGS...]
# Runs a static MPI program with 2 ranks under Hydra's mpiexec natively, then with each rank
# in its own HPC VM (hvmm run --net host --inherit-fd PMI_FD); stdout and the exit status
# must be identical. MPI_TRANSPORT=tcp: the ranks talk over loopback TCP only.
# Each VM has 2 vCPUs: UCX starts a progress thread beside the rank's own, and the lwk runs
# one thread per vCPU (docs/lwk.md); with one CPU per vCPU, the test needs 4 CPUs.
. "$(dirname "$0")/../lib.sh"
HVMM=$(abs "$1") MPIEXEC=$2 PROG=$(abs "$3")
shift 3
need_kvm
vcpus=2 ranks=2
need_cpus $((vcpus * ranks))
scratch
name="$(basename "$PROG") on $ranks ranks (${MPI_TRANSPORT:-default} transport)"
echo "1..1"
if [ "${MPI_TRANSPORT:-}" = tcp ]; then
	export MPIR_CVAR_NOLOCAL=1 UCX_TLS=tcp,self
fi

(cd "$SHARE" && timeout -k 5 120 "$MPIEXEC" -n $ranks "$PROG" "$@" >"$WORK/native.out" 2>"$WORK/native.err")
native_rc=$?
if [ $native_rc != 0 ]; then
	echo "ok 1 # SKIP the native run exited $native_rc: MPI does not work on this host"
	dump "$WORK/native.err" "native stderr"
	exit 0
fi
(cd "$SHARE" && timeout -k 5 240 "$MPIEXEC" -n $ranks "$HVMM" run --vcpus $vcpus --mem 512M \
	--net host --inherit-fd PMI_FD --share "$SHARE" -- "$PROG" "$@" \
	>"$WORK/hvmm.out" 2>"$WORK/hvmm.err")
hvmm_rc=$?

ok=1
same_as_native "in HPC VMs" || ok=0
if [ $ok = 1 ]; then
	echo "ok 1 - $name: same output and exit status in HPC VMs as natively"
else
	dump "$WORK/hvmm.err" "stderr in HPC VMs"
	echo "not ok 1 - $name"
fi
