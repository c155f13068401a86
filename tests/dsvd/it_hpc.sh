#!/usr/bin/env bash
# HPC VM lifecycle through dsvd and a real hvmm: create, list, console, thread placement,
# admission refusal (409) for CPUs and memory, delete; dsv run with the guest's exit status.
. "$TEST_LIB"
need_root
need_free_node

need_hpc_vm_host
need_hpc_cpu
CS=/sys/fs/cgroup/cpuset

start_dsvd || { not_ok "dsvd starts"; finish; exit; }
"$DSV" node partition --hpc-cpus $HPC --housekeeping-cpus 0 --hpc-mem 16M >/dev/null; rc=$?
check "partition applied" [ $rc -eq 0 ]

expect 409 mem_mib "more memory than the HPC reservation is refused" POST /vms \
    "{\"name\":\"$PREFIX-big\",\"stack\":\"hpc\",\"mem_mib\":64,\"kernel\":\"$SPIN\"}"
expect 500 "" "hvmm failing up front is reported with its reason" POST /vms \
    "{\"name\":\"$PREFIX-bad\",\"stack\":\"hpc\",\"mem_mib\":4,\"kernel\":\"/etc/passwd\"}"
check "the reason is hvmm's own message" grep -q 'hvmm could not start the VM: kernel .*not an ELF file' <<<"$BODY" || diag "$BODY"
expect 404 name "and the failed VM is not kept" GET /vms/$PREFIX-bad

