#!/usr/bin/env bash
# An HPC VM's exit status survives a SIGKILL of dsvd, with the real hvmm and guest: the lwk
# runs busybox, which sleeps and exits 9; dsvd is killed while it runs and restarted after it
# ended; GET /v1/vms/{name} and dsv vm wait report 9, from hvmm's --status-file. Skips, with
# the reason, where hvmm cannot run a guest (no /dev/kvm).
. "$TEST_LIB"
. "$(dirname "$0")/../lib/kvm.sh"
need_root
need_kvm
need_free_node
[ -x "$HVMM" ] || skip_all "hvmm is not built"
[ -f "${LWK_ELF:-}" ] || skip_all "the lwk is not built"
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || skip_all "needs a static /bin/busybox"
[ -f /sys/fs/cgroup/cpuset/cpuset.cpus ] || skip_all "needs the cgroup v1 cpuset hierarchy"
need_hpc_cpu

start_dsvd || { not_ok "dsvd starts"; finish; exit; }
"$DSV" node partition --hpc-cpus $HPC --housekeeping-cpus 0 --hpc-mem 256M >/dev/null
check "partition applied" [ $? -eq 0 ]
"$DSV" vm create $PREFIX-s --stack hpc --mem 128M -- /bin/busybox sh -c 'sleep 4; exit 9' >/dev/null
check "HPC VM created" [ $? -eq 0 ]
api GET /v1/vms/$PREFIX-s
pid=$(field pid)
"$DSV" vm wait $PREFIX-s 2>"$WORK/wait.err" &
WAITER=$!
stop_dsvd KILL
gone() { ! kill -0 "$pid" 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status; }
wait_for 60 gone
check "the VM ends while dsvd is down" [ $? -eq 0 ]
check "hvmm left its status in the state directory" [ "$(cat "$STATE/vms/$PREFIX-s.status")" = 9 ]
start_dsvd || not_ok "dsvd restarts"
api GET /v1/vms/$PREFIX-s
check "after the restart: exited with exit_code 9" [ "$(field state)/$(field exit_code)" = exited/9 ] ||
    { diag "$BODY"; show "$STATE/vms/$PREFIX-s.console"; }
wait $WAITER
check "dsv vm wait, started before the SIGKILL, exits 9" [ $? -eq 9 ] || show "$WORK/wait.err"
"$DSV" vm delete $PREFIX-s >/dev/null
check "the status file goes with the VM" [ ! -e "$STATE/vms/$PREFIX-s.status" ]
"$DSV" node release >/dev/null
check "partition released" [ $? -eq 0 ]
stop_dsvd TERM && ok "dsvd stops cleanly"
finish
