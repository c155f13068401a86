#!/usr/bin/env bash
# Runs the whole meson test suite in BUILD and ends with one summary line:
# "tests: N passed, N failed, N skipped". Exit status is non-zero if any test failed.
set -uo pipefail
build=${1:-build}

# On a host with KVM every VM test must run: the VM variants of the workload tests may skip
# only when asked to (docs/performance.md). Without KVM the tests that need it skip, each
# with this reason, and the commodity and QEMU tests run on TCG.
if kvm_why=$(python3 "$(dirname "$0")/../tests/lib/kvm_probe.py"); then
  export DSV_REQUIRE_VM_TESTS=${DSV_REQUIRE_VM_TESTS:-1}
else
  echo "run-tests: $kvm_why" >&2
  echo "run-tests: the tests that need KVM (hvmm, the lwk under hvmm, HPC VMs) will skip" >&2
  export DSV_REQUIRE_VM_TESTS=${DSV_REQUIRE_VM_TESTS:-0}
fi

meson test -C "$build" --print-errorlogs --timeout-multiplier 3
rc=$?

log="$build/meson-logs/testlog.json"
if [ -f "$log" ]; then
  python3 - "$log" <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get("result")
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
