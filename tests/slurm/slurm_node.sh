#!/usr/bin/env bash
# The SPANK plugin under a real one-node Slurm (munged, slurmctld, slurmd started here, no
# systemd), jobs submitted as an unprivileged user this script creates (TAP).
# Without KVM hvmm cannot run a guest: the --dsv-hpc steps must then reach hvmm with the
# task's argv, user, cgroup, CPUs and environment and fail exactly as hvmm does (125,
# "cannot open /dev/kvm"); with KVM their output and status must equal the native run's.
# usage: slurm_node.sh HVMM PLUGIN_SO PROGRAM (a static program: tests/progs/hello.c)
set -u
HVMM=$(readlink -f "$1") PLUGIN=$(readlink -f "$2") PROG=$(readlink -f "$3")
HERE=$(dirname "$0")
. "$HERE/../lib/tap.sh"
. "$HERE/../lib/hvmm_test_user.sh"
. "$HERE/../lib/kvm.sh"
. "$HERE/cluster.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (starts slurmd and creates a user)"
for c in munged slurmctld slurmd srun sbatch; do
  command -v "$c" >/dev/null || skip_all "$c is missing (scripts/install-deps.sh installs Slurm)"
done
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

# hvmm as the plugin runs it, seen from inside: who runs it, its argv, cgroups, CPUs, and
# two task variables; then the real hvmm.
cat >"$T/bin/hvmm-probe" <<PROBE
#!/bin/sh
{ echo "uid \$(id -u)"; printf 'arg %s\n' "\$@"; sed 's/^/cgroup /' /proc/self/cgroup
  echo "procid \${SLURM_PROCID-unset} step \${SLURM_STEP_ID-unset}"; } >"$T/probe/\$\$"
exec "$HVMM" "\$@"
PROBE
chmod 755 "$T/bin/hvmm-probe"
STATE=$T/state/partition.json
partition() { # partition HPC_CPUS: dsvd's state file with that HPC partition
  printf '{"active": true, "applying": false, "spec": {"hpc_cpus": "%s"}}\n' "$1" >"$STATE"
}

cluster_start "$T/cluster" "$PLUGIN" "hvmm=$T/bin/hvmm-probe partition_state=$STATE" ||
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

# 1-2: the native runs every comparison below refers to.
as_user native srun -n1 --cpu-bind=cores ./hello a "b c"
check "native srun runs the program as the user" \
  bash -c "[ \"\$(cat $T/native.rc)\" = 0 ] && grep -qx 'argv\[2\] = b c' $T/native.out" ||
  { show "$T/native.err"; show "$T/cluster/log/slurmd-$CLUSTER_NODE.log"; }
as_user native_fail srun -n1 --cpu-bind=cores ./hello x
check "a native program's status is the step's (3)" [ "$(rc native_fail)" = 3 ]

# 3-8: srun --dsv-hpc reaches hvmm with the task's user, CPUs, share, cgroup, environment.
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
           diff <(sed 's|/job_[0-9]*/|/job_N/|' $T/native_cg.out | sort) <(grep '^cgroup ' $P | sed -e 's/^cgroup //' -e 's|/job_[0-9]*/|/job_N/|' | sort)" ||
  { show "$P"; show "$T/native_cg.out"; }
check "hvmm gets the task's environment" has "${P#$T/}" "procid 0 step 0"
if [ "$HAVE_KVM" = 1 ]; then
  check "srun --dsv-hpc: output and status as native" same_as_native hpc native
else
  check "srun --dsv-hpc without KVM: the step fails as hvmm does (125, /dev/kvm)" kvm_failure hpc
fi

# 9-10: a failing program fails the step the same way.
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

# 11-12: a CPU outside the HPC partition is refused, with the reason in the job's stderr.
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

# 13-14: bad options are refused by srun at submission, quickly, naming the problem.
as_user badmem srun -n1 --dsv-hpc=mem=3M ./hello
check "--dsv-hpc=mem=3M is refused at submission" \
  bash -c "[ \"\$(cat $T/badmem.rc)\" != 0 ] && [ \"\$(cat $T/badmem.rc)\" != 124 ]" &&
  has badmem.err "mem='3M': expected a size in whole MiB"
as_user badkey srun -n1 --dsv-hpc=cpus=4 ./hello
check "an unknown --dsv-hpc option is refused at submission" \
  bash -c "[ \"\$(cat $T/badkey.rc)\" != 0 ] && [ \"\$(cat $T/badkey.rc)\" != 124 ]" &&
  has badkey.err "unknown option 'cpus'"

# 15: the other form, hvmm on the command line (as the user, no plugin involved).
as_user direct srun -n1 --cpu-bind=cores "$HVMM" run --cpus $CPU -- ./hello a "b c"
if [ "$HAVE_KVM" = 1 ]; then
  check "srun hvmm run -- PROGRAM: output and status as native" same_as_native direct native
else
  check "srun hvmm run -- PROGRAM without KVM: hvmm's own failure (125, /dev/kvm)" kvm_failure direct
fi

# 16-17: sbatch, a batch script calling srun --dsv-hpc, output in a file the user owns.
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
finish
