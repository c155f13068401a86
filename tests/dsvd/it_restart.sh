#!/usr/bin/env bash
# dsvd killed with SIGKILL and restarted: every VM is re-adopted (hvmm by pid + start time,
# libvirt domains by name), listed once, and still controllable; then the node is released.
. "$TEST_LIB"
need_root

[ -x "$HVMM" ] || skip_all "hvmm is not built"
SPIN=$PAYLOAD_DIR/spin.elf
[ -f "$SPIN" ] || skip_all "test payload spin.elf is not built"
[ -f /sys/fs/cgroup/cpuset/cpuset.cpus ] || skip_all "needs the cgroup v1 cpuset hierarchy"
ncpu=$(getconf _NPROCESSORS_ONLN)
[ "$ncpu" -ge 2 ] || skip_all "needs 2 CPUs"
HPC=$((ncpu - 1))
with_libvirt=1
"$START_SERVICES" >"$WORK/services.log" 2>&1 || with_libvirt=0

start_dsvd || { not_ok "dsvd starts"; finish; exit; }
"$DSV" node partition --hpc-cpus $HPC --housekeeping-cpus 0 --hpc-mem 8M >/dev/null
check "partition applied" [ $? -eq 0 ]
"$DSV" vm create $PREFIX-h --stack hpc --mem 4M --kernel "$SPIN" >/dev/null
check "HPC VM created" [ $? -eq 0 ]
api GET /vms/$PREFIX-h
pid=$(field pid)
if [ $with_libvirt = 1 ]; then
    "$DSV" vm create $PREFIX-c --stack commodity --mem 32M --kernel "$PVH_GUEST" >/dev/null
    check "commodity VM created" [ $? -eq 0 ]
else
    skip "libvirtd not available: commodity VM"
fi

stop_dsvd KILL
check "the HPC VM survives the agent's SIGKILL" kill -0 "$pid"
start_dsvd || not_ok "dsvd restarts"
check "dsvd re-adopted the VMs" grep -q "$((1 + with_libvirt)) VM(s) re-adopted" "$WORK/dsvd.log"
out=$("$DSV" vm list)
check "the HPC VM is listed once, running" [ "$(grep -c "^$PREFIX-h *hpc *running *1 *4 *$HPC *$pid\$" <<<"$out")" = 1 ]
if [ $with_libvirt = 1 ]; then
    check "the commodity VM is listed once, running" [ "$(grep -c "^$PREFIX-c *commodity *running" <<<"$out")" = 1 ]
fi
check "no VM is duplicated" [ "$(grep -c "^$PREFIX-" <<<"$out")" = $((1 + with_libvirt)) ]
check "the partition is still known" grep -q 'partition:     applied' <<<"$("$DSV" node show)"
expect 409 vcpus "the adopted VM still holds its HPC CPU" POST /vms \
    "{\"name\":\"$PREFIX-x\",\"stack\":\"hpc\",\"mem_mib\":2,\"kernel\":\"$SPIN\"}"

"$DSV" vm delete $PREFIX-h >/dev/null
check "the adopted HPC VM can be deleted" [ $? -eq 0 ]
gone() { ! kill -0 "$pid" 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status; }
check "its hvmm is gone" wait_for 3 gone
if [ $with_libvirt = 1 ]; then
    "$DSV" vm delete $PREFIX-c >/dev/null
    check "the adopted commodity VM can be deleted" [ $? -eq 0 ]
    check "its domain is gone" bash -c "! virsh -c qemu:///system list --name | grep -q '^dsv-$PREFIX-c\$'"
fi
"$DSV" node release >/dev/null
check "the partition is released after the restart" [ $? -eq 0 ]
check "no dsv cgroups left" [ -z "$(ls -d /sys/fs/cgroup/cpuset/dsv-* 2>/dev/null)" ]
stop_dsvd TERM
finish
