#!/usr/bin/env bash
# Runs every libFuzzer target (tests/COMPONENT/fuzz_*.c) for SECONDS each, one after the other.
# usage: scripts/fuzz.sh SECONDS [NAME...]     (NAME: elf_loader, hypercall, ... ; default all)
#
# Builds the targets with clang in build-fuzz/ (FUZZ_BUILD overrides). Each target starts
# from its seed corpus tests/COMPONENT/corpus/NAME/ (beside the meson.build that defines it)
# and keeps what it finds in BUILD/corpus/NAME/ (not in git). Crashes, leaks and timeouts are
# written to BUILD/crashes/ (FUZZ_CRASHES overrides) as fuzz_NAME-crash-<sha1>; reproduce one
# with BUILD/tests/COMPONENT/fuzz_NAME FILE, fix it, and move the file into the seed corpus as
# a regression input. Exit status: 0 when no target crashed.
set -uo pipefail

secs=${1:-}
case "$secs" in
  ''|*[!0-9]*) echo "usage: $0 SECONDS [NAME...]" >&2; exit 2 ;;
esac
shift
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD:-$root/build-fuzz}
crashes=${FUZZ_CRASHES:-$build/crashes}

die() { echo "fuzz: $*" >&2; exit 1; }
command -v clang >/dev/null || die "clang is missing: run scripts/install-deps.sh"

is_clang() { grep -A1 '^rule c_COMPILER' "$build/build.ninja" | grep -q clang; }

if [ -f "$build/build.ninja" ] && ! is_clang; then
  die "$build was configured with another compiler; remove it or set FUZZ_BUILD"
fi
if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$root" >"$build.setup.log" 2>&1 ||
    { cat "$build.setup.log" >&2; die "meson setup $build failed"; }
  rm -f "$build.setup.log"
fi

# Regenerate if a meson.build changed (e.g. a target was added), so introspection is current.
ninja -C "$build" build.ninja >/dev/null 2>&1 || die "cannot regenerate $build"

# Every executable target named fuzz_*: its output path, and its seed corpus beside the
# meson.build that defines it.
mapfile -t all < <(meson introspect --targets "$build" | python3 -c '
import json, os, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["name"].startswith("fuzz_"):
        seeds = os.path.join(os.path.dirname(t["defined_in"]), "corpus", t["name"][5:])
        print(t["name"] + "\t" + t["filename"][0] + "\t" + seeds)')
[ ${#all[@]} -gt 0 ] || die "no fuzz_* targets in $build"

want=("$@")
sel=()
for line in "${all[@]}"; do
  name=${line%%$'\t'*}; name=${name#fuzz_}
  if [ ${#want[@]} -eq 0 ] || [[ " ${want[*]} " == *" $name "* ]]; then sel+=("$line"); fi
done
[ ${#sel[@]} -gt 0 ] || die "no target matches: ${want[*]}"

paths=()
for line in "${sel[@]}"; do
  IFS=$'\t' read -r _ p _ <<<"$line"
  paths+=("${p#"$build"/}")
done
ninja -C "$build" "${paths[@]}" >"$build/fuzz-build.log" 2>&1 ||
  { tail -40 "$build/fuzz-build.log" >&2; die "build failed (log: $build/fuzz-build.log)"; }

mkdir -p "$crashes"
failed=0
printf '%-20s %10s %8s %8s  %s\n' target executions exec/s corpus result
for line in "${sel[@]}"; do
  IFS=$'\t' read -r tname exe seeds <<<"$line"
  name=${tname#fuzz_}
  work=$build/corpus/$name
  log=$build/fuzz-$name.log
  mkdir -p "$work" "$seeds"
  "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$crashes/$tname-" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  units=$(ls "$work" | wc -l)
  if [ $rc -eq 0 ]; then
    result=ok
  else
    result="FAILED (exit $rc): $(grep -m1 -E 'ERROR|SUMMARY|fuzz_' "$log" | cut -c1-100)"
    result="$result; input in $crashes, log $log"
    failed=1
  fi
  printf '%-20s %10s %8s %8s  %s\n' "$tname" "${execs:-?}" "${rate:-?}" "$units" "$result"
done
exit $failed
