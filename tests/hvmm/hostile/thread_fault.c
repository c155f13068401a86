/*
 * Hostile program (lwk): with N threads in all (argv[1], default 2; the lwk runs one
 * thread per vCPU), the last one faults (NULL dereference) while the others compute. The
 * whole process must die of SIGSEGV, natively and under hvmm alike, with the same output.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_long counter;

static void *compute(void *arg)
{
	(void)arg;
	for (;;)
		atomic_fetch_add(&counter, 1);
	return NULL;
}

static void *fault(void *arg)
{
	while (atomic_load(&counter) < 2000000)
		sched_yield();
	*(volatile int *)arg = 1; /* arg is (void *)8: a NULL dereference */
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2;
	pthread_t t;

	printf("threads start\n");
	fflush(stdout);
	for (int i = 1; i < n; i++) {
		int r = pthread_create(&t, NULL, i == n - 1 ? fault : compute,
				       i == n - 1 ? (void *)(uintptr_t)8 : NULL);
		if (r) {
			printf("pthread_create: error %d\n", r);
			return 1;
		}
	}
	compute(NULL);
	return 0;
}
