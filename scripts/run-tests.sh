#!/usr/bin/env bash
# Runs the whole meson test suite in BUILD and ends with one summary line:
# "tests: N passed, N failed, N skipped". Exit status is non-zero if any test failed.
#
# On a host without a usable /dev/kvm the tests that need KVM skip in the first pass, each
# saying why; then the same tests run again inside a Linux guest on QEMU's TCG, which
# emulates AMD's SVM and so offers a real, nested /dev/kvm (scripts/nested-kvm.sh), and their
# results there replace the skips. DSV_NESTED_KVM=0 leaves that pass out;
# DSV_NESTED_SUITES (default "kvm hostile hvmm lwk dsvd slurm mpi") picks the suites it runs:
# "dsvd" is dsvd's HPC-VM tests, "slurm" the private Slurm clusters' (srun --dsv-hpc), "mpi"
# the MPICH programs in HPC VMs (one node, shared memory, two network namespaces).
set -uo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)

# On a host with KVM every VM test must run: the VM variants of the workload tests may skip
# only when asked to (docs/performance.md).
nested=0
if kvm_why=$(python3 "$here/../tests/lib/kvm_probe.py"); then
  export DSV_REQUIRE_VM_TESTS=${DSV_REQUIRE_VM_TESTS:-1}
else
  echo "run-tests: $kvm_why" >&2
  echo "run-tests: the tests that need KVM skip here; the commodity and QEMU tests run on TCG" >&2
  export DSV_REQUIRE_VM_TESTS=${DSV_REQUIRE_VM_TESTS:-0}
  [ "${DSV_NESTED_KVM:-1}" = 0 ] || nested=1
fi

meson test -C "$build" --print-errorlogs --timeout-multiplier 3
rc=$?

