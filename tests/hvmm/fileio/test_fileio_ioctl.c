/*
 * The ioctl whitelist and select, driven as a guest would: every interface request gives
 * what the same request gives natively on a host socket; hostile arguments (structures
 * and nested pointers outside guest RAM, lengths beyond what the lwk checked, unknown
 * requests, foreign descriptors) get an error, and --net none shows no interface.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>
#include <dsv/sockio.h>
#include "harness.h"

#define OUTSIDE (H_MEM + 4096)

static int g_socket(struct h *h, int domain, int type)
{
	int64_t fd = h_call(h, DSV_HC_SOCKET, (uint32_t)domain, (uint32_t)type, 0, 0, 0, 0);
	assert_true(fd >= 0);
	return (int)fd;
}

static int64_t g_ioctl(struct h *h, int fd, unsigned long req, uint64_t arg, uint64_t nested)
{
	return h_call(h, DSV_HC_IOCTL, (uint64_t)fd, req, arg, nested, 0, 0);
}

/* One named-interface request, in the VM and natively: the same result and structure. */
static void same_ifreq(struct h *h, int gfd, int nfd, unsigned long req, const char *name,
		       int index)
{
	struct ifreq want = { 0 };
	snprintf(want.ifr_name, IFNAMSIZ, "%s", name);
	if (req == SIOCGIFNAME)
		want.ifr_ifindex = index;
	uint64_t g = h_put(h, &want, sizeof(want));
	int native = ioctl(nfd, req, &want) < 0 ? -errno : 0;
	assert_int_equal(g_ioctl(h, gfd, req, g, 0), native);
	if (!native)
		assert_memory_equal(h_host(h, g), &want, sizeof(want));
}

static void test_interfaces_as_native(void **state)
{
	struct h *h = *state;
	int gfd = g_socket(h, AF_INET, SOCK_DGRAM), nfd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(nfd >= 0);
	static const unsigned long reqs[] = { SIOCGIFFLAGS,   SIOCGIFADDR, SIOCGIFNETMASK,
					      SIOCGIFBRDADDR, SIOCGIFMTU,  SIOCGIFHWADDR,
					      SIOCGIFINDEX };
	const char *names[] = { "lo", "eth0", "no-such0" };
	for (size_t n = 0; n < 3; n++)
		for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
			same_ifreq(h, gfd, nfd, reqs[i], names[n], 0);
	same_ifreq(h, gfd, nfd, SIOCGIFNAME, "", 1);
	same_ifreq(h, gfd, nfd, SIOCGIFNAME, "", 999999);

	/* SIOCGIFCONF: the length needed, then the list */
	char nbuf[4096];
	struct ifconf nc = { .ifc_len = 0, .ifc_buf = NULL };
	assert_int_equal(ioctl(nfd, SIOCGIFCONF, &nc), 0);
	struct {
		int32_t len, pad;
		uint64_t buf;
	} gc = { 0, 0, 0 };
	uint64_t g = h_put(h, &gc, sizeof(gc));
	assert_int_equal(g_ioctl(h, gfd, SIOCGIFCONF, g, 0), 0);
	assert_int_equal(*(int32_t *)h_host(h, g), nc.ifc_len);
	nc.ifc_len = sizeof(nbuf);
	nc.ifc_buf = nbuf;
	assert_int_equal(ioctl(nfd, SIOCGIFCONF, &nc), 0);
	gc.len = sizeof(nbuf);
	gc.buf = h_buf(h, sizeof(nbuf));
	g = h_put(h, &gc, sizeof(gc));
	assert_int_equal(g_ioctl(h, gfd, SIOCGIFCONF, g, sizeof(nbuf)), 0);
	assert_int_equal(*(int32_t *)h_host(h, g), nc.ifc_len);
	assert_memory_equal(h_host(h, gc.buf), nbuf, (size_t)nc.ifc_len);

	/* SIOCETHTOOL GSET and the GLINKSETTINGS handshake on lo and eth0 */
	for (size_t n = 0; n < 2; n++) {
		struct ethtool_cmd ncmd = { .cmd = ETHTOOL_GSET };
		struct ifreq nr = { 0 };
		snprintf(nr.ifr_name, IFNAMSIZ, "%s", names[n]);
		nr.ifr_data = (void *)&ncmd;
		int native = ioctl(nfd, SIOCETHTOOL, &nr) < 0 ? -errno : 0;
		struct ethtool_cmd gcmd = { .cmd = ETHTOOL_GSET };
		uint64_t gdata = h_put(h, &gcmd, sizeof(gcmd));
		struct ifreq gr = { 0 };
		snprintf(gr.ifr_name, IFNAMSIZ, "%s", names[n]);
		memcpy((char *)&gr + DSV_IFREQ_DATA, &gdata, 8);
		assert_int_equal(
			g_ioctl(h, gfd, SIOCETHTOOL, h_put(h, &gr, sizeof(gr)), sizeof(gcmd)),
			native);
		if (!native)
			assert_memory_equal(h_host(h, gdata), &ncmd, sizeof(ncmd));

		struct ethtool_link_settings nls = { .cmd = ETHTOOL_GLINKSETTINGS };
		nr.ifr_data = (void *)&nls;
		native = ioctl(nfd, SIOCETHTOOL, &nr) < 0 ? -errno : 0;
		struct ethtool_link_settings gls = { .cmd = ETHTOOL_GLINKSETTINGS };
		gdata = h_put(h, &gls, sizeof(gls));
		memcpy((char *)&gr + DSV_IFREQ_DATA, &gdata, 8);
		assert_int_equal(
			g_ioctl(h, gfd, SIOCETHTOOL, h_put(h, &gr, sizeof(gr)), sizeof(gls)),
			native);
		if (!native) /* the handshake: nwords answered negative */
			assert_int_equal(((struct ethtool_link_settings *)h_host(h, gdata))
						 ->link_mode_masks_nwords,
					 nls.link_mode_masks_nwords);
	}
	close(nfd);
}