out=$("$DSV" vm create $PREFIX-h1 --stack hpc --mem 8M --kernel "$SPIN" 2>&1); rc=$?
check "dsv vm create (hpc, spin.elf) exits 0" [ $rc -eq 0 ]
[ $rc -eq 0 ] || diag "$out"
api GET /vms/$PREFIX-h1
check "the VM is running" [ "$(field state)" = running ]
check "its vCPU got the HPC CPU" [ "$(field cpus)" = "$HPC" ]
pid=$(field pid)
check "hvmm runs" kill -0 "$pid"
# wait_for: dsvd's create returns once exec has begun; the kernel fills in /proc/PID/cmdline
# a little later
given_cpus() { tr '\0' ' ' < /proc/$pid/cmdline | grep -q -- "--cpus $HPC --housekeeping-cpus 0 --mem 8M --hugepages on"; }
check "hvmm was given the dedicated CPU, housekeeping and hugepages" wait_for 60 given_cpus
vcpu_in_hpc() {
    local t
    for t in /proc/$pid/task/*; do
        [ "$(cat $t/cpuset)" = /dsv-hpc ] && grep -q "Cpus_allowed_list:.$HPC\$" $t/status && return 0
    done
    return 1
}
check "a vCPU thread runs in the HPC cpuset on the HPC CPU" wait_for 60 vcpu_in_hpc
main_on_housekeeping() {
    grep -q "Cpus_allowed_list:.0\$" /proc/$pid/status && [ "$(cat /proc/$pid/cpuset)" = /dsv-host ]
}
# wait_for: hvmm places its main thread itself, some time after dsvd's exec
check "hvmm's main (housekeeping) thread runs in the housekeeping cpuset on its CPU" wait_for 60 main_on_housekeeping
no_thread_on_hpc_outside() {
    local t
    for t in /proc/$pid/task/*; do
        grep -q "Cpus_allowed_list:.$HPC\$" $t/status && [ "$(cat $t/cpuset)" != /dsv-hpc ] && return 1
    done
    return 0
}
check "every thread pinned to the HPC CPU is in the HPC cpuset" wait_for 60 no_thread_on_hpc_outside

out=$("$DSV" vm list); rc=$?
check "dsv vm list shows it running" grep -q "^$PREFIX-h1 *hpc *running" <<<"$out"
console_has() { api GET /vms/$PREFIX-h1/console; grep -q spinning <<<"$BODY"; }
check "the console shows the guest's output" wait_for 60 console_has
check "dsv vm console prints it" grep -q spinning <<<"$("$DSV" vm console $PREFIX-h1)"

expect 409 vcpus "a second VM when the HPC CPU is taken is refused" POST /vms \
    "{\"name\":\"$PREFIX-h2\",\"stack\":\"hpc\",\"mem_mib\":4,\"kernel\":\"$SPIN\"}"
"$DSV" vm create $PREFIX-h2 --stack hpc --mem 4M --kernel "$SPIN" >/dev/null 2>&1; rc=$?
check "dsv vm create exits 4 on refusal" [ $rc -eq 4 ]
expect 409 name "a duplicate name is refused" POST /vms \
    "{\"name\":\"$PREFIX-h1\",\"stack\":\"hpc\",\"mem_mib\":4,\"kernel\":\"$SPIN\"}"
expect 409 "" "release while an HPC VM runs is refused" DELETE /node/partition

api GET /metrics
check "metrics count the running HPC VM" grep -q '^dsv_vms{stack="hpc",state="running"} 1$' <<<"$BODY"
check "metrics report its CPU time" grep -q "^dsv_vm_cpu_seconds_total{name=\"$PREFIX-h1\",stack=\"hpc\"}" <<<"$BODY"

"$DSV" vm delete $PREFIX-h1 >/dev/null; rc=$?
check "dsv vm delete exits 0" [ $rc -eq 0 ]
gone() { ! kill -0 "$pid" 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status; }
check "hvmm is gone" wait_for 60 gone
expect 404 name "the VM is gone from the API" GET /vms/$PREFIX-h1
api POST /vms "{\"name\":\"$PREFIX-h2\",\"stack\":\"hpc\",\"mem_mib\":4,\"kernel\":\"$SPIN\",\"net\":\"host\"}"
created_running() { [ "$STATUS" = 201 ] && [ "$(field state)" = running ]; }
check "its CPU is free again" created_running
check "the VM's record keeps its network policy" [ "$(field net)" = host ]
pid=$(field pid)
net_given() { tr '\0' ' ' < /proc/$pid/cmdline | grep -q -- "--net host"; }
check "\"net\": \"host\" reaches hvmm as --net host" wait_for 60 net_given
api DELETE /vms/$PREFIX-h2

# 20 parallel creates for the one free HPC CPU: exactly one wins
pids=
for i in $(seq 20); do
    curl -s -o /dev/null -w '%{http_code}\n' --unix-socket "$SOCK" -X POST http://localhost/vms \
        -d "{\"name\":\"$PREFIX-p$i\",\"stack\":\"hpc\",\"mem_mib\":4,\"kernel\":\"$SPIN\"}" \
        >"$WORK/par.$i" &
    pids+=" $!"
done
wait $pids
created=$(cat "$WORK"/par.* | grep -c '^201$')
refused=$(cat "$WORK"/par.* | grep -c '^409$')
check "20 parallel creates for one free CPU: exactly one succeeds ($created)" [ "$created" = 1 ]
check "and the 19 others get 409 ($refused)" [ "$refused" = 19 ]
for i in $(seq 20); do grep -q '^201$' "$WORK/par.$i" && api DELETE /vms/$PREFIX-p$i; done

if [ -f "$PAYLOAD_DIR/hello.elf" ]; then
    out=$("$DSV" run --stack hpc --mem 4M --kernel "$PAYLOAD_DIR/hello.elf" 2>&1); rc=$?
    check "dsv run (hello.elf) exits 0" [ $rc -eq 0 ] || diag "status $rc: $out"
    check "dsv run prints the guest's console" grep -q "hello from the guest" <<<"$out"
else
    skip "hello.elf is not built"
    skip "hello.elf is not built"
fi
if [ -f "$PAYLOAD_DIR/exit_status.elf" ]; then
    out=$("$DSV" run --stack hpc --mem 4M --cmdline status=7 --kernel "$PAYLOAD_DIR/exit_status.elf" 2>&1); rc=$?
    check "dsv run exits with the guest's status (7)" [ $rc -eq 7 ] || diag "status $rc: $out"
    # 125 is also hvmm's "could not start": the launch report (--ready-fd) tells them apart
    out=$("$DSV" run --stack hpc --mem 4M --cmdline status=125 --kernel "$PAYLOAD_DIR/exit_status.elf" 2>&1); rc=$?
    own_125() { [ $rc -eq 125 ] && ! grep -q 'could not start' <<<"$out"; }
    check "a guest's own status 125 is its status, not a launch failure" own_125 ||
        diag "status $rc: $out"
else
    skip "exit_status.elf is not built"
    skip "exit_status.elf is not built"
fi
check "dsv run deleted its VMs" [ "$(curl -s --unix-socket "$SOCK" http://localhost/vms | tr -d ' \n')" = "[]" ]

"$DSV" node release >/dev/null; rc=$?
check "partition released" [ $rc -eq 0 ]
check "no dsv cgroups left" [ -z "$(ls -d $CS/dsv-* 2>/dev/null)" ]
stop_dsvd TERM
finish
