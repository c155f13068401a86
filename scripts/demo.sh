#!/usr/bin/env bash
# The main job on built-in defaults: the paper's experiment, quick mode. An HPC application
# (cg) runs alone, beside busy commodity VMs on a shared node, and on a dual-stack node
# whose HPC partition the commodity VMs cannot touch; the table shows its slowdown.
set -euo pipefail
build=${1:-build}
echo "demo: dsv $(git describe --always 2>/dev/null || echo) on $(nproc) CPUs, $(uname -r)"
if ! why=$(python3 "$(dirname "$0")/../tests/lib/kvm_probe.py"); then
  exec "$(dirname "$0")/demo-no-kvm.sh" "$build" "$why"
fi
echo "demo: dsv bench interference --quick (about 3-5 minutes; Ctrl-C cleans up)"
exec "$build/dsv/dsv" bench interference --quick
