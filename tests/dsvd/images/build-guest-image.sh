#!/usr/bin/env bash
# Builds a small bootable Linux disk image for the commodity-stack tests from Debian packages
# alone: the kernel of linux-image-amd64 (apt-get download + dpkg-deb, never installed on the
# host), a busybox-static initramfs whose init reads a NoCloud seed (label cidata) and runs its
# user-data, and syslinux on a whole-disk FAT file system (no partition table, no mounts).
#
#   build-guest-image.sh OUTDIR      prints the image's path (OUTDIR/guest-KVER-HASH.raw)
#
# The image is cached in OUTDIR under a hash of this script and the guest's scripts: a second
# run only prints its path; a change to them builds a new one. Exit status: 0 built or
# cached, 77 a tool or the kernel package is not available (the caller skips), 1 failed.
set -euo pipefail

out=${1:?usage: build-guest-image.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
SKIP=77

need() { command -v "$1" >/dev/null || { echo "build-guest-image: $1 is not installed ($2)" >&2; exit $SKIP; }; }
need busybox busybox-static
need cpio cpio
need mkfs.vfat dosfstools
need mcopy mtools
need syslinux syslinux
need apt-get apt
[ -f /usr/lib/syslinux/modules/bios/ldlinux.c32 ] || { echo "build-guest-image: syslinux-common is not installed" >&2; exit $SKIP; }
busybox_bin=$(command -v busybox)
file "$busybox_bin" 2>/dev/null | grep -q dynamically && { echo "build-guest-image: $busybox_bin is not static (busybox-static)" >&2; exit $SKIP; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
hash=$(cat "$0" "$here/guest-init.sh" "$here/guest-udhcpc.sh" | sha256sum | cut -c1-12)
cached=$(ls "$out"/guest-*-"$hash".raw 2>/dev/null | head -1 || true)
if [ -n "$cached" ]; then
    echo "$cached"
    exit 0
fi
rm -f "$out"/guest-*.raw # built from older scripts

work=$(mktemp -d "$out/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work" # apt-get download runs as _apt where it can

# the kernel package linux-image-amd64 points at today
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1)
[ -n "$kpkg" ] || { echo "build-guest-image: apt knows no linux-image-amd64 (apt-get update?)" >&2; exit $SKIP; }
(cd "$work" && apt-get download -q "$kpkg" >/dev/null 2>"$work/apt.log") ||
    { sed 's/^/build-guest-image: /' "$work/apt.log" >&2; echo "build-guest-image: cannot download $kpkg" >&2; exit $SKIP; }
deb=$(ls "$work"/*.deb)
kver=${kpkg#linux-image-}

# only what the guest needs from the package: the kernel and the virtio, ISO 9660 and ACPI
# button modules (Debian builds them as modules), in load order
modules="drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev
  drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci drivers/block/virtio_blk
  drivers/cdrom/cdrom fs/isofs/isofs net/core/failover drivers/net/net_failover drivers/net/virtio_net
  drivers/acpi/button drivers/input/evdev"
pkgroot=$work/pkg
mkdir -p "$pkgroot"
wanted=("./boot/vmlinuz-$kver")
for m in $modules; do wanted+=("./lib/modules/$kver/kernel/$m.ko"); done
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$pkgroot" "${wanted[@]}"

# the initramfs: busybox, the init and the modules
root=$work/root
mkdir -p "$root"/{bin,sbin,etc/init.d,proc,sys,dev,tmp,run,mnt/seed,lib/modules,usr/share/udhcpc}
cp "$busybox_bin" "$root/bin/busybox"
for m in $modules; do cp "$pkgroot/lib/modules/$kver/kernel/$m.ko" "$root/lib/modules/"; done
printf '%s\n' $modules | sed 's,.*/,,' > "$root/lib/modules/order"
install -m 755 "$here/guest-init.sh" "$root/etc/init.d/rcS"
install -m 755 "$here/guest-udhcpc.sh" "$root/usr/share/udhcpc/default.script"
cat > "$root/etc/inittab" <<'TAB'
::sysinit:/etc/init.d/rcS
::respawn:/bin/busybox sh -c 'echo "dsv-guest: acpid up" >/dev/console; exec /bin/busybox acpid -f -l /dev/null -c /etc/acpi'
::shutdown:/bin/busybox echo "dsv-guest: shutting down"
::shutdown:/bin/busybox umount -a -r
TAB
# the ACPI power button (virsh shutdown) powers the guest off: busybox acpid runs
# /etc/acpi/PWRF/00000080 for it
mkdir -p "$root/etc/acpi/PWRF"
printf '#!/bin/sh\necho "dsv-guest: ACPI power button" > /dev/console\nexec poweroff\n' > "$root/etc/acpi/PWRF/00000080"
chmod 755 "$root/etc/acpi/PWRF/00000080"
ln -s /bin/busybox "$root/init"
ln -s busybox "$root/bin/sh"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$work/initrd.img"

# a whole-disk FAT file system that SeaBIOS boots through syslinux's boot sector
cp "$pkgroot/boot/vmlinuz-$kver" "$work/vmlinuz"
cat > "$work/syslinux.cfg" <<CFG
DEFAULT linux
PROMPT 0
LABEL linux
  KERNEL vmlinuz
  INITRD initrd.img
  APPEND console=ttyS0,115200 panic=-1 rdinit=/init
CFG
kib=$(( ($(stat -c %s "$work/vmlinuz") + $(stat -c %s "$work/initrd.img")) / 1024 + 4096 ))
img=$work/guest.raw
mkfs.vfat -C -n DSVGUEST "$img" "$kib" >/dev/null
mcopy -i "$img" "$work/vmlinuz" "$work/initrd.img" "$work/syslinux.cfg" ::/
syslinux --install "$img"
mv "$img" "$out/guest-$kver-$hash.raw"
echo "$out/guest-$kver-$hash.raw"
