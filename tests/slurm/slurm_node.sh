#!/usr/bin/env bash
# The SPANK plugin under a real one-node Slurm (munged, slurmctld, slurmd started here, no
# systemd), jobs submitted as an unprivileged user this script creates (TAP).
# Without KVM hvmm cannot run a guest: the --dsv-hpc steps must then reach hvmm with the
# task's argv, user, cgroup, CPUs and environment and fail exactly as hvmm does (125,
# "cannot open /dev/kvm"); with KVM their output and status must equal the native run's.
# scancel, a time limit and Ctrl-C on srun must end a --dsv-hpc step as they end the native
# one: srun's report ("Terminated", not "Killed" after KillWait), its status, the job's state
# and exit code; hvmm gone and the CPU free afterwards. Without KVM a stand-in for hvmm that stays
# root (hvmm while it launches) shows that the task's signals reach it.
# usage: slurm_node.sh HVMM PLUGIN_SO PROGRAM SPIN (static programs: tests/lwk/progs/hello.c,
# tests/slurm/spin.c)
# Run it under flock /tmp/dsv-host.lock (Slurm's cgroups).
set -u
HVMM=$(readlink -f "$1") PLUGIN=$(readlink -f "$2") PROG=$(readlink -f "$3") SPIN=$(readlink -f "$4")
HERE=$(dirname "$0")
. "$HERE/../lib/tap.sh"
. "$HERE/../lib/hvmm_test_user.sh"
. "$HERE/../lib/kvm.sh"
. "$HERE/cluster.sh"
cluster_private_ns "$0" "$@"

[ "$(id -u)" = 0 ] || skip_all "needs root (starts slurmd and creates a user)"
for c in munged slurmctld slurmd srun sbatch; do
  command -v "$c" >/dev/null || skip_all "$c is missing (scripts/install-deps.sh installs Slurm)"
done
BUSY=$(cluster_host_busy)
[ -z "$BUSY" ] || skip_all "a dsvd partition is applied on this host ($BUSY): Slurm cannot make its cpusets beside it"
hvmm_test_user || skip_all "cannot create the test user"
NCPU=$(nproc --all)
[ "$NCPU" -ge 2 ] || skip_all "needs two CPUs (one kept from jobs, one for the step)"
KVM_WHY=$(kvm_why) && HAVE_KVM=1 || HAVE_KVM=0

T=$(mktemp -d /tmp/dsv-slurm.XXXXXX)
chmod 755 "$T"
trap 'cluster_stop; rm -rf "$T"' EXIT
mkdir -p "$T/bin" "$T/probe" "$T/state" "$T/work"
chown "$TEST_UID:$TEST_GID" "$T/work"
install -m 755 "$PROG" "$T/work/hello"
install -m 700 "$PROG" "$T/work/rootonly"
install -m 755 "$SPIN" "$T/work/spin"

# hvmm as the plugin runs it, seen from inside: who runs it, its argv, cgroups, CPUs, and
# two task variables; then the real hvmm.
cat >"$T/bin/hvmm-probe" <<PROBE
#!/bin/sh
{ echo "uid \$(id -u)"; printf 'arg %s\n' "\$@"; sed 's/^/cgroup /' /proc/self/cgroup
  echo "procid \${SLURM_PROCID-unset} step \${SLURM_STEP_ID-unset}"
  prev=; for a in "\$@"; do [ "\$prev" != --shm ] || { stat -c 'shmdir %u %g %a' "\$a"
    echo "shmfs \$(stat -f -c %T "\$a") \$((\$(stat -f -c '%b * %S' "\$a") >> 20)) MiB"; }; prev=\$a; done
} >"$T/probe/\$\$"
[ -z "\${DSV_TEST_HVMM-}" ] || exec "$T/bin/\$DSV_TEST_HVMM" "\$@"
exec "$HVMM" "\$@"
PROBE
chmod 755 "$T/bin/hvmm-probe"
# A stand-in for hvmm while it launches, as far as signals go: root, ended by SIGTERM, SIGINT
# and SIGHUP with 128+N; it does what spin does (the job id into the file named last).
cat >"$T/bin/hvmm-root" <<'STANDIN'
#!/bin/bash
sleep 3600 &
for sig in TERM:143 INT:130 HUP:129; do trap "kill $!; exit ${sig#*:}" "${sig%:*}"; done
echo "$SLURM_JOB_ID" >"${!#}"
wait
STANDIN
chmod 755 "$T/bin/hvmm-root"
STATE=$T/state/partition.json
partition() { # partition HPC_CPUS: dsvd's state file with that HPC partition
  printf '{"active": true, "applying": false, "spec": {"hpc_cpus": "%s"}}\n' "$1" >"$STATE"
}

