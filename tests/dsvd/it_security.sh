#!/usr/bin/env bash
# Issue 11, dsvd's side, as an attacker in dsvd's --group would try it: a REAL unprivileged
# user (created here) asks for /etc/shadow as program, kernel, initrd or share, FIFOs and
# directories as files, floods the socket, uses wrong methods and a huge Content-Length; the
# operator's --socket clobbering, share roots, the host's memory minimum and the console cap.
# Without /dev/kvm no guest runs, so the refusals are checked at the API (status, field,
# message), with dsvd still serving and nothing left behind; the owner's rights reaching hvmm
# are checked on a stand-in hvmm that prints its command line; the guest-side check skips.
. "$TEST_LIB"
need_root
command -v setpriv >/dev/null || skip_all "needs setpriv (util-linux)"
PY=/usr/bin/python3   # the system's: the user must be able to run it
[ -x "$PY" ] || skip_all "needs $PY"

# the attacker: a real user in dsvd's group (idempotent: kept between runs)
TUSER=dsvsec TGROUP=dsvsecapi
getent group "$TGROUP" >/dev/null || groupadd --system "$TGROUP" ||
    skip_all "cannot create group $TGROUP"
id "$TUSER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin \
    "$TUSER" || skip_all "cannot create user $TUSER"
usermod -a -G "$TGROUP" "$TUSER"
TUID=$(id -u "$TUSER") TGID=$(id -g "$TUSER")

chmod 0711 "$WORK"                       # the user reaches the socket, nothing else
U=$WORK/user                             # the user's own files
mkdir -p "$U/share/sub" "$U/other" "$U/dir"
cp /bin/true "$U/prog"
cp "$(dirname "$0")/flood.py" "$U/flood.py"
mkfifo "$U/fifo"
ln -s /etc/shadow "$U/shadow-link"
ln -s /etc "$U/etc-link"
ln -s "$U/share" "$U/share-link"
echo "root only" > "$U/root-only"; chmod 0600 "$U/root-only"
chown -R "$TUSER:$TGID" "$U"; chown -h root:root "$U/root-only"; chmod 0700 "$U"

as_user() { setpriv --reuid="$TUID" --regid="$TGID" --init-groups "$@"; }
# uapi METHOD PATH [BODY]: api as the user
uapi() {
    local method=$1 path=$2 data=${3-}
    local args=(-s -o "$U/body" -w '%{http_code}' --max-time 20 --unix-socket "$SOCK" -X "$method")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
    STATUS=$(as_user curl "${args[@]}" "http://localhost$path")
    BODY=$(cat "$U/body" 2>/dev/null)
}
uexpect() { API_FN=uapi expect "$@"; }
# nothing of a refused VM under the state directory
nothing_left() { [ -z "$(ls -A "$STATE/vms" 2>/dev/null)" ]; }
serving() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 --unix-socket "$SOCK" http://localhost/node | grep -qx 200; }
vm() { # name stack extra-json: a create body; VM_MEM (MiB) overrides the stack's size
    local mem=4; [ "$2" = commodity ] && mem=64
    mem=${VM_MEM:-$mem}
    printf '{"name":"%s","stack":"%s","mem_mib":%s%s}' "$PREFIX-$1" "$2" "$mem" "${3:+,$3}"
}

start_dsvd --group "$TGROUP" || { not_ok "dsvd starts"; finish; exit; }
chgrp "$TGROUP" "$SOCK"
uapi GET /vms
check "the user ($TUSER, uid $TUID) is let in through the group" [ "$STATUS" = 200 ]

# --- /etc/shadow through every field, commodity stack (no partition needed) ---
uexpect 403 initrd "initrd /etc/shadow is refused" POST /vms "$(vm c1 commodity '"initrd":"/etc/shadow"')"
check "the message names the user and the file" grep -q "uid $TUID may not open /etc/shadow" <<<"$BODY"
uexpect 403 kernel "kernel /etc/shadow is refused" POST /vms "$(vm c2 commodity '"kernel":"/etc/shadow"')"
uexpect 403 'program[0]' "program /etc/shadow is refused (commodity)" POST /vms "$(vm c3 commodity '"program":["/etc/shadow"]')"
uexpect 403 initrd "a symlink of the user's to /etc/shadow is refused" POST /vms "$(vm c4 commodity "\"initrd\":\"$U/shadow-link\"")"
uexpect 403 initrd "a root-only file in the user's own directory is refused" POST /vms "$(vm c5 commodity "\"initrd\":\"$U/root-only\"")"
check "nothing is left behind by the refusals" nothing_left

