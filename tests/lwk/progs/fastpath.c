/* The fast path's calls and faults (docs/lwk.md "The fast path for system calls"), run
 * natively and in a VM with --fastpath on and off: the answers must be the same.
 *   calls  - getpid, getppid, sched_yield and futex calls through one raw syscall site (rewritten after
 *            its first futex wake), the edges the fast path hands to the kernel (bad and
 *            unaligned addresses, a zero bitset, waits, numbers beyond the slide), and
 *            futexes under contention (mutex and condition variable ping-pong)
 *   site   - the bytes at that site after a futex wake went through it (ff d0 once
 *            rewritten; not compared with native)
 *   crash  - a fault right after a rewritten site: it prints the faulting address first
 *   null   - a call through a NULL function pointer */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SYS_SCHED_YIELD 24
#define SYS_GETPID 39
#define SYS_GETPPID 110
#define SYS_FUTEX 202
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE 128

extern const unsigned char fp_site[], fp_crash_ud2[];

/* One syscall site for every call below (like libc's syscall()); the label marks it. */
__attribute__((noinline, noclone)) static long raw6(long n, long a, long b, long c, long d, long e,
						    long f)
{
	register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile(".globl fp_site\nfp_site: syscall"
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
	fprintf(stderr, "usage: fastpath calls|site|crash|null\n");
	return 2;
}
