/* The trap-free fast path (docs/lwk.md "The fast path for system calls"): `syscall` sites of
 * the program are rewritten to `call *%rax` (ff d0), which lands in a slide at VA 0 whose end
 * is a user-mode handler; calls that need no privilege are answered there, the rest go on to
 * a real `syscall` made by the handler. This header is shared by the handler (assembly) and
 * the kernel. */
#ifndef LWK_FASTPATH_H
#define LWK_FASTPATH_H

#define FP_CODE_VA 0x0 /* the slide and the handler: user, read-only, executable */
/* what the handler reads: user, read-only, not executable; the page below FP_RW_VA, not the
 * one after the code's, so that reads of NULL beyond its first page fault as on Linux */
#define FP_DATA_VA 0x1fe000
#define FP_RW_VA 0x1ff000    /* what the handler writes (the break): user, writable, NX */
#define FP_HANDLER_OFF 0x400 /* the slide covers system call numbers below this */
#define FP_HANDLER_MAX 0x300 /* bytes of handler code; [FP_HANDLER_OFF + this, 4 KiB) is int3 */

#define FP_SITE_BITS 8
#define FP_SITES (1 << FP_SITE_BITS) /* rewritten sites the handler recognises */
#define FP_PROBES 4		     /* a site sits at its hash slot or one of the next 3 */
#define FP_WAITER_BUCKETS 64	     /* futex waiters counted by (address >> 2) % 64 */
#define FP_WAIT_SPINS 128	     /* pauses a futex wait spins before the kernel waits */

/* struct fp_data field offsets, for the handler */
#define FPD_HASH_MUL 0
#define FPD_UWIN_VA 8
#define FPD_UWIN_LAST 16 /* the highest offset in the window a 4-byte futex word may have */
#define FPD_PID 24
#define FPD_PPID 28
#define FPD_SHARED_VCPUS 32 /* vCPUs with more than one thread: sched_yield may switch */
#define FPD_WAITERS 40
#define FPD_SITES (FPD_WAITERS + 4 * FP_WAITER_BUCKETS)
#define FPD_BRK_BASE (FPD_SITES + 8 * FP_SITES) /* struct uvm_brk_limits */
#define FPD_BRK_FAST_LO (FPD_BRK_BASE + 8)
#define FPD_BRK_FAST_HI (FPD_BRK_BASE + 16)
#define FPW_BRK_CUR 0 /* struct uvm_brk_user, at FP_RW_VA */
#define FPW_BRK_HW 8
#define FPW_BRK_MOVES 16 /* brk moves the handler made (for -v and the tests) */

#define FP_NR_BRK 12
#define FP_NR_SCHED_YIELD 24
#define FP_NR_GETPID 39
#define FP_NR_GETPPID 110
#define FP_NR_FUTEX 202

#ifndef __ASSEMBLER__
#include "cpu.h"
#include "elf.h"
#include "uvm.h"

struct fp_data {
	uint64_t hash_mul;
	uint64_t uwin_va, uwin_last;
	uint32_t pid, ppid;
	uint32_t shared_vcpus, pad;
	uint32_t futex_waiters[FP_WAITER_BUCKETS];
	uint64_t sites[FP_SITES];
	struct uvm_brk_limits brk;
};
_Static_assert(offsetof(struct fp_data, shared_vcpus) == FPD_SHARED_VCPUS, "fp_data");
_Static_assert(offsetof(struct fp_data, futex_waiters) == FPD_WAITERS, "fp_data");
_Static_assert(offsetof(struct fp_data, sites) == FPD_SITES, "fp_data");
_Static_assert(offsetof(struct fp_data, brk) == FPD_BRK_BASE, "fp_data");
_Static_assert(offsetof(struct uvm_brk_limits, fast_lo) == FPD_BRK_FAST_LO - FPD_BRK_BASE, "brk");
_Static_assert(offsetof(struct uvm_brk_limits, fast_hi) == FPD_BRK_FAST_HI - FPD_BRK_BASE, "brk");
_Static_assert(offsetof(struct uvm_brk_user, hw) == FPW_BRK_HW, "brk");

/* The page at FP_RW_VA: the program may write it, so it holds only what the kernel reads
 * back clamped (the break) or only reports (the count). */
union fp_rw_page {
	struct {
		struct uvm_brk_user brk;
		uint64_t brk_moves;
	} d;
	uint8_t bytes[4096];
};
_Static_assert(offsetof(union fp_rw_page, d.brk_moves) == FPW_BRK_MOVES, "fp_rw_page");
_Static_assert(sizeof(struct fp_data) <= 4096, "fp_data fits its page");

extern bool fastpath_on;
/* The whole page is the program's to read: nothing else of the kernel may share it. */
union fp_page {
	struct fp_data d;
	uint8_t bytes[4096];
};
extern union fp_page fp_page;

/* Maps the fast path's pages at VA 0 and FP_RW_VA when boot_flags has DSV_BOOT_FASTPATH; img is the program
 * (kept for its symbol table). */
void fastpath_init(uint32_t boot_flags, const struct elf_image *img, uint32_t pid, uint32_t ppid);
/* Before dispatch: a call made by the handler's own `syscall` is taken as made at the site
 * (the return address the site's call pushed is popped). */
void fastpath_syscall_entry(struct regs *r);
/* After a trapped call with number nr from r->rip - 2: rewrite the site if it may be. */
void fastpath_after_syscall(const struct regs *r, uint64_t nr);
enum fp_fault {
	FP_FAULT_NONE,	 /* not the fast path's: report it as it is */
	FP_FAULT_RESUME, /* a number beyond the slide from a site: answered, the program goes on */
	FP_FAULT_REPORT, /* a call to a small address: *r and *fault_addr now say what a native
			    call would have faulted on */
};
/* A user fault at VA 0's pages (or a call from a site beyond them): what it means. */
enum fp_fault fastpath_user_fault(struct regs *r, uint64_t *fault_addr);
/* futex waiters on uaddr: +1 before a waiter reads the futex word, -1 when it stops waiting. */
void fastpath_futex_waiter(uint64_t uaddr, int delta);
/* fastpath_site.c: the site table and the rewriting */
void fastpath_sites_init(const struct elf_image *img);
bool fastpath_site_rewritten(uint64_t site);
void fastpath_sites_counts(unsigned *rewritten, unsigned *refused);
/* A vCPU's thread count went from 1 to 2 (delta 1) or from 2 to 1 (-1). */
void fastpath_vcpu_shared(int delta);
/* With -v, at exit: how many sites were rewritten and refused. */
void fastpath_report(void);

/* fastpath_user.S: the handler, copied to FP_CODE_VA + FP_HANDLER_OFF */
extern const char fastpath_user_start[], fastpath_user_end[], fp_slow_syscall[], fp_not_a_site[];
#endif

#endif
