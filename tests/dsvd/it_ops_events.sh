#!/usr/bin/env bash
# GET /v1/events and dsv vm wait / dsv events, end to end over dsvd's socket: a client sees
# created, running, exited, deleted and the partition's applied/released in order; a stream
# resumes from Last-Event-ID; dsv vm wait exits with the VM's status, also when dsvd is
# SIGKILLed and restarted while it waits and the VM ends meanwhile (hvmm's status file).
# Runs on a fake host tree with hvmm_standin (ops_lib.sh): no /dev/kvm needed.
. "$TEST_LIB"
# reap_within SECONDS PID: the background client's status; one still running after SECONDS is
# killed (a failure, never a hung test)
reap_within() { wait_for "$1" bash -c "! kill -0 $2 2>/dev/null"; kill "$2" 2>/dev/null; wait "$2"; }
. "$(dirname "$0")/ops_lib.sh"
need_fake_host

start_fake_dsvd || { not_ok "dsvd starts"; finish; exit; }
ok "dsvd starts on a fake host"

curl -sN --unix-socket "$SOCK" http://localhost/v1/events > "$WORK/stream" 2>/dev/null &
STREAM=$!
"$DSV" events > "$WORK/cli-events" 2>&1 &
CLI_EVENTS=$!
wait_for 60 grep -q '^: events from seq 1$' "$WORK/stream"
check "the stream starts by saying where it starts" [ $? -eq 0 ]

apply_fake_partition
check "partition applied" [ $? -eq 0 ]
"$DSV" vm create $PREFIX-a --stack hpc --mem 4M -- /bin/sh -c 'sleep 1; exit 7' >/dev/null
check "VM a created" [ $? -eq 0 ]
start=$(date +%s)
"$DSV" vm wait $PREFIX-a 2>"$WORK/wait.err"
rc=$?
check "dsv vm wait exits with the VM's status (7)" [ $rc -eq 7 ] || show "$WORK/wait.err"
check "dsv vm wait returns once the VM ends (not at a timeout)" [ $(( $(date +%s) - start )) -le 60 ]
"$DSV" vm wait $PREFIX-a 2>/dev/null
check "dsv vm wait on an ended VM exits at once with its status" [ $? -eq 7 ]
"$DSV" vm wait $PREFIX-nope 2>/dev/null
check "dsv vm wait on no such VM exits 5" [ $? -eq 5 ]
"$DSV" vm wait 2>/dev/null
check "dsv vm wait without a name exits 2" [ $? -eq 2 ]

# console -f: what the VM writes arrives while it runs, and -f ends with the VM
"$DSV" vm create $PREFIX-f --stack hpc --mem 4M -- /bin/sh -c \
    'echo tick-1; sleep 5; echo tick-2; sleep 5; echo tick-3' >/dev/null
"$DSV" vm console -f $PREFIX-f > "$WORK/follow" 2>&1 &
FOLLOW=$!
wait_for 60 grep -q '^tick-1' "$WORK/follow"
check "console -f shows the first line while the VM runs" [ $? -eq 0 ]
check "... before the later ones are written" bash -c "! grep -q '^tick-3' '$WORK/follow'"
wait_for 60 bash -c "! kill -0 $FOLLOW 2>/dev/null"
check "console -f ends when the VM ends" [ $? -eq 0 ]
kill $FOLLOW 2>/dev/null # still there only if the check above failed: never wait forever
wait $FOLLOW
check "console -f exits 0" [ $? -eq 0 ]
check "console -f printed every line once, in order" \
    [ "$(grep -o '^tick-[0-9]' "$WORK/follow" | tr '\n' ' ')" = "tick-1 tick-2 tick-3 " ] || show "$WORK/follow"
"$DSV" vm delete $PREFIX-f >/dev/null

"$DSV" vm create $PREFIX-b --stack hpc --mem 4M -- /bin/sleep 300 >/dev/null
"$DSV" vm wait $PREFIX-b 2>"$WORK/waitb.err" &
WAITB=$!
sleep 0.5
check "dsv vm wait blocks while the VM runs" kill -0 $WAITB
"$DSV" vm delete $PREFIX-b >/dev/null
reap_within 60 $WAITB
rc=$?
check "dsv vm wait exits 5 when the VM is deleted meanwhile" [ $rc -eq 5 ] || show "$WORK/waitb.err"
"$DSV" vm delete $PREFIX-a >/dev/null
"$DSV" node release >/dev/null
check "partition released" [ $? -eq 0 ]

want="partition.applied vm.created vm.running vm.exited vm.created vm.running vm.exited vm.deleted vm.created vm.running vm.deleted vm.deleted partition.released"
wait_for 60 bash -c "[ \"\$(sed -n 's/^event: //p' '$WORK/stream' | tr '\n' ' ' | sed 's/ \$//')\" = '$want' ]"
check "a client sees every event in order" [ "$(ev_types "$WORK/stream")" = "$want" ] ||
    { diag "got:  $(ev_types "$WORK/stream")"; diag "want: $want"; }
