#!/usr/bin/env bash
# Commodity VM lifecycle through a real libvirtd (qemu:///system): pinned within the commodity
# CPUs, host-passthrough without arch-capabilities, console, overcommit accepted up to the
# ratio (4 vCPUs per CPU) and refused beyond it, delete.
. "$TEST_LIB"
need_root
need_free_node

[ -f "$PVH_GUEST" ] || skip_all "the PVH test guest is not built"
command -v libvirtd >/dev/null || skip_all "libvirtd is not installed"
[ -f /sys/fs/cgroup/cpuset/cpuset.cpus ] || skip_all "needs the cgroup v1 cpuset hierarchy"
need_hpc_cpu
"$START_SERVICES" >"$WORK/services.log" 2>&1 || { cat "$WORK/services.log" | sed 's/^/# /'; skip_all "libvirtd could not be started"; }
ok "virtlogd and libvirtd are running"

start_dsvd || { not_ok "dsvd starts"; finish; exit; }
# commodity = housekeeping = CPUs 0..HPC-1: capacity 4 vCPUs per CPU
"$DSV" node partition --hpc-cpus $HPC --housekeeping-cpus 0-$((HPC - 1)) --hpc-mem 2M >/dev/null; rc=$?
check "partition applied" [ $rc -eq 0 ]
cap=$((4 * HPC))
half=$((cap / 2))

out=$("$DSV" vm create $PREFIX-a --stack commodity --vcpus $half --mem 32M --cmdline "console=ttyS0" 2>&1); rc=$?
check "commodity VM a ($half vCPUs, default guest) starts" [ $rc -eq 0 ]
[ $rc -eq 0 ] || diag "$out"
out=$("$DSV" vm create $PREFIX-b --stack commodity --vcpus $half --mem 32M --kernel "$PVH_GUEST" 2>&1); rc=$?
check "commodity VM b ($half vCPUs) starts: $cap vCPUs on $HPC CPU(s) is the ratio 4" [ $rc -eq 0 ]
[ $rc -eq 0 ] || diag "$out"
expect 400 "program[2]" "an argument with a space cannot go on a kernel command line" POST /vms \
    "{\"name\":\"$PREFIX-q\",\"stack\":\"commodity\",\"mem_mib\":32,\"program\":[\"/bin/sh\",\"-c\",\"echo hi\"]}"
expect 409 vcpus "one vCPU beyond the overcommit ratio is refused" POST /vms \
    "{\"name\":\"$PREFIX-c\",\"stack\":\"commodity\",\"mem_mib\":32,\"kernel\":\"$PVH_GUEST\"}"

