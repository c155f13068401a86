/* Pipes, socket pairs, loopback TCP, poll, epoll, eventfd and dup between two threads (two
 * vCPUs under hvmm): each scenario named on the command line prints what it saw, which must
 * be the same natively and in the lwk. Blocking calls meet on purpose: a reader waits on an
 * empty pipe, a thread waits in accept while the other computes and then connects.
 * Scenarios: pipe socketpair dgram poll epoll eventfd dup errors tcp netnone inherit select
 * mmsg ifioctl netlink (the last two need --net host); or sigpipe alone; or, with --net
 * host, linger_exit or linger_close alone (they end the program with status 7). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SIOCETHTOOL
#define SIOCETHTOOL 0x8946
#endif
/* The two ethtool reads UCX makes (linux/ethtool.h, which musl's headers lack). */
struct ethtool_gset {
	uint32_t cmd;
	uint8_t rest[40];
};
struct ethtool_glinksettings {
	uint32_t cmd;
	uint8_t rest[44];
};
#define ETHTOOL_GSET 0x01
#define ETHTOOL_GLINKSETTINGS 0x4c

#define BIG (256 * 1024) /* more than a pipe or socket buffer: the writer must block */

static const char *ename(int e)
{
	switch (e) {
	case EBADF:
		return "EBADF";
	case EFAULT:
		return "EFAULT";
	case EINVAL:
		return "EINVAL";
	case EMSGSIZE:
		return "EMSGSIZE";
	case EAGAIN:
		return "EAGAIN";
	case ENOTSOCK:
		return "ENOTSOCK";
	case EPIPE:
		return "EPIPE";
	case ENOPROTOOPT:
		return "ENOPROTOOPT";
	case EAFNOSUPPORT:
		return "EAFNOSUPPORT";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case EACCES:
		return "EACCES";
	case EEXIST:
		return "EEXIST";
	case ENODEV:
		return "ENODEV";
	case ENOTTY:
		return "ENOTTY";
	default:
		return "other";
	}
}

/* "name: result" with the errno's name for failures. */
static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, ename(errno));
	else
		printf("%s: %ld\n", what, r);
}

static void die(const char *what)
{
	printf("%s failed: %s\n", what, ename(errno));
	exit(2);
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + i / 251);
}

/* Writes n bytes of the pattern in uneven pieces. */
static void *writer(void *arg)
{
	int fd = (int)(intptr_t)arg;
	static unsigned char buf[BIG];
	for (size_t i = 0; i < BIG; i++)
		buf[i] = pattern(i);
	for (size_t off = 0; off < BIG;) {
		ssize_t w = write(fd, buf + off, BIG - off < 10007 ? BIG - off : 10007);
		if (w <= 0)
			die("write");
		off += (size_t)w;
	}
	close(fd);
	return NULL;
}

/* Reads to EOF; returns the count, -1 if a byte differs from the pattern. */
static long read_pattern(int fd)
{
	static unsigned char buf[8192];
	long total = 0;
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0)
			die("read");
		if (r == 0)
			return total;
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] != pattern((size_t)total + (size_t)i))
				return -1;
		total += r;
	}
}

static void scenario_pipe(void)
{
	int p[2];
	pthread_t t;
	if (pipe2(p, O_CLOEXEC))
		die("pipe2");
	show("pipe: FD_CLOEXEC", fcntl(p[0], F_GETFD));
	/* The reader starts first and waits on the empty pipe on its own vCPU. */
	if (pthread_create(&t, NULL, writer, (void *)(intptr_t)p[1]))
		die("pthread_create");
	show("pipe: bytes read in order", read_pattern(p[0]));
	pthread_join(t, NULL);
	close(p[0]);
	if (pipe(p))
		die("pipe");
	close(p[0]);
	show("pipe: write with no reader", write(p[1], "x", 1));
	close(p[1]);
}

static void *upper_echo(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[256];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] >= 'a' && buf[i] <= 'z')
				buf[i] = (char)(buf[i] - 32);
		if (write(fd, buf, (size_t)n) != n)
			die("echo write");
	}
	close(fd);
	return NULL;
}