check "events are numbered 1, 2, ... in order" \
    [ "$(sed -n 's/^id: //p' "$WORK/stream" | tr '\n' ' ')" = "$(seq -s ' ' 1 13) " ]
check "the exited event carries the VM and its exit status" \
    grep -q "^data: {\"name\":\"$PREFIX-a\",\"stack\":\"hpc\",\"vm\":{.*\"state\":\"exited\".*\"exit_code\":7," "$WORK/stream"
check "dsv events prints them as they come" \
    [ "$(awk '{print $4}' "$WORK/cli-events" | tr '\n' ' ')" = "${want// / } " ] || show "$WORK/cli-events"
check "dsv events shows the exit status" grep -q "vm.exited  *$PREFIX-a exit 7" "$WORK/cli-events"

# resuming: Last-Event-ID and ?since give the events after that number
timeout 5 curl -sN --unix-socket "$SOCK" -H 'Last-Event-ID: 3' http://localhost/v1/events > "$WORK/resumed"
check "Last-Event-ID 3 resumes at event 4" [ "$(sed -n 's/^id: //p' "$WORK/resumed" | head -1)" = 4 ]
timeout 5 curl -sN --unix-socket "$SOCK" 'http://localhost/v1/events?since=12' > "$WORK/since"
check "?since=12 gives event 13 only" [ "$(sed -n 's/^id: //p' "$WORK/since" | tr '\n' ' ')" = "13 " ]
expect 400 since "a since that is not a number" GET '/v1/events?since=x'
code=$(curl -s -o "$WORK/body" -w '%{http_code}' --unix-socket "$SOCK" -H 'Last-Event-ID: -1' http://localhost/events)
check "a Last-Event-ID that is not a number is a 400 naming it" \
    [ "$code/$(BODY=$(cat "$WORK/body"); field field)" = "400/Last-Event-ID" ]
expect 405 method "POST /v1/events" POST /v1/events '{}'

# dsvd SIGKILLed while a VM runs and dsv vm wait waits; the VM ends while no dsvd runs
apply_fake_partition
"$DSV" vm create $PREFIX-c --stack hpc --mem 4M -- /bin/sh -c 'sleep 3; exit 9' >/dev/null
check "VM c created" [ $? -eq 0 ]
"$DSV" vm wait $PREFIX-c 2>"$WORK/waitc.err" &
WAITC=$!
api GET /v1/vms/$PREFIX-c
cpid=$(field pid)
stop_dsvd KILL
gone() { ! kill -0 "$cpid" 2>/dev/null || grep -q '^State:.*Z' /proc/$cpid/status; }
wait_for 60 gone
check "the VM ends while dsvd is down" [ $? -eq 0 ]
start_fake_dsvd || not_ok "dsvd restarts"
reap_within 120 $WAITC
rc=$?
check "dsv vm wait rides out the restart and exits with the VM's status (9)" [ $rc -eq 9 ] || show "$WORK/waitc.err"
api GET /v1/vms/$PREFIX-c
check "after the restart the VM is exited with exit_code 9 from hvmm's status file" \
    [ "$(field state)/$(field exit_code)" = "exited/9" ] || diag "$BODY"
check "its reason is hvmm's status" [ "$(field exit_reason)" = "hvmm exited with status 9" ]

# a VM killed with SIGKILL while dsvd is down leaves no status: failed, not a made-up 0
"$DSV" vm create $PREFIX-d --stack hpc --mem 4M -- /bin/sleep 300 >/dev/null
api GET /v1/vms/$PREFIX-d
dpid=$(field pid)
stop_dsvd KILL
kill -KILL "$dpid"
cpid=$dpid; wait_for 60 gone
start_fake_dsvd || not_ok "dsvd restarts"
api GET /v1/vms/$PREFIX-d
check "an hvmm killed while dsvd was down is failed, without an exit_code" \
    [ "$(field state)/$(field exit_code)" = "failed/" ] || diag "$BODY"
check "its reason says no status was left" grep -q 'leaving no status' <<<"$(field exit_reason)"
"$DSV" vm wait $PREFIX-d 2>/dev/null
check "dsv vm wait on it exits 1" [ $? -eq 1 ]
for v in c d; do "$DSV" vm delete $PREFIX-$v >/dev/null; done
"$DSV" node release >/dev/null
check "partition released after the restarts" [ $? -eq 0 ]

kill $STREAM $CLI_EVENTS 2>/dev/null
curl -sN --unix-socket "$SOCK" http://localhost/v1/events > "$WORK/last" 2>/dev/null &
STREAM=$!
wait_for 60 grep -q '^: events from' "$WORK/last"
stop_dsvd TERM && ok "dsvd stops cleanly on SIGTERM with an event stream open"
wait_for 60 bash -c "! kill -0 $STREAM 2>/dev/null"
check "the open stream ends when dsvd stops" [ $? -eq 0 ]
finish
