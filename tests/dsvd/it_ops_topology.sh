#!/usr/bin/env bash
# GET /node reports the whole machine's topology when dsvd (re)starts with the partition
# applied: it then runs in the housekeeping cpuset, which is all hwloc would see by default.
. "$TEST_LIB"
need_root
need_free_node
[ -f /sys/fs/cgroup/cpuset/cpuset.cpus ] || skip_all "needs the cgroup v1 cpuset hierarchy"
need_hpc_cpu

pus_now() { api GET /v1/node; printf '%s' "$BODY" | python3 -c 'import json,sys; t=json.load(sys.stdin)["topology"]; print(t["pus"], t["cores"], len(t["numa_nodes"]))'; }
snapshot > "$WORK/before"
start_dsvd || { not_ok "dsvd starts"; finish; exit; }
whole=$(pus_now)
check "GET /node counts every CPU before the partition" [ "${whole%% *}" = "$ncpu" ] || diag "$whole"
"$DSV" node partition --hpc-cpus $HPC --housekeeping-cpus 0 --hpc-mem 16M >/dev/null
check "partition applied" [ $? -eq 0 ]
stop_dsvd TERM
# this shell was moved into the housekeeping cpuset with every other task: so is the new dsvd
check "the restarted dsvd starts in the housekeeping cpuset" [ "$(cat /proc/self/cpuset)" = /dsv-host ]
start_dsvd || not_ok "dsvd restarts with the partition applied"
check "after the restart GET /node still reports the whole machine" [ "$(pus_now)" = "$whole" ] ||
    diag "got $(pus_now), want $whole"
"$DSV" node release >/dev/null
check "partition released" [ $? -eq 0 ]
check "GET /node still reports the whole machine after the release" [ "$(pus_now)" = "$whole" ]
stop_dsvd TERM
check "the host is as it was" same_as_before
finish
