/* More threads than vCPUs: each scenario named on the command line prints what it saw,
 * which must be the same natively and in the lwk with 1 or 2 vCPUs (where threads share
 * vCPUs). Scenarios:
 *   pingpong  two threads hand a token back and forth through a mutex and condvar
 *   yield     four threads take turns by spinning on a shared counter with sched_yield
 *   spin      a thread spins, with no system call, until another (that must get a vCPU
 *             from the timer) sets a flag after sleeping
 *   sleep     four threads sleep to deadlines 30 ms apart (then 5 ms more) while the main
 *             thread waits in join; none may wake before its deadline
 *   churn     500 threads created and joined one after another, then 40 at once
 *   pipe      a reader blocked in a pipe read while another thread writes (lwk: needs the
 *             blocked offloaded call to give the vCPU away)
 *   many N    N threads at once that wait on a barrier; prints whether all started */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SMALL_STACK (64 * 1024)

static pthread_t start(void *(*fn)(void *), long arg)
{
	pthread_t t;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, SMALL_STACK);
	int e = pthread_create(&t, &a, fn, (void *)arg);
	pthread_attr_destroy(&a);
	if (e) {
		printf("pthread_create failed: %s\n", e == EAGAIN ? "EAGAIN" : "other error");
		exit(1);
	}
	return t;
}

static long join(pthread_t t)
{
	void *ret;
	pthread_join(t, &ret);
	return (long)ret;
}

/* pingpong */
#define PINGPONG_ROUNDS 2000
static pthread_mutex_t pp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_cond = PTHREAD_COND_INITIALIZER;
static long pp_token;

static void *pingpong_side(void *arg)
{
	long me = (long)arg, passes = 0;
	pthread_mutex_lock(&pp_lock);
	while (pp_token < 2 * PINGPONG_ROUNDS) {
		while (pp_token % 2 != me && pp_token < 2 * PINGPONG_ROUNDS)
			pthread_cond_wait(&pp_cond, &pp_lock);
		if (pp_token < 2 * PINGPONG_ROUNDS) {
			pp_token++;
			passes++;
			pthread_cond_signal(&pp_cond);
		}
	}
	pthread_mutex_unlock(&pp_lock);
	return (void *)passes;
}

static void pingpong(void)
{
	pthread_t t = start(pingpong_side, 1);
	long mine = (long)pingpong_side((void *)0), theirs = join(t);
	printf("pingpong: token %ld, passes %ld and %ld\n", pp_token, mine, theirs);
}

/* yield */
#define YIELD_THREADS 4
#define YIELD_ROUNDS 300
static volatile long yield_turn;

static void *yield_taker(void *arg)
{
	long me = (long)arg, turns = 0;
	for (int r = 0; r < YIELD_ROUNDS; r++) {
		while (__atomic_load_n(&yield_turn, __ATOMIC_ACQUIRE) % YIELD_THREADS != me)
			sched_yield();
		turns++;
		__atomic_add_fetch(&yield_turn, 1, __ATOMIC_RELEASE);
	}
	return (void *)turns;
}

static void yield(void)
{
	pthread_t t[YIELD_THREADS];
	for (long i = 1; i < YIELD_THREADS; i++)
		t[i] = start(yield_taker, i);
	long total = (long)yield_taker((void *)0);
	for (long i = 1; i < YIELD_THREADS; i++)
		total += join(t[i]);
	printf("yield: turn %ld, turns taken %ld\n", yield_turn, total);
}

/* spin */
static volatile int spin_flag;

