/* The offload ring's consumer and proxy against a fake guest memory, without KVM: the
 * registration checks, every kind of hostile entry, the wake word, the hand-off of calls
 * that may block, and the proxy's sleep and doorbell (docs/abi.md "The offload ring"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dsv/fileio.h"
#include "dsv/hcring.h"
#include "hc_proxy.h"
#include "hc_ring.h"
#include "hypercall_dispatch.h"

#define RAM (8u << 20)
#define RING 0x10000u /* the ring: header and 16 slots */
#define SLOTS 16u
#define BLK 0x20000u /* call blocks from here, 128 bytes apart */
#define DATA 0x30000u

struct fx {
	struct guest_mem gm;
	struct hc_ring r;
	struct fileio *fio;
	char share[64];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned wakes;
	uint32_t woken_apic, woken_vector;
};

static int fake_wake(void *opaque, uint32_t apic_id, uint32_t vector)
{
	struct fx *f = opaque;

	pthread_mutex_lock(&f->lock);
	f->woken_apic = apic_id;
	f->woken_vector = vector;
	f->wakes++;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	f->gm.host = calloc(1, RAM);
	f->gm.size = RAM;
	f->gm.low_size = RAM;
	strcpy(f->share, "/tmp/dsv-unit-ring-XXXXXX");
	assert_non_null(mkdtemp(f->share));
	assert_int_equal(fileio_create(&f->fio, f->share, err, sizeof(err)), 0);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	hc_ring_init(&f->r, &f->gm, f->fio, NULL, 2, fake_wake, f, -1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fileio_destroy(f->fio);
	rmdir(f->share);
	free(f->gm.host);
	free(f);
	return 0;
}

static struct dsv_hc_ring *hdr(struct fx *f)
{
	return (struct dsv_hc_ring *)(f->gm.host + RING);
}

static struct dsv_hc *blk(struct fx *f, uint64_t gpa)
{
	return (struct dsv_hc *)(f->gm.host + gpa);
}

/* Fills block i with a call and queues its GPA, as the lwk does. Returns the GPA. */
static uint64_t queue(struct fx *f, unsigned i, uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint64_t gpa = BLK + 128ull * i;
	struct dsv_hc *b = blk(f, gpa);
	struct dsv_hc_ring *h = hdr(f);

	memset(b, 0, sizeof(*b));
	b->nr = nr;
	b->args[0] = a0;
	b->args[1] = a1;
	b->args[2] = a2;
	b->ret = 777;
	h->slot[h->head % SLOTS] = gpa;
	__atomic_store_n(&h->head, h->head + 1, __ATOMIC_RELEASE);
	return gpa;
}

/* Queues a raw slot value (a hostile GPA). */
static void queue_raw(struct fx *f, uint64_t gpa)
{
	struct dsv_hc_ring *h = hdr(f);

	h->slot[h->head % SLOTS] = gpa;
	__atomic_store_n(&h->head, h->head + 1, __ATOMIC_RELEASE);
}

/* The same with all five arguments a path call takes. */
static uint64_t queue6(struct fx *f, unsigned i, uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
		       uint64_t a3, uint64_t a4)
{
	uint64_t gpa = queue(f, i, nr, a0, a1, a2); /* polled only after this returns */

	blk(f, gpa)->args[3] = a3;
	blk(f, gpa)->args[4] = a4;
	return gpa;
}

static void unlink_in_share(struct fx *f, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", f->share, name);
	assert_int_equal(unlink(path), 0);
}

static void reg(struct fx *f)
{
	assert_int_equal(hc_ring_register(&f->r, RING, SLOTS), 0);
}

static void registration(void **state)
{
	struct fx *f = *state;

	assert_int_equal(hc_ring_register(&f->r, RING, 12), -EINVAL);	/* not a power of two */
	assert_int_equal(hc_ring_register(&f->r, RING, 4), -EINVAL);	/* too few */
	assert_int_equal(hc_ring_register(&f->r, RING, 8192), -EINVAL); /* too many */
	assert_int_equal(hc_ring_register(&f->r, RING, 1ull << 32 | 16), -EINVAL);
	assert_int_equal(hc_ring_register(&f->r, RING + 8, SLOTS), -EINVAL);   /* misaligned */
	assert_int_equal(hc_ring_register(&f->r, RAM - 128, SLOTS), -EFAULT);  /* past RAM */
	assert_int_equal(hc_ring_register(&f->r, ~0ull - 63, SLOTS), -EFAULT); /* wraps */
	assert_int_equal(hc_ring_poll(&f->r), 0); /* nothing registered: nothing read */
	hdr(f)->head = 5; /* the guest's head at registration is where hvmm starts */
	reg(f);
	assert_int_equal(hdr(f)->tail, 5);
	assert_int_equal(hc_ring_register(&f->r, RING, SLOTS), -EBUSY); /* once per VM */
}

static void through_dispatch(void **state)
{
	struct fx *f = *state;
	struct hc_ctx ctx;
	struct console con;
	struct hc_outcome res;
	struct dsv_hc *b = blk(f, 0x1000);
	uint32_t at = 0x1000, in;

	console_init(&con, -1);
	hc_init(&ctx, &f->gm, &con, f->fio);
	memset(b, 0, sizeof(*b));
	b->nr = DSV_HC_RING;
	b->args[0] = RING;
	b->args[1] = SLOTS;
	hc_port_io(&ctx, DSV_HC_PORT, 1, 4, 1, (uint8_t *)&at, &in, &res);
	assert_int_equal(b->ret, -ENOSYS); /* --offload exit: the lwk falls back to exits */
	ctx.ring = &f->r;
	b->args[1] = 3;
	hc_port_io(&ctx, DSV_HC_PORT, 1, 4, 1, (uint8_t *)&at, &in, &res);
	assert_int_equal(b->ret, -EINVAL);
	b->args[1] = SLOTS;
	hc_port_io(&ctx, DSV_HC_PORT, 1, 4, 1, (uint8_t *)&at, &in, &res);
	assert_int_equal(b->ret, 0);
	hc_port_io(&ctx, DSV_HC_PORT, 1, 4, 1, (uint8_t *)&at, &in, &res);
	assert_int_equal(b->ret, -EBUSY);
}

static void short_calls_inline(void **state)
{
	struct fx *f = *state;
	int32_t *fds = (int32_t *)(f->gm.host + DATA);
	uint64_t nop, pipe, wr, rd, op;

	reg(f);
	nop = queue(f, 0, DSV_HC_NOP, 0, 0, 0);
	pipe = queue(f, 1, DSV_HC_PIPE2, DATA, O_NONBLOCK, 0);
	assert_int_equal(hc_ring_poll(&f->r), 2);
	assert_int_equal(blk(f, nop)->flags, DSV_HC_F_DONE);
	assert_int_equal(blk(f, nop)->ret, 0);
	assert_int_equal(blk(f, pipe)->flags, DSV_HC_F_DONE);
	assert_int_equal(blk(f, pipe)->ret, 0);
	assert_int_equal(hdr(f)->tail, 2);
	/* Regular files are served by the proxy itself; an open with O_NONBLOCK too. */
	strcpy((char *)f->gm.host + DATA + 0x80, "reg");
	op = queue6(f, 2, DSV_HC_OPENAT, (uint64_t)(int64_t)DSV_AT_FDCWD, DATA + 0x80, 3,
		    O_RDWR | O_CREAT | O_NONBLOCK, 0600);
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_true((int64_t)blk(f, op)->ret >= 0);
	memcpy(f->gm.host + DATA + 0x100, "ping", 4);
	wr = queue(f, 3, DSV_HC_WRITE, blk(f, op)->ret, DATA + 0x100, 4);
	rd = queue(f, 4, DSV_HC_PREAD, blk(f, op)->ret, DATA + 0x200, 16);
	assert_int_equal(hc_ring_poll(&f->r), 2);
	assert_int_equal(blk(f, wr)->ret, 4);
	assert_int_equal(blk(f, rd)->ret, 4);
	assert_memory_equal(f->gm.host + DATA + 0x200, "ping", 4);
	rd = queue(f, 5, DSV_HC_READ, blk(f, op)->ret, DATA + 0x200, 16);
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_int_equal(blk(f, rd)->ret, 0); /* at its end */
	assert_int_equal(blk(f, rd)->flags, DSV_HC_F_DONE);
	assert_int_equal(f->r.inline_calls, 6);
	assert_int_equal(f->wakes, 0); /* nobody asked for an interrupt */
	/* A pipe is never served inline, even a non-blocking one: another vCPU could clear
	 * O_NONBLOCK (shared by every copy) between the check and the call. No worker here:
	 * retried through the port. */
	wr = queue(f, 6, DSV_HC_WRITE, (uint64_t)fds[1], DATA + 0x100, 4);
	rd = queue(f, 7, DSV_HC_READ, (uint64_t)fds[0], DATA + 0x200, 16);
	assert_int_equal(hc_ring_poll(&f->r), 2);
	assert_int_equal(blk(f, wr)->flags, DSV_HC_F_DONE | DSV_HC_F_RETRY);
	assert_int_equal(blk(f, rd)->flags, DSV_HC_F_DONE | DSV_HC_F_RETRY);
	assert_int_equal(f->r.inline_calls, 6);
	unlink_in_share(f, "reg");
}

/* Opening a FIFO waits for its other end: never on the proxy unless O_NONBLOCK; neither
 * does an open that could meet one (any open without O_NONBLOCK, O_PATH or O_DIRECTORY). */
static void opens_that_may_wait(void **state)
{
	struct fx *f = *state;
	char path[128];
	uint64_t b;

	snprintf(path, sizeof(path), "%s/fifo", f->share);
	assert_int_equal(mkfifo(path, 0600), 0);
	reg(f);
	strcpy((char *)f->gm.host + DATA, "fifo");
	b = queue6(f, 0, DSV_HC_OPENAT, (uint64_t)(int64_t)DSV_AT_FDCWD, DATA, 4, O_RDONLY, 0);
	assert_int_equal(hc_ring_poll(&f->r), 1); /* unfixed: the proxy waits here for ever */
	assert_int_equal(blk(f, b)->flags, DSV_HC_F_DONE | DSV_HC_F_RETRY);
	b = queue6(f, 1, DSV_HC_OPENAT, (uint64_t)(int64_t)DSV_AT_FDCWD, DATA, 4,
		   O_RDONLY | O_NONBLOCK, 0);
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_int_equal(blk(f, b)->flags, DSV_HC_F_DONE);
	assert_true((int64_t)blk(f, b)->ret >= 0);
	b = queue6(f, 2, DSV_HC_OPENAT, (uint64_t)(int64_t)DSV_AT_FDCWD, DATA, 4,
		   O_RDONLY | O_DIRECTORY, 0);
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_int_equal(blk(f, b)->ret, -ENOTDIR); /* refused before any wait */
	assert_int_equal(blk(f, b)->flags, DSV_HC_F_DONE);
	unlink_in_share(f, "fifo");
}

/* A connected loopback TCP socket whose peer never reads, its send buffer full; *peer is
 * the peer. -1 where loopback TCP does not work. */
static int full_socket(int *peer)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int small = 4096, l = socket(AF_INET, SOCK_STREAM, 0), c = -1;
	static char buf[65536];

	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		goto fail;
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c < 0 || (connect(c, (struct sockaddr *)&a, sizeof(a)) && errno != EINPROGRESS))
		goto fail;
	*peer = accept(l, NULL, NULL);
	if (*peer < 0)
		goto fail;
	setsockopt(*peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	for (int full = 0; full < 2;) {
		if (write(c, buf, sizeof(buf)) >= 0)
			full = 0;
		else if (errno == EAGAIN)
			full++, usleep(50000);
		else
			goto fail;
	}
	close(l);
	fcntl(c, F_SETFL, 0);
	return c;
fail:
	close(l);
	close(c);
	return -1;
}

