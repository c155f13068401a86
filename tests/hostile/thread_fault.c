/* Hostile program (lwk): one thread faults while two others compute. The whole process
 * must die of SIGSEGV, natively and under hvmm alike, with the same output. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static atomic_long counter;

static void *compute(void *arg)
{
	(void)arg;
	for (;;) {
		atomic_fetch_add(&counter, 1);
		if (atomic_load(&counter) % 4096 == 0)
			sched_yield();
	}
	return NULL;
}

static void *fault(void *arg)
{
	while (atomic_load(&counter) < 200000)
		sched_yield();
	*(volatile int *)arg = 1; /* arg is (void *)8: a NULL dereference */
	return NULL;
}

int main(void)
{
	pthread_t t[3];

	printf("threads start\n");
	fflush(stdout);
	pthread_create(&t[0], NULL, compute, NULL);
	pthread_create(&t[1], NULL, compute, NULL);
	pthread_create(&t[2], NULL, fault, (void *)(uintptr_t)8);
	for (;;)
		sched_yield(); /* the fault ends the process */
}