# --- FIFOs and directories ---
# No writer ever opens the FIFO: an agent that opened it blocking would never answer, and
# uapi's curl gives up after 20 s (status 000), so a 400 here means it did not wait.
uexpect 400 'program[0]' "a FIFO as program is refused without a writer" POST /vms "$(vm f1 commodity "\"program\":[\"$U/fifo\"]")"
check "  ... and the agent still serves" serving
check "  ... saying it is a FIFO" grep -q "is a FIFO, not a regular file" <<<"$BODY"
uexpect 400 kernel "a FIFO as kernel is refused" POST /vms "$(vm f2 commodity "\"kernel\":\"$U/fifo\"")"
uexpect 400 'program[0]' "a directory as program is 400, not 500" POST /vms "$(vm d1 commodity "\"program\":[\"$U/dir\"]")"
check "  ... saying it is a directory" grep -q "is a directory, not a regular file" <<<"$BODY"
uexpect 400 initrd "a directory as initrd is 400" POST /vms "$(vm d2 commodity "\"initrd\":\"$U/dir\"")"
check "dsvd keeps serving" serving
check "nothing is left behind" nothing_left

# --- a file the user may read passes; a failed commodity start leaves nothing ---
uapi POST /vms "$(vm ok1 commodity "\"program\":[\"$U/prog\"]")"
if [ "$STATUS" = 201 ]; then
    ok "a commodity VM with the user's own program starts"
    check "  ... QEMU gets dsvd's copy, not the user's path" \
        bash -c "virsh -c qemu:///system dumpxml dsv-$PREFIX-ok1 | grep -q '<initrd>$STATE/vms/$PREFIX-ok1.files/prog</initrd>'"
    api DELETE /vms/$PREFIX-ok1
    check "  ... deleted, it leaves nothing" nothing_left
else
    check "the user's own program passes the file checks (the start itself may fail here: $STATUS)" \
        bash -c "! grep -q '\"field\": \"program' <<<'$BODY'"
    check "a failed commodity create leaves nothing (record, console, console.debug, copies)" nothing_left
fi

# --- wrong methods: 405 with Allow, nothing done ---
allow_of() { curl -s -o /dev/null -D - -X "$1" --unix-socket "$SOCK" -H 'Content-Type: application/json' \
    --data-binary "$3" "http://localhost$2" | tr -d '\r' | sed -n 's/^Allow: //Ip'; }
expect 405 "" "PUT /vms is 405" PUT /vms "$(vm m1 commodity)"
check "  ... Allow: GET, POST" [ "$(allow_of PUT /vms "$(vm m1 commodity)")" = "GET, POST" ]
expect 405 "" "POST /node/partition is 405" POST /node/partition '{"hpc_cpus":"0","hpc_mem_mib":2}'
check "  ... Allow: GET, PUT, PATCH, DELETE" [ "$(allow_of POST /node/partition '{}')" = "GET, PUT, PATCH, DELETE" ]
api GET /vms
check "  ... and no VM was created" [ "$(echo $BODY)" = "[]" ]
api GET /node/partition
check "  ... and no partition applied" [ "$BODY" = null ]

# --- early 413 ---
line=$("$PY" "$U/flood.py" early413 "$SOCK")
check "a 10 GB Content-Length is answered 413 before any body is sent ($line)" grep -q "^HTTP/1.1 413" <<<"$line"

# --- the host keeps memory: an HPC partition of all of it is refused ---
total=$(awk '/^MemTotal/ {print int($2 / 1024 / 2) * 2}' /proc/meminfo)
expect 400 hpc_mem_mib "hpc_mem_mib of all the node's memory ($total MiB) is refused" \
    PUT /node/partition "{\"hpc_cpus\":\"$(( $(getconf _NPROCESSORS_ONLN) - 1 ))\",\"hpc_mem_mib\":$total}"
check "  ... saying what the host keeps" grep -q "would leave the host less than" <<<"$BODY"
api GET /node/partition
check "  ... and nothing is applied" [ "$BODY" = null ]

