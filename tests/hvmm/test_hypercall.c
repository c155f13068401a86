/* The hypercall dispatcher against a fake guest memory: every check in docs/abi.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsv/fileio.h"
#include "dsv/hypercall.h"
#include "hypercall_dispatch.h"

#define RAM (8u << 20)
#define BLK 0x1000u

struct fx {
	struct guest_mem gm;
	struct console con;
	struct hc_ctx hc;
	int pipe[2];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->gm.host = calloc(1, RAM);
	f->gm.size = RAM;
	f->gm.low_size = RAM;
	assert_int_equal(pipe(f->pipe), 0);
	console_init(&f->con, f->pipe[1]);
	hc_init(&f->hc, &f->gm, &f->con, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	close(f->pipe[0]);
	close(f->pipe[1]);
	free(f->gm.host);
	free(f);
	return 0;
}

static struct dsv_hc *blk(struct fx *f, uint32_t gpa)
{
	return (struct dsv_hc *)(f->gm.host + gpa);
}

/* Issues nr with args through a block at BLK; returns ret. */
static int64_t call(struct fx *f, uint32_t nr, uint64_t a0, uint64_t a1, struct hc_outcome *res)
{
	struct dsv_hc *b = blk(f, BLK);
	uint32_t gpa = BLK, in;
	struct hc_outcome tmp;

	memset(b, 0, sizeof(*b));
	b->nr = nr;
	b->args[0] = a0;
	b->args[1] = a1;
	b->ret = 12345;
	hc_port_io(&f->hc, DSV_HC_PORT, 1, 4, 1, (uint8_t *)&gpa, &in, res ? res : &tmp);
	return b->ret;
}

static size_t drain(struct fx *f, char *buf, size_t len)
{
	ssize_t n;

	/* The pipe is only read when something was written (blocking otherwise). */
	n = read(f->pipe[0], buf, len);
	return n > 0 ? (size_t)n : 0;
}

static void nop(void **state)
{
	struct fx *f = *state;
	struct hc_outcome res;

	assert_int_equal(call(f, DSV_HC_NOP, 0, 0, &res), 0);
	assert_int_equal(res.action, HC_CONTINUE);
	assert_int_equal(f->hc.calls, 1);
}

static void console_write_exact(void **state)
{
	struct fx *f = *state;
	char out[64];

	memcpy(f->gm.host + 0x5000, "hello\n", 6);
	assert_int_equal(call(f, DSV_HC_CONSOLE_WRITE, 0x5000, 6, NULL), 6);
	assert_int_equal(drain(f, out, sizeof(out)), 6);
	assert_memory_equal(out, "hello\n", 6);
	/* The last byte of RAM is reachable; one past it is not. */
	assert_int_equal(call(f, DSV_HC_CONSOLE_WRITE, RAM - 1, 1, NULL), 1);
	assert_int_equal(drain(f, out, sizeof(out)), 1);
	assert_int_equal(call(f, DSV_HC_CONSOLE_WRITE, RAM, 0, NULL), 0);
}

static void console_bad_ranges(void **state)
{
	struct fx *f = *state;

	assert_int_equal(call(f, DSV_HC_CONSOLE_WRITE, RAM, 1, NULL), -EFAULT);
	assert_int_equal(call(f, DSV_HC_CONSOLE_WRITE, RAM - 4, 8, NULL), -EFAULT);
	assert_int_equal(call(f, DSV_HC_CONSOLE_WRITE, ~0ull - 3, 8, NULL), -EFAULT);
	assert_int_equal(call(f, DSV_HC_CONSOLE_WRITE, 0x1000, ~0ull, NULL), -EINVAL);
	assert_int_equal(call(f, DSV_HC_CONSOLE_WRITE, 0, DSV_HC_MAX_IO + 1, NULL), -EINVAL);
	assert_int_equal(call(f, DSV_HC_LOG, 1ull << 40, 4, NULL), -EFAULT);
	assert_int_equal(f->con.bytes, 0); /* nothing reached the console */
	assert_true(f->hc.rejected[HC_REJ_RANGE] >= 6);
}

