/* The fast path's pages at VA 0, the kernel's side of its calls and faults, and the futex
 * waiter counts the handler reads (docs/lwk.md "The fast path for system calls"). The
 * rewriting of sites is fastpath_site.c. */
#include "fastpath.h"
#include "mm.h"
#include <dsv/bootinfo.h>
#include "syscall.h"
#include "uaccess.h"

#define USER_LIMIT (1ull << 47)

bool fastpath_on;
static bool verbose;
union fp_page fp_page __attribute__((aligned(4096)));
static uint8_t fp_code[4096] __attribute__((aligned(4096)));
static union fp_rw_page fp_rw __attribute__((aligned(4096)));

static uint64_t handler_va(const char *sym)
{
	return FP_CODE_VA + FP_HANDLER_OFF + (uint64_t)(sym - fastpath_user_start);
}

/* The slide: "eb 3e" pairs (jmp +62; entered at the odd byte, ds-prefixed jmp +62) hop 64
 * bytes at a time from any entry, then 64 nops end it on the handler's first byte. */
static void fill_slide(uint8_t *code)
{
	const unsigned hops_end = FP_HANDLER_OFF - 64;
	for (unsigned i = 0; i < hops_end; i += 2) {
		code[i] = 0xeb;
		code[i + 1] = 0x3e;
	}
	memset(code + hops_end, 0x90, FP_HANDLER_OFF - hops_end);
}

void fastpath_init(uint32_t boot_flags, const struct elf_image *img, uint32_t pid, uint32_t ppid)
{
	uint64_t len = (uint64_t)(fastpath_user_end - fastpath_user_start);
	if (!(boot_flags & DSV_BOOT_FASTPATH))
		return;
	verbose = boot_flags & DSV_BOOT_VERBOSE;
	if (len > FP_HANDLER_MAX)
		panic("fast path handler is %lu bytes, over %u", len, FP_HANDLER_MAX);
	fill_slide(fp_code);
	memcpy(fp_code + FP_HANDLER_OFF, fastpath_user_start, len);
	memset(fp_code + FP_HANDLER_OFF + len, 0xcc, sizeof fp_code - FP_HANDLER_OFF - len);
	fp_page.d.hash_mul = 0x9e3779b97f4a7c15ull;
	fp_page.d.uwin_va = uwin.va;
	fp_page.d.uwin_last = uwin.size - 4;
	fp_page.d.pid = pid;
	fp_page.d.ppid = ppid;
	fastpath_sites_init(img);
	uvm_brk_share(&fp_rw.d.brk, &fp_page.d.brk);
	mm_map_low_pages(virt_to_phys(fp_code), virt_to_phys(&fp_page), virt_to_phys(&fp_rw));
	fastpath_on = true;
}

void fastpath_syscall_entry(struct regs *r)
{
	if (r->rip != handler_va(fp_slow_syscall) + 2 || !user_ok(r->rsp, 8))
		return;
	uint64_t ret = *(const uint64_t *)r->rsp;
	if (ret >= USER_LIMIT)
		return; /* sysretq to a non-canonical address faults in the kernel */
	r->rip = ret;
	r->rsp += 8;
}

void fastpath_futex_waiter(uint64_t uaddr, int delta)
{
	if (fastpath_on)
		__atomic_add_fetch(&fp_page.d.futex_waiters[(uaddr >> 2) % FP_WAITER_BUCKETS],
				   (uint32_t)delta, __ATOMIC_SEQ_CST);
}

void fastpath_vcpu_shared(int delta)
{
	if (fastpath_on)
		__atomic_add_fetch(&fp_page.d.shared_vcpus, (uint32_t)delta, __ATOMIC_RELAXED);
}

/* The return address a call left at (%rsp), if it is one of a rewritten site's. */
static bool returns_to_site(const struct regs *r, uint64_t *ret)
{
	if (!user_ok(r->rsp, 8))
		return false;
	*ret = *(const uint64_t *)r->rsp;
	return *ret < USER_LIMIT && fastpath_site_rewritten(*ret - 2);
}

/* A rewritten site's call with a number no slide covers is a system call Linux does not
 * have: ENOSYS, as the trap would answer, and the program goes on after the site. */
static enum fp_fault no_such_call(struct regs *r, uint64_t ret, uint64_t rsp)
{
	r->rax = (uint64_t)sys_enosys(r);
	r->rip = ret;
	r->rsp = rsp;
	return FP_FAULT_RESUME;
}

/* Whether the instruction ending at ret is `call *%rax`: then the called address was %rax. */
static bool called_through_rax(uint64_t ret)
{
	return ret >= 2 && user_ok(ret - 2, 2) && *(const uint16_t *)(ret - 2) == 0xd0ff;
}

enum fp_fault fastpath_user_fault(struct regs *r, uint64_t *fault_addr)
{
	if (!fastpath_on)
		return FP_FAULT_NONE;
	uint64_t ret;
	/* A non-canonical number: #GP, on Intel at the site with nothing pushed, on AMD at the
	 * number itself after the call pushed its return address. */
	bool noncanonical = r->rax >= USER_LIMIT && r->rax < 0xffff800000000000ull;
	if (r->vector == 13 && noncanonical && r->rip < USER_LIMIT - 2 &&
	    fastpath_site_rewritten(r->rip))
		return no_such_call(r, r->rip + 2, r->rsp);
	if (r->vector == 13 && noncanonical && r->rip == r->rax && returns_to_site(r, &ret))
		return no_such_call(r, ret, r->rsp + 8);
	/* the handler found no site at the return address */
	bool not_a_site = r->vector == 6 && r->rip == handler_va(fp_not_a_site);
	/* the int3s after the handler: the call went to rip - 1 */
	bool in_int3s = r->vector == 3 && r->rip - 1 >= handler_va(fastpath_user_end) &&
			r->rip - 1 < FP_CODE_VA + 4096;
	if (!not_a_site && !in_int3s) {
		if (r->vector == 14 && (r->error & 0x10) && *fault_addr == r->rip &&
		    r->rax == r->rip && returns_to_site(r, &ret))
			return no_such_call(r, ret, r->rsp + 8); /* beyond VA 0's page */
		return FP_FAULT_NONE;
	}
	if (returns_to_site(r, &ret) && r->rax >= FP_HANDLER_OFF)
		return no_such_call(r, ret, r->rsp + 8);
	/* A call to a small address from anywhere else (a NULL function pointer, say): the
	 * fault a native call takes at the called address: known exactly when the call landed
	 * on the int3s, or when it was `call *%rax`. */
	uint64_t target = 0;
	if (in_int3s)
		target = r->rip - 1;
	else if (user_ok(r->rsp, 8) && called_through_rax(*(const uint64_t *)r->rsp))
		target = r->rax;
	r->rip = target;
	r->vector = 14;
	r->error = 0x14; /* user, instruction fetch, not present */
	*fault_addr = target;
	return FP_FAULT_REPORT;
}

void fastpath_report(void)
{
	if (!fastpath_on || !verbose)
		return;
	unsigned rewritten, refused;
	fastpath_sites_counts(&rewritten, &refused);
	/* the program can write the count: a report, not a figure to trust */
	klog("lwk: fast path: %u system call site(s) rewritten, %u refused; brk moved in user "
	     "mode %lu time(s)",
	     rewritten, refused, fp_rw.d.brk_moves);
}
