#!/bin/sh
# udhcpc's hook in the test guest: applies the lease and notes the address for the init.
case "$1" in
bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route add default via "${router%% *}" dev "$interface"
    echo "$ip" > /tmp/dhcp-address
    ;;
esac
exit 0
