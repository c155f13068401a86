/*
 * DSV_HC_MMAP_SHARED and DSV_HC_MUNMAP_SHARED (hvmm/shm_slots.c, fileio_mmap.c) with a
 * hostile guest's arguments: descriptors it does not own or that name no regular file,
 * unaligned, empty, huge and wrapping ranges, ranges past the end of the file, unknown
 * flags, slot and byte exhaustion, bad unmaps. The KVM slot is a fake that records calls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "harness.h"
#include "shm_slots.h"

#define RAM_TOP (6ull << 30)
#define PAGE 4096ull

struct fake {
	int calls, fail, readonly;
	uint64_t gpa, len;
	void *host;
};

static int fake_set(void *ctx, uint32_t slot, uint64_t gpa, uint64_t len, void *host, int ro)
{
	struct fake *f = ctx;
	assert_true(slot >= SHM_SLOT_BASE && slot < SHM_SLOT_BASE + DSV_SHM_MAX_MAPS);
	f->calls++;
	if (f->fail)
		return -f->fail;
	f->gpa = gpa, f->len = len, f->host = host, f->readonly = ro;
	return 0;
}

struct fx {
	struct h *h;
	struct shm_slots s;
	struct fake k;
	int file, ro, big; /* guest descriptors: 3 pages rw, the same read-only, 5 GiB sparse */
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	x->h = h_new(1);
	shm_slots_init(&x->s, RAM_TOP, fake_set, &x->k);
	x->file = (int)g_open(x->h, DSV_AT_FDCWD, "f", O_RDWR | O_CREAT, 0600);
	assert_true(x->file >= 0);
	char page[PAGE] = { 7 };
	for (int i = 0; i < 3; i++)
		assert_int_equal(g_write(x->h, x->file, page, PAGE), PAGE);
	x->ro = (int)g_open(x->h, DSV_AT_FDCWD, "f", O_RDONLY, 0);
	x->big = (int)g_open(x->h, DSV_AT_FDCWD, "big", O_RDWR | O_CREAT, 0600);
	assert_true(x->ro >= 0 && x->big >= 0);
	char path[H_NAME + 8];
	snprintf(path, sizeof(path), "%s/big", x->h->share);
	assert_int_equal(truncate(path, (off_t)(5ull << 30)), 0); /* sparse */
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	shm_slots_destroy(&x->s);
	h_free(x->h);
	free(x);
	return 0;
}

static int64_t map(struct fx *x, uint64_t fd, uint64_t off, uint64_t len, uint64_t flags)
{
	return shm_slots_map(&x->s, x->h->fio, fd, off, len, flags);
}

static void maps_and_unmaps(void **state)
{
	struct fx *x = *state;
	int64_t gpa = map(x, (uint64_t)x->file, 0, 3 * PAGE, DSV_SHM_WRITE);
	assert_true(gpa > 0);
	assert_true((uint64_t)gpa >= RAM_TOP && (uint64_t)gpa % (2u << 20) == 0);
	assert_int_equal(x->k.len, 3 * PAGE);
	assert_int_equal(x->k.readonly, 0);
	assert_int_equal(((char *)x->k.host)[0], 7); /* the file's own pages */
	int64_t gpa2 = map(x, (uint64_t)x->file, PAGE, PAGE, 0);
	assert_true(gpa2 > 0 && gpa2 != gpa);
	assert_int_equal(x->k.readonly, 1);
	assert_int_equal(shm_slots_unmap(&x->s, (uint64_t)gpa, 3 * PAGE), 0);
	assert_int_equal(x->k.len, 0);
	assert_int_equal(shm_slots_unmap(&x->s, (uint64_t)gpa, 3 * PAGE), -EINVAL); /* twice */
	assert_int_equal(shm_slots_unmap(&x->s, (uint64_t)gpa2, 2 * PAGE), -EINVAL);
	assert_int_equal(shm_slots_unmap(&x->s, (uint64_t)gpa2 + PAGE, PAGE), -EINVAL);
	assert_int_equal(shm_slots_unmap(&x->s, 0, PAGE), -EINVAL);
	assert_int_equal(shm_slots_unmap(&x->s, (uint64_t)gpa2, PAGE), 0);
	assert_int_equal(x->s.bytes, 0);
}

static void bad_descriptors(void **state)
{
	struct fx *x = *state;
	assert_int_equal(map(x, 999, 0, PAGE, 0), -EBADF);
	assert_int_equal(map(x, DSV_MAX_FILES, 0, PAGE, 0), -EBADF);
	assert_int_equal(map(x, UINT64_MAX, 0, PAGE, 0), -EBADF);
	assert_int_equal(map(x, (uint64_t)x->ro, 0, PAGE, DSV_SHM_WRITE), -EACCES);
	assert_true(map(x, (uint64_t)x->ro, 0, PAGE, 0) > 0); /* read-only is fine */
	uint64_t fds = h_buf(x->h, 8);
	assert_int_equal(h_call(x->h, DSV_HC_PIPE2, fds, 0, 0, 0, 0, 0), 0);
	const int *p = h_host(x->h, fds);
	assert_int_equal(map(x, (uint64_t)p[0], 0, PAGE, 0), -ENODEV);
	assert_int_equal(map(x, (uint64_t)p[1], 0, PAGE, 0), -EACCES); /* write end */
	assert_int_equal(h_call(x->h, DSV_HC_SOCKETPAIR, AF_UNIX, SOCK_STREAM, 0, fds, 0, 0), 0);
	assert_int_equal(map(x, (uint64_t)p[0], 0, PAGE, DSV_SHM_WRITE), -ENODEV);
	int64_t dir = g_open(x->h, DSV_AT_FDCWD, ".", O_RDONLY | O_DIRECTORY, 0);
	assert_int_equal(map(x, (uint64_t)dir, 0, PAGE, 0), -ENODEV);
	int64_t opath = g_open(x->h, DSV_AT_FDCWD, "f", O_PATH, 0);
	assert_int_equal(map(x, (uint64_t)opath, 0, PAGE, 0), -EBADF);
	assert_int_equal(x->s.bytes, PAGE); /* only the read-only one */
}

