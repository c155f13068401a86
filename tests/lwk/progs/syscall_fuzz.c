/* Hostile-program check, run under hvmm only: calls system calls with random arguments
 * (seeded) -- bad pointers, kernel addresses, huge lengths, random paths. The kernel must
 * answer every one without crashing. The program may well corrupt itself (a valid pointer
 * with a huge length overwrites its own memory) and die of a fault: that is its business,
 * so the test accepts 0 or a fault status and refuses only a kernel crash. Calls that
 * would end or rewire the program on purpose (exit, clone, unmapping, signals, TLS,
 * sleeps, futex waits) are left out. Do not run it natively: it creates and removes
 * random files in its working directory. usage: syscall_fuzz [calls [seed]] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint64_t state = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

/* Valid pointers point into the first 64 KiB of a 16 MiB buffer, so that most "length"
 * arguments (small numbers, or a pointer's value) still stay inside it. */
static char scratch[16 << 20];

static long pick_arg(void)
{
	static const long fixed[] = {
		0,
		1,
		2,
		3,
		-1,
		-100 /* AT_FDCWD */,
		4096,
		0x7fffffff,
		(long)0xffffffff80100000ul,
		(long)0xffff888000000000ul,
		0x1000,
		0x7fffffffffffl,
		(long)(1ul << 63),
		1 << 20,
	};
	switch (next() % 5) {
	case 0:
		return fixed[next() % (sizeof fixed / sizeof fixed[0])];
	case 1:
		return (long)(scratch + next() % 65536);
	case 2:
		return (long)scratch; /* a short random string */
	case 3:
		return (long)(next() % 4096);
	default:
		return (long)next();
	}
}

static int excluded(long nr)
{
	static const long skip[] = {
		9,  11, 12, 15,	 25,  28,  34,	35,  56,  57,  58, 59,
		60, 61, 62, 158, 200, 202, 230, 231, 234, 435, 10, /* mprotect is harmless here, but keep memory untouched */
	};
	for (unsigned i = 0; i < sizeof skip / sizeof skip[0]; i++)
		if (skip[i] == nr)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000, done = 0;
	if (argc > 2)
		state ^= strtoull(argv[2], NULL, 0) * 0x2545f4914f6cdd1dull;
	close(0); /* nothing to block on */
	for (long i = 0; i < n; i++) {
		long nr = (long)(next() % 460);
		if (excluded(nr))
			continue;
		for (int k = 0; k < 16; k++)
			scratch[k] = (char)('a' + next() % 26);
		scratch[16] = 0;
		long a[6];
		for (int k = 0; k < 6; k++)
			a[k] = pick_arg();
		if (nr == 1 || nr == 18 || nr == 20 || nr == 296) /* keep stdout and stderr clean */
			if (a[0] == 1 || a[0] == 2)
				a[0] = 99;
		if (nr == 3 || nr == 33 || nr == 292 ||
		    nr == 436) /* close, dup2, dup3, close_range */
			if ((unsigned long)a[0] <= 2 || (unsigned long)a[1] <= 2)
				continue;
		syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		done++;
	}
	printf("survived %ld random system calls\n", done);
	return 0;
}