static void set_linger(int fd, int on, int secs)
{
	struct linger lg = { .l_onoff = on, .l_linger = secs };

	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
}

static struct linger get_linger(int fd)
{
	struct linger lg = { -1, -1 };
	socklen_t len = sizeof(lg);

	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len), 0);
	return lg;
}

/*
 * Review: a guest sets SO_LINGER {1, INT_MAX} on a socket whose peer never reads. Its close
 * (or a dup3 over it) waits: never on the proxy. At teardown (the main thread, its exit
 * signals blocked) the close must not wait at all: the linger is dropped, as Linux does for
 * an exiting process; a zero time (reset at once) is kept.
 */
static void lingering_socket(void **state)
{
	struct fx *f = *state;
	char err[256];
	int peer, peer2, c = full_socket(&peer), z, keep_c, keep_z;
	uint64_t b;

	if (c < 0) {
		skip(); /* no loopback TCP here */
		return;
	}
	z = full_socket(&peer2);
	assert_true(z >= 0);
	set_linger(c, 1, 0x7fffffff);
	set_linger(z, 1, 0);
	keep_c = dup(c); /* the test's own copies, to look at after teardown */
	keep_z = dup(z);
	assert_int_equal(fileio_inherit(f->fio, c, err, sizeof(err)), 0); /* guest fd c */
	assert_int_equal(fileio_inherit(f->fio, z, err, sizeof(err)), 0);
	reg(f);
	b = queue(f, 0, DSV_HC_CLOSE, (uint64_t)c, 0, 0);
	assert_int_equal(hc_ring_poll(&f->r), 1); /* unfixed: the proxy waits here */
	assert_int_equal(blk(f, b)->flags, DSV_HC_F_DONE | DSV_HC_F_RETRY);
	b = queue(f, 1, DSV_HC_DUP3, (uint64_t)z, (uint64_t)c, 0);
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_int_equal(blk(f, b)->flags, DSV_HC_F_DONE | DSV_HC_F_RETRY);
	/* An abortive close (zero time) does not wait: inline. */
	b = queue(f, 2, DSV_HC_DUP3, (uint64_t)c, (uint64_t)z, 0);
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_int_equal(blk(f, b)->flags, DSV_HC_F_DONE);
	assert_int_equal(blk(f, b)->ret, z);
	assert_int_equal(get_linger(keep_c).l_onoff, 1); /* the guest's setting, meanwhile */
	/* Teardown, which waited for ever before (the test's own copies keep the sockets
	 * alive, so the close itself is not the last; the linger is what must go). */
	fileio_destroy(f->fio);
	f->fio = NULL;
	assert_int_equal(get_linger(keep_c).l_onoff, 0);
	close(keep_c);
	close(peer);
	close(keep_z);
	close(peer2);
	assert_true(fileio_create(&f->fio, f->share, err, sizeof(err)) == 0);
	/* Zero time kept: the teardown of a VM whose socket says "reset" still resets. */
	z = full_socket(&peer2);
	set_linger(z, 1, 0);
	keep_z = dup(z);
	assert_int_equal(fileio_inherit(f->fio, z, err, sizeof(err)), 0);
	fileio_destroy(f->fio);
	f->fio = NULL;
	assert_int_equal(get_linger(keep_z).l_onoff, 1);
	assert_int_equal(get_linger(keep_z).l_linger, 0);
	close(keep_z);
	close(peer2);
}

