/* pthread mutex, condition variable and barrier stress: N threads (argv[1], as many as
 * vCPUs) count under a mutex, pass a token round-robin with a condvar, and meet at
 * barriers. The result is deterministic. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define ITERS 20000
#define ROUNDS 200

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t barrier;
static long counter, turn;
static int nthreads;

static void *worker(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < ITERS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	pthread_barrier_wait(&barrier);
	for (int r = 0; r < ROUNDS; r++) {
		pthread_mutex_lock(&lock);
		while (turn % nthreads != id)
			pthread_cond_wait(&cond, &lock);
		turn++;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&lock);
	}
	pthread_barrier_wait(&barrier);
	return (void *)(id * 10);
}

int main(int argc, char **argv)
{
	nthreads = argc > 1 ? atoi(argv[1]) : 2;
	if (nthreads < 1 || nthreads > 64)
		return 2;
	pthread_t t[64];
	pthread_barrier_init(&barrier, NULL, (unsigned)nthreads);
	for (long i = 1; i < nthreads; i++)
		if ((errno = pthread_create(&t[i], NULL, worker, (void *)i))) {
			printf("pthread_create failed: %s\n",
			       errno == EAGAIN ? "EAGAIN" : "other error");
			return 1;
		}
	worker(0);
	long joined = 0;
	for (long i = 1; i < nthreads; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		joined += (long)ret;
	}
	printf("threads %d counter %ld turns %ld joined %ld\n", nthreads, counter, turn, joined);
	return counter == (long)nthreads * ITERS && turn == (long)nthreads * ROUNDS ? 0 : 1;
}
