/* Socket system calls, offloaded to the VMM (dsv/sockio.h, docs/lwk.md "Descriptors").
 * Every user buffer is checked against the user window here and passed by its GPA; every
 * length the VMM reads or writes back is a kernel copy, so that another thread changing
 * the user's value meanwhile cannot widen a range past what was checked. Messages travel
 * as a struct dsv_msg built on the kernel stack. */
#include "syscall.h"
#include "host.h"
#include "sys_mem_shared.h"
#include "time.h"
#include "uaccess.h"
#include <dsv/fileio.h>
#include <dsv/sockio.h>

#define FD(x) ((uint64_t)(int64_t)(int32_t)(x))
#define UIO_MAXIOV 1024
#define SOL_SOCKET 1
#define SO_TYPE 3
#define SOCK_STREAM 1
#define MSG_NOSIGNAL 0x4000

static bool no_signal(uint64_t flags)
{
	return flags & MSG_NOSIGNAL;
}

static uint64_t gpa(uint64_t uva)
{
	return user_to_phys(uva);
}
static uint64_t kgpa(const void *k)
{
	return virt_to_phys(k);
}

/*
 * A socket address in a shared mapping: UCX keeps its shared-memory peers' signal addresses
 * in its shared FIFO (getsockname into it, sendto from it). hvmm reaches RAM only, so such
 * an address goes through a kernel copy k (DSV_SOCKADDR_MAX bytes); user memory goes as is.
 */
static bool addr_ok(uint64_t uva, uint64_t len)
{
	return user_ok(uva, len) || shm_range(uva, len);
}
static uint64_t addr_in(uint64_t uva, uint64_t len, uint8_t *k)
{
	if (user_ok(uva, len))
		return gpa(uva);
	memcpy(k, (const void *)uva, len);
	return kgpa(k);
}
static uint64_t addr_out(uint64_t uva, uint64_t len, uint8_t *k)
{
	return user_ok(uva, len) ? gpa(uva) : kgpa(k);
}
/* After the call: what hvmm wrote to k (room bytes at most) goes to the user's address. */
static void addr_done(uint64_t uva, uint32_t room, uint32_t written, const uint8_t *k)
{
	if (!user_ok(uva, room))
		memcpy((void *)uva, k, MIN(room, written));
}

int64_t sys_socket(struct regs *r)
{
	return host_call(DSV_HC_SOCKET, (uint32_t)r->rdi, (uint32_t)r->rsi, (uint32_t)r->rdx, 0, 0,
			 0);
}

int64_t sys_socketpair(struct regs *r)
{
	if (!user_ok(r->r10, 8))
		return -EFAULT;
	return host_call(DSV_HC_SOCKETPAIR, (uint32_t)r->rdi, (uint32_t)r->rsi, (uint32_t)r->rdx,
			 gpa(r->r10), 0, 0);
}

/* bind and connect: an address the VMM copies and checks against the network policy. */
static int64_t addr_call(uint32_t nr, struct regs *r)
{
	int32_t len = (int32_t)r->rdx;
	if (len < 0 || (uint32_t)len > DSV_SOCKADDR_MAX)
		return -EINVAL;
	if (!addr_ok(r->rsi, (uint64_t)len))
		return -EFAULT;
	uint8_t k[DSV_SOCKADDR_MAX];
	return host_call(nr, FD(r->rdi), addr_in(r->rsi, (uint64_t)len, k), (uint64_t)len, 0, 0, 0);
}

int64_t sys_bind(struct regs *r)
{
	return addr_call(DSV_HC_BIND, r);
}
int64_t sys_connect(struct regs *r)
{
	return addr_call(DSV_HC_CONNECT, r);
}

int64_t sys_listen(struct regs *r)
{
	return host_call(DSV_HC_LISTEN, FD(r->rdi), (uint32_t)r->rsi, 0, 0, 0, 0);
}

int64_t sys_shutdown(struct regs *r)
{
	return host_call(DSV_HC_SHUTDOWN, FD(r->rdi), (uint32_t)r->rsi, 0, 0, 0, 0);
}

/* An address to return: the user's room copied to *room (at most DSV_SOCKADDR_MAX). */
static int64_t addr_room(uint64_t addr, uint64_t lenp, uint32_t *room)
{
	if (!user_ok(lenp, 4))
		return -EFAULT;
	int32_t n = *(volatile int32_t *)lenp;
	if (n < 0)
		return -EINVAL;
	*room = MIN((uint32_t)n, DSV_SOCKADDR_MAX);
	return addr_ok(addr, *room) ? 0 : -EFAULT;
}

