/*
 * NUMA memory policies, answered by the kernel (no offload). The VM has one NUMA node,
 * node 0: hvmm's boot info describes no other and its /sys view shows node0 alone. All
 * memory is reserved and mapped at boot, so a policy moves nothing: it is checked as
 * Linux checks it (mm/mempolicy.c), recorded and reported back by get_mempolicy.
 * One policy serves all of the program's threads (Linux keeps one per thread).
 */
#include "syscall.h"
#include "lock.h"
#include "mempolicy.h"
#include "uaccess.h"
#include "uvm.h"

#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_LOCAL 4
#define MPOL_PREFERRED_MANY 5
#define MPOL_MAX 6 /* as Debian 12's Linux 6.1: no weighted interleave */
#define MPOL_F_STATIC_NODES (1 << 15)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_NUMA_BALANCING (1 << 13)
#define MPOL_MODE_FLAGS (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES | MPOL_F_NUMA_BALANCING)
#define MPOL_F_NODE 1
#define MPOL_F_ADDR 2
#define MPOL_F_MEMS_ALLOWED 4
#define MPOL_MF_STRICT 1
#define MPOL_MF_VALID 7 /* STRICT, MOVE, MOVE_ALL (the program is root of its VM) */
/* Masks are checked against Debian's MAX_NUMNODES (CONFIG_NODES_SHIFT=10); one node id. */
#define MAX_NUMNODES 1024
#define NR_NODE_IDS 1
#define MASK_WORDS (MAX_NUMNODES / 64)
#define MAX_BINDS 64 /* mbind ranges remembered at once */

struct nodes {
	uint64_t w[MASK_WORDS];
};

struct policy {
	int mode;	    /* MPOL_*; MPOL_DEFAULT: none */
	int flags;	    /* the MPOL_MODE_FLAGS given */
	struct nodes nodes; /* in effect: the given nodes that exist */
	struct nodes user;  /* as given: reported when a mode flag was given */
};

/* An mbind range; a later one hides an earlier one where they overlap. */
struct bind {
	uint64_t start, end;
	struct policy pol;
	uint64_t home; /* set_mempolicy_home_node's node: recorded, changes nothing */
};

static spinlock_t lock;
static struct policy task_policy; /* zero: MPOL_DEFAULT */
static struct bind binds[MAX_BINDS];
static int nbinds;

static bool nodes_empty(const struct nodes *n)
{
	for (int i = 0; i < MASK_WORDS; i++)
		if (n->w[i])
			return false;
	return true;
}

/* Linux's get_nodes: maxnode - 1 bits from user memory; bits past MAX_NUMNODES must be 0. */
static int64_t get_nodes(struct nodes *n, uint64_t nmask, uint64_t maxnode)
{
	memset(n, 0, sizeof(*n));
	--maxnode;
	if (maxnode == 0 || !nmask)
		return 0;
	if (maxnode > PAGE_SIZE * 8)
		return -EINVAL;
	while (maxnode > MAX_NUMNODES) { /* one word at a time, from the end */
		uint64_t bits = MIN(maxnode, 64), at = nmask + (maxnode - 1) / 64 * 8;
		if (!user_ok(at, 8))
			return -EFAULT;
		uint64_t t = *(volatile uint64_t *)at;
		if (maxnode - bits >= MAX_NUMNODES)
			maxnode -= bits;
		else
			maxnode = MAX_NUMNODES;
		if (t)
			return -EINVAL;
	}
	uint64_t words = (maxnode + 63) / 64;
	if (!user_ok(nmask, words * 8))
		return -EFAULT;
	memcpy(n->w, (const void *)nmask, words * 8);
	if (maxnode % 64)
		n->w[words - 1] &= (1ull << (maxnode % 64)) - 1;
	return 0;
}

/* The mode argument: flags split off and checked (sanitize_mpol_flags). */
static int64_t split_mode(uint64_t arg, int *mode, int *flags)
{
	int m = (int)(uint32_t)arg;
	*flags = m & MPOL_MODE_FLAGS;
	*mode = m & ~MPOL_MODE_FLAGS;
	if ((unsigned)*mode >= MPOL_MAX)
		return -EINVAL;
	if ((*flags & MPOL_F_STATIC_NODES) && (*flags & MPOL_F_RELATIVE_NODES))
		return -EINVAL;
	if ((*flags & MPOL_F_NUMA_BALANCING) && *mode != MPOL_BIND)
		return -EINVAL;
	return 0;
}

