/* The program's address space inside the user window: a sorted list of used ranges that
 * serves brk, mmap, munmap, mremap and madvise. Memory handed out is always zeroed. */
#ifndef LWK_UVM_H
#define LWK_UVM_H

#include "kernel.h"

#define USER_STACK_SIZE (8ull << 20) /* the main thread's stack, RLIMIT_STACK */

void uvm_init(uint64_t image_end, uint64_t stack_size);
uint64_t uvm_stack_top(void);

int64_t uvm_mmap(uint64_t addr, uint64_t len, int prot, int flags);
int64_t uvm_munmap(uint64_t addr, uint64_t len);
int64_t uvm_mremap(uint64_t old, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr);
int64_t uvm_brk(uint64_t addr);
/* brk as the fast path's handler shares it (docs/lwk.md "brk without a trap"): the program
 * may write `user`, which the kernel takes back clamped at each of its turns (leaving 0
 * there meanwhile); `limits` are the kernel's. The handler moves the break within
 * [fast_lo, fast_hi] with a cmpxchg and zeroes what Linux would give as new pages; the
 * kernel moves the heap's top (2 MiB ahead of a break it raises) and answers the rest. */
struct uvm_brk_user {
	uint64_t cur; /* the break; 0 while the kernel has it */
	uint64_t hw;  /* the highest break since the pages above it were last zero */
};
struct uvm_brk_limits {
	uint64_t base, fast_lo, fast_hi;
};
void uvm_brk_share(struct uvm_brk_user *user, struct uvm_brk_limits *limits);
int64_t uvm_madvise(uint64_t addr, uint64_t len, int advice);
int64_t uvm_mprotect(uint64_t addr, uint64_t len);
/* Whether [a, b) is mapped: all of it, or any of it. */
bool uvm_mapped(uint64_t a, uint64_t b, bool all);
/* Reserves [start, end) for the program image; false if it does not fit. */
bool uvm_reserve(uint64_t start, uint64_t end);

#endif
