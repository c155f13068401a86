#!/usr/bin/env bash
# hvmm's inputs are checked before /dev/kvm is opened (TAP), so these run without KVM:
# images that are FIFOs, directories or missing, --share /, and, as root with a user this
# script creates, images and shares opened with --uid's rights.
# usage: hvmm_inputs.sh HVMM PAYLOAD_DIR
set -u
HVMM=$(readlink -f "$1") P=$(readlink -f "$2")
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/hvmm_test_user.sh"
T=$(mktemp -d)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
plan 29

# A FIFO must not hang hvmm in open(): the bound is there to end a hang, never to time an
# error (a loaded host may take seconds to start a process).
HVMM_RUN_BOUND=60
. "$(dirname "$0")/../lib/hvmm_run.sh"
lacks() { ! grep -q -- "$2" "$T/$1" || { diag "$1 has '$2':"; show "$T/$1"; false; }; }
refused() { [ "$(rc "$1")" = 125 ] && has "$1.err" "$2"; }
all_of() { local c; for c in "$@"; do eval "$c" || return 1; done; }

mkfifo "$T/fifo"
mkdir "$T/dir"

# 1-5: kernel and program images: regular files only, refused by type, never waited on.
run kfifo run --kernel "$T/fifo"
check "a FIFO as kernel is refused at once" refused kfifo "kernel $T/fifo: a FIFO, not a regular file"
run kdir run --kernel "$T/dir"
check "a directory as kernel is refused" refused kdir "kernel $T/dir: a directory, not a regular file"
run kmissing run --kernel "$T/nope"
check "a missing kernel is refused" refused kmissing "kernel $T/nope: cannot open: No such file"
run pfifo run --kernel "$P/exit_status.elf" -- "$T/fifo"
check "a FIFO as program is refused at once" refused pfifo "program $T/fifo: a FIFO, not a regular file"
run pdev run --kernel "$P/exit_status.elf" -- /dev/zero
check "a device as program is refused" refused pdev "program /dev/zero: a character device, not a regular file"

# 6-7: the kernel's ELF checks run before /dev/kvm too.
head -c 3000 /dev/urandom >"$T/junk.bin"
run kjunk run --kernel "$T/junk.bin"
check "a non-ELF kernel is refused" refused kjunk "kernel $T/junk.bin: not an ELF"
head -c 100 "$P/exit_status.elf" >"$T/trunc.elf"
run ktrunc run --kernel "$T/trunc.elf"
check "a truncated kernel is refused" refused ktrunc "truncated"

# 8-9: --ready-fd: the launcher learns why the VM did not start, on its own pipe.
run rclosed run --kernel "$P/exit_status.elf" --ready-fd 9
check "--ready-fd on a descriptor that is not open is refused" refused rclosed "--ready-fd 9: Bad file descriptor"
line=$( { timeout "$HVMM_RUN_BOUND" "$HVMM" run --kernel "$T/junk.bin" --ready-fd 3 3>&1 >/dev/null 2>&1; } | head -1)
check "--ready-fd reports the reason hvmm could not start" \
  [ "$line" = "error: kernel $T/junk.bin: not an ELF file: bad magic" ] || diag "got: $line"

# 10-13: what a launcher passes: the status file is a regular file (a FIFO must not hang
# hvmm, a symbolic link is not followed), cgroups are cgroups.
ln -s "$T/outside-status" "$T/status-link"
run stfifo run --kernel "$P/exit_status.elf" --status-file "$T/fifo"
check "a FIFO as --status-file is refused at once" refused stfifo "--status-file $T/fifo: not a regular file"
run stlink run --kernel "$P/exit_status.elf" --status-file "$T/status-link"
check "a symbolic link as --status-file is refused, not followed" \
  all_of "refused stlink '--status-file $T/status-link: a symbolic link'" "[ ! -e '$T/outside-status' ]"
run cgdir run --kernel "$P/exit_status.elf" --cgroup "$T/dir"
check "--cgroup on a plain directory is refused" refused cgdir "--cgroup $T/dir: not a cgroup directory"
run vcgdir run --kernel "$P/exit_status.elf" --vcpu-cgroup "$T/dir"
check "--vcpu-cgroup on a plain directory is refused" refused vcgdir "--vcpu-cgroup $T/dir: not a cgroup directory"

# 14-15: the share can be anything but the host's root.
run sroot run --kernel "$P/exit_status.elf" --share /
check "--share / is refused" refused sroot "share /: the share cannot be /"
run sroot2 run --kernel "$P/exit_status.elf" --share "$T/../../../../../.."
check "--share that resolves to / is refused" refused sroot2 "the share cannot be /"

