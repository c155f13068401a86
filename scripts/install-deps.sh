#!/usr/bin/env bash
# Installs the Debian packages dsv needs to build, test and run its demo.
# Idempotent: only missing packages are installed.
set -euo pipefail

PKGS=(
  build-essential pkg-config meson ninja-build
  libcmocka-dev libjansson-dev libmicrohttpd-dev libhwloc-dev
  libseccomp-dev libcap-dev libvirt-dev
  musl-tools busybox-static
  qemu-system-x86 libvirt-daemon-system libvirt-clients
  libxml2-dev qemu-utils genisoimage dnsmasq-base
  syslinux syslinux-common mtools dosfstools
  gnuplot-nox curl clang clang-format cpio
  slurmd slurmctld slurm-client munge libslurm-dev
  libmpich-dev mpich
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or install them with apt-get) and retry" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
