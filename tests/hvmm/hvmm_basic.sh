#!/usr/bin/env bash
# hvmm on the real /dev/kvm with the project's own test payloads (TAP).
# usage: hvmm_basic.sh HVMM PAYLOAD_DIR LOOP_NATIVE
set -u
HVMM=$1 P=$2 NATIVE=$3
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/kvm.sh"
need_kvm
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
plan 23

. "$(dirname "$0")/../lib/hvmm_run.sh"
is() { [ "$1" = "$2" ] || { diag "expected '$2', got '$1'"; false; }; }

# 1-2: a compute loop gives the same result and exit status as the same loop natively.
run loop run --kernel "$P/loop.elf" --cmdline "n=3000000 seed=7"
"$NATIVE" 3000000 7 >"$T/native.out"; native_rc=$?
check "compute loop: result matches native" \
  is "$(grep result "$T/loop.out")" "$(grep result "$T/native.out")"
check "compute loop: exit status matches native ($native_rc)" is "$(rc loop)" "$native_rc"

# 3: console output, byte for byte.
{ printf 'hello from the guest\n\n'
  for i in $(seq 0 199); do printf "\\$(printf %o $((97 + i % 26)))"; done
  printf '\nvcpus 1 abi 1 platform %s\n' "$( [ -e /sys/module/kvm_pvm ] && echo pvm || echo hw)"
} >"$T/hello.expected"
run hello run --kernel "$P/hello.elf"
check "console output is exact and status 0" \
  bash -c "cmp -s '$T/hello.out' '$T/hello.expected' && [ $(rc hello) = 0 ]"

# 4-5: no-op hypercall loop, counted in --stats=json.
run noop run --kernel "$P/noop.elf" --cmdline n=300 --stats=json
check "no-op hypercall loop exits 0" is "$(rc noop)" 0
check "stats count every hypercall" python3 -c "
import json,sys
s=json.loads(open('$T/noop.err').read().strip().splitlines()[-1])
sys.exit(0 if s['exits']['hypercall'] >= 302 and s['exit_code']==0 else 1)"

# 5b-5c: the same through the offload ring: no exit per call (docs/abi.md "The offload
# ring"); with --offload exit the payload finds no ring and exits as before.
run noopring run --offload ring --kernel "$P/noop.elf" --cmdline "n=300 ring=1" --stats=json
check "no-op calls through the offload ring: all in the ring, none exits" python3 -c "
import json,sys
s=json.loads(open('$T/noopring.err').read().strip().splitlines()[-1])
o=s['offload']
ok=s['exit_code']==0 and o['mode']=='ring' and o['ring_calls']>=300 and o['rejected']==0 \
   and s['exits']['hypercall'] < 300 and 'via ring' in open('$T/noopring.out').read()
sys.exit(0 if ok else 1)" || { show "$T/noopring.out"; show "$T/noopring.err"; }
run noopexit run --offload exit --kernel "$P/noop.elf" --cmdline "n=300 ring=1" --stats=json
check "with --offload exit the guest finds no ring and exits per call" python3 -c "
import json,sys
s=json.loads(open('$T/noopexit.err').read().strip().splitlines()[-1])
ok=s['exit_code']==0 and s['offload']['mode']=='exit' and s['offload']['ring_calls']==0 \
   and s['exits']['hypercall'] >= 302 and 'via exit' in open('$T/noopexit.out').read()
sys.exit(0 if ok else 1)" || { show "$T/noopexit.out"; show "$T/noopexit.err"; }

# 6: two vCPUs on two CPUs, concurrently.
if [ "$(nproc)" -ge 2 ]; then
  run smp run --cpus 0,1 --kernel "$P/smp.elf" --cmdline n=2000000
  check "two vCPUs ran concurrently on CPUs 0 and 1" \
    bash -c "grep -q 'concurrent yes' '$T/smp.out' && grep -q 'vcpu 1 apic 1 host_cpu 1' '$T/smp.out' && [ $(rc smp) = 0 ]" ||
    { diag "exit status $(rc smp)"; show "$T/smp.out"; show "$T/smp.err"; }
else
  skip "two vCPUs ran concurrently" "needs 2 CPUs"
fi

# 7-8: a hostile guest: every bad pointer is refused, hvmm reports it and keeps going.
run bad run --kernel "$P/badptr.elf" --stats=json
check "bad hypercall arguments all refused (guest saw the right errno)" \
  bash -c "grep -q 'failures 0' '$T/bad.out' && [ $(rc bad) = 0 ]"