static void test_hostile(void **state)
{
	struct h *h = *state;
	int s = g_socket(h, AF_INET, SOCK_DGRAM);
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, IFNAMSIZ, "lo");
	/* the structure outside guest RAM, or straddling its end */
	assert_int_equal(g_ioctl(h, s, SIOCGIFMTU, OUTSIDE, 0), -EFAULT);
	assert_int_equal(g_ioctl(h, s, SIOCGIFMTU, H_MEM - 8, 0), -EFAULT);
	assert_int_equal(g_ioctl(h, s, FIONREAD, H_MEM - 2, 0), -EFAULT);
	assert_int_equal(g_ioctl(h, s, SIOCGIFCONF, OUTSIDE, 0), -EFAULT);
	/* SIOCGIFCONF: a buffer outside, longer than the lwk checked, a negative length */
	struct {
		int32_t len, pad;
		uint64_t buf;
	} gc = { 4096, 0, OUTSIDE };
	assert_int_equal(g_ioctl(h, s, SIOCGIFCONF, h_put(h, &gc, sizeof(gc)), 4096), -EFAULT);
	gc.buf = h_buf(h, 64);
	assert_int_equal(g_ioctl(h, s, SIOCGIFCONF, h_put(h, &gc, sizeof(gc)), 64), -EFAULT);
	gc.len = -1;
	assert_int_equal(g_ioctl(h, s, SIOCGIFCONF, h_put(h, &gc, sizeof(gc)), 64), -EINVAL);
	/* a huge length the lwk vouched for is cut, not trusted: a shorter list */
	gc.len = 0x7fffffff;
	gc.buf = h_buf(h, DSV_IFCONF_MAX);
	uint64_t g = h_put(h, &gc, sizeof(gc));
	assert_int_equal(g_ioctl(h, s, SIOCGIFCONF, g, 0x7fffffff), 0);
	assert_true(*(int32_t *)h_host(h, g) <= (int32_t)DSV_IFCONF_MAX);
	/* SIOCETHTOOL: the nested pointer outside guest RAM, past what the lwk checked, a
	 * command that needs more room than given, a command not offered */
	uint64_t data = OUTSIDE;
	memcpy((char *)&ifr + DSV_IFREQ_DATA, &data, 8);
	assert_int_equal(g_ioctl(h, s, SIOCETHTOOL, h_put(h, &ifr, sizeof(ifr)), 44), -EFAULT);
	struct ethtool_link_settings ls = { .cmd = ETHTOOL_GLINKSETTINGS,
					    .link_mode_masks_nwords = 127 };
	data = H_MEM - sizeof(ls); /* the header fits, the masks would run past RAM */
	memcpy(h_host(h, data), &ls, sizeof(ls));
	memcpy((char *)&ifr + DSV_IFREQ_DATA, &data, 8);
	assert_int_equal(g_ioctl(h, s, SIOCETHTOOL, h_put(h, &ifr, sizeof(ifr)), 1u << 20),
			 -EFAULT);
	data = h_buf(h, sizeof(ls) + 3 * 4 * 127); /* masks in RAM, past what the lwk checked */
	memcpy(h_host(h, data), &ls, sizeof(ls));
	memcpy((char *)&ifr + DSV_IFREQ_DATA, &data, 8);
	assert_int_equal(g_ioctl(h, s, SIOCETHTOOL, h_put(h, &ifr, sizeof(ifr)), sizeof(ls)),
			 -EFAULT);
	struct ethtool_cmd sset = { .cmd = ETHTOOL_SSET };
	data = h_put(h, &sset, sizeof(sset));
	memcpy((char *)&ifr + DSV_IFREQ_DATA, &data, 8);
	assert_int_equal(g_ioctl(h, s, SIOCETHTOOL, h_put(h, &ifr, sizeof(ifr)), sizeof(sset)),
			 -EOPNOTSUPP);
	/* requests not on the list, setters among them: ENOTTY, and nothing changed */
	uint64_t lo = h_put(h, &ifr, sizeof(ifr));
	static const unsigned long refused[] = { SIOCSIFFLAGS, SIOCSIFMTU, SIOCSIFADDR, TIOCSTI,
						 SIOCGIFMAP,   FIOASYNC,   0xdeadbeef,	0 };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_int_equal(g_ioctl(h, s, refused[i], lo, 0), -ENOTTY);
	/* descriptors the guest does not own */
	assert_int_equal(g_ioctl(h, 700, SIOCGIFMTU, lo, 0), -EBADF);
	assert_int_equal(g_ioctl(h, -1, FIONREAD, lo, 0), -EBADF);
	assert_int_equal(g_ioctl(h, DSV_MAX_FILES, FIONREAD, lo, 0), -EBADF);
}

