# A private Slurm cluster for the tests: munged, slurmctld and slurmd started by hand (no
# systemd) with their own key, ports, spool, state and logs under one directory.
# Usage: source it, then cluster_start DIR PLUGIN_SO PARTITION_STATE; cluster_stop at the end
# (the caller's EXIT trap). Sets SLURM_CONF for srun/sbatch/scontrol. Needs root and two
# CPUs: CPU 0 is kept from jobs (CpuSpecList=0, as for dsv's housekeeping CPU), so a
# one-CPU step runs on CPU 1.
# Several nodes: set CLUSTER_NODES (names), CLUSTER_NODE_LINES (their NodeName lines) and
# CLUSTER_CTLD_ADDR (where the nodes reach slurmctld), call cluster_setup, start each slurmd
# with cluster_slurmd NAME [WRAPPER...] and wait with cluster_wait_idle.
CLUSTER_PORT_CTLD=${CLUSTER_PORT_CTLD:-26817}
CLUSTER_PORT_SLURMD=${CLUSTER_PORT_SLURMD:-26818}
CLUSTER_NODE=dsvnode1
CLUSTER_NODES=${CLUSTER_NODES:-$CLUSTER_NODE}
CLUSTER_CTLD_ADDR=${CLUSTER_CTLD_ADDR:-127.0.0.1}
_cluster_pids=()

# cluster_private_ns "$0" "$@" (first thing in a script, as root): re-runs the script in
# a network namespace of its own (loopback up: the nested KVM guest brings up none; the
# cluster's ports and any bridge stay the test's and vanish with it) and a private mount
# namespace whose /etc/hosts also names this host. Slurm's daemons, srun and munged look the
# host's name up again and again; where only DNS knows it, or nothing does (the nested KVM
# guest, named nested-kvm, with no network), each lookup waits for the resolver's timeout.
# 127.0.1.1 on lo besides 127.0.0.1: Slurm asks getaddrinfo for AI_ADDRCONFIG, which finds no
# IPv4 where 127.0.0.1 is the only address. CLUSTER_HOSTS_EXTRA: more lines for /etc/hosts.
cluster_private_ns() {
  [ "$(id -u)" = 0 ] && [ -z "${_CLUSTER_HOSTS-}" ] || return 0
  export _CLUSTER_HOSTS=$(mktemp /tmp/dsv-slurm-hosts.XXXXXX)
  { cat /etc/hosts; echo "127.0.1.1 $(hostname) $(hostname -s)"
    [ -z "${CLUSTER_HOSTS_EXTRA-}" ] || echo "$CLUSTER_HOSTS_EXTRA"; } >"$_CLUSTER_HOSTS"
  chmod 644 "$_CLUSTER_HOSTS"
  unshare -m -n --propagation private -- sh -c \
    'ip link set lo up && ip addr add 127.0.1.1/8 dev lo &&
     mount --bind "$_CLUSTER_HOSTS" /etc/hosts && exec "$@"' sh "$@"
  local rc=$?
  rm -f "$_CLUSTER_HOSTS"
  exit "$rc"
}

# A dsvd partition applied on this host (another test's, or a real one) holds CPUs in an
# exclusive cpuset, beside which Slurm cannot make its own: prints it, or nothing.
cluster_host_busy() {
  [ "${CLUSTER_CGROUP:-1}" = 0 ] || ls -d /sys/fs/cgroup/cpuset/dsv-* 2>/dev/null | head -1
}

# cluster_start DIR PLUGIN_SO PLUGIN_ARGS: one node; writes the configuration and starts the
# daemons; returns 1 (with the logs on stderr) when the node does not come up.
cluster_start() {
  cluster_setup "$@" && cluster_slurmd "$CLUSTER_NODE" && cluster_wait_idle
}

