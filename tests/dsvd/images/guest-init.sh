#!/bin/sh
# The test guest's init (busybox init runs it at sysinit): loads the virtio and ISO 9660
# modules, finds the NoCloud seed (an ISO 9660 volume labelled cidata), sets the hostname from
# its meta-data, runs its user-data when that is a script, as cloud-init would, and asks for
# a DHCP address on the first network interface.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
echo "dsv-guest: init running on $(uname -r)"
while read -r m; do insmod "/lib/modules/$m.ko" 2>/dev/null; done < /lib/modules/order
mdev -s

seed=
for dev in /dev/vd? /dev/sr?; do
    [ -b "$dev" ] || continue
    if mount -t iso9660 -o ro "$dev" /mnt/seed 2>/dev/null; then
        if [ -f /mnt/seed/meta-data ] && [ -f /mnt/seed/user-data ]; then seed=$dev; break; fi
        umount /mnt/seed
    fi
done
if [ -z "$seed" ]; then
    echo "dsv-guest: no NoCloud seed (cidata) found"
else
    echo "dsv-guest: NoCloud seed on $seed"
    host=$(sed -n 's/^local-hostname: *//p' /mnt/seed/meta-data | head -1)
    [ -n "$host" ] && hostname "$host" && echo "dsv-guest: hostname $host"
    if head -c 2 /mnt/seed/user-data | grep -q '^#!'; then
        cp /mnt/seed/user-data /tmp/user-data
        chmod 700 /tmp/user-data
        echo "dsv-guest: running user-data"
        /tmp/user-data
        echo "dsv-guest: user-data exited with status $?"
    else
        echo "dsv-guest: user-data is not a script; this guest runs scripts only"
    fi
fi

if [ -e /sys/class/net/eth0 ]; then
    ip link set lo up
    ip link set eth0 up
    if udhcpc -i eth0 -n -q -t 10 -T 2 -s /usr/share/udhcpc/default.script >/dev/null 2>&1 &&
       [ -s /tmp/dhcp-address ]; then
        echo "dsv-guest: dhcp eth0 $(cat /tmp/dhcp-address)"
    else
        echo "dsv-guest: no DHCP answer on eth0"
    fi
fi
echo "dsv-guest: ready"
