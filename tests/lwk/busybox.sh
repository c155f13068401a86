#!/bin/sh
# usage: busybox.sh HVMM BUSYBOX
# busybox-static applets on files in the share, natively and under hvmm: same stdout,
# same exit status, same files left behind.
. "$(dirname "$0")/lib.sh"
HVMM=$(abs "$1") BB=$(abs "$2")
need_kvm
scratch
if [ ! -x "$BB" ]; then
	echo "1..0 # SKIP no busybox at $BB"
	exit 0
fi

populate() {
	rm -rf "$SHARE" && mkdir "$SHARE"
	printf 'pear\napple\nfig\nbanana\n' >"$SHARE/fruit.txt"
	printf 'line one\nline two\n' >"$SHARE/notes.txt"
	mkdir "$SHARE/sub"
	printf 'deep\n' >"$SHARE/sub/deep.txt"
}

# tree DIR: the files below DIR, and for the files named in $META (if any) what stat's
# format $META_FMT shows of them (their mode or modification time, which the applet under
# test set to a known value; the rest differs between the two runs).
tree() {
	(cd "$1" && ls -R && if [ -n "${META:-}" ]; then stat -c "$META_FMT %n" $META; fi)
}

n=0
check() { # label applet args...
	label=$1
	shift
	n=$((n + 1))
	populate
	run_native "$SHARE" "$WORK/native.out" "$WORK/native.err" "$BB" "$@"
	nrc=$rc
	tree "$SHARE" >"$WORK/native.tree"
	populate
	run_hvmm 1 "$SHARE" "$WORK/hvmm.out" "$WORK/hvmm.err" "$BB" "$@"
	hrc=$rc
	tree "$SHARE" >"$WORK/hvmm.tree"
	if cmp -s "$WORK/native.out" "$WORK/hvmm.out" && [ $nrc = $hrc ] &&
		cmp -s "$WORK/native.tree" "$WORK/hvmm.tree"; then
		echo "ok $n - busybox $label"
	else
		echo "# exit status: native $nrc, hvmm $hrc"
		diff "$WORK/native.out" "$WORK/hvmm.out" | head -n 20 | sed 's/^/# /'
		diff "$WORK/native.tree" "$WORK/hvmm.tree" | head -n 20 | sed 's/^/# tree /'
		dump "$WORK/hvmm.err" "hvmm stderr"
		echo "not ok $n - busybox $label"
	fi
}

echo "1..13"
check echo echo hello from busybox
check cat cat fruit.txt notes.txt sub/deep.txt
check sha256sum sha256sum fruit.txt notes.txt
check wc wc fruit.txt notes.txt
check ls ls -1 . sub
check sort sort fruit.txt
check mkdir mkdir -p newdir/inner
check rm rm -r sub
check "cat missing" cat missing.txt
check "touch (creates)" touch new.txt
META=fruit.txt META_FMT=%Y
check "touch -d" touch -d @981173106 fruit.txt
META="fruit.txt sub" META_FMT=%a
check chmod chmod 640 fruit.txt sub
META=
check "stat -f" stat -f -c '%t %T %l' . /proc /sys/devices/system/cpu
