#!/usr/bin/env bash
# Live repartition end to end over dsvd's socket (PATCH /v1/node/partition, dsv node
# repartition) while an HPC VM runs: a change that would take the VM's CPU or the memory it
# holds, or resize the hugetlbfs it maps, is refused with 409 naming them; the dry run changes nothing; a change that leaves it
# alone is applied, admission uses the new sizes, the event is sent, a restarted dsvd keeps
# the new split, and release restores the tree as it was before the first apply. Runs on a
# fake host tree with hvmm_standin (ops_lib.sh): no /dev/kvm needed.
. "$TEST_LIB"
. "$(dirname "$0")/ops_lib.sh"
need_fake_host
CS=$ROOT/sys/fs/cgroup/cpuset
HUGE1=$ROOT/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages
# every file of the tree with its content on one line (a restored value has no newline)
tree() {
    (cd "$ROOT" && find . -type f | sort | while read -r f; do
        printf '%s=%s\n' "$f" "$(cat "$f")" | tr '\n' ' '; echo
    done)
}
# the values alone: not the task lists (the VM's threads come and go, and a fake tasks file
# is no kernel list) nor the node lock
values() { tree | grep -v -e '/tasks=' -e '/partition.lock='; }
node_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)" <<<"$BODY"; }
values > "$WORK/tree-before"

start_fake_dsvd || { not_ok "dsvd starts"; finish; exit; }
curl -sN --unix-socket "$SOCK" http://localhost/v1/events > "$WORK/stream" 2>/dev/null &
STREAM=$!
wait_for 60 grep -q '^: events from seq 1$' "$WORK/stream"
check "the event stream is open" [ $? -eq 0 ]

"$DSV" node repartition --hpc-cpus 3 >/dev/null 2>"$WORK/err"
check "before any partition: exit 4" [ $? -eq 4 ]
check "... saying to apply one first" grep -q 'not partitioned' "$WORK/err"
apply_fake_partition
check "partition applied (HPC 2-3)" [ $? -eq 0 ]
"$DSV" vm create $PREFIX-a --stack hpc --mem 4M -- /bin/sleep 300 >/dev/null
check "HPC VM a created" [ $? -eq 0 ]
api GET /v1/vms/$PREFIX-a
a_cpus=$(field cpus)
check "it holds one HPC CPU ($a_cpus)" [ "$a_cpus" = 2 ] || [ "$a_cpus" = 3 ]
other=$((5 - a_cpus)) # the HPC CPU it does not hold

values > "$WORK/tree-applied"
"$DSV" node repartition --hpc-cpus $other 2>"$WORK/err" >/dev/null
check "taking the VM's CPU is refused with exit 4" [ $? -eq 4 ]
check "... naming the CPU and the VM" \
    grep -q "CPU(s) $a_cpus would leave the HPC partition, but running HPC VMs are pinned to them: '$PREFIX-a'" "$WORK/err" ||
    show "$WORK/err"
expect 409 hpc_mem_mib "HPC memory below what the VM holds: 409" \
    PATCH /v1/node/partition '{"hpc_mem_mib": 2}'
check "... naming the VM" grep -q "'$PREFIX-a'" <<<"$BODY"
expect 400 body "PATCH without a body: 400" PATCH /v1/node/partition
expect 400 overcommit_ratio "the overcommit ratio is not a live change: 400" \
    PATCH /v1/node/partition '{"overcommit_ratio": 2}'
check "the refusals changed nothing" diff -q "$WORK/tree-applied" <(values)

out=$("$DSV" node repartition --hpc-cpus $a_cpus --dry-run 2>&1)
check "dry run exits 0" [ $? -eq 0 ]
check "it shows the HPC cpuset shrinking" \
    grep -Eq "set cpuset dsv-hpc +2-3 -> $a_cpus" <<<"$out" || diag "$out"
check "and the commodity cpuset growing" \
    grep -Eq "set cpuset dsv-commodity +0-1 -> " <<<"$out" || diag "$out"
check "the dry run changed nothing" diff -q "$WORK/tree-applied" <(values)

