#!/usr/bin/env bash
# Runs the whole meson test suite in BUILD and ends with one summary line:
# "tests: N passed, N failed, N skipped". Exit status is non-zero if any test failed.
set -uo pipefail
build=${1:-build}

if [ ! -e /dev/kvm ]; then
  echo "run-tests: /dev/kvm is missing: the integration tests need KVM" >&2
fi

# The VM variants of the workload tests may skip only when asked to (see docs/performance.md).
export DSV_REQUIRE_VM_TESTS=${DSV_REQUIRE_VM_TESTS:-1}

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
