# Shared helpers for dsvd's TAP integration tests: a private dsvd on a temporary socket and
# state directory, API calls with curl, and cleanup that runs even on failure. TAP output
# (check, ok, not_ok, skip, skip_all, diag, finish) comes from tests/lib/tap.sh.
# Expects DSVD, DSV, HVMM, PAYLOAD_DIR, PVH_GUEST, START_SERVICES from meson.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/kvm.sh"

need_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root"; }
# The partition tests need the node to themselves: another agent's partition (dsv-* cpusets)
# makes them collide (each refuses the other's cgroups).
need_free_node() {
    local held
    held=$(ls -d /sys/fs/cgroup/cpuset/dsv-* /sys/fs/cgroup/dsv-* 2>/dev/null | head -1)
    [ -z "$held" ] || skip_all "another dsvd holds a partition on this host ($held)"
    if [ -f /run/dsv/partition.lock ] && ! flock -n /run/dsv/partition.lock true; then
        skip_all "another dsvd holds the node lock ($(cat /run/dsv/partition.lock))"
    fi
}

# Two CPUs at least: the last one ($HPC) becomes the HPC partition; $ncpu is the count.
need_hpc_cpu() {
    ncpu=$(getconf _NPROCESSORS_ONLN)
    [ "$ncpu" -ge 2 ] || skip_all "needs 2 CPUs"
    HPC=$((ncpu - 1))
}

# An HPC VM through a real dsvd: hvmm, the spinning guest payload ($SPIN), cgroup v1 cpusets.
need_hpc_vm_host() {
    need_kvm
    [ -x "$HVMM" ] || skip_all "hvmm is not built ($HVMM)"
    SPIN=$PAYLOAD_DIR/spin.elf
    [ -f "$SPIN" ] || skip_all "test payload spin.elf is not built"
    [ -f /sys/fs/cgroup/cpuset/cpuset.cpus ] || skip_all "needs the cgroup v1 cpuset hierarchy"
}

WORK=$(mktemp -d /tmp/dsvd-it.XXXXXX)
SOCK=$WORK/dsvd.sock
STATE=$WORK/state
PREFIX=t$$
DSVD_PID=
export DSV_SOCKET=$SOCK

start_dsvd() {
    "$DSVD" --socket "$SOCK" --state-dir "$STATE" --config "$WORK/node.json" \
        --hvmm "$HVMM" --default-kernel "$PVH_GUEST" "$@" >>"$WORK/dsvd.log" 2>&1 &
    DSVD_PID=$!
    local i
    for i in $(seq 1200); do # a minute: hwloc's discovery is slow on a busy host
        [ -S "$SOCK" ] && curl -s --unix-socket "$SOCK" -o /dev/null http://localhost/node && return 0
        kill -0 "$DSVD_PID" 2>/dev/null || break
        sleep 0.05
    done
    diag "dsvd did not start:"; sed 's/^/#   /' "$WORK/dsvd.log"
    return 1
}

stop_dsvd() { # SIG; a clean stop (TERM) must exit 0: sanitizer reports (leaks) fail it
    [ -n "$DSVD_PID" ] || return 0
    local sig=${1:-TERM} rc
    kill -"$sig" "$DSVD_PID" 2>/dev/null
    wait "$DSVD_PID" 2>/dev/null
    rc=$?
    DSVD_PID=
    if [ "$sig" = TERM ] && [ $rc -ne 0 ]; then
        not_ok "dsvd stops cleanly on SIGTERM (exit status $rc)"
        diag "$(tail -40 "$WORK/dsvd.log")"
        return 1
    fi
}

# api METHOD PATH [BODY]: sets STATUS and BODY
api() {
    local method=$1 path=$2 data=${3-}
    local args=(-s -o "$WORK/body" -w '%{http_code}' --unix-socket "$SOCK" -X "$method")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
    [ -n "${API_HEADER:-}" ] && args+=(-H "$API_HEADER") # one extra request header
    STATUS=$(curl "${args[@]}" "http://localhost$path")
    BODY=$(cat "$WORK/body")
}

# field KEY: the first string or number value of "KEY" in BODY
field() {
    printf '%s' "$BODY" | grep -o "\"$1\": *\(\"[^\"]*\"\|[-0-9][0-9]*\|true\|false\|null\)" | head -1 |
        sed -e "s/^\"$1\": *//" -e 's/^"//' -e 's/"$//'
}

# expect STATUS FIELD METHOD PATH [BODY] -- description: checks status and the named field
# (through $API_FN when set, e.g. a request made as another user)
expect() {
    local want=$1 want_field=$2 desc=$3; shift 3
    "${API_FN:-api}" "$@"
    local got_field; got_field=$(field field)
    if [ "$STATUS" = "$want" ] && { [ -z "$want_field" ] || [ "$got_field" = "$want_field" ]; }; then
        ok "$desc ($STATUS${want_field:+, field $want_field})"
    else
        not_ok "$desc: got $STATUS field '$got_field', want $want ${want_field:+field $want_field}"
        diag "$BODY"
    fi
}