logs=("$build/meson-logs/testlog.json")
if [ $nested = 1 ]; then
  # The tests that need /dev/kvm: hvmm, the lwk, the hostile guests, the workloads under
  # hvmm, dsvd's HPC VMs (those without libvirt: the guest runs no libvirtd), and Slurm's
  # --dsv-hpc steps (one node; two nodes with MPI), about 6 minutes of the pass, and the
  # MPICH programs in HPC VMs (the mpi suite), about 5.
  # CI's 90 minutes hold two runs, and everything in the nested guest is emulated: it runs a
  # sample of the lwk's programs (musl) and of the workloads under hvmm; the rest, and the
  # lwk's QEMU boots (the first pass ran them on TCG), only where the host has KVM.
  nested_not='^lwk_pvh_|^lwk_.*_glibc$|^lwk_(busybox|syscall_fuzz|oversubscribe_musl|enosys_musl)$'
  nested_not+='|^lwk_refuse_|^wl-(dgemm|fwq|hog-spin|hog-mem|hog-fault|tlb)-'
  suites=() names=()
  for s in ${DSV_NESTED_SUITES:-kvm hostile hvmm lwk dsvd slurm mpi}; do
    case $s in
    dsvd) names+=(dsvd/it_hpc dsvd/it_churn dsvd/it_hugetlbfs dsvd/it_security dsvd/it_shm) ;;
    slurm) # those that exist: a build without Slurm's spank.h has neither
      mapfile -t -O ${#names[@]} names < <(meson test -C "$build" --no-rebuild --list \
        --suite slurm 2>/dev/null | sed -n 's,^.* / ,,p' | grep -x -E 'slurm_node|slurm_two_nodes') ;;
    *) suites+=(--suite "$s") ;;
    esac
  done
  [ ${#suites[@]} = 0 ] || mapfile -t -O ${#names[@]} names < <(meson test -C "$build" --no-rebuild \
      --list "${suites[@]}" 2>/dev/null | sed -n 's,^.* / ,,p' |
      grep -v -E "$nested_not")
  echo "run-tests: running the ${#names[@]} tests that need KVM in a nested KVM guest on TCG" >&2
  # Meson's own timeouts (doubled) end a hung test with its output so far, well before the
  # guest's bound (40 minutes) ends everything; CI's 90 minutes hold both and the second run.
  # dsvd's churn test makes 60 HPC VMs there instead of 200: enough for a leak to show.
  nested_run() { # LOGBASE NAME...: the tests in one guest, its console copied to LOGBASE.out
    local base=$1; shift
    rm -f "$build/meson-logs/$base".*
    DSV_REQUIRE_VM_TESTS=1 NESTED_KVM_TIMEOUT=${NESTED_KVM_TIMEOUT:-2400} CHURN=${CHURN:-60} \
      NESTED_KVM_MAPS=${NESTED_KVM_MAPS:-$build/lwk/lwk.elf} \
      "$here/nested-kvm.sh" "$build/nested-kvm" -- \
      meson test -C "$build" --no-rebuild --print-errorlogs --logbase "$base" \
      --timeout-multiplier 2 "$@" 2>&1 | tee "$build/meson-logs/$base.out"
    return "${PIPESTATUS[0]}"
  }
  # Each result line that meson printed ("N/M project:suite / NAME  RESULT ..."), as the
  # summary reads them: a guest stopped from outside never writes its JSON log.
  console_results() {
    sed -n 's|^ *[0-9][0-9]*/[0-9][0-9]* [^ ]* / \([^ ]*\)  *\([A-Z][A-Z]*\) .*|{"name": "\1", "result": "\2"}|p' "$1"
  }
  nested_run nested-kvm "${names[@]}"
  nrc=$?
  # The guest's kernel or QEMU itself stops now and then (nested SVM on TCG): the tests a
  # stopped guest had not finished run again in a fresh guest, up to NESTED_KVM_ATTEMPTS
  # guests in all (4); a guest that stops on the last attempt fails the run.
  base=nested-kvm attempt=1 attempts=${NESTED_KVM_ATTEMPTS:-4} rest=("${names[@]}")
  stalls=() # what each stopped guest's vCPUs were doing, repeated last, where CI shows it
  stall_lines() { # LOGBASE GUEST
    local l
    while IFS= read -r l; do stalls+=("guest $2: ${l#nested-kvm: }"); done < <(
      grep -a -E '^nested-kvm: (stopping|stall:)' "$build/meson-logs/$1.out")
  }
  [ $nrc != 75 ] || stall_lines "$base" 1
  while [ $nrc = 75 ] && [ $attempt -lt "$attempts" ]; do
    console_results "$build/meson-logs/$base.out" >"$build/meson-logs/$base.json"
    mapfile -t finished < <(sed -n 's/^{"name": "\([^"]*\)".*/\1/p' "$build/meson-logs/$base.json")
    left=()
    for n in "${rest[@]}"; do
      [[ " ${finished[*]} " == *" $n "* ]] || left+=("$n")
    done
    logs+=("$build/meson-logs/$base.json")
    if grep -q -v -E '"result": "(OK|SKIP|EXPECTEDFAIL)"' "$build/meson-logs/$base.json"; then
      rc=1
    fi
    nrc=0
    [ ${#left[@]} -gt 0 ] || break
    attempt=$((attempt + 1))
    base=nested-kvm-$attempt rest=("${left[@]}")
    echo "run-tests: the nested guest stopped responding during ${rest[0]}; running the ${#rest[@]} tests it did not finish in a fresh guest (guest $attempt of $attempts)" >&2
    nested_run "$base" "${rest[@]}"
    nrc=$?
    [ $nrc != 75 ] || stall_lines "$base" "$attempt"
  done
  for l in "${stalls[@]}"; do echo "run-tests: $l" >&2; done
  nlog=$build/meson-logs/$base.json
  if [ $nrc = 77 ]; then
    echo "run-tests: no nested KVM guest on this host: those tests stay skipped" >&2
  else
    [ $nrc = 0 ] || rc=$nrc
    logs+=("$nlog")
  fi
fi

if [ -f "${logs[0]}" ]; then
  python3 - "${logs[@]}" <<'PY'
import json, os, sys
# A test the nested guest ran counts with its result there instead of its skip here.
results = {}
for path in sys.argv[1:]:
    if not os.path.exists(path):
        continue
    for line in open(path):
        r = json.loads(line)
        results[r["name"]] = r.get("result")
passed = failed = skipped = 0
for r in results.values():
    if r in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif r == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
fi
exit $rc
