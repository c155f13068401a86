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
int64_t uvm_madvise(uint64_t addr, uint64_t len, int advice);
int64_t uvm_mprotect(uint64_t addr, uint64_t len);
/* Whether [a, b) is mapped: all of it, or any of it. */
bool uvm_mapped(uint64_t a, uint64_t b, bool all);
/* Reserves [start, end) for the program image; false if it does not fit. */
bool uvm_reserve(uint64_t start, uint64_t end);

#endif
