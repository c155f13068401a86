/* The fast path's calls and faults (docs/lwk.md "The fast path for system calls"), run
 * natively and in a VM with --fastpath on and off: the answers must be the same.
 *   calls  - getpid, getppid, sched_yield and futex calls through one raw syscall site (rewritten after
 *            its first futex wake), the edges the fast path hands to the kernel (bad and
 *            unaligned addresses, a zero bitset, waits, numbers beyond the slide), and
 *            futexes under contention (mutex and condition variable ping-pong)
 *   site   - the bytes at that site after a futex wake went through it (ff d0 once
 *            rewritten; not compared with native)
 *   crash  - a fault right after a rewritten site: it prints the faulting address first
 *   null   - a call through a NULL function pointer
 *   brk    - brk through that site (answered by the handler once rewritten): moves within a
 *            page and across pages, what reads as zero after a shrink and regrowth (the
 *            break's own page keeps its bytes, later pages are new), large moves beyond the
 *            kernel's spare pages, refused addresses, and a mapping the break cannot grow
 *            over; offsets from the first page boundary above the initial break
 *   brk_page - the fast path's copy of the break (VA 0x1ff000) after handler-answered moves
 *            (VM with the fast path on only)
 *   brk_race - one thread grows the break over a page another thread maps and unmaps there
 *            (MAP_FIXED_NOREPLACE) again and again: on Linux one of the two is refused each
 *            time, so the mover's writes never reach the mapper's page: "corrupted 0"
 *   brk_spoil - hostile: the program writes garbage into the fast path's copy of the break
 *            (VM with the fast path on only): an out-of-window break and a zero high mark,
 *            then a break above the heap's top and a high mark beyond it; each time the
 *            kernel's own break answers brk(0), and a raise over pages the program had
 *            written gives zeroed pages
 *   getpid_loop - 1000 getpid calls through the raw site, all answering the pid (hvmm -v
 *            counts the calls that trapped: with the fast path on, only the first)
 *   null_read - a read of NULL + 6 KiB (beyond the fast path's page at 0): the fault, as
 *            natively
 *   handler_jump noncanonical|kernel - hostile: a jump straight to the handler's own
 *            `syscall` with a return address the kernel must not return to (VM with the
 *            fast path on only): the kernel takes the call as the handler's, which then
 *            stops on its ud2 (SIGILL) */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SYS_BRK 12
#define SYS_SCHED_YIELD 24
#define SYS_GETPID 39
#define SYS_GETPPID 110
#define SYS_FUTEX 202
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE 128
#define FUTEX_WAIT_BITSET 9
#define FUTEX_CLOCK_RT 256

extern const unsigned char fp_site[], fp_crash_ud2[];

