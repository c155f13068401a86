/*
 * hvmm's descriptor offload (pipes, sockets, poll, epoll, eventfd) driven as a hostile guest
 * would: known answers from Linux for the good calls, and for the bad ones (addresses
 * outside guest RAM, lengths over the limits, descriptors the guest does not own, hvmm's
 * own descriptors, ancillary data) an error and no leaked host descriptor.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <dsv/sockio.h>
#include "harness.h"
#include "fileio_int.h"

#define OUTSIDE (H_MEM + 4096) /* a GPA beyond the fake guest's RAM */

static int64_t g_pipe(struct h *h, int32_t fds[2], uint32_t flags)
{
	uint64_t gpa = h_buf(h, 8);
	int64_t r = h_call(h, DSV_HC_PIPE2, gpa, flags, 0, 0, 0, 0);
	memcpy(fds, h_host(h, gpa), 8);
	return r;
}

static int64_t g_pair(struct h *h, int32_t fds[2], int type)
{
	uint64_t gpa = h_buf(h, 8);
	int64_t r = h_call(h, DSV_HC_SOCKETPAIR, AF_UNIX, (uint32_t)type, 0, gpa, 0, 0);
	memcpy(fds, h_host(h, gpa), 8);
	return r;
}

/* A one- or two-segment message descriptor in guest memory. */
static uint64_t g_msg(struct h *h, uint64_t buf, uint64_t len, uint64_t buf2, uint64_t len2)
{
	struct dsv_iov seg[2] = { { buf, len }, { buf2, len2 } };
	struct dsv_msg m = { .iov = h_put(h, seg, sizeof(seg)), .iovlen = len2 ? 2 : 1 };
	return h_put(h, &m, sizeof(m));
}

static void test_pipe_round_trip(void **state)
{
	struct h *h = *state;
	int32_t p[2];
	char out[8] = "";
	assert_int_equal(g_pipe(h, p, O_CLOEXEC), 0);
	assert_int_equal(p[0], 3); /* the lowest free numbers, as on Linux */
	assert_int_equal(p[1], 4);
	assert_int_equal(h_call(h, DSV_HC_FCNTL, 3, F_GETFD, 0, 0, 0, 0), FD_CLOEXEC);
	assert_int_equal(g_write(h, p[1], "ping", 4), 4);
	assert_int_equal(g_read(h, p[0], out, 4), 4);
	assert_memory_equal(out, "ping", 4);
	assert_int_equal(g_close(h, p[1]), 0);
	assert_int_equal(g_read(h, p[0], out, 4), 0); /* EOF */
	assert_int_equal(g_close(h, p[0]), 0);
	assert_int_equal(g_pipe(h, p, O_ASYNC), -EINVAL);
}

struct reader {
	struct h *h;
	int fd;
	uint64_t gpa;
	int64_t got;
};

static void *blocked_read(void *arg)
{
	struct reader *r = arg;
	r->got = h_call(r->h, DSV_HC_READ, (uint64_t)r->fd, r->gpa, 16, 0, 0, 0);
	return NULL;
}

/* A read blocked on an empty pipe (one vCPU) holds no lock: the table keeps serving. */
static void test_blocked_read_blocks_only_its_caller(void **state)
{
	struct h *h = *state;
	int32_t p[2], q[2];
	pthread_t t;
	struct reader r = { .h = h, .gpa = h_buf(h, 16) };
	assert_int_equal(g_pipe(h, p, 0), 0);
	r.fd = p[0];
	assert_int_equal(pthread_create(&t, NULL, blocked_read, &r), 0);
	/* Meanwhile: new descriptors, a close, a poll; all answered while the read waits. */
	assert_int_equal(g_pipe(h, q, 0), 0);
	assert_int_equal(g_close(h, q[0]), 0);
	assert_int_equal(g_close(h, q[1]), 0);
	struct pollfd pf = { .fd = p[0], .events = POLLIN };
	uint64_t pg = h_put(h, &pf, sizeof(pf));
	assert_int_equal(h_call(h, DSV_HC_POLL, pg, 1, 0, 0, 0, 0), 0);
	assert_int_equal(g_write(h, p[1], "wake", 4), 4);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(r.got, 4);
	assert_memory_equal(h_host(h, r.gpa), "wake", 4);
}