struct flip {
	struct fileio *fio;
	const struct guest_mem *gm;
	int slot, file, pipe_rd, pipe_wr;
	atomic_int done;
};

/* Another vCPU on the exit path: gives the slot a regular file, then a blocking empty
 * pipe, over and over until told to stop (or for a long while); then one byte in the pipe
 * unsticks a proxy stuck reading it (the unfixed code), which then fails the test rather
 * than hanging it. */
static void *flipper(void *arg)
{
	struct flip *fl = arg;

	for (int i = 0; i < 4000000 && !atomic_load(&fl->done); i++) {
		const uint64_t a[6] = { (uint64_t)(i % 2 ? fl->pipe_rd : fl->file),
					(uint64_t)fl->slot };

		fileio_call(fl->fio, fl->gm, DSV_HC_DUP3, a);
	}
	{
		const uint64_t a[6] = { (uint64_t)fl->pipe_wr, DATA + 0x900, 1 };

		assert_int_equal(fileio_call(fl->fio, fl->gm, DSV_HC_WRITE, a), 1);
	}
	return NULL;
}

/*
 * Review: the decision to run a read inline and the read itself looked the descriptor up
 * twice; a dup3 in between made the proxy read a blocking pipe (and wait for ever). Every
 * read on the flipped slot must come from the file, end at its end, or be retried; none
 * may read the pipe's byte.
 */
