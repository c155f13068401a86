/* The calls the lwk's fast path answers in user mode (docs/lwk.md), timed: prints
 * "MODE_ns X", nanoseconds per call (per round for brk). N defaults to 100000, 500 for brk.
 * usage: bench_fastcalls getpid|futex_wake|omp_region|brk [N]
 *   getpid      - getpid() from libc
 *   futex_wake  - FUTEX_WAKE_PRIVATE on a word nobody waits on
 *   omp_region  - an empty `#pragma omp parallel` region (OMP_NUM_THREADS as set)
 *   brk         - the break up by 132 KiB and back (two calls, as glibc's malloc grows and
 *                 trims its heap), one byte of every new page written in between: natively
 *                 each page faults, in the lwk the new pages are zeroed
 * For bench/overhead, natively and under hvmm with the fast path on and off. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "getpid";
	/* a brk round costs page faults natively: fewer of them by default */
	long n = argc > 2 ? atol(argv[2]) : !strcmp(mode, "brk") ? 500 : 100000;
	static int word;
	volatile long sink = 0;
	if (n <= 0)
		n = 1;
	/* One untimed call first: the lwk rewrites a site after it traps once. */
	for (int warm = 1; warm >= 0; warm--) {
		long reps = warm ? 1 : n;
		double t0 = now_ns();
		if (!strcmp(mode, "getpid")) {
			for (long i = 0; i < reps; i++)
				sink += getpid();
		} else if (!strcmp(mode, "futex_wake")) {
			for (long i = 0; i < reps; i++)
				sink += syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL,
						0);
		} else if (!strcmp(mode, "omp_region")) {
			for (long i = 0; i < reps; i++) {
#pragma omp parallel
				__asm__ volatile("" ::: "memory");
			}
		} else if (!strcmp(mode, "brk")) {
			const long step = 132 * 1024;
			for (long i = 0; i < reps; i++) {
				char *p = sbrk(step);
				if (p == (char *)-1) {
					perror("sbrk");
					return 1;
				}
				for (long off = 0; off < step; off += 4096)
					p[off] = 1;
				sbrk(-step);
			}
		} else {
			fprintf(stderr,
				"usage: bench_fastcalls getpid|futex_wake|omp_region|brk [N]\n");
			return 2;
		}
		if (!warm)
			printf("%s_ns %.1f\n", mode, (now_ns() - t0) / (double)n);
	}
	return (int)(sink & 0);
}
