/* Rewriting `syscall` sites to `call *%rax` (docs/lwk.md "The fast path for system calls").
 * A site is rewritten after it traps with a call the handler can answer, once the kernel
 * knows the rewrite is safe: the site lies in a function of the program's symbol table
 * that decodes fully and never addresses the red zone (the call's return address lands at
 * -8(%rsp)), and its two bytes sit in one 16-byte fetch block, so another vCPU running it
 * fetches either `syscall` or the call, never half of each. */
#include "fastpath.h"
#include "insn.h"
#include "lock.h"

#define REFUSED_SLOTS 256
#define REFUSED_PROBES 8

static struct elf_image program;
static spinlock_t sites_lock;
static uint64_t refused[REFUSED_SLOTS]; /* sites not to look at again */
static unsigned nr_rewritten, nr_refused;

void fastpath_sites_init(const struct elf_image *img)
{
	program = *img;
}

static unsigned site_hash(uint64_t site)
{
	return (unsigned)((site * fp_page.d.hash_mul) >> (64 - FP_SITE_BITS));
}

bool fastpath_site_rewritten(uint64_t site)
{
	unsigned h = site_hash(site);
	for (unsigned p = 0; p < FP_PROBES; p++)
		if (__atomic_load_n(&fp_page.d.sites[(h + p) % FP_SITES], __ATOMIC_ACQUIRE) == site)
			return true;
	return false;
}

static bool is_refused(uint64_t site)
{
	unsigned h = site_hash(site);
	for (unsigned p = 0; p < REFUSED_PROBES; p++)
		if (__atomic_load_n(&refused[(h + p) % REFUSED_SLOTS], __ATOMIC_RELAXED) == site)
			return true;
	return false;
}

/* A full probe run forgets its first site: looked at again if it traps again (speed only). */
static void refuse(uint64_t site)
{
	nr_refused++;
	unsigned h = site_hash(site);
	for (unsigned p = 0; p < REFUSED_PROBES; p++) {
		uint64_t *slot = &refused[(h + p) % REFUSED_SLOTS];
		if (!*slot) {
			__atomic_store_n(slot, site, __ATOMIC_RELAXED);
			return;
		}
	}
	__atomic_store_n(&refused[h % REFUSED_SLOTS], site, __ATOMIC_RELAXED);
}

static bool publish(uint64_t site)
{
	unsigned h = site_hash(site);
	for (unsigned p = 0; p < FP_PROBES; p++) {
		uint64_t *slot = &fp_page.d.sites[(h + p) % FP_SITES];
		if (!*slot) {
			__atomic_store_n(slot, site, __ATOMIC_RELEASE);
			return true;
		}
	}
	return false;
}

/* Calls the handler answers without the kernel; other sites are not worth a rewrite. */
static bool answered_in_user_mode(uint64_t nr, const struct regs *r)
{
	uint32_t futex_cmd = (uint32_t)r->rsi & ~0x180u;
	return nr == FP_NR_GETPID || nr == FP_NR_GETPPID || nr == FP_NR_SCHED_YIELD ||
	       nr == FP_NR_BRK ||
	       (nr == FP_NR_FUTEX && futex_cmd <= 10 && ((1u << futex_cmd) & 0x603)); /* 0 1 9 10 */
}

static bool safe_to_rewrite(uint64_t site)
{
	uint64_t start, size;
	if (site % 16 == 15 || !elf_func_at(&program, site, &start, &size))
		return false;
	return insn_red_zone_scan((const uint8_t *)start, size, site - start) == INSN_SAFE;
}

void fastpath_after_syscall(const struct regs *r, uint64_t nr)
{
	uint64_t site = r->rip - 2;
	if (!fastpath_on || !answered_in_user_mode(nr, r) || r->rip < program.lo + 2 ||
	    r->rip > program.hi)
		return;
	/* Unlocked first: the common case (a site already decided) takes no lock, and the
	 * decision reads only the program file and bytes that change just from 0f 05 to ff d0. */
	if (fastpath_site_rewritten(site) || is_refused(site))
		return;
	bool safe = safe_to_rewrite(site);
	spin_lock(&sites_lock);
	if (fastpath_site_rewritten(site) || is_refused(site))
		goto out;
	if (!safe || !publish(site)) {
		refuse(site);
		goto out;
	}
	/* The table entry is visible before the call can run, so the handler knows it. */
	uint16_t expect = 0x050f; /* syscall */
	if (__atomic_compare_exchange_n((uint16_t *)site, &expect, (uint16_t)0xd0ff, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		nr_rewritten++;
out:
	spin_unlock(&sites_lock);
}

void fastpath_sites_counts(unsigned *rewritten, unsigned *refused)
{
	*rewritten = nr_rewritten;
	*refused = nr_refused;
}
