#!/usr/bin/env bash
# Hostile-guest suite (TAP): every case runs beside a witness VM (the compute loop) that
# must finish with the right result, and must leave the host as it was: nothing outside
# the share changed, no mount added, no hvmm left running. docs/security.md lists the cases.
# usage: hostile.sh HVMM HOSTILE_BUILD_DIR PAYLOAD_DIR LOOP_NATIVE
set -u
HVMM=$(readlink -f "$1") H=$(readlink -f "$2") P=$(readlink -f "$3") NATIVE=$(readlink -f "$4")
. "$(dirname "$0")/../../lib/tap.sh"
. "$(dirname "$0")/../../lib/kvm.sh"
T=$(mktemp -d)
SWAP_PID=
cleanup() { [ -n "$SWAP_PID" ] && kill "$SWAP_PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
plan 16

if ! why=$(kvm_why); then
  for i in $(seq 16); do skip "hostile case $i" "$why"; done
  exit 0
fi

# The witness: a second VM computing a known result while each hostile case runs.
WN=300000000
"$NATIVE" $WN 7 >"$T/witness.expected"; W_RC=$?
witness_start() {
  timeout 300 "$HVMM" run --kernel "$P/loop.elf" --cmdline "n=$WN seed=7" \
    >"$T/w.out" 2>"$T/w.err" &
  W_PID=$!
}
witness_ok() {
  wait "$W_PID"; local rc=$?
  W_PID=
  if [ "$rc" = "$W_RC" ] && [ "$(grep result "$T/w.out")" = "$(grep result "$T/witness.expected")" ]; then
    return 0
  fi
  diag "witness VM: exit $rc (expected $W_RC)"; show "$T/w.out"; show "$T/w.err"; false
}

# Outside the share: a secret, a directory; their state is compared after every case.
mkdir -p "$T/outside" "$T/share/sub" "$T/jail"
echo SECRET >"$T/outside/secret"
snapshot() {
  (cd "$T" && find outside jail -printf '%p %y %s %m %T@\n' | sort && cat outside/secret)
  grep -c '' /proc/self/mounts
}
reset_share() {
  rm -rf "$T/share" && mkdir -p "$T/share/sub"
  echo inside >"$T/share/a"
  ln -s "$T/outside/secret" "$T/share/link_abs"
  ln -s ../outside/secret "$T/share/link_rel"
  ln -s "$T/outside" "$T/share/link_dir"
  ln -s /etc/passwd "$T/share/link_out"
}
snapshot >"$T/before"
host_ok() {
  snapshot >"$T/after"
  cmp -s "$T/before" "$T/after" || { diag "outside the share changed:"; diff "$T/before" "$T/after" | sed 's/^/#   /'; return 1; }
}
has() { grep -q -- "$2" "$1" || { diag "$1 lacks '$2':"; show "$1"; false; }; }
# case NAME HVMM-ARGS...: runs hvmm beside the witness; status in $T/NAME.rc
case_run() {
  local name=$1; shift
  LAST=$name
  witness_start
  (cd "$T/share" && timeout "${CASE_TIMEOUT:-120}" "$HVMM" "$@" >"$T/$name.out" 2>"$T/$name.err"); echo $? >"$T/$name.rc"
}
rc() { cat "$T/$1.rc"; }
# stat_of FILE KEY: a field of the --stats=json line, hvmm's last words (before it, the
# guest's own output, which a hostile guest may make as large as it likes: read the end only).
stat_of() {
  python3 - "$1" "$2" <<'PY'
import json, os, sys
with open(sys.argv[1], 'rb') as f:
    f.seek(max(0, os.path.getsize(sys.argv[1]) - (1 << 20)))
    t = f.read().decode(errors='replace')
print(json.loads(t[t.rindex('{"exit_code"'):].splitlines()[0])[sys.argv[2]])
PY
}
all() {
  for c in "$@"; do
    eval "$c" && continue
    diag "failed: $c"
    [ -f "$T/$LAST.err" ] && tail -c 600 "$T/$LAST.err" | sed 's/^/#   /'
    [ -n "${W_PID:-}" ] && wait "$W_PID"  # the witness, not checked after a failure
    W_PID=
    return 1
  done
}

LAST=none
# 1: console flood: 64 MiB of console writes, 1 MiB of log, a ring that lies about its head.
witness_start
LAST=flood
timeout 300 "$HVMM" run --kernel "$H/hostile_flood.elf" --cmdline "mb=64 logmb=1 notifies=20000" \
  --stats=json 2>"$T/flood.err" | tail -c 300 >"$T/flood.out"
flood_rc=${PIPESTATUS[0]}
check "console flood: guest exits 0, every call answered, hvmm RSS outside RAM < 64 MiB, witness fine" \
  all "[ $flood_rc = 0 ]" "has $T/flood.out 'flood done bad 0'" \
  "[ \$(stat_of $T/flood.err rss_outside_guest_kb) -lt 65536 ]" \
  witness_ok host_ok

# 2: the console's reader goes away in the middle of the flood: hvmm must not die of SIGPIPE.
witness_start
LAST=pipe
timeout 300 "$HVMM" run --kernel "$H/hostile_flood.elf" --cmdline "mb=64 logmb=0 notifies=10" \
  2>"$T/pipe.err" | head -c 10 >/dev/null
pipe_rc=${PIPESTATUS[0]}
check "console reader closes mid-flood: hvmm goes on and exits with the guest's 0, witness fine" \
  all "[ $pipe_rc = 0 ]" witness_ok host_ok

# reap PID: waits for it; one that outlives its SIGTERM by two minutes is killed (status 137)
# so that a hang fails this case instead of the whole suite.
reap() {
  local i state
  for i in $(seq 1200); do
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$state" ] && [ "$state" != Z ] || break
    sleep 0.1
  done
  [ -n "$state" ] && [ "$state" != Z ] && { diag "pid $1 still runs 2 minutes after SIGTERM: killed"; kill -KILL "$1"; }
  wait "$1"
}

# started_spinning PID FILE: waits (two minutes at most) until the spin payload in FILE has
# said so, or hvmm PID has ended; then the guest runs, and a signal meets a running VM.
started_spinning() {
  for _ in $(seq 1200); do
    grep -q spinning "$2" && return 0
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  grep -q spinning "$2" || { diag "the spinning guest did not start"; show "$2"; false; }
}

# 3: a guest that spins forever is stopped by a signal with a clear reason.
witness_start
LAST=spin
"$HVMM" run --kernel "$P/spin.elf" >"$T/spin.out" 2>"$T/spin.err" &
pid=$!
started_spinning $pid "$T/spin.out"; spinning=$?
kill -TERM $pid; reap $pid; spin_rc=$?
check "spin forever: SIGTERM ends it (hvmm exit 143, 'stopped by signal 15'), witness fine" \
  all "[ $spinning = 0 ]" "[ $spin_rc = 143 ]" "has $T/spin.err 'stopped by signal 15'" witness_ok host_ok

# 4: a triple fault on vCPU 0 while vCPU 1 computes.
if [ "$(nproc)" -ge 3 ]; then
  case_run smptriple run --vcpus 2 --kernel "$H/hostile_smp_triple.elf"
  check "triple fault while another vCPU runs: 126, names vCPU 0, witness fine" \
    all "[ $(rc smptriple) = 126 ]" "has $T/smptriple.err 'vCPU 0 shut down (triple fault)'" \
    witness_ok host_ok
else
  skip "triple fault while another vCPU runs" "needs 3 CPUs (2 vCPUs + the witness); have $(nproc)"
fi

# 5: a storm of random hypercalls: bad pointers, wrapping and overlong lengths, escapes.
# The console and --stats go to a --log file: the guest's descriptors 1 and 2 are hvmm's
# stdout and stderr, which its random lseeks and writes move about (some seeds left the
# stats line in the middle of a sparse 4 GiB stderr); the log is out of its reach.
reset_share
storm_seed=$RANDOM
case_run storm run --kernel "$H/hostile_storm.elf" --cmdline "n=20000 seed=$storm_seed" \
  --share "$T/share" --stats=json --log "$T/storm.log"
check "hypercall storm (20000 random calls, bad pointers/lengths/paths): exit 0, rejections counted, witness fine" \
  all "[ $(rc storm) = 0 ]" "has $T/storm.log 'bad 0'" \
  "[ \$(stat_of $T/storm.log hypercalls_rejected) -gt 1000 ]" \
  witness_ok host_ok || diag "storm seed $storm_seed"

# 6: every hypercall with pointers outside RAM, lengths that overflow, addresses that wrap.
case_run badptr run --kernel "$P/badptr.elf"
check "bad pointers, overflowing lengths, wrapping addresses: all refused, witness fine" \
  all "[ $(rc badptr) = 0 ]" "has $T/badptr.out 'failures 0'" witness_ok host_ok

# 6b: descriptor offload (pipes, sockets, polling): bad addresses, counts over the limits,
# hvmm's own descriptor numbers, forbidden families, ancillary data, a full table.
case_run offload run --kernel "$H/hostile_offload.elf"
check "descriptor offload: bad addresses, foreign descriptors, --net none, full table: all refused, hvmm serves on, witness fine" \
  all "[ $(rc offload) = 0 ]" "has $T/offload.out 'failures 0'" \
  "! grep -q seccomp $T/offload.err" witness_ok host_ok

# 6c: the offload ring: bad registrations and entries, floods, a blocked call at the end.
case_run ring run --offload ring --stats=json --kernel "$H/hostile_ring.elf"
check "offload ring: bad registrations, entries outside RAM, core calls, floods, doorbell storm, a worker blocked at the end: refused or survived, witness fine" \
  all "[ $(rc ring) = 0 ]" "has $T/ring.out 'failures 0'" "! grep -q seccomp $T/ring.err" \
  witness_ok host_ok

# 7: one lwk thread faults while another computes: the program dies as natively.
if [ "$(nproc)" -ge 2 ]; then
  "$H/hostile-thread_fault" 2 >"$T/tf.native" 2>/dev/null; tf_native=$?
  reset_share
  case_run tf run --vcpus 2 --share "$T/share" -- "$H/hostile-thread_fault" 2
  check "a thread faults while another runs: same output and status as native ($tf_native), witness fine" \
    all "[ $(rc tf) = $tf_native ]" "cmp -s $T/tf.native $T/tf.out" "has $T/tf.err 'Segmentation fault'" \
    witness_ok host_ok
else
  skip "a thread faults while another runs" "needs 2 CPUs (the lwk runs one thread per vCPU); have $(nproc)"
fi

# 8: every way out of the share: .., absolute paths, symlinks (file, dir, absolute).
reset_share
case_run esc run --share "$T/share" -- "$H/hostile-share_escape" "$T/outside"
check "share escapes (.., absolute, symlinks, dirfd, chdir): all refused, witness fine" \
  all "[ $(rc esc) = 0 ]" "! grep -q ESCAPED $T/esc.out" "[ \$(grep -c '' $T/esc.out) -ge 24 ]" \
  witness_ok host_ok

# 9: the host swaps share paths for symlinks out while the guest opens them.
reset_share
"$H/hostile-swapper" "$T/share" "$T/outside" & SWAP_PID=$!
case_run race run --share "$T/share" -- "$H/hostile-share_escape" "$T/outside" race 3000
kill "$SWAP_PID"; wait "$SWAP_PID" 2>/dev/null; SWAP_PID=
check "symlink swap race (3000 opens against a swapping host): nothing escapes, witness fine" \
  all "[ $(rc race) = 0 ]" "has $T/race.out 'escaped 0'" "! grep -q ESCAPED $T/race.out" \
  "! grep -q ' 0 opens inside' $T/race.out" "! grep -q '(0 EACCES)' $T/race.out" \
  witness_ok host_ok
grep race: "$T/race.out" | sed 's/^/# /'

# 10-11: seccomp: a forbidden call on either kind of thread ends hvmm with a named report.
# Sanitizer builds filter the vCPU threads only (LeakSanitizer, docs/security.md).
SAN=0; grep -q __asan_init "$HVMM" && SAN=1
if [ $SAN = 1 ]; then
  skip "seccomp, housekeeping thread" "sanitizer build: no main-thread filter"
else
  case_run secmain run --kernel "$P/loop.elf" --cmdline n=1000 --test-seccomp=main
  check "seccomp, housekeeping thread: exit 159, the report names socket, witness fine" \
    all "[ $(rc secmain) = 159 ]" "has $T/secmain.err 'housekeeping thread made a forbidden system call 41 (socket)'" \
    witness_ok host_ok
fi
case_run secvcpu run --kernel "$P/loop.elf" --cmdline n=1000 --test-seccomp=vcpu
check "seccomp, vCPU thread: exit 159, the report names socket, witness fine" \
  all "[ $(rc secvcpu) = 159 ]" "has $T/secvcpu.err 'vCPU thread made a forbidden system call 41 (socket)'" \
  witness_ok host_ok

# 12: a running hvmm holds no capability, has no_new_privs, and a filter on every thread.
"$HVMM" run --kernel "$P/spin.elf" >"$T/caps.out" 2>"$T/caps.err" &
pid=$!  # not under timeout: $! must be hvmm itself
started_spinning $pid "$T/caps.out" && cat /proc/$pid/task/*/status >"$T/caps.status" 2>/dev/null
kill -TERM $pid; reap $pid
if [ $SAN = 1 ]; then filtered="grep -q '^Seccomp:.*2$' $T/caps.status"  # the vCPU thread
else filtered="! grep '^Seccomp:' $T/caps.status | grep -qv '2$'"; fi
check "running hvmm: CapEff/CapPrm/CapBnd 0, NoNewPrivs 1, Seccomp 2 on every thread" \
  all "[ -s $T/caps.status ]" "! grep -E '^(CapEff|CapPrm|CapBnd|CapAmb):' $T/caps.status | grep -qv '0000000000000000'" \
  "! grep '^NoNewPrivs:' $T/caps.status | grep -qv '1$'" "$filtered"

# 13: --jail: the program sees only the share, the host's mounts do not change.
if [ $SAN = 1 ]; then
  skip "--jail" "sanitizer build: LeakSanitizer needs /proc, which the jail hides"
else
  reset_share
  case_run jail run -v --jail "$T/jail" --share "$T/share" -- "$H/hostile-share_escape" "$T/outside"
  check "--jail: private mount namespace entered, escapes refused, host mounts unchanged" \
    all "[ $(rc jail) = 0 ]" "has $T/jail.err 'jailed in'" "! grep -q ESCAPED $T/jail.out" \
    witness_ok host_ok
fi

# 14: nothing left behind.
check "no hvmm process left running" bash -c "! pgrep -f -- '^$HVMM run' >/dev/null"

done_testing
