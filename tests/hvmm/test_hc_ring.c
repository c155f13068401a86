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
#include <sys/eventfd.h>
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
	uint64_t nop, pipe, wr, rd;

	reg(f);
	nop = queue(f, 0, DSV_HC_NOP, 0, 0, 0);
	pipe = queue(f, 1, DSV_HC_PIPE2, DATA, O_NONBLOCK, 0);
	assert_int_equal(hc_ring_poll(&f->r), 2);
	assert_int_equal(blk(f, nop)->flags, DSV_HC_F_DONE);
	assert_int_equal(blk(f, nop)->ret, 0);
	assert_int_equal(blk(f, pipe)->flags, DSV_HC_F_DONE);
	assert_int_equal(blk(f, pipe)->ret, 0);
	assert_int_equal(hdr(f)->tail, 2);
	/* A non-blocking pipe never waits: both ends are served by the proxy itself. */
	memcpy(f->gm.host + DATA + 0x100, "ping", 4);
	wr = queue(f, 2, DSV_HC_WRITE, (uint64_t)fds[1], DATA + 0x100, 4);
	rd = queue(f, 3, DSV_HC_READ, (uint64_t)fds[0], DATA + 0x200, 16);
	assert_int_equal(hc_ring_poll(&f->r), 2);
	assert_int_equal(blk(f, wr)->ret, 4);
	assert_int_equal(blk(f, rd)->ret, 4);
	assert_memory_equal(f->gm.host + DATA + 0x200, "ping", 4);
	rd = queue(f, 4, DSV_HC_READ, (uint64_t)fds[0], DATA + 0x200, 16);
	assert_int_equal(hc_ring_poll(&f->r), 1);
	assert_int_equal(blk(f, rd)->ret, -EAGAIN);
	assert_int_equal(blk(f, rd)->flags, DSV_HC_F_DONE); /* a real EAGAIN, not a retry */
	assert_int_equal(f->r.inline_calls, 5);
	assert_int_equal(f->wakes, 0); /* nobody asked for an interrupt */
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
		cmocka_unit_test_setup_teardown(blocking_call_retried_without_workers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(blocking_call_on_worker, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(wake_words, setup, teardown),
		cmocka_unit_test_setup_teardown(proxy_sleeps_and_wakes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
