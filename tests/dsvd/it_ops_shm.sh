#!/usr/bin/env bash
# shm_group (docs/api.md): HPC VMs that name the same group get one directory as /dev/shm
# (hvmm --shm), per owner, a tmpfs of its own of dsvd's --shm-group-mib (nosuid, nodev,
# noexec), the owner's and 0700, which its owner fills to the cap and no further; it is
# unmounted and goes, with what programs left in it and without following their links, when
# the group's last VM is deleted, when the group's only VM fails to start, and at dsvd's
# start when no VM record names it. Hostile names are refused with 400 naming the field,
# leaving nothing; so is a bad --shm-group-mib, naming the option; a dsvd that may not mount
# refuses a group rather than give it an uncapped directory. Runs on a fake host tree with
# hvmm_standin (ops_lib.sh), which prints the command line it got: no /dev/kvm needed
# (it_shm.sh runs real guests).
. "$TEST_LIB"
. "$(dirname "$0")/ops_lib.sh"
need_root
command -v setpriv >/dev/null || skip_all "needs setpriv (util-linux)"
need_fake_host

NOBODY=65534
NOGROUP=$(getent group nogroup >/dev/null && echo nogroup || echo nobody)
chmod 0711 "$WORK" # the other user reaches the socket and the state directory

for bad in abc 0 -1 8x 1048577 99999999999999999999 ''; do
    "$DSVD" --socket "$SOCK" --state-dir "$STATE" --shm-group-mib "$bad" 2>"$WORK/opt.err"
    rc=$?
    check "dsvd --shm-group-mib '$bad' is refused (exit 2), naming the option" \
        bash -c "[ $rc -eq 2 ] && grep -q -- '--shm-group-mib' '$WORK/opt.err'" || show "$WORK/opt.err"
done
check "... and nothing was started" [ ! -e "$SOCK" ]
check "dsvd --help tells --shm-group-mib" bash -c "'$DSVD' --help | grep -q -- --shm-group-mib"

CAP=8 # MiB: each group's tmpfs
start_fake_dsvd --group "$NOGROUP" --shm-group-mib $CAP || { not_ok "dsvd starts"; finish; exit; }
chgrp "$NOGROUP" "$SOCK"
"$DSV" node partition --hpc-cpus 1-3 --housekeeping-cpus 0 --hpc-mem 12M >/dev/null
check "partition applied (3 HPC CPUs)" [ $? -eq 0 ]

body() { # name group-json-value
    printf '{"name":"%s","stack":"hpc","mem_mib":4,"program":["/bin/sleep","600"],"shm_group":%s}' \
        "$PREFIX-$1" "$2"
}
long=$(printf 'g%.0s' $(seq 65))
for bad in '""' '"."' '".."' '"a/b"' '"../../etc"' '"a b"' '"a\nb"' "\"$long\"" '7' '["g"]'; do
    expect 400 shm_group "shm_group $bad is refused" POST /v1/vms "$(body bad "$bad")"
done
expect 400 shm_group "shm_group on the commodity stack is refused" POST /v1/vms \
    "{\"name\":\"$PREFIX-com\",\"stack\":\"commodity\",\"mem_mib\":64,\"shm_group\":\"g\"}"
check "nothing is left of the refused requests" [ -z "$(ls -A "$STATE/shm" 2>/dev/null)" ]
"$DSV" vm create $PREFIX-x --stack hpc --mem 4M --shm-group 'a/b' -- /bin/true 2>"$WORK/cli.err"
check "dsv vm create --shm-group a/b fails, naming the field" \
    bash -c "[ $? -ne 0 ] && grep -q shm_group '$WORK/cli.err'" || show "$WORK/cli.err"
check "dsv vm create --help tells --shm-group" bash -c "'$DSV' vm create --help | grep -q -- --shm-group"
check "dsv run --help tells --shm-group" bash -c "'$DSV' run --help | grep -q -- --shm-group"

