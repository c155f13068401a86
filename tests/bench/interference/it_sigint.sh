#!/usr/bin/env bash
# Ctrl-C in the middle of a run (node partitioned, commodity VMs booting) cleans up:
# every VM deleted, the partition released, dsvd stopped, status 130.
. "$(dirname "$0")/lib.sh"
preflight

host_state_before

# its own process group, as a terminal's foreground job: Ctrl-C goes to the whole group
setsid "$IX" --reps 3 --size small --hogs 1 --scenarios dual-stack,single-stack --wait 60 \
    --out "$WORK/out" >"$WORK/stdout" 2>"$WORK/stderr" &
PID=$!
seen=0
for _ in $(seq 3000); do
    if grep -q 'partitioned the node' "$WORK/stderr"; then seen=1; break; fi
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
done
check "the run reached the partitioned scenario" [ "$seen" -eq 1 ]
# Interrupt once dsvd's commodity VMs exist (booting), however long a loaded host takes
# to get there; the checks below hold wherever the interrupt lands.
ID=$(run_id_of "$WORK/stderr")
doms() { virsh -c qemu:///system list --name 2>/dev/null | grep -c -- "${ID:-none}"; }
for _ in $(seq 1200); do
    [ "$(doms)" -gt 0 ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
done
n=$(doms)
diag "libvirt domains of ${ID:-?} at the interrupt: $n"
kill -INT -- -"$PID" 2>/dev/null
for _ in $(seq 600); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
wait "$PID"
rc=$?
check "the runner exits with status 130 after SIGINT (got $rc)" [ "$rc" -eq 130 ]
check "it says it cleaned up" grep -q 'cleaning up' "$WORK/stderr"
check "it released the partition" grep -q 'release the node partition' "$WORK/stderr"
[ "$rc" -eq 130 ] || sed 's/^/#   /' "$WORK/stderr"
check "no report is written for an interrupted run" [ ! -e "$WORK/out/report.md" ]
check_leftovers "${ID:-none}"
check_host_state_after
finish