SHM=$T/shm # the plugin's shm_root: each step's /dev/shm in it, a tmpfs of shm_mib MiB
cluster_start "$T/cluster" "$PLUGIN" "hvmm=$T/bin/hvmm-probe partition_state=$STATE shm_root=$SHM shm_mib=16" ||
  skip_all "Slurm did not start here (see the logs above)"
CPU=1 # the step's CPU (cluster.sh keeps CPU 0 from jobs); the HPC partition holds it, or not

# as_user NAME CMD...: runs CMD in $T/work as the test user; NAME.{out,err,rc} in $T.
as_user() {
  local name=$1; shift
  (cd "$T/work" && timeout 120 runuser -u "$TEST_USER" -- "$@") >"$T/$name.out" 2>"$T/$name.err"
  echo $? >"$T/$name.rc"
}
rc() { cat "$T/$1.rc"; }
has() { grep -qF -- "$2" "$T/$1" || { diag "$1 lacks '$2':"; show "$T/$1"; false; }; }
probes() { ls "$T/probe" | wc -l; }
last_probe() { local p; p=$(ls -t "$T/probe" | head -1); echo "$T/probe/${p:-none}"; }
same_as_native() { # same_as_native NAME NATIVE: equal stdout and status
  [ "$(rc "$1")" = "$(rc "$2")" ] && cmp -s "$T/$1.out" "$T/$2.out" ||
    { diag "$1 differs from $2:"; show "$T/$1.out"; show "$T/$1.err"; false; }
}
kvm_failure() { [ "$(rc "$1")" = 125 ] && has "$1.err" "cannot open /dev/kvm"; }
wait_for() { # wait_for SECONDS CMD...: polls CMD; the bound only ends a hang
  local end=$((SECONDS + $1)); shift
  until "$@"; do [ "$SECONDS" -lt "$end" ] || return 1; sleep 0.5; done
}

# 1-2: the native runs every comparison below refers to.
as_user native srun -n1 --cpu-bind=cores ./hello a "b c"
check "native srun runs the program as the user" \
  bash -c "[ \"\$(cat $T/native.rc)\" = 0 ] && grep -qx 'argv\[2\] = b c' $T/native.out" ||
  { show "$T/native.err"; show "$T/cluster/log/slurmd-$CLUSTER_NODE.log"; }
as_user native_fail srun -n1 --cpu-bind=cores ./hello x
check "a native program's status is the step's (3)" [ "$(rc native_fail)" = 3 ]

# 3-11: srun --dsv-hpc reaches hvmm with the task's user, CPUs, share, cgroup, environment,
# and the step's /dev/shm, which goes with the step.
partition "$CPU"
as_user hpc srun -n1 --cpu-bind=cores --dsv-hpc ./hello a "b c"
P=$(last_probe)
check "srun --dsv-hpc launches hvmm (through the plugin's launcher)" [ "$(probes)" = 1 ]
check "hvmm starts as root, to switch to the job's user itself" has "${P#$T/}" "uid 0"
check "hvmm gets --uid/--gid of the job's user, the task's CPU and directory, the command" \
  bash -c "tr '\n' ' ' <$P | grep -qF -- 'arg run arg --cpus arg $CPU arg --share arg $T/work arg --uid arg $TEST_UID arg --gid arg $TEST_GID arg --groups ' &&
           tr '\n' ' ' <$P | grep -qF -- 'arg -- arg ./hello arg a arg b c '" || show "$P"
