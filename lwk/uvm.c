/* Address-space bookkeeping for the user window. The window is always fully mapped, so
 * this only decides which addresses the program may be handed; protections are not
 * enforced (2 MiB pages) and PROT_NONE guards reserve addresses but do not trap.
 *
 * Zeroing: RAM starts zeroed and the part of the window between the brk end and the
 * lowest mmap ever handed out has never been used ("fresh"); any other range is zeroed
 * when it is handed out again, so untouched memory is never touched by the kernel. */
#include "uvm.h"
#include "errno.h"
#include "lock.h"
#include "mm.h"
#include "mempolicy.h"

#define MAX_RANGES 4096
#define MAP_FIXED 0x10
#define MAP_FIXED_NOREPLACE 0x100000
#define MREMAP_MAYMOVE 1
#define MADV_DONTNEED 4
#define MADV_REMOVE 9

struct range {
	uint64_t start, end;
};

static struct range used[MAX_RANGES];
static int nused;
static spinlock_t lock;
static uint64_t win_lo, win_hi, mmap_top, stack_top;
static uint64_t brk_base, brk_cur, brk_top, brk_hw; /* brk_top: the heap's pages end */
static struct uvm_brk_user *brk_user; /* the fast path's copy of the break, if shared */
static struct uvm_brk_limits *brk_limits;
static uint64_t fresh_lo, fresh_hi;

static void brk_yield(uint64_t a, uint64_t b);

static bool in_window(uint64_t a, uint64_t len)
{
	return a >= win_lo && len <= win_hi - win_lo && a - win_lo <= win_hi - win_lo - len;
}

static bool range_free(uint64_t a, uint64_t b)
{
	for (int i = 0; i < nused; i++)
		if (used[i].start < b && a < used[i].end)
			return false;
	return true;
}

static bool add_range(uint64_t a, uint64_t b)
{
	int i = 0;
	while (i < nused && used[i].end < a)
		i++;
	/* merge with neighbours that touch [a, b) */
	if (i < nused && used[i].start <= b) {
		used[i].start = MIN(used[i].start, a);
		used[i].end = MAX(used[i].end, b);
		while (i + 1 < nused && used[i + 1].start <= used[i].end) {
			used[i].end = MAX(used[i].end, used[i + 1].end);
			memmove(&used[i + 1], &used[i + 2],
				(size_t)(nused - i - 2) * sizeof used[0]);
			nused--;
		}
		return true;
	}
	if (nused == MAX_RANGES)
		return false;
	memmove(&used[i + 1], &used[i], (size_t)(nused - i) * sizeof used[0]);
	used[i] = (struct range){ a, b };
	nused++;
	return true;
}

static bool remove_range(uint64_t a, uint64_t b)
{
	mpol_forget(a, b); /* an unmapped range loses its mbind policy, as a VMA does */
	for (int i = 0; i < nused; i++) {
		struct range *r = &used[i];
		if (r->end <= a || b <= r->start)
			continue;
		if (r->start < a && b < r->end) { /* split */
			if (nused == MAX_RANGES)
				return false;
			memmove(&used[i + 1], &used[i], (size_t)(nused - i) * sizeof used[0]);
			nused++;
			used[i].end = a;
			used[i + 1].start = b;
			return true;
		}
		if (r->start < a) {
			r->end = a;
		} else if (b < r->end) {
			r->start = b;
		} else {
			memmove(&used[i], &used[i + 1], (size_t)(nused - i - 1) * sizeof used[0]);
			nused--;
			i--;
		}
	}
	return true;
}

/* Zeroes [a, b) where it may hold old data and shrinks the fresh range around it. */
static void hand_out(uint64_t a, uint64_t b)
{
	uint64_t fl = MAX(a, fresh_lo), fh = MIN(b, fresh_hi);
	if (fl >= fh) {
		memset((void *)a, 0, b - a);
		return;
	}
	memset((void *)a, 0, fl - a);
	memset((void *)fh, 0, b - fh);
	if (fl - fresh_lo >= fresh_hi - fh)
		fresh_hi = fl;
	else
		fresh_lo = fh;
	if (fresh_lo > fresh_hi)
		fresh_lo = fresh_hi;
}

void uvm_init(uint64_t image_end, uint64_t stack_size)
{
	win_lo = uwin.va;
	win_hi = uwin.va + uwin.size;
	stack_top = win_hi;
	mmap_top = win_hi - stack_size;
	add_range(mmap_top, stack_top);
	brk_base = brk_cur = brk_top = brk_hw = ALIGN_UP(image_end, PAGE_SIZE);
	fresh_lo = brk_base;
	fresh_hi = mmap_top;
}

uint64_t uvm_stack_top(void)
{
	return stack_top;
}

bool uvm_reserve(uint64_t start, uint64_t end)
{
	start = ALIGN_DOWN(start, PAGE_SIZE);
	end = ALIGN_UP(end, PAGE_SIZE);
	return end > start && in_window(start, end - start) && add_range(start, end);
}