static int64_t do_accept(uint64_t fd, uint64_t addr, uint64_t lenp, uint64_t flags)
{
	uint32_t room = 0;
	if (!addr)
		return host_call(DSV_HC_ACCEPT4, fd, 0, 0, flags, 0, 0);
	int64_t e = addr_room(addr, lenp, &room);
	if (e)
		return e;
	uint8_t k[DSV_SOCKADDR_MAX];
	uint32_t asked = room;
	int64_t ret =
		host_call(DSV_HC_ACCEPT4, fd, addr_out(addr, room, k), kgpa(&room), flags, 0, 0);
	if (ret >= 0) {
		addr_done(addr, asked, room, k);
		*(volatile uint32_t *)lenp = room;
	}
	return ret;
}

int64_t sys_accept(struct regs *r)
{
	return do_accept(FD(r->rdi), r->rsi, r->rdx, 0);
}
int64_t sys_accept4(struct regs *r)
{
	return do_accept(FD(r->rdi), r->rsi, r->rdx, (uint32_t)r->r10);
}

static int64_t name_call(uint32_t nr, struct regs *r)
{
	uint32_t room;
	int64_t e = addr_room(r->rsi, r->rdx, &room);
	if (e)
		return e;
	uint8_t k[DSV_SOCKADDR_MAX];
	uint32_t asked = room;
	int64_t ret = host_call(nr, FD(r->rdi), addr_out(r->rsi, room, k), kgpa(&room), 0, 0, 0);
	if (ret >= 0) {
		addr_done(r->rsi, asked, room, k);
		*(volatile uint32_t *)r->rdx = room;
	}
	return ret;
}

int64_t sys_getsockname(struct regs *r)
{
	return name_call(DSV_HC_GETSOCKNAME, r);
}
int64_t sys_getpeername(struct regs *r)
{
	return name_call(DSV_HC_GETPEERNAME, r);
}

int64_t sys_setsockopt(struct regs *r)
{
	int32_t len = (int32_t)r->r8;
	if (len < 0 || (uint32_t)len > DSV_SOCKOPT_MAX)
		return -EINVAL;
	if (!user_ok(r->r10, (uint64_t)len))
		return -EFAULT;
	return host_call(DSV_HC_SETSOCKOPT, FD(r->rdi), (uint32_t)r->rsi, (uint32_t)r->rdx,
			 gpa(r->r10), (uint64_t)len, 0);
}

int64_t sys_getsockopt(struct regs *r)
{
	if (!user_ok(r->r8, 4))
		return -EFAULT;
	int32_t n = *(volatile int32_t *)r->r8;
	if (n < 0)
		return -EINVAL;
	uint32_t room = MIN((uint32_t)n, DSV_SOCKOPT_MAX);
	if (!user_ok(r->r10, room))
		return -EFAULT;
	int64_t ret = host_call(DSV_HC_GETSOCKOPT, FD(r->rdi), (uint32_t)r->rsi, (uint32_t)r->rdx,
				gpa(r->r10), kgpa(&room), 0);
	if (ret >= 0)
		*(volatile uint32_t *)r->r8 = room;
	return ret;
}

/* A message being built: the descriptor and its segments, both on the kernel stack. */
struct kmsg {
	struct dsv_msg d;
	struct dsv_iov seg[DSV_MSG_IOV_MAX];
};

/* The user's segments, checked and translated; stops at DSV_HC_MAX_IO bytes in all (a
 * short transfer, as Linux may make). */
static int64_t msg_iov(struct kmsg *m, uint64_t iov, uint64_t cnt)
{
	if (cnt && !user_ok(iov, cnt * 16))
		return -EFAULT;
	uint64_t total = 0;
	m->d.iovlen = 0;
	for (uint64_t i = 0; i < cnt && total < DSV_HC_MAX_IO; i++) {
		uint64_t base = ((volatile uint64_t *)iov)[2 * i];
		uint64_t len = ((volatile uint64_t *)iov)[2 * i + 1];
		if ((int64_t)len < 0)
			return -EINVAL;
		if (!user_ok(base, len))
			return -EFAULT;
		len = MIN(len, DSV_HC_MAX_IO - total);
		m->seg[m->d.iovlen].gpa = len ? gpa(base) : 0;
		m->seg[m->d.iovlen].len = len;
		m->d.iovlen++;
		total += len;
	}
	m->d.iov = kgpa(m->seg);
	return 0;
}

