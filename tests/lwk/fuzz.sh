#!/bin/sh
# usage: fuzz.sh HVMM SYSCALL_FUZZ_PROGRAM
# Random system calls from a hostile program (tests/lwk/progs/syscall_fuzz.c), several seeds:
# the program may die of its own faults (exit 128 + signal), but the kernel must never
# crash (hvmm 126/127) or panic.
. "$(dirname "$0")/lib.sh"
HVMM=$(abs "$1") PROG=$(abs "$2")
need_kvm
scratch
seeds="1 2 3 4 5"
echo "1..5"
n=0
for seed in $seeds; do
	n=$((n + 1))
	rm -rf "$SHARE" && mkdir "$SHARE"
	run_hvmm 1 "$SHARE" /dev/null "$WORK/err" "$PROG" 20000 "$seed" </dev/null
	if [ $rc -ge 125 ] && [ $rc -le 127 ] || grep -q "panic" "$WORK/err"; then
		grep -v "is not supported: ENOSYS" "$WORK/err" | head -n 20 | sed 's/^/# /'
		echo "not ok $n - seed $seed: exit status $rc"
	else
		echo "ok $n - seed $seed: the kernel survived (exit status $rc)"
	fi
done
