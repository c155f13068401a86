/* Memory system calls: thin wrappers around the region allocator (uvm.c). */
#include "syscall.h"
#include "host.h"
#include "uaccess.h"
#include "uvm.h"
#include <dsv/fileio.h>

#define PROT_WRITE 0x2
#define MAP_SHARED 0x01
#define MAP_ANONYMOUS 0x20

int64_t sys_brk(struct regs *r)
{
	return uvm_brk(r->rdi);
}

/* A file mapping is a private copy read in at mmap time; shared writable file mappings
 * would need write-back and are refused. */
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
	if (!anon && (flags & MAP_SHARED) && (prot & PROT_WRITE))
		return -ENODEV;
	int64_t a = uvm_mmap(addr, len, prot, flags);
	if (a < 0 || anon)
		return a;
	return map_file(a, len, (uint64_t)(int64_t)(int32_t)r->r8, off);
}

int64_t sys_munmap(struct regs *r)
{
	return uvm_munmap(r->rdi, r->rsi);
}
int64_t sys_mremap(struct regs *r)
{
	return uvm_mremap(r->rdi, r->rsi, r->rdx, (int)r->r10, r->r8);
}
int64_t sys_mprotect(struct regs *r)
{
	return uvm_mprotect(r->rdi, r->rsi);
}
int64_t sys_madvise(struct regs *r)
{
	return uvm_madvise(r->rdi, r->rsi, (int)r->rdx);
}