static void scenario_socketpair(void)
{
	int sv[2];
	pthread_t t;
	char buf[64] = "";
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	if (pthread_create(&t, NULL, upper_echo, (void *)(intptr_t)sv[1]))
		die("pthread_create");
	show("socketpair: send", send(sv[0], "hello, pair", 11, 0));
	ssize_t got = 0;
	while (got < 11) {
		ssize_t r = recv(sv[0], buf + got, sizeof(buf) - 1 - (size_t)got, 0);
		if (r <= 0)
			die("recv");
		got += r;
	}
	printf("socketpair: echo '%s'\n", buf);
	show("socketpair: shutdown", shutdown(sv[0], SHUT_WR));
	pthread_join(t, NULL);
	show("socketpair: read after peer's end", read(sv[0], buf, sizeof(buf)));
	int type = 0;
	socklen_t len = sizeof(type);
	show("socketpair: getsockopt SO_TYPE", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len));
	printf("socketpair: type %d len %u\n", type, (unsigned)len);
	close(sv[0]);
}

static void scenario_dgram(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		die("socketpair dgram");
	struct iovec out[3] = { { "abc", 3 }, { "", 0 }, { "defgh", 5 } };
	struct msghdr m = { .msg_iov = out, .msg_iovlen = 3 };
	show("dgram: sendmsg 3 segments", sendmsg(sv[0], &m, 0));
	char a[4] = "", b[16] = "";
	struct iovec in[2] = { { a, 3 }, { b, sizeof(b) - 1 } };
	struct msghdr r = { .msg_iov = in, .msg_iovlen = 2 };
	show("dgram: recvmsg 2 segments", recvmsg(sv[1], &r, 0));
	printf("dgram: '%s' '%s' flags %d\n", a, b, r.msg_flags);
	show("dgram: sendto", sendto(sv[0], "0123456789", 10, 0, NULL, 0));
	char small[4];
	struct iovec s1 = { small, sizeof(small) };
	struct msghdr r2 = { .msg_iov = &s1, .msg_iovlen = 1 };
	show("dgram: recvmsg into 4 bytes", recvmsg(sv[1], &r2, 0));
	printf("dgram: truncated %d\n", (r2.msg_flags & MSG_TRUNC) != 0);
	show("dgram: recv nothing waiting", recv(sv[1], small, sizeof(small), MSG_DONTWAIT));
	show("dgram: sendto", sendto(sv[0], "ab", 2, 0, NULL, 0));
	show("dgram: recv with MSG_NOSIGNAL", recv(sv[1], small, sizeof(small), MSG_NOSIGNAL));
	close(sv[0]);
	close(sv[1]);
}

static void scenario_poll(void)
{
	int p[2];
	if (pipe(p))
		die("pipe");
	struct pollfd f[3] = { { p[0], POLLIN, 0 }, { -1, POLLIN, 0 }, { 999, POLLIN, 0 } };
	show("poll: empty pipe, 30 ms", poll(f, 1, 30));
	show("poll: closed descriptor", poll(f, 3, -1));
	printf("poll: revents %d %d %d\n", f[0].revents, f[1].revents, f[2].revents);
	if (write(p[1], "z", 1) != 1)
		die("write");
	struct timespec ts = { 5, 0 };
	show("ppoll: data waiting", ppoll(f, 2, &ts, NULL));
	printf("ppoll: revents %d %d\n", f[0].revents, f[1].revents);
	struct pollfd w = { p[1], POLLOUT, 0 };
	struct timespec zero = { 0, 0 };
	show("ppoll: writable, no wait", ppoll(&w, 1, &zero, NULL));
	close(p[1]);
	show("poll: writer gone", poll(f, 1, 1000));
	printf("poll: revents %d\n", f[0].revents);
	close(p[0]);
}

