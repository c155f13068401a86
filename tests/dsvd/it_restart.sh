#!/usr/bin/env bash
# The agent end to end: partition the node, start an HPC VM running a static
# program and two commodity VMs, see them in dsv vm list and dsv node show, kill dsvd with
# SIGKILL and restart it without losing or duplicating any VM (hvmm re-adopted by pid + start
# time, libvirt domains by name), delete them, release the node to exactly its prior state.
# Uses the lwk with /bin/busybox when both exist, else the test payloads.
. "$TEST_LIB"
need_root
need_free_node

need_kvm # the HPC VM must survive the restart too
[ -x "$HVMM" ] || skip_all "hvmm is not built"
[ -f /sys/fs/cgroup/cpuset/cpuset.cpus ] || skip_all "needs the cgroup v1 cpuset hierarchy"
need_hpc_cpu
with_libvirt=1
"$START_SERVICES" >"$WORK/services.log" 2>&1 || with_libvirt=0
if [ -f "${LWK_ELF:-}" ] && [ -x /bin/busybox ]; then
    diag "guests: the lwk running /bin/busybox sleep"
    HPC_GUEST=(-- /bin/busybox sleep 300)
    COM_GUEST=(--kernel "$LWK_ELF" -- /bin/busybox sleep 300)
    MEM=128M
else
    [ -f "$PAYLOAD_DIR/spin.elf" ] || skip_all "neither the lwk nor the spin payload is built"
    diag "guests: spin.elf (hvmm) and pvh_halt.elf (libvirt)"
    HPC_GUEST=(--kernel "$PAYLOAD_DIR/spin.elf")
    COM_GUEST=(--kernel "$PVH_GUEST")
    MEM=32M
fi

snapshot > "$WORK/before"
start_dsvd || { not_ok "dsvd starts"; finish; exit; }
"$DSV" node partition --hpc-cpus $HPC --housekeeping-cpus 0 --hpc-mem 256M >/dev/null
check "partition applied" [ $? -eq 0 ]
out=$("$DSV" vm create $PREFIX-h --stack hpc --mem 128M "${HPC_GUEST[@]}" 2>&1)
check "HPC VM created" grep -q "^state *running" <<<"$out"
api GET /vms/$PREFIX-h
pid=$(field pid)
ncom=0
if [ $with_libvirt = 1 ]; then
    for c in c1 c2; do
        "$DSV" vm create $PREFIX-$c --stack commodity --mem $MEM "${COM_GUEST[@]}" >/dev/null
        check "commodity VM $c created" [ $? -eq 0 ]
    done
    ncom=2
else
    skip "libvirtd not available: commodity VMs"
fi
nvms=$((1 + ncom))
out=$("$DSV" vm list)
check "dsv vm list shows $nvms running VMs" [ "$(grep -c "^$PREFIX-.* running" <<<"$out")" = $nvms ] ||
    { diag "$out"; api GET /vms; diag "$BODY"; api GET /vms/$PREFIX-h/console; diag "$BODY"; }
out=$("$DSV" node show)
check "dsv node show counts them" grep -q "1 VM(s)" <<<"$out"

stop_dsvd KILL
check "the HPC VM survives the agent's SIGKILL" kill -0 "$pid"
start_dsvd || not_ok "dsvd restarts"
check "dsvd re-adopted the VMs" grep -q "$nvms VM(s) re-adopted" "$WORK/dsvd.log"
out=$("$DSV" vm list)
check "the HPC VM is listed once, running, same pid" [ "$(grep -c "^$PREFIX-h *hpc *running .* $pid\$" <<<"$out")" = 1 ]
if [ $ncom = 2 ]; then
    check "the commodity VMs are listed once each, running" [ "$(grep -c "^$PREFIX-c[12] *commodity *running" <<<"$out")" = 2 ]
fi
check "no VM is duplicated" [ "$(grep -c "^$PREFIX-" <<<"$out")" = $nvms ]
check "the partition is still known" grep -q 'partition:     applied' <<<"$("$DSV" node show)"
expect 409 vcpus "the adopted VM still holds its HPC CPU" POST /vms \
    "{\"name\":\"$PREFIX-x\",\"stack\":\"hpc\",\"mem_mib\":4,\"kernel\":\"$PVH_GUEST\"}"

"$DSV" vm delete $PREFIX-h >/dev/null
check "the adopted HPC VM can be deleted" [ $? -eq 0 ]
gone() { ! kill -0 "$pid" 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status; }
check "its hvmm is gone" wait_for 3 gone
if [ $ncom = 2 ]; then
    for c in c1 c2; do
        "$DSV" vm delete $PREFIX-$c >/dev/null
        check "the adopted commodity VM $c can be deleted" [ $? -eq 0 ]
    done
    check "their domains are gone" bash -c "! virsh -c qemu:///system list --name | grep -q '^dsv-$PREFIX-'"
fi
"$DSV" node release >/dev/null
check "the partition is released after the restart" [ $? -eq 0 ]
check "no dsv cgroups left" [ -z "$(ls -d /sys/fs/cgroup/cpuset/dsv-* 2>/dev/null)" ]
check "the node is back to exactly its prior state" same_as_before
stop_dsvd TERM
finish