/* Highest free gap of len bytes below mmap_top. */
static uint64_t find_gap(uint64_t len)
{
	uint64_t top = mmap_top;
	for (int i = nused - 1; i >= -1; i--) {
		uint64_t bottom = i >= 0 ? used[i].end : win_lo;
		if (i >= 0 && used[i].start >= top)
			continue;
		if (bottom < top && top - bottom >= len)
			return top - len;
		if (i >= 0)
			top = MIN(top, used[i].start);
	}
	return 0;
}

int64_t uvm_mmap(uint64_t addr, uint64_t len, int prot, int flags)
{
	(void)prot;
	if (!len || len > win_hi - win_lo)
		return -ENOMEM;
	len = ALIGN_UP(len, PAGE_SIZE);
	spin_lock(&lock);
	int64_t ret;
	if (addr && !(addr & (PAGE_SIZE - 1)) && in_window(addr, len))
		brk_yield(addr, addr + len);
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr & (PAGE_SIZE - 1)) {
			ret = -EINVAL;
			goto out;
		}
		if (!in_window(addr, len)) {
			ret = -ENOMEM;
			goto out;
		}
		if (!range_free(addr, addr + len)) {
			if (!(flags & MAP_FIXED)) {
				ret = -EEXIST;
				goto out;
			}
			remove_range(addr, addr + len);
		}
	} else if (!(addr && !(addr & (PAGE_SIZE - 1)) && in_window(addr, len) &&
		     range_free(addr, addr + len))) {
		addr = find_gap(len);
		if (!addr) { /* the heap's spare pages are the last resort */
			brk_yield(win_lo, win_hi);
			addr = find_gap(len);
		}
		if (!addr) {
			ret = -ENOMEM;
			goto out;
		}
	}
	if (!add_range(addr, addr + len)) {
		ret = -ENOMEM;
		goto out;
	}
	hand_out(addr, addr + len);
	ret = (int64_t)addr;
out:
	spin_unlock(&lock);
	return ret;
}

int64_t uvm_munmap(uint64_t addr, uint64_t len)
{
	if ((addr & (PAGE_SIZE - 1)) || !len)
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (addr + len < addr)
		return -EINVAL;
	spin_lock(&lock);
	brk_yield(addr, addr + len);
	bool ok = remove_range(addr, addr + len);
	spin_unlock(&lock);
	return ok ? 0 : -ENOMEM;
}

int64_t uvm_mremap(uint64_t old, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr)
{
	(void)new_addr;
	if ((old & (PAGE_SIZE - 1)) || !new_len || (flags & ~MREMAP_MAYMOVE))
		return -EINVAL;
	old_len = ALIGN_UP(old_len, PAGE_SIZE);
	new_len = ALIGN_UP(new_len, PAGE_SIZE);
	if (!in_window(old, old_len) || !in_window(old, new_len))
		goto move;
	if (new_len <= old_len) {
		if (new_len < old_len)
			uvm_munmap(old + new_len, old_len - new_len);
		return (int64_t)old;
	}
	spin_lock(&lock);
	brk_yield(old + old_len, old + new_len);
	if (range_free(old + old_len, old + new_len) && add_range(old + old_len, old + new_len)) {
		hand_out(old + old_len, old + new_len);
		spin_unlock(&lock);
		return (int64_t)old;
	}
	spin_unlock(&lock);
move:
	if (!(flags & MREMAP_MAYMOVE) || !in_window(old, old_len))
		return -ENOMEM;
	int64_t n = uvm_mmap(0, new_len, 0, 0);
	if (n < 0)
		return n;
	memcpy((void *)n, (void *)old, old_len);
	uvm_munmap(old, old_len);
	return n;
}

/* Pages handed to the heap beyond a break the kernel moves up, while the fast path shares
 * the break: the handler moves it within them without a trap. */
#define BRK_AHEAD (2ull << 20)
/* How far below the heap's top the handler may move the break: a larger drop reaches the
 * kernel, which gives the spare pages back to mmap. */
#define BRK_FAST_SPAN (8ull << 20)

/* The program's break, taken from the fast path's page for the kernel's turn: the page
 * then holds 0 (below the base), so the handler hands every brk to the kernel, and a move
 * it made before the exchange is the one read here (a later one fails its cmpxchg).
 * brk_give ends the turn; both run under the lock. */
static void brk_take(void)
{
	if (!brk_user)
		return;
	uint64_t cur = __atomic_exchange_n(&brk_user->cur, 0, __ATOMIC_SEQ_CST);
	uint64_t hw = __atomic_load_n(&brk_user->hw, __ATOMIC_RELAXED);
	if (cur >= brk_base && cur <= brk_top)
		brk_cur = cur;
	/* a mark the program spoiled: every page above the break may hold old data */
	brk_hw = hw >= brk_cur && hw <= brk_top ? hw : brk_top;
	/* pages above the break are gone on Linux, and their mbind policies with them */
	if (ALIGN_UP(brk_cur, PAGE_SIZE) < brk_top)
		mpol_forget(ALIGN_UP(brk_cur, PAGE_SIZE), brk_top);
}

