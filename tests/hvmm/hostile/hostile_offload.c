/*
 * A hostile guest against hvmm's descriptor offload (pipes, sockets, polling): addresses
 * outside RAM or wrapping, lengths and counts over the limits, descriptors it does not own
 * (hvmm's own numbers among them), forbidden families and ancillary data, and a table
 * filled to the brim. Each call must be refused with Linux's errno, hvmm must keep serving
 * (a pipe round trip at the end) and must not stop on a seccomp trap. Runs without --net,
 * so the policy is none. Exits with the number of unexpected answers.
 */
#include "dsv/fileio.h"
#include "dsv/sockio.h"
#include "expect.h"
#include "payload.h"

#define EPERM 1
#define EBADF 9
#define EFAULT 14
#define EINVAL 22
#define EMFILE 24
#define EACCES 13
#define ENAMETOOLONG 36
#define EMSGSIZE 90
#define ENOPROTOOPT 92
#define EAFNOSUPPORT 97
#define AF_UNIX 1
#define AF_INET 2
#define AF_NETLINK 16
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOL_SOCKET 1
#define SO_ATTACH_FILTER 26
#define POLLNVAL 0x20
#define EPOLL_CTL_ADD 1

static struct dsv_hc blk __attribute__((aligned(DSV_HC_ALIGN)));
static uint64_t top;

static int64_t hc6(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		   uint64_t a5)
{
	blk.nr = nr;
	blk.flags = 0;
	blk.reserved = 0;
	blk.args[0] = a0, blk.args[1] = a1, blk.args[2] = a2;
	blk.args[3] = a3, blk.args[4] = a4, blk.args[5] = a5;
	blk.ret = 1;
	hport_out32(DSV_HC_PORT, (uint32_t)(uintptr_t)&blk); /* identity-mapped: VA = GPA */
	return *(volatile int64_t *)&blk.ret;
}

#define HC(...) HC_(__VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define HC_(nr, a, b, c, d, e, f, ...) hc6(nr, a, b, c, d, e, f)
#define G(p) ((uint64_t)(uintptr_t)(p))

static int32_t fds[2];
static struct dsv_iov segs[DSV_MSG_IOV_MAX + 1];
static struct dsv_msg msg;
static char buf[64];
static uint8_t addr[DSV_SOCKADDR_MAX + 8];
static struct {
	int32_t fd;
	int16_t events, revents;
} pfd[4];
static uint8_t events[DSV_EPOLL_EVENT * 4];
static uint32_t len;

