#!/usr/bin/env bash
# env (docs/api.md): an HPC VM's program sees the environment its request gave and nothing of
# dsvd's own, except the operator's node-wide hvmm settings (HVMM_*). Hostile names and
# values are refused with 400 naming the field, and the commodity stack refuses env. Runs on
# a fake host tree with hvmm_standin (ops_lib.sh), which runs the program natively with the
# environment dsvd gave hvmm: /usr/bin/env prints it on the console.
. "$TEST_LIB"
. "$(dirname "$0")/ops_lib.sh"
need_root
need_fake_host
[ -x /usr/bin/env ] || skip_all "needs /usr/bin/env"

# dsvd's own environment: a secret of the operator's, and a node-wide hvmm setting
export DSVD_TEST_SECRET=do-not-leak HVMM_TEST_KNOB=node-wide
start_fake_dsvd || { not_ok "dsvd starts"; finish; exit; }
unset DSVD_TEST_SECRET HVMM_TEST_KNOB
apply_fake_partition
check "partition applied" [ $? -eq 0 ]

body() { # name env-json-value
    printf '{"name":"%s","stack":"hpc","mem_mib":4,"program":["/usr/bin/env"],"env":%s}' \
        "$PREFIX-$1" "$2"
}
long_name=$(printf 'N%.0s' $(seq 129))
long_value=$(printf 'v%.0s' $(seq 4097))
many=$(for i in $(seq 65); do printf '"V%d":"x",' "$i"; done)
for bad in '[]' '"A=1"' '7' '{"":"x"}' '{"1A":"x"}' '{"A-B":"x"}' '{"A B":"x"}' '{"A=B":"x"}' \
    '{"\u00e9":"x"}' "{\"$long_name\":\"x\"}" '{"HVMM_FASTPATH":"on"}' "{${many%,}}"; do
    expect 400 env "env $(printf '%.40s' "$bad") is refused" POST /v1/vms "$(body bad "$bad")"
done
for bad in '{"A":1}' '{"A":null}' '{"A":["x"]}' "{\"A\":\"$long_value\"}"; do
    expect 400 env.A "env value $(printf '%.40s' "$bad") is refused" POST /v1/vms "$(body bad "$bad")"
done
expect 400 env "env on the commodity stack is refused" POST /v1/vms \
    "{\"name\":\"$PREFIX-com\",\"stack\":\"commodity\",\"mem_mib\":64,\"env\":{\"A\":\"1\"}}"
api GET /v1/vms
check "nothing is left of the refused requests" bash -c "! printf '%s' '$BODY' | grep -q '$PREFIX-'"
"$DSV" vm create $PREFIX-x --stack hpc --mem 4M --env NOEQUALS -- /usr/bin/env 2>"$WORK/cli.err"
check "dsv vm create --env NOEQUALS fails, naming the form" \
    bash -c "[ $? -ne 0 ] && grep -q 'NAME=VALUE' '$WORK/cli.err'" || show "$WORK/cli.err"
"$DSV" vm create $PREFIX-x --stack hpc --mem 4M --env HVMM_OFFLOAD=exit -- /usr/bin/env 2>"$WORK/cli.err"
check "dsv vm create --env HVMM_OFFLOAD=exit fails, naming the field" \
    bash -c "[ $? -ne 0 ] && grep -q 'env' '$WORK/cli.err'" || show "$WORK/cli.err"
check "dsv vm create --help tells --env" bash -c "'$DSV' vm create --help | grep -q -- --env"
check "dsv run --help tells --env" bash -c "'$DSV' run --help | grep -q -- --env"

# env_json: the env object of the VM in $BODY, compact, in its order
env_json() {
    printf '%s' "$BODY" | python3 -c 'import json, sys
print(json.dumps(json.load(sys.stdin).get("env"), separators=(",", ":")))' 2>/dev/null
}

# the program's environment, as the console shows it (after the stand-in's own line)
env_of() {
    wait_for 60 bash -c "'$DSV' vm console $PREFIX-$1 | grep -q '^hvmm-standin'" &&
        wait_for 60 bash -c "'$DSV' vm console $PREFIX-$1 | grep -q '^HVMM_TEST_KNOB='"
    # HVMM_STANDIN: the test harness's own, in dsvd's environment too
    "$DSV" vm console $PREFIX-$1 | grep -v '^hvmm-standin\|^HVMM_STANDIN=' | sort
}
"$DSV" vm create $PREFIX-a --stack hpc --mem 4M --env OMP_NUM_THREADS=4 --env 'SPACES=a b=c' \
    --env EMPTY= --env OMP_NUM_THREADS=2 -- /usr/bin/env >/dev/null
check "a VM with --env is created" [ $? -eq 0 ]
path=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
want=$(printf '%s\n' EMPTY= HVMM_TEST_KNOB=node-wide OMP_NUM_THREADS=2 'SPACES=a b=c' "$path" | sort)
got=$(env_of a)
check "the program sees its variables (the last of a repeated name), the node's HVMM_* and a PATH, nothing else" \
    [ "$got" = "$want" ] || diag "got: $(printf '%s' "$got" | tr '\n' '|')"
check "... not dsvd's own environment" bash -c "! '$DSV' vm console $PREFIX-a | grep -q do-not-leak"
api GET /v1/vms/$PREFIX-a
check "GET shows the VM's env" [ "$(env_json)" = \
    '{"OMP_NUM_THREADS":"2","SPACES":"a b=c","EMPTY":""}' ] || diag "$BODY"

"$DSV" vm create $PREFIX-n --stack hpc --mem 4M -- /usr/bin/env >/dev/null
got=$(env_of n)
check "a VM without env: the node's HVMM_* settings and the default PATH" \
    [ "$got" = "$(printf '%s\n' HVMM_TEST_KNOB=node-wide "$path" | sort)" ] ||
    diag "got: $(printf '%s' "$got" | tr '\n' '|')"
"$DSV" vm create $PREFIX-p --stack hpc --mem 4M --env PATH=/opt/bin -- /usr/bin/env >/dev/null
got=$(env_of p)
check "a VM's PATH replaces the default" \
    [ "$got" = "$(printf '%s\n' HVMM_TEST_KNOB=node-wide PATH=/opt/bin | sort)" ] ||
    diag "got: $(printf '%s' "$got" | tr '\n' '|')"

# kept in the VM's record across a restart of dsvd
stop_dsvd TERM
start_fake_dsvd || not_ok "dsvd restarts"
api GET /v1/vms/$PREFIX-a
check "after a restart, GET still shows the env" [ "$(env_json)" = \
    '{"OMP_NUM_THREADS":"2","SPACES":"a b=c","EMPTY":""}' ] || diag "$BODY"
for v in a n p; do "$DSV" vm delete $PREFIX-$v >/dev/null; done
"$DSV" node release >/dev/null
check "partition released" [ $? -eq 0 ]
stop_dsvd TERM && ok "dsvd stops cleanly"
finish
