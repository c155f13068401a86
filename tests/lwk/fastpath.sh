#!/bin/sh
# usage: fastpath.sh HVMM FASTPATH_PROG [BENCH_FASTCALLS_PROG]
# The fast path (docs/lwk.md "The fast path for system calls") forced on and off: the calls
# it answers and the ones it hands on give the same answers as natively; with it on, the
# program's syscall site holds `call *%rax` (ff d0) and -v counts the rewritten sites; a
# fault right after a rewritten site is reported at its own address, and a call through a
# NULL pointer as the page fault at 0 that Linux reports; brk through a rewritten site (the
# handler's moves and the kernel's) gives the break and the zeroed pages Linux gives, and
# garbage the program writes into the break's page does not fool the kernel; a read of NULL
# beyond its first page faults. The whole lwk suite also runs with HVMM_FASTPATH=on and
# =off (docs/testing.md); this test proves the knob takes effect.
# BENCH_FASTCALLS_PROG (glibc, with libgomp): 2000 empty OpenMP regions on two threads; the
# futex sites of libgomp and glibc pass the kernel's checks and are rewritten (the results of
# OpenMP programs with the fast path on: lwk_openmp_fastpath_glibc).
. "$(dirname "$0")/lib.sh"
HVMM=$(abs "$1") PROG=$(abs "$2") OMP=${3:+$(abs "$3")}
need_kvm
need_cpus 2
scratch
echo "1..${OMP:+18}${OMP:-17}"

# vm MODE ARGS...: the program in a 2-vCPU VM with --fastpath MODE and -v.
vm() {
	_mode=$1
	shift
	rm -rf "$SHARE" && mkdir "$SHARE"
	HVMM_ARGS="--fastpath $_mode -v" run_hvmm 2 "$SHARE" "$WORK/hvmm.out" "$WORK/hvmm.err" \
		"$PROG" "$@"
	hvmm_rc=$rc
}
rewritten() {
	sed -n 's/.*fast path: \([0-9]*\) system call site(s) rewritten.*/\1/p' "$WORK/hvmm.err"
}
trapped() {
	sed -n 's/.*lwk: \([0-9]*\) system call(s) trapped into the kernel.*/\1/p' "$WORK/hvmm.err"
}
verdict() { # N NAME: ok or not ok from $ok
	if [ "$ok" = 1 ]; then
		echo "ok $1 - $2"
	else
		dump "$WORK/hvmm.err" "hvmm stderr"
		echo "not ok $1 - $2"
	fi
}

run_native "$SHARE" "$WORK/native.out" "$WORK/native.err" "$PROG" calls
native_rc=$rc
vm on calls
ok=1
same_as_native "hvmm --fastpath on" || ok=0
[ "$(rewritten)" -ge 1 ] 2>/dev/null || { echo "# rewritten sites: '$(rewritten)'"; ok=0; }
verdict 1 "fast path on: futex, getpid, getppid and their edges as natively, sites rewritten"

vm off calls
ok=1
same_as_native "hvmm --fastpath off" || ok=0
grep -q "fast path:" "$WORK/hvmm.err" && { echo "# the fast path reported itself"; ok=0; }
verdict 2 "fast path off: the same answers, nothing rewritten"

vm on site
ok=1
grep -qx "site bytes: ff d0" "$WORK/hvmm.out" || { dump "$WORK/hvmm.out" stdout; ok=0; }
verdict 3 "fast path on: the site holds call *%rax after a futex wake"

vm off site
ok=1
grep -qx "site bytes: 0f 05" "$WORK/hvmm.out" || { dump "$WORK/hvmm.out" stdout; ok=0; }
verdict 4 "fast path off: the site still holds syscall"

run_native "$SHARE" "$WORK/native.out" "$WORK/native.err" "$PROG" crash
native_rc=$rc
vm on crash
ok=1
same_as_native "hvmm --fastpath on" || ok=0
at=$(sed -n 's/^crash at \([0-9a-f]*\)$/\1/p' "$WORK/hvmm.out")
ip=$(printf '%016x' "0x${at:-0}")
grep -q "trap Illegal instruction (vector 6) ip $ip " "$WORK/hvmm.err" ||
	{ echo "# no report of the fault at $ip"; ok=0; }
[ "$(rewritten)" -ge 1 ] 2>/dev/null || { echo "# rewritten sites: '$(rewritten)'"; ok=0; }
verdict 5 "a fault right after a rewritten site: reported at its address ($ip), as natively killed"

run_native "$SHARE" "$WORK/native.out" "$WORK/native.err" "$PROG" null
native_rc=$rc
vm on null
ok=1
same_as_native "hvmm --fastpath on" || ok=0
grep -q "segfault at 0 ip 0000000000000000 " "$WORK/hvmm.err" ||
	{ echo "# no page fault at 0 reported"; ok=0; }
verdict 6 "a call through NULL with the fast path's page at 0: the page fault at 0, as natively"