/* One syscall site for every call below (like libc's syscall()); the label marks it. */
__attribute__((noinline, noclone)) static long raw6(long n, long a, long b, long c, long d, long e,
						    long f)
{
	register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
	long ret;
	/* aligned: a site that ends a 16-byte block is never rewritten */
	__asm__ volatile(".p2align 4\n.globl fp_site\nfp_site: syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static long futex(void *addr, long op, long val, const struct timespec *ts, long val3)
{
	return raw6(SYS_FUTEX, (long)addr, op, val, (long)ts, 0, val3);
}

static const char *err_name(long r)
{
	static char buf[32];
	switch (r) {
	case -EFAULT:
		return "EFAULT";
	case -EINVAL:
		return "EINVAL";
	case -EAGAIN:
		return "EAGAIN";
	case -ETIMEDOUT:
		return "ETIMEDOUT";
	case -ENOSYS:
		return "ENOSYS";
	}
	snprintf(buf, sizeof buf, "%ld", r);
	return buf;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_cv = PTHREAD_COND_INITIALIZER;
static long counter, turn, rounds_done[2];
enum {
	INCREMENTS = 100000,
	ROUNDS = 5000
};

static void *contend(void *arg)
{
	long me = (long)arg;
	for (int i = 0; i < INCREMENTS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		while (turn != me)
			pthread_cond_wait(&turn_cv, &lock);
		rounds_done[me]++;
		turn = !me;
		pthread_cond_signal(&turn_cv);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

/* A waiter on flag through the raw site (a spin, or the kernel, sees the store). */
static int flag;
static long wait_returns_bad;

static void *flag_waiter(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&flag, __ATOMIC_ACQUIRE)) {
		long r = futex(&flag, FUTEX_WAIT | FUTEX_PRIVATE, 0, 0, 0);
		wait_returns_bad += r != 0 && r != -EAGAIN;
	}
	return NULL;
}

static int calls(void)
{
	static int word __attribute__((aligned(8)));
	long pid = getpid(), ppid = getppid(), same_pid = 0, same_ppid = 0, yields = 0;
	printf("futex wake, no waiter: %ld\n", futex(&word, FUTEX_WAKE | FUTEX_PRIVATE, 1, 0, 0));
	for (int i = 0; i < 1000; i++) {
		same_pid += raw6(SYS_GETPID, 0, 0, 0, 0, 0, 0) == pid;
		same_ppid += raw6(SYS_GETPPID, 0, 0, 0, 0, 0, 0) == ppid;
	}
	printf("getpid as libc's: %ld/1000, getppid: %ld/1000\n", same_pid, same_ppid);
	for (int i = 0; i < 1000; i++)
		yields += raw6(SYS_SCHED_YIELD, 0, 0, 0, 0, 0, 0) == 0;
	printf("sched_yield answered 0: %ld/1000\n", yields);
	long woke = 0;
	for (int i = 0; i < 1000; i++)
		woke += futex(&word, FUTEX_WAKE, 1, 0, 0) +
			futex(&word, FUTEX_WAKE_BITSET, 5, 0, 1);
	printf("futex wakes without waiters: %ld woken\n", woke);
	printf("futex wake at address 8: %s\n", err_name(futex((void *)8, FUTEX_WAKE, 1, 0, 0)));
	printf("futex wake unaligned: %s\n",
	       err_name(futex((char *)&word + 1, FUTEX_WAKE | FUTEX_PRIVATE, 1, 0, 0)));
	printf("futex wake, bitset 0: %s\n",
	       err_name(futex(&word, FUTEX_WAKE_BITSET | FUTEX_PRIVATE, 1, 0, 0)));
	printf("futex wait, other value: %s\n",
	       err_name(futex(&word, FUTEX_WAIT | FUTEX_PRIVATE, 1, 0, 0)));
	struct timespec ms = { 0, 1000000 };
	printf("futex wait, 1 ms: %s\n",
	       err_name(futex(&word, FUTEX_WAIT | FUTEX_PRIVATE, 0, &ms, 0)));
	printf("futex op 99: %s\n", err_name(futex(&word, 99, 0, 0, 0)));
	/* the realtime clock flag: absolute waits only (FUTEX_WAIT_BITSET) */
	printf("futex wake, realtime clock: %s\n",
	       err_name(futex(&word, FUTEX_WAKE | FUTEX_PRIVATE | FUTEX_CLOCK_RT, 1, 0, 0)));
	printf("futex wait, realtime clock: %s\n",
	       err_name(futex(&word, FUTEX_WAIT | FUTEX_PRIVATE | FUTEX_CLOCK_RT, 1, 0, 0)));
	printf("futex wake bitset, realtime clock: %s\n",
	       err_name(futex(&word, FUTEX_WAKE_BITSET | FUTEX_CLOCK_RT, 1, 0, ~0)));
	printf("futex wait bitset, realtime clock, other value: %s\n",
	       err_name(
		       futex(&word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE | FUTEX_CLOCK_RT, 1, 0, ~0)));
	printf("system call 4000: %s\n", err_name(raw6(4000, 0, 0, 0, 0, 0, 0)));
	printf("system call -1: %s\n", err_name(raw6(-1, 0, 0, 0, 0, 0, 0)));
	/* Not canonical as an address: the call itself faults. Linux takes the low 32 bits. */
	printf("system call 0x8000ffffffff: %s\n",
	       err_name(raw6(0x8000ffffffffl, 0, 0, 0, 0, 0, 0)));

	pthread_t t[2];
	pthread_create(&t[0], NULL, flag_waiter, NULL);
	nanosleep(&ms, NULL);
	__atomic_store_n(&flag, 1, __ATOMIC_RELEASE);
	futex(&flag, FUTEX_WAKE | FUTEX_PRIVATE, 1, 0, 0);
	pthread_join(t[0], NULL);
	printf("a waiter on a word saw it change; waits that answered neither 0 nor EAGAIN: %ld\n",
	       wait_returns_bad);

	for (long i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, contend, (void *)i);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("contended increments: %ld of %d, ping-pong rounds: %ld and %ld of %d\n", counter,
	       2 * INCREMENTS, rounds_done[0], rounds_done[1], ROUNDS);
	return 0;
}

static long brk_to(uintptr_t addr)
{
	return raw6(SYS_BRK, (long)addr, 0, 0, 0, 0, 0);
}

static long count(const unsigned char *p, long n, unsigned char v)
{
	long c = 0;
	for (long i = 0; i < n; i++)
		c += p[i] == v;
	return c;
}

/* No malloc here: it would keep its heap at the break this moves. */
static int brk_calls(void)
{
	const long pg = 4096, end = 3 * pg + 5, big = 16l << 20, mib = 1l << 20;
	long b0 = brk_to(0);
	long p = (b0 + pg - 1) & ~(pg - 1);
	unsigned char *h = (unsigned char *)p;
	printf("brk(0) twice: %s\n", brk_to(0) == b0 ? "same" : "differs");
	printf("to the page boundary: %s\n", brk_to(p) == p ? "moved" : "refused");
	printf("grow by 100: %+ld\n", brk_to(p + 100) - p);
	memset(h, 0x5a, 100);
	printf("grow to 3 pages + 5: %+ld\n", brk_to(p + end) - p);
	printf("new bytes zero: %ld of %ld\n", count(h + 100, end - 100, 0), end - 100);
	memset(h + 100, 0xaa, end - 100);
	printf("shrink to 50: %+ld\n", brk_to(p + 50) - p);
	printf("grow back: %+ld\n", brk_to(p + end) - p);
	printf("the break's page kept: %ld of 100, %ld of %ld\n", count(h, 100, 0x5a),
	       count(h + 100, pg - 100, 0xaa), pg - 100);
	printf("later pages zero: %ld of %ld\n", count(h + pg, end - pg, 0), end - pg);

	printf("grow to 16 MiB: %+ld\n", brk_to(p + big) - p);
	printf("zero: %ld of %ld\n", count(h + end, big - end, 0), big - end);
	memset(h, 0x33, big);
	long steps = 0, zero = 0;
	for (long at = big - mib; at >= 0; at -= mib) /* handler, then the kernel */
		steps += brk_to(p + at) == p + at;
	for (long at = mib; at <= big; at += mib) {
		steps += brk_to(p + at) == p + at;
		zero += count(h + at - mib, mib, 0);
	}
	printf("16 MiB down and up by 1 MiB: %ld of 32 moves, %ld of %ld zero\n", steps, zero, big);
	memset(h, 0x44, big);
	long down = brk_to(p + 2 * pg) - p, up = brk_to(p + big) - p;
	printf("down to 2 pages and to 16 MiB: %+ld %+ld, zero %ld of %ld\n", down, up,
	       count(h + 2 * pg, big - 2 * pg, 0), big - 2 * pg);

	volatile long cur = brk_to(0);
	printf("below the start: %s\n", brk_to(1) == cur ? "unchanged" : "moved");
	/* refused whatever the host's overcommit: a mapping (the stack) is in the way, or the
	 * address is beyond user space */
	printf("at the stack: %s\n", brk_to((uintptr_t)&cur) == cur ? "unchanged" : "moved");
	printf("at 128 TiB: %s\n", brk_to(1ul << 47) == cur ? "unchanged" : "moved");

	brk_to(p + pg);
	unsigned char *m = mmap((void *)(p + 16 * pg), pg, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	printf("a mapping 16 pages above: %s\n",
	       m == (void *)(p + 16 * pg) ? "there" : "not there");
	if (m != (void *)(p + 16 * pg))
		return 1;
	*m = 0x77;
	printf("grow over it: %s\n", brk_to(p + 32 * pg) == p + pg ? "refused" : "moved");
	printf("grow to 8 pages: %+ld\n", brk_to(p + 8 * pg) - p);
	/* Linux keeps a free page between the break's last page and a mapping */
	printf("grow to the page below it: %s\n",
	       brk_to(p + 16 * pg) == p + 8 * pg ? "refused" : "moved");
	printf("grow to two pages below it: %+ld\n", brk_to(p + 15 * pg) - p);
	printf("the mapping kept: %#x\n", *m);
	munmap(m, pg);
	long over = brk_to(p + 32 * pg) - p;
	printf("grow over where it was: %+ld, zero %ld of %ld\n", over,
	       count(h + 15 * pg, 17 * pg, 0), 17 * pg);
	printf("back to the start: %+ld\n", brk_to(p) - p);
	return 0;
}

static uintptr_t race_base;
static volatile int race_done;

static void *race_mapper(void *arg)
{
	long *corrupted = arg, maps = 0;
	unsigned char *want = (unsigned char *)(race_base + 40 * 4096);
	while (!race_done) {
		unsigned char *m = mmap(want, 4096, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (m == MAP_FAILED)
			continue; /* the heap is there now */
		memset(m, 0xc3, 4096);
		for (volatile int spin = 0; spin < 200; spin++)
			;
		*corrupted += count(m, 4096, 0xc3) != 4096;
		munmap(m, 4096);
		maps++;
	}
	fprintf(stderr, "brk_race: %ld maps\n", maps);
	return NULL;
}

static int brk_race(void)
{
	const long pg = 4096, rounds = 20000;
	long corrupted = 0, grown = 0;
	race_base = ((uintptr_t)brk_to(0) + pg - 1) & ~(pg - 1);
	brk_to(race_base + pg);
	pthread_t t;
	pthread_create(&t, NULL, race_mapper, &corrupted);
	for (long i = 0; i < rounds; i++) {
		if (brk_to(race_base + 64 * pg) == (long)(race_base + 64 * pg)) {
			memset((void *)(race_base + 39 * pg), 0x5a, 3 * pg); /* the heap's now */
			grown++;
		}
		brk_to(race_base + pg);
	}
	race_done = 1;
	pthread_join(t, NULL);
	fprintf(stderr, "brk_race: %ld of %ld grows granted\n", grown, rounds);
	printf("a break moved over a page another thread maps: corrupted %ld\n", corrupted);
	brk_to(race_base);
	return 0;
}

/* brk_spoil: a break 4 MiB up is beyond the handler's reach, so the kernel sets it (q + 100);
 * the handler makes the next move (q + 5000), which the kernel never sees. Then the program
 * spoils the page at 0x1ff000: the kernel's break must answer. */
static int brk_spoil(void)
{
	volatile uint64_t *page = (volatile uint64_t *)0x1ff000; /* cur, hw, moves */
	const long pg = 4096;
	long q = ((brk_to(0) + pg - 1) & ~(pg - 1)) + (4l << 20);
	static const struct {
		uint64_t cur, hw;
	} spoils[] = { { 0xdead00000000ul, 0 }, { 0, ~0ul } };
	int bad = 0;
	for (int i = 0; i < 2; i++) {
		long set = brk_to(q + 100);
		uint64_t moves = page[2];
		long moved = brk_to(q + 5000);
		if (set != q + 100 || moved != q + 5000 || page[2] != moves + 1) {
			printf("round %d: no handler move after the kernel's (%lx, %lx)\n", i, set,
			       moved);
			return 1;
		}
		memset((void *)(q + 100), 0xab, 5000 - 100);
		/* the second spoil: a break above the heap's top, inside the window */
		page[0] = spoils[i].cur ? spoils[i].cur : (uint64_t)q + (64l << 20);
		page[1] = spoils[i].hw;
		long now = brk_to(0);
		long raised = brk_to(q + 3 * pg);
		long kept = count((unsigned char *)(q + 100), pg - 100, 0xab);
		long zero = count((unsigned char *)(q + pg), 2 * pg, 0);
		printf("round %d: brk(0) %s, raised %s, the break's page kept %s, new pages zero "
		       "%s\n",
		       i, now == q + 100 ? "the kernel's break" : "wrong",
		       raised == q + 3 * pg ? "yes" : "no", kept == pg - 100 ? "yes" : "no",
		       zero == 2 * pg ? "yes" : "no");
		bad |= now != q + 100 || raised != q + 3 * pg || kept != pg - 100 || zero != 2 * pg;
	}
	return bad;
}

static int handler_jump(const char *kind)
{
	uintptr_t va = 0x400; /* FP_HANDLER_OFF; hidden from gcc, which sees no object there */
	__asm__("" : "+r"(va));
	const unsigned char *code = (const unsigned char *)va;
	uint64_t ret = !strcmp(kind, "kernel") ? 0xffffffff80001000ul : 0x8000000000000000ul;
	long at = -1;
	for (long i = 0; i < 0x300 && at < 0; i++) /* syscall; ud2 */
		if (code[i] == 0x0f && code[i + 1] == 0x05 && code[i + 2] == 0x0f &&
		    code[i + 3] == 0x0b)
			at = i;
	if (at < 0) {
		printf("no syscall in the handler\n");
		return 1;
	}
	printf("handler syscall at %lx\n", 0x400 + at);
	__asm__ volatile("pushq %1\n\tjmp *%2"
			 :
			 : "a"((long)SYS_GETPID), "r"(ret), "c"(0x400 + at)
			 : "memory");
	printf("came back\n");
	return 1;
}

/* The crash: a getpid at its own site (rewritten after the first call), then ud2. */
__attribute__((noinline, noclone)) static void getpid_then(long crash)
{
	__asm__ volatile("syscall\n\t"
			 "test %%rdi, %%rdi\n\t"
			 "jz 1f\n\t"
			 ".globl fp_crash_ud2\nfp_crash_ud2: ud2\n"
			 "1:"
			 :
			 : "a"((long)SYS_GETPID), "D"(crash)
			 : "rcx", "r11", "memory");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *mode = argc > 1 ? argv[1] : "calls";
	if (!strcmp(mode, "calls"))
		return calls();
	if (!strcmp(mode, "site")) {
		static int word;
		futex(&word, FUTEX_WAKE | FUTEX_PRIVATE, 1, 0, 0);
		futex(&word, FUTEX_WAKE | FUTEX_PRIVATE, 1, 0, 0);
		printf("site bytes: %02x %02x\n", fp_site[0], fp_site[1]);
		return 0;
	}
	if (!strcmp(mode, "crash")) {
		getpid_then(0);
		getpid_then(0);
		printf("crash at %lx\n", (unsigned long)(uintptr_t)fp_crash_ud2);
		getpid_then(1);
		return 0;
	}
	if (!strcmp(mode, "null")) {
		void (*volatile fn)(void) = NULL;
		printf("calling NULL\n");
		fn();
		return 0;
	}
	if (!strcmp(mode, "brk"))
		return brk_calls();
	if (!strcmp(mode, "brk_page")) {
		/* struct uvm_brk_user, then the count of the handler's moves */
		const volatile uint64_t *page = (const uint64_t *)0x1ff000;
		long p = (brk_to(0) + 4095) & ~4095l;
		brk_to(p + 100); /* the handler's, or the kernel's if it has no spare pages yet */
		uint64_t moves = page[2];
		brk_to(p + 5000);
		brk_to(p + 300);
		brk_to(p + 9000);
		printf("break page: %s, moves by the handler: %lu\n",
		       page[0] == (uint64_t)p + 9000 ? "in sync" : "differs",
		       (unsigned long)(page[2] - moves));
		return 0;
	}
	if (!strcmp(mode, "brk_race"))
		return brk_race();
	if (!strcmp(mode, "brk_spoil"))
		return brk_spoil();
	if (!strcmp(mode, "getpid_loop")) {
		long pid = getpid(), same = 0;
		for (int i = 0; i < 1000; i++)
			same += raw6(SYS_GETPID, 0, 0, 0, 0, 0, 0) == pid;
		printf("getpid through the site: %ld of 1000 answered the pid\n", same);
		return 0;
	}
	if (!strcmp(mode, "null_read")) {
		uintptr_t va = 0x1800;
		__asm__("" : "+r"(va));
		printf("reading NULL + 6 KiB\n");
		printf("read %d\n", *(volatile unsigned char *)va);
		return 0;
	}
	if (!strcmp(mode, "handler_jump") && argc > 2)
		return handler_jump(argv[2]);
	fprintf(stderr,
		"usage: fastpath calls|site|crash|null|null_read|getpid_loop|brk|brk_page|brk_race|"
		"brk_spoil|handler_jump KIND\n");
	return 2;
}
