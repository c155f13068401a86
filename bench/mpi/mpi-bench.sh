#!/usr/bin/env bash
# bench/mpi: MPI between two ranks, natively and with each rank in its own HPC VM, the ranks
# on the same two CPUs, in one run: ping-pong latency (8 B) and bandwidth (1 MiB), and the time of an
# allreduce of 4096 doubles; each VM figure beside its native one, with the ratio.
#
#   bench/mpi/mpi-bench.sh [--build DIR] [--cpus A,B] [--reps N] [--transport tcp|default]
#
# Ranks 0 and 1 run on CPUs A and B, natively (taskset) as in the VMs (one vCPU each): the
# rank's thread and UCX's progress thread share that CPU either way.
#
# tcp: the ranks talk over loopback TCP only (MPIR_CVAR_NOLOCAL=1, UCX_TLS=tcp,self), the
# path ranks on two nodes take; default: MPICH chooses (shared memory on one node), and the
# VMs share one --shm DIR as their /dev/shm, where MPICH puts its segments.
set -uo pipefail
build=build cpus=0,1 reps=200 transport=tcp
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --transport) transport=$2; shift 2 ;;
    -h|--help) sed -n '2,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "mpi-bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
die() { echo "mpi-bench: $*" >&2; exit 1; }
mpiexec=$(command -v mpiexec.hydra) || die "needs mpiexec.hydra (apt-get install mpich)"
build=$(cd "$build" 2>/dev/null && pwd) || die "--build: no such directory"
hvmm=$build/hvmm/hvmm pp=$build/tests/lwk/mpi/mpi-pingpong ar=$build/tests/lwk/mpi/mpi-allreduce
for f in "$hvmm" "$pp" "$ar"; do [ -x "$f" ] || die "$f is not built (make build; needs libmpich-dev)"; done
[[ $cpus =~ ^[0-9]+,[0-9]+$ ]] || die "--cpus '$cpus': expected two CPU numbers, e.g. 0,1"
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps '$reps': expected a positive number"
case $transport in
tcp) export MPIR_CVAR_NOLOCAL=1 UCX_TLS=tcp,self ;;
default) ;;
*) die "--transport '$transport': expected tcp or default" ;;
esac
IFS=, read -r a b <<<"$cpus"
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
shm=()
if [ "$transport" = default ]; then
    mkdir "$work/shm" && shm=(--shm "$work/shm")
fi

# One MPMD launch per peer: each rank pinned to its own CPU, natively with taskset, in a VM
# by hvmm (--cpus).
run() { # PEER PROGRAM ARGS... -> its stderr (the figures) on stdout
    local peer=$1 prog=$2; shift 2
    local r0 r1
    if [ "$peer" = native ]; then
        r0=(taskset -c "$a" "$prog") r1=(taskset -c "$b" "$prog")
    else
        # one vCPU a rank, on the CPU the native rank had; the lwk runs UCX's progress
        # thread beside the rank's (docs/lwk.md "Threads and scheduling")
        local vm=("$hvmm" run --vcpus 1 --mem 512M --net host --inherit-fd PMI_FD --share "$work"
            "${shm[@]}")
        r0=("${vm[@]}" --cpus "$a" -- "$prog") r1=("${vm[@]}" --cpus "$b" -- "$prog")
    fi
    (cd "$work" && timeout -k 5 600 "$mpiexec" -n 1 "${r0[@]}" "$@" : -n 1 "${r1[@]}" "$@" \
        2>"$work/err" >"$work/out") || { sed 's/^/    /' "$work/err" | tail -n 20 >&2; return 1; }
    cat "$work/err"
}
figure() { sed -n "$1" <<<"$2" | head -n 1; }
ratio() { awk -v v="$1" -v n="$2" 'BEGIN { if (v == "" || n == "" || n == 0) print "-"; else printf "%.2f", v / n }'; }

echo "mpi-bench: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), ranks on CPUs $a and $b, $reps repetitions, transport $transport"
declare -A fig
for peer in native vm; do
    echo "mpi-bench: $peer: ping-pong, allreduce" >&2
    out=$(run $peer "$pp" "$reps") || { echo "mpi-bench: the $peer ping-pong failed" >&2; continue; }
    fig[$peer.lat]=$(figure 's/^pingpong 8 B: \([0-9.]*\) us.*/\1/p' "$out")
    fig[$peer.bw]=$(figure 's/^pingpong 1048576 B: .*, \([0-9.]*\) MB\/s/\1/p' "$out")
    out=$(run $peer "$ar" "$reps") || { echo "mpi-bench: the $peer allreduce failed" >&2; continue; }
    fig[$peer.ar]=$(figure 's/^allreduce 4096 doubles: \([0-9.]*\) us/\1/p' "$out")
done
printf '%-34s %12s %12s %10s\n' figure native "HPC VMs" "VM/native"
printf '%-34s %12s %12s %10s\n' "ping-pong 8 B round trip (us)" "${fig[native.lat]:--}" "${fig[vm.lat]:--}" "$(ratio "${fig[vm.lat]:-}" "${fig[native.lat]:-}")"
printf '%-34s %12s %12s %10s\n' "ping-pong 1 MiB bandwidth (MB/s)" "${fig[native.bw]:--}" "${fig[vm.bw]:--}" "$(ratio "${fig[vm.bw]:-}" "${fig[native.bw]:-}")"
printf '%-34s %12s %12s %10s\n' "allreduce 4096 doubles (us)" "${fig[native.ar]:--}" "${fig[vm.ar]:--}" "$(ratio "${fig[vm.ar]:-}" "${fig[native.ar]:-}")"
[ -n "${fig[vm.lat]:-}" ] && [ -n "${fig[native.lat]:-}" ]
