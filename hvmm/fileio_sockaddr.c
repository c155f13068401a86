/*
 * Descriptor offload: socket addresses and options going between guest and host, and the
 * network policy (docs/abi.md "Network policy"). Addresses are copied, never referenced:
 * the guest may rewrite its memory while a call runs.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/netlink.h>
#include <dsv/sockio.h>
#include "fileio_int.h"

_Static_assert(sizeof(struct sockaddr_storage) == DSV_SOCKADDR_MAX, "sockaddr_storage size");

int fio_family_allowed(const struct fileio *fio, int family)
{
	switch (family) {
	case AF_UNIX:
		return 0;
	case AF_INET:
	case AF_INET6:
	case AF_NETLINK: /* NETLINK_ROUTE only (fio_socket) */
		return fio->net_host ? 0 : -EAFNOSUPPORT;
	default:
		return -EAFNOSUPPORT; /* packet, ...: not offered */
	}
}

/* An address the guest may name: no host file system paths, and nothing of the network
 * namespace (IP, abstract AF_UNIX names) without --net host. */
static int addr_allowed(const struct fileio *fio, const struct sockaddr_storage *ss, size_t len)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)ss;
	switch (ss->ss_family) {
	case AF_UNSPEC:
		return 0; /* connect(AF_UNSPEC) dissolves an association */
	case AF_UNIX:
		if (len == sizeof(sa_family_t))
			return 0; /* autobind: a name the kernel picks */
		if (un->sun_path[0] != '\0')
			return -EACCES; /* a host path, outside the share's confinement */
		return fio->net_host ? 0 : -EACCES;
	case AF_NETLINK:
		if (len < sizeof(struct sockaddr_nl))
			return -EINVAL;
		return fio_family_allowed(fio, AF_NETLINK);
	default:
		return fio_family_allowed(fio, ss->ss_family);
	}
}

int64_t fio_addr_in(const struct fio_call *c, uint64_t gpa, uint64_t len,
		    struct sockaddr_storage *ss)
{
	if (len > DSV_SOCKADDR_MAX || len < sizeof(sa_family_t))
		return -EINVAL;
	const void *p = fio_gbuf(c->gm, gpa, len);
	if (!p)
		return -EFAULT;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, p, len);
	return addr_allowed(c->fio, ss, len);
}

int fio_addr_peer_ok(const struct sockaddr_storage *ss, size_t len)
{
	const struct sockaddr_nl *nl = (const struct sockaddr_nl *)ss;
	if (ss->ss_family != AF_NETLINK || len < sizeof(*nl))
		return 0;
	/* The kernel is the only peer: no other process's port, no multicast group. */
	return nl->nl_pid || nl->nl_groups ? -EPERM : 0;
}

int64_t fio_addr_room(const struct fio_call *c, uint64_t gpa, uint64_t lenp, uint32_t *room)
{
	*room = 0;
	if (!lenp)
		return gpa ? -EFAULT : 0; /* an address without its length cannot be returned */
	const void *lp = fio_gbuf(c->gm, lenp, sizeof(*room));
	if (!lp)
		return -EFAULT;
	memcpy(room, lp, sizeof(*room));
	if ((int32_t)*room < 0)
		return -EINVAL;
	if (*room > DSV_SOCKADDR_MAX)
		*room = DSV_SOCKADDR_MAX; /* the longest address there is */
	return fio_gbuf(c->gm, gpa, *room) ? 0 : -EFAULT;
}

void fio_addr_out(const struct fio_call *c, uint64_t gpa, uint64_t lenp, uint32_t room,
		  const struct sockaddr_storage *ss, unsigned len)
{
	if (!lenp)
		return;
	uint32_t n = len < room ? len : room, full = len;
	/* ranges checked by fio_addr_room before the call: guest RAM does not move */
	fio_put_guest(c->gm, gpa, ss, n);
	fio_put_guest(c->gm, lenp, &full, sizeof(full));
}

