#!/bin/sh
# usage: inherit.sh HVMM DESCRIPTORS_PROGRAM
# Inherited descriptors: hvmm started with 3 and 4 open and --inherit-fd 3 gives the
# program 3 (the same file, same number) and not 4, which reads as closed: the same
# output as a native run started with 3 alone. A number hvmm was not given is refused.
. "$(dirname "$0")/lib.sh"
HVMM=$(abs "$1") PROG=$(abs "$2")
need_kvm
scratch
echo "1..2"
echo "handed down" >"$WORK/in3"
echo "not for the guest" >"$WORK/in4"

(cd "$SHARE" && timeout 60 "$PROG" inherit 3<"$WORK/in3" 4<&- >"$WORK/native.out" 2>&1)
HVMM_ARGS="--inherit-fd 3" run_hvmm 1 "$SHARE" "$WORK/hvmm.out" "$WORK/hvmm.err" "$PROG" inherit \
	3<"$WORK/in3" 4<"$WORK/in4"
if [ $rc = 0 ] && cmp -s "$WORK/native.out" "$WORK/hvmm.out" &&
   grep -qx "inherit: read 4: -1 EBADF" "$WORK/hvmm.out"; then
	echo "ok 1 - --inherit-fd 3: the program reads 3 as natively, hvmm's 4 is not visible"
else
	echo "# exit status $rc"
	diff "$WORK/native.out" "$WORK/hvmm.out" | sed 's/^/# /'
	dump "$WORK/hvmm.err" stderr
	echo "not ok 1 - --inherit-fd 3"
fi

HVMM_ARGS="--inherit-fd 1000" run_hvmm 1 "$SHARE" "$WORK/bad.out" "$WORK/bad.err" "$PROG" inherit
if [ $rc = 125 ] && grep -q "inherit-fd 1000: Bad file descriptor" "$WORK/bad.err"; then
	echo "ok 2 - --inherit-fd of a descriptor hvmm does not have: exit 125, named"
else
	echo "# exit status $rc"
	dump "$WORK/bad.err" stderr
	echo "not ok 2 - --inherit-fd 1000 (not open)"
fi
