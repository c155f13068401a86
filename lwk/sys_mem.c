/* Memory system calls: thin wrappers around the region allocator (uvm.c). */
#include "syscall.h"
#include "host.h"
#include "uaccess.h"
#include "uvm.h"
#include "sys_mem_shared.h"
#include <dsv/fileio.h>

#define PROT_WRITE 0x2
#define MAP_SHARED 0x01
#define MAP_ANONYMOUS 0x20
#define MAP_FIXED 0x10
#define MAP_FIXED_NOREPLACE 0x100000
#define MAP_HUGETLB 0x40000

int64_t sys_brk(struct regs *r)
{
	return uvm_brk(r->rdi);
}

/* A private file mapping is a copy read in at mmap time (and so is a read-only shared one
 * where the host cannot share pages, under QEMU); MAP_SHARED maps the host file's own
 * pages (sys_mem_shared.c). */
static int64_t map_file(int64_t addr, uint64_t len, uint64_t fd, uint64_t off)
{
	uint64_t done = 0;
	while (done < len) {
		uint64_t n = MIN(len - done, DSV_HC_MAX_IO);
		int64_t ret = host_call(DSV_HC_PREAD, fd, user_to_phys((uint64_t)addr + done), n,
					off + done, 0, 0);
		if (ret < 0) {
			uvm_munmap((uint64_t)addr, len);
			return ret == -ESPIPE ? -ENODEV : ret;
		}
		if ((uint64_t)ret < n)
			break;
		done += n;
	}
	return addr;
}

int64_t sys_mmap(struct regs *r)
{
	uint64_t addr = r->rdi, len = r->rsi, off = r->r9;
	int prot = (int)r->rdx, flags = (int)r->r10;
	if (!len || (off & (PAGE_SIZE - 1)))
		return -EINVAL;
	bool anon = flags & MAP_ANONYMOUS;
	int fd = (int)r->r8;
	if (!anon && (flags & MAP_HUGETLB))
		return -EINVAL; /* as Linux for a file not on hugetlbfs (UCX tries, then not) */
	if (!anon && (flags & MAP_SHARED)) {
		/* Placed in the shared region only: a fixed address there is not supported. */
		int64_t a = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))
				    ? -EINVAL
				    : shm_mmap(len, prot, fd, off);
		if (a != -ENOSYS)
			return a;
		if (prot & PROT_WRITE)
			return -ENODEV; /* no host pages to share, no write-back */
	}
	int64_t a = uvm_mmap(addr, len, prot, flags);
	if (a < 0 || anon)
		return a;
	return map_file(a, len, (uint64_t)(int64_t)fd, off);
}

int64_t sys_munmap(struct regs *r)
{
	if (shm_region(r->rdi))
		return shm_munmap(r->rdi, r->rsi);
	return uvm_munmap(r->rdi, r->rsi);
}
int64_t sys_mremap(struct regs *r)
{
	if (shm_region(r->rdi))
		return -EINVAL; /* shared file mappings keep their size and place */
	return uvm_mremap(r->rdi, r->rsi, r->rdx, (int)r->r10, r->r8);
}
int64_t sys_mprotect(struct regs *r)
{
	if (shm_region(r->rdi))
		return (r->rdi & (PAGE_SIZE - 1)) ? -EINVAL : 0; /* not enforced, as elsewhere */
	return uvm_mprotect(r->rdi, r->rsi);
}
int64_t sys_madvise(struct regs *r)
{
	if (shm_region(r->rdi))
		return (r->rdi & (PAGE_SIZE - 1)) ? -EINVAL : 0; /* the file keeps its pages */
	return uvm_madvise(r->rdi, r->rsi, (int)r->rdx);
}