static void scenario_epoll(void)
{
	int p[2], ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || pipe(p))
		die("epoll_create1/pipe");
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1122334455667788ull }, out[4];
	show("epoll: add", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	show("epoll: add twice", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	show("epoll: wait, nothing, 20 ms", epoll_wait(ep, out, 4, 20));
	if (write(p[1], "ab", 2) != 2)
		die("write");
	show("epoll: wait", epoll_wait(ep, out, 4, -1));
	printf("epoll: events %u data %llx\n", out[0].events, (unsigned long long)out[0].data.u64);
	ev.events = EPOLLOUT;
	ev.data.u64 = 7;
	show("epoll: add write end", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev));
	show("epoll: pwait both", epoll_pwait(ep, out, 4, 0, NULL));
	show("epoll: del", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
	show("epoll: wait, write end only", epoll_wait(ep, out, 4, 0));
	printf("epoll: data %llx\n", (unsigned long long)out[0].data.u64);
	show("epoll: maxevents 0", epoll_wait(ep, out, 0, 0));
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void scenario_eventfd(void)
{
	int e = eventfd(3, EFD_NONBLOCK);
	uint64_t v = 0;
	if (e < 0)
		die("eventfd");
	show("eventfd: read", read(e, &v, sizeof(v)));
	printf("eventfd: value %llu\n", (unsigned long long)v);
	show("eventfd: read empty", read(e, &v, sizeof(v)));
	v = 5;
	show("eventfd: write", write(e, &v, sizeof(v)));
	struct pollfd f = { e, POLLIN, 0 };
	show("eventfd: poll", poll(&f, 1, 0));
	close(e);
}

static void scenario_dup(void)
{
	int p[2];
	char c = 0;
	if (pipe(p))
		die("pipe");
	show("dup2 to 40", dup2(p[1], 40));
	show("dup3 to 41 cloexec", dup3(p[0], 41, O_CLOEXEC));
	show("dup3: FD_CLOEXEC", fcntl(41, F_GETFD));
	show("dup", dup(p[0]) >= 0);
	show("F_DUPFD from 50", fcntl(p[1], F_DUPFD, 50));
	close(p[1]);
	show("write through 40", write(40, "q", 1));
	show("read through 41", read(41, &c, 1));
	printf("dup: byte %c\n", c);
	show("F_SETFL O_NONBLOCK", fcntl(41, F_SETFL, O_NONBLOCK));
	show("F_GETFL has O_NONBLOCK", (fcntl(41, F_GETFL) & O_NONBLOCK) != 0);
	show("read empty, nonblocking", read(41, &c, 1));
	close(40);
	close(50);
	show("read after every writer closed", read(41, &c, 1));
}

/* An address no program owns: the page at 16 is never mapped (natively or in the lwk). */
static void *volatile bad_address = (void *)16;

static long listen_on_pipe(void)
{
	int p[2];
	return pipe(p) ? -1 : listen(p[0], 1);
}

/* What a hostile or careless program gets: errors, never a crash of the VM. */
static void scenario_errors(void)
{
	void *bad = bad_address;
	int sv[2];
	char buf[16];
	struct iovec many[1100];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair");
	for (int i = 0; i < 1100; i++)
		many[i] = (struct iovec){ buf, 1 };
	struct msghdr m = { .msg_iov = many, .msg_iovlen = 1100 };
	show("sendmsg 1100 segments", sendmsg(sv[0], &m, 0));
	m.msg_iovlen = 100;
	show("sendmsg 100 segments, stream", sendmsg(sv[0], &m, 0) > 0);
	struct iovec bad_seg = { bad, 4 };
	struct msghdr mb = { .msg_iov = &bad_seg, .msg_iovlen = 1 };
	show("sendmsg bad segment", sendmsg(sv[0], &mb, 0));
	show("recv bad buffer", recv(sv[1], bad, 4, 0));
	show("pipe bad pointer", pipe(bad));
	show("poll bad array", poll(bad, 1, 0));
	show("socketpair bad pointer", socketpair(AF_UNIX, SOCK_STREAM, 0, bad));
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	show("bind length 200", bind(sv[0], (struct sockaddr *)&un, 200));
	show("bind bad address", bind(sv[0], bad, sizeof(un)));
	show("read on descriptor 900", read(900, buf, 1));
	show("close 900", close(900));
	show("listen on a pipe", listen_on_pipe());
	show("getsockopt bad length pointer", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, buf, bad));
	show("accept on a non-listening socket", accept(sv[0], NULL, NULL));
	close(sv[0]);
	close(sv[1]);
}

static int listener;
static long received, accepted_loopback;
static unsigned accepted_len;

/* The server: takes one connection, reads the pattern to its end, answers with the count. */
static void *tcp_server(void *arg)
{
	(void)arg;
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	/* Blocks here on this vCPU while the other thread computes. */
	int c = accept4(listener, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
	if (c < 0)
		die("accept4");
	accepted_loopback = peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK);
	accepted_len = len;
	received = read_pattern(c);
	char reply[32];
	int n = snprintf(reply, sizeof(reply), "got %ld", received);
	if (send(c, reply, (size_t)n, MSG_NOSIGNAL) != n)
		die("server send");
	close(c);
	return NULL;
}

static void scenario_tcp(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int one = 1;
	pthread_t srv;
	listener = socket(AF_INET, SOCK_STREAM, 0);
	if (listener < 0)
		die("socket");
	show("tcp: SO_REUSEADDR",
	     setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	if (bind(listener, (struct sockaddr *)&a, sizeof(a)))
		die("bind to 127.0.0.1"); /* no loopback here: the test script skips */
	show("tcp: getsockname", getsockname(listener, (struct sockaddr *)&a, &len));
	show("tcp: listen", listen(listener, 4));
	if (pthread_create(&srv, NULL, tcp_server, NULL))
		die("pthread_create");
	/* Compute on this vCPU while the server waits in accept on the other one. */
	unsigned long x = 1;
	for (long i = 0; i < 20000000; i++)
		x = x * 6364136223846793005ul + 1442695040888963407ul;
	printf("tcp: computed %lx\n", x);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	show("tcp: connect", connect(c, (struct sockaddr *)&a, sizeof(a)));
	show("tcp: TCP_NODELAY", setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	int v = 0;
	socklen_t vl = sizeof(v);
	show("tcp: get TCP_NODELAY", getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &vl));
	printf("tcp: nodelay %d\n", v != 0);
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	show("tcp: getpeername", getpeername(c, (struct sockaddr *)&peer, &pl));
	printf("tcp: peer is the listener: %d\n", peer.sin_port == a.sin_port);
	/* More than the socket buffers hold: the sender blocks until the server reads. */
	writer((void *)(intptr_t)dup(c)); /* closes the duplicate; c stays open */
	show("tcp: shutdown write", shutdown(c, SHUT_WR));
	char reply[32] = "";
	show("tcp: reply length", recv(c, reply, sizeof(reply) - 1, MSG_WAITALL));
	printf("tcp: reply '%s'\n", reply);
	pthread_join(srv, NULL);
	printf("tcp: accepted from 127.0.0.1: %ld, address length %u\n", accepted_loopback,
	       accepted_len);
	close(c);
	close(listener);
}

/*
 * A hostile guest's linger (review): a loopback TCP socket whose peer never reads, its send
 * buffer full, SO_LINGER on with an "infinite" time. close() of it waits until a signal;
 * Linux skips the wait for an exiting process, and so must hvmm's teardown. Returns the
 * socket.
 */
static int lingering_socket(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int small = 4096;
	static char buf[65536];
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		die("listen on 127.0.0.1"); /* no loopback here: the test script skips */
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	int peer = accept(l, NULL, NULL); /* never read: its window closes */
	if (peer < 0 || setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) ||
	    setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)))
		die("buffers");
	if (fcntl(c, F_SETFL, O_NONBLOCK))
		die("O_NONBLOCK");
	/* Until the send buffer stays full (the peer's window closed): EAGAIN twice. */
	for (int full = 0; full < 2;) {
		if (write(c, buf, sizeof(buf)) >= 0)
			full = 0;
		else if (errno == EAGAIN)
			full++, usleep(100000);
		else
			die("fill");
	}
	printf("linger: send buffer full\n");
	if (fcntl(c, F_SETFL, 0))
		die("blocking again");
	struct linger lg = { .l_onoff = 1, .l_linger = 0x7fffffff };
	show("linger: SO_LINGER on, time INT_MAX",
	     setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	return c;
}