static void bad_addresses(uint64_t sock)
{
	expect("pipe2 fds beyond RAM", HC(DSV_HC_PIPE2, top, 0), -EFAULT);
	expect("pipe2 fds wrapping", HC(DSV_HC_PIPE2, ~0ull - 3, 0), -EFAULT);
	expect("pipe2 fds straddling the end", HC(DSV_HC_PIPE2, top - 4, 0), -EFAULT);
	expect("socketpair fds beyond RAM", HC(DSV_HC_SOCKETPAIR, AF_UNIX, SOCK_STREAM, 0, top),
	       -EFAULT);
	expect("sendmsg descriptor beyond RAM", HC(DSV_HC_SENDMSG, sock, top, 0), -EFAULT);
	expect("recvmsg descriptor wrapping", HC(DSV_HC_RECVMSG, sock, ~0ull - 8, 0), -EFAULT);
	msg = (struct dsv_msg){ .iov = G(segs), .iovlen = 1 };
	segs[0] = (struct dsv_iov){ top, 8 };
	expect("sendmsg segment beyond RAM", HC(DSV_HC_SENDMSG, sock, G(&msg), 0), -EFAULT);
	segs[0] = (struct dsv_iov){ ~0ull - 3, 8 };
	expect("recvmsg segment wrapping", HC(DSV_HC_RECVMSG, sock, G(&msg), 0), -EFAULT);
	segs[0] = (struct dsv_iov){ G(buf), 1ull << 63 };
	expect("sendmsg segment length 2^63", HC(DSV_HC_SENDMSG, sock, G(&msg), 0), -EINVAL);
	segs[0] = (struct dsv_iov){ G(buf), DSV_HC_MAX_IO };
	segs[1] = (struct dsv_iov){ G(buf), DSV_HC_MAX_IO };
	msg.iovlen = 2;
	expect("sendmsg segments over 1 MiB in all", HC(DSV_HC_SENDMSG, sock, G(&msg), 0), -EINVAL);
	for (unsigned i = 0; i <= DSV_MSG_IOV_MAX; i++)
		segs[i] = (struct dsv_iov){ G(buf), 1 };
	msg.iovlen = DSV_MSG_IOV_MAX + 1;
	expect("sendmsg 65 segments", HC(DSV_HC_SENDMSG, sock, G(&msg), 0), -EMSGSIZE);
	msg.iovlen = 0xffffffffu;
	expect("recvmsg 2^32-1 segments", HC(DSV_HC_RECVMSG, sock, G(&msg), 0), -EMSGSIZE);
	msg.iovlen = 1;
	msg.iov = top - 8;
	expect("sendmsg segment list straddling the end", HC(DSV_HC_SENDMSG, sock, G(&msg), 0),
	       -EFAULT);
	msg.iov = G(segs);
	msg.control = G(buf);
	msg.controllen = 24;
	expect("sendmsg with ancillary data (SCM_RIGHTS)", HC(DSV_HC_SENDMSG, sock, G(&msg), 0),
	       -EINVAL);
	msg.control = 0;
	msg.controllen = 0;
	msg.name = top;
	msg.namelen = 16;
	expect("sendmsg address beyond RAM", HC(DSV_HC_SENDMSG, sock, G(&msg), 0), -EFAULT);
	expect("bind address length 129", HC(DSV_HC_BIND, sock, G(addr), DSV_SOCKADDR_MAX + 1),
	       -EINVAL);
	expect("bind address length 2^40", HC(DSV_HC_BIND, sock, G(addr), 1ull << 40), -EINVAL);
	expect("connect address beyond RAM", HC(DSV_HC_CONNECT, sock, top - 4, 16), -EFAULT);
	expect("getsockname length beyond RAM", HC(DSV_HC_GETSOCKNAME, sock, G(addr), top),
	       -EFAULT);
	len = 0x80000000u;
	expect("getpeername negative length", HC(DSV_HC_GETPEERNAME, sock, G(addr), G(&len)),
	       -EINVAL);
	len = 16;
	expect("getsockopt length beyond RAM",
	       HC(DSV_HC_GETSOCKOPT, sock, SOL_SOCKET, 3, G(buf), top), -EFAULT);
	expect("getsockopt value beyond RAM",
	       HC(DSV_HC_GETSOCKOPT, sock, SOL_SOCKET, 3, top - 2, G(&len)), -EFAULT);
	expect("setsockopt SO_ATTACH_FILTER (a pointer inside)",
	       HC(DSV_HC_SETSOCKOPT, sock, SOL_SOCKET, SO_ATTACH_FILTER, G(buf), 16), -ENOPROTOOPT);
	expect("setsockopt value length 2^32",
	       HC(DSV_HC_SETSOCKOPT, sock, SOL_SOCKET, 7, G(buf), 1ull << 32), -EINVAL);
	expect("poll 1025 descriptors", HC(DSV_HC_POLL, G(pfd), DSV_MAX_FILES + 1, 0), -EINVAL);
	expect("poll 2^63 descriptors", HC(DSV_HC_POLL, G(pfd), 1ull << 63, 0), -EINVAL);
	expect("poll array beyond RAM", HC(DSV_HC_POLL, top - 8, 4, 0), -EFAULT);
	expect("write 1 MiB + 1", HC(DSV_HC_WRITE, sock, G(buf), DSV_HC_MAX_IO + 1), -EINVAL);
	expect("read into a buffer beyond RAM", HC(DSV_HC_READ, sock, top, 8), -EFAULT);
}

