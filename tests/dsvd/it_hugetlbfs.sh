#!/usr/bin/env bash
# The HPC partition's hugepages are its own: dsvd mounts a
# private hugetlbfs with min_size= the partition, HugePages_Rsvd rises by as much, an outside
# process's MAP_HUGETLB cannot take those pages, an HPC VM runs from the mount, and release
# (also after a dsvd crash, and after a failed apply) unmounts and restores nr_hugepages.
# Reserves only what it adds to nr_hugepages itself (16 MiB), and puts nr_hugepages back.
. "$TEST_LIB"
need_root
need_free_node

need_hpc_vm_host
grep -qw hugetlbfs /proc/filesystems || skip_all "no hugetlbfs in this kernel"
need_hpc_cpu
NR=/proc/sys/vm/nr_hugepages
MNT=$STATE/hugepages
NR_HUGEPAGES_BEFORE=$(cat $NR) # lib.sh's cleanup puts it back if dsvd could not

meminfo() { sed -n "s/^$1: *\([0-9]*\).*/\1/p" /proc/meminfo; }
mounted() { grep -q " $MNT hugetlbfs " /proc/mounts; }
# free pages that are not reserved: what an outside process can still have
unreserved() { echo $(( $(meminfo HugePages_Free) - $(meminfo HugePages_Rsvd) )); }
mount_free() { stat -f -c %f "$MNT"; }

snapshot > "$WORK/before"
rsvd_before=$(meminfo HugePages_Rsvd)
start_dsvd || { not_ok "dsvd starts"; finish; exit; }
out=$("$DSV" node partition --hpc-cpus $HPC --housekeeping-cpus 0 --hpc-mem 16M 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q 'could reserve only\|hpc_mem_mib' <<<"$out"; then
    diag "$out"; skip_all "this host cannot add 8 hugepages now"
fi
check "partition with 16 MiB of HPC memory applied" [ $rc -eq 0 ] || diag "$out"

# 2-5: the mount, its reservation
check "a hugetlbfs is mounted at STATE/hugepages" mounted
opts=$(awk -v m="$MNT" '$2 == m {print $4}' /proc/mounts)
check "with min_size and size of 16 MiB, 2 MiB pages ($opts)" \
    grep -q 'pagesize=2M,size=16777216,min_size=16777216' <<<"$opts"
check "the mount point is root's only (0700)" [ "$(stat -c %a "$MNT")" = 700 ]
rsvd=$(meminfo HugePages_Rsvd)
check "HugePages_Rsvd rose by 8 ($rsvd_before -> $rsvd)" [ "$rsvd" -eq $((rsvd_before + 8)) ]
check "the state file records the mount" grep -q '"mounted": true' "$STATE/partition.json"

# 7: an outside process asks for one page more than is unreserved. Without the mount's
# reservation the 8 pages of the partition would be free for it; now it is refused.
avail=$(unreserved)
free_now=$(meminfo HugePages_Free)
check "the partition's pages are physically free ($free_now free, $avail unreserved)" \
    [ "$free_now" -ge $((avail + 8)) ]
out=$("$HUGETLB_GRAB" $((avail + 1))); rc=$?
check "an outside MAP_HUGETLB of $((avail + 1)) pages is refused (ENOMEM)" \
    bash -c "[ $rc -eq 3 ] && grep -q 'Cannot allocate memory' <<<'$out'" || diag "$out"

# 8-12: an HPC VM takes its memory from the mount
out=$("$DSV" vm create $PREFIX-h1 --stack hpc --mem 8M --kernel "$SPIN" 2>&1); rc=$?
check "an HPC VM of 8 MiB starts" [ $rc -eq 0 ] || diag "$out"
api GET /vms/$PREFIX-h1
pid=$(field pid)
# wait_for: the kernel fills in /proc/PID/cmdline a little after dsvd's create returns
given_mount() { tr '\0' ' ' < /proc/$pid/cmdline | grep -q -- "--hugepages on --hugetlbfs $MNT "; }
check "hvmm was given the partition's hugetlbfs" wait_for 60 given_mount
# wait_for: hvmm maps and populates its RAM after dsvd's exec has returned
check "its guest RAM is a file of the mount" wait_for 60 grep -q " $MNT/" /proc/$pid/maps
four_left() { [ "$(mount_free)" = 4 ]; }
check "the mount has 4 of its 8 pages left" wait_for 60 four_left || diag "$(mount_free) left"
out=$("$HUGETLB_GRAB" $(( $(unreserved) + 1 ))); rc=$?
check "an outside process still cannot take the rest (exit $rc)" [ $rc -eq 3 ] || diag "$out"
"$DSV" vm delete $PREFIX-h1 >/dev/null; rc=$?
check "the VM is deleted and the mount's pages are free again" \
    bash -c "[ $rc -eq 0 ] && [ \"\$(stat -f -c %f '$MNT')\" = 8 ]"

# 14-17: release
out=$("$DSV" node release 2>&1); rc=$?
check "dsv node release exits 0" [ $rc -eq 0 ] || diag "$out"
check "the hugetlbfs is unmounted" bash -c "! grep -q ' $MNT hugetlbfs ' /proc/mounts"
check "and its mount point removed" [ ! -e "$MNT" ]
check "HugePages_Rsvd is back ($(meminfo HugePages_Rsvd))" [ "$(meminfo HugePages_Rsvd)" -eq "$rsvd_before" ]
check "nr_hugepages and every other value restored exactly" same_as_before

# 19-21: a dsvd killed with the partition applied: the next one unmounts on release
"$DSV" node partition --hpc-cpus $HPC --housekeeping-cpus 0 --hpc-mem 16M >/dev/null 2>&1
check "applied again, mounted" mounted
stop_dsvd KILL
start_dsvd || not_ok "dsvd restarts"
check "after a SIGKILL and restart the mount is still there" mounted
"$DSV" node release >/dev/null 2>&1; rc=$?
check "the restarted dsvd releases it: unmounted, values restored" \
    bash -c "[ $rc -eq 0 ] && ! grep -q ' $MNT hugetlbfs ' /proc/mounts" && same_as_before
stop_dsvd TERM

# 22-23: an apply that fails right after the mount is rolled back, mount included
DSV_PARTITION_FAIL_AT=hugetlbfs start_dsvd || not_ok "dsvd restarts"
out=$("$DSV" node partition --hpc-cpus $HPC --housekeeping-cpus 0 --hpc-mem 16M 2>&1); rc=$?
check "a failure after the hugetlbfs step is reported and rolled back" \
    bash -c "[ $rc -eq 1 ] && grep -q \"failed at step 'hugetlbfs'.*rolled back\" <<<\"\$1\"" _ "$out"
check "nothing is mounted and every value is as before" \
    bash -c "! grep -q ' $MNT hugetlbfs ' /proc/mounts" && same_as_before
stop_dsvd TERM
finish