/* Ends with the socket open: hvmm's teardown closes it (it must not wait). */
static void scenario_linger_exit(void)
{
	lingering_socket();
	printf("linger: exiting with status 7\n");
	exit(7);
}

static volatile int closing;

static void *close_lingering(void *arg)
{
	closing = 1;
	close((int)(intptr_t)arg); /* waits here until the program ends */
	printf("linger: close returned\n");
	return NULL;
}

/* A thread closes the lingering socket (it waits, as natively); the other thread's calls,
 * through the same offload ring, go on, and then the program ends with status 7. */
static void scenario_linger_close(void)
{
	pthread_t t;
	char path[] = "linger-probe";
	if (pthread_create(&t, NULL, close_lingering, (void *)(intptr_t)lingering_socket()))
		die("pthread_create");
	while (!closing)
		;
	usleep(300000); /* most likely in close by now (the test fails only if it is) */
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	show("linger: other thread writes a file", fd < 0 ? -1 : write(fd, "abc", 3));
	show("linger: and reads it", fd < 0 ? -1 : pread(fd, path, 3, 0));
	close(fd);
	unlink("linger-probe");
	printf("linger: exiting with status 7 while the close waits\n");
	exit(7);
}

static void scenario_select(void)
{
	int p[2];
	if (pipe(p))
		die("pipe");
	fd_set r, w;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timeval tv = { 0, 30000 };
	show("select: empty pipe, 30 ms", select(p[0] + 1, &r, NULL, NULL, &tv));
	printf("select: set %d, time left %ld %ld\n", FD_ISSET(p[0], &r), (long)tv.tv_sec,
	       (long)tv.tv_usec);
	if (write(p[1], "z", 1) != 1)
		die("write");
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	FD_SET(p[0], &w);
	show("select: readable and writable", select(p[1] + 1, &r, &w, NULL, NULL));
	printf("select: read %d write %d %d\n", FD_ISSET(p[0], &r), FD_ISSET(p[1], &w),
	       FD_ISSET(p[0], &w));
	struct timespec zero = { 0, 0 };
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	sigset_t mask;
	sigemptyset(&mask);
	show("pselect: writable", pselect(p[1] + 1, NULL, &w, NULL, &zero, &mask));
	FD_ZERO(&r);
	FD_SET(60, &r); /* below 64: inside Linux's smallest descriptor table, so looked at */
	show("select: unopened descriptor", select(61, &r, NULL, NULL, &tv));
	show("select: nfds -1", select(-1, NULL, NULL, NULL, &tv));
	struct timeval neg = { 0, -1 };
	show("select: negative timeout", select(1, NULL, NULL, NULL, &neg));
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	show("select: sets at a bad address", select(p[1] + 1, bad_address, NULL, NULL, &tv));
	tv.tv_usec = 10000;
	show("select: no descriptors, 10 ms", select(0, NULL, NULL, NULL, &tv));
	close(p[0]);
	close(p[1]);
}

