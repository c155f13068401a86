#!/usr/bin/env bash
# Partition survives a guest crash: with a partition applied, an
# HPC VM runs cg (a few seconds, checks its own answer) while a commodity VM's QEMU process is
# killed with SIGKILL. The HPC VM must finish verified with exit status 0, dsvd must still
# answer, the killed VM must not be listed as running, and cleanup must leave no domain,
# cgroup, partition or hugepage behind.
. "$TEST_LIB"
need_root
need_free_node

CG=${CG:-$(dirname "$HVMM")/../bench/workloads/cg}
CG_NX=${CG_NX:-112}   # about 2.5 s natively, 1.4 M rows, about 510 MiB
HPC_MEM=${HPC_MEM:-768M}
[ -x "$HVMM" ] || skip_all "hvmm is not built ($HVMM)"
[ -x "$CG" ] || skip_all "the cg workload is not built ($CG)"
[ -f "${LWK_ELF:-}" ] && [ -x /bin/busybox ] || skip_all "needs lwk.elf and /bin/busybox"
command -v libvirtd >/dev/null || skip_all "libvirtd is not installed"
[ -f /sys/fs/cgroup/cpuset/cpuset.cpus ] || skip_all "needs the cgroup v1 cpuset hierarchy"
need_kvm # the point is an HPC VM that keeps running while QEMU crashes
need_hpc_cpu
CS=/sys/fs/cgroup/cpuset
"$START_SERVICES" >"$WORK/services.log" 2>&1 || { sed 's/^/# /' "$WORK/services.log"; skip_all "libvirtd could not be started"; }
virsh_q() { virsh -c qemu:///system "$@" 2>/dev/null; }

snapshot > "$WORK/before"
start_dsvd || { not_ok "dsvd starts"; finish; exit; }
"$DSV" node partition --hpc-cpus $HPC --housekeeping-cpus 0-$((HPC - 1)) --hpc-mem $HPC_MEM >/dev/null; rc=$?
check "partition applied" [ $rc -eq 0 ] || { finish; exit; }

# the HPC VM: dsv run returns the guest's exit status and prints its console
t0=$(date +%s.%N)
"$DSV" run --stack hpc --name $PREFIX-hpc --mem $HPC_MEM -- "$CG" --nx $CG_NX >"$WORK/hpc.out" 2>&1 &
RUN_PID=$!
hpc_running() { api GET /vms/$PREFIX-hpc; [ "$(field state)" = running ]; }
check "the HPC VM (cg --nx $CG_NX) runs" wait_for 10 hpc_running
hpc_pid=$(field pid)

# the commodity VM: the lwk (which logs to the debugcon, so dsvd can tell its exit from a
# kill) running a long sleep
out=$("$DSV" vm create $PREFIX-c --stack commodity --mem 64M --kernel "$LWK_ELF" \
      -- /bin/busybox sleep 600 2>&1); rc=$?
check "the commodity VM starts" [ $rc -eq 0 ] || diag "$out"
lwk_up() { grep -q . "$STATE/vms/$PREFIX-c.console.debug" 2>/dev/null; }
check "the commodity guest is up (its lwk has logged)" wait_for 10 lwk_up
qpid=$(cat /run/libvirt/qemu/dsv-$PREFIX-c.pid 2>/dev/null || pgrep -f "guest=dsv-$PREFIX-c," | head -1)
check "its QEMU process is found (pid ${qpid:-none})" kill -0 "${qpid:-0}"

# the crash, while the HPC VM runs
check "the HPC VM is still running when QEMU is killed" hpc_running
kill -KILL "$qpid" 2>/dev/null
t_kill=$(date +%s.%N)
qemu_gone() { ! kill -0 "$qpid" 2>/dev/null; }
check "QEMU is gone after SIGKILL" wait_for 5 qemu_gone
check "the HPC VM keeps running after the crash" hpc_running
check "hvmm is the same process" [ "$(field pid)" = "$hpc_pid" ]
only_hvmm_in_hpc() { # the HPC cpuset holds a vCPU thread of hvmm and nothing else
    local tid tgid n=0
    for tid in $(cat $CS/dsv-hpc/tasks); do
        tgid=$(awk '/^Tgid:/ {print $2}' /proc/$tid/status 2>/dev/null) || continue # it ended
        [ -z "$tgid" ] || [ "$tgid" = "$hpc_pid" ] || return 1
        n=$((n + 1))
    done
    [ $n -ge 1 ]
}
# wait_for: right after launch the vCPU thread may not exist yet (768 MiB to populate first)
check "the HPC cpuset holds only the HPC VM's threads" wait_for 5 only_hvmm_in_hpc

wait "$RUN_PID"; rc=$?
t1=$(date +%s.%N)
check "the HPC VM exits with status 0" [ $rc -eq 0 ]
check "and cg verified its answer" grep -q "cg: .*: verified" "$WORK/hpc.out"
check "the HPC VM ran past the crash" [ "$(echo "$t1 > $t_kill" | bc)" = 1 ]
diag "cg --nx $CG_NX in the HPC VM: $(echo "$t1 - $t0" | bc) s from dsv run to its exit, QEMU killed at $(echo "$t_kill - $t0" | bc) s"
grep -q verified "$WORK/hpc.out" || diag "$(tail -20 "$WORK/hpc.out")"

api GET /node
check "dsvd still answers (GET /node $STATUS)" [ "$STATUS" = 200 ]
check "dsvd is the same process" kill -0 "$DSVD_PID"
api GET /vms/$PREFIX-c
state=$(field state); reason=$(field exit_reason)
check "the killed VM is reported failed, not exited (state $state)" [ "$STATUS" = 200 ] && [ "$state" = failed ]
check "and has a reason (${reason:-none})" grep -q "ended before the guest exited" <<<"$reason"
out=$("$DSV" vm list)
not_listed_running() { ! grep -q "^$PREFIX-c *commodity *running" <<<"$out"; }
check "dsv vm list does not show it as running" not_listed_running
check "libvirt has no domain of it" bash -c "! virsh -c qemu:///system list --all --name | grep -q '^dsv-$PREFIX-c\$'"
api GET /metrics
no_running_commodity() { ! grep -q '^dsv_vms{stack="commodity",state="running"} [1-9]' <<<"$BODY"; }
check "metrics count no running commodity VM" no_running_commodity

# cleanup through the API leaves nothing behind
api DELETE /vms/$PREFIX-c
check "the killed VM's record is deleted (DELETE $STATUS)" [ "$STATUS" = 200 ]
check "dsv run deleted the HPC VM" [ "$(curl -s --unix-socket "$SOCK" http://localhost/vms | tr -d ' \n')" = "[]" ]
"$DSV" node release >/dev/null; rc=$?
check "partition released" [ $rc -eq 0 ]
check "no partition state left" [ ! -e "$STATE/partition.json" ]
check "no dsv cgroups left" [ -z "$(ls -d $CS/dsv-* 2>/dev/null)" ]
check "no dsv test domains left" bash -c "! virsh -c qemu:///system list --all --name | grep -q '^dsv-$PREFIX'"
check "cpusets, IRQs, workqueues and hugepages are as before" same_as_before
stop_dsvd TERM
finish
