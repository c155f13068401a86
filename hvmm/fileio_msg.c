/*
 * Descriptor offload: sendmsg and recvmsg from a struct dsv_msg descriptor (dsv/sockio.h).
 * The descriptor and its segment list are copied once and every segment checked against
 * guest RAM; data then moves straight between the socket and guest memory. No ancillary
 * data crosses: received descriptors (SCM_RIGHTS) are discarded by the kernel because hvmm
 * offers no room for them, and the guest sees MSG_CTRUNC.
 */
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <dsv/sockio.h>
#include "fileio_int.h"

#define SEND_OK \
	(MSG_DONTWAIT | MSG_EOR | MSG_MORE | MSG_NOSIGNAL | MSG_OOB | MSG_CONFIRM | MSG_DONTROUTE)
/* MSG_NOSIGNAL means nothing to a receive, but Linux takes it there and UCX passes it to
 * every recv. */
#define RECV_OK                                                                           \
	(MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC | MSG_WAITALL | MSG_OOB | MSG_CMSG_CLOEXEC | \
	 MSG_NOSIGNAL)

struct msg_view {
	struct dsv_msg d; /* the guest's descriptor, copied */
	struct msghdr mh;
	struct iovec iov[DSV_MSG_IOV_MAX];
	struct sockaddr_storage name;
	uint32_t name_room; /* recvmsg: guest bytes for the address */
};

static int64_t copy_iov(const struct fio_call *c, struct msg_view *v)
{
	if (v->d.iovlen > DSV_MSG_IOV_MAX)
		return -EMSGSIZE;
	const struct dsv_iov *g = fio_gbuf(c->gm, v->d.iov, (uint64_t)v->d.iovlen * sizeof(*g));
	if (!g)
		return -EFAULT;
	struct dsv_iov seg[DSV_MSG_IOV_MAX];
	memcpy(seg, g, v->d.iovlen * sizeof(*g));
	uint64_t total = 0;
	for (uint32_t i = 0; i < v->d.iovlen; i++) {
		if (seg[i].len > DSV_HC_MAX_IO || (total += seg[i].len) > DSV_HC_MAX_IO)
			return -EINVAL;
		if (!(v->iov[i].iov_base = fio_gbuf(c->gm, seg[i].gpa, seg[i].len)))
			return -EFAULT;
		v->iov[i].iov_len = seg[i].len;
	}
	v->mh.msg_iov = v->iov;
	v->mh.msg_iovlen = v->d.iovlen;
	return 0;
}

static int64_t copy_msg(const struct fio_call *c, struct msg_view *v, int recv)
{
	const void *d = fio_gbuf(c->gm, c->a[1], sizeof(v->d));
	if (!d)
		return -EFAULT;
	memcpy(&v->d, d, sizeof(v->d));
	memset(&v->mh, 0, sizeof(v->mh));
	if (v->d.control || v->d.controllen || (!recv && v->d.flags))
		return -EINVAL;
	int64_t r = copy_iov(c, v);
	if (r || !v->d.name)
		return r;
	uint32_t len = v->d.namelen > DSV_SOCKADDR_MAX ? DSV_SOCKADDR_MAX : v->d.namelen;
	if (recv) { /* room for the sender's address, checked now, written after */
		if (!fio_gbuf(c->gm, v->d.name, len))
			return -EFAULT;
		v->name_room = len;
	} else if ((r = fio_addr_in(c, v->d.name, len, &v->name)) ||
		   (r = fio_addr_peer_ok(&v->name, len))) {
		return r;
	}
	v->mh.msg_name = &v->name;
	v->mh.msg_namelen = recv ? sizeof(v->name) : len;
	return 0;
}

int64_t fio_sendmsg(const struct fio_call *c)
{
	struct msg_view v;
	uint32_t flags = (uint32_t)c->a[2];
	if (flags & ~(uint32_t)SEND_OK)
		return -EOPNOTSUPP;
	int64_t r = copy_msg(c, &v, 0);
	/* no SIGPIPE for hvmm: a closed peer is EPIPE, as for the guest's MSG_NOSIGNAL */
	return r ? r : fio_res(sendmsg(c->file->fd, &v.mh, (int)(flags | MSG_NOSIGNAL)));
}

int64_t fio_recvmsg(const struct fio_call *c)
{
	struct msg_view v;
	uint32_t flags = (uint32_t)c->a[2];
	if (flags & ~(uint32_t)RECV_OK)
		return -EOPNOTSUPP;
	int64_t r = copy_msg(c, &v, 1);
	if (r)
		return r;
	ssize_t n = recvmsg(c->file->fd, &v.mh, (int)(flags & ~(uint32_t)MSG_CMSG_CLOEXEC));
	if (n < 0)
		return -errno;
	/* Written into the guest's descriptor (checked above): the address and the flags. */
	struct dsv_msg *g = fio_gbuf(c->gm, c->a[1], sizeof(*g));
	uint32_t namelen = v.d.name ? v.mh.msg_namelen : 0, mflags = (uint32_t)v.mh.msg_flags;
	if (v.d.name)
		fio_put_guest(c->gm, v.d.name, &v.name,
			      namelen < v.name_room ? namelen : v.name_room);
	memcpy(&g->namelen, &namelen, sizeof(namelen));
	memcpy(&g->flags, &mflags, sizeof(mflags));
	return n;
}
