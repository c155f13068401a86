#!/usr/bin/env bash
# Live repartition on this machine (cgroup v1): the HPC hugepage pool grows and shrinks
# (nr_hugepages, the hugetlbfs remounted at the new size); then, while a commodity VM runs
# under libvirt, a memory change is refused (its QEMU's mount namespace holds a copy of the
# hugetlbfs, which keeps the reservation) and, with 3 CPUs or more, a CPU moves from the HPC
# partition to the commodity one and back: the cpusets, the IRQs and the VM's live
# vcpupin/emulatorpin follow, and the VM keeps running. Release restores every value as it
# was before the first apply.
. "$TEST_LIB"
need_root
need_free_node

CS=/sys/fs/cgroup/cpuset
[ -f $CS/cpuset.cpus ] || skip_all "this test checks the cgroup v1 layout"
[ -f "$PVH_GUEST" ] || skip_all "the PVH test guest is not built"
command -v libvirtd >/dev/null || skip_all "libvirtd is not installed"
need_hpc_cpu # HPC: the last CPU; ncpu
HUGE=/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages
[ -f $HUGE ] || HUGE=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
"$START_SERVICES" >"$WORK/services.log" 2>&1 || { sed 's/^/# /' "$WORK/services.log"; skip_all "libvirtd could not be started"; }

# with 3 CPUs or more the HPC partition starts as the last two and gives one back
if [ "$ncpu" -ge 3 ]; then FIRST=$((HPC - 1)); HPC_CPUS=$FIRST-$HPC; else FIRST=$HPC; HPC_CPUS=$HPC; fi
LAST_COMMODITY=$((FIRST - 1))
range() { [ "$1" -eq "$2" ] && echo "$1" || echo "$1-$2"; }

snapshot > "$WORK/before"
pages_before=$(cat $HUGE)
start_dsvd || { not_ok "dsvd starts"; finish; exit; }
"$DSV" node partition --hpc-cpus $HPC_CPUS --housekeeping-cpus 0 --hpc-mem 16M >/dev/null
check "partition applied (HPC $HPC_CPUS, 16 MiB)" [ $? -eq 0 ]
snapshot > "$WORK/applied"
# the memory: grow, then shrink below the first size (/proc/mounts gives sizes in bytes)
"$DSV" node repartition --hpc-mem 32M >/dev/null 2>"$WORK/err"
check "growing the HPC memory to 32 MiB: exit 0" [ $? -eq 0 ] || show "$WORK/err"
check "16 hugepages reserved" [ "$(cat $HUGE)" -eq $((pages_before + 16)) ]
check "the hugetlbfs is mounted with 32 MiB" grep -q "$STATE/hugepages hugetlbfs .*size=33554432,min_size=33554432" /proc/mounts
"$DSV" node repartition --hpc-mem 8M >/dev/null 2>"$WORK/err"
check "shrinking it to 8 MiB: exit 0" [ $? -eq 0 ] || show "$WORK/err"
check "4 hugepages reserved" [ "$(cat $HUGE)" -eq $((pages_before + 4)) ]
check "the hugetlbfs is mounted with 8 MiB" grep -q "$STATE/hugepages hugetlbfs .*size=8388608,min_size=8388608" /proc/mounts