static void foreign_descriptors(uint64_t ep)
{
	/* hvmm's own descriptors (KVM, vCPUs, eventfds, the log) sit at small host numbers:
	 * the guest names the same numbers and reaches only its own table. */
	int fails = 0;
	for (uint64_t fd = 7; fd < 64; fd++) {
		fails += HC(DSV_HC_READ, fd, G(buf), 1) != -EBADF;
		fails += HC(DSV_HC_EPOLL_CTL, ep, EPOLL_CTL_ADD, fd, G(events)) != -EBADF;
		fails += HC(DSV_HC_LISTEN, fd, 1) != -EBADF;
		fails += HC(DSV_HC_CLOSE, fd) != -EBADF;
	}
	expect("descriptors 7-63 (hvmm's numbers): EBADF for read, epoll_ctl, listen, close", fails,
	       0);
	expect("descriptor 2^31", HC(DSV_HC_SENDMSG, 1ull << 31, G(&msg), 0), -EBADF);
	expect("descriptor -1", HC(DSV_HC_ACCEPT4, ~0ull, 0, 0, 0), -EBADF);
	pfd[0].fd = 9, pfd[0].events = 1;
	pfd[1].fd = 1000, pfd[1].events = 1;
	pfd[2].fd = -1;
	expect("poll on descriptors not owned: answered now", HC(DSV_HC_POLL, G(pfd), 3, ~0ull), 2);
	expect("  POLLNVAL for 9", pfd[0].revents, POLLNVAL);
	expect("  POLLNVAL for 1000", pfd[1].revents, POLLNVAL);
	expect("  the guest's number kept", pfd[0].fd, 9);
	expect("epoll_wait maxevents 0", HC(DSV_HC_EPOLL_WAIT, ep, G(events), 0, 0), -EINVAL);
	expect("epoll_wait events beyond RAM", HC(DSV_HC_EPOLL_WAIT, ep, top - 12, 4, 0), -EFAULT);
	expect("epoll_wait on a descriptor not owned", HC(DSV_HC_EPOLL_WAIT, 50, G(events), 1, 0),
	       -EBADF);
}

/* The metadata calls (statfs, chmod, timestamps): bad buffers and sizes, descriptors not
 * owned, hvmm's own stdio, paths without a share. Nothing here may change a host file. */
static uint64_t times[4];
static uint8_t statfs_buf[120];
static const char etc[] = "/etc/passwd";

static void metadata(void)
{
	int fails = 0;
	for (uint64_t fd = 7; fd < 64; fd++) {
		fails += HC(DSV_HC_FSTATFS, fd, G(statfs_buf), 120) != -EBADF;
		fails += HC(DSV_HC_FCHMOD, fd, 0777) != -EBADF;
		fails += HC(DSV_HC_FUTIMENS, fd, 0) != -EBADF;
	}
	expect("descriptors 7-63: EBADF for fstatfs, fchmod, futimens", fails, 0);
	expect("fstatfs buffer beyond RAM", HC(DSV_HC_FSTATFS, 1, top - 8, 120), -EFAULT);
	expect("fstatfs buffer wrapping", HC(DSV_HC_FSTATFS, 1, ~0ull - 15, 120), -EFAULT);
	expect("fstatfs size 2^40", HC(DSV_HC_FSTATFS, 1, G(statfs_buf), 1ull << 40), -EINVAL);
	expect("fstatfs size 119", HC(DSV_HC_FSTATFS, 1, G(statfs_buf), 119), -EINVAL);
	expect("fstatfs of hvmm's stdout", HC(DSV_HC_FSTATFS, 1, G(statfs_buf), 120), 0);
	expect("fchmod of hvmm's stdout", HC(DSV_HC_FCHMOD, 1, 0777), -EPERM);
	expect("futimens of hvmm's stderr", HC(DSV_HC_FUTIMENS, 2, 0), -EPERM);
	expect("futimens times beyond RAM", HC(DSV_HC_FUTIMENS, 1, top - 16), -EFAULT);
	expect("futimens times wrapping", HC(DSV_HC_FUTIMENS, 1, ~0ull - 7), -EFAULT);
	expect("futimens descriptor 2^32+1", HC(DSV_HC_FUTIMENS, (1ull << 32) + 1, G(times)),
	       -EPERM); /* Linux takes the low 32 bits: descriptor 1 */
	uint64_t n = sizeof(etc) - 1;
	expect("statfs /etc/passwd without a share",
	       HC(DSV_HC_STATFS, -100, G(etc), n, G(statfs_buf), 120), -EACCES);
	expect("chmod /etc/passwd without a share", HC(DSV_HC_FCHMODAT, -100, G(etc), n, 0777, 0),
	       -EACCES);
	expect("utimensat /etc/passwd without a share", HC(DSV_HC_UTIMENSAT, -100, G(etc), n, 0, 0),
	       -EACCES);
	expect("statfs path beyond RAM", HC(DSV_HC_STATFS, -100, top - 4, 16, G(statfs_buf), 120),
	       -EFAULT);
	expect("chmod path length 2^40", HC(DSV_HC_FCHMODAT, -100, G(etc), 1ull << 40, 0777, 0),
	       -ENAMETOOLONG);
	expect("utimensat times beyond RAM", HC(DSV_HC_UTIMENSAT, -100, G(etc), n, top - 8, 0),
	       -EFAULT);
	expect("utimensat bad flags", HC(DSV_HC_UTIMENSAT, -100, G(etc), n, 0, 0x4), -EINVAL);
	expect("chmod on descriptor 40 as a directory", HC(DSV_HC_FCHMODAT, 40, G("x"), 1, 0777, 0),
	       -EACCES); /* without a share, before the descriptor is looked at */
}

