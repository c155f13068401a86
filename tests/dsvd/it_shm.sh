#!/usr/bin/env bash
# shm_group with real guests (hvmm + lwk, busybox): a file one VM writes into /dev/shm is
# there for a later VM of the same group, also after the first VM ended; a VM of another
# group, or another user's VM naming the same group, does not see it; another user's VM
# writes into its own group's /dev/shm (hvmm opens the directory with that user's rights).
# With two HPC CPUs also a writer and a reader in two VMs of one group exchange data through
# a MAP_SHARED /dev/shm file, as two native processes do (tests/lwk/progs/shm_share.c).
. "$TEST_LIB"
need_root
need_free_node
need_kvm
[ -x "$HVMM" ] || skip_all "hvmm is not built"
[ -f "${LWK_ELF:-}" ] || skip_all "the lwk is not built"
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || skip_all "needs a static /bin/busybox"
[ -f /sys/fs/cgroup/cpuset/cpuset.cpus ] || skip_all "needs the cgroup v1 cpuset hierarchy"
command -v setpriv >/dev/null || skip_all "needs setpriv (util-linux)"
need_hpc_cpu
HPC_CPUS=$HPC
[ "$ncpu" -ge 3 ] && HPC_CPUS=1-$HPC # the pair needs two

NOBODY=65534
NOGROUP=$(getent group nogroup >/dev/null && echo nogroup || echo nobody)
NGID=$(getent group "$NOGROUP" | cut -d: -f3)
chmod 0711 "$WORK" # the other user reaches the socket and the state directory
start_dsvd --group "$NOGROUP" || { not_ok "dsvd starts"; finish; exit; }
chgrp "$NOGROUP" "$SOCK"
"$DSV" node partition --hpc-cpus $HPC_CPUS --housekeeping-cpus 0 --hpc-mem 256M >/dev/null
check "partition applied (HPC CPUs $HPC_CPUS)" [ $? -eq 0 ]

# run NAME GROUP ARGS...: a busybox VM of GROUP as root, waited for; sets rc, console in $WORK/NAME
run() {
    local name=$1 group=$2; shift 2
    "$DSV" vm create $PREFIX-$name --stack hpc --mem 128M --shm-group "$group" -- /bin/busybox "$@" >/dev/null
    "$DSV" vm wait $PREFIX-$name 2>/dev/null
    rc=$?
    "$DSV" vm console $PREFIX-$name > "$WORK/$name"
}
run w job1 sh -c 'echo written-by-w > /dev/shm/note'
check "VM w writes /dev/shm/note (exit 0)" [ $rc -eq 0 ] || show "$WORK/w"
run r job1 cat /dev/shm/note
check "VM r of the same group, started after w ended, reads it" \
    bash -c "[ $rc -eq 0 ] && grep -qx written-by-w '$WORK/r'" || { diag "exit $rc"; show "$WORK/r"; }
run o job2 cat /dev/shm/note
check "a VM of another group does not see it" \
    bash -c "[ $rc -eq 1 ] && grep -q 'No such file' '$WORK/o'" || { diag "exit $rc"; show "$WORK/o"; }

# another user's job1: hvmm drops to the user, who owns (only) its own directory
ucreate() { # NAME ARGS...
    local name=$1; shift
    local prog=() a
    for a in "$@"; do prog+=("\"$a\""); done
    local IFS=,
    setpriv --reuid=$NOBODY --regid="$NGID" --clear-groups curl -s -o "$WORK/ubody" \
        -w '%{http_code}' --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
        --data-binary "{\"name\":\"$PREFIX-$name\",\"stack\":\"hpc\",\"mem_mib\":128,\"shm_group\":\"job1\",\"program\":[\"/bin/busybox\",${prog[*]}]}" \
        http://localhost/v1/vms > "$WORK/ustatus"
    "$DSV" vm wait $PREFIX-$name 2>/dev/null
    rc=$?
    "$DSV" vm console $PREFIX-$name > "$WORK/$name"
}
ucreate u1 cat /dev/shm/note
check "another user's VM naming job1 does not see root's job1" \
    bash -c "[ $rc -eq 1 ] && grep -q 'No such file' '$WORK/u1'" ||
    { diag "create $(cat "$WORK/ustatus"): $(cat "$WORK/ubody")"; diag "exit $rc"; show "$WORK/u1"; }