# shm_of NAME: the --shm directory hvmm was given (the stand-in prints its command line)
shm_of() {
    wait_for 60 bash -c "'$DSV' vm console $PREFIX-$1 | grep -q '^hvmm-standin'"
    "$DSV" vm console $PREFIX-$1 | sed -n 's/^hvmm-standin.* --shm \([^ ]*\) .*/\1/p'
}
for v in a b; do
    "$DSV" vm create $PREFIX-$v --stack hpc --mem 4M --shm-group job1 -- /bin/sleep 600 >/dev/null
    check "VM $v created in group job1" [ $? -eq 0 ]
done
"$DSV" vm create $PREFIX-c --stack hpc --mem 4M --shm-group job2 -- /bin/sleep 600 >/dev/null
check "VM c created in group job2" [ $? -eq 0 ]
api GET /v1/vms/$PREFIX-a
check "GET shows the VM's group" [ "$(field shm_group)" = job1 ] || diag "$BODY"
check "dsv vm show shows it" bash -c "'$DSV' vm show $PREFIX-a | grep -q '^shm_group  *job1$'"
A=$(shm_of a) B=$(shm_of b) C=$(shm_of c)
check "hvmm gets --shm for a VM of a group" [ -n "$A" ] || "$DSV" vm console $PREFIX-a | sed 's/^/#   /'
check "the group's VMs get the same directory" [ "$A" = "$B" ] || diag "a: $A, b: $B"
check "another group's VM gets another" [ -n "$C" ] && [ "$C" != "$A" ] || diag "a: $A, c: $C"
check "the directory is under the state directory" [ "${A#"$STATE"/shm/}" != "$A" ] || diag "$A"
check "it is a directory of the owner (root), mode 0700" [ "$(stat -c '%F %u %a' "$A")" = "directory 0 700" ] ||
    diag "$(stat -c '%F %u %a' "$A")"
# mount_of DIR: "FSTYPE MOUNT-OPTIONS SUPER-OPTIONS" of what is mounted at DIR, one line each
mount_of() { awk -v d="$1" '$5 == d { for (i = 7; $i != "-"; i++); print $(i+1), $6, $(i+3) }' /proc/self/mountinfo; }
M=$(mount_of "$A")
check "it is a tmpfs of its own" [ "$(stat -f -c %T "$A")" = tmpfs ] && [ "$(echo "$M" | wc -l)" = 1 ] &&
    [ "${M%% *}" = tmpfs ] || diag "$(stat -f -c %T "$A"): $M"
check "... of the size dsvd was given ($CAP MiB)" [ $(($(stat -f -c '%b * %S' "$A"))) = $((CAP << 20)) ] ||
    diag "$(stat -f "$A")"
has_opts() { # OPTIONS WANTED...: each WANTED is one of the comma-separated OPTIONS
    local o
    for o in "${@:2}"; do [[ ",$1," == *",$o,"* ]] || return 1; done
}
check "... nosuid, nodev, noexec, at most 1024 files" has_opts "$(echo "$M" | cut -d' ' -f2)" nosuid nodev noexec &&
    [ "$(stat -f -c %c "$A")" = 1024 ] || diag "$M; files $(stat -f -c %c "$A")"

# what a program leaves: files, a directory, and links out of it that removal must not follow
echo keep > "$WORK/outside"
mkdir -p "$WORK/outdir" && echo keep > "$WORK/outdir/file"
echo seg > "$A/segment"
mkdir -p "$A/sub/deeper" && echo x > "$A/sub/deeper/f"
ln -s "$WORK/outside" "$A/link"
ln -s "$WORK/outdir" "$A/sub/dirlink"
mkfifo "$A/fifo"
"$DSV" vm delete $PREFIX-a >/dev/null
check "the group's directory stays while a VM of it remains" [ -f "$B/segment" ] && [ -n "$(mount_of "$B")" ]
"$DSV" vm delete $PREFIX-b >/dev/null
check "it goes with the group's last VM" [ ! -e "$B" ]
check "... unmounted" [ -z "$(mount_of "$B")" ] || diag "$(mount_of "$B")"
check "removal followed no link out of it" bash -c "[ \"\$(cat '$WORK/outside' '$WORK/outdir/file')\" = \"keep
keep\" ]"
check "the other group's directory stays" [ -d "$C" ]

