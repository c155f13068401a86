/*
 * hog: the noisy neighbour. One thread per CPU runs one of four modes for a while and
 * checks what it did:
 *   spin     a dependent LCG chain with a known result per batch;
 *   mem      streams a private buffer: write a pattern, read it back and compare;
 *   syscall  getppid(2) in a loop (a real system call: no vDSO); every answer must agree;
 *   fault    mmap an anonymous region, check it reads as zero, touch every page, read the
 *            pattern back, munmap: one page fault per 4 KiB page.
 */
#include "common.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

enum mode {
	SPIN,
	MEM,
	SYSCALL,
	FAULT
};
static const char *const mode_name[] = { "spin", "mem", "syscall", "fault" };
/* fault mode counts pages: on Linux each fresh page touched is one page fault */
static const char *const unit_name[] = { "steps", "bytes", "calls", "pages" };

#define PAGE 4096u
#define SPIN_STEPS 65536u
#define SYSCALL_BATCH 1024u

struct hog {
	enum mode mode;
	double seconds;
	uint64_t mem_bytes; /* per thread, mem and fault modes */
	uint64_t spin_expect;
	bool corrupt;
	atomic_bool failed_map;
	struct {
		_Alignas(64) uint64_t ops;
		uint64_t bad;
		uint64_t rounds;
	} t[WL_MAX_THREADS];
};