out=$("$DSV" node repartition --hpc-cpus $a_cpus 2>&1)
check "giving back the CPU the VM does not use: exit 0" [ $? -eq 0 ] || diag "$out"
check "it says so" grep -q '^partition changed' <<<"$out"
check "HPC cpuset is the VM's CPU alone" [ "$(cat $CS/dsv-hpc/cpuset.cpus)" = "$a_cpus" ]
check "the CPU given back is commodity" grep -q "$other" $CS/dsv-commodity/cpuset.cpus
check "... and libvirt's machine cpuset has it" grep -q "$other" $CS/machine/cpuset.cpus
api GET /v1/vms/$PREFIX-a
check "the HPC VM still runs" [ "$(field state)" = running ]
api GET /v1/node
check "GET /node: the HPC pool is the new one" [ "$(node_field '["hpc"]["cpus"]')" = "$a_cpus" ] ||
    diag "$BODY"
"$DSV" vm create $PREFIX-b --stack hpc --mem 4M -- /bin/sleep 300 >/dev/null 2>"$WORK/err"
check "admission: no HPC CPU is left for a second VM (exit 4)" [ $? -eq 4 ] || show "$WORK/err"

out=$("$DSV" node repartition --hpc-cpus $a_cpus 2>&1)
check "the same split again: nothing changed" grep -q 'nothing changed' <<<"$out"
expect 409 hpc_mem_mib "resizing the hugetlbfs the VM maps: 409" \
    PATCH /v1/node/partition '{"hpc_mem_mib": 16}'
check "... naming the VM" grep -q "'$PREFIX-a'" <<<"$BODY"

wait_for 60 grep -q '^event: partition.changed' "$WORK/stream"
check "the stream tells the change" [ $? -eq 0 ] || show "$WORK/stream"
check "partition.changed says from and to" \
    grep -q "\"from\":{\"hpc_cpus\":\"2-3\".*\"spec\":{\"hpc_cpus\":\"$a_cpus\"" "$WORK/stream" ||
    show "$WORK/stream"
kill $STREAM 2>/dev/null
wait $STREAM 2>/dev/null
stop_dsvd TERM
start_fake_dsvd || not_ok "dsvd restarts"
curl -sN --unix-socket "$SOCK" http://localhost/v1/events > "$WORK/stream2" 2>/dev/null &
STREAM=$!
wait_for 60 grep -q '^: events from seq 1$' "$WORK/stream2"
check "a new event stream is open" [ $? -eq 0 ]
api GET /v1/node/partition
check "a restarted dsvd has the new split" [ "$(field hpc_cpus)" = "$a_cpus" ] || diag "$BODY"

"$DSV" vm delete $PREFIX-a >/dev/null
pages=$(cat "$HUGE1")
"$DSV" node repartition --hpc-mem 16M >/dev/null 2>"$WORK/err"
check "with no HPC VM left, growing the HPC memory: exit 0" [ $? -eq 0 ] || show "$WORK/err"
check "node 1 holds 4 more hugepages" [ "$(cat "$HUGE1")" -eq $((pages + 4)) ]
check "the hugetlbfs is mounted again with 16 MiB" grep -q 'size=16M,min_size=16M' "$ROOT/proc/mounts"
"$DSV" node repartition --hpc-cpus 2-3 --hpc-mem 8M >/dev/null
check "with the VM gone, the first split again: exit 0" [ $? -eq 0 ]
check "... and the tree is as the first apply left it" diff "$WORK/tree-applied" <(values) || diff "$WORK/tree-applied" <(values) | sed "s/^/# /"
"$DSV" node release >/dev/null
check "partition released" [ $? -eq 0 ]
check "the values are as before the first apply" diff "$WORK/tree-before" <(values) || diff "$WORK/tree-before" <(values) | sed "s/^/# /"
wait_for 60 grep -q '^event: partition.released' "$WORK/stream2"
kill $STREAM 2>/dev/null
wait $STREAM 2>/dev/null
got="$(ev_types "$WORK/stream") / $(ev_types "$WORK/stream2")"
check "events in order, before and after the restart ($got)" \
    [ "$got" = "partition.applied vm.created vm.running partition.changed / vm.deleted partition.changed partition.changed partition.released" ]
stop_dsvd TERM && ok "dsvd stops cleanly"
finish