"$DSV" vm create $PREFIX-n --stack hpc --mem 4M -- /bin/sleep 600 >/dev/null
wait_for 60 bash -c "'$DSV' vm console $PREFIX-n | grep -q '^hvmm-standin'"
check "a VM without a group gets no --shm" bash -c "! '$DSV' vm console $PREFIX-n | grep -q -- ' --shm '"
api GET /v1/vms/$PREFIX-n
check "... and GET shows no group" bash -c "! printf '%s' '$BODY' | grep -q shm_group"
"$DSV" vm delete $PREFIX-n >/dev/null

# per owner: another user's job2 is not root's job2. The user is in the socket's group.
NGID=$(getent group "$NOGROUP" | cut -d: -f3)
as_user() { setpriv --reuid=$NOBODY --regid="$NGID" --clear-groups "$@"; }
as_user true 2>/dev/null || skip_all "setpriv cannot become uid $NOBODY"
uapi() {
    local method=$1 path=$2 data=${3-}
    local args=(-s -o "$WORK/ubody" -w '%{http_code}' --unix-socket "$SOCK" -X "$method")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
    STATUS=$(as_user curl "${args[@]}" "http://localhost$path")
    BODY=$(cat "$WORK/ubody" 2>/dev/null)
}
API_FN=uapi expect 201 "" "another user creates a VM in a group named job2" POST /v1/vms "$(body u '"job2"')"
U=$(shm_of u)
check "... and gets a directory of its own, not root's job2" [ -n "$U" ] && [ "$U" != "$C" ] || diag "u: $U, c: $C"
check "... the user's, mode 0700" [ "$(stat -c '%u %a' "$U" 2>/dev/null)" = "$NOBODY 700" ] ||
    diag "$(stat -c '%u %a' "$U" 2>&1)"
check "... a tmpfs of its own" [ "$(mount_of "$U" | cut -d' ' -f1)" = tmpfs ] || diag "$(mount_of "$U")"
# the owner fills the group's /dev/shm to its cap, and no further: not the state directory's disk
as_user dd if=/dev/zero of="$U/big" bs=1M count=$((CAP + 1)) 2>"$WORK/dd.err"
check "the owner writing beyond the cap gets ENOSPC" \
    bash -c "[ $? -ne 0 ] && grep -q 'No space left on device' '$WORK/dd.err'" || show "$WORK/dd.err"
check "... having written no more than the cap" [ "$(stat -c %s "$U/big")" -le $((CAP << 20)) ]
as_user rm -f "$U/big"
as_user dd if=/dev/zero of="$U/big" bs=1M count=$((CAP - 1)) 2>"$WORK/dd.err"
check "... and within it succeeds" [ $? -eq 0 ] || show "$WORK/dd.err"
as_user rm -f "$U/big"

# a group whose only VM fails to start leaves nothing (the stand-in refuses a kernel without
# a program, as hvmm refuses what it cannot boot)
expect 500 "" "a VM that hvmm cannot start fails" POST /v1/vms \
    "{\"name\":\"$PREFIX-f\",\"stack\":\"hpc\",\"mem_mib\":4,\"kernel\":\"/bin/true\",\"shm_group\":\"lonely\"}"
check "its group's directory is gone" [ ! -e "$STATE/shm/0.lonely" ] || ls -la "$STATE/shm" | sed 's/^/#   /'
check "... unmounted" [ -z "$(mount_of "$STATE/shm/0.lonely")" ]

