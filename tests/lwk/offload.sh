#!/bin/sh
# usage: offload.sh HVMM SYSCALLS_PROG OVERSUB_PROG
# The offload ring (docs/abi.md "The offload ring") forced on and off: the program gives
# the same output as natively either way, and hvmm's --stats=json says which path the
# calls took: through the ring (and, for a read that waits on a pipe while another thread
# shares the vCPU, on a worker), or none through it. The whole lwk suite also runs with
# HVMM_OFFLOAD=ring and =exit (docs/testing.md); this test proves the knob takes effect.
. "$(dirname "$0")/lib.sh"
HVMM=$(abs "$1") SYSCALLS=$(abs "$2") OVERSUB=$(abs "$3")
need_kvm
scratch
echo "1..3"

# stat NAME: the number NAME in the offload object of hvmm's --stats=json line.
stat() {
	grep -o "\"$1\":[0-9]*" "$WORK/hvmm.err" | head -n 1 | cut -d: -f2
}
mode() {
	grep -o '"offload":{"mode":"[a-z]*"' "$WORK/hvmm.err" | cut -d'"' -f6
}

# case N NAME MODE CHECK PROGRAM ARGS...: native vs hvmm --offload MODE, then CHECK (shell).
case_run() {
	_n=$1 _name=$2 _mode=$3 _check=$4
	shift 4
	rm -rf "$SHARE" && mkdir "$SHARE"
	run_native "$SHARE" "$WORK/native.out" "$WORK/native.err" "$@"
	native_rc=$rc
	rm -rf "$SHARE" && mkdir "$SHARE"
	HVMM_ARGS="--offload $_mode --stats=json" run_hvmm 1 "$SHARE" "$WORK/hvmm.out" \
		"$WORK/hvmm.err" "$@"
	hvmm_rc=$rc
	if same_as_native "hvmm --offload $_mode" && [ "$(mode)" = "$_mode" ] && eval "$_check"; then
		echo "ok $_n - $_name"
	else
		echo "# offload mode '$(mode)', ring_calls '$(stat ring_calls)', handed '$(stat handed)'"
		dump "$WORK/hvmm.err" "hvmm stderr"
		echo "not ok $_n - $_name"
	fi
}

case_run 1 "syscalls through the ring: same as native, calls in the ring, none refused" ring \
	'[ "$(stat ring_calls)" -gt 20 ] && [ "$(stat rejected)" = 0 ]' "$SYSCALLS"
case_run 2 "syscalls with --offload exit: same as native, nothing in the ring" exit \
	'[ "$(stat ring_calls)" = 0 ]' "$SYSCALLS"
case_run 3 "a pipe read waiting while its writer shares the vCPU: on a worker, same as native" \
	ring '[ "$(stat handed)" -gt 0 ]' "$OVERSUB" pipe
