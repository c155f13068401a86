#!/bin/sh
# usage: oversubscribe.sh HVMM OVERSUB_PROGRAM
# The lwk's thread table (LWK_MAX_THREADS, 128 threads with the main one) on 2 vCPUs:
# 128 threads at once all run; one more and pthread_create fails with EAGAIN, the program
# reports it and exits 1, and the VM survives.
. "$(dirname "$0")/lib.sh"
HVMM=$(abs "$1") PROG=$(abs "$2")
need_kvm
need_cpus 2
scratch
echo "1..2"
run_hvmm 2 "$SHARE" "$WORK/out" "$WORK/err" "$PROG" many 128
if [ $rc -eq 0 ] && grep -q "^many: 128 threads, sum 8128$" "$WORK/out"; then
	echo "ok 1 - 128 threads on 2 vCPUs"
else
	echo "# exit status $rc"
	dump "$WORK/out" stdout
	dump "$WORK/err" stderr
	echo "not ok 1 - 128 threads on 2 vCPUs"
fi
run_hvmm 2 "$SHARE" "$WORK/out" "$WORK/err" "$PROG" many 129
if [ $rc -eq 1 ] && grep -q "pthread_create failed: EAGAIN" "$WORK/out"; then
	echo "ok 2 - 129 threads: the thread table is full, pthread_create fails with EAGAIN"
else
	echo "# exit status $rc"
	dump "$WORK/out" stdout
	dump "$WORK/err" stderr
	echo "not ok 2 - 129 threads"
fi
