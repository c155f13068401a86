#!/usr/bin/env bash
# hvmm --hugetlbfs DIR on the real /dev/kvm (TAP): guest RAM from a file in a hugetlbfs mount
# that reserves its pages (min_size=), as dsvd's HPC partition mounts one. The test adds the
# pages it reserves to nr_hugepages itself and puts nr_hugepages back exactly on any exit.
# usage: hvmm_hugetlbfs.sh HVMM PAYLOAD_DIR
set -u
HVMM=$1 P=$2
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/kvm.sh"
need_kvm
[ "$(id -u)" -eq 0 ] || skip_all "needs root (mount, nr_hugepages)"
NR=/proc/sys/vm/nr_hugepages
[ -w $NR ] && [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip_all "no 2 MiB hugepages"
grep -qw hugetlbfs /proc/filesystems || skip_all "no hugetlbfs in this kernel"

T=$(mktemp -d /tmp/hvmm-hugetlbfs.XXXXXX)
MNT=$T/mnt
PAGES=4 # 8 MiB: the guest's memory
nr_before=$(cat $NR)
cleanup() {
  local rc=$?
  mountpoint -q "$MNT" && umount "$MNT"
  echo "$nr_before" > $NR
  [ "$(cat $NR)" = "$nr_before" ] || echo "# nr_hugepages is $(cat $NR), was $nr_before" >&2
  rm -rf "$T"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -m 0700 "$MNT" "$T/jail"
echo $((nr_before + PAGES)) > $NR
mount -t hugetlbfs -o pagesize=2M,size=$((PAGES * 2))M,min_size=$((PAGES * 2))M,mode=0700 \
    hugetlbfs "$MNT" 2>"$T/mount.err" ||
  skip_all "cannot reserve $PAGES hugepages for a mount ($(cat "$T/mount.err")): another process took them"
plan 9

. "$(dirname "$0")/../lib/hvmm_run.sh"
backing() { python3 -c "
import json,sys
print(json.loads(open('$T/$1.err').read().strip().splitlines()[-1])['memory']['backing'])"; }
mount_free() { stat -f -c %f "$MNT"; } # free 2 MiB blocks of the mount

# 1-3: a guest runs from the mount, and says so.
run hello run --mem 8M --hugetlbfs "$MNT" --stats=json --kernel "$P/hello.elf"
check "a guest runs with its RAM in the hugetlbfs mount (exit 0)" \
  bash -c "[ $(rc hello) = 0 ] && grep -q 'hello from the guest' '$T/hello.out'" ||
  show "$T/hello.err"
check "--stats=json reports the backing as hugetlbfs" [ "$(backing hello)" = hugetlbfs ]
check "the mount has all its pages free again after the VM ($(mount_free) of $PAGES)" \
  [ "$(mount_free)" = $PAGES ]

# 4: the same under the jail and the seccomp filters (the memory is set up before either).
# A sanitizer build's LeakSanitizer reads /proc at exit, which the jail hides: this one run
# goes without the leak check (the other runs keep it).
san_env=
grep -q __asan_init "$HVMM" && san_env="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
(export ${san_env:-DSV_UNUSED=1}
 run jailed run --mem 8M --hugetlbfs "$MNT" --jail "$T/jail" --stats=json --kernel "$P/hello.elf")
jailed_ok() { [ "$(rc jailed)" = 0 ] && [ "$(backing jailed)" = hugetlbfs ]; }
check "with --jail and seccomp as well" jailed_ok || show "$T/jailed.err"

# 5: more than the mount holds is refused up front, nothing taken from the global pool.
run big run --mem 16M --hugetlbfs "$MNT" --kernel "$P/exit_status.elf"
check "more memory than the mount holds: 125, naming the mount" \
  bash -c "[ $(rc big) = 125 ] && grep -q 'cannot back 16 MiB of guest memory from $MNT' '$T/big.err'" ||
  show "$T/big.err"

# 6-7: a directory that is not a hugetlbfs mount, and one that does not exist.
run notfs run --mem 8M --hugetlbfs "$T/jail" --kernel "$P/exit_status.elf"
check "a directory that is not hugetlbfs: 125, 'not a hugetlbfs mount'" \
  bash -c "[ $(rc notfs) = 125 ] && grep -q 'is not a hugetlbfs mount' '$T/notfs.err'" ||
  show "$T/notfs.err"
run nodir run --mem 8M --hugetlbfs "$T/nonexistent" --kernel "$P/exit_status.elf"
check "a directory that does not exist: 125 with the reason" \
  bash -c "[ $(rc nodir) = 125 ] && grep -q 'No such file or directory' '$T/nodir.err'" ||
  show "$T/nodir.err"

# 8: --hugetlbfs with --hugepages off (or auto) is a contradiction.
run off run --mem 8M --hugetlbfs "$MNT" --hugepages off --kernel "$P/exit_status.elf"
check "--hugetlbfs with --hugepages off is refused (125)" \
  bash -c "[ $(rc off) = 125 ] && grep -q 'cannot be combined with --hugepages off' '$T/off.err'"

# 9: nothing of the mount's is left (no file: it was unlinked from the start).
check "no file is left in the mount" [ -z "$(ls -A "$MNT")" ]

done_testing