/* mpol_new and mpol_set_nodemask: the policy, or EINVAL. */
static int64_t make_policy(int mode, int flags, const struct nodes *n, struct policy *p)
{
	bool empty = nodes_empty(n);
	int fixed = flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES);
	memset(p, 0, sizeof(*p));
	if (mode == MPOL_DEFAULT)
		return empty ? 0 : -EINVAL;
	if (mode == MPOL_PREFERRED && empty) {
		if (fixed)
			return -EINVAL;
		mode = MPOL_LOCAL; /* preferred with no node: local allocation */
	} else if (mode == MPOL_LOCAL) {
		if (!empty || fixed)
			return -EINVAL;
	} else if (empty) {
		return -EINVAL;
	}
	p->mode = mode;
	p->flags = flags;
	p->user = *n;
	if (mode == MPOL_LOCAL)
		return 0;
	/* The nodes that exist: node 0. Relative nodes fold onto it whatever they name. */
	p->nodes.w[0] = (flags & MPOL_F_RELATIVE_NODES) ? 1 : n->w[0] & 1;
	return nodes_empty(&p->nodes) ? -EINVAL : 0;
}

/* What get_mempolicy reports as the policy's nodes. */
static const struct nodes *reported(const struct policy *p)
{
	return p->mode != MPOL_DEFAULT && (p->flags & MPOL_MODE_FLAGS) ? &p->user : &p->nodes;
}

/* The newest mbind range holding addr, or NULL. Under the lock. */
static const struct bind *bind_at(uint64_t addr)
{
	for (int i = nbinds - 1; i >= 0; i--)
		if (binds[i].start <= addr && addr < binds[i].end)
			return &binds[i];
	return NULL;
}

static void bind_drop(int i)
{
	memmove(&binds[i], &binds[i + 1], (size_t)(nbinds - i - 1) * sizeof(binds[0]));
	nbinds--;
}

void mpol_forget(uint64_t a, uint64_t b)
{
	spin_lock(&lock);
	for (int i = 0; i < nbinds; i++) {
		struct bind *x = &binds[i];
		if (x->end <= a || b <= x->start)
			continue;
		if (a <= x->start && x->end <= b) {
			bind_drop(i--);
		} else if (x->start < a && b < x->end) {
			if (nbinds < MAX_BINDS) { /* the part above the hole, as a newer range */
				binds[nbinds] = *x;
				binds[nbinds++].start = b;
			}
			x->end = a;
		} else if (x->start < a) {
			x->end = a;
		} else {
			x->start = b;
		}
	}
	spin_unlock(&lock);
}

int64_t sys_set_mempolicy(struct regs *r)
{
	int mode, flags;
	struct nodes n;
	struct policy p;
	int64_t e = split_mode(r->rdi, &mode, &flags);
	if (!e)
		e = get_nodes(&n, r->rsi, r->rdx);
	if (!e)
		e = make_policy(mode, flags, &n, &p);
	if (e)
		return e;
	spin_lock(&lock);
	task_policy = p;
	spin_unlock(&lock);
	return 0;
}

/* copy_nodes_to_user: maxnode - 1 bits, rounded up to words; past the one node id, zeros. */
static int64_t put_nodes(uint64_t mask, uint64_t maxnode, const struct nodes *n)
{
	uint64_t copy = ALIGN_UP(maxnode - 1, 64) / 8, have = (NR_NODE_IDS + 63) / 64 * 8;
	if (copy > have) {
		if (copy > PAGE_SIZE)
			return -EINVAL;
		if (!user_ok(mask + have, copy - have))
			return -EFAULT;
		memset((void *)(mask + have), 0, copy - have);
		copy = have;
	}
	if (!user_ok(mask, copy))
		return -EFAULT;
	memcpy((void *)mask, n->w, copy);
	return 0;
}