# cluster_setup DIR PLUGIN_SO PLUGIN_ARGS: the configuration, munged and slurmctld.
cluster_setup() {
  local d=$1 plugin=$2 pargs=$3 cpus nodes
  CLUSTER_DIR=$d
  mkdir -p "$d/etc" "$d/munge" "$d/ctld" "$d/spool" "$d/log" "$d/run"
  chmod 755 "$d/munge" # the socket is for every user; the key stays root's (400)
  dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$d/munge/munge.key"
  munged --force --key-file="$d/munge/munge.key" --socket="$d/munge/munge.sock" \
    --pid-file="$d/munge/munged.pid" --log-file="$d/log/munged.log" \
    --seed-file="$d/munge/seed" || return 1
  _cluster_pids+=("$(cat "$d/munge/munged.pid")")
  cpus=$(nproc --all)
  nodes=$(echo $CLUSTER_NODES | tr ' ' ,)
  # CLUSTER_CGROUP=0: no cgroups (debugging the harness without the host lock).
  local proctrack=proctrack/cgroup taskplugin=task/cgroup,task/affinity
  if [ "${CLUSTER_CGROUP:-1}" = 0 ]; then
    proctrack=proctrack/linuxproc taskplugin=task/affinity
  fi
  cat >"$d/etc/slurm.conf" <<CONF
ClusterName=dsvtest
SlurmctldHost=$(hostname -s)($CLUSTER_CTLD_ADDR)
SlurmctldPort=$CLUSTER_PORT_CTLD
SlurmdPort=$CLUSTER_PORT_SLURMD
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$d/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$d/ctld
SlurmdSpoolDir=$d/spool/%n
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd-%n.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=debug
ProctrackType=$proctrack
TaskPlugin=$taskplugin
PlugStackConfig=$d/etc/plugstack.conf
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
# 30 s: a task still there 30 s after SIGTERM lost it (srun then reports "Killed")
KillWait=30
# emulated hosts (the nested KVM guest) answer slowly: the 10 s default failed a launch there
MessageTimeout=60
InactiveLimit=0
MinJobAge=60
JobCompType=jobcomp/none
# as MPI sites do: a task locks memory under slurmd's limit (unlimited, below), not srun's
PropagateResourceLimitsExcept=MEMLOCK
AccountingStorageType=accounting_storage/none
${CLUSTER_NODE_LINES:-NodeName=$CLUSTER_NODE NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=$cpus CpuSpecList=0 RealMemory=256 State=UNKNOWN}
PartitionName=debug Nodes=$nodes Default=YES MaxTime=10 State=UP
CONF
  cat >"$d/etc/cgroup.conf" <<CONF
CgroupPlugin=cgroup/v1
ConstrainCores=yes
ConstrainRAMSpace=no
ConstrainDevices=no
CONF
  if [ -n "$plugin" ]; then echo "required $plugin $pargs"; fi >"$d/etc/plugstack.conf"
  export SLURM_CONF=$d/etc/slurm.conf
  slurmctld -D -i -f "$SLURM_CONF" >"$d/log/slurmctld.out" 2>&1 &
  _cluster_pids+=($!)
}

# cluster_slurmd NAME [WRAPPER...]: starts node NAME's slurmd, through WRAPPER (which must
# exec it, so that its pid is slurmd's) when given. Its locked-memory limit is unlimited
# where root may raise it (not in some containers): what `srun hvmm run` needs for the
# guest's RAM, as a site's slurmd unit has it (LimitMEMLOCK=infinity).
cluster_slurmd() {
  local name=$1; shift
  (ulimit -l unlimited 2>/dev/null
   [ $# = 0 ] || "$@" slurmd -D -N "$name" -f "$SLURM_CONF" # a wrapper function execs
   exec slurmd -D -N "$name" -f "$SLURM_CONF") >"$CLUSTER_DIR/log/slurmd-$name.out" 2>&1 &
  _cluster_pids+=($!)
}

# cluster_wait_idle: every node idle (the bound only ends a hang), or 1 with the logs.
cluster_wait_idle() {
  local n end=$((SECONDS + 90))
  while [ "$SECONDS" -lt "$end" ]; do
    n=$(sinfo -h -n "$(echo $CLUSTER_NODES | tr ' ' ,)" -o '%n %t' 2>/dev/null | grep -c ' idle$')
    [ "$n" = "$(echo $CLUSTER_NODES | wc -w)" ] && return 0
    sleep 0.5
  done
  echo "cluster: nodes $CLUSTER_NODES did not all come up" >&2
  sinfo -N >&2
  tail -n 30 "$CLUSTER_DIR"/log/*.log "$CLUSTER_DIR"/log/*.out >&2
  return 1
}

# Stops what cluster_start started (also the job steps slurmd left) and removes the
# cgroups Slurm made; the caller removes the directory.
cluster_stop() {
  local pid n
  for pid in "${_cluster_pids[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${_cluster_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  _cluster_pids=()
  pkill_steps
  # Slurm 22.05 names its cgroup v1 root slurm_NODENAME.
  for n in $CLUSTER_NODES; do
    find /sys/fs/cgroup/*/"slurm_$n" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  true
}

# Job processes and slurmstepd processes of this cluster (the steps hold files under
# $CLUSTER_DIR open; the tasks are in Slurm's cgroups).
pkill_steps() {
  local pid n
  for pid in $(pgrep -x slurmstepd); do
    ls -l "/proc/$pid/fd" 2>/dev/null | grep -qF "$CLUSTER_DIR" && kill -9 "$pid"
  done
  for n in $CLUSTER_NODES; do
    cat /sys/fs/cgroup/freezer/"slurm_$n"/*/*/*/cgroup.procs \
        /sys/fs/cgroup/freezer/"slurm_$n"/*/*/*/*/cgroup.procs 2>/dev/null |
      xargs -r kill -9 2>/dev/null
  done
  true
}