static void descriptor_flipped_under_the_proxy(void **state)
{
	struct fx *f = *state;
	struct flip fl = { .fio = f->fio, .gm = &f->gm, .slot = 40 };
	int32_t *fds = (int32_t *)(f->gm.host + DATA);
	pthread_t t;
	char path[128];
	unsigned reads = 0, pipe_reads = 0, file_reads = 0;

	snprintf(path, sizeof(path), "%s/reg", f->share);
	int h = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(h >= 0);
	for (int i = 0; i < 256; i++)
		assert_int_equal(write(h, memset(f->gm.host + DATA + 0x1000, 'F', 4096), 4096),
				 4096);
	close(h);
	{
		const uint64_t op[6] = { (uint64_t)(int64_t)DSV_AT_FDCWD, DATA + 0x80, 3,
					 O_RDONLY };
		const uint64_t pp[6] = { DATA, 0 };

		strcpy((char *)f->gm.host + DATA + 0x80, "reg");
		fl.file = (int)fileio_call(f->fio, &f->gm, DSV_HC_OPENAT, op);
		assert_true(fl.file >= 0);
		assert_int_equal(fileio_call(f->fio, &f->gm, DSV_HC_PIPE2, pp), 0);
		fl.pipe_rd = fds[0];
	}
	fl.pipe_wr = fds[1];
	f->gm.host[DATA + 0x900] = 'P';
	{
		const uint64_t a[6] = { (uint64_t)fl.file, (uint64_t)fl.slot };

		assert_int_equal(fileio_call(f->fio, &f->gm, DSV_HC_DUP3, a), fl.slot);
	}
	reg(f);
	assert_int_equal(pthread_create(&t, NULL, flipper, &fl), 0);
	/* Until both kinds were seen often (the file has 1 MiB: more than the most reads). */
	while (reads < 1000000 && (file_reads < 2000 || pipe_reads < 2000)) {
		uint64_t b =
			queue(f, reads % SLOTS, DSV_HC_READ, (uint64_t)fl.slot, DATA + 0x800, 1);

		f->gm.host[DATA + 0x800] = 0;
		assert_int_equal(hc_ring_poll(&f->r), 1);
		reads++;
		if (blk(f, b)->flags == (DSV_HC_F_DONE | DSV_HC_F_RETRY))
			pipe_reads++;
		else if (blk(f, b)->ret == 1)
			assert_int_equal(f->gm.host[DATA + 0x800], 'F'),
				file_reads++; /* unfixed: 'P' */
		else
			fail_msg("read returned %ld", (long)blk(f, b)->ret);
	}
	atomic_store(&fl.done, 1);
	pthread_join(t, NULL);
	print_message("%u reads: %u from the file, %u retried (the slot held the pipe)\n", reads,
		      file_reads, pipe_reads);
	assert_true(file_reads >= 2000 && pipe_reads >= 2000); /* the race was run */
	unlink_in_share(f, "reg");
}