# The cgroups a native task of the same shape is in (job ids aside).
as_user native_cg srun -n1 --cpu-bind=cores cat /proc/self/cgroup
check "hvmm runs in the task's cgroups (as a native task, job id aside)" \
  bash -c "[ \"\$(grep -c /slurm $T/native_cg.out)\" -gt 0 ] &&
           sed 's|/job_[0-9]*/|/job_N/|' $T/native_cg.out | sort >$T/native_cg.norm &&
           grep '^cgroup ' $P | sed -e 's/^cgroup //' -e 's|/job_[0-9]*/|/job_N/|' | sort >$T/hpc_cg.norm &&
           cmp -s $T/native_cg.norm $T/hpc_cg.norm" ||
  { show "$P"; show "$T/native_cg.out"; }
check "hvmm gets the task's environment" has "${P#$T/}" "procid 0 step 0"
check "hvmm gets the step's /dev/shm on this node (--shm SHM_ROOT/JOB.STEP.NODE)" \
  bash -c "tr '\n' ' ' <$P | grep -qE -- 'arg --shm arg $SHM/[0-9]+\.0\.0 arg -- '" || show "$P"
check "... made for the job's user, mode 0700, before hvmm starts" has "${P#$T/}" "shmdir $TEST_UID $TEST_GID 700"
check "... a tmpfs of the plugin's shm_mib (16 MiB)" has "${P#$T/}" "shmfs tmpfs 16 MiB"
shm_gone() { [ -d "$SHM" ] && [ -z "$(ls -A "$SHM")" ] && ! awk -v d="$SHM/" 'index($5, d) == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; }
check "... and unmounted and removed when the step has ended" wait_for 60 shm_gone ||
  { ls -la "$SHM" | sed 's/^/#   /'; grep -F "$SHM/" /proc/self/mountinfo | sed 's/^/#   /'; }
if [ "$HAVE_KVM" = 1 ]; then
  check "srun --dsv-hpc: output and status as native" same_as_native hpc native
else
  check "srun --dsv-hpc without KVM: the step fails as hvmm does (125, /dev/kvm)" kvm_failure hpc
fi

# 12-13: a failing program fails the step the same way.
as_user hpc_fail srun -n1 --cpu-bind=cores --dsv-hpc ./hello x
if [ "$HAVE_KVM" = 1 ]; then
  check "a failing program fails the --dsv-hpc step with its status" same_as_native hpc_fail native_fail
else
  skip "a failing program fails the --dsv-hpc step with its status" "$KVM_WHY"
fi
# The job's user cannot have hvmm read what the user cannot read (checked before /dev/kvm).
as_user hpc_rootonly srun -n1 --cpu-bind=cores --dsv-hpc ./rootonly
check "--dsv-hpc: a program only root may read is refused (the job's uid, not root's)" \
  bash -c "[ \"\$(cat $T/hpc_rootonly.rc)\" = 125 ] && grep -qF 'program $T/work/rootonly: cannot open: Permission denied' $T/hpc_rootonly.err" ||
  show "$T/hpc_rootonly.err"

# 14-15: a CPU outside the HPC partition is refused, with the reason in the job's stderr.
OTHER=0
partition "$OTHER"
n=$(probes)
as_user outside srun -n1 --cpu-bind=cores --dsv-hpc ./hello
check "a task on a CPU outside the HPC partition is refused before hvmm" \
  bash -c "[ \"\$(cat $T/outside.rc)\" = 125 ] && [ \"\$(ls $T/probe | wc -l)\" = $n ]"
check "... and the job's stderr says why" \
  has outside.err "dsv: cannot start the HPC VM: Slurm gave this task CPU $CPU, which is not in dsv's HPC partition (HPC CPUs $OTHER)"
rm -f "$STATE"
as_user nopart srun -n1 --dsv-hpc ./hello
check "no HPC partition on the node: refused, and said so" \
  bash -c "[ \"\$(cat $T/nopart.rc)\" = 125 ] && grep -qF \"dsv's HPC partition is not applied on this node\" $T/nopart.err" ||
  show "$T/nopart.err"
partition "0-$((NCPU - 1))"

# 16-17: bad options are refused by srun at submission, quickly, naming the problem.
as_user badmem srun -n1 --dsv-hpc=mem=3M ./hello
check "--dsv-hpc=mem=3M is refused at submission" \
  bash -c "[ \"\$(cat $T/badmem.rc)\" != 0 ] && [ \"\$(cat $T/badmem.rc)\" != 124 ]" &&
  has badmem.err "mem='3M': expected a size in whole MiB"
as_user badkey srun -n1 --dsv-hpc=cpus=4 ./hello
check "an unknown --dsv-hpc option is refused at submission" \
  bash -c "[ \"\$(cat $T/badkey.rc)\" != 0 ] && [ \"\$(cat $T/badkey.rc)\" != 124 ]" &&
  has badkey.err "unknown option 'cpus'"

# 18: the other form, hvmm on the command line (as the user, no plugin involved). It needs
# what the user needs to run hvmm: /dev/kvm (Debian's udev lets everyone open it; the nested
# KVM guest has no udev, and there it is root's: in this test's private mount namespace, a
# node of the same device open to all stands over it) and locked memory for the guest's RAM
# (the task has slurmd's limit: cluster.sh).
user_kvm() {
  local dev
  runuser -u "$TEST_USER" -- test -r /dev/kvm -a -w /dev/kvm && return 0
  dev=$(stat -c '%t %T' /dev/kvm) && set -- $dev &&
    mknod -m 666 "$T/kvm" c $((16#$1)) $((16#$2)) && mount --bind "$T/kvm" /dev/kvm &&
    runuser -u "$TEST_USER" -- test -r /dev/kvm -a -w /dev/kvm
}
[ "$HAVE_KVM" = 0 ] || user_kvm || diag "cannot open /dev/kvm to the test user"
as_user direct srun -n1 --cpu-bind=cores "$HVMM" run --cpus $CPU -- ./hello a "b c"
if [ "$HAVE_KVM" = 1 ] && ! runuser -u "$TEST_USER" -- test -r /dev/kvm -a -w /dev/kvm; then
  skip "srun hvmm run -- PROGRAM: output and status as native" \
    "the test user cannot open /dev/kvm ($(stat -c '%A %U:%G' /dev/kvm)): this form runs hvmm as the user"
elif [ "$HAVE_KVM" = 1 ]; then
  check "srun hvmm run -- PROGRAM: output and status as native" same_as_native direct native
else
  check "srun hvmm run -- PROGRAM without KVM: hvmm's own failure (125, /dev/kvm)" kvm_failure direct
fi

# 19-20: sbatch, a batch script calling srun --dsv-hpc, output in a file the user owns.
as_user batch sbatch --parsable -o "$T/work/batch.out" --wait \
  --wrap "srun -n1 --cpu-bind=cores --dsv-hpc ./hello batch; echo step status \$?"
check "sbatch --wait returns once the job is done" [ "$(rc batch)" != 124 ] || show "$T/batch.err"
if [ "$HAVE_KVM" = 1 ]; then
  check "sbatch: the step's output and status in the output file" \
    bash -c "grep -qx 'argv\[1\] = batch' $T/work/batch.out && grep -qx 'step status 0' $T/work/batch.out"
else
  check "sbatch: the step's failure and status 125 in the user's output file" \
    bash -c "[ \"\$(stat -c %u $T/work/batch.out)\" = $TEST_UID ] && grep -qF 'cannot open /dev/kvm' $T/work/batch.out && grep -qx 'step status 125' $T/work/batch.out" ||
    show "$T/work/batch.out"
fi

# 21-: scancel, a time limit and Ctrl-C on srun stop a running step. start_step runs srun in the
# background as the user (spin writes its job id to NAME.started once it runs);
# end_report writes what srun and slurmctld said of its end to NAME.end.
start_step() { # start_step NAME SRUN_ARGS...
  local name=$1; shift
  # a background job of this shell would start with SIGINT ignored: srun gets it as from a terminal
  (cd "$T/work" && exec timeout 600 runuser -u "$TEST_USER" -- env --default-signal=INT \
    srun -n1 --cpu-bind=cores "$@" ./spin "$name.started") >"$T/$name.out" 2>"$T/$name.err" &
  echo $! >"$T/$name.pid"
}
job_of() { cat "$T/work/$1.started" 2>/dev/null; }
job_done() { ! scontrol -o show job "$1" | grep -qE 'JobState=(RUNNING|COMPLETING|PENDING)'; }
end_report() { # end_report NAME: waits for srun, then its status, report and the job's end
  local id
  wait "$(cat "$T/$1.pid")"; echo $? >"$T/$1.rc"
  id=$(job_of "$1")
  [ -n "$id" ] && wait_for 120 job_done "$id"
  { echo "srun status $(rc "$1")"
    grep -o 'task 0: [A-Za-z ]*' "$T/$1.err"
    grep -o 'CANCELLED AT\|DUE TO TIME LIMIT' "$T/$1.err" | sort -u
    [ -n "$id" ] && scontrol -o show job "$id" | grep -o 'JobState=[A-Z_]*\|ExitCode=[0-9:]*'
  } >"$T/$1.end"
}
scancel_step() { # scancel_step NAME: as the user, scancel the step's job
  runuser -u "$TEST_USER" -- scancel "$(job_of "$1")"
}
ctrl_c_step() { # ctrl_c_step NAME: what a terminal's Ctrl-C does to srun
  # SIGINT; a second one within a second aborts the step. This step's srun is the child of
  # runuser, the child of timeout (srun forks a helper too).
  local srun_pid
  srun_pid=$(pgrep -x srun -P "$(pgrep -P "$(cat "$T/$1.pid")")")
  kill -INT "$srun_pid"; sleep 0.3; kill -INT "$srun_pid"
}
stopped_run() { # stopped_run NAME HOW SRUN_ARGS...: HOW NAME (scancel_step, ctrl_c_step) once the program runs
  local name=$1 how=$2; shift 2
  start_step "$name" "$@"
  if wait_for 300 test -s "$T/work/$name.started"; then
    huge_free >"$T/$name.huge"
    "$how" "$name"
  else
    diag "$name never ran:"; show "$T/$name.err"
    scancel -u "$TEST_USER"
  fi
  end_report "$name"
}
timed_out_run() { # timed_out_run NAME SRUN_ARGS...: a one-minute limit ends it
  start_step "$@" -t 1
  ! wait_for 300 test -s "$T/work/$1.started" || huge_free >"$T/$1.huge"
  end_report "$1"
}
same_end() { # same_end NAME NATIVE
  cmp -s "$T/$1.end" "$T/$2.end" ||
    { diag "$1 ended unlike $2:"; show "$T/$1.end"; show "$T/$2.end"; show "$T/$1.err"; false; }
}
# After a double Ctrl-C srun sends SIGINT to the task and cancels the step (SIGKILL) at
# once: which ends the task first is a race, which a task that cleans up (hvmm tearing its
# VM down, or the stand-in's trap) can lose on a loaded host where a native program dying
# of SIGINT does not. So srun's status may be 130 or 137, the job's end must be the same.
job_end() { grep 'JobState=\|ExitCode=' "$T/$1.end"; }
same_interrupted_end() { # same_interrupted_end NAME NATIVE
  grep -qx 'srun status 13[07]' "$T/$1.end" && [ "$(job_end "$1")" = "$(job_end "$2")" ] ||
    { diag "$1 ended unlike $2:"; show "$T/$1.end"; show "$T/$2.end"; show "$T/$1.err"; false; }
}
node_idle() { sinfo -h -n "$CLUSTER_NODE" -o %t | grep -qx idle; }
hvmm_gone() { local p; p=$(basename "$(last_probe)"); ! kill -0 "$p" 2>/dev/null; }
huge_free() { awk '/^HugePages_Free/ {print $2}' /proc/meminfo; }
freed() { # freed [HUGEPAGES_FREE]: hvmm gone, the node idle, as many free hugepages as before
  wait_for 60 hvmm_gone && wait_for 60 node_idle && { [ -z "${1-}" ] || [ "$(huge_free)" = "$1" ]; }
}

stopped_run native_cancel scancel_step
check "native: scancel ends the step (Terminated, CANCELLED, signal 15)" \
  bash -c "grep -qx 'task 0: Terminated' $T/native_cancel.end && grep -qx 'JobState=CANCELLED' $T/native_cancel.end" ||
  { show "$T/native_cancel.end"; show "$T/native_cancel.err"; }
DSV_TEST_HVMM=hvmm-root stopped_run standin_cancel scancel_step --dsv-hpc
check "--dsv-hpc, hvmm still root: scancel ends the step as the native one" \
  same_end standin_cancel native_cancel
check "... and hvmm is gone, the CPU free" freed
timed_out_run native_limit
check "native: a time limit ends the step (Terminated, TIMEOUT)" \
  bash -c "grep -qx 'DUE TO TIME LIMIT' $T/native_limit.end && grep -qx 'JobState=TIMEOUT' $T/native_limit.end" ||
  { show "$T/native_limit.end"; show "$T/native_limit.err"; }
stopped_run native_int ctrl_c_step
interrupted() { [ "$(rc "$1")" != 0 ] && ! grep -qx 'JobState=RUNNING' "$T/$1.end"; }
check "native: Ctrl-C twice on srun ends the step (srun fails, the job is over)" \
  interrupted native_int || { show "$T/native_int.end"; show "$T/native_int.err"; }
DSV_TEST_HVMM=hvmm-root stopped_run standin_int ctrl_c_step --dsv-hpc
check "--dsv-hpc, hvmm still root: Ctrl-C on srun ends the step as the native one" \
  same_interrupted_end standin_int native_int
check "... and hvmm is gone, the CPU free" freed
if [ "$HAVE_KVM" = 1 ]; then
  # The stopped VMs take their 128 MiB from 64 hugepages this test reserves (hugepages=on:
  # from nowhere else), so that "the hugepages are free again" is about pages they held.
  NR=/proc/sys/vm/nr_hugepages NR_BEFORE=$(cat /proc/sys/vm/nr_hugepages)
  trap 'echo "$NR_BEFORE" >$NR; cluster_stop; rm -rf "$T"' EXIT
  echo $((NR_BEFORE + 64)) >$NR
  HPC=--dsv-hpc=mem=128M,hugepages=on HUGE=$(huge_free)
  held() { # held NAME: while NAME's VM ran, its 64 pages were taken from the free ones
    [ "$(cat "$T/$1.huge" 2>/dev/null)" -le $((HUGE - 64)) ] ||
      { diag "free hugepages while $1 ran: $(cat "$T/$1.huge" 2>/dev/null), before: $HUGE"; false; }
  }
  held_then_freed() { held "$1" && freed "$HUGE"; }
  if [ "$(cat $NR)" -lt $((NR_BEFORE + 64)) ]; then
    diag "cannot reserve 64 more hugepages ($(cat $NR) of $((NR_BEFORE + 64))): the VMs run without"
    HPC=--dsv-hpc
    held() { true; }
  fi
  stopped_run hpc_cancel scancel_step "$HPC"
  check "--dsv-hpc: scancel ends the VM's step as the native one" same_end hpc_cancel native_cancel
  check "... the VM held its hugepages, and then hvmm is gone, the CPU and the hugepages free" \
    held_then_freed hpc_cancel
  timed_out_run hpc_limit "$HPC"
  check "--dsv-hpc: a time limit ends the VM's step as the native one" same_end hpc_limit native_limit
  check "... the VM held its hugepages, and then hvmm is gone, the CPU and the hugepages free" \
    held_then_freed hpc_limit
  stopped_run hpc_int ctrl_c_step "$HPC"
  check "--dsv-hpc: Ctrl-C on srun ends the VM's step as the native one" \
    same_interrupted_end hpc_int native_int
  check "... the VM held its hugepages, and then hvmm is gone, the CPU and the hugepages free" \
    held_then_freed hpc_int
else
  DSV_TEST_HVMM=hvmm-root timed_out_run standin_limit --dsv-hpc
  check "--dsv-hpc, hvmm still root: a time limit ends the step as the native one" \
    same_end standin_limit native_limit
  skip "--dsv-hpc: scancel ends the VM's step as the native one" "$KVM_WHY"
  skip "... the VM held its hugepages, and then hvmm is gone, the CPU and the hugepages free" "$KVM_WHY"
  skip "--dsv-hpc: a time limit ends the VM's step as the native one" "$KVM_WHY"
  skip "... the VM held its hugepages, and then hvmm is gone, the CPU and the hugepages free" "$KVM_WHY"
  skip "--dsv-hpc: Ctrl-C on srun ends the VM's step as the native one" "$KVM_WHY"
  skip "... the VM held its hugepages, and then hvmm is gone, the CPU and the hugepages free" "$KVM_WHY"
fi
finish