# dsvd's start removes what no record names, and keeps what one does: a plain directory of an
# older dsvd, and a previous run's tmpfs (mounted twice, as a racing start could leave it)
stop_dsvd TERM
mkdir -p "$STATE/shm/0.stale/sub" && echo x > "$STATE/shm/0.stale/sub/f"
ln -s "$WORK/outside" "$STATE/shm/0.stale/link"
mkdir "$STATE/shm/0.stalemount"
mount -t tmpfs -o size=1m tmpfs "$STATE/shm/0.stalemount" &&
    mount -t tmpfs -o size=1m tmpfs "$STATE/shm/0.stalemount"
check "a stale group tmpfs, mounted twice" [ "$(mount_of "$STATE/shm/0.stalemount" | wc -l)" = 2 ]
echo x > "$STATE/shm/0.stalemount/seg" && ln -s "$WORK/outside" "$STATE/shm/0.stalemount/link"
start_fake_dsvd --group "$NOGROUP" --shm-group-mib $CAP || not_ok "dsvd restarts"
chgrp "$NOGROUP" "$SOCK"
check "at start, a directory no VM names is removed" [ ! -e "$STATE/shm/0.stale" ]
check "... and a tmpfs no VM names is unmounted and removed" \
    [ ! -e "$STATE/shm/0.stalemount" ] && [ -z "$(mount_of "$STATE/shm/0.stalemount")" ] ||
    diag "$(mount_of "$STATE/shm/0.stalemount")"
check "... without following their links" [ "$(cat "$WORK/outside")" = keep ]
check "the running VMs' directories stay, mounted" [ -d "$C" ] && [ -d "$U" ] &&
    [ -n "$(mount_of "$C")" ] && [ -n "$(mount_of "$U")" ]
"$DSV" vm create $PREFIX-d --stack hpc --mem 4M --shm-group job2 -- /bin/sleep 600 >/dev/null
check "a VM joining a group after the restart gets its directory" [ "$(shm_of d)" = "$C" ]
for v in c d u; do "$DSV" vm delete $PREFIX-$v >/dev/null; done
check "after the last VMs, no group directory is left" [ -z "$(ls -A "$STATE/shm")" ] ||
    ls -la "$STATE/shm" | sed 's/^/#   /'
check "... nor any mount under the state directory's shm/" \
    [ -z "$(awk -v d="$STATE/shm/" 'index($5, d) == 1' /proc/self/mountinfo)" ]

# fail closed: a dsvd that may not mount (no CAP_SYS_ADMIN) refuses a group, naming it, and
# leaves nothing; it never hands out an uncapped directory
stop_dsvd TERM
if setpriv --bounding-set -sys_admin true 2>/dev/null; then
    REAL_DSVD=$DSVD
    DSVD="$WORK/dsvd-nomount"
    printf '#!/bin/sh\nexec setpriv --bounding-set -sys_admin --inh-caps -sys_admin "%s" "$@"\n' "$REAL_DSVD" >"$DSVD"
    chmod +x "$DSVD"
    start_fake_dsvd --group "$NOGROUP" || not_ok "dsvd starts without CAP_SYS_ADMIN"
    expect 500 shm_group "without the right to mount, a VM of a group is refused" POST /v1/vms "$(body nomount '"nomount"')"
    check "... saying it cannot mount the tmpfs" bash -c "grep -q 'cannot mount a tmpfs' <<<'$BODY'" || diag "$BODY"
    check "... leaving no directory" [ ! -e "$STATE/shm/0.nomount" ]
    stop_dsvd TERM
    DSVD=$REAL_DSVD
    start_fake_dsvd --group "$NOGROUP" || not_ok "dsvd restarts"
else
    ok "# SKIP setpriv cannot drop CAP_SYS_ADMIN"
fi
"$DSV" node release >/dev/null
check "partition released" [ $? -eq 0 ]
stop_dsvd TERM && ok "dsvd stops cleanly"
finish
