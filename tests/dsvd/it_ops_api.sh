#!/usr/bin/env bash
# The API as operators expect it: GET /version, the /v1 paths with the old ones as aliases,
# errors that name their field for 404 (path), 405 (method) and 500 (stack), and the CLI
# fixes: --stack required (exit 2), each command's --help its own usage. No host changes.
. "$TEST_LIB"
. "$(dirname "$0")/ops_lib.sh"
need_fake_host

start_fake_dsvd || { not_ok "dsvd starts"; finish; exit; }
ok "dsvd starts"
expect 200 "" "GET /version" GET /version
check "it names the agent's version and API v1" \
    [ "$(field version)/$(field api)" = "$("$DSVD" --version | sed 's/^dsvd //')/v1" ]
expect 200 "" "GET /v1/version" GET /v1/version
for p in /node /node/partition /vms /metrics; do
    api GET $p; old=$STATUS; a=$BODY
    api GET /v1$p
    check "GET /v1$p answers as GET $p" [ "$STATUS" = 200 ] && [ "$old" = 200 ]
done
api GET /v1/vms
check "the /v1 and old paths give the same VM list" [ "$(echo $BODY)" = "[]" ]
expect 404 path "an unknown path names field path" GET /v1/nothing
expect 404 path "/v2 is not an API version" GET /v2/vms
expect 404 path "an unknown VM sub-resource" GET /v1/vms/x/nothing
expect 404 name "an unknown VM names field name" GET /v1/vms/nope
expect 405 method "PATCH /v1/vms names field method" PATCH /v1/vms
allow=$(curl -s -o /dev/null -D - --unix-socket "$SOCK" -X PATCH http://localhost/v1/vms | tr -d '\r' | sed -n 's/^Allow: //p')
check "and the Allow header lists GET, POST" [ "$allow" = "GET, POST" ]
expect 405 method "DELETE /version" DELETE /version

# 500 from the VM's stack: hvmm (the stand-in) cannot start the VM
apply_fake_partition
expect 500 stack "hvmm failing to start names field stack" POST /v1/vms \
    "{\"name\":\"$PREFIX-k\",\"stack\":\"hpc\",\"mem_mib\":4,\"kernel\":\"$PVH_GUEST\"}"
check "and says what hvmm said" grep -q 'no program after --' <<<"$BODY"
# a program's own status 125 (hvmm's "could not start") is not a launch failure: hvmm said
# the VM started (--ready-fd)
expect 201 "" "a VM whose program exits 125 is created" POST /v1/vms \
    "{\"name\":\"$PREFIX-s\",\"stack\":\"hpc\",\"mem_mib\":4,\"program\":[\"/bin/sh\",\"-c\",\"exit 125\"]}"
"$DSV" vm wait $PREFIX-s >/dev/null 2>&1; rc=$?
check "dsv vm wait exits with its status, 125" [ $rc -eq 125 ]
api GET /v1/vms/$PREFIX-s
check "it exited (not failed), with exit_code 125" [ "$(field state)/$(field exit_code)" = exited/125 ]
check "and the reason is no launch failure" bash -c "! grep -q 'could not start' <<<'$(field exit_reason)'"
"$DSV" vm delete $PREFIX-s >/dev/null
"$DSV" vm create $PREFIX-c --stack hpc --mem 4M -- /bin/sh -c 'echo 0123456789; exec sleep 60' >/dev/null
expect 400 offset "a console offset that is not a number" GET "/v1/vms/$PREFIX-c/console?offset=-1"
wait_for 60 grep -q 0123456789 "$STATE/vms/$PREFIX-c.console"
size=$(stat -c %s "$STATE/vms/$PREFIX-c.console")
api GET "/v1/vms/$PREFIX-c/console?offset=$((size - 6))"
check "?offset reads from that byte" [ "$BODY" = "56789" ]
api GET "/v1/vms/$PREFIX-c"
check "console_bytes is the console's size" [ "$(field console_bytes)" = "$size" ]
api GET "/v1/vms/$PREFIX-c/console?offset=$((size + 100))"
check "an offset past the end reads nothing" [ "$STATUS/$BODY" = "200/" ]
"$DSV" vm delete $PREFIX-c >/dev/null
"$DSV" node release >/dev/null

# the CLI
"$DSV" vm create $PREFIX-x -- /bin/true >/dev/null 2>"$WORK/err"
check "dsv vm create without --stack exits 2" [ $? -eq 2 ]
check "and says --stack is required" grep -q -- '--stack hpc|commodity is required' "$WORK/err"
"$DSV" run -- /bin/true >/dev/null 2>&1
check "dsv run without --stack exits 2" [ $? -eq 2 ]
own_help() { # CMD... : its --help exits 0 and is its own usage only
    local out; out=$("$DSV" "$@" --help) || return 1
    grep -q "^usage: dsv .*$* " <<<"$out" || grep -q "^usage: dsv .*$*\$" <<<"$out" || return 1
    [ "$(grep -c '^usage:' <<<"$out")" = 1 ]
}
for cmd in "vm create" "vm list" "vm show" "vm wait" "vm console" "vm delete" \
           "node show" "node partition" "node release" "events"; do
    check "dsv $cmd --help prints its own usage" own_help $cmd || "$DSV" $cmd --help | sed 's/^/#   /'
done
out=$("$DSV" vm show --help)
check "dsv vm show --help does not list the other vm commands" bash -c "! grep -q 'vm delete' <<<'$out'"
stop_dsvd TERM && ok "dsvd stops cleanly"
finish
