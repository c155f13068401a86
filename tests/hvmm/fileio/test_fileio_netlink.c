/*
 * AF_NETLINK under the network policy: NETLINK_ROUTE only and only with --net host; the
 * kernel as the only peer (no other process's port, no multicast send); addresses checked
 * for their length; and an RTM_GETLINK dump through the guest's calls lists as many links
 * as the host's own if_nameindex().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <dsv/sockio.h>
#include "harness.h"

static int64_t g_nl_socket(struct h *h, uint32_t type, uint32_t proto)
{
	return h_call(h, DSV_HC_SOCKET, AF_NETLINK, type, proto, 0, 0, 0);
}

/* A one-segment message to or from addr (0: none). */
static uint64_t g_msg(struct h *h, uint64_t buf, uint64_t len, uint64_t addr, uint32_t alen)
{
	struct dsv_iov seg = { buf, len };
	struct dsv_msg m = {
		.name = addr, .namelen = alen, .iov = h_put(h, &seg, sizeof(seg)), .iovlen = 1
	};
	return h_put(h, &m, sizeof(m));
}

static void test_none(void **state)
{
	struct h *h = *state;
	assert_int_equal(g_nl_socket(h, SOCK_RAW, NETLINK_ROUTE), -EAFNOSUPPORT);
	assert_int_equal(g_nl_socket(h, SOCK_DGRAM, NETLINK_ROUTE), -EAFNOSUPPORT);
}

static void test_route_dump(void **state)
{
	struct h *h = *state;
	assert_int_equal(g_nl_socket(h, SOCK_RAW, NETLINK_AUDIT), -EPROTONOSUPPORT);
	assert_int_equal(g_nl_socket(h, SOCK_RAW, NETLINK_KOBJECT_UEVENT), -EPROTONOSUPPORT);
	assert_int_equal(h_call(h, DSV_HC_SOCKETPAIR, AF_NETLINK, SOCK_RAW, 0, h_buf(h, 8), 0, 0),
			 -EOPNOTSUPP);
	int64_t s = g_nl_socket(h, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	assert_true(s >= 0);
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	uint64_t a = h_put(h, &nl, sizeof(nl));
	assert_int_equal(h_call(h, DSV_HC_BIND, (uint64_t)s, a, 8, 0, 0, 0), -EINVAL); /* short */
	assert_int_equal(h_call(h, DSV_HC_BIND, (uint64_t)s, a, sizeof(nl), 0, 0, 0), 0);
	uint32_t room = sizeof(nl);
	uint64_t out = h_buf(h, sizeof(nl)), lenp = h_put(h, &room, 4);
	assert_int_equal(h_call(h, DSV_HC_GETSOCKNAME, (uint64_t)s, out, lenp, 0, 0, 0), 0);
	struct sockaddr_nl got;
	memcpy(&got, h_host(h, out), sizeof(got));
	assert_int_equal(got.nl_family, AF_NETLINK);
	assert_int_not_equal(got.nl_pid, 0);

	struct {
		struct nlmsghdr n;
		struct ifinfomsg i;
	} req = {
		.n = { .nlmsg_len = sizeof(req),
		       .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = 1 },
		.i = { .ifi_family = AF_UNSPEC },
	};
	uint64_t q = h_put(h, &req, sizeof(req));
	/* another process's port, or a multicast group: refused */
	struct sockaddr_nl other = { .nl_family = AF_NETLINK, .nl_pid = 1 };
	uint64_t o = h_put(h, &other, sizeof(other));
	assert_int_equal(h_call(h, DSV_HC_SENDMSG, (uint64_t)s,
				g_msg(h, q, sizeof(req), o, sizeof(other)), 0, 0, 0, 0),
			 -EPERM);
	assert_int_equal(h_call(h, DSV_HC_CONNECT, (uint64_t)s, o, sizeof(other), 0, 0, 0), -EPERM);
	other.nl_pid = 0;
	other.nl_groups = RTMGRP_LINK;
	o = h_put(h, &other, sizeof(other));
	assert_int_equal(h_call(h, DSV_HC_SENDMSG, (uint64_t)s,
				g_msg(h, q, sizeof(req), o, sizeof(other)), 0, 0, 0, 0),
			 -EPERM);
	/* the kernel: the dump */
	uint64_t k = h_put(h, &nl, sizeof(nl));
	assert_int_equal(h_call(h, DSV_HC_SENDMSG, (uint64_t)s,
				g_msg(h, q, sizeof(req), k, sizeof(nl)), 0, 0, 0, 0),
			 (int64_t)sizeof(req));
	int links = 0, done = 0;
	uint64_t buf = h_buf(h, 65536);
	while (!done) {
		int64_t n = h_call(h, DSV_HC_RECVMSG, (uint64_t)s, g_msg(h, buf, 65536, 0, 0), 0, 0,
				   0, 0);
		assert_true(n > 0);
		for (struct nlmsghdr *m = h_host(h, buf); NLMSG_OK(m, (uint32_t)n);
		     m = NLMSG_NEXT(m, n)) {
			links += m->nlmsg_type == RTM_NEWLINK;
			done |= m->nlmsg_type == NLMSG_DONE || m->nlmsg_type == NLMSG_ERROR;
		}
	}
	struct if_nameindex *ni = if_nameindex();
	int native = 0;
	for (struct if_nameindex *p = ni; p && p->if_index; p++)
		native++;
	if_freenameindex(ni);
	assert_int_equal(links, native);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_none, h_setup_noshare, h_teardown),
		cmocka_unit_test_setup_teardown(test_route_dump, h_setup_net, h_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
