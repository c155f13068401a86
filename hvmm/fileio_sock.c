/*
 * Descriptor offload: sockets. A guest socket is a host socket of hvmm in the guest's
 * table; which families and addresses the guest may use is the network policy
 * (fileio_sockaddr.c). Blocking calls (accept, connect) hold only the socket's reference,
 * never the table lock, so they block only the calling vCPU.
 */
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fileio_int.h"

#define SOCK_FLAGS (SOCK_NONBLOCK | SOCK_CLOEXEC)

/* The socket types offered; raw sockets need a capability hvmm never holds. Netlink's
 * SOCK_RAW is no raw network access: it is how rtnetlink is spoken. */
static int type_allowed(uint32_t type, int domain)
{
	if (type & ~(uint32_t)(SOCK_FLAGS | 0xf))
		return -EINVAL;
	switch (type & 0xf) {
	case SOCK_STREAM:
	case SOCK_DGRAM:
	case SOCK_SEQPACKET:
		return 0;
	case SOCK_RAW:
		return domain == AF_NETLINK ? 0 : -EPERM;
	default:
		return -EINVAL;
	}
}

int64_t fio_socket(const struct fio_call *c)
{
	int domain = (int)(uint32_t)c->a[0];
	uint32_t type = (uint32_t)c->a[1];
	int r = fio_family_allowed(c->fio, domain);
	if (!r)
		r = type_allowed(type, domain);
	if (!r && domain == AF_NETLINK && (uint32_t)c->a[2] != NETLINK_ROUTE)
		r = -EPROTONOSUPPORT; /* route only: interfaces, addresses, routes (reads) */
	if (r)
		return r;
	int fd = socket(domain, (int)(type | SOCK_CLOEXEC), (int)(uint32_t)c->a[2]);
	return fio_new_fd(c->fio, fd, (type & SOCK_CLOEXEC) != 0);
}

int64_t fio_socketpair(const struct fio_call *c)
{
	int domain = (int)(uint32_t)c->a[0];
	uint32_t type = (uint32_t)c->a[1];
	int host[2];
	if (domain != AF_UNIX) /* Linux: EOPNOTSUPP for the IP families */
		return fio_family_allowed(c->fio, domain) ? -EAFNOSUPPORT : -EOPNOTSUPP;
	int r = type_allowed(type, domain);
	if (r)
		return r;
	if (!fio_gbuf(c->gm, c->a[3], 2 * sizeof(int32_t)))
		return -EFAULT;
	if (socketpair(domain, (int)(type | SOCK_CLOEXEC), (int)(uint32_t)c->a[2], host) < 0)
		return -errno;
	return fio_pair_to_guest(c, c->a[3], host, (type & SOCK_CLOEXEC) != 0);
}

int64_t fio_bind(const struct fio_call *c)
{
	struct sockaddr_storage ss;
	int64_t r = fio_addr_in(c, c->a[1], c->a[2], &ss);
	return r ? r : fio_res(bind(c->file->fd, (struct sockaddr *)&ss, (socklen_t)c->a[2]));
}

int64_t fio_connect(const struct fio_call *c)
{
	struct sockaddr_storage ss;
	int64_t r = fio_addr_in(c, c->a[1], c->a[2], &ss);
	if (!r)
		r = fio_addr_peer_ok(&ss, c->a[2]);
	return r ? r : fio_res(connect(c->file->fd, (struct sockaddr *)&ss, (socklen_t)c->a[2]));
}

int64_t fio_listen(const struct fio_call *c)
{
	return fio_res(listen(c->file->fd, (int)(uint32_t)c->a[1]));
}

int64_t fio_shutdown(const struct fio_call *c)
{
	uint32_t how = (uint32_t)c->a[1];
	if (how > SHUT_RDWR)
		return -EINVAL;
	return fio_res(shutdown(c->file->fd, (int)how));
}

int64_t fio_accept4(const struct fio_call *c)
{
	uint32_t flags = (uint32_t)c->a[3], room;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (flags & ~(uint32_t)SOCK_FLAGS)
		return -EINVAL;
	int64_t r = fio_addr_room(c, c->a[1], c->a[2], &room);
	if (r)
		return r;
	int slot = fio_reserve(c->fio, 0); /* first, as Linux: a full table loses no connection */
	if (slot < 0)
		return slot;
	int fd = accept4(c->file->fd, (struct sockaddr *)&ss, &len, (int)(flags | SOCK_CLOEXEC));
	if (fd < 0) {
		r = -errno;
		fio_unreserve(c->fio, slot);
		return r;
	}
	r = fio_install_fd(c->fio, slot, fd, (flags & SOCK_CLOEXEC) != 0);
	if (r >= 0)
		fio_addr_out(c, c->a[1], c->a[2], room, &ss, len);
	return r;
}

typedef int (*name_fn)(int, struct sockaddr *, socklen_t *);

static int64_t get_name(const struct fio_call *c, name_fn fn)
{
	uint32_t room;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (!c->a[2])
		return -EFAULT;
	int64_t r = fio_addr_room(c, c->a[1], c->a[2], &room);
	if (r)
		return r;
	if (fn(c->file->fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	fio_addr_out(c, c->a[1], c->a[2], room, &ss, len);
	return 0;
}

int64_t fio_getsockname(const struct fio_call *c)
{
	return get_name(c, getsockname);
}
int64_t fio_getpeername(const struct fio_call *c)
{
	return get_name(c, getpeername);
}
