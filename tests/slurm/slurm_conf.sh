#!/usr/bin/env bash
# dsv node slurm-conf against a real dsvd (no partition applied: the proposed one) and
# against Slurm's own view of the hardware (slurmd -C) (TAP).
# usage: slurm_conf.sh DSVD DSV
set -u
DSVD=$(readlink -f "$1") DSV=$(readlink -f "$2")
. "$(dirname "$0")/../lib/tap.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (dsvd)"
command -v jq >/dev/null || skip_all "needs jq"
T=$(mktemp -d /tmp/dsv-slurmconf.XXXXXX)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
echo '{}' >"$T/none.json"
"$DSVD" --socket "$T/s" --state-dir "$T/st" --config "$T/none.json" >"$T/dsvd.log" 2>&1 &
PID=$!
for _ in $(seq 100); do [ -S "$T/s" ] && break; sleep 0.05; done
dsv() { "$DSV" --socket "$T/s" "$@"; }
dsv --json node show >"$T/node.json" || { cat "$T/dsvd.log"; skip_all "dsvd did not start"; }

# What the line must say, from dsvd's own report (the proposed partition).
J=$T/node.json
ONLINE=$(jq -r .online_cpus "$J") HPC=$(jq -r .proposed_partition.hpc_cpus "$J")
MEM=$(jq -r .memory_mib "$J") HPC_MEM=$(jq -r .proposed_partition.hpc_mem_mib "$J")
expand() { python3 -c "import sys
s=set()
for p in filter(None, sys.argv[1].split(',')):
    a,_,b=p.partition('-'); s.update(range(int(a), int(b or a)+1))
print(' '.join(map(str, sorted(s))))" "$1"; }
SPEC_WANT=$(comm -23 <(expand "$ONLINE" | tr ' ' '\n' | sort) <(expand "$HPC" | tr ' ' '\n' | sort) | sort -n | tr '\n' ' ')

dsv node slurm-conf --node-name n1 >"$T/conf"
check "slurm-conf prints one NodeName line" [ "$(grep -c '^NodeName=n1 ' "$T/conf")" = 1 ] || show "$T/conf"
line=$(grep '^NodeName=' "$T/conf")
val() { tr ' ' '\n' <<<"$line" | sed -n "s/^$1=//p"; }
check "CpuSpecList is every online CPU outside the HPC partition ($SPEC_WANT)" \
  [ "$(expand "$(val CpuSpecList)" | tr '\n' ' ')" = "$SPEC_WANT" ]
check "MemSpecLimit leaves jobs the HPC memory ($MEM - $HPC_MEM MiB)" \
  [ "$(val MemSpecLimit)" = $((MEM - HPC_MEM)) ]
# Slurm's own hardware view must agree, or slurmd would drain the node.
if command -v slurmd >/dev/null; then
  hw=$(slurmd -C | head -1)
  for k in CPUs SocketsPerBoard CoresPerSocket ThreadsPerCore RealMemory; do
    want=$(tr ' ' '\n' <<<"$hw" | sed -n "s/^$k=//p")
    check "$k agrees with slurmd -C ($want)" [ "$(val $k)" = "$want" ]
  done
else
  skip "the hardware agrees with slurmd -C" "slurmd is not installed"
fi

dsv node slurm-conf --node-name n1 --check "$T/conf" >"$T/ok.out" 2>&1
check "--check: the printed line agrees (exit 0)" [ $? = 0 ]
sed "s/CpuSpecList=[^ ]*/CpuSpecList=$HPC/; s/MemSpecLimit=[^ ]*//" "$T/conf" >"$T/bad.conf"
dsv node slurm-conf --node-name n1 --check "$T/bad.conf" >"$T/bad.out" 2>&1
check "--check: a wrong CpuSpecList and a missing MemSpecLimit fail it (exit 1)" [ $? = 1 ]
check "... naming both" bash -c "grep -qF 'CpuSpecList=$HPC, dsv' $T/bad.out && grep -qF 'MemSpecLimit=(unset)' $T/bad.out" ||
  show "$T/bad.out"
dsv node slurm-conf --node-name other --check "$T/conf" >"$T/none.out" 2>&1
check "--check: no line for the node is an error" \
  bash -c "[ $? = 1 ] && grep -qF 'has no NodeName line for other' $T/none.out"
dsv node slurm-conf --node-name 'a,b' >"$T/badname.out" 2>&1
check "a bad --node-name is a usage error" [ $? = 2 ]
finish
