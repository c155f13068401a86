# Two "nodes" on one host for mpi.sh (MPI_NODES=netns): network namespaces joined by a
# veth pair, each with its own address, and a launcher that Hydra's ssh launcher runs in
# place of ssh: it starts Hydra's proxy in the namespace that owns the host address.
# Sourced by mpi.sh after scratch; sets MPI_IN (the command prefix that runs mpiexec on the
# first node) and MPI_HYDRA (mpiexec's options). Needs root and iproute2.

netns_setup() {
	if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
		echo "1..0 # SKIP two network namespaces need root and iproute2"
		exit 0
	fi
	NS_A=dsvmpi$$a NS_B=dsvmpi$$b
	trap 'ip netns del "$NS_A" 2>/dev/null; ip netns del "$NS_B" 2>/dev/null; rm -rf "$WORK"' EXIT
	# The addresses exist only inside the two namespaces: no clash with the host's.
	ip netns add "$NS_A" && ip netns add "$NS_B" &&
		ip link add dsv0 netns "$NS_A" type veth peer name dsv0 netns "$NS_B" &&
		ip -n "$NS_A" addr add 10.203.0.1/24 dev dsv0 &&
		ip -n "$NS_B" addr add 10.203.0.2/24 dev dsv0 &&
		for ns in "$NS_A" "$NS_B"; do
			ip -n "$ns" link set lo up && ip -n "$ns" link set dsv0 up || return 1
		done || {
		echo "1..0 # SKIP cannot make two network namespaces joined by veth"
		exit 0
	}
	# UCX uses only links that are up and running when a rank starts: a fresh veth pair
	# takes a moment to get there.
	for ns in "$NS_A" "$NS_B"; do
		tries=0
		until ip -n "$ns" -br link show dsv0 | grep -q ' UP '; do
			tries=$((tries + 1))
			if [ $tries -gt 100 ]; then
				echo "1..0 # SKIP the veth link in $ns never came up"
				exit 0
			fi
			sleep 0.1
		done
	done
	# Hydra calls: LAUNCHER [ssh options] HOST COMMAND (one string for a remote shell).
	cat >"$WORK/launch" <<LAUNCH
#!/bin/sh
while [ \$# -gt 0 ]; do case \$1 in -*) shift ;; *) break ;; esac; done
case \$1 in
10.203.0.1) ns=$NS_A ;;
10.203.0.2) ns=$NS_B ;;
*) echo "launch: no node \$1" >&2; exit 255 ;;
esac
shift
exec ip netns exec "\$ns" sh -c "\$*"
LAUNCH
	chmod 755 "$WORK/launch"
	MPI_IN="ip netns exec $NS_A"
	# -iface: the proxies reach mpiexec's control port at dsv0's address, not at a name.
	MPI_HYDRA="-launcher ssh -launcher-exec $WORK/launch -iface dsv0 -hosts 10.203.0.1,10.203.0.2"
}