static void *spin_setter(void *arg)
{
	(void)arg;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	for (volatile long i = 0; i < 1000000; i++)
		;
	__atomic_store_n(&spin_flag, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void spin(void)
{
	pthread_t t = start(spin_setter, 0);
	long loops = 0;
	while (!__atomic_load_n(&spin_flag, __ATOMIC_ACQUIRE))
		loops++;
	join(t);
	printf("spin: flag %d after %s\n", spin_flag, loops > 0 ? "spinning" : "no wait");
}

/* sleep */
#define SLEEPERS 4
static struct timespec sleep_base;
static long sleep_early;

static int ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void *sleeper(void *arg)
{
	long me = (long)arg;
	/* Absolute deadlines 30 ms apart from one base: none may end before its deadline,
	 * whatever else shares the vCPU (and however slowly the host runs). */
	struct timespec ts = sleep_base, now;
	ts.tv_nsec += (100 + 30 * me) * 1000 * 1000;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ts_before(&now, &ts))
		__atomic_add_fetch(&sleep_early, 1, __ATOMIC_RELAXED);
	/* A relative sleep, checked the same way. */
	struct timespec before, rel = { 0, 5 * 1000 * 1000 }, after;
	clock_gettime(CLOCK_MONOTONIC, &before);
	nanosleep(&rel, NULL);
	clock_gettime(CLOCK_MONOTONIC, &after);
	before.tv_nsec += rel.tv_nsec;
	before.tv_sec += before.tv_nsec / 1000000000;
	before.tv_nsec %= 1000000000;
	if (ts_before(&after, &before))
		__atomic_add_fetch(&sleep_early, 1, __ATOMIC_RELAXED);
	return (void *)1;
}

static void sleep_turns(void)
{
	pthread_t t[SLEEPERS];
	long woke = 0;
	clock_gettime(CLOCK_MONOTONIC, &sleep_base);
	for (long i = SLEEPERS - 1; i >= 0; i--)
		t[i] = start(sleeper, i);
	for (long i = 0; i < SLEEPERS; i++)
		woke += join(t[i]);
	printf("sleep: %ld sleepers woke, %ld before their deadline\n", woke, sleep_early);
}

/* churn */
static void *square(void *arg)
{
	long x = (long)arg;
	return (void *)(x * x);
}

static void churn(void)
{
	long sum = 0;
	for (long i = 0; i < 500; i++)
		sum += join(start(square, i));
	pthread_t t[40];
	for (long i = 0; i < 40; i++)
		t[i] = start(square, i);
	for (long i = 0; i < 40; i++)
		sum += join(t[i]);
	printf("churn: sum of squares %ld\n", sum);
}

/* pipe */
static int pipe_fds[2];

static void *pipe_reader(void *arg)
{
	(void)arg;
	char buf[64];
	long got = 0;
	ssize_t n;
	while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0)
		got += n;
	return (void *)got;
}

static void pipe_test(void)
{
	if (pipe(pipe_fds))
		return perror("pipe");
	pthread_t t = start(pipe_reader, 0);
	/* Let the reader block on the empty pipe first. */
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	long sent = 0;
	for (int i = 0; i < 100; i++)
		sent += write(pipe_fds[1], "0123456789", 10);
	close(pipe_fds[1]);
	printf("pipe: sent %ld, read %ld\n", sent, join(t));
	close(pipe_fds[0]);
}

/* many */
static pthread_barrier_t many_barrier;

static void *many_waiter(void *arg)
{
	pthread_barrier_wait(&many_barrier);
	return arg;
}

static void many(int n)
{
	if (n < 2 || n > 1000)
		exit(2);
	pthread_t *t = calloc((size_t)n, sizeof *t);
	pthread_barrier_init(&many_barrier, NULL, (unsigned)n);
	for (long i = 1; i < n; i++)
		t[i] = start(many_waiter, i);
	many_waiter(NULL);
	long sum = 0;
	for (long i = 1; i < n; i++)
		sum += join(t[i]);
	printf("many: %d threads, sum %ld\n", n, sum);
	free(t);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (!strcmp(s, "pingpong"))
			pingpong();
		else if (!strcmp(s, "yield"))
			yield();
		else if (!strcmp(s, "spin"))
			spin();
		else if (!strcmp(s, "sleep"))
			sleep_turns();
		else if (!strcmp(s, "churn"))
			churn();
		else if (!strcmp(s, "pipe"))
			pipe_test();
		else if (!strcmp(s, "many") && i + 1 < argc)
			many(atoi(argv[++i]));
		else
			return 2;
	}
	return 0;
}