/* FIONREAD and FIONBIO on a pipe; socket requests on it are ENOTTY, as natively. */
/* Another vCPU rewrites the ethtool command while hvmm handles it: GSET (checked, 44 bytes)
 * and GSTRINGS of the features set (no capability needed; thousands of bytes) in turn.
 * hvmm must act on the command it checked: every answer is GSET's, as natively, and no
 * byte past the 44 GSET returns is written (hvmm read the command twice before: the kernel
 * then wrote the strings into hvmm's stack). */
struct flipper {
	volatile uint32_t *cmd;
	volatile int stop;
};

static void *flip_cmd(void *arg)
{
	struct flipper *f = arg;
	while (!f->stop) {
		*f->cmd = ETHTOOL_GSTRINGS;
		*f->cmd = ETHTOOL_GSET;
	}
	return NULL;
}

static void test_ethtool_command_rewritten(void **state)
{
	struct h *h = *state;
	int s = g_socket(h, AF_INET, SOCK_DGRAM);
	int nfd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(nfd >= 0);
	struct ifreq nr = { 0 }, ifr = { 0 };
	snprintf(nr.ifr_name, IFNAMSIZ, "lo");
	snprintf(ifr.ifr_name, IFNAMSIZ, "lo");
	struct ethtool_cmd ncmd = { .cmd = ETHTOOL_GSET };
	nr.ifr_data = (void *)&ncmd;
	int native = ioctl(nfd, SIOCETHTOOL, &nr) < 0 ? -errno : 0;
	close(nfd);
	enum {
		SPAN = 8192
	};
	uint64_t data = h_buf(h, SPAN);
	unsigned char *g = h_host(h, data);
	memset(g, 0x5a, SPAN);
	struct ethtool_gstrings gs = { .cmd = ETHTOOL_GSET, .string_set = ETH_SS_FEATURES };
	memcpy(g, &gs, sizeof(gs));
	memcpy((char *)&ifr + DSV_IFREQ_DATA, &data, 8);
	uint64_t gifr = h_put(h, &ifr, sizeof(ifr));
	struct flipper f = { .cmd = (volatile uint32_t *)g };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, flip_cmd, &f), 0);
	int differ = 0, beyond = 0;
	for (int i = 0; i < 20000; i++) {
		differ += g_ioctl(h, s, SIOCETHTOOL, gifr, sizeof(struct ethtool_cmd)) != native;
		for (int b = sizeof(struct ethtool_cmd); b < SPAN && !beyond; b++)
			beyond = g[b] != 0x5a;
	}
	f.stop = 1;
	pthread_join(t, NULL);
	assert_int_equal(differ, 0);
	assert_int_equal(beyond, 0);
}