static void brk_give(void)
{
	if (!brk_user)
		return;
	/* the handler keeps Linux's gap: a free page above the break's last one */
	uint64_t hi = brk_top - MIN(brk_top, PAGE_SIZE);
	brk_limits->base = brk_base;
	brk_limits->fast_lo = MAX(brk_base, brk_top - MIN(brk_top, BRK_FAST_SPAN));
	brk_limits->fast_hi = hi >= brk_base ? hi : 0;
	__atomic_store_n(&brk_user->hw, brk_hw, __ATOMIC_RELAXED);
	/* last, with release order: a handler that sees the break sees the limits */
	__atomic_store_n(&brk_user->cur, brk_cur, __ATOMIC_RELEASE);
}

void uvm_brk_share(struct uvm_brk_user *user, struct uvm_brk_limits *limits)
{
	spin_lock(&lock);
	brk_user = user;
	brk_limits = limits;
	brk_hw = brk_cur;
	brk_give();
	spin_unlock(&lock);
}

/* Linux's brk keeps a free page between the break's last page and the next mapping. */
static bool brk_gap_free(uint64_t addr)
{
	uint64_t end = ALIGN_UP(addr, PAGE_SIZE);
	if (end <= ALIGN_UP(brk_cur, PAGE_SIZE) || end + PAGE_SIZE <= brk_top)
		return true;
	return range_free(MAX(end, brk_top), end + PAGE_SIZE);
}

/* Hands the heap the pages up to addr's, and BRK_AHEAD more where they are free. */
static bool brk_extend(uint64_t addr)
{
	uint64_t need = ALIGN_UP(addr, PAGE_SIZE), top = need;
	if (brk_user && win_hi - need >= BRK_AHEAD && range_free(brk_top, need + BRK_AHEAD))
		top = need + BRK_AHEAD;
	if (!range_free(brk_top, top) || !add_range(brk_top, top))
		return false;
	hand_out(brk_top, top);
	brk_top = top;
	return true;
}

/* Gives the heap's pages from keep up back to mmap (kept if the range list is full). */
static void brk_release(uint64_t keep)
{
	if (keep >= brk_top || !remove_range(keep, brk_top))
		return;
	brk_top = keep;
	brk_hw = MIN(brk_hw, brk_top);
}

/* A mapping made or removed at [a, b) takes the heap's spare pages (those above the
 * break) back first: the break then cannot grow over it, as Linux's brk fails at a
 * mapping. */
static void brk_yield(uint64_t a, uint64_t b)
{
	brk_take();
	uint64_t spare = ALIGN_UP(brk_cur, PAGE_SIZE);
	if (a < brk_top && spare < b)
		brk_release(spare);
	brk_give();
}

int64_t uvm_brk(uint64_t addr)
{
	spin_lock(&lock);
	brk_take();
	if (addr >= brk_base && addr - brk_base <= win_hi - brk_base && brk_gap_free(addr) &&
	    (addr <= brk_top || brk_extend(addr))) {
		if (addr > brk_cur) {
			/* pages Linux would give anew read as zeros; [hw, top) already does */
			uint64_t from = ALIGN_UP(brk_cur, PAGE_SIZE);
			uint64_t to = ALIGN_UP(MIN(addr, brk_hw), PAGE_SIZE);
			if (to > from)
				memset((void *)from, 0, to - from);
			brk_hw = MAX(brk_hw, addr);
		}
		brk_cur = addr;
		brk_release(ALIGN_UP(addr, PAGE_SIZE) + (brk_user ? BRK_AHEAD : 0));
	}
	brk_give();
	int64_t ret = (int64_t)brk_cur;
	spin_unlock(&lock);
	return ret;
}

int64_t uvm_madvise(uint64_t addr, uint64_t len, int advice)
{
	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!in_window(addr, len))
		return -ENOMEM;
	if (advice == MADV_DONTNEED || advice == MADV_REMOVE)
		memset((void *)addr, 0, len); /* anonymous memory reads back as zeros */
	return 0;
}

int64_t uvm_mprotect(uint64_t addr, uint64_t len)
{
	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	return in_window(addr, len) ? 0 : -ENOMEM;
}

bool uvm_mapped(uint64_t a, uint64_t b, bool all)
{
	bool r = false;
	spin_lock(&lock);
	brk_take();
	brk_give();
	/* the heap's pages above the break are not the program's yet */
	uint64_t sa = ALIGN_UP(brk_cur, PAGE_SIZE), sb = brk_top;
	bool in_spare = sa < sb && a < sb && sa < b;
	/* touching ranges are merged, so a mapped interval is one range */
	for (int i = 0; i < nused && !r; i++) {
		uint64_t lo = MAX(used[i].start, a), hi = MIN(used[i].end, b);
		r = all ? used[i].start <= a && b <= used[i].end && !in_spare
			: lo < hi && (lo < sa || hi > sb);
	}
	spin_unlock(&lock);
	return r;
}
