#!/usr/bin/env bash
# usage: finalize_loop.sh [--runs N] [--hang S] [--nodes netns|ipc] PROGRAM...
# Runs static MPI programs natively, 2 ranks under Hydra, N times each (interleaved, so that
# the programs meet the same load), and counts the runs that did not end within S seconds:
# MPICH 4.0.2's finalize hang (docs/mpi.md "MPICH 4.0.2's finalize over TCP").
#   --nodes netns (default): one rank in each of two network namespaces joined by veth
#     (netns.sh), TCP only, as mpi_*_netns; needs root.
#   --nodes ipc: one host, MPICH's defaults, each rank in its own IPC namespace: UCX then
#     talks TCP between the ranks while MPICH uses its shared memory, as between HPC VMs
#     sharing a --shm DIR (mpi_*_shm); needs root (unshare).
# For a hung run it prints each rank's main thread's stack (gdb, where installed) and its TCP
# sockets with unread bytes, then kills that run's processes. Exit status: 1 if any run hung
# or failed.
set -euo pipefail
runs=50 hang=10 nodes=netns
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--hang) hang=$2; shift 2 ;;
	--nodes) nodes=$2; shift 2 ;;
	-h | --help)
		sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "finalize_loop.sh: no program (--help)" >&2; exit 2; }
progs=()
for p in "$@"; do progs+=("$(cd "$(dirname "$p")" && pwd -P)/$(basename "$p")"); done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/finalize-loop.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
MPI_IN="" MPI_HYDRA="" wrap=""
case $nodes in
netns)
	# shellcheck source=tests/lwk/mpi/netns.sh
	. "$(dirname "$0")/netns.sh"
	netns_setup
	export MPIR_CVAR_NOLOCAL=1 UCX_TLS=tcp,self
	;;
ipc)
	unset MPIR_CVAR_NOLOCAL UCX_TLS
	wrap="unshare --ipc"
	;;
*) echo "finalize_loop.sh: --nodes netns|ipc" >&2; exit 2 ;;
esac

descendants() { # PID: every process below PID
	local c
	for c in $(ps -o pid= --ppid "$1"); do echo "$c"; descendants "$c"; done
}
show_rank() { # PID: where a rank of a hung run is
	local ns
	ns=$(ip netns identify "$1" 2>/dev/null || true)
	echo "# rank pid $1${ns:+ in $ns}: $(grep State /proc/"$1"/status)"
	{ if [ -n "$ns" ]; then ip netns exec "$ns" ss -tanp; else ss -tanp; fi; } 2>/dev/null |
		grep "pid=$1," |
		awk '$1 == "ESTAB" && $2 > 0 { print "#   unread " $2 " bytes on " $4 " from " $5 }' ||
		true
	if command -v gdb >/dev/null; then
		gdb -p "$1" -batch -ex bt 2>/dev/null | grep '^#' | sed 's/^/#   /' || true
	fi
}

declare -A hangs fails
for ((i = 1; i <= runs; i++)); do
	for k in "${!progs[@]}"; do
		prog=${progs[$k]}
		# shellcheck disable=SC2086 # the prefixes and options are words
		(cd "$WORK" && exec $MPI_IN mpiexec.hydra $MPI_HYDRA -n 2 $wrap "$prog" \
			>"$WORK/out" 2>"$WORK/err") &
		pid=$!
		for ((t = 0; t < hang * 10; t++)); do
			kill -0 $pid 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 $pid 2>/dev/null; then
			hangs[$k]=$((${hangs[$k]:-0} + 1))
			said=$(grep -v ' UCX ' "$WORK/out" | head -n 1 || true)
			echo "# run $i of $(basename "$prog"): no end after $hang s; it printed: $said"
			procs=$(descendants $pid)
			for p in $procs; do
				[ "$(readlink /proc/"$p"/exe 2>/dev/null)" = "$prog" ] && show_rank "$p"
			done
			for p in $procs $pid; do kill -9 "$p" 2>/dev/null || true; done
			wait $pid 2>/dev/null || true
		elif ! wait $pid; then
			fails[$k]=$((${fails[$k]:-0} + 1))
			echo "# run $i of $(basename "$prog") failed:"
			sed 's/^/#   /' "$WORK/err" | tail -n 5
		fi
	done
done
bad=0
for k in "${!progs[@]}"; do
	echo "${progs[$k]} ($nodes): $runs runs, ${hangs[$k]:-0} hung, ${fails[$k]:-0} failed"
	bad=$((bad + ${hangs[$k]:-0} + ${fails[$k]:-0}))
done
[ $bad = 0 ]