static void test_pipe(void **state)
{
	struct h *h = *state;
	uint64_t fds = h_buf(h, 8);
	assert_int_equal(h_call(h, DSV_HC_PIPE2, fds, 0, 0, 0, 0, 0), 0);
	int32_t p[2];
	memcpy(p, h_host(h, fds), 8);
	assert_int_equal(g_write(h, p[1], "hello", 5), 5);
	uint64_t v = h_buf(h, 4);
	assert_int_equal(g_ioctl(h, p[0], FIONREAD, v, 0), 0);
	assert_int_equal(*(int32_t *)h_host(h, v), 5);
	struct ifreq ifr = { 0 };
	assert_int_equal(g_ioctl(h, p[0], SIOCGIFMTU, h_put(h, &ifr, sizeof(ifr)), 0), -ENOTTY);
	int32_t one = 1;
	assert_int_equal(g_ioctl(h, p[0], FIONBIO, h_put(h, &one, 4), 0), 0);
	char buf[16];
	assert_int_equal(g_read(h, p[0], buf, sizeof(buf)), 5);
	assert_int_equal(g_read(h, p[0], buf, sizeof(buf)), -EAGAIN);
}

/* --net none: the host's interfaces stay unseen. */
static void test_net_none(void **state)
{
	struct h *h = *state;
	int s = g_socket(h, AF_UNIX, SOCK_DGRAM);
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, IFNAMSIZ, "lo");
	assert_int_equal(g_ioctl(h, s, SIOCGIFINDEX, h_put(h, &ifr, sizeof(ifr)), 0), -ENODEV);
	struct {
		int32_t len, pad;
		uint64_t buf;
	} gc = { 4096, 0, 0 };
	gc.buf = h_buf(h, 4096);
	uint64_t g = h_put(h, &gc, sizeof(gc));
	assert_int_equal(g_ioctl(h, s, SIOCGIFCONF, g, 4096), 0);
	assert_int_equal(*(int32_t *)h_host(h, g), 0);
	struct ethtool_cmd cmd = { .cmd = ETHTOOL_GSET };
	uint64_t data = h_put(h, &cmd, sizeof(cmd));
	memcpy((char *)&ifr + DSV_IFREQ_DATA, &data, 8);
	assert_int_equal(g_ioctl(h, s, SIOCETHTOOL, h_put(h, &ifr, sizeof(ifr)), sizeof(cmd)),
			 -ENODEV);
}

