#!/bin/sh
# usage: mpi.sh HVMM MPIEXEC PROGRAM [ARGS...]
# Runs a static MPI program with 2 ranks under Hydra's mpiexec natively, then with each rank
# in its own HPC VM (hvmm run --net host --inherit-fd PMI_FD); stdout and the exit status
# must be identical. MPI_TRANSPORT=tcp: the ranks talk over TCP only (loopback on one node).
# MPI_TRANSPORT=shm: MPICH's defaults (no NOLOCAL, every UCX transport), and the VMs share
# one --shm DIR as their /dev/shm: on one node the ranks exchange messages through MPICH's
# shared-memory segments there (docs/mpi.md "Transports").
# MPI_NODES=netns: the ranks run on two "nodes", network namespaces joined by veth
# (netns.sh), and their TCP crosses it.
# Each VM has MPI_VCPUS vCPUs (1): UCX starts a progress thread beside the rank's own, and
# the lwk shares a vCPU among threads (docs/lwk.md "Threads and scheduling").
. "$(dirname "$0")/../lib.sh"
HVMM=$(abs "$1") MPIEXEC=$2 PROG=$(abs "$3")
shift 3
need_kvm
vcpus=${MPI_VCPUS:-1} ranks=2
need_cpus $((vcpus * ranks))
scratch
MPI_IN="" MPI_HYDRA=""
if [ "${MPI_NODES:-}" = netns ]; then
	. "$(dirname "$0")/netns.sh"
	netns_setup
fi
name="$(basename "$PROG") on $ranks ranks (${MPI_TRANSPORT:-default} transport${MPI_NODES:+, $MPI_NODES nodes})"
echo "1..1"
shm_args=""
if [ "${MPI_TRANSPORT:-}" = tcp ]; then
	export MPIR_CVAR_NOLOCAL=1 UCX_TLS=tcp,self
elif [ "${MPI_TRANSPORT:-}" = shm ]; then
	unset MPIR_CVAR_NOLOCAL UCX_TLS
	mkdir "$WORK/shm"
	shm_args="--shm $WORK/shm"
fi

(cd "$SHARE" && timeout -k 5 120 $MPI_IN "$MPIEXEC" $MPI_HYDRA -n $ranks "$PROG" "$@" >"$WORK/native.out" 2>"$WORK/native.err")
native_rc=$?
if [ $native_rc != 0 ]; then
	echo "ok 1 # SKIP the native run exited $native_rc: MPI does not work on this host"
	dump "$WORK/native.err" "native stderr"
	exit 0
fi
(cd "$SHARE" && timeout -k 5 240 $MPI_IN "$MPIEXEC" $MPI_HYDRA -n $ranks "$HVMM" run --vcpus $vcpus --mem 512M \
	--net host --inherit-fd PMI_FD --share "$SHARE" $shm_args -- "$PROG" "$@" \
	>"$WORK/hvmm.out" 2>"$WORK/hvmm.err")
hvmm_rc=$?

# UCX logs to stdout, with the host's name, pids and times: those lines are diagnostics of
# the run, not the program's output (shown below, compared never).
for run in native hvmm; do
	grep -v ' UCX  [A-Z]' "$WORK/$run.out" >"$WORK/$run.prog"
	grep ' UCX  [A-Z]' "$WORK/$run.out" | sed "s/^/# UCX, $run: /" | sort -u -k5 | head -n 5
	mv "$WORK/$run.prog" "$WORK/$run.out"
done
ok=1
same_as_native "in HPC VMs" || ok=0
if [ $ok = 1 ]; then
	echo "ok 1 - $name: same output and exit status in HPC VMs as natively"
else
	dump "$WORK/hvmm.err" "stderr in HPC VMs"
	echo "not ok 1 - $name"
fi
