#!/bin/sh
# usage: oversubscribe.sh HVMM THREADS_PROGRAM
# More threads than vCPUs: pthread_create fails (clone answers EAGAIN), the program
# reports it and exits 1; the VM survives.
. "$(dirname "$0")/lib.sh"
HVMM=$(abs "$1") PROG=$(abs "$2")
need_kvm
need_cpus 2
scratch
echo "1..1"
run_hvmm 2 "$SHARE" "$WORK/out" "$WORK/err" "$PROG" 3
if [ $rc -eq 1 ] && grep -q "pthread_create failed: EAGAIN" "$WORK/out"; then
	echo "ok 1 - 3 threads on 2 vCPUs: pthread_create fails with EAGAIN"
else
	echo "# exit status $rc"
	dump "$WORK/out" stdout
	dump "$WORK/err" stderr
	echo "not ok 1 - oversubscription"
fi