# --- connection flood by the user: 1100 idle connections ---
fds_before=$(ls /proc/$DSVD_PID/fd | wc -l)
as_user "$PY" "$U/flood.py" idle "$SOCK" 1100 6 > "$WORK/flood.out" 2>&1 &
flood=$!
wait_for 20 grep -q '^open' "$WORK/flood.out"
served=0
for i in 1 2 3 4 5; do serving && served=$((served + 1)); done
check "with 1100 idle connections open, root is served (5 of $served)" [ $served -eq 5 ]
uapi GET /node
check "  ... and so is another connection of the same user" [ "$STATUS" = 200 ]
fds=$(ls /proc/$DSVD_PID/fd | wc -l)
check "  ... dsvd holds a bounded number of fds ($fds, was $fds_before)" [ "$fds" -lt $(( fds_before + 300 )) ]
wait $flood
result=$(tail -1 "$WORK/flood.out")
closed=$(sed -n 's/.* closed \([0-9]*\).*/\1/p' <<<"$result")
check "  ... dsvd closed the flood's oldest idle connections ($result)" [ "${closed:-0}" -ge 800 ]

# --- a user that keeps re-sending on 300 connections ---
as_user "$PY" "$U/flood.py" resend "$SOCK" 300 6 > "$WORK/resend.out" 2>&1 &
flood=$!
wait_for 20 grep -q '^resending' "$WORK/resend.out"
served=0 slow=0
for i in $(seq 10); do
    t0=$(date +%s%N)
    serving && served=$((served + 1))
    [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 20000 ] || slow=$((slow + 1))
    sleep 0.2
done
check "while a user re-sends on 300 connections, root is served (10 of $served, $slow slower than 20 s)" \
    [ $served -eq 10 -a $slow -eq 0 ]
wait $flood
diag "resend: $(tail -1 "$WORK/resend.out")"
check "dsvd is still up after the floods" serving

# --- the HPC stack: needs a partition (cgroup v1 cpuset, a free node); the policy's other
# refusals (/sys, /dev, the state directory itself) are unit tests (test_security.c) ---
hpc_ok= hpc_why=
if [ ! -f /sys/fs/cgroup/cpuset/cpuset.cpus ]; then hpc_why="needs the cgroup v1 cpuset hierarchy"
elif [ "$(getconf _NPROCESSORS_ONLN)" -lt 2 ]; then hpc_why="needs 2 CPUs"
elif held=$(ls -d /sys/fs/cgroup/cpuset/dsv-* 2>/dev/null | head -1) && [ -n "$held" ]; then
    hpc_why="another dsvd holds a partition on this host ($held)"
else
    HPC=$(( $(getconf _NPROCESSORS_ONLN) - 1 ))
    api PUT /node/partition "{\"hpc_cpus\":\"$HPC\",\"housekeeping_cpus\":\"0\",\"hpc_mem_mib\":72}"
    [ "$STATUS" = 200 ] && hpc_ok=1 || hpc_why="the partition was refused: $STATUS $BODY"
