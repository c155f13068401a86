#!/usr/bin/env bash
# A guest run with --uid/--gid (TAP; needs /dev/kvm and root): what it creates in its share
# belongs to the test user and carries no setuid/setgid/sticky bit, and a share of /etc gives
# it what the user may read, not /etc/shadow. The same program without --uid, as root, shows
# what --uid takes away.
# usage: hostile_user.sh HVMM HOSTILE_BUILD_DIR
set -u
HVMM=$(readlink -f "$1") H=$(readlink -f "$2")
. "$(dirname "$0")/../../lib/tap.sh"
. "$(dirname "$0")/../../lib/hvmm_test_user.sh"
. "$(dirname "$0")/../../lib/kvm.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root to run hvmm as another user"
hvmm_test_user || skip_all "cannot create the test user"
T=$(mktemp -d)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
plan 6
AS=(--uid "$TEST_UID" --gid "$TEST_GID")
P=$H/hostile-user_rights
mkdir "$T/share"
chown "$TEST_UID:$TEST_GID" "$T/share"
has_line() { grep -qx -- "$2" "$1" || { diag "$1 lacks the line '$2':"; show "$1"; false; }; }
is() { [ "$1" = "$2" ] || { diag "expected '$2', got '$1'"; false; }; }

# The guest's umask stays in the lwk; hvmm's applies on the host: none, to see every bit.
umask 0
timeout 60 "$HVMM" run "${AS[@]}" --share "$T/share" -- "$P" create >"$T/create.out" 2>"$T/create.err"
check "the guest ran as the user (status 0)" is "$?" 0 || show "$T/create.err"
check "files and directories it made belong to the user" \
  is "$(stat -c '%n %u %g' "$T"/share/* | sed "s|$T/share/||" | sort | tr '\n' ' ')" \
     "both $TEST_UID $TEST_GID sgid $TEST_UID $TEST_GID sticky $TEST_UID $TEST_GID suid $TEST_UID $TEST_GID "
check "no setuid, setgid or sticky bit on the host" \
  is "$(stat -c '%n %a' "$T"/share/* | sed "s|$T/share/||" | sort | tr '\n' ' ')" \
     "both 777 sgid 755 sticky 777 suid 755 "
check "the guest saw the same modes and owner" \
  has_line "$T/create.out" "suid 755 uid $TEST_UID gid $TEST_GID"

timeout 60 "$HVMM" run "${AS[@]}" --share /etc -- "$P" open /etc/passwd /etc/shadow shadow \
  >"$T/etc.out" 2>"$T/etc.err"
check "--share /etc as the user: passwd readable, shadow not" \
  is "$(tr '\n' ' ' <"$T/etc.out")" \
     "/etc/passwd: readable /etc/shadow: Permission denied shadow: Permission denied " ||
  show "$T/etc.err"
timeout 60 "$HVMM" run --share /etc -- "$P" open /etc/shadow >"$T/root.out" 2>"$T/root.err"
check "without --uid the same guest reads /etc/shadow (what --uid closes)" \
  is "$(cat "$T/root.out")" "/etc/shadow: readable"
