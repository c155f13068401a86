#!/usr/bin/env bash
# --jail's PID namespace and --cgroup (TAP), observed from the host while hvmm waits on a
# FIFO given as --log (it opens its log first thing): no KVM needed for that part.
# Needs root; makes a cgroup of its own (run under flock /tmp/dsv-host.lock with the suite).
# usage: hvmm_jail.sh HVMM PAYLOAD_DIR
set -u
HVMM=$(readlink -f "$1") P=$(readlink -f "$2")
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/kvm.sh"
# A sanitizer build's LeakSanitizer cannot stop the world as PID 1 of the jail's PID
# namespace (it exits 1 with "fatal error"): leaks are checked by the other tests.
grep -q __asan_init "$HVMM" && export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
[ "$(id -u)" = 0 ] || skip_all "needs root (namespaces, cgroups)"
T=$(mktemp -d)
CG=
HV=
cleanup() {
  [ -n "$HV" ] && kill -9 "$HV" 2>/dev/null
  if [ -n "$CG" ]; then  # a VM process left behind by a failed case
    for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -9 "$p"; done
    for _ in $(seq 50); do rmdir "$CG" 2>/dev/null && break; sleep 0.1; done
  fi
  rm -rf "$T"
}
trap cleanup EXIT

# A cgroup of our own: cgroup v2 (the unified hierarchy), else the v1 pids hierarchy.
for root in /sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/pids; do
  if [ -e "$root/cgroup.procs" ] && mkdir "$root/dsv-hvmm-jail.$$" 2>/dev/null; then
    CG=$root/dsv-hvmm-jail.$$
    break
  fi
done
[ -n "$CG" ] || skip_all "no cgroup hierarchy to make a test cgroup in"
plan 10
mkdir "$T/jail"
procs() { sort -n "$CG/cgroup.procs" | tr '\n' ' '; }
# Waits (a minute at most, for a loaded host) for the cgroup to hold N processes.
wait_procs() { for _ in $(seq 600); do [ "$(wc -w <<<"$(procs)")" = "$1" ] && return 0; sleep 0.1; done; false; }
nspid() { awk '/^NSpid:/ { $1 = ""; print substr($0, 2) }' "/proc/$1/status"; }

start_blocked() { # hvmm with --jail and --cgroup, stuck opening its log FIFO
  rm -f "$T/log"; mkfifo "$T/log"
  "$HVMM" run --jail "$T/jail" --cgroup "$CG" --log "$T/log" --kernel "$P/hello.elf" \
    2>"$T/hvmm.err" &
  HV=$!
}

start_blocked
check "--cgroup: hvmm and its VM process joined the cgroup before opening anything" wait_procs 2 ||
  { diag "cgroup.procs: $(procs)"; show "$T/hvmm.err"; }
CHILD=$(awk -v p="$HV" '$1 != p' "$CG/cgroup.procs" | head -1)
check "the first process is the one started, the other its child" \
  bash -c "grep -qw '$HV' '$CG/cgroup.procs' && [ \"\$(awk '/^PPid:/ {print \$2}' /proc/$CHILD/status)\" = '$HV' ]"
is() { [ "$1" = "$2" ] || { diag "expected '$2', got '$1'"; false; }; }
# NSpid lists a process's pid in each namespace from the host's down: "N 1" is PID 1 of a
# namespace one level below the host's.
check "--jail: the VM process is PID 1 of a new PID namespace" \
  is "$(nspid "$CHILD" | awk '{print NF, $NF}')" "2 1"
check "--jail: the first process stays in the host's PID namespace" \
  is "$(nspid "$HV" | awk '{print NF}')" 1
capeff() { awk '/^CapEff:/ {print $2}' "/proc/$1/status"; }
for _ in $(seq 20); do [ "$(capeff "$HV")" = 0000000000000020 ] && break; sleep 0.05; done
check "--jail: the waiting first process holds CAP_KILL alone" is "$(capeff "$HV")" 0000000000000020
nsof() { readlink "/proc/$1/ns/$2"; }
check "--jail: the VM process has network and IPC namespaces of its own" \
  bash -c "[ '$(nsof "$CHILD" net)' != '$(nsof $$ net)' ] && [ '$(nsof "$CHILD" ipc)' != '$(nsof $$ ipc)' ] &&
           [ '$(nsof "$HV" net)' = '$(nsof $$ net)' ]"

# Let it go: it reads its log now. Without KVM the VM process fails at /dev/kvm (125), with
# KVM it runs hello (0); either way the first process exits with the VM's status.
cat "$T/log" >"$T/log.out" &
CAT=$!
wait "$HV"; RC=$?
HV=
wait "$CAT"
if kvm_usable; then
  check "the VM's exit status is hvmm's (0, it ran)" \
    bash -c "[ $RC = 0 ] && grep -q 'hello from the guest' '$T/log.out'"
else
  check "the VM's exit status is hvmm's (125: no /dev/kvm here)" \
    bash -c "[ $RC = 125 ] && grep -q '/dev/kvm' '$T/log.out'" || { diag "rc $RC"; show "$T/log.out"; }
fi
check "both processes are gone" wait_procs 0

# SIGKILL to the first process: the VM process dies with it (PR_SET_PDEATHSIG), even
# while blocked in open().
start_blocked
wait_procs 2
CHILD=$(awk -v p="$HV" '$1 != p' "$CG/cgroup.procs" | head -1)
kill -9 "$HV"; wait "$HV" 2>/dev/null
HV=
check "killing the first process kills the VM process" wait_procs 0 ||
  diag "left: $(procs)"
dead() { ! [ -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status"; }
check "the killed VM process is dead (pid $CHILD)" dead "$CHILD"