ucreate u2 sh -c 'echo by-nobody > /dev/shm/mine'
check "the user's VM writes into its own group's /dev/shm" [ $rc -eq 0 ] || show "$WORK/u2"
UDIR=$STATE/shm/$NOBODY.job1
check "... a file of the user's in the user's directory" \
    [ "$(stat -c %u "$UDIR/mine" 2>/dev/null)/$(cat "$UDIR/mine" 2>/dev/null)" = "$NOBODY/by-nobody" ] ||
    ls -la "$STATE/shm" "$UDIR" 2>&1 | sed 's/^/#   /'

# the pair: shared pages, not only shared files
SHM_PROG=${SHM_SHARE:-}
if [ "$ncpu" -lt 3 ]; then
    skip "writer and reader in two VMs of one group" "needs two HPC CPUs (3 CPUs), this host has $ncpu"
elif [ ! -x "$SHM_PROG" ]; then
    skip "writer and reader in two VMs of one group" "shm_share is not built"
else
    mkdir "$WORK/native-shm"
    (cd "$WORK" && timeout 60 "$SHM_PROG" reader pair "$WORK/native-shm" > "$WORK/native.r" 2>&1) &
    nr=$!
    (cd "$WORK" && timeout 60 "$SHM_PROG" writer pair "$WORK/native-shm" > "$WORK/native.w" 2>&1)
    nw=$?; wait $nr; native_rc="$nw $?"
    "$DSV" vm create $PREFIX-pr --stack hpc --mem 128M --shm-group pair -- "$SHM_PROG" reader pair >/dev/null
    "$DSV" vm create $PREFIX-pw --stack hpc --mem 128M --shm-group pair -- "$SHM_PROG" writer pair >/dev/null
    "$DSV" vm wait $PREFIX-pw 2>/dev/null; vw=$?
    "$DSV" vm wait $PREFIX-pr 2>/dev/null; vr=$?
    "$DSV" vm console $PREFIX-pr > "$WORK/vm.r"
    "$DSV" vm console $PREFIX-pw > "$WORK/vm.w"
    # the console holds hvmm's own lines too: each of the program's native lines must be there
    has_lines() { local l; while IFS= read -r l; do grep -qxF -- "$l" "$2" || return 1; done < "$1"; }
    check "writer and reader in two VMs of one group: output and status as natively" \
        bash -c "[ '$native_rc' = '0 0' ] && [ '$vw $vr' = '0 0' ]" && has_lines "$WORK/native.r" "$WORK/vm.r" &&
        has_lines "$WORK/native.w" "$WORK/vm.w" && grep -q "reader answered right" "$WORK/vm.w" ||
        { diag "native $native_rc, VMs $vw $vr"; show "$WORK/vm.r"; show "$WORK/vm.w"; show "$WORK/native.r"; show "$WORK/native.w"; }
    "$DSV" vm delete $PREFIX-pr >/dev/null; "$DSV" vm delete $PREFIX-pw >/dev/null
fi

for v in w r o u1 u2; do "$DSV" vm delete $PREFIX-$v >/dev/null; done
check "deleting the groups' VMs removes every group directory" [ -z "$(ls -A "$STATE/shm")" ] ||
    ls -la "$STATE/shm" | sed 's/^/#   /'
"$DSV" node release >/dev/null
check "partition released" [ $? -eq 0 ]
stop_dsvd TERM && ok "dsvd stops cleanly"
finish
