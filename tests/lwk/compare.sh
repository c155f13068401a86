#!/bin/sh
# usage: compare.sh HVMM VCPUS PROGRAM [ARGS...]
# Runs PROGRAM natively and under hvmm (lwk), each in a fresh share as its working
# directory; stdout and the exit status must be identical. If EXPECT_LOG is set, hvmm's
# stderr must contain that text exactly once (kernel diagnostics are logged once).
# HVMM_ARGS: more hvmm options. NATIVE_MUST_PASS=REASON: the test is skipped, with REASON,
# when the native run fails (a host facility the comparison needs, e.g. loopback, is absent).
. "$(dirname "$0")/lib.sh"
HVMM=$(abs "$1") VCPUS=$2 PROG=$(abs "$3")
shift 3
set -- "$PROG" "$@"
need_kvm
need_cpus "$VCPUS"
scratch
name="$(basename "$1") $VCPUS vCPU(s)"
echo "1..1"

run_native "$SHARE" "$WORK/native.out" "$WORK/native.err" "$@"
native_rc=$rc
if [ -n "${NATIVE_MUST_PASS:-}" ] && [ "$native_rc" != 0 ]; then
	echo "ok 1 # SKIP native run exited $native_rc: $NATIVE_MUST_PASS"
	dump "$WORK/native.out" "native stdout"
	exit 0
fi
rm -rf "$SHARE" && mkdir "$SHARE"
run_hvmm "$VCPUS" "$SHARE" "$WORK/hvmm.out" "$WORK/hvmm.err" "$@"
hvmm_rc=$rc

ok=1
same_as_native hvmm || ok=0
if [ -n "${EXPECT_LOG:-}" ] && [ "$(grep -c -F -- "$EXPECT_LOG" "$WORK/hvmm.err")" != 1 ]; then
	echo "# hvmm stderr does not contain '$EXPECT_LOG' exactly once"
	ok=0
fi
if [ $ok = 1 ]; then
	echo "ok 1 - $name: same output and exit status ($hvmm_rc)"
else
	dump "$WORK/hvmm.err" "hvmm stderr"
	echo "not ok 1 - $name"
fi