static void policy(void)
{
	expect("socket AF_INET under --net none", HC(DSV_HC_SOCKET, AF_INET, SOCK_STREAM, 0),
	       -EAFNOSUPPORT);
	expect("socket AF_INET6 under --net none", HC(DSV_HC_SOCKET, AF_INET6, SOCK_DGRAM, 0),
	       -EAFNOSUPPORT);
	expect("socket AF_NETLINK", HC(DSV_HC_SOCKET, AF_NETLINK, SOCK_RAW, 0), -EAFNOSUPPORT);
	expect("socket AF_UNIX SOCK_RAW", HC(DSV_HC_SOCKET, AF_UNIX, SOCK_RAW, 0), -EPERM);
	int64_t s = HC(DSV_HC_SOCKET, AF_UNIX, SOCK_DGRAM, 0);
	expect("socket AF_UNIX allowed", s >= 0, 1);
	addr[0] = AF_UNIX, addr[1] = 0;
	const char *path = "/tmp/hostile-offload.sock";
	for (int i = 0; path[i]; i++)
		addr[2 + i] = (uint8_t)path[i];
	expect("bind to a host path", HC(DSV_HC_BIND, (uint64_t)s, G(addr), 30), -EACCES);
	addr[2] = 0;
	expect("bind to an abstract name under --net none",
	       HC(DSV_HC_BIND, (uint64_t)s, G(addr), 30), -EACCES);
	HC(DSV_HC_CLOSE, (uint64_t)s);
}

/* Fills the table (or hvmm's own descriptor limit) with pipes, then frees it all. */
static void exhaustion(void)
{
	int64_t r = 0, made = 0, first = -1;
	while (made < 2 * (int64_t)DSV_MAX_FILES && (r = HC(DSV_HC_PIPE2, G(fds), 0)) == 0) {
		if (first < 0)
			first = fds[0];
		made++;
	}
	expect("pipes until the table is full: EMFILE", r, -EMFILE);
	for (int64_t fd = first; first >= 0 && fd < first + 2 * made; fd++)
		HC(DSV_HC_CLOSE, (uint64_t)fd);
	expect("a pipe again after closing them", HC(DSV_HC_PIPE2, G(fds), 0), 0);
}

void payload_main(uint64_t vcpu, const struct dsv_bootinfo *bi)
{
	if (vcpu)
		for (;;)
			__asm__ volatile("hlt");
	for (uint32_t i = 0; i < bi->nr_mem && i < DSV_MAX_MEM_RANGES; i++)
		if (bi->mem[i].base + bi->mem[i].size > top)
			top = bi->mem[i].base + bi->mem[i].size;

	expect("socketpair", HC(DSV_HC_SOCKETPAIR, AF_UNIX, SOCK_STREAM, 0, G(fds)), 0);
	uint64_t sock = (uint64_t)fds[0], peer = (uint64_t)fds[1];
	int64_t ep = HC(DSV_HC_EPOLL_CREATE1, 0);
	expect("epoll_create1", ep >= 0, 1);
	bad_addresses(sock);
	foreign_descriptors((uint64_t)ep);
	metadata();
	policy();
	HC(DSV_HC_CLOSE, sock);
	HC(DSV_HC_CLOSE, peer);
	HC(DSV_HC_CLOSE, (uint64_t)ep);
	exhaustion();

	/* hvmm still serves: a round trip through the last pipe */
	buf[0] = 'o', buf[1] = 'k';
	expect("pipe write after all that", HC(DSV_HC_WRITE, (uint64_t)fds[1], G(buf), 2), 2);
	buf[0] = buf[1] = 0;
	expect("pipe read after all that", HC(DSV_HC_READ, (uint64_t)fds[0], G(buf), 2), 2);
	expect("  the same bytes", buf[0] == 'o' && buf[1] == 'k', 1);
	put_str(0, "failures ");
	put_u64(0, (uint64_t)failures);
	put_str(0, "\n");
	guest_exit(0, failures);
}
