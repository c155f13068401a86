/*
 * Shared file mappings as KVM memory slots. The guest's arguments are checked here before
 * anything is mapped; the host file is mapped by fileio_mmap (which checks the descriptor)
 * and handed to KVM through the callback. Removal deletes the slot first, so KVM drops its
 * translations of the pages before hvmm unmaps them.
 */
#include "shm_slots.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "file_offload.h"

#define PAGE 4096ull
#define CHUNK (2ull << 20) /* GPA alignment: the guest may map whole chunks as 2 MiB pages */
#define GIB (1ull << 30)

void shm_slots_init(struct shm_slots *s, uint64_t ram_top, shm_set_slot_fn fn, void *ctx)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->base = (ram_top + GIB - 1) & ~(GIB - 1);
	if (s->base < (4ull << 30))
		s->base = 4ull << 30; /* never in the hole below 4 GiB (LAPIC, platform pages) */
	s->end = s->base + SHM_WINDOW;
	s->set_slot = fn;
	s->ctx = ctx;
}

void shm_slots_destroy(struct shm_slots *s)
{
	for (unsigned i = 0; i < DSV_SHM_MAX_MAPS; i++)
		if (s->m[i].len)
			munmap(s->m[i].host, s->m[i].len);
	pthread_mutex_destroy(&s->lock);
	memset(s, 0, sizeof(*s));
}

static uint64_t span(uint64_t len)
{
	return (len + CHUNK - 1) & ~(CHUNK - 1);
}

static int overlaps(const struct shm_slots *s, uint64_t a, uint64_t len)
{
	for (unsigned i = 0; i < DSV_SHM_MAX_MAPS; i++)
		if (s->m[i].len && a < s->m[i].gpa + span(s->m[i].len) && s->m[i].gpa < a + len)
			return 1;
	return 0;
}

/* First fit in the window: its start, or the end of a live mapping. 0: no room. */
static uint64_t find_gpa(const struct shm_slots *s, uint64_t len)
{
	uint64_t need = span(len);
	for (int i = -1; i < (int)DSV_SHM_MAX_MAPS; i++) {
		uint64_t a = i < 0 ? s->base : s->m[i].gpa + span(s->m[i].len);
		if (i >= 0 && !s->m[i].len)
			continue;
		if (a <= s->end && need <= s->end - a && !overlaps(s, a, need))
			return a;
	}
	return 0;
}

int64_t shm_slots_map(struct shm_slots *s, struct fileio *fio, uint64_t fd, uint64_t off,
		      uint64_t len, uint64_t flags)
{
	if ((flags & ~(uint64_t)DSV_SHM_WRITE) || !len || (len % PAGE) || (off % PAGE) ||
	    len > DSV_SHM_MAX_BYTES || off > UINT64_MAX - len || off > INT64_MAX - len)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	int64_t r = -ENOMEM;
	unsigned i = 0;
	while (i < DSV_SHM_MAX_MAPS && s->m[i].len)
		i++;
	uint64_t gpa = 0;
	if (i == DSV_SHM_MAX_MAPS || len > DSV_SHM_MAX_BYTES - s->bytes ||
	    !(gpa = find_gpa(s, len)))
		goto out;
	void *host;
	r = fileio_mmap(fio, fd, off, len, (flags & DSV_SHM_WRITE) != 0, &host);
	if (r < 0)
		goto out;
	r = s->set_slot(s->ctx, SHM_SLOT_BASE + i, gpa, len, host, !(flags & DSV_SHM_WRITE));
	if (r < 0) {
		munmap(host, len);
		goto out;
	}
	s->m[i] = (struct shm_map){ .gpa = gpa, .len = len, .host = host };
	s->bytes += len;
	r = (int64_t)gpa;
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

int64_t shm_slots_unmap(struct shm_slots *s, uint64_t gpa, uint64_t len)
{
	int64_t r = -EINVAL;
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < DSV_SHM_MAX_MAPS; i++) {
		struct shm_map *m = &s->m[i];
		if (!m->len || m->gpa != gpa || m->len != len)
			continue;
		r = s->set_slot(s->ctx, SHM_SLOT_BASE + i, gpa, 0, NULL, 0);
		if (r < 0)
			break; /* KVM kept the slot: so do we, or it would point at freed pages */
		munmap(m->host, m->len);
		s->bytes -= m->len;
		*m = (struct shm_map){ 0 };
		break;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}
