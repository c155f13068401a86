#!/usr/bin/env bash
# The main job on built-in defaults: the native-vs-VM overhead benchmark, quick mode.
set -euo pipefail
build=${1:-build}
echo "demo: dsv $(git describe --always 2>/dev/null || echo) on $(nproc) CPUs, $(uname -r)"
echo "demo: running bench/overhead --quick (native vs hvmm, side by side)"
exec "$build/bench/overhead/overhead" --quick
