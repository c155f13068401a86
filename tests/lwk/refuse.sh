#!/bin/sh
# usage: refuse.sh HVMM PROGRAM MESSAGE
# PROGRAM must not run under hvmm: a non-zero exit status and MESSAGE on stderr.
. "$(dirname "$0")/lib.sh"
HVMM=$(abs "$1") PROG=$(abs "$2") MESSAGE=$3
need_kvm
scratch
echo "1..1"
run_hvmm 1 "$SHARE" "$WORK/out" "$WORK/err" "$PROG"
if [ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q -F -- "$MESSAGE" "$WORK/err" && [ ! -s "$WORK/out" ]; then
	echo "ok 1 - $(basename "$PROG") refused (exit $rc): $(head -n 1 "$WORK/err")"
else
	echo "# exit status $rc"
	dump "$WORK/err" stderr
	dump "$WORK/out" stdout
	echo "not ok 1 - $(basename "$PROG") should be refused with '$MESSAGE'"
fi