run_native "$SHARE" "$WORK/native.out" "$WORK/native.err" "$PROG" brk
native_rc=$rc
vm on brk
ok=1
same_as_native "hvmm --fastpath on" || ok=0
[ "$(rewritten)" -ge 1 ] 2>/dev/null || { echo "# rewritten sites: '$(rewritten)'"; ok=0; }
moves=$(sed -n 's/.*brk moved in user mode \([0-9]*\) time.*/\1/p' "$WORK/hvmm.err")
[ "${moves:-0}" -ge 1 ] 2>/dev/null || { echo "# brk moves in user mode: '$moves'"; ok=0; }
verdict 7 "fast path on: brk's moves, zeroed pages and refusals as natively, its site rewritten"

vm off brk
ok=1
same_as_native "hvmm --fastpath off" || ok=0
verdict 8 "fast path off: brk the same"

vm on brk_page
ok=1
grep -qx "break page: in sync, moves by the handler: 3" "$WORK/hvmm.out" ||
	{ dump "$WORK/hvmm.out" stdout; ok=0; }
verdict 9 "fast path on: moves within the spare pages answered by the handler, the break in sync"

# One thread moves the break over a page another maps there again and again: the kernel's
# turns and the handler's moves are ordered, as on Linux (never both granted).
run_native "$SHARE" "$WORK/native.out" "$WORK/native.err" "$PROG" brk_race
native_rc=$rc
n=10
for mode in on off; do
	vm $mode brk_race
	ok=1
	same_as_native "hvmm --fastpath $mode" || ok=0
	grep "^brk_race:" "$WORK/hvmm.err" | sed 's/^/# /'
	verdict $n "fast path $mode: a break and a mapping raced for one page, never both granted"
	n=$((n + 1))
done

# Hostile: the program writes garbage into the page the handler keeps the break in. The
# kernel ignores what is out of the heap's pages, answers with its own break, and zeroes
# what the program may have written above it.
vm on brk_spoil
ok=1
[ "$hvmm_rc" = 0 ] || { echo "# status $hvmm_rc"; ok=0; }
for r in 0 1; do
	grep -qx "round $r: brk(0) the kernel's break, raised yes, the break's page kept yes, new pages zero yes" \
		"$WORK/hvmm.out" || ok=0
done
[ "$ok" = 1 ] || dump "$WORK/hvmm.out" stdout
verdict 12 "a spoiled break page: the kernel's break, then zeroed pages above it"

# Reads of NULL beyond its first page fault with the fast path's pages mapped, as natively.
run_native "$SHARE" "$WORK/native.out" "$WORK/native.err" "$PROG" null_read
native_rc=$rc
n=13
for mode in on off; do
	vm $mode null_read
	ok=1
	same_as_native "hvmm --fastpath $mode" || ok=0
	grep -q "segfault at 1800 " "$WORK/hvmm.err" || { echo "# no page fault at 0x1800"; ok=0; }
	verdict $n "fast path $mode: a read of NULL + 6 KiB faults, as natively"
	n=$((n + 1))
done

# What the fast path is for: calls it answers do not trap. -v counts the system calls that
# trapped; 1000 getpid calls through one site trap at least 999 fewer times with it on.
run_native "$SHARE" "$WORK/native.out" "$WORK/native.err" "$PROG" getpid_loop
native_rc=$rc
ok=1
vm on getpid_loop
same_as_native "hvmm --fastpath on" || ok=0
on=$(trapped)
vm off getpid_loop
same_as_native "hvmm --fastpath off" || ok=0
off=$(trapped)
echo "# system calls that trapped: fast path on ${on:-?}, off ${off:-?}"
[ "${on:-0}" -ge 1 ] 2>/dev/null && [ "$((${off:-0} - on))" -ge 999 ] || ok=0
verdict 15 "1000 getpid calls through a rewritten site: at least 999 fewer traps than with it off"

# Hostile: straight to the handler's own syscall with a return address no site pushed. The
# kernel must not return there (sysretq to a non-canonical or kernel address); the call is
# the handler's, which stops on its ud2: SIGILL, status 132, the VMM unharmed.
n=16
for kind in noncanonical kernel; do
	vm on handler_jump "$kind"
	ok=1
	at=$(sed -n 's/^handler syscall at \([0-9a-f]*\)$/\1/p' "$WORK/hvmm.out")
	ip=$(printf '%016x' "$((0x${at:-0} + 2))")
	[ "$hvmm_rc" = 132 ] || { echo "# status $hvmm_rc, not 132"; ok=0; }
	grep -q "trap Illegal instruction (vector 6) ip $ip " "$WORK/hvmm.err" ||
		{ echo "# no SIGILL at $ip"; ok=0; }
	verdict $n "a jump to the handler's syscall returning to a $kind address: SIGILL there"
	n=$((n + 1))
done

[ -n "$OMP" ] || exit 0
PROG=$OMP
export OMP_NUM_THREADS=2
vm on omp_region 2000
ok=1
[ "$hvmm_rc" = 0 ] && grep -q "^omp_region_ns " "$WORK/hvmm.out" || { echo "# status $hvmm_rc"; ok=0; }
[ "$(rewritten)" -ge 1 ] 2>/dev/null || { echo "# rewritten sites: '$(rewritten)'"; ok=0; }
grep "fast path:" "$WORK/hvmm.err" | sed 's/^/# /'
verdict 18 "empty OpenMP regions on two threads: libgomp's futex sites rewritten"