static void exit_and_abort(void **state)
{
	struct fx *f = *state;
	struct hc_outcome res;

	call(f, DSV_HC_EXIT, 0x1234, 0, &res);
	assert_int_equal(res.action, HC_EXIT);
	assert_int_equal(res.status, 0x34); /* low 8 bits, as a process status */
	memcpy(f->gm.host + 0x6000, "bad\nthing\x01", 10);
	call(f, DSV_HC_ABORT, 0x6000, 10, &res);
	assert_int_equal(res.action, HC_ABORT);
	assert_string_equal(res.msg, "bad?thing?");
	call(f, DSV_HC_ABORT, RAM + 5, 10, &res);
	assert_int_equal(res.action, HC_ABORT);
	assert_non_null(strstr(res.msg, "outside guest RAM"));
	/* A huge length is clipped to the message buffer, not trusted. */
	call(f, DSV_HC_ABORT, 0x6000, ~0ull, &res);
	assert_int_equal(res.action, HC_ABORT);
}

static void bad_blocks(void **state)
{
	struct fx *f = *state;
	struct hc_outcome res;
	uint32_t in, gpa;

	/* Misaligned, outside RAM, straddling the end: ignored, nothing written. */
	blk(f, BLK)->ret = 77;
	gpa = BLK + 8;
	hc_port_io(&f->hc, DSV_HC_PORT, 1, 4, 1, (uint8_t *)&gpa, &in, &res);
	assert_int_equal(res.action, HC_CONTINUE);
	assert_int_equal(blk(f, BLK)->ret, 77);
	gpa = RAM;
	hc_port_io(&f->hc, DSV_HC_PORT, 1, 4, 1, (uint8_t *)&gpa, &in, &res);
	gpa = RAM - 64;
	hc_port_io(&f->hc, DSV_HC_PORT, 1, 4, 1, (uint8_t *)&gpa, &in, &res);
	gpa = 0xffffffc0u;
	hc_port_io(&f->hc, DSV_HC_PORT, 1, 4, 1, (uint8_t *)&gpa, &in, &res);
	assert_int_equal(f->hc.rejected[HC_REJ_BLOCK], 4);
	/* Wrong width or rep: ignored. */
	gpa = BLK;
	hc_port_io(&f->hc, DSV_HC_PORT, 1, 1, 1, (uint8_t *)&gpa, &in, &res);
	hc_port_io(&f->hc, DSV_HC_PORT, 1, 4, 3, (uint8_t *)&gpa, &in, &res);
	assert_int_equal(f->hc.rejected[HC_REJ_WIDTH], 2);
	assert_int_equal(blk(f, BLK)->ret, 77);
	/* Reads of hvmm's ports see an empty bus, and do not count as calls. */
	hc_port_io(&f->hc, DSV_HC_PORT, 0, 4, 1, (uint8_t *)&gpa, &in, &res);
	assert_int_equal(in, 0xffffffffu);
	/* The notify port via the slow path does nothing. */
	hc_port_io(&f->hc, DSV_NOTIFY_PORT, 1, 4, 1, (uint8_t *)&gpa, &in, &res);
	assert_int_equal(res.action, HC_CONTINUE);
}

static void reserved_and_unknown(void **state)
{
	struct fx *f = *state;
	struct dsv_hc *b = blk(f, BLK);
	struct hc_outcome res;
	uint32_t gpa = BLK, in;

	memset(b, 0, sizeof(*b));
	b->nr = DSV_HC_EXIT;
	b->flags = 1;
	hc_port_io(&f->hc, DSV_HC_PORT, 1, 4, 1, (uint8_t *)&gpa, &in, &res);
	assert_int_equal(b->ret, -EINVAL);
	assert_int_equal(res.action, HC_CONTINUE); /* a rejected exit does not exit */
	b->flags = 0;
	b->reserved = 1;
	hc_port_io(&f->hc, DSV_HC_PORT, 1, 4, 1, (uint8_t *)&gpa, &in, &res);
	assert_int_equal(b->ret, -EINVAL);
	assert_int_equal(call(f, 6, 0, 0, NULL), -ENOSYS);
	assert_int_equal(call(f, 0xffffffffu, 0, 0, NULL), -ENOSYS);
	/* Without a file-offload backend, file calls are ENOSYS, not a crash. */
	assert_int_equal(call(f, DSV_HC_OPENAT, 0, 0, NULL), -ENOSYS);
}

