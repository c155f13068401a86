#!/bin/sh
# usage: net_none.sh HVMM DESCRIPTORS_PROGRAM
# The network policy: without --net (the default, none) socket() refuses AF_INET and
# AF_INET6 with EAFNOSUPPORT while AF_UNIX socket pairs work; --net host allows them
# as a native run does.
. "$(dirname "$0")/lib.sh"
HVMM=$(abs "$1") PROG=$(abs "$2")
need_kvm
scratch
echo "1..3"

run_native "$SHARE" "$WORK/native.out" "$WORK/native.err" "$PROG" netnone
if grep -q "socket AF_INET: [0-9]" "$WORK/native.out"; then
	echo "ok 1 - native: socket(AF_INET) succeeds"
else
	dump "$WORK/native.out" "native stdout"
	echo "not ok 1 - native: socket(AF_INET) succeeds"
fi

run_hvmm 1 "$SHARE" "$WORK/none.out" "$WORK/none.err" "$PROG" netnone
if [ $rc = 0 ] && grep -qx "socket AF_INET: -1 EAFNOSUPPORT" "$WORK/none.out" &&
   grep -qx "socket AF_INET6: -1 EAFNOSUPPORT" "$WORK/none.out" &&
   grep -qx "socketpair AF_UNIX: 0" "$WORK/none.out"; then
	echo "ok 2 - --net none (default): IP sockets EAFNOSUPPORT, AF_UNIX pairs allowed"
else
	echo "# exit status $rc"
	dump "$WORK/none.out" stdout
	dump "$WORK/none.err" stderr
	echo "not ok 2 - --net none (default)"
fi

HVMM_ARGS="--net host" run_hvmm 1 "$SHARE" "$WORK/host.out" "$WORK/host.err" "$PROG" netnone
if [ $rc = 0 ] && grep -q "socket AF_INET: [0-9]" "$WORK/host.out" &&
   grep -q "socket AF_INET6: [0-9]" "$WORK/host.out"; then
	echo "ok 3 - --net host: IP sockets allowed"
else
	echo "# exit status $rc"
	dump "$WORK/host.out" stdout
	dump "$WORK/host.err" stderr
	echo "not ok 3 - --net host"
fi