static int64_t g_select(struct h *h, uint64_t nfds, uint64_t r, uint64_t w, uint64_t e, int64_t ns)
{
	return h_call(h, DSV_HC_SELECT, nfds, r, w, e, (uint64_t)ns, 0);
}

static void test_select(void **state)
{
	struct h *h = *state;
	uint64_t fds = h_buf(h, 8);
	assert_int_equal(h_call(h, DSV_HC_PIPE2, fds, 0, 0, 0, 0, 0), 0);
	int32_t p[2];
	memcpy(p, h_host(h, fds), 8);
	uint64_t rs = h_buf(h, 128), ws = h_buf(h, 128);
	fd_set *r = h_host(h, rs), *w = h_host(h, ws);
	/* empty pipe: nothing readable, the write end writable; sets hold only the answer */
	FD_ZERO(r);
	FD_ZERO(w);
	FD_SET(p[0], r);
	FD_SET(p[1], w);
	FD_SET(p[0], w);
	assert_int_equal(g_select(h, (uint64_t)p[1] + 1, rs, ws, 0, 0), 1);
	assert_false(FD_ISSET(p[0], r));
	assert_true(FD_ISSET(p[1], w));
	assert_false(FD_ISSET(p[0], w));
	/* a timed wait that ends with nothing: 0 and every set cleared */
	FD_ZERO(r);
	FD_SET(p[0], r);
	assert_int_equal(g_select(h, (uint64_t)p[0] + 1, rs, 0, 0, 20 * 1000 * 1000), 0);
	assert_false(FD_ISSET(p[0], r));
	assert_int_equal(g_write(h, p[1], "x", 1), 1);
	FD_ZERO(r);
	FD_SET(p[0], r);
	FD_ZERO(w);
	FD_SET(p[1], w);
	assert_int_equal(g_select(h, (uint64_t)p[1] + 1, rs, ws, 0, -1), 2);
	assert_true(FD_ISSET(p[0], r));
	/* bits at or above nfds are not looked at */
	FD_ZERO(r);
	FD_SET(900, r);
	assert_int_equal(g_select(h, 10, rs, 0, 0, 0), 0);
	/* hostile: an unopened descriptor, too many, negative, sets outside RAM */
	FD_ZERO(r);
	FD_SET(900, r);
	assert_int_equal(g_select(h, 901, rs, 0, 0, 0), -EBADF);
	assert_int_equal(g_select(h, DSV_MAX_FILES + 1, rs, 0, 0, 0), -EINVAL);
	assert_int_equal(g_select(h, (uint64_t)-1, rs, 0, 0, 0), -EINVAL);
	assert_int_equal(g_select(h, 64, OUTSIDE, 0, 0, 0), -EFAULT);
	assert_int_equal(g_select(h, DSV_MAX_FILES, H_MEM - 8, 0, 0, 0), -EFAULT);
	assert_int_equal(g_select(h, 64, 0, 0, OUTSIDE, 0), -EFAULT);
	/* hvmm's own descriptors are not the guest's */
	int own = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(own > 0 && own < 1024);
	if (own > p[1]) { /* a number the guest has not opened */
		FD_ZERO(r);
		FD_SET(own, r);
		assert_int_equal(g_select(h, (uint64_t)own + 1, rs, 0, 0, 0), -EBADF);
	}
	close(own);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_interfaces_as_native, h_setup_net, h_teardown),
		cmocka_unit_test_setup_teardown(test_hostile, h_setup_net, h_teardown),
		cmocka_unit_test_setup_teardown(test_ethtool_command_rewritten, h_setup_net,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_pipe, h_setup_net, h_teardown),
		cmocka_unit_test_setup_teardown(test_net_none, h_setup_noshare, h_teardown),
		cmocka_unit_test_setup_teardown(test_select, h_setup_net, h_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
