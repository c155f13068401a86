#!/usr/bin/env bash
# The demo on a host without a usable /dev/kvm: the interference experiment needs the HPC
# stack, which needs KVM. What this host can still show is the HPC stack itself, in a nested
# KVM guest on QEMU's TCG (scripts/nested-kvm.sh): the cg workload, unmodified and static,
# natively and in an HPC VM (hvmm + lwk), with the same answer. Emulated, so its times say
# nothing about performance.
# usage: demo-no-kvm.sh BUILD WHY
set -euo pipefail
build=$1 why=$2
here=$(cd "$(dirname "$0")" && pwd)
echo "demo: $why"
echo "demo: the interference experiment (dsv bench interference) needs KVM on this host."
echo "demo: instead: cg natively and in an HPC VM, inside a nested KVM guest on TCG (about a minute)"
inner='
set -e
cg=$1/bench/workloads/cg
echo "demo: $(grep -c ^processor /proc/cpuinfo) CPUs, /dev/kvm: $(ls /dev/kvm)"
echo "demo: natively:"
"$cg" --small --threads 1 | tail -1
echo "demo: in an HPC VM (hvmm run --cpus 1 --mem 256M -- cg --small):"
"$1/hvmm/hvmm" run --vcpus 1 --cpus 1 --mem 256M --kernel "$1/lwk/lwk.elf" --stats \
  -- "$cg" --small --threads 1 2>&1 | grep -v "^ *$" | tail -12
'
exec "$here/nested-kvm.sh" "$build/nested-kvm" -- bash -c "$inner" demo "$(cd "$build" && pwd)"