static void ring(void **state)
{
	struct fx *f = *state;
	struct dsv_ring *r = (struct dsv_ring *)(f->gm.host + 0x10000);
	char out[256];

	assert_int_equal(call(f, DSV_HC_CONSOLE_RING, 0x10000, 100, NULL), -EINVAL);
	assert_int_equal(call(f, DSV_HC_CONSOLE_RING, 0x10000, 32, NULL), -EINVAL);
	assert_int_equal(call(f, DSV_HC_CONSOLE_RING, RAM - 64, 64, NULL), -EFAULT);
	assert_int_equal(call(f, DSV_HC_CONSOLE_RING, 0x10004, 64, NULL), -EINVAL);
	assert_int_equal(call(f, DSV_HC_CONSOLE_RING, 0x10000, 64, NULL), 0);
	/* Wrap around the end of the ring. */
	r->tail = 60;
	r->head = 60;
	memcpy(r->data + 60, "abcd", 4);
	memcpy(r->data, "efgh", 4);
	r->head = 68;
	r->size = 1u << 30; /* the guest's copy of the size is never trusted */
	console_ring_drain(&f->con, &f->gm);
	assert_int_equal(drain(f, out, sizeof(out)), 8);
	assert_memory_equal(out, "abcdefgh", 8);
	assert_int_equal(r->tail, 68);
	/* A head far beyond the tail loses the excess, no more than one ring is copied. */
	r->head = r->tail + 100000;
	console_ring_drain(&f->con, &f->gm);
	assert_int_equal(drain(f, out, sizeof(out)), 64);
	assert_int_equal(r->tail, r->head);
}

/* DSV_HC_SUBMIT: one worker, a real file offload in a scratch share, a fake interrupt. */
struct async_fx {
	struct fileio *fio;
	struct hc_async async;
	pthread_t worker;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint32_t woken_apic, woken_vector;
	int wakes;
	char share[64];
};