fi
if [ -n "$hpc_ok" ]; then
    ok "partition applied for the HPC cases"
    P='"program":["'$U/prog'"]'
    uexpect 403 'program[0]' "hpc: program /etc/shadow is refused" POST /vms "$(vm h1 hpc '"program":["/etc/shadow"]')"
    uexpect 403 kernel "hpc: kernel /etc/shadow is refused" POST /vms "$(vm h2 hpc "\"kernel\":\"/etc/shadow\",$P")"
    uexpect 403 share "hpc: share / is refused" POST /vms "$(vm h3 hpc "\"share\":\"/\",$P")"
    uexpect 403 share "hpc: share through a symlink to /etc is refused" POST /vms "$(vm h5 hpc "\"share\":\"$U/etc-link\",$P")"
    check "  ... naming what it resolved to" grep -q '/etc is under /etc' <<<"$BODY"
    uexpect 403 share "hpc: share $U/share/../../../../etc is refused" POST /vms "$(vm h6 hpc "\"share\":\"$U/share/../../../../etc\",$P")"
    uexpect 403 share "hpc: share /proc/self/root (the root) is refused" POST /vms "$(vm h7 hpc "\"share\":\"/proc/self/root\",$P")"
    uexpect 403 share "hpc: a share above the state directory is refused" POST /vms "$(vm h10 hpc "\"share\":\"/tmp\",$P")"
    check "  ... naming the state directory" grep -q "would expose the agent's state directory" <<<"$BODY"
    uexpect 400 'program[0]' "hpc: a FIFO as program is refused" POST /vms "$(vm h12 hpc "\"program\":[\"$U/fifo\"]")"
    uexpect 400 share "hpc: a file as share is 400" POST /vms "$(vm h14 hpc "\"share\":\"$U/prog\",$P")"
    check "dsvd keeps serving" serving
    check "nothing is left behind" nothing_left
    if [ -e /dev/kvm ] && [ -x "$HVMM" ] && [ -x /bin/busybox ]; then
        ended() { # NAME: waits until the VM is over (dsv vm wait), then reads its record
            timeout 300 "$DSV" vm wait "$PREFIX-$1" >/dev/null 2>&1
            api GET "/vms/$PREFIX-$1"
        }
        console_of() { api GET "/vms/$PREFIX-$1/console"; printf '%s' "$BODY"; }
        # the guest's files are the owner's (hvmm --uid/--gid): what it creates in the share (mkdir:
        # the lwk has no utimensat, which busybox touch needs)
        guest_vm() { VM_MEM=64 vm "$@"; } # busybox needs room
        uapi POST /vms "$(guest_vm g1 hpc "\"share\":\"$U/share\",\"program\":[\"/bin/busybox\",\"mkdir\",\"made-by-guest\"]")"
        check "an HPC VM of the user's starts ($STATUS)" [ "$STATUS" = 201 ] || diag "$BODY"
        ended g1
        check "  ... the directory its guest created belongs to $TUSER" [ "$(stat -c %U "$U/share/made-by-guest" 2>/dev/null)" = "$TUSER" ] ||
            diag "$(ls -l "$U/share") $(console_of g1)"
        api DELETE /vms/$PREFIX-g1
        # "net": "host" lends the guest the owner's network rights in dsvd's namespace, not
        # hvmm's (root's): listening on a privileged port is refused
        low_port_refused() {
            ended n1 && [ "$(field state)" = exited ] && [ "$(field exit_code)" = 1 ] &&
                grep -q "bind: Permission denied" <<<"$(console_of n1)"
        }
        if [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" -gt 80 ]; then
            uapi POST /vms "$(guest_vm n1 hpc "\"net\":\"host\",\"share\":\"$U/share\",\"program\":[\"/bin/busybox\",\"nc\",\"-l\",\"-p\",\"80\"]")"
            check "an HPC VM of the user's with \"net\": \"host\" starts ($STATUS)" [ "$STATUS" = 201 ] || diag "$BODY"
            check "  ... its guest may not listen on port 80, as $TUSER may not" low_port_refused ||
                diag "$BODY $(console_of n1)"
            api DELETE /vms/$PREFIX-n1
        else
            skip "an HPC VM of the user's with \"net\": \"host\" may not listen on port 80" "(ip_unprivileged_port_start lets anyone)"
        fi
    else
        skip "an HPC guest of the user's creates files as that user" "(needs /dev/kvm, hvmm and busybox: no guest can run on this host)"
        skip "an HPC guest of the user's with \"net\": \"host\" has the user's network rights" "(no guest can run on this host)"
    fi
else
    skip "HPC refusals (program, kernel, share policy)" "($hpc_why)"
fi

# --- the owner's rights reach hvmm; share roots; the console cap (a stand-in hvmm) ---
if [ -n "$hpc_ok" ]; then
    stop_dsvd TERM
    cat > "$WORK/fake-hvmm" <<'SH'
