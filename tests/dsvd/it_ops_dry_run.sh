#!/usr/bin/env bash
# dsv node partition --dry-run (PUT /v1/node/partition?dry_run=1) says what would change and
# changes nothing: every file of a fake host tree is the same afterwards; the real apply
# then makes exactly the changes it listed.
. "$TEST_LIB"
. "$(dirname "$0")/ops_lib.sh"
need_fake_host
tree() { (cd "$ROOT" && find . -type f -print0 | sort -z | xargs -0 md5sum; find . | sort); }
# an IRQ on the future HPC CPUs, and one already off them
mkdir -p "$ROOT/proc/irq/40" "$ROOT/proc/irq/41"
echo 0-3 > "$ROOT/proc/irq/40/smp_affinity_list"
echo 0-1 > "$ROOT/proc/irq/41/smp_affinity_list"

start_fake_dsvd || { not_ok "dsvd starts"; finish; exit; }
tree > "$WORK/tree-before"
out=$("$DSV" node partition --dry-run --hpc-cpus 2-3 --housekeeping-cpus 0 --hpc-mem 8M); rc=$?
check "dsv node partition --dry-run exits 0" [ $rc -eq 0 ] || diag "$out"
check "it says nothing was changed" grep -q '^dry run (request): nothing was changed' <<<"$out"
check "it names the CPU sets" grep -q 'cpus: hpc 2-3, housekeeping 0, commodity 0-1' <<<"$out"
check "it lists IRQ 40 moving off the HPC CPUs" grep -q 'IRQ 40 affinity *0-3 -> 0-1' <<<"$out" || diag "$out"
check "it leaves IRQ 41 alone" bash -c "! grep -q 'IRQ 41' <<<'$out'"
check "it lists the hugepages per node" grep -q 'hugepages (2048 kB) *[0-9]* -> ' <<<"$out"
check "it names the hugetlbfs and its size" grep -q "mount a hugetlbfs of 8 MiB at $STATE/hugepages" <<<"$out"
tree > "$WORK/tree-after"
check "the fake host is unchanged, file for file" diff "$WORK/tree-before" "$WORK/tree-after"
api GET /v1/node/partition
check "no partition is applied" [ "$BODY" = null ]
out=$("$DSV" node partition --dry-run); rc=$?
check "without flags it says it would use the proposed split" \
    grep -q 'the proposed split, a quarter of the HPC nodes' <<<"$out"
expect 400 dry_run "a dry_run that is not a boolean" PUT '/v1/node/partition?dry_run=maybe' '{}'
api PUT '/v1/node/partition?dry_run=1' '{"hpc_cpus":"2-3","housekeeping_cpus":"0","hpc_mem_mib":8}'
plan=$BODY
apply_fake_partition
check "the real apply moves IRQ 40 as the plan said" [ "$(cat "$ROOT/proc/irq/40/smp_affinity_list")" = 0-1 ]
check "and leaves IRQ 41" [ "$(cat "$ROOT/proc/irq/41/smp_affinity_list")" = 0-1 ]
want=$(printf '%s' "$plan" | python3 -c 'import json,sys; print(" ".join(str(n["to"]) for n in json.load(sys.stdin)["plan"]["hugepages"]["nodes"]))')
got=$(printf '%s' "$plan" | python3 -c 'import json,sys; print(" ".join(str(n["node"]) for n in json.load(sys.stdin)["plan"]["hugepages"]["nodes"]))' |
      tr ' ' '\n' | while read -r n; do cat "$ROOT/sys/devices/system/node/node$n/hugepages/hugepages-2048kB/nr_hugepages"; done | tr '\n' ' ' | sed 's/ $//')
check "and sets the hugepages the plan said ($want)" [ "$got" = "$want" ]
out=$("$DSV" node partition --dry-run --hpc-cpus 2-3 --housekeeping-cpus 0 --hpc-mem 8M)
check "a dry run of the applied partition says nothing would change" grep -q 'already applied; nothing would change' <<<"$out"
"$DSV" node release >/dev/null
check "partition released" [ $? -eq 0 ]
stop_dsvd TERM && ok "dsvd stops cleanly"
finish