# wait_for SECONDS COMMAND...: polls every 0.1 s until COMMAND succeeds or SECONDS of wall
# time have passed (a try may itself take seconds in the nested guest). Give SECONDS as a
# bound nothing correct reaches even on a loaded host (a minute or more), never as an
# expected duration.
wait_for() {
    local end=$(( $(date +%s) + $1 )); shift
    until "$@"; do
        [ "$(date +%s)" -le "$end" ] || return 1
        sleep 0.1
    done
}

# The host values a partition touches (top-level cpusets, IRQs, workqueues, hugepages,
# PID 1's cpuset), one per line, for before/after comparison.
snapshot() {
    local d f
    find /sys/fs/cgroup/cpuset -mindepth 0 -maxdepth 1 -type d | sort | while read -r d; do
        for f in cpuset.cpus cpuset.mems cpuset.cpu_exclusive cpuset.sched_load_balance; do
            echo "$d/$f=$(cat $d/$f)"
        done
    done
    for f in /proc/irq/*/smp_affinity_list /proc/irq/default_smp_affinity \
             /sys/devices/virtual/workqueue/cpumask /sys/devices/system/node/node*/hugepages/*/nr_hugepages; do
        [ -f "$f" ] && echo "$f=$(cat "$f")"
    done
    echo "pid1-cpuset=$(cat /proc/1/cpuset)"
    if [ -n "${PINNED:-}" ]; then
        echo "pinned-affinity=$(taskset -pc $PINNED | sed 's/.*: //')"
        echo "pinned-cpuset=$(cat /proc/$PINNED/cpuset)"
    fi
}
same_as_before() {
    snapshot > "$WORK/after"
    local m=/sys/fs/cgroup/cpuset/machine
    if ! grep -q "^$m/" "$WORK/before"; then
        # libvirt's cpuset, made meanwhile by dsvd's partition (partition_steps.c: libvirt
        # could not make it once the HPC CPUs are exclusive) or by libvirt for another test:
        # left in place, as libvirt makes it, with all of the root's CPUs and memory
        if [ -d $m ] && { [ "$(cat $m/cpuset.cpus)" != "$(cat ${m%/*}/cpuset.cpus)" ] ||
                          [ "$(cat $m/cpuset.mems)" != "$(cat ${m%/*}/cpuset.mems)" ]; }; then
            echo "#   $m holds CPUs $(cat $m/cpuset.cpus), memory $(cat $m/cpuset.mems), not all of the root's"
            return 1
        fi
        grep -v "^$m/" "$WORK/after" > "$WORK/after.m"; mv "$WORK/after.m" "$WORK/after"
    fi
    if diff "$WORK/before" "$WORK/after" > "$WORK/diff"; then return 0; fi
    sed 's/^/#   /' "$WORK/diff"; return 1
}


cleanup() {
    local rc=$?
    if [ -n "$DSVD_PID" ] || [ -f "$STATE/partition.json" ] || ls "$STATE"/vms/*.json >/dev/null 2>&1; then
        [ -n "$DSVD_PID" ] || start_dsvd >/dev/null 2>&1 || true
        if [ -n "$DSVD_PID" ]; then
            local vm
            for vm in $(curl -s --unix-socket "$SOCK" http://localhost/vms | grep -o '"name": "[^"]*"' | sed 's/.*: "//; s/"$//'); do
                curl -s --unix-socket "$SOCK" -X DELETE "http://localhost/vms/$vm" >/dev/null
            done
            [ -f "$STATE/partition.json" ] &&
                curl -s --unix-socket "$SOCK" -X DELETE http://localhost/node/partition >/dev/null
            stop_dsvd TERM
        fi
    fi
    # the partition's hugetlbfs, if dsvd could not release it: never leave a reservation
    if mountpoint -q "$STATE/hugepages" 2>/dev/null; then
        diag "leftover hugetlbfs mount $STATE/hugepages: unmounting"
        umount "$STATE/hugepages" || umount -l "$STATE/hugepages"
    fi
    # shm_group tmpfs mounts dsvd could not remove (it_ops_shm.sh): never leave one behind
    local m
    for m in "$STATE"/shm/*; do
        mountpoint -q "$m" 2>/dev/null || continue
        diag "leftover tmpfs mount $m: unmounting"
        while mountpoint -q "$m"; do umount -l "$m" || break; done
    done
    # a test that sets NR_HUGEPAGES_BEFORE gets nr_hugepages back even if dsvd could not
    if [ -n "${NR_HUGEPAGES_BEFORE:-}" ] && [ "$(cat /proc/sys/vm/nr_hugepages)" != "$NR_HUGEPAGES_BEFORE" ]; then
        diag "nr_hugepages is $(cat /proc/sys/vm/nr_hugepages): putting back $NR_HUGEPAGES_BEFORE"
        echo "$NR_HUGEPAGES_BEFORE" > /proc/sys/vm/nr_hugepages
    fi
    if command -v virsh >/dev/null && [ "$(id -u)" -eq 0 ]; then
        local d
        for d in $(virsh -c qemu:///system list --name 2>/dev/null | grep "^dsv-$PREFIX" || true); do
            virsh -c qemu:///system destroy "$d" >/dev/null 2>&1 || true
        done
    fi
    if [ "$rc" -ne 0 ] || tap_any_failed; then
        diag "dsvd log:"; sed 's/^/#   /' "$WORK/dsvd.log" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