static void blocking_call_retried_without_workers(void **state)
{
	struct fx *f = *state;
	int32_t *fds = (int32_t *)(f->gm.host + DATA);
	uint64_t p, rd;

	reg(f);
	p = queue(f, 0, DSV_HC_PIPE2, DATA, 0, 0);
	rd = queue(f, 1, DSV_HC_READ, 999, DATA + 0x200, 16); /* not open: EBADF at once */
	assert_int_equal(hc_ring_poll(&f->r), 2);
	assert_int_equal(blk(f, p)->ret, 0);
	assert_int_equal(blk(f, rd)->ret, -EBADF);
	/* A read on a blocking, empty pipe must not run in the proxy: with no worker, retry. */
	rd = queue(f, 2, DSV_HC_READ, (uint64_t)fds[0], DATA + 0x200, 16);
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_int_equal(blk(f, rd)->flags, DSV_HC_F_DONE | DSV_HC_F_RETRY);
	assert_int_equal(f->r.retried, 1);
}

static void *worker_main(void *arg)
{
	hc_async_run(arg);
	return NULL;
}

static void blocking_call_on_worker(void **state)
{
	struct fx *f = *state;
	struct hc_async async;
	pthread_t worker;
	int32_t *fds = (int32_t *)(f->gm.host + DATA);
	uint64_t rd, wr;

	hc_async_init(&async, f->fio, &f->gm, 2, fake_wake, f);
	f->r.async = &async;
	assert_int_equal(pthread_create(&worker, NULL, worker_main, &async), 0);
	for (unsigned idle = 0; !idle; usleep(1000)) { /* until the worker waits for calls */
		pthread_mutex_lock(&async.lock);
		idle = async.idle;
		pthread_mutex_unlock(&async.lock);
	}
	reg(f);
	queue(f, 0, DSV_HC_PIPE2, DATA, 0, 0);
	assert_int_equal(hc_ring_poll(&f->r), 1);
	rd = queue(f, 1, DSV_HC_READ, (uint64_t)fds[0], DATA + 0x200, 16);
	blk(f, rd)->reserved = DSV_HC_WAKE(1, 0xf0); /* the guest parked at once */
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_int_equal(f->r.handed, 1);
	assert_int_equal(__atomic_load_n(&blk(f, rd)->flags, __ATOMIC_ACQUIRE), 0);
	/* The only worker is busy: a second blocking call is retried, the ring goes on. */
	memcpy(f->gm.host + DATA + 0x100, "pong", 4);
	wr = queue(f, 2, DSV_HC_WRITE, (uint64_t)fds[1], DATA + 0x100, 4);
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_int_equal(blk(f, wr)->flags, DSV_HC_F_DONE | DSV_HC_F_RETRY);
	{ /* the synchronous path, as the lwk makes a retried call */
		const uint64_t args[6] = { (uint64_t)fds[1], DATA + 0x100, 4 };

		assert_int_equal(fileio_call(f->fio, &f->gm, DSV_HC_WRITE, args), 4);
	}
	pthread_mutex_lock(&f->lock);
	while (!f->wakes)
		pthread_cond_wait(&f->cond, &f->lock);
	pthread_mutex_unlock(&f->lock);
	assert_int_equal(f->woken_apic, 1);
	assert_int_equal(f->woken_vector, 0xf0);
	assert_int_equal(__atomic_load_n(&blk(f, rd)->flags, __ATOMIC_ACQUIRE), DSV_HC_F_DONE);
	assert_int_equal(blk(f, rd)->ret, 4);
	assert_memory_equal(f->gm.host + DATA + 0x200, "pong", 4);
	hc_async_stop(&async);
	pthread_join(worker, NULL);
	f->r.async = NULL;
}

