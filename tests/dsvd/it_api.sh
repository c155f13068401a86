#!/usr/bin/env bash
# API contract: every endpoint and every bad request docs/api.md names, the socket mode and the
# SO_PEERCRED check, and /metrics as Prometheus text. No host changes (no partition, no VMs).
. "$TEST_LIB"

start_dsvd || { not_ok "dsvd starts"; finish; exit; }
ok "dsvd starts on a private socket"
check "socket mode is 0660" [ "$(stat -c %a "$SOCK")" = 660 ]

expect 200 "" "GET /node" GET /node
check "GET /node reports topology and partition" grep -q '"online_cpus"' "$WORK/body"
check "GET /node reports hwloc PUs" grep -q '"pus":' "$WORK/body"
expect 200 "" "GET /node/partition (none)" GET /node/partition
check "no partition is null" [ "$BODY" = null ]
expect 200 "" "GET /vms" GET /vms
check "GET /vms is an empty list" [ "$(echo $BODY)" = "[]" ]

# bad requests, each naming its field
expect 400 body "malformed JSON" POST /vms '{"name": "a",'
expect 400 body "empty body" POST /vms ''
expect 400 body "not an object" POST /vms '[1]'
expect 400 memory "unknown field" POST /vms '{"name":"a","stack":"hpc","mem_mib":4,"memory":4}'
expect 400 mem_mib "negative size" POST /vms '{"name":"a","stack":"commodity","mem_mib":-64}'
expect 400 mem_mib "zero size" POST /vms '{"name":"a","stack":"commodity","mem_mib":0}'
expect 400 mem_mib "absurd size" POST /vms '{"name":"a","stack":"commodity","mem_mib":99999999999}'
expect 400 vcpus "zero vCPUs" POST /vms '{"name":"a","stack":"commodity","mem_mib":64,"vcpus":0}'
expect 400 vcpus "absurd vCPUs" POST /vms '{"name":"a","stack":"commodity","mem_mib":64,"vcpus":100000}'
expect 400 stack "unknown stack" POST /vms '{"name":"a","stack":"quantum","mem_mib":64}'
expect 400 name "name with a slash" POST /vms '{"name":"../etc","stack":"commodity","mem_mib":64}'
expect 400 name "name starting with a dot" POST /vms '{"name":".x","stack":"commodity","mem_mib":64}'
expect 400 name "empty name" POST /vms '{"name":"","stack":"commodity","mem_mib":64}'
expect 400 kernel "relative kernel path" POST /vms '{"name":"a","stack":"commodity","mem_mib":64,"kernel":"x.elf"}'
expect 400 hpc_cpus "partition with a CPU that does not exist" PUT /node/partition '{"hpc_cpus":"4096","hpc_mem_mib":2}'
expect 400 hpc_cpus "partition with a CPU beyond the host" PUT /node/partition '{"hpc_cpus":"1000","hpc_mem_mib":2}'
expect 400 commodity_cpus "partition with overlapping sets" PUT /node/partition '{"hpc_cpus":"0","commodity_cpus":"0","hpc_mem_mib":2}'
expect 400 hpc_mem_mib "partition with odd memory" PUT /node/partition '{"hpc_cpus":"0","hpc_mem_mib":3}'
expect 400 bogus "partition with an unknown field" PUT /node/partition '{"bogus":1}'
expect 409 "" "release without a partition" DELETE /node/partition
expect 409 stack "HPC VM without a partition" POST /vms "{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4,\"kernel\":\"$PVH_GUEST\"}"

big=$(head -c 70000 /dev/zero | tr '\0' ' ')
# as a client that waits for the answer before sending the body: the 413 must come first (one
# that sends at once may see the connection closed under it before it reads the answer)
API_HEADER='Expect: 100-continue' expect 413 body "a body over 64 KiB" POST /vms "{\"name\":\"a\"$big}"

# unknown resources and methods
expect 404 name "GET unknown VM" GET /vms/nope
expect 404 name "DELETE unknown VM" DELETE /vms/nope
expect 404 name "console of unknown VM" GET /vms/nope/console
expect 404 "" "unknown path" GET /nothing
expect 405 "" "PATCH /vms" PATCH /vms
expect 405 "" "POST /metrics" POST /metrics
expect 400 name "unsafe name in the path" GET '/vms/a%20b'

# /metrics parses as Prometheus text format 0.0.4
api GET /metrics
check "GET /metrics is 200" [ "$STATUS" = 200 ]
prom_ok() {
    awk '
        /^# (HELP|TYPE) / { next }
        /^$/ { next }
        /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? -?[0-9.e+-]+$/ { n++; next }
        { print "# bad line: " $0; bad++ }
        END { exit (bad > 0 || n == 0) }' "$WORK/body"
}
check "every /metrics line is a sample, HELP or TYPE" prom_ok
check "/metrics has VM counts per stack" grep -q '^dsv_vms{stack="hpc",state="running"} 0$' "$WORK/body"
check "/metrics has per-partition CPU time" grep -q '^dsv_partition_cpu_seconds_total{partition="commodity"}' "$WORK/body"
ctype=$(curl -s -o /dev/null -w '%{content_type}' --unix-socket "$SOCK" http://localhost/metrics)
check "/metrics content type is text/plain version 0.0.4" [ "${ctype#text/plain; version=0.0.4}" != "$ctype" ]

# the CLI
out=$("$DSV" node show); rc=$?
check "dsv node show exits 0" [ $rc -eq 0 ]
check "dsv node show prints the topology" grep -q '^topology:' <<<"$out"
"$DSV" vm show nope >/dev/null 2>&1; rc=$?
check "dsv vm show of an unknown VM exits 5" [ $rc -eq 5 ]
"$DSV" vm create >/dev/null 2>&1; rc=$?
check "dsv vm create without a name exits 2" [ $rc -eq 2 ]
"$DSV" --socket "$WORK/none.sock" vm list >/dev/null 2>&1; rc=$?
check "dsv with no agent exits 3" [ $rc -eq 3 ]
for cmd in "" "node" "vm" "run"; do
    "$DSV" $cmd --help >/dev/null 2>&1; rc=$?
    check "dsv $cmd --help exits 0" [ $rc -eq 0 ]
done
check "dsv vm list --json is JSON" [ "$("$DSV" vm list --json | tr -d ' \n')" = "[]" ]

# SO_PEERCRED: a peer that is neither root nor in the group is refused even if it can connect
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    chmod 0711 "$WORK"   # let the other user reach the socket file
    chmod 0666 "$SOCK"
    code=$(setpriv --reuid 65534 --regid 65534 --clear-groups curl -s -o "$WORK/body" -w '%{http_code}' --unix-socket "$SOCK" http://localhost/vms)
    check "a peer that is not root nor in the group gets 403" [ "$code" = 403 ]
    chmod 0660 "$SOCK"
    code=$(setpriv --reuid 65534 --regid 65534 --clear-groups curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://localhost/vms)
    check "with mode 0660 such a peer cannot even connect" [ "$code" = 000 ]
else
    skip "SO_PEERCRED check needs root and setpriv"
    skip "socket permission check needs root and setpriv"
fi

stop_dsvd TERM
check "dsvd removes its socket on SIGTERM" [ ! -e "$SOCK" ]
finish