/* More segments than one call carries: a stream socket takes the first ones (a short
 * transfer); a message-based one cannot be cut. */
static int64_t too_many_segments(uint64_t fd, uint64_t *cnt)
{
	uint32_t type = 0, len = sizeof(type);
	int64_t e =
		host_call(DSV_HC_GETSOCKOPT, fd, SOL_SOCKET, SO_TYPE, kgpa(&type), kgpa(&len), 0);
	if (e < 0)
		return e;
	if (type != SOCK_STREAM)
		return -EMSGSIZE;
	*cnt = DSV_MSG_IOV_MAX;
	return 0;
}

/* struct msghdr, x86-64 */
struct umsghdr {
	uint64_t name;
	uint32_t namelen, pad0;
	uint64_t iov, iovlen, control, controllen;
	uint32_t flags, pad1;
};
_Static_assert(sizeof(struct umsghdr) == 56, "struct msghdr layout");

static int64_t do_msg(uint32_t nr, uint64_t fd, uint64_t umsg, uint64_t flags)
{
	int recv = nr == DSV_HC_RECVMSG;
	if (!user_ok(umsg, sizeof(struct umsghdr)))
		return -EFAULT;
	struct umsghdr h;
	memcpy(&h, (const void *)umsg, sizeof(h));
	if (h.iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	if ((int32_t)h.namelen < 0)
		return -EINVAL;
	if (!recv && h.controllen)
		return -EOPNOTSUPP; /* no ancillary data: no descriptor passing (docs/lwk.md) */
	if (h.iovlen > DSV_MSG_IOV_MAX) {
		int64_t e = too_many_segments(fd, &h.iovlen);
		if (e)
			return e;
	}
	struct kmsg m;
	memset(&m.d, 0, sizeof(m.d));
	int64_t e = msg_iov(&m, h.iov, h.iovlen);
	if (e)
		return e;
	if (h.name) {
		m.d.namelen = MIN(h.namelen, DSV_SOCKADDR_MAX);
		if (!user_ok(h.name, m.d.namelen))
			return -EFAULT;
		m.d.name = gpa(h.name);
	}
	int64_t ret = host_call(nr, fd, kgpa(&m.d), flags, 0, 0, 0);
	if (ret >= 0 && recv) {
		struct umsghdr *u = (struct umsghdr *)umsg;
		if (h.name)
			u->namelen = m.d.namelen;
		u->controllen = 0;
		u->flags = m.d.flags;
	}
	return ret;
}

int64_t sys_sendmsg(struct regs *r)
{
	return no_signal(r->rdx) ? do_msg(DSV_HC_SENDMSG, FD(r->rdi), r->rsi, (uint32_t)r->rdx)
				 : sigpipe_on_epipe(do_msg(DSV_HC_SENDMSG, FD(r->rdi), r->rsi,
							   (uint32_t)r->rdx));
}
int64_t sys_recvmsg(struct regs *r)
{
	return do_msg(DSV_HC_RECVMSG, FD(r->rdi), r->rsi, (uint32_t)r->rdx);
}

/* sendto and recvfrom: a message of one segment, the user's buffer (capped per call). */
static int64_t one_segment(struct kmsg *m, uint64_t buf, uint64_t size)
{
	memset(&m->d, 0, sizeof(m->d));
	uint64_t len = MIN(size, DSV_HC_MAX_IO);
	if (!user_ok(buf, len))
		return -EFAULT;
	m->seg[0].gpa = len ? gpa(buf) : 0;
	m->seg[0].len = len;
	m->d.iov = kgpa(m->seg);
	m->d.iovlen = 1;
	return 0;
}

int64_t sys_sendto(struct regs *r)
{
	struct kmsg m;
	uint8_t k[DSV_SOCKADDR_MAX];
	int64_t e = one_segment(&m, r->rsi, r->rdx);
	if (e)
		return e;
	if (r->r8) {
		int32_t alen = (int32_t)r->r9;
		if (alen < 0 || (uint32_t)alen > DSV_SOCKADDR_MAX)
			return -EINVAL;
		if (!addr_ok(r->r8, (uint64_t)alen))
			return -EFAULT;
		m.d.name = addr_in(r->r8, (uint64_t)alen, k);
		m.d.namelen = (uint32_t)alen;
	}
	int64_t ret = host_call(DSV_HC_SENDMSG, FD(r->rdi), kgpa(&m.d), (uint32_t)r->r10, 0, 0, 0);
	return no_signal(r->r10) ? ret : sigpipe_on_epipe(ret);
}

int64_t sys_recvfrom(struct regs *r)
{
	struct kmsg m;
	uint8_t k[DSV_SOCKADDR_MAX];
	int64_t e = one_segment(&m, r->rsi, r->rdx);
	if (e)
		return e;
	if (r->r8) {
		e = addr_room(r->r8, r->r9, &m.d.namelen);
		if (e)
			return e;
		m.d.name = addr_out(r->r8, m.d.namelen, k);
	}
	uint32_t asked = m.d.namelen;
	int64_t ret = host_call(DSV_HC_RECVMSG, FD(r->rdi), kgpa(&m.d), (uint32_t)r->r10, 0, 0, 0);
	if (ret >= 0 && r->r8) {
		addr_done(r->r8, asked, m.d.namelen, k);
		*(volatile uint32_t *)r->r9 = m.d.namelen;
	}
	return ret;
}

/* struct mmsghdr: a msghdr and the bytes that message moved. */
#define MMSG_SIZE 64
#define MMSG_LEN 56
#define MSG_DONTWAIT 0x40
#define MSG_WAITFORONE 0x10000
#define NSEC 1000000000ll

/* sendmmsg and recvmmsg: one offloaded message after the other; a failure after the first
 * message ends the batch with what was done, as Linux answers. */
int64_t sys_sendmmsg(struct regs *r)
{
	uint64_t fd = FD(r->rdi), vec = r->rsi, flags = (uint32_t)r->r10;
	uint32_t vlen = MIN((uint32_t)r->rdx, UIO_MAXIOV);
	if (!user_ok(vec, (uint64_t)vlen * MMSG_SIZE))
		return -EFAULT;
	uint32_t i;
	for (i = 0; i < vlen; i++) {
		int64_t ret = do_msg(DSV_HC_SENDMSG, fd, vec + (uint64_t)i * MMSG_SIZE, flags);
		if (ret < 0) {
			if (i)
				break;
			return no_signal(flags) ? ret : sigpipe_on_epipe(ret);
		}
		*(volatile uint32_t *)(vec + (uint64_t)i * MMSG_SIZE + MMSG_LEN) = (uint32_t)ret;
	}
	return i;
}

int64_t sys_recvmmsg(struct regs *r)
{
	uint64_t fd = FD(r->rdi), vec = r->rsi, flags = (uint32_t)r->r10, ts = r->r8;
	uint32_t vlen = MIN((uint32_t)r->rdx, UIO_MAXIOV);
	uint64_t deadline = 0;
	if (ts) { /* looked at after each message, as in Linux: it does not bound a wait */
		if (!user_ok(ts, 16))
			return -EFAULT;
		int64_t sec = ((volatile int64_t *)ts)[0], nsec = ((volatile int64_t *)ts)[1];
		if (sec < 0 || nsec < 0 || nsec >= NSEC)
			return -EINVAL;
		deadline = clock_ns(CLOCK_MONOTONIC) + (uint64_t)MIN(sec, 1ll << 32) * NSEC +
			   (uint64_t)nsec;
	}
	if (!user_ok(vec, (uint64_t)vlen * MMSG_SIZE))
		return -EFAULT;
	uint32_t i;
	for (i = 0; i < vlen; i++) {
		uint64_t f = flags & ~(uint64_t)MSG_WAITFORONE;
		if (i && (flags & MSG_WAITFORONE))
			f |= MSG_DONTWAIT;
		int64_t ret = do_msg(DSV_HC_RECVMSG, fd, vec + (uint64_t)i * MMSG_SIZE, f);
		if (ret < 0) {
			if (i)
				break;
			return ret;
		}
		*(volatile uint32_t *)(vec + (uint64_t)i * MMSG_SIZE + MMSG_LEN) = (uint32_t)ret;
		if (ts && clock_ns(CLOCK_MONOTONIC) >= deadline) {
			i++;
			break;
		}
	}
	if (ts) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC),
			 rest = now >= deadline ? 0 : deadline - now;
		((volatile int64_t *)ts)[0] = (int64_t)(rest / NSEC);
		((volatile int64_t *)ts)[1] = (int64_t)(rest % NSEC);
	}
	return i;
}