static void test_socketpair_messages(void **state)
{
	struct h *h = *state;
	int32_t sv[2];
	assert_int_equal(g_pair(h, sv, SOCK_DGRAM), 0);
	uint64_t a = h_put(h, "abc", 3), b = h_put(h, "defg", 4);
	assert_int_equal(
		h_call(h, DSV_HC_SENDMSG, (uint64_t)sv[0], g_msg(h, a, 3, b, 4), 0, 0, 0, 0), 7);
	uint64_t in1 = h_buf(h, 2), in2 = h_buf(h, 16);
	uint64_t m = g_msg(h, in1, 2, in2, 16);
	assert_int_equal(h_call(h, DSV_HC_RECVMSG, (uint64_t)sv[1], m, 0, 0, 0, 0), 7);
	assert_memory_equal(h_host(h, in1), "ab", 2);
	assert_memory_equal(h_host(h, in2), "cdefg", 5);
	/* A datagram longer than the buffer: cut, and MSG_TRUNC says so. */
	assert_int_equal(
		h_call(h, DSV_HC_SENDMSG, (uint64_t)sv[0], g_msg(h, b, 4, 0, 0), 0, 0, 0, 0), 4);
	m = g_msg(h, in1, 2, 0, 0);
	assert_int_equal(h_call(h, DSV_HC_RECVMSG, (uint64_t)sv[1], m, 0, 0, 0, 0), 2);
	struct dsv_msg *gm = h_host(h, m);
	assert_true(gm->flags & MSG_TRUNC);
	/* Nothing waiting, MSG_DONTWAIT: EAGAIN rather than a blocked vCPU. */
	assert_int_equal(h_call(h, DSV_HC_RECVMSG, (uint64_t)sv[1], m, MSG_DONTWAIT, 0, 0, 0),
			 -EAGAIN);
	/* MSG_NOSIGNAL on a receive: accepted and meaningless, as in Linux */
	assert_int_equal(
		h_call(h, DSV_HC_SENDMSG, (uint64_t)sv[0], g_msg(h, b, 4, 0, 0), 0, 0, 0, 0), 4);
	assert_int_equal(
		h_call(h, DSV_HC_RECVMSG, (uint64_t)sv[1], m, MSG_NOSIGNAL | MSG_DONTWAIT, 0, 0, 0),
		2);
}

