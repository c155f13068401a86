#!/usr/bin/env bash
# Runs a command where /dev/kvm exists, on a host that has none.
#
#   nested-kvm.sh CACHE_DIR -- COMMAND [ARGS...]
#
# QEMU's TCG emulates AMD's SVM, so a Linux guest on TCG can load kvm-amd and offer a real
# /dev/kvm (hardware-virtualization KVM, the VT-x/SVM path of hvmm, nested and emulated:
# slow, exact). This script boots Debian's kernel (the linux-image package, fetched once with
# apt-get download and unpacked into CACHE_DIR, never installed on the host) with this host's
# own root file system over virtio-9p, so COMMAND runs in the same directory, with the same
# programs and files, only with /dev/kvm. The guest gets its own /proc, /sys, /dev, /tmp,
# /run and cgroup v1 hierarchies; what COMMAND writes elsewhere lands on the host.
#
# Exit status: COMMAND's; 77 when this host cannot do it (no QEMU, no kernel package), with
# the reason on stderr; 124 when the guest ran past its bound; 75 when the guest stopped
# responding (it writes a heartbeat file every 10 s, and QEMU is stopped when that file is
# NESTED_KVM_STALL seconds old: a hung guest kernel or emulator, not a failed test; first
# it prints where each vCPU was and the guest kernel's backtraces, lines that start with
# "nested-kvm: stall:"); 1 when the guest ended without a status.
# Environment: NESTED_KVM_CPUS (2), NESTED_KVM_MEM (4G), NESTED_KVM_TIMEOUT (seconds, 3000),
# NESTED_KVM_STALL (seconds, 180), NESTED_KVM_TCG_THREAD (single), NESTED_KVM_MAPS (ELF
# files or `nm` listings whose symbols name the vCPUs' instruction pointers on a stall).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

cache=${1:?usage: nested-kvm.sh CACHE_DIR -- COMMAND [ARGS...]}
shift
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "nested-kvm: no command" >&2; exit 2; }
SKIP=77
cpus=${NESTED_KVM_CPUS:-2} mem=${NESTED_KVM_MEM:-4G} limit=${NESTED_KVM_TIMEOUT:-3000}
stall=${NESTED_KVM_STALL:-180}

qemu=$(command -v qemu-system-x86_64 || true)
[ -n "$qemu" ] || { echo "nested-kvm: qemu-system-x86_64 is not installed" >&2; exit $SKIP; }
busybox=/bin/busybox # busybox-static's: the initramfs has no libc
[ -x "$busybox" ] || { echo "nested-kvm: needs busybox-static" >&2; exit $SKIP; }
command -v cpio >/dev/null || { echo "nested-kvm: needs cpio" >&2; exit $SKIP; }

