# Helpers shared by the lwk test scripts (POSIX sh, TAP output).

# abs PATH: PATH made absolute (meson passes build-relative paths; the tests cd).
abs() {
	case $1 in
	/*) echo "$1" ;;
	*) echo "$PWD/$1" ;;
	esac
}

# run_hvmm VCPUS SHARE OUT ERR PROGRAM ARGS...: runs PROGRAM under hvmm with SHARE as
# its working directory and share, and HVMM_ARGS (words) as more hvmm options; sets rc.
run_hvmm() {
	_vcpus=$1 _share=$2 _out=$3 _err=$4
	shift 4
	(cd "$_share" && timeout 60 "$HVMM" run --vcpus "$_vcpus" --mem 256M --share "$_share" ${HVMM_ARGS:-} \
		-- "$@" >"$_out" 2>"$_err")
	rc=$?
}

# run_native SHARE OUT ERR PROGRAM ARGS...: the same natively; sets rc.
run_native() {
	_share=$1 _out=$2 _err=$3
	shift 3
	(cd "$_share" && timeout 60 "$@" >"$_out" 2>"$_err")
	rc=$?
}

scratch() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/lwk-test.XXXXXX") || exit 1
	trap 'rm -rf "$WORK"' EXIT
	mkdir "$WORK/share"
	SHARE=$(cd "$WORK/share" && pwd -P)
}

# A KVM-less machine cannot run these tests: need_kvm skips rather than fails.
if [ -f "$(dirname "$0")/../lib/kvm.sh" ]; then
	. "$(dirname "$0")/../lib/kvm.sh"
else # the caller is one level deeper (tests/lwk/mpi)
	. "$(dirname "$0")/../../lib/kvm.sh"
fi

# need_cpus N: hvmm pins each vCPU to its own host CPU; skip when fewer are usable (a
# cpuset may confine this process).
need_cpus() {
	if [ "$(nproc)" -lt "$1" ]; then
		echo "1..0 # SKIP $1 vCPUs need $1 usable host CPUs, this process has $(nproc)"
		exit 0
	fi
}

dump() { # file label: show a file as TAP diagnostics
	sed "s/^/# $2: /" "$1" | head -n 40
}

# same_as_native WHERE: the native run and the one under hvmm ($WORK/native.out and
# $WORK/hvmm.out, $native_rc and $hvmm_rc) printed the same and ended the same; what differs
# as TAP comments, WHERE naming the second run.
same_as_native() {
	_same=0
	if ! cmp -s "$WORK/native.out" "$WORK/hvmm.out"; then
		echo "# stdout differs"
		diff "$WORK/native.out" "$WORK/hvmm.out" | head -n 40 | sed 's/^/# /'
		_same=1
	fi
	if [ "$native_rc" != "$hvmm_rc" ]; then
		echo "# exit status: native $native_rc, $1 $hvmm_rc"
		_same=1
	fi
	return $_same
}

# A reader (in the background) and a writer: "$PROG reader ARGS..." and "$PROG writer
# ARGS...", run in the share; their output in $WORK/native.out (reader's first) and their
# exit statuses in $native_rc ("writer reader").
pair_native() {
	(cd "$SHARE" && timeout 60 "$PROG" reader "$@" >"$WORK/native.r" 2>&1) &
	_bg=$!
	(cd "$SHARE" && timeout 60 "$PROG" writer "$@" >"$WORK/native.w" 2>&1)
	_wrc=$?
	wait $_bg
	native_rc="$_wrc $?"
	cat "$WORK/native.r" "$WORK/native.w" >"$WORK/native.out"
}

# The same pair as two one-vCPU VMs on CPUs 0 and 1 with one --shm $WORK/shm: output in
# $WORK/hvmm.out, stderr in $WORK/hvmm.{r,w}err, statuses in $hvmm_rc.
pair_vm() {
	(cd "$SHARE" && timeout 60 "$HVMM" run --vcpus 1 --cpus 0 --housekeeping-cpus 1 \
		--mem 256M --shm "$WORK/shm" -- "$PROG" reader "$@" >"$WORK/hvmm.r" \
		2>"$WORK/hvmm.rerr") &
	_bg=$!
	(cd "$SHARE" && timeout 60 "$HVMM" run --vcpus 1 --cpus 1 --housekeeping-cpus 0 \
		--mem 256M --shm "$WORK/shm" -- "$PROG" writer "$@" >"$WORK/hvmm.w" \
		2>"$WORK/hvmm.werr")
	_wrc=$?
	wait $_bg
	hvmm_rc="$_wrc $?"
	cat "$WORK/hvmm.r" "$WORK/hvmm.w" >"$WORK/hvmm.out"
}