out=$("$DSV" vm create $PREFIX-c --stack commodity --vcpus 2 --mem 32M --kernel "$PVH_GUEST" 2>&1)
check "a commodity VM starts" [ $? -eq 0 ] || diag "$out"
virsh_q() { virsh -c qemu:///system "$@" 2>/dev/null; }
DOM=dsv-$PREFIX-c
running() { grep -q "^$DOM\$" <(virsh_q list --name); }
check "libvirt runs it" running
# the CPUs of the VM's live pinning: emulatorpin, and each vCPU's
emulator_pin() { virsh_q emulatorpin $DOM --live | sed -n 's/^ *\*: *//p'; }
vcpu_pins() { virsh_q vcpupin $DOM --live | sed -n 's/^ *[0-9][0-9]* *//p' | tr '\n' ' '; }
commodity=$(range 0 $LAST_COMMODITY)
check "its emulator is pinned to the commodity CPUs ($commodity)" [ "$(emulator_pin)" = "$commodity" ] ||
    diag "emulatorpin: $(emulator_pin)"

"$DSV" node repartition --hpc-mem 16M >/dev/null 2>"$WORK/err"
check "with the VM's QEMU holding a copy of the hugetlbfs mount, a memory change is refused (exit 4)" \
    [ $? -eq 4 ]
check "... naming the process" grep -q "also mounted in the mount namespace of .*(pid $(cat /run/libvirt/qemu/$DOM.pid 2>/dev/null))" "$WORK/err" ||
    show "$WORK/err"
check "the hugetlbfs keeps its 8 MiB" grep -q "$STATE/hugepages hugetlbfs .*size=8388608,min_size=8388608" /proc/mounts
check "the commodity VM still runs" running

if [ "$ncpu" -ge 3 ]; then
    snapshot > "$WORK/pre-dry"
    out=$("$DSV" node repartition --hpc-cpus $HPC --dry-run 2>&1)
    check "dry run of giving CPU $FIRST back: exit 0" [ $? -eq 0 ] || diag "$out"
    check "it shows the HPC cpuset shrinking" grep -Eq "set cpuset dsv-hpc +$HPC_CPUS -> $HPC" <<<"$out" ||
        diag "$out"
    check "the dry run changed nothing" diff "$WORK/pre-dry" <(snapshot)
    "$DSV" node repartition --hpc-cpus $HPC >/dev/null 2>"$WORK/err"
    check "CPU $FIRST leaves the HPC partition: exit 0" [ $? -eq 0 ] || show "$WORK/err"
    wide=$(range 0 $FIRST)
    check "HPC cpuset is CPU $HPC" [ "$(cat $CS/dsv-hpc/cpuset.cpus)" = "$HPC" ]
    check "commodity cpuset is $wide" [ "$(cat $CS/dsv-commodity/cpuset.cpus)" = "$wide" ]
    check "libvirt's machine cpuset holds CPU $FIRST" \
        grep -Eq "(^|,)([0-9]+-)?$FIRST(,|$)|-$HPC" $CS/machine/cpuset.cpus
    check "the VM's emulator is pinned to $wide" [ "$(emulator_pin)" = "$wide" ] ||
        diag "emulatorpin: $(emulator_pin)"
    on_first=0
    for f in /proc/irq/*/smp_affinity_list; do
        grep -Eq "(^|,)$FIRST(,|-|$)|-$FIRST" "$f" && on_first=$((on_first + 1))
    done
    check "IRQs may run on CPU $FIRST again ($on_first do)" [ "$on_first" -gt 0 ]
    check "the commodity VM still runs" running

    "$DSV" node repartition --hpc-cpus $HPC_CPUS >/dev/null 2>"$WORK/err"
    check "CPU $FIRST goes back to the HPC partition: exit 0" [ $? -eq 0 ] || show "$WORK/err"
    check "HPC cpuset is $HPC_CPUS again" [ "$(cat $CS/dsv-hpc/cpuset.cpus)" = "$HPC_CPUS" ]
    check "the VM's emulator is pinned to $commodity" [ "$(emulator_pin)" = "$commodity" ]
    pins_within() {
        local c
        for c in $(vcpu_pins | tr ',-' '  '); do [ "$c" -le "$LAST_COMMODITY" ] || return 1; done
    }
    check "every vCPU is pinned within $commodity ($(vcpu_pins))" pins_within
    check "the cpusets, IRQs and masks are as the first apply left them" \
        diff <(grep -v nr_hugepages "$WORK/applied") <(snapshot | grep -v nr_hugepages)
    check "the commodity VM still runs" running
else
    skip "moving a CPU between the partitions" "needs 3 CPUs (HPC, housekeeping, one to move); $ncpu here"
fi

"$DSV" vm delete $PREFIX-c >/dev/null
check "VM deleted" [ $? -eq 0 ]
"$DSV" node release >/dev/null 2>"$WORK/err"
check "dsv node release exits 0" [ $? -eq 0 ] || show "$WORK/err"
check "every touched value is restored as before the first apply" same_as_before
stop_dsvd TERM && ok "dsvd stops cleanly"
finish