# Modules in load order: virtio and 9p for the root, then KVM for AMD (TCG's CPU is AMD's),
# then veth (the MPI tests' two network namespaces).
modules="drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev
  drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci fs/netfs/netfs
  fs/fscache/fscache net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p virt/lib/irqbypass
  drivers/crypto/ccp/ccp arch/x86/kvm/kvm arch/x86/kvm/kvm-amd drivers/net/veth"

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
kdir=$cache/kernel
have_modules() { for m in $modules; do [ -f "$kdir/modules/${m##*/}.ko" ] || return 1; done; }
if [ ! -f "$kdir/ready" ] || ! have_modules; then
    kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
           sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1)
    [ -n "$kpkg" ] || { echo "nested-kvm: apt knows no linux-image-amd64 (run apt-get update)" >&2; exit $SKIP; }
    echo "nested-kvm: fetching $kpkg (once, into $kdir)" >&2
    rm -rf "$kdir" && mkdir -p "$kdir/dl"
    chmod 755 "$kdir" "$kdir/dl" # apt-get download runs as _apt where it can
    (cd "$kdir/dl" && apt-get download -q "$kpkg" >/dev/null 2>"$kdir/apt.log") ||
        { sed 's/^/nested-kvm: /' "$kdir/apt.log" >&2; echo "nested-kvm: cannot download $kpkg" >&2; exit $SKIP; }
    kver=${kpkg#linux-image-}
    wanted=("./boot/vmlinuz-$kver")
    for m in $modules; do wanted+=("./lib/modules/$kver/kernel/$m.ko"); done
    dpkg-deb --fsys-tarfile "$kdir"/dl/*.deb | tar -x -C "$kdir" "${wanted[@]}"
    mv "$kdir/boot/vmlinuz-$kver" "$kdir/vmlinuz"
    mkdir -p "$kdir/modules"
    for m in $modules; do mv "$kdir/lib/modules/$kver/kernel/$m.ko" "$kdir/modules/"; done
    rm -rf "$kdir/dl" "$kdir/lib" "$kdir/boot" "$kdir/apt.log"
    echo "$kver" >"$kdir/ready"
fi

run=$(mktemp -d "$cache/run.XXXXXX")
trap 'rm -rf "$run"' EXIT
chmod 755 "$run"

# The command, in the caller's directory and environment (minus what names this host's
# terminal or session), as a script the guest runs on the shared root; it leaves its
# status in a file.
{
    echo '#!/usr/bin/env bash'
    export -p | grep -v -E '^declare -x (TERM|SSH_|DISPLAY|XDG_|DBUS_|TMPDIR)'
    printf 'cd %q || exit 1\n' "$PWD"
    printf '%q ' "$@"; printf '\n'
    printf 'echo $? >%q\n' "$run/status"
} >"$run/command"
chmod 755 "$run/command"

# The guest mounts tmpfs of its own on /tmp and /run; a checkout or cache there (a CI clone
# in /tmp, say) is mounted back over them from the host's root.
keep=""
for p in "$PWD" "$cache"; do
    case $p in /tmp/?*|/run/?*) keep="$keep $(printf '%s' "$p" | cut -d/ -f1-3)" ;; esac
done

# The guest's init: modules, the shared root, fresh kernel file systems, then the command
# through chroot, its output through a pipe (the console is a terminal, and programs that
# see one draw progress bars), then the guest powers off.
ird=$run/initrd
mkdir -p "$ird"/{bin,proc,sys,dev,newroot,modules}
cp "$busybox" "$ird/bin/busybox"
cp "$kdir"/modules/*.ko "$ird/modules/"
cat >"$ird/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "nested-kvm: guest up, \$(grep -c ^processor /proc/cpuinfo) CPUs"
for m in $(for m in $modules; do printf '%s ' "${m##*/}"; done); do
    insmod /modules/\$m.ko || echo "nested-kvm: insmod \$m failed"
done
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,cache=mmap hostroot /newroot ||
    { echo "nested-kvm: cannot mount the host's root"; poweroff -f; }
for d in proc sys dev; do mount --move /\$d /newroot/\$d; done
mkdir -p /hostview && mount --bind /newroot /hostview
# The kernel's and its modules' code symbols, where they loaded: they name what a hung
# vCPU ran (on a stall, nested-kvm-cpus.py).
grep ' [tTwW] ' /newroot/proc/kallsyms >/hostview$run/kallsyms 2>/dev/null
mount -t tmpfs tmp /newroot/tmp
mount -t tmpfs run /newroot/run
for k in $keep; do mkdir -p /newroot\$k && mount --bind /hostview\$k /newroot\$k; done
mount -t devpts devpts /newroot/dev/pts 2>/dev/null
mount -t tmpfs -o mode=1777 shm /newroot/dev/shm 2>/dev/null
mount -t tmpfs cgroup /newroot/sys/fs/cgroup
for c in cpuset cpu cpuacct memory devices freezer pids; do
    mkdir -p /newroot/sys/fs/cgroup/\$c
    mount -t cgroup -o \$c cgroup /newroot/sys/fs/cgroup/\$c
done
mount -t hugetlbfs none /newroot/dev/hugepages 2>/dev/null
hostname nested-kvm
ifconfig lo 127.0.0.1 up 2>/dev/null # loopback, as any host has it (TCP tests, Slurm)
[ -c /newroot/dev/kvm ] || echo "nested-kvm: kvm-amd gave no /dev/kvm"
# The heartbeat: the host's clock stamps each write, so the guest's clock does not matter.
# Beside it, what runs in the guest, for the host to show if the guest has to be stopped.
(n=0; while :; do
    date +%s >/hostview$run/heartbeat
    [ \$((n % 3)) = 0 ] && chroot /newroot ps -o pid,ppid,stat,args >/hostview$run/ps 2>&1
    n=\$((n + 1)); sleep 10
done) &
chroot /newroot $run/command </dev/null 2>&1 | cat
sync
poweroff -f
EOF
chmod 755 "$ird/init"
(cd "$ird" && find . | cpio -o -H newc --quiet) >"$run/initrd.img"

