/*
 * Shared file mappings as KVM memory slots (DSV_HC_MMAP_SHARED, docs/abi.md): a table of
 * the VM's live mappings, each a host MAP_SHARED mapping of a guest file at a GPA in a
 * window above guest RAM. Free of KVM (the slot is set through a callback), so it can be
 * unit-tested.
 */
#ifndef HVMM_SHM_SLOTS_H
#define HVMM_SHM_SLOTS_H

#include <pthread.h>
#include <stdint.h>
#include <dsv/hypercall.h>

struct fileio;

#define SHM_SLOT_BASE 2u	 /* KVM slots 0 and 1 hold guest RAM */
#define SHM_WINDOW (64ull << 30) /* GPA space for the mappings, above RAM */

/* Sets KVM slot `slot` to [gpa, gpa + len) backed by host (len 0 deletes it). 0 or -errno. */
typedef int (*shm_set_slot_fn)(void *ctx, uint32_t slot, uint64_t gpa, uint64_t len, void *host,
			       int readonly);

struct shm_map {
	uint64_t gpa, len; /* len 0: free */
	void *host;
};

struct shm_slots {
	pthread_mutex_t lock;
	uint64_t base, end; /* the GPA window */
	uint64_t bytes;	    /* mapped now */
	struct shm_map m[DSV_SHM_MAX_MAPS];
	shm_set_slot_fn set_slot;
	void *ctx;
};

/* ram_top: the highest GPA of guest RAM + 1; the window starts at the next GiB above it. */
void shm_slots_init(struct shm_slots *s, uint64_t ram_top, shm_set_slot_fn fn, void *ctx);
/* Unmaps everything; call once no vCPU runs. */
void shm_slots_destroy(struct shm_slots *s);

/* DSV_HC_MMAP_SHARED: the GPA, or -EINVAL (alignment, flags, len), -ENOMEM (slots, bytes or
 * window exhausted), or what fileio_mmap and the slot callback answer. */
int64_t shm_slots_map(struct shm_slots *s, struct fileio *fio, uint64_t fd, uint64_t off,
		      uint64_t len, uint64_t flags);
/* DSV_HC_MUNMAP_SHARED: 0, or -EINVAL unless (gpa, len) is exactly one live mapping. */
int64_t shm_slots_unmap(struct shm_slots *s, uint64_t gpa, uint64_t len);

#endif