static void test_net_none(void **state)
{
	struct h *h = *state;
	assert_int_equal(h_call(h, DSV_HC_SOCKET, AF_INET, SOCK_STREAM, 0, 0, 0, 0), -EAFNOSUPPORT);
	assert_int_equal(h_call(h, DSV_HC_SOCKET, AF_INET6, SOCK_DGRAM, 0, 0, 0, 0), -EAFNOSUPPORT);
	assert_int_equal(h_call(h, DSV_HC_SOCKET, AF_NETLINK, SOCK_RAW, 0, 0, 0, 0), -EAFNOSUPPORT);
	assert_int_equal(h_call(h, DSV_HC_SOCKET, AF_PACKET, SOCK_RAW, 0, 0, 0, 0), -EAFNOSUPPORT);
	assert_int_equal(h_call(h, DSV_HC_SOCKETPAIR, AF_INET, SOCK_STREAM, 0, h_buf(h, 8), 0, 0),
			 -EAFNOSUPPORT);
	int64_t s = h_call(h, DSV_HC_SOCKET, AF_UNIX, SOCK_DGRAM, 0, 0, 0, 0);
	assert_true(s >= 3);
	/* A path names a host file outside the share; an abstract name lives in the network
	 * namespace: both refused. Autobind (the family alone) is the kernel's choice. */
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	strcpy(un.sun_path, "/tmp/dsv-test-net-none.sock");
	uint64_t ua = h_put(h, &un, sizeof(un));
	assert_int_equal(h_call(h, DSV_HC_BIND, (uint64_t)s, ua, sizeof(un), 0, 0, 0), -EACCES);
	assert_int_equal(access(un.sun_path, F_OK), -1);
	assert_int_equal(h_call(h, DSV_HC_CONNECT, (uint64_t)s, ua, sizeof(un), 0, 0, 0), -EACCES);
	un.sun_path[0] = '\0';
	ua = h_put(h, &un, sizeof(un));
	assert_int_equal(h_call(h, DSV_HC_BIND, (uint64_t)s, ua, sizeof(un), 0, 0, 0), -EACCES);
	assert_int_equal(h_call(h, DSV_HC_BIND, (uint64_t)s, ua, sizeof(sa_family_t), 0, 0, 0), 0);
	/* The same policy for a message's destination. */
	struct dsv_iov seg = { h_put(h, "x", 1), 1 };
	struct dsv_msg m = {
		.name = ua, .namelen = sizeof(un), .iov = h_put(h, &seg, sizeof(seg)), .iovlen = 1
	};
	assert_int_equal(
		h_call(h, DSV_HC_SENDMSG, (uint64_t)s, h_put(h, &m, sizeof(m)), 0, 0, 0, 0),
		-EACCES);
	struct sockaddr_in in = { .sin_family = AF_INET,
				  .sin_port = htons(9),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	m.name = h_put(h, &in, sizeof(in));
	m.namelen = sizeof(in);
	assert_int_equal(
		h_call(h, DSV_HC_SENDMSG, (uint64_t)s, h_put(h, &m, sizeof(m)), 0, 0, 0, 0),
		-EAFNOSUPPORT);
}

struct server {
	struct h *h;
	int64_t listener, conn, echoed;
};

static void *tcp_echo(void *arg)
{
	struct server *s = arg;
	s->conn = h_call(s->h, DSV_HC_ACCEPT4, (uint64_t)s->listener, 0, 0, 0, 0, 0);
	if (s->conn < 0)
		return NULL;
	uint64_t buf = h_buf(s->h, 64);
	int64_t n = h_call(s->h, DSV_HC_READ, (uint64_t)s->conn, buf, 64, 0, 0, 0);
	if (n > 0)
		s->echoed =
			h_call(s->h, DSV_HC_WRITE, (uint64_t)s->conn, buf, (uint64_t)n, 0, 0, 0);
	return NULL;
}

static void test_net_host_tcp_loopback(void **state)
{
	struct h *h = *state;
	fileio_set_net(h->fio, 1);
	struct server s = { .h = h };
	s.listener = h_call(h, DSV_HC_SOCKET, AF_INET, SOCK_STREAM, 0, 0, 0, 0);
	assert_true(s.listener >= 3);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint64_t ga = h_put(h, &a, sizeof(a));
	if (h_call(h, DSV_HC_BIND, (uint64_t)s.listener, ga, sizeof(a), 0, 0, 0) != 0)
		skip(); /* no loopback on this host */
	uint32_t len = sizeof(a);
	uint64_t gl = h_put(h, &len, 4);
	assert_int_equal(h_call(h, DSV_HC_GETSOCKNAME, (uint64_t)s.listener, ga, gl, 0, 0, 0), 0);
	assert_int_equal(*(uint32_t *)h_host(h, gl), sizeof(a));
	assert_int_equal(h_call(h, DSV_HC_LISTEN, (uint64_t)s.listener, 1, 0, 0, 0, 0), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, tcp_echo, &s), 0); /* waits in accept */
	int64_t c = h_call(h, DSV_HC_SOCKET, AF_INET, SOCK_STREAM, 0, 0, 0, 0);
	assert_int_equal(h_call(h, DSV_HC_CONNECT, (uint64_t)c, ga, sizeof(a), 0, 0, 0), 0);
	assert_int_equal(g_write(h, (int)c, "echo me", 7), 7);
	char out[8] = "";
	assert_int_equal(g_read(h, (int)c, out, 7), 7);
	assert_memory_equal(out, "echo me", 7);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(s.echoed, 7);
	int one = 1;
	assert_int_equal(h_call(h, DSV_HC_SETSOCKOPT, (uint64_t)c, IPPROTO_TCP, 1 /* TCP_NODELAY */,
				h_put(h, &one, 4), 4, 0),
			 0);
}