# 16-19: the fast path's and the offload's modes, on the command line and from the
# environment (test runs force them with it): a word hvmm does not know is refused by name.
run fpbad run --kernel "$P/exit_status.elf" --fastpath bogus
check "--fastpath bogus is refused" refused fpbad "--fastpath 'bogus': expected auto, on or off"
HVMM_FASTPATH=bogus run fpenv run --kernel "$P/exit_status.elf"
check "HVMM_FASTPATH=bogus is refused" refused fpenv "HVMM_FASTPATH='bogus': expected auto, on or off"
HVMM_OFFLOAD=bogus run olenv run --kernel "$P/exit_status.elf"
check "HVMM_OFFLOAD=bogus is refused" refused olenv "HVMM_OFFLOAD='bogus': expected auto, ring or exit"
HVMM_FASTPATH=bogus run fpgiven run --kernel "$T/junk.bin" --fastpath off
check "--fastpath given wins over HVMM_FASTPATH (the next error is the kernel's)" \
  all_of "refused fpgiven 'kernel $T/junk.bin: not an ELF'" "lacks fpgiven.err HVMM_FASTPATH"

# 20-29: --uid/--gid: the files are opened as that user.
if [ "$(id -u)" != 0 ]; then
  for i in $(seq 20 29); do skip "--uid case $i" "needs root to switch users"; done
  exit 0
fi
if ! hvmm_test_user; then
  for i in $(seq 20 29); do skip "--uid case $i" "cannot create the test user"; done
  exit 0
fi
AS=(--uid "$TEST_UID" --gid "$TEST_GID")
install -m 600 "$P/exit_status.elf" "$T/rootonly.elf"
mkdir -m 700 "$T/rootshare"
mkdir -m 755 "$T/usershare" "$T/bin"
chown "$TEST_UID:$TEST_GID" "$T/usershare"
install -m 700 "$P/exit_status.elf" "$T/bin/rootprog"

run kuser run "${AS[@]}" --kernel "$T/rootonly.elf"
check "--uid: a kernel only root may read is refused" \
  refused kuser "kernel $T/rootonly.elf: cannot open: Permission denied"
run kroot run --kernel "$T/rootonly.elf"
check "without --uid root reads that kernel (the refusal above is the user's)" \
  lacks kroot.err "kernel $T/rootonly.elf"
run puser run "${AS[@]}" --kernel "$P/exit_status.elf" -- "$T/rootonly.elf"
check "--uid: a program only root may read is refused" \
  refused puser "program $T/rootonly.elf: cannot open: Permission denied"
PATH="$T/bin:$PATH" run ppath run "${AS[@]}" --kernel "$P/exit_status.elf" -- rootprog
check "--uid: PATH is searched with the user's execute permission" \
  refused ppath "program rootprog: not found in PATH"
PATH="$T/bin:$PATH" run ppathroot run --kernel "$P/exit_status.elf" -- rootprog
check "without --uid root finds it" lacks ppathroot.err "program rootprog"
run suser run "${AS[@]}" --kernel "$P/exit_status.elf" --share "$T/rootshare"
check "--uid: a share the user cannot read is refused" \
  refused suser "share $T/rootshare: Permission denied (the share must be readable"
run sroot3 run --kernel "$P/exit_status.elf" --share "$T/rootshare"
check "without --uid root may share it" lacks sroot3.err "share"
# Everything the user may read passes: what fails next (here) is /dev/kvm itself, or the VM runs.
run ok run "${AS[@]}" --kernel "$P/exit_status.elf" --share "$T/usershare"
check "--uid: the user's own share and a readable kernel are accepted" \
  bash -c "! grep -q -e 'kernel ' -e 'share ' '$T/ok.err' && { [ \"\$(cat '$T/ok.rc')\" = 0 ] || grep -q /dev/kvm '$T/ok.err'; }"
run loguser run "${AS[@]}" --kernel "$P/exit_status.elf" --log "$T/rootshare/console.log"
check "--uid: --log is opened as the user, who cannot write there" \
  all_of "refused loguser '--log $T/rootshare/console.log: Permission denied'" "[ ! -e '$T/rootshare/console.log' ]"
setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --clear-groups \
  "$HVMM" run "${AS[@]}" --kernel "$P/exit_status.elf" >"$T/notroot.out" 2>"$T/notroot.err"
echo $? >"$T/notroot.rc"
check "--uid without root is an error, not a silent no-op" refused notroot "must run as root"
