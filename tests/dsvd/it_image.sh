#!/usr/bin/env bash
# Ordinary cloud VMs on the commodity stack (docs/commodity.md), through a real dsvd and
# libvirtd: a Linux guest from a disk image built from Debian packages (tests/dsvd/images), with a
# network and cloud-init user-data, pinned to the commodity CPUs, shut down through ACPI and
# deleted with its overlay and seed; hostile requests from an unprivileged user; a domain
# defined with virsh behind dsvd's back; an operator's domain XML.
. "$TEST_LIB"
need_root
need_free_node
need_hpc_cpu
command -v libvirtd >/dev/null || skip_all "libvirtd is not installed"
for t in qemu-img genisoimage useradd setpriv; do
    command -v $t >/dev/null || skip_all "$t is not installed (scripts/install-deps.sh)"
done
[ -f /sys/fs/cgroup/cpuset/cpuset.cpus ] || skip_all "needs the cgroup v1 cpuset hierarchy"
IMG=$("$BUILD_GUEST_IMAGE" "$GUEST_IMAGE_DIR" 2>"$WORK/image.log"); rc=$?
[ $rc -eq 77 ] && skip_all "no test guest image: $(tail -1 "$WORK/image.log")"
[ $rc -eq 0 ] || { show "$WORK/image.log"; not_ok "the test guest image builds"; finish; exit; }
ok "test guest image $IMG"
"$START_SERVICES" >"$WORK/services.log" 2>&1 || { show "$WORK/services.log"; skip_all "libvirtd could not be started"; }

# an unprivileged user in dsvd's socket group: the API caller the hostile cases come from
GRP=dsvit$$
USR=dsvu$$
groupadd "$GRP" && useradd -M -N -g "$GRP" -s /bin/sh "$USR" || skip_all "cannot create a test user"
remove_user() { userdel "$USR" 2>/dev/null; groupdel "$GRP" 2>/dev/null; }
trap '_rc=$?; remove_user; (exit $_rc); cleanup' EXIT
as_user() { setpriv --reuid "$USR" --regid "$GRP" --init-groups -- "$@"; }
chmod 711 "$WORK"

