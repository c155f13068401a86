# Shared helpers for the interference runner's TAP tests: the host state the runner may
# touch (to compare before and after) and the leftovers check. TAP output (check, ok,
# not_ok, skip, skip_all, diag, finish) comes from tests/lib/tap.sh.
# Expects IX (the runner) and START_SERVICES from meson.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../lib/tap.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../../lib/kvm.sh"

WORK=$(mktemp -d /tmp/ix-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

preflight() {
    [ "$(id -u)" -eq 0 ] || skip_all "needs root (libvirt, cpusets, /dev/kvm)"
    need_kvm
    [ -x "$IX" ] || skip_all "the runner is not built"
    "$START_SERVICES" >"$WORK/services.log" 2>&1 || {
        sed 's/^/#   /' "$WORK/services.log"; skip_all "libvirtd could not be started"; }
}

# Other dsvd instances (other test suites, a system agent) may partition the node while we
# run; the host-wide comparisons are only meaningful when none exists before and after.
others_quiet() { ! pgrep -x dsvd >/dev/null 2>&1; }
host_state() { # what a partition or a hugepage reservation would change
    ls -d /sys/fs/cgroup/cpuset/dsv-* 2>/dev/null
    grep -E '^HugePages_Total' /proc/meminfo
    cat /sys/fs/cgroup/cpuset/cpuset.sched_load_balance 2>/dev/null
}

# Before the run: what the host looks like ($WORK/before), and whether it was quiet.
host_state_before() {
    quiet_before=0; others_quiet && quiet_before=1
    host_state >"$WORK/before"
}
# After it: the same, unless another dsvd ran meanwhile (then nothing can be compared).
check_host_state_after() {
    host_state >"$WORK/after"
    if [ "$quiet_before" = 1 ] && others_quiet; then
        check "cpusets, hugepages and load balancing are as before" cmp -s "$WORK/before" "$WORK/after"
        diff "$WORK/before" "$WORK/after" | sed 's/^/#   /'
    else
        skip "another dsvd ran meanwhile: host-wide state not compared"
    fi
}

run_id_of() { sed -n 's/^interference: run id \(ix[0-9]*\);.*/\1/p' "$1" | head -1; }

# Nothing the run with this id made may be left: libvirt domains (ours and dsvd's are
# named after the id), machine cgroups of their QEMUs, our dsvd (it deletes its hvmm VMs
# before it goes), the temporary directory.
check_leftovers() { # RUN_ID
    local id=$1
    local doms
    doms=$(virsh -c qemu:///system list --all --name 2>/dev/null | grep -c -- "$id")
    check "no libvirt domain of $id is left" [ "$doms" -eq 0 ]
    check "no QEMU machine cgroup of $id is left" \
        [ -z "$(find /sys/fs/cgroup/cpuset/machine -maxdepth 1 -name "*$id*" 2>/dev/null)" ]
    check "the runner's dsvd is gone" [ -z "$(pgrep -f "dsv-$id\\." 2>/dev/null)" ]
    check "the temporary directory is gone" [ -z "$(ls -d /tmp/dsv-"$id".* 2>/dev/null)" ]
}