static int fake_wake(void *opaque, uint32_t apic_id, uint32_t vector)
{
	struct async_fx *a = opaque;

	pthread_mutex_lock(&a->lock);
	a->woken_apic = apic_id;
	a->woken_vector = vector;
	a->wakes++;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

static void *worker_main(void *arg)
{
	hc_async_run(arg);
	return NULL;
}

/* Submits the call in the block at gpa (args as given) for APIC ID 1, vector 0xf0. */
static int64_t submit(struct fx *f, uint32_t gpa, uint32_t nr, uint64_t a0, uint64_t a1,
		      uint64_t a2, uint64_t apic, uint64_t vector)
{
	struct dsv_hc *b = blk(f, BLK);
	uint32_t at = BLK, in;
	struct hc_outcome res;

	if (gpa + sizeof(*b) <= RAM) { /* a block past the end of RAM is left unwritten */
		struct dsv_hc c;

		memset(&c, 0, sizeof(c));
		c.nr = nr;
		c.args[0] = a0;
		c.args[1] = a1;
		c.args[2] = a2;
		c.ret = 777;
		/* by bytes: some cases put the block at a misaligned address on purpose */
		memcpy(f->gm.host + gpa, &c, sizeof(c));
	}
	memset(b, 0, sizeof(*b));
	b->nr = DSV_HC_SUBMIT;
	b->args[0] = gpa;
	b->args[1] = apic;
	b->args[2] = vector;
	hc_port_io(&f->hc, DSV_HC_PORT, 1, 4, 1, (uint8_t *)&at, &in, &res);
	return b->ret;
}

static void async_call(void **state)
{
	struct fx *f = *state;
	struct async_fx a = { .share = "/tmp/dsv-unit-async-XXXXXX" };
	char err[256];
	int32_t *fds = (int32_t *)(f->gm.host + 0x6000);

	assert_non_null(mkdtemp(a.share));
	assert_int_equal(fileio_create(&a.fio, a.share, err, sizeof(err)), 0);
	pthread_mutex_init(&a.lock, NULL);
	pthread_cond_init(&a.cond, NULL);
	hc_async_init(&a.async, a.fio, &f->gm, 2, fake_wake, &a);
	f->hc.fio = a.fio;
	f->hc.async = &a.async;

	/* No worker yet: every call is answered -EAGAIN (made synchronously by the guest). */
	assert_int_equal(submit(f, 0x3000, DSV_HC_NOP + DSV_HC_FILE_BASE, 0, 0, 0, 1, 0xf0),
			 -EAGAIN);
	assert_int_equal(pthread_create(&a.worker, NULL, worker_main, &a.async), 0);
	for (unsigned idle = 0; !idle; usleep(1000)) { /* until the worker waits for calls */
		pthread_mutex_lock(&a.async.lock);
		idle = a.async.idle;
		pthread_mutex_unlock(&a.async.lock);
	}

	/* Hostile submissions, each refused before any worker sees it. */
	assert_int_equal(submit(f, 0x3000, DSV_HC_NOP, 0, 0, 0, 1, 0xf0),
			 -EINVAL); /* not a file call */
	assert_int_equal(submit(f, 0x3000, DSV_HC_SUBMIT, 0, 0, 0, 1, 0xf0),
			 -EINVAL); /* nor itself */
	assert_int_equal(submit(f, 0x3000, DSV_HC_READ, 0, 0, 0, 2, 0xf0), -EINVAL); /* APIC ID */
	assert_int_equal(submit(f, 0x3000, DSV_HC_READ, 0, 0, 0, 1ull << 32, 0xf0), -EINVAL);
	assert_int_equal(submit(f, 0x3000, DSV_HC_READ, 0, 0, 0, 1, 31), -EINVAL); /* vector */
	assert_int_equal(submit(f, 0x3000, DSV_HC_READ, 0, 0, 0, 1, 256), -EINVAL);
	assert_int_equal(submit(f, RAM - 64, DSV_HC_READ, 0, 0, 0, 1, 0xf0),
			 -EFAULT); /* block past RAM */
	assert_int_equal(submit(f, 0x3008, DSV_HC_READ, 0, 0, 0, 1, 0xf0),
			 -EFAULT); /* misaligned */
	{
		struct dsv_hc *c = blk(f, 0x3000);
		struct dsv_hc *b = blk(f, BLK);
		uint32_t at = BLK, in;
		struct hc_outcome res;

		memset(c, 0, sizeof(*c));
		c->nr = DSV_HC_READ;
		c->flags = DSV_HC_F_DONE;
		memset(b, 0, sizeof(*b));
		b->nr = DSV_HC_SUBMIT;
		b->args[0] = 0x3000;
		b->args[1] = 1;
		b->args[2] = 0xf0;
		hc_port_io(&f->hc, DSV_HC_PORT, 1, 4, 1, (uint8_t *)&at, &in, &res);
		assert_int_equal(b->ret, -EINVAL);
	}
	assert_int_equal(a.wakes, 0);

	/* A read on an empty pipe: queued, it completes once the pipe has data. */
	assert_int_equal(call(f, DSV_HC_PIPE2, 0x6000, 0, NULL), 0);
	assert_int_equal(submit(f, 0x3000, DSV_HC_READ, (uint64_t)fds[0], 0x7000, 16, 1, 0xf0), 0);
	/* The only worker is taken: the next call must be made synchronously. */
	assert_int_equal(submit(f, 0x3080, DSV_HC_READ, (uint64_t)fds[0], 0x7000, 16, 1, 0xf0),
			 -EAGAIN);
	memcpy(f->gm.host + 0x5000, "ping", 4);
	{
		struct dsv_hc *b = blk(f, BLK);
		uint32_t at = BLK, in;
		struct hc_outcome res;

		memset(b, 0, sizeof(*b));
		b->nr = DSV_HC_WRITE;
		b->args[0] = (uint64_t)fds[1];
		b->args[1] = 0x5000;
		b->args[2] = 4;
		hc_port_io(&f->hc, DSV_HC_PORT, 1, 4, 1, (uint8_t *)&at, &in, &res);
		assert_int_equal(b->ret, 4);
	}
	pthread_mutex_lock(&a.lock);
	while (!a.wakes)
		pthread_cond_wait(&a.cond, &a.lock);
	pthread_mutex_unlock(&a.lock);
	assert_int_equal(a.wakes, 1);
	assert_int_equal(a.woken_apic, 1);
	assert_int_equal(a.woken_vector, 0xf0);
	assert_int_equal(__atomic_load_n(&blk(f, 0x3000)->flags, __ATOMIC_ACQUIRE), DSV_HC_F_DONE);
	assert_int_equal(blk(f, 0x3000)->ret, 4);
	assert_memory_equal(f->gm.host + 0x7000, "ping", 4);

	hc_async_stop(&a.async);
	pthread_join(a.worker, NULL);
	f->hc.fio = NULL;
	f->hc.async = NULL;
	fileio_destroy(a.fio);
	rmdir(a.share);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(nop, setup, teardown),
		cmocka_unit_test_setup_teardown(console_write_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(console_bad_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(exit_and_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(reserved_and_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(ring, setup, teardown),
		cmocka_unit_test_setup_teardown(async_call, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