static void bad_ranges(void **state)
{
	struct fx *x = *state;
	uint64_t fd = (uint64_t)x->file;
	assert_int_equal(map(x, fd, 0, 0, 0), -EINVAL);
	assert_int_equal(map(x, fd, 1, PAGE, 0), -EINVAL);
	assert_int_equal(map(x, fd, 0, PAGE + 1, 0), -EINVAL);
	assert_int_equal(map(x, fd, 0, PAGE, 2), -EINVAL); /* unknown flag */
	assert_int_equal(map(x, fd, 0, PAGE, UINT64_MAX), -EINVAL);
	assert_int_equal(map(x, fd, 0, DSV_SHM_MAX_BYTES + PAGE, 0), -EINVAL);
	assert_int_equal(map(x, fd, UINT64_MAX & ~(PAGE - 1), PAGE, 0), -EINVAL); /* wraps */
	assert_int_equal(map(x, fd, 1ull << 62, PAGE, 0), -ENXIO);
	assert_int_equal(map(x, fd, 0, 4 * PAGE, 0), -ENXIO); /* past the end */
	assert_int_equal(map(x, fd, 3 * PAGE, PAGE, 0), -ENXIO);
	assert_true(map(x, fd, 2 * PAGE, PAGE, 0) > 0); /* the last page is fine */
	assert_int_equal(x->k.calls, 1);
	/* A partial last page maps whole (as Linux, which faults only past it); a page wholly
	 * past the end does not. */
	char path[H_NAME + 8];
	snprintf(path, sizeof(path), "%s/f", x->h->share);
	assert_int_equal(truncate(path, (off_t)(2 * PAGE + 1)), 0);
	assert_true(map(x, fd, 0, 3 * PAGE, 0) > 0);
	assert_true(map(x, fd, 2 * PAGE, PAGE, 0) > 0);
	assert_int_equal(truncate(path, (off_t)(2 * PAGE)), 0);
	assert_int_equal(map(x, fd, 0, 3 * PAGE, 0), -ENXIO);
	assert_int_equal(map(x, fd, 2 * PAGE, PAGE, 0), -ENXIO);
	assert_int_equal(x->k.calls, 3);
}

static void exhaustion(void **state)
{
	struct fx *x = *state;
	int64_t g[DSV_SHM_MAX_MAPS];
	for (unsigned i = 0; i < DSV_SHM_MAX_MAPS; i++) {
		g[i] = map(x, (uint64_t)x->file, 0, PAGE, DSV_SHM_WRITE);
		assert_true(g[i] > 0);
		for (unsigned j = 0; j < i; j++)
			assert_true(g[i] != g[j]);
	}
	assert_int_equal(map(x, (uint64_t)x->file, 0, PAGE, 0), -ENOMEM); /* slots */
	for (unsigned i = 0; i < DSV_SHM_MAX_MAPS; i++)
		assert_int_equal(shm_slots_unmap(&x->s, (uint64_t)g[i], PAGE), 0);
	/* bytes: the cap at once, then one page more */
	int64_t whole = map(x, (uint64_t)x->big, 0, DSV_SHM_MAX_BYTES, DSV_SHM_WRITE);
	assert_true(whole > 0);
	assert_true((uint64_t)whole + DSV_SHM_MAX_BYTES <= x->s.end);
	assert_int_equal(map(x, (uint64_t)x->file, 0, PAGE, 0), -ENOMEM);
	assert_int_equal(shm_slots_unmap(&x->s, (uint64_t)whole, DSV_SHM_MAX_BYTES), 0);
	assert_true(map(x, (uint64_t)x->file, 0, PAGE, 0) > 0);
}

static void kvm_refuses(void **state)
{
	struct fx *x = *state;
	x->k.fail = EEXIST;
	assert_int_equal(map(x, (uint64_t)x->file, 0, PAGE, 0), -EEXIST);
	assert_int_equal(x->s.bytes, 0);
	x->k.fail = 0;
	int64_t gpa = map(x, (uint64_t)x->file, 0, PAGE, 0);
	assert_true(gpa > 0);
	x->k.fail = EINVAL; /* a slot KVM keeps is kept: its pages stay mapped */
	assert_int_equal(shm_slots_unmap(&x->s, (uint64_t)gpa, PAGE), -EINVAL);
	assert_int_equal(x->s.bytes, PAGE);
	x->k.fail = 0;
	assert_int_equal(shm_slots_unmap(&x->s, (uint64_t)gpa, PAGE), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(maps_and_unmaps, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_descriptors, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(exhaustion, setup, teardown),
		cmocka_unit_test_setup_teardown(kvm_refuses, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