echo "nested-kvm: booting $(cat "$kdir/ready") on TCG with nested SVM ($cpus CPUs, $mem)" >&2
# One TCG thread runs all vCPUs (thread=single): QEMU's SVM world switch (vmexit) clears a
# bit of a vCPU's pending-interrupt word without the lock under which other vCPU threads
# raise interrupts in it, so with a thread per vCPU an IPI that lands in that window is
# lost; the vCPU then hears nothing until its next interrupt, and the guest's kernel hangs
# when the sender spins waiting for the answer: the likely cause of CI's guest hangs (both
# vCPUs busy, no heartbeat; docs/testing.md). On one thread no vCPU runs while another
# switches worlds, and the suite runs about as fast.
"$qemu" -accel tcg,thread=${NESTED_KVM_TCG_THREAD:-single} -cpu max -smp "$cpus" -m "$mem" \
    -nographic -nodefaults -no-reboot -serial stdio \
    -kernel "$kdir/vmlinuz" -initrd "$run/initrd.img" \
    -append "console=ttyS0 quiet loglevel=4 panic=-1 rdinit=/init unknown_nmi_panic=1 panic_print=0x40" \
    -fsdev "local,id=root,path=/,security_model=passthrough,multidevs=remap" \
    -device virtio-9p-pci,fsdev=root,mount_tag=hostroot \
    -monitor "unix:$run/monitor,server=on,wait=off" </dev/null > >(tee "$run/console") &
qemu_pid=$!
qemu_ticks() { awk '{ print $14 + $15 }' "/proc/$qemu_pid/stat"; } # user + system time
# Where a hung guest is: each vCPU's instruction pointer, named, then (an NMI the guest
# kernel answers with a panic that prints every CPU's backtrace) what its kernel was doing.
stall_report() {
    local maps=("$run/kallsyms") m
    for m in ${NESTED_KVM_MAPS:-}; do maps+=("$m"); done
    "$here/nested-kvm-cpus.py" "$run/monitor" "${maps[@]}" 2>&1 | sed 's/^/nested-kvm: stall: /' >&2 || true
    "$here/nested-kvm-cpus.py" --nmi "$run/monitor" >/dev/null 2>&1 || return 0
    local i
    for i in 1 2 3 4 5 6; do kill -0 "$qemu_pid" 2>/dev/null && sleep 5; done
    "$here/nested-kvm-traces.py" "$run/console" 2>&1 | sed 's/^/nested-kvm: stall: /' >&2 || true
}
# A hung guest kernel writes nothing; without the watch it would hold CI to the full bound.
start=$(date +%s) why="" stopped=0
while kill -0 "$qemu_pid" 2>/dev/null; do
    sleep 5
    now=$(date +%s)
    if [ $((now - start)) -ge "$limit" ]; then
        why="it ran past its bound of ${limit} s" stopped=124
    elif [ -f "$run/heartbeat" ] && [ $((now - $(stat -c %Y "$run/heartbeat"))) -ge "$stall" ]; then
        why="it stopped responding: no heartbeat for ${stall} s (its kernel or emulator hung)"
        stopped=75
    fi
    if [ -n "$why" ]; then
        echo "nested-kvm: stopping the guest after $((now - start)) s: $why" >&2
        if [ -s "$run/ps" ]; then
            echo "nested-kvm: the guest's processes $((now - $(stat -c %Y "$run/ps"))) s ago:" >&2
            grep -v -E ' (\[|ps -o|sleep )' "$run/ps" |
                head -n 60 | sed 's/^/nested-kvm:   /' >&2
        fi
        # Whether the guest spins (its kernel loops with interrupts off) or QEMU waits.
        t0=$(qemu_ticks) && sleep 5 && t1=$(qemu_ticks) &&
            echo "nested-kvm: stall: QEMU used $(((t1 - t0) * 100 / (5 * $(getconf CLK_TCK))))% of a CPU over 5 s" \
                "(about ${cpus}00%: the guest spins; near 0: QEMU waits)" >&2
        [ $stopped = 75 ] && stall_report
        kill "$qemu_pid" 2>/dev/null || true # an NMI may have ended it already
        break
    fi
done
rc=0
wait "$qemu_pid" || rc=$?
[ $stopped = 0 ] || exit $stopped
if [ ! -s "$run/status" ]; then
    echo "nested-kvm: the guest reported no status (QEMU exit status $rc)" >&2
    exit 1
fi
exit "$(cat "$run/status")"
