#!/usr/bin/env bash
# Node partition on this machine (cgroup v1 here): apply, show, idempotent re-apply, release to
# exactly the prior state, a failed apply rolled back, and the config file applied at start.
. "$TEST_LIB"
need_root
need_free_node

CS=/sys/fs/cgroup/cpuset
[ -f $CS/cpuset.cpus ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || skip_all "no cpuset cgroup"
[ -f $CS/cpuset.cpus ] || skip_all "this test checks the cgroup v1 layout"
need_hpc_cpu
HUGE=/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages
[ -f $HUGE ] || HUGE=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages

# a cgroup of someone else's that holds the HPC CPU: the partition must narrow it and restore it
OTHER=$CS/dsvtest-$$
mkdir $OTHER && cat $CS/cpuset.cpus > $OTHER/cpuset.cpus && cat $CS/cpuset.mems > $OTHER/cpuset.mems
# a process pinned to the HPC CPU: moved to housekeeping, and its affinity restored on release
taskset -c $HPC sleep 3600 & # outlives the test however slow; extra_cleanup ends it
PINNED=$!
extra_cleanup() { kill $PINNED 2>/dev/null; rmdir $OTHER 2>/dev/null; }
trap 'extra_cleanup; cleanup' EXIT

snapshot > "$WORK/before"
pages_before=$(cat $HUGE)
start_dsvd || { not_ok "dsvd starts"; finish; exit; }

out=$("$DSV" node partition --hpc-cpus $HPC --housekeeping-cpus 0 --hpc-mem 16M 2>&1); rc=$?
check "dsv node partition exits 0" [ $rc -eq 0 ]
[ $rc -eq 0 ] || diag "$out"
check "it says it applied the partition" grep -q '^partition applied' <<<"$out"
check "HPC cpuset holds the HPC CPU" [ "$(cat $CS/dsv-hpc/cpuset.cpus)" = "$HPC" ]
check "HPC cpuset is cpu_exclusive" [ "$(cat $CS/dsv-hpc/cpuset.cpu_exclusive)" = 1 ]
check "HPC cpuset does not load-balance" [ "$(cat $CS/dsv-hpc/cpuset.sched_load_balance)" = 0 ]
check "root cpuset stops load balancing" [ "$(cat $CS/cpuset.sched_load_balance)" = 0 ]
check "housekeeping cpuset holds CPU 0" [ "$(cat $CS/dsv-host/cpuset.cpus)" = 0 ]
check "commodity cpuset exists" [ -d $CS/dsv-commodity ]
check "another cgroup is narrowed off the HPC CPU" [ "$(cat $OTHER/cpuset.cpus)" = 0 ]
check "host tasks moved to housekeeping (PID 1)" [ "$(cat /proc/1/cpuset)" = /dsv-host ]
check "a process pinned to the HPC CPU moved off it" [ "$(taskset -pc $PINNED | sed 's/.*: //')" = 0 ]
check "8 hugepages reserved" [ "$(cat $HUGE)" -eq $((pages_before + 8)) ]
check "unbound workqueues off the HPC CPU" [ "$(cat /sys/devices/virtual/workqueue/cpumask)" = 1 ]
skipped=$(sed -n 's/.*"skipped": \([0-9]*\).*/\1/p' "$STATE/partition.json" | head -1)
on_hpc=0
for f in /proc/irq/*/smp_affinity_list; do
    grep -Eq "(^|,)$HPC(,|-|$)|-$HPC" "$f" && on_hpc=$((on_hpc + 1))
done
check "no movable IRQ left on the HPC CPU ($on_hpc left, $skipped unmovable)" [ "$on_hpc" -le "${skipped:-0}" ]
unmovable=$(sed -n 's/.*"unmovable": "\([0-9,]*\)".*/\1/p' "$STATE/partition.json" | head -1)
listed_on_hpc=0
for irq in ${unmovable//,/ }; do
    grep -Eq "(^|,)$HPC(,|-|$)|-$HPC" /proc/irq/$irq/smp_affinity_list && listed_on_hpc=$((listed_on_hpc + 1))
done
check "the unmovable IRQs are named, and are on the HPC CPU ('$unmovable')" \
    [ "$listed_on_hpc" -eq "${skipped:-0}" ]
check "dsvd warned about them" \
    sh -c "[ '${skipped:-0}' -eq 0 ] || grep -q 'stay on the HPC CPUs' '$WORK/dsvd.log'"
check "partition state recorded" grep -q '"journal"' "$STATE/partition.json"

out=$("$DSV" node partition --hpc-cpus $HPC --housekeeping-cpus 0 --hpc-mem 16M 2>&1); rc=$?
check "applying the same partition again exits 0" [ $rc -eq 0 ]
check "and changes nothing" grep -q 'nothing changed' <<<"$out"
check "hugepages not reserved twice" [ "$(cat $HUGE)" -eq $((pages_before + 8)) ]
"$DSV" node partition --hpc-cpus $HPC --housekeeping-cpus 0 --hpc-mem 32M >/dev/null 2>&1; rc=$?
check "a different partition is refused with exit 4 (409)" [ $rc -eq 4 ]
out=$("$DSV" node show); rc=$?
check "dsv node show shows the partition" grep -q 'partition:     applied (cgroup v1)' <<<"$out"
api GET /node
check "GET /node reports the HPC memory" [ "$(printf '%s' "$BODY" | grep -o '"memory_mib": 16' | head -1)" = '"memory_mib": 16' ]

out=$("$DSV" node release 2>&1); rc=$?
check "dsv node release exits 0" [ $rc -eq 0 ]
check "every touched value is restored" same_as_before
check "the state file is gone" [ ! -e "$STATE/partition.json" ]
"$DSV" node release >/dev/null 2>&1; rc=$?
check "releasing again is refused with exit 4" [ $rc -eq 4 ]

# a failure in the middle of the sequence (after the cpuset, task and IRQ steps): rolled back
stop_dsvd TERM
DSV_PARTITION_FAIL_AT=irqs start_dsvd || not_ok "dsvd restarts"
out=$("$DSV" node partition --hpc-cpus $HPC --housekeeping-cpus 0 --hpc-mem 16M 2>&1); rc=$?
check "a failed apply exits 1" [ $rc -eq 1 ]
check "the error names the step and the rollback" grep -q "failed at step 'irqs'.*rolled back" <<<"$out"
check "a failed apply leaves nothing changed" same_as_before
check "a failed apply leaves no state" [ ! -e "$STATE/partition.json" ]
stop_dsvd TERM

# the same settings from the config file, applied when dsvd starts
echo "{\"hpc_cpus\": \"$HPC\", \"housekeeping_cpus\": \"0\", \"hpc_mem_mib\": 16}" > "$WORK/node.json"
start_dsvd || not_ok "dsvd starts with a config file"
check "the config file's partition is applied at start" [ -f "$STATE/partition.json" ]
check "HPC cpuset from the config file" [ "$(cat $CS/dsv-hpc/cpuset.cpus 2>/dev/null)" = "$HPC" ]
"$DSV" node release >/dev/null; rc=$?
check "released" [ $rc -eq 0 ]
check "every touched value is restored again" same_as_before
stop_dsvd TERM
finish