int64_t sys_get_mempolicy(struct regs *r)
{
	uint64_t policy = r->rdi, nmask = r->rsi, maxnode = r->rdx, addr = r->r10, flags = r->r8;
	if (nmask && maxnode < NR_NODE_IDS)
		return -EINVAL;
	if (flags & ~(uint64_t)(MPOL_F_NODE | MPOL_F_ADDR | MPOL_F_MEMS_ALLOWED))
		return -EINVAL;
	int val = 0;
	struct policy p = { 0 };
	if (flags & MPOL_F_MEMS_ALLOWED) {
		if (flags & (MPOL_F_NODE | MPOL_F_ADDR))
			return -EINVAL;
		p.nodes.w[0] = 1; /* the nodes the program may use: node 0 */
	} else {
		if (flags & MPOL_F_ADDR) {
			if (!uvm_mapped(addr, addr + 1, false))
				return -EFAULT;
		} else if (addr) {
			return -EINVAL;
		}
		spin_lock(&lock);
		const struct bind *b = flags & MPOL_F_ADDR ? bind_at(addr) : NULL;
		if (b)
			p = b->pol;
		else if (!(flags & MPOL_F_ADDR))
			p = task_policy;
		spin_unlock(&lock);
		if (flags & MPOL_F_NODE) {
			/* the node of addr's page, or the next interleave node: node 0 either way */
			if (!(flags & MPOL_F_ADDR) && p.mode != MPOL_INTERLEAVE)
				return -EINVAL;
			val = 0;
		} else {
			val = p.mode | (p.flags & MPOL_MODE_FLAGS);
		}
	}
	if (policy && !put_user_u32(policy, (uint32_t)val))
		return -EFAULT;
	return nmask ? put_nodes(nmask, maxnode, reported(&p)) : 0;
}

/* Records pol on [start, end), dropping the ranges it hides wholly. */
static int64_t bind_add(uint64_t start, uint64_t end, const struct policy *pol)
{
	int64_t e = 0;
	spin_lock(&lock);
	bool under = false;
	for (int i = 0; i < nbinds; i++) {
		if (start <= binds[i].start && binds[i].end <= end)
			bind_drop(i--);
		else if (binds[i].start < end && start < binds[i].end)
			under = true;
	}
	if (pol->mode == MPOL_DEFAULT && !under)
		; /* nothing left to hide */
	else if (nbinds == MAX_BINDS)
		e = -ENOMEM;
	else
		binds[nbinds++] = (struct bind){ .start = start, .end = end, .pol = *pol };
	spin_unlock(&lock);
	return e;
}

/* [start, start + len rounded up to pages) in *end: start page-aligned, no wrap (EINVAL). */
static int64_t page_range(uint64_t start, uint64_t len, uint64_t *end)
{
	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	*end = start + ((len + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1));
	return *end < start ? -EINVAL : 0;
}

int64_t sys_mbind(struct regs *r)
{
	uint64_t start = r->rdi, len = r->rsi;
	uint32_t flags = (uint32_t)r->r9;
	int mode, mflags;
	struct nodes n;
	struct policy p;
	int64_t e = split_mode(r->rdx, &mode, &mflags);
	if (!e)
		e = get_nodes(&n, r->r10, r->r8);
	if (e)
		return e;
	if (flags & ~(uint32_t)MPOL_MF_VALID)
		return -EINVAL;
	uint64_t end;
	if ((e = page_range(start, len, &end)) || end == start)
		return e;
	if ((e = make_policy(mode, mflags, &n, &p)))
		return e;
	/* A hole in the range is EFAULT; resetting to the default only needs some mapping. */
	if (!uvm_mapped(start, end, mode != MPOL_DEFAULT))
		return -EFAULT;
	return bind_add(start, end, &p);
}

int64_t sys_set_mempolicy_home_node(struct regs *r)
{
	uint64_t start = r->rdi, len = r->rsi, home = r->rdx;
	if (r->r10)
		return -EINVAL;
	uint64_t end;
	int64_t e = page_range(start, len, &end);
	if (e)
		return e;
	if (home >= MAX_NUMNODES || home >= NR_NODE_IDS) /* node 0 is the one online */
		return -EINVAL;
	if (end == start)
		return 0;
	e = -ENOENT; /* no range here has a policy */
	spin_lock(&lock);
	for (int i = 0; i < nbinds && e != -EOPNOTSUPP; i++) {
		struct bind *b = &binds[i];
		if (b->end <= start || end <= b->start || b->pol.mode == MPOL_DEFAULT)
			continue;
		if (b->pol.mode != MPOL_BIND && b->pol.mode != MPOL_PREFERRED_MANY) {
			e = -EOPNOTSUPP;
		} else {
			b->home = home;
			e = 0;
		}
	}
	spin_unlock(&lock);
	return e;
}
