#!/bin/sh
# usage: linger.sh HVMM DESCRIPTORS_PROGRAM
# A guest with --net host sets SO_LINGER with an "infinite" time on a TCP socket whose peer
# never reads (docs/hvmm.md "Offload threads"). 1: it exits with the socket open; hvmm's
# teardown closes it, which must not wait (Linux does not for an exiting process): hvmm
# ends with the program's status and writes --status-file. 2: a thread closes the socket
# (the close waits, on an offload worker) while the other thread's calls through the same
# ring go on and then end the program. Unfixed, both hang until run_hvmm's timeout (124).
. "$(dirname "$0")/lib.sh"
HVMM=$(abs "$1") PROG=$(abs "$2")
need_kvm
need_cpus 2
scratch
echo "1..2"

run_native "$SHARE" "$WORK/native.out" "$WORK/native.err" "$PROG" linger_exit
if [ $rc != 7 ]; then
	echo "# native exit status $rc"
	dump "$WORK/native.out" "native stdout"
	for n in 1 2; do echo "ok $n # SKIP loopback TCP does not work on this host"; done
	exit 0
fi

HVMM_ARGS="--net host --status-file $WORK/status" run_hvmm 1 "$SHARE" "$WORK/exit.out" \
	"$WORK/exit.err" "$PROG" linger_exit
if [ $rc = 7 ] && grep -qx "linger: SO_LINGER on, time INT_MAX: 0" "$WORK/exit.out" &&
	grep -qx "linger: exiting with status 7" "$WORK/exit.out" && [ "$(cat "$WORK/status")" = 7 ]; then
	echo "ok 1 - exit with a lingering socket open: hvmm ends with status 7, status file written"
else
	echo "# exit status $rc (124: hvmm hung in teardown)"
	dump "$WORK/exit.out" stdout
	dump "$WORK/exit.err" stderr
	echo "not ok 1 - exit with a lingering socket open"
fi

run_native "$SHARE" "$WORK/native.out" "$WORK/native.err" "$PROG" linger_close
HVMM_ARGS="--net host --offload ring" run_hvmm 2 "$SHARE" "$WORK/close.out" "$WORK/close.err" "$PROG" \
	linger_close
if [ $rc = 7 ] && cmp -s "$WORK/native.out" "$WORK/close.out" &&
	grep -qx "linger: and reads it: 3" "$WORK/close.out"; then
	echo "ok 2 - a close that lingers does not hold up the other thread's ring calls"
else
	echo "# exit status $rc (124: the close stalled the ring)"
	dump "$WORK/native.out" "native stdout"
	dump "$WORK/close.out" stdout
	dump "$WORK/close.err" stderr
	echo "not ok 2 - a close that lingers does not hold up the other thread's ring calls"
fi
