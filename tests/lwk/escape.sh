#!/bin/sh
# usage: escape.sh HVMM ESCAPE_PROGRAM
# A program that tries to leave its share gets EACCES for every attempt.
. "$(dirname "$0")/lib.sh"
HVMM=$(abs "$1") PROG=$(abs "$2")
need_kvm
scratch
echo probe >"$WORK/escape_probe"
ln -s /etc/passwd "$SHARE/link_out"
echo "1..1"
run_hvmm 1 "$SHARE" "$WORK/out" "$WORK/err" "$PROG"
cat >"$WORK/expected" <<EOT
../escape_probe: EACCES
/etc/passwd: EACCES
link_out: EACCES
EOT
if [ $rc -eq 0 ] && cmp -s "$WORK/expected" "$WORK/out"; then
	echo "ok 1 - share escapes are refused with EACCES"
else
	echo "# exit status $rc"
	dump "$WORK/out" stdout
	dump "$WORK/err" stderr
	echo "not ok 1 - share escape"
fi
