#!/usr/bin/env bash
# Two dsvd instances on one node (different state directories and sockets): the node lock
# (/run/dsv/partition.lock) lets only one partition the node. The second is refused with 409
# naming the first (pid, state dir) and keeps running; the first keeps its partition; after
# the first releases, the second may apply. A dsvd killed with its partition applied frees the
# lock (its hvmm does not hold it), the other is told whose partition is still applied, and
# the restarted first retakes the lock and releases.
. "$TEST_LIB"
need_root
need_free_node

[ -f /sys/fs/cgroup/cpuset/cpuset.cpus ] || skip_all "needs the cgroup v1 cpuset hierarchy"
need_hpc_cpu
CS=/sys/fs/cgroup/cpuset
LOCK=/run/dsv/partition.lock
NR_HUGEPAGES_BEFORE=$(cat /proc/sys/vm/nr_hugepages)
PART="{\"hpc_cpus\": \"$HPC\", \"housekeeping_cpus\": \"0\", \"hpc_mem_mib\": 8}"

# the second agent: its own socket and state directory
SOCK_B=$WORK/b.sock
STATE_B=$WORK/b-state
B_PID=
start_b() {
    "$DSVD" --socket "$SOCK_B" --state-dir "$STATE_B" --config "$WORK/none.json" \
        --hvmm "$HVMM" --default-kernel "$PVH_GUEST" >>"$WORK/b.log" 2>&1 &
    B_PID=$!
    wait_for 60 curl -sf --unix-socket "$SOCK_B" -o /dev/null http://localhost/node
}
api_b() { # METHOD PATH [BODY]: STATUS and BODY, as api
    local args=(-s -o "$WORK/body" -w '%{http_code}' --unix-socket "$SOCK_B" -X "$1")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    STATUS=$(curl "${args[@]}" "http://localhost$2")
    BODY=$(cat "$WORK/body")
}
b_cleanup() {
    if [ -n "$B_PID" ]; then
        [ -f "$STATE_B/partition.json" ] && api_b DELETE /node/partition
        kill "$B_PID" 2>/dev/null; wait "$B_PID" 2>/dev/null
    fi
    if tap_any_failed; then
        diag "second dsvd's log:"; sed 's/^/#   /' "$WORK/b.log" 2>/dev/null
    fi
}
trap 'b_cleanup; cleanup' EXIT

snapshot > "$WORK/before"
start_dsvd || { not_ok "the first dsvd starts"; finish; exit; }
start_b; check "a second dsvd starts on its own socket and state directory" [ $? -eq 0 ]

expect 200 "" "the first applies a partition" PUT /node/partition "$PART"
api_b PUT /node/partition "$PART"
check "the second's apply is refused with 409" [ "$STATUS" = 409 ] || diag "$STATUS $BODY"
msg=$(field error)
check "naming the first's pid and state directory" \
    grep -q "pid $DSVD_PID, state dir $STATE;" <<<"$msg" || diag "$msg"
check "the second keeps running and answering" \
    bash -c "kill -0 $B_PID && curl -sf --unix-socket '$SOCK_B' -o /dev/null http://localhost/node"
check "the second has no partition and no state file" [ ! -e "$STATE_B/partition.json" ]
check "the first keeps its partition (HPC cpuset, state file)" \
    bash -c "[ \"\$(cat $CS/dsv-hpc/cpuset.cpus)\" = $HPC ] && [ -f '$STATE/partition.json' ]"
api GET /node/partition
check "and reports it applied" [ "$(field active)" = true ]
check "the lock file names the first" grep -q "^pid=$DSVD_PID state_dir=$STATE\$" $LOCK

expect 200 "" "the first releases" DELETE /node/partition
check "the lock file is cleared" [ ! -s $LOCK ]
api_b PUT /node/partition "$PART"
check "now the second may apply (200)" [ "$STATUS" = 200 ] || diag "$STATUS $BODY"
expect 409 "" "and the first is refused in turn" PUT /node/partition "$PART"
api_b DELETE /node/partition
check "the second releases (200)" [ "$STATUS" = 200 ]
check "every value is as before" same_as_before

# a holder killed with SIGKILL: flock goes with it, even though its hvmm keeps running
expect 200 "" "the first applies again" PUT /node/partition "$PART"
vm=
if [ -x "$HVMM" ] && [ -f "$PAYLOAD_DIR/spin.elf" ]; then
    api POST /vms "{\"name\":\"$PREFIX-h\",\"stack\":\"hpc\",\"mem_mib\":4,\"kernel\":\"$PAYLOAD_DIR/spin.elf\"}"
    [ "$STATUS" = 201 ] && vm=$(field pid)
fi
old_pid=$DSVD_PID
stop_dsvd KILL
check "after SIGKILL nobody holds the lock${vm:+ (its hvmm $vm still runs)}" \
    bash -c "${vm:+kill -0 $vm && }flock -n $LOCK true"
api_b PUT /node/partition "$PART"
check "the second is refused: the dead agent's partition is still applied (409)" \
    bash -c "[ '$STATUS' = 409 ] && grep -q 'no longer running (pid $old_pid, state dir $STATE)' <<<'$BODY'" ||
    diag "$BODY"
check "and it rolled nothing of it back" [ "$(cat $CS/dsv-hpc/cpuset.cpus 2>/dev/null)" = "$HPC" ]
start_dsvd || not_ok "the first restarts"
check "the restarted first retakes the lock" grep -q "^pid=$DSVD_PID state_dir=$STATE\$" $LOCK
api_b PUT /node/partition "$PART"
check "the second is refused, naming the new pid" \
    bash -c "[ '$STATUS' = 409 ] && grep -q 'pid $DSVD_PID, state dir $STATE;' <<<'$BODY'"
[ -n "$vm" ] && api DELETE /vms/$PREFIX-h
expect 200 "" "the restarted first releases" DELETE /node/partition
check "every value is as before, the lock is free" \
    bash -c "flock -n $LOCK true && [ ! -s $LOCK ]" && same_as_before
stop_dsvd TERM
kill "$B_PID"; wait "$B_PID"; rc=$?; B_PID=
check "the second stops cleanly" [ $rc -eq 0 ]
finish
