#!/usr/bin/env bash
# Makes sure the services dsv's commodity stack needs are running, without systemd:
#   - qemu.conf lets QEMU open /dev/kvm (root-only here): user = "root", group = "root"
#     (written only when no active setting exists);
#   - virtlogd and libvirtd run (started as daemons when they do not).
# Idempotent; run as root. Exit status: 0 ready, 1 something could not be started.
set -euo pipefail

QEMU_CONF=${QEMU_CONF:-/etc/libvirt/qemu.conf}
LIBVIRT_URI=${LIBVIRT_URI:-qemu:///system}

log() { echo "start-services: $*"; }
die() { echo "start-services: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (libvirtd and /dev/kvm need it)"
command -v libvirtd >/dev/null || die "libvirtd is not installed (scripts/install-deps.sh)"
command -v virtlogd >/dev/null || die "virtlogd is not installed (scripts/install-deps.sh)"

ensure_setting() { # key value: append 'key = "value"' unless an active setting exists
    local key=$1 value=$2
    if grep -Eq "^[[:space:]]*${key}[[:space:]]*=" "$QEMU_CONF"; then
        log "$QEMU_CONF already sets $key: $(grep -E "^[[:space:]]*${key}[[:space:]]*=" "$QEMU_CONF" | tail -1)"
        return 1
    fi
    printf '\n# added by dsv scripts/start-services.sh: /dev/kvm is root-only on this host\n%s = "%s"\n' \
        "$key" "$value" >> "$QEMU_CONF"
    log "set $key = \"$value\" in $QEMU_CONF"
    return 0
}

changed=0
mkdir -p "$(dirname "$QEMU_CONF")"
touch "$QEMU_CONF"
ensure_setting user root && changed=1 || true
ensure_setting group root && changed=1 || true

running() { pgrep -x "$1" >/dev/null 2>&1; }

mkdir -p /run/libvirt /var/log/libvirt /var/lib/libvirt /var/cache/libvirt
if ! running virtlogd; then
    virtlogd -d
    log "started virtlogd"
fi
if running libvirtd && [ "$changed" -eq 1 ]; then
    # qemu.conf is read at start: restart libvirtd so the new setting counts
    kill "$(pgrep -xo libvirtd)"
    for _ in $(seq 50); do running libvirtd || break; sleep 0.1; done
    log "stopped libvirtd to reload $QEMU_CONF"
fi
if ! running libvirtd; then
    libvirtd -d
    log "started libvirtd"
fi

for _ in $(seq 100); do
    if virsh -c "$LIBVIRT_URI" version >/dev/null 2>&1; then
        log "libvirtd answers on $LIBVIRT_URI"
        exit 0
    fi
    sleep 0.1
done
die "libvirtd does not answer on $LIBVIRT_URI (see /var/log/libvirt/libvirtd.log)"
