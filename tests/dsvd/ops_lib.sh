# For the operator tests (it_ops_*.sh) that need no /dev/kvm: dsvd on a fake host tree (its
# partition changes nothing real) with hvmm_standin in place of hvmm, which runs the program
# natively and ends the way hvmm does. Source after $TEST_LIB.

need_fake_host() {
    [ -x "${FAKE_HOST_TOOL:-}" ] && [ -x "${HVMM_STANDIN:-}" ] || skip_all "the test helpers are not built"
    ROOT=$("$FAKE_HOST_TOOL" create) || skip_all "cannot create a fake host tree"
    # the environment, not --host-root: lib.sh's cleanup restarts dsvd on the same tree
    export DSV_HOST_ROOT=$ROOT
    trap ops_cleanup EXIT
}

ops_cleanup() {
    local rc=$?
    (exit $rc)
    (cleanup) # lib.sh's: deletes the VMs, releases the partition, stops dsvd
    rc=$?
    [ -n "${ROOT:-}" ] && "$FAKE_HOST_TOOL" remove "$ROOT"
    exit $rc
}

start_fake_dsvd() { start_dsvd --hvmm "$HVMM_STANDIN" "$@"; }

# The fake host's CPUs are 0-3: 2-3 HPC, 0 housekeeping.
apply_fake_partition() {
    "$DSV" node partition --hpc-cpus 2-3 --housekeeping-cpus 0 --hpc-mem 8M >/dev/null
}

# ev_types FILE: the "event: T" lines of an event stream, space-separated
ev_types() { sed -n 's/^event: //p' "$1" | tr '\n' ' ' | sed 's/ $//'; }