static void hostile_entries(void **state)
{
	struct fx *f = *state;
	uint64_t b;

	reg(f);
	queue_raw(f, RAM - 64);	  /* block past RAM: skipped, nothing written */
	queue_raw(f, BLK + 8);	  /* misaligned */
	queue_raw(f, ~0ull - 63); /* wraps */
	assert_int_equal(hc_ring_poll(&f->r), 3);
	assert_int_equal(f->r.rejected[RING_REJ_BLOCK], 3);
	b = queue(f, 0, DSV_HC_EXIT, 0, 0, 0); /* core calls are not ring calls */
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_int_equal(blk(f, b)->ret, -EINVAL);
	assert_int_equal(blk(f, b)->flags, DSV_HC_F_DONE);
	b = queue(f, 1, DSV_HC_FILE_LAST + 1, 0, 0, 0);
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_int_equal(blk(f, b)->ret, -EINVAL);
	b = queue(f, 2, DSV_HC_NOP, 0, 0, 0);
	blk(f, b)->flags = DSV_HC_F_DONE; /* flags must be 0 */
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_int_equal(blk(f, b)->ret, -EINVAL);
	assert_int_equal(f->r.rejected[RING_REJ_CALL], 3);

	/* head far ahead of tail: not a ring any more; skipped whole, in one step. */
	hdr(f)->head += 1000000;
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_int_equal(f->r.rejected[RING_REJ_FLOOD], 1);
	assert_int_equal(hdr(f)->tail, hdr(f)->head);
	/* head behind tail (wraps to a huge distance): the same. */
	hdr(f)->head -= 3;
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_int_equal(f->r.rejected[RING_REJ_FLOOD], 2);
	/* A full ring (every slot queued, no more) is served, and then the ring goes on. */
	for (unsigned i = 0; i < SLOTS; i++)
		queue(f, i, DSV_HC_NOP, 0, 0, 0);
	assert_int_equal(hc_ring_poll(&f->r), SLOTS);
	for (unsigned i = 0; i < SLOTS; i++)
		assert_int_equal(blk(f, BLK + 128ull * i)->flags, DSV_HC_F_DONE);
	/* tail in guest memory is hvmm's copy: a guest that rewrites it changes nothing. */
	hdr(f)->tail = 12345;
	b = queue(f, 0, DSV_HC_NOP, 0, 0, 0);
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_int_equal(blk(f, b)->flags, DSV_HC_F_DONE);
	assert_int_equal(f->wakes, 0);
}