#!/bin/sh
echo "$*" > "$0.args"
i=0
while [ $i -lt 30000 ]; do echo "console line $i"; i=$((i + 1)); done
echo "the end"
exec sleep 60
SH
    chmod 0755 "$WORK/fake-hvmm"
    echo "{\"share_roots\":[\"$U/share\"],\"console_max_kib\":64}" > "$WORK/node.json"
    HVMM_REAL=$HVMM HVMM=$WORK/fake-hvmm
    start_dsvd --group "$TGROUP" --no-apply-config || { not_ok "dsvd restarts"; finish; exit; }
    HVMM=$HVMM_REAL
    chgrp "$TGROUP" "$SOCK"
    uexpect 403 share "a share outside share_roots is refused" POST /vms "$(vm r1 hpc "\"share\":\"$U/other\",$P")"
    check "  ... naming share_roots" grep -q "outside the share roots" <<<"$BODY"
    R2="$(vm r2 hpc "\"share\":\"$U/share-link/sub\",\"program\":[\"$U/prog\",\"arg one\"]")"
    if [ ! -e /dev/kvm ]; then
        # the HPC stack refuses to start anything without KVM, after the request's checks
        uexpect 503 stack "a share inside share_roots (through a symlink) passes the policy" POST /vms "$R2"
        check "  ... to the missing /dev/kvm" grep -q "needs KVM" <<<"$BODY"
        check "  ... and leaves nothing behind (the copies are gone)" nothing_left
        skip "the console cap and hvmm's --uid/--gid/--groups on a running VM" \
            "(no /dev/kvm: dsvd starts no HPC VM; test_api and test_security check them on a fake host)"
    else
        uexpect 201 "" "a share inside share_roots (through a symlink) is accepted" POST /vms "$R2"
        wait_for 60 grep -q "the end" "$STATE/vms/$PREFIX-r2.console"
        console=$STATE/vms/$PREFIX-r2.console
        size=$(stat -c %s "$console")
        check "the console stays under console_max_kib (64 KiB: $size bytes)" [ "$size" -le 65536 ]
        check "  ... and keeps the end of the output" [ "$(tail -1 "$console")" = "the end" ]
        check "  ... saying that older output was dropped" grep -q '^\[dsvd: older console output dropped' "$console"
        uapi GET /vms/$PREFIX-r2/console
        check "  ... which the user reads through the API" grep -q "the end" <<<"$BODY"
        cmdline="$(cat "$WORK/fake-hvmm.args") "
        diag "hvmm got: $cmdline"
        groups=$(id -G "$TUSER" | tr ' ' '\n' | sort -n | paste -sd,)
        check "hvmm is told to become the owner (--uid $TUID --gid $TGID)" grep -q -- "--uid $TUID --gid $TGID" <<<"$cmdline"
        got_groups=$(sed -n 's/.*--groups \([0-9,]*\).*/\1/p' <<<"$cmdline" | tr , '\n' | sort -n | paste -sd,)
        check "  ... with the owner's groups ($groups)" [ "$got_groups" = "$groups" ]
        check "  ... the share as resolved for the owner" grep -q -- "--share $U/share/sub " <<<"$cmdline"
        check "  ... and dsvd's copy of the program" grep -q -- "-- $STATE/vms/$PREFIX-r2.files/prog arg one" <<<"$cmdline"
        check "  ... a byte-identical copy" cmp -s "$U/prog" "$STATE/vms/$PREFIX-r2.files/prog"
        api GET /vms/$PREFIX-r2
        check "the VM records its owner" grep -q "\"uid\": $TUID" <<<"$BODY"
        api DELETE /vms/$PREFIX-r2
        check "deleted, it leaves nothing" nothing_left
    fi
fi

# --- --socket never deletes what is not a socket ---
stop_dsvd TERM
echo precious > "$WORK/file.sock"
out=$("$DSVD" --socket "$WORK/file.sock" --state-dir "$WORK/state2" --config "$WORK/none.json" 2>&1); rc=$?
check "--socket on a regular file: dsvd refuses to start ($rc)" [ $rc -eq 1 ]
check "  ... saying why" grep -q "refusing to replace it, it is a regular file" <<<"$out"
check "  ... and the file is untouched" [ "$(cat "$WORK/file.sock")" = precious ]
ln -s "$WORK/file.sock" "$WORK/link.sock"
out=$("$DSVD" --socket "$WORK/link.sock" --state-dir "$WORK/state2" --config "$WORK/none.json" 2>&1); rc=$?
check "--socket on a symlink: refused ($rc)" [ $rc -eq 1 ]
check "  ... saying it is a symbolic link" grep -q "it is a symbolic link" <<<"$out"
check "  ... the link and its target untouched" [ -L "$WORK/link.sock" -a "$(cat "$WORK/file.sock")" = precious ]
"$PY" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$WORK/stale.sock"
SOCK_SAVED=$SOCK SOCK=$WORK/stale.sock
start_dsvd
check "a stale socket left by a killed agent is still replaced" serving
stop_dsvd TERM
SOCK=$SOCK_SAVED
finish