virsh_q() { virsh -c qemu:///system "$@" 2>/dev/null; }
check "libvirt runs domain dsv-$PREFIX-a" grep -q "^dsv-$PREFIX-a\$" <(virsh_q list --name)
check "libvirt runs domain dsv-$PREFIX-b" grep -q "^dsv-$PREFIX-b\$" <(virsh_q list --name)
xml=$(virsh_q dumpxml dsv-$PREFIX-a)
if kvm_usable; then
    check "KVM domain" grep -q "<domain type='kvm'" <<<"$xml"
    check "host-passthrough CPU" grep -q "mode='host-passthrough'" <<<"$xml"
    check "arch-capabilities disabled" grep -q "<feature policy='disable' name='arch-capabilities'/>" <<<"$xml"
else # the same VM on QEMU's TCG: no /dev/kvm to pass a host CPU through
    check "TCG domain without KVM ($(kvm_why))" grep -q "<domain type='qemu'" <<<"$xml"
    check "TCG's maximum CPU model" grep -q "mode='maximum'" <<<"$xml"
    skip "arch-capabilities disabled" "only on KVM"
fi
check "direct kernel boot of the guest" grep -q "<kernel>$PVH_GUEST</kernel>" <<<"$xml"
check "machine microvm (no firmware)" grep -q "machine='microvm'" <<<"$xml"
qpid=$(cat /run/libvirt/qemu/dsv-$PREFIX-a.pid 2>/dev/null)
no_kvm_pit() { [ -n "$qpid" ] && ! ps -eo comm | grep -q "^kvm-pit/$qpid\$"; }
check "no kvm-pit kernel thread for its QEMU (pid ${qpid:-none}), which could run on the HPC CPUs" no_kvm_pit
pins_ok() {
    local cpus
    cpus=$(grep -o "<vcpupin vcpu='[0-9]*' cpuset='[^']*'" <<<"$xml" | sed "s/.*cpuset='//; s/'//")
    [ -n "$cpus" ] || return 1
    local c
    for c in $cpus; do [ "$c" -lt "$HPC" ] || return 1; done
}
check "every vCPU is pinned within the commodity CPUs" pins_ok
check "the emulator is pinned within the commodity CPUs" grep -q "<emulatorpin cpuset='0$( [ $HPC -gt 1 ] && echo "-$((HPC-1))")'/>" <<<"$xml"
console_up() { api GET /vms/$PREFIX-a/console; grep -q "dsv-pvh-guest: up" <<<"$BODY"; }
# wait_for: without KVM the guest boots on TCG, beside whatever else the host runs
check "the guest's serial console reaches GET /vms/{name}/console" wait_for 180 console_up

out=$("$DSV" vm list)
check "dsv vm list shows both" [ "$(grep -c "^$PREFIX-[ab] *commodity *running" <<<"$out")" = 2 ]
out=$("$DSV" node show)
check "dsv node show counts the vCPUs" grep -q "vCPUs $cap/$cap (ratio 4)" <<<"$out"
api GET /metrics
check "metrics report commodity CPU time" grep -q "^dsv_vm_cpu_seconds_total{name=\"$PREFIX-a\",stack=\"commodity\"}" <<<"$BODY"

"$DSV" vm delete $PREFIX-a >/dev/null; rc=$?
check "dsv vm delete exits 0" [ $rc -eq 0 ]
check "the domain is gone" bash -c "! virsh -c qemu:///system list --name | grep -q '^dsv-$PREFIX-a\$'"
api POST /vms "{\"name\":\"$PREFIX-c\",\"stack\":\"commodity\",\"mem_mib\":32,\"kernel\":\"$PVH_GUEST\"}"
check "its vCPUs are free again" [ "$STATUS" = 201 ]
api DELETE /vms/$PREFIX-c
api DELETE /vms/$PREFIX-b
check "second delete ok" [ "$STATUS" = 200 ]
check "no dsv test domains left" bash -c "! virsh -c qemu:///system list --name | grep -q '^dsv-$PREFIX'"
# the default guest: the lwk through PVH, running a static program passed as the initrd
if [ -f "${LWK_ELF:-}" ] && [ -x /bin/busybox ]; then
    out=$(timeout 300 "$DSV" run --stack commodity --name $PREFIX-lwk --mem 128M --kernel "$LWK_ELF" \
          -- /bin/busybox echo hello from the lwk 2>&1); rc=$?
    check "dsv run --stack commodity boots the lwk and runs busybox" grep -q "hello from the lwk" <<<"$out" ||
        diag "dsv run (status $rc): $out"
    check "the domain ends when the program exits (dsv run returns, exit 0)" [ $rc -eq 0 ]
    # libvirt loses QEMU's exit code: dsvd reads the guest's status from its debugcon log
    timeout 300 "$DSV" run --stack commodity --name $PREFIX-lwk3 --mem 128M --kernel "$LWK_ELF" \
        -- /bin/busybox sh -c 'exit${IFS}3' >/dev/null 2>&1; rc=$?
    check "dsv run --stack commodity returns the guest's exit status (3: $rc)" [ $rc -eq 3 ]
    out=$(timeout 120 "$DSV" run --stack commodity --name $PREFIX-lwk4 --kernel "$LWK_ELF" \
          -- /bin/busybox sh -c 'exit 3' 2>&1); rc=$?
    check "an argument with a space is refused for stack commodity ($rc)" \
        grep -q 'program\[3\].*whitespace' <<<"$out"
    # a CPU cap reaches libvirt's CFS bandwidth control
    out=$("$DSV" vm create $PREFIX-q --stack commodity --mem 64M --kernel "$LWK_ELF" \
          --cpu-quota 25 -- /bin/busybox sleep 600 2>&1); rc=$? # outlives the check below
    quota=$(virsh -c qemu:///system schedinfo dsv-$PREFIX-q 2>/dev/null | sed -n 's/^vcpu_quota *: *//p')
    check "--cpu-quota 25 gives the domain a vCPU quota of 25000 us per 100000 (${quota:-none})" \
        [ $rc -eq 0 ] && [ "$quota" = 25000 ]
    api DELETE /vms/$PREFIX-q
else
    skip "lwk.elf or /bin/busybox not available"
    skip "lwk.elf or /bin/busybox not available"
    skip "lwk.elf or /bin/busybox not available"
    skip "lwk.elf or /bin/busybox not available"
    skip "lwk.elf or /bin/busybox not available"
fi

"$DSV" node release >/dev/null; rc=$?
check "partition released" [ $rc -eq 0 ]
stop_dsvd TERM
finish