/* Options with plain values (no pointers inside, e.g. never SO_ATTACH_FILTER). */
static const struct sockopt_rule {
	int level, name;
	int settable;
} sockopts[] = {
	{ SOL_SOCKET, SO_REUSEADDR, 1 },
	{ SOL_SOCKET, SO_REUSEPORT, 1 },
	{ SOL_SOCKET, SO_KEEPALIVE, 1 },
	{ SOL_SOCKET, SO_BROADCAST, 1 },
	{ SOL_SOCKET, SO_SNDBUF, 1 },
	{ SOL_SOCKET, SO_RCVBUF, 1 },
	{ SOL_SOCKET, SO_LINGER, 1 },
	{ SOL_SOCKET, SO_RCVTIMEO, 1 },
	{ SOL_SOCKET, SO_SNDTIMEO, 1 },
	{ SOL_SOCKET, SO_OOBINLINE, 1 },
	{ SOL_SOCKET, SO_RCVLOWAT, 1 },
	{ SOL_SOCKET, SO_PRIORITY, 1 },
	{ SOL_SOCKET, SO_ERROR, 0 },
	{ SOL_SOCKET, SO_TYPE, 0 },
	{ SOL_SOCKET, SO_DOMAIN, 0 },
	{ SOL_SOCKET, SO_PROTOCOL, 0 },
	{ SOL_SOCKET, SO_ACCEPTCONN, 0 },
	{ SOL_SOCKET, SO_PEERCRED, 0 },
	{ IPPROTO_TCP, TCP_NODELAY, 1 },
	{ IPPROTO_TCP, TCP_MAXSEG, 1 },
	{ IPPROTO_TCP, TCP_CORK, 1 },
	{ IPPROTO_TCP, TCP_KEEPIDLE, 1 },
	{ IPPROTO_TCP, TCP_KEEPINTVL, 1 },
	{ IPPROTO_TCP, TCP_KEEPCNT, 1 },
	{ IPPROTO_TCP, TCP_SYNCNT, 1 },
	{ IPPROTO_TCP, TCP_QUICKACK, 1 },
	{ IPPROTO_TCP, TCP_USER_TIMEOUT, 1 },
	{ IPPROTO_TCP, TCP_INFO, 0 },
	{ IPPROTO_IP, IP_TOS, 1 },
	{ IPPROTO_IP, IP_TTL, 1 },
	{ IPPROTO_IPV6, IPV6_V6ONLY, 1 },
	{ IPPROTO_IPV6, IPV6_UNICAST_HOPS, 1 },
	{ SOL_NETLINK, NETLINK_EXT_ACK, 1 },
	{ SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1 },
	{ SOL_NETLINK, NETLINK_CAP_ACK, 1 },
};

/* 0 when (level, name) may be used this way; -ENOPROTOOPT otherwise, as for unknown ones. */
static int sockopt_allowed(int level, int name, int set)
{
	for (size_t i = 0; i < sizeof(sockopts) / sizeof(sockopts[0]); i++)
		if (sockopts[i].level == level && sockopts[i].name == name)
			return !set || sockopts[i].settable ? 0 : -ENOPROTOOPT;
	return -ENOPROTOOPT;
}

int64_t fio_setsockopt(const struct fio_call *c)
{
	int level = (int)(uint32_t)c->a[1], name = (int)(uint32_t)c->a[2];
	uint64_t len = c->a[4];
	unsigned char buf[DSV_SOCKOPT_MAX];
	int r = sockopt_allowed(level, name, 1);
	if (r)
		return r;
	if ((int32_t)(uint32_t)len < 0 || len > DSV_SOCKOPT_MAX)
		return -EINVAL;
	const void *p = fio_gbuf(c->gm, c->a[3], len);
	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return fio_res(setsockopt(c->file->fd, level, name, buf, (socklen_t)len));
}

int64_t fio_getsockopt(const struct fio_call *c)
{
	int level = (int)(uint32_t)c->a[1], name = (int)(uint32_t)c->a[2];
	unsigned char buf[DSV_SOCKOPT_MAX] = { 0 };
	uint32_t room;
	int r = sockopt_allowed(level, name, 0);
	if (r)
		return r;
	const void *lp = fio_gbuf(c->gm, c->a[4], sizeof(room));
	if (!lp)
		return -EFAULT;
	memcpy(&room, lp, sizeof(room));
	if ((int32_t)room < 0)
		return -EINVAL;
	if (room > DSV_SOCKOPT_MAX)
		room = DSV_SOCKOPT_MAX; /* every allowed option fits */
	if (!fio_gbuf(c->gm, c->a[3], room))
		return -EFAULT;
	socklen_t n = room;
	if (getsockopt(c->file->fd, level, name, buf, &n) < 0)
		return -errno;
	uint32_t out = n;
	fio_put_guest(c->gm, c->a[3], buf, n < room ? n : room);
	fio_put_guest(c->gm, c->a[4], &out, sizeof(out));
	return 0;
}