static uint64_t lcg(uint64_t x, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

/* One round of the mode; returns operations done and adds wrong results to *bad. */
static uint64_t round_once(struct hog *h, int tid, uint64_t round, uint64_t *buf, uint64_t *bad)
{
	bool spoil = h->corrupt && tid == 0 && round == 1; /* test only */
	switch (h->mode) {
	case SPIN: {
		uint64_t r = lcg(spoil ? 2 : 1, SPIN_STEPS);
		*bad += r != h->spin_expect;
		return SPIN_STEPS;
	}
	case MEM: {
		uint64_t n = h->mem_bytes / sizeof(uint64_t), wrong = 0;
		for (uint64_t i = 0; i < n; i++)
			buf[i] = round ^ i;
		if (spoil)
			buf[n / 2] ^= 1;
		for (uint64_t i = 0; i < n; i++)
			wrong += buf[i] != (round ^ i);
		*bad += wrong;
		return 2 * h->mem_bytes; /* written once, read once */
	}
	case SYSCALL: {
		long want = getppid();
		for (unsigned i = 0; i < SYSCALL_BATCH; i++) {
			long got = syscall(SYS_getppid);
			if (spoil && i == 7)
				got++;
			*bad += got != want;
		}
		return SYSCALL_BATCH;
	}
	case FAULT: {
		uint8_t *p = mmap(NULL, h->mem_bytes, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			atomic_store(&h->failed_map, true);
			return 0;
		}
		uint64_t pages = h->mem_bytes / PAGE;
		for (uint64_t i = 0; i < pages; i++) {
			*bad += p[i * PAGE + 8] != 0; /* fresh anonymous memory must read as zero */
			p[i * PAGE] = (uint8_t)(i + round);
		}
		if (spoil)
			p[PAGE] ^= 0x80;
		for (uint64_t i = 0; i < pages; i++)
			*bad += p[i * PAGE] != (uint8_t)(i + round);
		munmap(p, h->mem_bytes);
		return pages;
	}
	}
	return 0;
}

static void run(int tid, int nthreads, void *arg)
{
	(void)nthreads;
	struct hog *h = arg;
	uint64_t *buf = NULL;
	if (h->mode == MEM)
		buf = wl_alloc(h->mem_bytes);
	uint64_t ops = 0, bad = 0, round = 0;
	wl_barrier();
	double end = wl_now() + h->seconds;
	/* At least two rounds, so the test-only corruption in round 1 always happens. */
	do {
		ops += round_once(h, tid, round, buf, &bad);
		round++;
	} while ((round < 2 || wl_now() < end) && !atomic_load(&h->failed_map));
	h->t[tid].ops = ops;
	h->t[tid].bad = bad;
	h->t[tid].rounds = round;
	wl_barrier();
	if (buf)
		wl_free(buf);
}

int main(int argc, char **argv)
{
	struct wl_common c;
	const char *mode = "spin";
	double seconds = -1; /* not given */
	uint64_t mem = 0;
	const struct wl_opt opts[] = {
		{ "mode", WL_OPT_STR, &mode, "spin | mem | syscall | fault (default spin)" },
		{ "seconds", WL_OPT_DBL, &seconds, "how long to run (default 5, --small 0.2)" },
		{ "mem", WL_OPT_U64, &mem, "bytes per thread for mem/fault (default 64M / 2M)" },
		{ NULL, 0, NULL, NULL },
	};
	wl_parse(argc, argv, "hog",
		 "The noisy neighbour: CPU, memory bandwidth, syscalls or "
		 "page faults on every CPU, checked.",
		 opts, &c);
	struct hog *h = calloc(1, sizeof *h);
	if (!h)
		return WL_EXIT_ERROR;
	int m = 0;
	while (m < 4 && strcmp(mode, mode_name[m]))
		m++;
	if (m == 4) {
		fprintf(stderr, "hog: unknown --mode '%s'\n", mode);
		return WL_EXIT_USAGE;
	}
	h->mode = (enum mode)m;
	if (seconds == -1)
		seconds = c.small ? 0.2 : 5;
	if (!(seconds >= 0 && seconds <= 1e6)) {
		fprintf(stderr, "hog: --seconds must be 0..1e6\n");
		return WL_EXIT_USAGE;
	}
	h->seconds = seconds;
	if (!mem)
		mem = h->mode == MEM ? (c.small ? 1u << 20 : 64u << 20) : 2u << 20;
	h->mem_bytes = (mem + PAGE - 1) / PAGE * PAGE;
	h->corrupt = c.corrupt;
	h->spin_expect = lcg(1, SPIN_STEPS);

	int cpus[WL_MAX_THREADS];
	int ncpus = wl_cpus(cpus, WL_MAX_THREADS);
	int nthreads = c.threads ? (int)c.threads : ncpus;
	wl_say(&c, "hog: mode %s, %d threads, %.2f s%s\n", mode_name[m], nthreads, seconds,
	       c.corrupt ? " (input corrupted on purpose)" : "");
	double t0 = wl_now();
	if (wl_team_run(nthreads, cpus, ncpus, run, h))
		return WL_EXIT_ERROR;
	double dt = wl_now() - t0;

	uint64_t ops = 0, bad = 0, rounds = 0;
	for (int t = 0; t < nthreads; t++) {
		ops += h->t[t].ops;
		bad += h->t[t].bad;
		rounds += h->t[t].rounds;
	}
	bool mapfail = atomic_load(&h->failed_map);
	bool ok = bad == 0 && !mapfail;
	double rate = dt > 0 ? (double)ops / dt : 0;
	wl_say(&c, "hog: %llu %s in %.3f s = %.4g %s/s; %llu wrong: %s\n", (unsigned long long)ops,
	       unit_name[m], dt, rate, unit_name[m], (unsigned long long)bad,
	       mapfail ? "MMAP FAILED"
	       : ok    ? "verified"
		       : "WRONG ANSWER");

	struct wl_json j;
	wl_json_begin(&j, "hog", ok, nthreads);
	wl_json_str(&j, "mode", mode_name[m]);
	wl_json_str(&j, "unit", unit_name[m]);
	wl_json_int(&j, "ops", (long long)ops);
	wl_json_int(&j, "rounds", (long long)rounds);
	wl_json_num(&j, "rate", rate);
	wl_json_int(&j, "wrong", (long long)bad);
	wl_json_end(&j, wl_elapsed());
	return ok ? WL_EXIT_OK : WL_EXIT_VERIFY;
}