check "hvmm reported the rejections" has bad.err "rejected: address or length outside guest RAM"

# 9: triple fault.
run triple run --kernel "$P/triple.elf"
check "triple fault: exit 126 with a one-line reason" \
  bash -c "[ $(rc triple) = 126 ] && grep -q 'triple fault' '$T/triple.err'"

# 10-11: memory that cannot be had.
run bigmem run --kernel "$P/exit_status.elf" --mem 1T
check "1 TiB of guest memory is refused up front (125)" \
  bash -c "[ $(rc bigmem) = 125 ] && grep -q 'cannot allocate' '$T/bigmem.err'"
free_huge=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
if [ "$free_huge" -lt 32768 ]; then
  run nohuge run --kernel "$P/exit_status.elf" --mem 64G --hugepages on
  check "--hugepages on without enough reserved pages fails clearly" \
    bash -c "[ $(rc nohuge) = 125 ] && grep -q 'hugepages' '$T/nohuge.err'"
else
  skip "--hugepages on without enough pages" "host has 64 GiB of hugepages"
fi

# 12: the guest's exit status is hvmm's.
run status run --kernel "$P/exit_status.elf" --cmdline status=42
check "guest exit status 42 becomes hvmm's" is "$(rc status)" 42

# 13-14: bad kernel images.
head -c 3000 /dev/urandom >"$T/junk.bin"
run junk run --kernel "$T/junk.bin"
check "a non-ELF kernel is refused (125)" \
  bash -c "[ $(rc junk) = 125 ] && grep -q 'not an ELF' '$T/junk.err'"
head -c 100 "$P/hello.elf" >"$T/trunc.elf"
run trunc run --kernel "$T/trunc.elf"
check "a truncated kernel is refused (125)" \
  bash -c "[ $(rc trunc) = 125 ] && grep -q 'truncated' '$T/trunc.err'"

# 15-16: bad CPU choices.
run nocpu run --kernel "$P/exit_status.elf" --cpus 4000
check "a CPU that does not exist is refused" \
  bash -c "[ $(rc nocpu) = 125 ] && grep -q 'CPU 4000 does not exist' '$T/nocpu.err'"
run twice run --kernel "$P/exit_status.elf" --vcpus 2 --cpus 1,1
check "two vCPUs on one CPU are refused" \
  bash -c "[ $(rc twice) = 125 ] && grep -q 'named twice' '$T/twice.err'"

# 17: --log takes the console.
run log run --kernel "$P/hello.elf" --log "$T/console.log"
check "--log: console in the file, stdout empty" \
  bash -c "cmp -s '$T/console.log' '$T/hello.expected' && [ ! -s '$T/log.out' ]"

# 18: --stats text.
run stats run --kernel "$P/hello.elf" --stats
check "--stats prints exits, time, backing and pinning" \
  bash -c "grep -q 'exits' '$T/stats.err' && grep -q 'pinning' '$T/stats.err' && grep -Eq 'hugetlb|thp|4k' '$T/stats.err'"

# 19: a signal stops the VM with 128+signal, sent once the guest is known to run (its
# line is out), however long a busy host takes to get there.
timeout 300 "$HVMM" run --kernel "$P/spin.elf" >"$T/spin.out" 2>"$T/spin.err" &
pid=$!
for _ in $(seq 1200); do
  grep -q spinning "$T/spin.out" && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
grep -q spinning "$T/spin.out" || diag "the spinning guest did not start within 120 s"
kill -TERM $pid; wait $pid; spin_rc=$?
check "SIGTERM stops a spinning guest with 143" \
  bash -c "grep -q spinning '$T/spin.out' && [ $spin_rc = 143 ] && grep -q 'stopped by signal 15' '$T/spin.err'"

# 20: help and version.
check "--help and --version" bash -c "'$HVMM' --help | grep -q 'hvmm run' && '$HVMM' --version | grep -q 'ABI'"

# 21: the guest can use the host's vector ISA (dgemm and stream depend on it).
run feat run --kernel "$P/features.elf"
if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
  check "host AVX2 and FMA are visible and execute in the guest" has feat.out "avx2-fma-executes yes"
else
  skip "AVX2 and FMA in the guest" "host has no AVX2/FMA"
fi

done_testing
