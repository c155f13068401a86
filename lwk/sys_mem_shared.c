/*
 * MAP_SHARED file mappings: hvmm maps the host file and gives it to the VM as memory at a
 * GPA above RAM (DSV_HC_MMAP_SHARED, docs/abi.md); the lwk maps that range into the
 * program's shared-mapping region (mm_shm_map). Two VMs that map one host file (a --shm
 * file under /dev/shm) then share its pages, as two processes do natively.
 *
 * Addresses in the region are never handed out twice, so no vCPU can hold a stale TLB
 * entry for an address a new mapping gets: after munmap, only a use after munmap can still
 * translate through another vCPU's old entry, and it reaches a GPA whose slot hvmm has
 * deleted (or a later mapping of this VM), never another VM's or hvmm's memory.
 */
#include "sys_mem_shared.h"
#include "errno.h"
#include "host.h"
#include "lock.h"
#include "mm.h"
#include <dsv/hypercall.h>

#define PROT_WRITE 0x2

struct shared_map {
	uint64_t va, len, gpa; /* len 0: free */
};

static struct shared_map maps[DSV_SHM_MAX_MAPS];
static uint64_t va_next = SHM_VA_BASE;
static spinlock_t lock;

bool shm_region(uint64_t addr)
{
	return addr >= SHM_VA_BASE && addr - SHM_VA_BASE < SHM_VA_SIZE;
}

bool shm_range(uint64_t va, uint64_t len)
{
	bool ok = false;
	spin_lock(&lock);
	for (unsigned i = 0; i < DSV_SHM_MAX_MAPS && !ok; i++)
		ok = maps[i].len && va >= maps[i].va && len <= maps[i].len &&
		     va - maps[i].va <= maps[i].len - len;
	spin_unlock(&lock);
	return ok;
}

int64_t shm_mmap(uint64_t len, int prot, int fd, uint64_t off)
{
	len = ALIGN_UP(len, PAGE_SIZE);
	if (len > DSV_SHM_MAX_BYTES)
		return -ENOMEM;
	uint64_t span = ALIGN_UP(len, HUGE_SIZE);
	bool w = (prot & PROT_WRITE) != 0;
	int64_t ret = -ENOMEM;
	spin_lock(&lock);
	struct shared_map *m = NULL;
	for (unsigned i = 0; i < DSV_SHM_MAX_MAPS && !m; i++)
		if (!maps[i].len)
			m = &maps[i];
	if (!m || span > SHM_VA_BASE + SHM_VA_SIZE - va_next)
		goto out;
	ret = host_call(DSV_HC_MMAP_SHARED, (uint64_t)(int64_t)fd, off, len, w ? DSV_SHM_WRITE : 0,
			0, 0);
	if (ret < 0)
		goto out;
	uint64_t gpa = (uint64_t)ret;
	if ((gpa & (HUGE_SIZE - 1)) || mm_shm_map(va_next, gpa, len, w)) {
		host_call(DSV_HC_MUNMAP_SHARED, gpa, len, 0, 0, 0, 0);
		ret = -ENOMEM;
		goto out;
	}
	*m = (struct shared_map){ .va = va_next, .len = len, .gpa = gpa };
	ret = (int64_t)va_next;
	va_next += span;
out:
	spin_unlock(&lock);
	return ret;
}

int64_t shm_munmap(uint64_t addr, uint64_t len)
{
	len = ALIGN_UP(len, PAGE_SIZE);
	int64_t ret = -EINVAL; /* only whole mappings (docs/lwk.md) */
	spin_lock(&lock);
	for (unsigned i = 0; i < DSV_SHM_MAX_MAPS; i++) {
		struct shared_map *m = &maps[i];
		if (!m->len || m->va != addr || m->len != len)
			continue;
		mm_shm_unmap(m->va, m->len); /* before hvmm drops the pages behind it */
		ret = host_call(DSV_HC_MUNMAP_SHARED, m->gpa, m->len, 0, 0, 0, 0);
		if (ret < 0) /* hvmm kept them: a bug; say so, the address stays unusable */
			klog("lwk: hvmm refused to drop a shared mapping: %d\n", (int)ret);
		*m = (struct shared_map){ 0 };
		ret = 0;
		break;
	}
	spin_unlock(&lock);
	return ret;
}