static void wake_words(void **state)
{
	struct fx *f = *state;
	uint64_t b;

	reg(f);
	b = queue(f, 0, DSV_HC_NOP, 0, 0, 0);
	blk(f, b)->reserved = DSV_HC_WAKE(1, 0xf0);
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_int_equal(f->wakes, 1);
	assert_int_equal(f->woken_apic, 1);
	assert_int_equal(f->woken_vector, 0xf0);
	/* Bad APIC IDs, vectors and stray bits: answered, never an interrupt. */
	const uint64_t bad[] = { DSV_HC_WAKE(2, 0xf0), DSV_HC_WAKE(0xffffffffu, 0xf0),
				 DSV_HC_WAKE(0, 31), DSV_HC_WAKE(0, 0),
				 DSV_HC_WAKE(0, 0xf0) | 1ull << 50 };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = queue(f, i, DSV_HC_NOP, 0, 0, 0);
		blk(f, b)->reserved = bad[i];
		assert_int_equal(hc_ring_poll(&f->r), 1);
		assert_int_equal(blk(f, b)->flags, DSV_HC_F_DONE);
	}
	assert_int_equal(f->wakes, 1);
	assert_int_equal(f->r.rejected[RING_REJ_WAKE], 5);
	/* A wake word without its top bit asks for nothing. */
	b = queue(f, 0, DSV_HC_NOP, 0, 0, 0);
	blk(f, b)->reserved = 0x1f0;
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_int_equal(f->wakes, 1);
}

struct proxy_fx {
	struct fx *f;
	int doorbell, exit;
	atomic_int stop;
};

static void *proxy_main(void *arg)
{
	struct proxy_fx *p = arg;

	hc_proxy_run(&p->f->r, p->doorbell, p->exit, &p->stop);
	return NULL;
}

static void wait_done(struct fx *f, uint64_t b)
{
	while (!__atomic_load_n(&blk(f, b)->flags, __ATOMIC_ACQUIRE))
		usleep(100);
}

/* The proxy sleeps once idle and says so; the guest's doorbell wakes it; it ends with the VM. */
static void proxy_sleeps_and_wakes(void **state)
{
	struct fx *f = *state;
	struct proxy_fx p = { .f = f };
	uint64_t one = 1, b;
	pthread_t t;

	p.doorbell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	p.exit = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f->r.kick_fd = p.doorbell;
	assert_int_equal(pthread_create(&t, NULL, proxy_main, &p), 0);
	reg(f); /* kicks the proxy, which sleeps until a ring exists */
	b = queue(f, 0, DSV_HC_NOP, 0, 0, 0);
	wait_done(f, b);
	for (int round = 1; round <= 3; round++) {
		/* Idle: it publishes that it sleeps... */
		while (!__atomic_load_n(&hdr(f)->sleeping, __ATOMIC_ACQUIRE))
			usleep(100);
		/* ...and a call queued then waits for the doorbell, as the lwk rings it. */
		b = queue(f, (unsigned)round, DSV_HC_NOP, 0, 0, 0);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&hdr(f)->sleeping, __ATOMIC_RELAXED))
			assert_int_equal(write(p.doorbell, &one, sizeof(one)),
					 (ssize_t)sizeof(one));
		wait_done(f, b);
		assert_int_equal(blk(f, b)->ret, 0);
	}
	assert_true(f->r.sleeps >= 3);
	assert_int_equal(write(p.exit, &one, sizeof(one)), (ssize_t)sizeof(one));
	pthread_join(t, NULL);
	/* Ended by the flag alone (the setup-failure path): the doorbell wakes it to see it. */
	p.f->r.sleeps = 0;
	assert_int_equal(read(p.exit, &one, sizeof(one)), (ssize_t)sizeof(one));
	assert_int_equal(pthread_create(&t, NULL, proxy_main, &p), 0);
	while (!f->r.sleeps)
		usleep(100);
	atomic_store(&p.stop, 1);
	assert_int_equal(write(p.doorbell, &one, sizeof(one)), (ssize_t)sizeof(one));
	pthread_join(t, NULL);
	close(p.doorbell);
	close(p.exit);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(registration, setup, teardown),
		cmocka_unit_test_setup_teardown(through_dispatch, setup, teardown),
		cmocka_unit_test_setup_teardown(short_calls_inline, setup, teardown),
		cmocka_unit_test_setup_teardown(opens_that_may_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(lingering_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(descriptor_flipped_under_the_proxy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(blocking_call_retried_without_workers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(blocking_call_on_worker, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(wake_words, setup, teardown),
		cmocka_unit_test_setup_teardown(proxy_sleeps_and_wakes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