static void scenario_mmsg(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		die("socketpair dgram");
	struct iovec out[3] = { { "one", 3 }, { "three", 5 }, { "fifteen", 7 } };
	struct mmsghdr m[3];
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 3; i++) {
		m[i].msg_hdr.msg_iov = &out[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	show("mmsg: sendmmsg 3", sendmmsg(sv[0], m, 3, 0));
	printf("mmsg: sent %u %u %u\n", m[0].msg_len, m[1].msg_len, m[2].msg_len);
	char buf[4][16];
	struct iovec in[4];
	struct mmsghdr r[4];
	memset(r, 0, sizeof(r));
	memset(buf, 0, sizeof(buf));
	for (int i = 0; i < 4; i++) {
		in[i].iov_base = buf[i];
		in[i].iov_len = sizeof(buf[i]) - 1;
		r[i].msg_hdr.msg_iov = &in[i];
		r[i].msg_hdr.msg_iovlen = 1;
	}
	show("mmsg: recvmmsg 4, 3 waiting", recvmmsg(sv[1], r, 4, MSG_DONTWAIT, NULL));
	printf("mmsg: '%s' '%s' '%s' %u %u %u\n", buf[0], buf[1], buf[2], r[0].msg_len,
	       r[1].msg_len, r[2].msg_len);
	show("mmsg: recvmmsg, none waiting", recvmmsg(sv[1], r, 4, MSG_DONTWAIT, NULL));
	show("mmsg: sendmmsg 1", sendmmsg(sv[0], m, 1, 0));
	show("mmsg: recvmmsg WAITFORONE", recvmmsg(sv[1], r, 4, MSG_WAITFORONE, NULL));
	/* the raw call: musl's wrapper reads the vector itself */
	show("mmsg: sendmmsg at a bad address", syscall(SYS_sendmmsg, sv[0], bad_address, 2, 0));
	show("mmsg: recvmmsg at a bad address",
	     syscall(SYS_recvmmsg, sv[1], bad_address, 2, MSG_DONTWAIT, NULL));
	close(sv[0]);
	close(sv[1]);
}

/* What UCX and hwloc ask of the interfaces (run under --net host). */
static void scenario_ifioctl(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		die("socket");
	char buf[4096];
	struct ifconf ifc = { .ifc_len = sizeof(buf), .ifc_buf = buf };
	show("ifioctl: SIOCGIFCONF", ioctl(s, SIOCGIFCONF, &ifc));
	for (int off = 0; off + (int)sizeof(struct ifreq) <= ifc.ifc_len;
	     off += sizeof(struct ifreq)) {
		struct ifreq *q = (struct ifreq *)(buf + off);
		printf("ifioctl: %s %s\n", q->ifr_name,
		       inet_ntoa(((struct sockaddr_in *)&q->ifr_addr)->sin_addr));
	}
	struct ifreq q;
	memset(&q, 0, sizeof(q));
	strcpy(q.ifr_name, "lo");
	show("ifioctl: SIOCGIFINDEX lo", ioctl(s, SIOCGIFINDEX, &q));
	int index = q.ifr_ifindex;
	printf("ifioctl: index %d\n", index);
	show("ifioctl: SIOCGIFMTU lo", ioctl(s, SIOCGIFMTU, &q));
	printf("ifioctl: mtu %d\n", q.ifr_mtu);
	show("ifioctl: SIOCGIFFLAGS lo", ioctl(s, SIOCGIFFLAGS, &q));
	printf("ifioctl: loopback %d\n", (q.ifr_flags & IFF_LOOPBACK) != 0);
	show("ifioctl: SIOCGIFHWADDR lo", ioctl(s, SIOCGIFHWADDR, &q));
	printf("ifioctl: hw family %d\n", q.ifr_hwaddr.sa_family);
	show("ifioctl: SIOCGIFADDR lo", ioctl(s, SIOCGIFADDR, &q));
	show("ifioctl: SIOCGIFNETMASK lo", ioctl(s, SIOCGIFNETMASK, &q));
	printf("ifioctl: netmask %s\n",
	       inet_ntoa(((struct sockaddr_in *)&q.ifr_netmask)->sin_addr));
	memset(&q, 0, sizeof(q));
	q.ifr_ifindex = index;
	show("ifioctl: SIOCGIFNAME", ioctl(s, SIOCGIFNAME, &q));
	printf("ifioctl: name %s\n", q.ifr_name);
	struct ethtool_gset cmd = { .cmd = ETHTOOL_GSET };
	strcpy(q.ifr_name, "lo");
	q.ifr_data = (void *)&cmd;
	show("ifioctl: ETHTOOL_GSET lo", ioctl(s, SIOCETHTOOL, &q));
	struct ethtool_glinksettings ls = { .cmd = ETHTOOL_GLINKSETTINGS };
	q.ifr_data = (void *)&ls;
	show("ifioctl: ETHTOOL_GLINKSETTINGS lo", ioctl(s, SIOCETHTOOL, &q));
	q.ifr_data = bad_address;
	show("ifioctl: SIOCETHTOOL data at a bad address", ioctl(s, SIOCETHTOOL, &q));
	strcpy(q.ifr_name, "nosuch0");
	show("ifioctl: SIOCGIFMTU nosuch0", ioctl(s, SIOCGIFMTU, &q));
	show("ifioctl: SIOCGIFMTU at a bad address", ioctl(s, SIOCGIFMTU, bad_address));
	int p[2], n = -1, one = 1;
	if (pipe(p) || write(p[1], "abc", 3) != 3)
		die("pipe");
	show("ifioctl: FIONREAD pipe", ioctl(p[0], FIONREAD, &n));
	printf("ifioctl: %d bytes\n", n);
	show("ifioctl: SIOCGIFMTU on a pipe", ioctl(p[0], SIOCGIFMTU, &q));
	show("ifioctl: FIONBIO", ioctl(p[0], FIONBIO, &one));
	show("ifioctl: read 3", read(p[0], buf, sizeof(buf)));
	show("ifioctl: read, nonblocking", read(p[0], buf, sizeof(buf)));
	close(p[0]);
	close(p[1]);
	close(s);
}

/* getifaddrs() speaks rtnetlink (glibc and musl alike); then a raw route socket. */
static void scenario_netlink(void)
{
	struct ifaddrs *ifa;
	show("netlink: getifaddrs", getifaddrs(&ifa));
	for (struct ifaddrs *p = ifa; p; p = p->ifa_next)
		printf("netlink: %s %d\n", p->ifa_name, p->ifa_addr ? p->ifa_addr->sa_family : -1);
	freeifaddrs(ifa);
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0 /* NETLINK_ROUTE */);
	show("netlink: socket", s >= 0 ? 0 : -1);
	struct sockaddr_storage a;
	memset(&a, 0, sizeof(a));
	a.ss_family = AF_NETLINK;
	show("netlink: bind, 8 bytes", bind(s, (struct sockaddr *)&a, 8));
	show("netlink: bind", bind(s, (struct sockaddr *)&a, 12));
	socklen_t len = sizeof(a);
	show("netlink: getsockname", getsockname(s, (struct sockaddr *)&a, &len));
	printf("netlink: family %d length %u\n", a.ss_family, len);
	close(s);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "sigpipe")) {
		/* SIGPIPE left at its default: the write ends the program (status 141). */
		int p[2];
		if (pipe(p))
			die("pipe");
		close(p[0]);
		printf("sigpipe: writing with no reader\n");
		show("sigpipe: write returned", write(p[1], "x", 1));
		return 0;
	}
	signal(SIGPIPE, SIG_IGN); /* the scenarios check EPIPE */
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (!strcmp(s, "pipe"))
			scenario_pipe();
		else if (!strcmp(s, "socketpair"))
			scenario_socketpair();
		else if (!strcmp(s, "dgram"))
			scenario_dgram();
		else if (!strcmp(s, "poll"))
			scenario_poll();
		else if (!strcmp(s, "epoll"))
			scenario_epoll();
		else if (!strcmp(s, "eventfd"))
			scenario_eventfd();
		else if (!strcmp(s, "dup"))
			scenario_dup();
		else if (!strcmp(s, "errors"))
			scenario_errors();
		else if (!strcmp(s, "tcp"))
			scenario_tcp();
		else if (!strcmp(s, "select"))
			scenario_select();
		else if (!strcmp(s, "mmsg"))
			scenario_mmsg();
		else if (!strcmp(s, "ifioctl"))
			scenario_ifioctl();
		else if (!strcmp(s, "netlink"))
			scenario_netlink();
		else if (!strcmp(s, "linger_exit"))
			scenario_linger_exit();
		else if (!strcmp(s, "linger_close"))
			scenario_linger_close();
		else if (!strcmp(s, "inherit")) {
			/* Started with descriptor 3 open on a file (hvmm --inherit-fd 3). */
			char buf[64] = "";
			show("inherit: read 3", read(3, buf, sizeof(buf) - 1));
			printf("inherit: '%s'\n", buf);
			show("inherit: read 4", read(4, buf, 1));
		} else if (!strcmp(s, "netnone")) {
			int s4 = socket(AF_INET, SOCK_STREAM, 0);
			show("socket AF_INET", s4);
			show("socket AF_INET6", socket(AF_INET6, SOCK_DGRAM, 0));
			int sv[2];
			show("socketpair AF_UNIX", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
		} else {
			printf("unknown scenario %s\n", s);
			return 2;
		}
	}
	return 0;
}