start_dsvd --group "$GRP" || { not_ok "dsvd starts"; finish; exit; }
chmod 755 "$WORK" # the socket's directory: the user reaches the socket
"$DSV" node partition --hpc-cpus $HPC --housekeeping-cpus 0-$((HPC - 1)) --hpc-mem 2M >/dev/null; rc=$?
check "partition applied (HPC CPU $HPC)" [ $rc -eq 0 ]
virsh_q() { virsh -c qemu:///system "$@" 2>/dev/null; }
vm_files() { ls "$STATE/vms" | grep -v '\.json$' | grep -v '\.console' | sort | tr '\n' ' '; }

# --- a Linux guest from the image, with cloud-init user-data and dsvd's NAT network ---
token="dsv-token-$$-$RANDOM"
img_sum=$(md5sum < "$IMG")
printf '#!/bin/sh\necho "%s from $(hostname)"\n' "$token" > "$WORK/user-data"
VM=$PREFIX-img
out=$("$DSV" vm create $VM --stack commodity --vcpus 1 --mem 256M --image "$IMG" \
      --user-data "$WORK/user-data" 2>&1); rc=$?
check "dsv vm create --image --user-data starts VM $VM" [ $rc -eq 0 ] || diag "$out"
check "its copy-on-write overlay and NoCloud seed are in the state directory" \
    test -f "$STATE/vms/$VM.qcow2" -a -f "$STATE/vms/$VM.seed.iso"
check "the overlay is backed by the image (qemu-img info)" \
    grep -q "backing file: $STATE/vms/$VM.base" <(qemu-img info -U "$STATE/vms/$VM.qcow2")
xml=$(virsh_q dumpxml dsv-$VM)
check "machine q35 with virtio disks" grep -q "machine='pc-q35" <<<"$xml"
check "a virtio NIC on dsvd's NAT network" grep -q "<source network='dsv-nat'" <<<"$xml"
if kvm_usable; then
    check "KVM domain" grep -q "<domain type='kvm'" <<<"$xml"
else
    check "TCG domain without KVM ($(kvm_why))" grep -q "<domain type='qemu'" <<<"$xml"
fi
pins_commodity() {
    local cpus c
    cpus=$(grep -o "<vcpupin vcpu='[0-9]*' cpuset='[^']*'" <<<"$xml" | sed "s/.*cpuset='//; s/'//")
    [ -n "$cpus" ] || return 1
    for c in $cpus; do [ "$c" -lt "$HPC" ] || return 1; done
    grep -q "<emulatorpin cpuset='0$( [ $HPC -gt 1 ] && echo "-$((HPC-1))")'/>" <<<"$xml"
}
check "vCPUs and emulator pinned within the commodity CPUs" pins_commodity
qpid=$(cat /run/libvirt/qemu/dsv-$VM.pid 2>/dev/null)
threads_off_hpc() {
    local t
    [ -n "$qpid" ] || return 1
    for t in /proc/$qpid/task/*; do
        grep -q "^Cpus_allowed_list:.*\b$HPC\b" "$t/status" && return 1
    done
    return 0
}
check "no QEMU thread of $VM may run on HPC CPU $HPC" threads_off_hpc

# wait_until SECONDS COMMAND...: by the clock, polling once a second (a slow console read
# must not stretch the deadline)
wait_until() {
    local end=$((SECONDS + $1)); shift
    while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 1; done
    "$@"
}
console_has() { api GET /vms/$VM/console; grep -q "$1" <<<"$BODY"; }
check "the guest kernel's first lines reach the console" wait_until 180 console_has "Linux version"
if [ -e /sys/module/kvm_pvm ] && kvm_usable; then
    # PVM emulates an unmodified kernel's supervisor code (~5000x): it boots only partly
    skip "the guest's init runs the cloud-init user-data" "kvm_pvm host: an unmodified Linux kernel is emulated, it does not reach init in test time"
    skip "the guest got a DHCP address" "kvm_pvm host"
    skip "ACPI shutdown" "kvm_pvm host"
    skip "reboot" "kvm_pvm host"
else
    check "the guest's init ran the user-data from the NoCloud seed ($token)" \
        wait_until 300 console_has "$token from $VM"
    check "the guest got a DHCP address on dsv-nat" wait_until 60 console_has "dsv-guest: dhcp eth0 192.168.213."
    api POST /vms/$VM/reboot
    check "POST /vms/{name}/reboot accepted ($STATUS)" [ "$STATUS" = 202 ]
    # acpid up twice: a power button pressed before it listens would be lost
    twice() { api GET /vms/$VM/console; [ "$(grep -c "dsv-guest: acpid up" <<<"$BODY")" -ge 2 ]; }
    check "the guest boots again after the reboot, to its init" wait_until 300 twice
    out=$(timeout 120 "$DSV" vm shutdown $VM --timeout 90 2>&1); rc=$?
    check "dsv vm shutdown: the guest powers off on the ACPI button ($out)" \
        grep -q "$VM exited: the guest shut down" <<<"$out"
    check "the guest saw the power button" console_has "dsv-guest: ACPI power button"
fi
"$DSV" vm delete $VM >/dev/null; rc=$?
check "dsv vm delete exits 0" [ $rc -eq 0 ]
check "the domain is gone" bash -c "! virsh -c qemu:///system list --all --name | grep -qx 'dsv-$VM'"
check "overlay, base link and seed are removed ($(vm_files))" [ -z "$(vm_files)" ]
check "the image itself was never written" [ "$(md5sum < "$IMG")" = "$img_sum" ]

# --- hostile requests from the unprivileged user: clear 4xx, nothing left behind ---
before=$(vm_files)
echo "not a disk image at all" > "$WORK/notes.txt"
chmod 644 "$WORK/notes.txt"
head -c 1M /dev/zero > "$WORK/secret.raw"
printf '\x55\xaa' | dd of="$WORK/secret.raw" bs=1 seek=510 conv=notrunc 2>/dev/null
chmod 600 "$WORK/secret.raw"
ln -s "$WORK/secret.raw" "$WORK/link.raw"
cp "$IMG" "$WORK/user.raw" && chown "$USR:$GRP" "$WORK/user.raw"
user_create() { # NAME JSON-EXTRA: STATUS, BODY as the unprivileged user
    local body="{\"name\":\"$1\",\"stack\":\"commodity\",\"mem_mib\":64$2}"
    STATUS=$(as_user curl -s -o "$WORK/ubody" -w '%{http_code}' --unix-socket "$SOCK" \
             -H 'Content-Type: application/json' --data-binary "$body" http://localhost/vms)
    BODY=$(cat "$WORK/ubody")
}
user_expect() { # WANT FIELD NAME EXTRA -- DESC
    user_create "$3" "$4"
    local f; f=$(field field)
    if [ "$STATUS" = "$1" ] && [ "$f" = "$2" ]; then ok "$5 ($STATUS, field $f)"
    else not_ok "$5: got $STATUS field '$f', want $1 $2"; diag "$BODY"; fi
}
rm -f "$WORK/ubody"; touch "$WORK/ubody"; chmod 666 "$WORK/ubody"
user_expect 400 image $PREFIX-h1 ",\"image\":\"$WORK/missing.qcow2\"" "a missing image"
user_expect 400 image $PREFIX-h2 ",\"image\":\"$WORK/notes.txt\"" "a file that is no disk image"
check "  ... says so" grep -q "neither a qcow2 image nor a raw disk image" <<<"$BODY"
user_expect 403 image $PREFIX-h3 ",\"image\":\"$WORK/link.raw\"" "a symlink to a root-only image, as uid $(id -u $USR)"
user_expect 400 network $PREFIX-h4 ",\"image\":\"$WORK/user.raw\",\"network\":\"no-such-net\"" "an unknown network"
big=$(head -c 40000 /dev/zero | tr '\0' 'a')
user_expect 400 cloud_init $PREFIX-h5 ",\"image\":\"$WORK/user.raw\",\"cloud_init\":{\"user_data\":\"$big\"}" "oversized user-data"
user_expect 403 domain_xml $PREFIX-h6 ",\"domain_xml\":\"<domain><memory>65536</memory></domain>\"" "a domain XML from a non-root caller"
check "nothing left behind by the refused requests" [ "$(vm_files)" = "$before" ]
check "no domain defined for them" bash -c "! virsh -c qemu:///system list --all --name | grep -q '^dsv-$PREFIX-h'"
user_create $PREFIX-own ",\"image\":\"$WORK/user.raw\""
check "the user's own image is accepted ($STATUS)" [ "$STATUS" = 201 ] || diag "$BODY"
check "  ... and keeps its owner (libvirt does not relabel it)" [ "$(stat -c %U "$WORK/user.raw")" = "$USR" ]
api DELETE /vms/$PREFIX-own

# --- a domain dsvd did not create ---
vtype=qemu; kvm_usable && vtype=kvm
FOREIGN=$PREFIX-foreign
cat > "$WORK/foreign.xml" <<XML
<domain type='$vtype'>
  <name>$FOREIGN</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>$PVH_GUEST</kernel></os>
  <devices><serial type='pty'/><memballoon model='none'/></devices>
</domain>
XML
virsh_q create "$WORK/foreign.xml" >/dev/null
check "virsh creates $FOREIGN behind dsvd's back" grep -qx "$FOREIGN" <(virsh_q list --name)
out=$("$DSV" vm list --all)
check "dsv vm list --all shows it as foreign with its CPU use" \
    grep -Eq "^$FOREIGN +foreign +running .*\([0-9.]+ s CPU\)" <<<"$out" || diag "$out"
check "dsv vm list (without --all) does not" bash -c "! '$DSV' vm list | grep -q '$FOREIGN'"
check "it cannot be pinned onto HPC CPU $HPC while the partition holds" \
    bash -c "! virsh -c qemu:///system vcpupin $FOREIGN 0 $HPC >/dev/null 2>&1"
check "  ... while a commodity CPU is fine" bash -c "virsh -c qemu:///system vcpupin $FOREIGN 0 0 >/dev/null"
fpid=$(cat /run/libvirt/qemu/$FOREIGN.pid 2>/dev/null); qpid=$fpid
check "none of its QEMU threads may run on HPC CPU $HPC" threads_off_hpc
virsh_q destroy $FOREIGN >/dev/null

# --- an operator's domain XML (root) ---
cat > "$WORK/op-bad.xml" <<XML
<domain type='kvm'><name>nova-1</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>
  <cputune><vcpupin vcpu='0' cpuset='$HPC'/></cputune>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>$PVH_GUEST</kernel></os></domain>
XML
out=$("$DSV" vm create $PREFIX-op --stack commodity --domain-xml "$WORK/op-bad.xml" 2>&1); rc=$?
check "an operator XML pinning a vCPU to HPC CPU $HPC is refused" grep -q "reaches into the HPC partition" <<<"$out"
sed "/<cputune>/d" "$WORK/op-bad.xml" > "$WORK/op.xml"
out=$("$DSV" vm create $PREFIX-op --stack commodity --domain-xml "$WORK/op.xml" 2>&1); rc=$?
check "an operator XML without it is accepted" [ $rc -eq 0 ] || diag "$out"
xml=$(virsh_q dumpxml dsv-$PREFIX-op)
check "dsvd added the placement (vcpupin within the commodity CPUs)" pins_commodity
check "and kept the operator's devices (kernel $PVH_GUEST)" grep -q "<kernel>$PVH_GUEST</kernel>" <<<"$xml"
# its guest halts and never answers the ACPI button: destroyed at the deadline
out=$(timeout 60 "$DSV" vm shutdown $PREFIX-op --timeout 2 2>&1)
check "shutdown --timeout 2 of a guest that ignores ACPI destroys it ($out)" \
    grep -q "destroyed: the guest did not shut down before the deadline" <<<"$out"
api DELETE /vms/$PREFIX-op

"$DSV" node release >/dev/null; rc=$?
check "partition released" [ $rc -eq 0 ]
stop_dsvd TERM
finish