/* Every address outside guest RAM, wrapping or too long: an error, and no descriptor left. */
static void test_hostile_addresses(void **state)
{
	struct h *h = *state;
	int fds = h_count_fds();
	int32_t sv[2];
	assert_int_equal(g_pair(h, sv, SOCK_STREAM), 0);
	uint64_t s = (uint64_t)sv[0];
	assert_int_equal(h_call(h, DSV_HC_PIPE2, OUTSIDE, 0, 0, 0, 0, 0), -EFAULT);
	assert_int_equal(h_call(h, DSV_HC_PIPE2, ~0ull - 3, 0, 0, 0, 0, 0), -EFAULT);
	assert_int_equal(h_call(h, DSV_HC_SOCKETPAIR, AF_UNIX, SOCK_STREAM, 0, H_MEM - 4, 0, 0),
			 -EFAULT);
	assert_int_equal(h_count_fds(), fds + 2); /* only the pair above */
	assert_int_equal(h_call(h, DSV_HC_SENDMSG, s, OUTSIDE, 0, 0, 0, 0), -EFAULT);
	assert_int_equal(h_call(h, DSV_HC_RECVMSG, s, H_MEM - 8, 0, 0, 0, 0), -EFAULT);
	/* segments: beyond RAM, wrapping, over the per-call limit, too many */
	assert_int_equal(h_call(h, DSV_HC_SENDMSG, s, g_msg(h, OUTSIDE, 4, 0, 0), 0, 0, 0, 0),
			 -EFAULT);
	assert_int_equal(h_call(h, DSV_HC_SENDMSG, s, g_msg(h, ~0ull - 1, 4, 0, 0), 0, 0, 0, 0),
			 -EFAULT);
	assert_int_equal(
		h_call(h, DSV_HC_SENDMSG, s, g_msg(h, 0x1000, DSV_HC_MAX_IO + 1, 0, 0), 0, 0, 0, 0),
		-EINVAL);
	assert_int_equal(h_call(h, DSV_HC_SENDMSG, s, g_msg(h, 0x1000, DSV_HC_MAX_IO, 0x1000, 1), 0,
				0, 0, 0),
			 -EINVAL);
	assert_int_equal(
		h_call(h, DSV_HC_SENDMSG, s, g_msg(h, 0x1000, ~0ull, 0x1000, 2), 0, 0, 0, 0),
		-EINVAL);
	struct dsv_iov segs[DSV_MSG_IOV_MAX + 1];
	for (unsigned i = 0; i <= DSV_MSG_IOV_MAX; i++)
		segs[i] = (struct dsv_iov){ 0x1000, 1 };
	struct dsv_msg m = { .iov = h_put(h, segs, sizeof(segs)), .iovlen = DSV_MSG_IOV_MAX + 1 };
	assert_int_equal(h_call(h, DSV_HC_SENDMSG, s, h_put(h, &m, sizeof(m)), 0, 0, 0, 0),
			 -EMSGSIZE);
	m.iovlen = 0xffffffffu;
	assert_int_equal(h_call(h, DSV_HC_SENDMSG, s, h_put(h, &m, sizeof(m)), 0, 0, 0, 0),
			 -EMSGSIZE);
	m.iovlen = 1;
	m.iov = OUTSIDE;
	assert_int_equal(h_call(h, DSV_HC_SENDMSG, s, h_put(h, &m, sizeof(m)), 0, 0, 0, 0),
			 -EFAULT);
	/* ancillary data (descriptor passing) is refused outright */
	m.iov = h_put(h, segs, sizeof(segs[0]));
	m.control = 0x1000;
	m.controllen = 64;
	assert_int_equal(h_call(h, DSV_HC_SENDMSG, s, h_put(h, &m, sizeof(m)), 0, 0, 0, 0),
			 -EINVAL);
	/* addresses and their lengths */
	assert_int_equal(h_call(h, DSV_HC_BIND, s, 0x1000, DSV_SOCKADDR_MAX + 1, 0, 0, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_BIND, s, OUTSIDE, 16, 0, 0, 0), -EFAULT);
	assert_int_equal(h_call(h, DSV_HC_CONNECT, s, 0x1000, 1, 0, 0, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_GETSOCKNAME, s, 0x1000, OUTSIDE, 0, 0, 0), -EFAULT);
	uint32_t room = 0x80000000u;
	assert_int_equal(h_call(h, DSV_HC_GETPEERNAME, s, 0x1000, h_put(h, &room, 4), 0, 0, 0),
			 -EINVAL);
	room = 64;
	assert_int_equal(h_call(h, DSV_HC_GETPEERNAME, s, H_MEM - 8, h_put(h, &room, 4), 0, 0, 0),
			 -EFAULT);
	/* socket options: only plain values, bounded */
	assert_int_equal(
		h_call(h, DSV_HC_SETSOCKOPT, s, SOL_SOCKET, SO_ATTACH_FILTER, 0x1000, 16, 0),
		-ENOPROTOOPT);
	assert_int_equal(h_call(h, DSV_HC_SETSOCKOPT, s, SOL_SOCKET, SO_SNDBUF, 0x1000,
				DSV_SOCKOPT_MAX + 1, 0),
			 -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_SETSOCKOPT, s, SOL_SOCKET, SO_SNDBUF, OUTSIDE, 4, 0),
			 -EFAULT);
	assert_int_equal(h_call(h, DSV_HC_SETSOCKOPT, s, SOL_SOCKET, SO_ERROR, 0x1000, 4, 0),
			 -ENOPROTOOPT);
	assert_int_equal(h_call(h, DSV_HC_GETSOCKOPT, s, SOL_SOCKET, SO_TYPE, 0x1000, OUTSIDE, 0),
			 -EFAULT);
	room = 1u << 30; /* a huge room is cut to what any option needs */
	uint64_t gr = h_put(h, &room, 4), gv = h_buf(h, DSV_SOCKOPT_MAX);
	assert_int_equal(h_call(h, DSV_HC_GETSOCKOPT, s, SOL_SOCKET, SO_TYPE, gv, gr, 0), 0);
	assert_int_equal(*(uint32_t *)h_host(h, gr), 4);
	assert_int_equal(*(int *)h_host(h, gv), SOCK_STREAM);
	/* poll and epoll arrays */
	assert_int_equal(h_call(h, DSV_HC_POLL, 0x1000, DSV_MAX_FILES + 1, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_POLL, H_MEM - 8, 2, 0, 0, 0, 0), -EFAULT);
	int64_t ep = h_call(h, DSV_HC_EPOLL_CREATE1, 0, 0, 0, 0, 0, 0);
	assert_true(ep >= 0);
	assert_int_equal(h_call(h, DSV_HC_EPOLL_WAIT, (uint64_t)ep, 0x1000, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_EPOLL_WAIT, (uint64_t)ep, 0x1000, 0x80000000u, 0, 0, 0),
			 -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_EPOLL_WAIT, (uint64_t)ep, H_MEM - 12, 2, 0, 0, 0),
			 -EFAULT);
	/* maxevents beyond the cap: answered with at most DSV_EPOLL_MAX (and that range checked) */
	assert_int_equal(h_call(h, DSV_HC_EPOLL_WAIT, (uint64_t)ep, 0x1000, 0x7fffffff, 0, 0, 0),
			 0);
	assert_int_equal(h_call(h, DSV_HC_EPOLL_CTL, (uint64_t)ep, EPOLL_CTL_ADD, s, OUTSIDE, 0, 0),
			 -EFAULT);
	assert_int_equal(h_call(h, DSV_HC_EPOLL_CTL, (uint64_t)ep, 99, s, 0x1000, 0, 0), -EINVAL);
	assert_int_equal(g_close(h, (int)ep), 0);
	/* flags and types outside what is offered */
	assert_int_equal(h_call(h, DSV_HC_SOCKET, AF_UNIX, SOCK_STREAM | 0x40000000, 0, 0, 0, 0),
			 -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_SOCKET, AF_UNIX, SOCK_RAW, 0, 0, 0, 0), -EPERM);
	assert_int_equal(h_call(h, DSV_HC_ACCEPT4, s, 0, 0, 0x1, 0, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_SHUTDOWN, s, 3, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_EVENTFD2, 0, 0x2, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_EPOLL_CREATE1, 0x1, 0, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(
		h_call(h, DSV_HC_SENDMSG, s, g_msg(h, 0x1000, 1, 0, 0), 0x40000000u, 0, 0, 0),
		-EOPNOTSUPP);
	assert_int_equal(
		h_call(h, DSV_HC_RECVMSG, s, g_msg(h, 0x1000, 1, 0, 0), MSG_ERRQUEUE, 0, 0, 0),
		-EOPNOTSUPP);
	g_close(h, sv[0]);
	g_close(h, sv[1]);
	assert_int_equal(h_count_fds(), fds);
}

/* Descriptors the guest does not own, hvmm's own among them, answer EBADF or POLLNVAL. */
static void test_foreign_descriptors(void **state)
{
	struct h *h = *state;
	int own = open("/dev/null", O_RDONLY | O_CLOEXEC); /* a descriptor of hvmm's process */
	assert_true(own >= 3 && own < (int)DSV_MAX_FILES);
	int64_t ep = h_call(h, DSV_HC_EPOLL_CREATE1, 0, 0, 0, 0, 0, 0);
	assert_true(ep >= 0 && ep != own);
	uint64_t ev = h_buf(h, DSV_EPOLL_EVENT);
	assert_int_equal(
		h_call(h, DSV_HC_EPOLL_CTL, (uint64_t)ep, EPOLL_CTL_ADD, (uint64_t)own, ev, 0, 0),
		-EBADF);
	assert_int_equal(h_call(h, DSV_HC_LISTEN, (uint64_t)own, 1, 0, 0, 0, 0), -EBADF);
	assert_int_equal(h_call(h, DSV_HC_ACCEPT4, 900, 0, 0, 0, 0, 0), -EBADF);
	assert_int_equal(h_call(h, DSV_HC_SENDMSG, 1u << 31, 0x1000, 0, 0, 0, 0), -EBADF);
	assert_int_equal(h_call(h, DSV_HC_EPOLL_WAIT, (uint64_t)own, 0x1000, 1, 0, 0, 0), -EBADF);
	struct pollfd pf[3] = { { .fd = own, .events = POLLIN },
				{ .fd = -1 },
				{ .fd = 5000, .events = POLLIN } };
	uint64_t pg = h_put(h, pf, sizeof(pf));
	assert_int_equal(h_call(h, DSV_HC_POLL, pg, 3, (uint64_t)-1, 0, 0, 0), 2); /* no wait */
	struct pollfd *res = h_host(h, pg);
	assert_int_equal(res[0].revents, POLLNVAL);
	assert_int_equal(res[1].revents, 0);
	assert_int_equal(res[2].revents, POLLNVAL);
	assert_int_equal(res[0].fd, own); /* the guest's numbers, never the host's */
	/* dup onto a number hvmm uses itself: a guest descriptor of that number, hvmm's stays */
	assert_int_equal(h_call(h, DSV_HC_DUP3, (uint64_t)ep, (uint64_t)own, 0, 0, 0, 0), own);
	assert_int_equal(fcntl(own, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_int_equal(g_close(h, own), 0);
	assert_true(fcntl(own, F_GETFD) >= 0);
	close(own);
	g_close(h, (int)ep);
}

/* A descriptor sent to the guest's socket is never installed in hvmm (nor given to it). */
static void test_received_descriptors_dropped(void **state)
{
	struct h *h = *state;
	int host[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, host), 0);
	int64_t g = fio_new_fd(h->fio, host[1], 0); /* as an inherited descriptor would be */
	assert_true(g >= 0);
	int fds = h_count_fds();
	int passed = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { "m", 1 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &passed, sizeof(int));
	assert_int_equal(sendmsg(host[0], &mh, 0), 1);
	close(passed);
	uint64_t buf = h_buf(h, 4), m = g_msg(h, buf, 4, 0, 0);
	assert_int_equal(h_call(h, DSV_HC_RECVMSG, (uint64_t)g, m, 0, 0, 0, 0), 1);
	struct dsv_msg *d = h_host(h, m);
	assert_true(d->flags & MSG_CTRUNC);
	assert_int_equal(d->controllen, 0);
	assert_int_equal(h_count_fds(), fds); /* the passed descriptor was not installed */
	close(host[0]);
	g_close(h, (int)g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pipe_round_trip, h_setup_noshare, h_teardown),
		cmocka_unit_test_setup_teardown(test_blocked_read_blocks_only_its_caller,
						h_setup_noshare, h_teardown),
		cmocka_unit_test_setup_teardown(test_socketpair_messages, h_setup_noshare,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_net_none, h_setup_noshare, h_teardown),
		cmocka_unit_test_setup_teardown(test_net_host_tcp_loopback, h_setup_noshare,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_hostile_addresses, h_setup_noshare,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_foreign_descriptors, h_setup_noshare,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_received_descriptors_dropped, h_setup_noshare,
						h_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
