#include "guest_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26)
#endif

#ifndef MPOL_BIND
#define MPOL_BIND 2 /* <linux/mempolicy.h> */
#endif

#define HUGE_2M (2ull << 20)

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long free_hugepages_2m(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");
	long n = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld", &n) != 1)
		n = 0;
	fclose(f);
	return n;
}

const char *gm_backing_name(enum gm_backing b)
{
	switch (b) {
	case GM_BACKING_HUGETLB:
		return "hugetlb";
	case GM_BACKING_HUGETLBFS:
		return "hugetlbfs";
	case GM_BACKING_THP:
		return "thp";
	case GM_BACKING_4K:
		return "4k";
	default:
		return "none";
	}
}

#define POPULATE_MAX_THREADS 16
#define POPULATE_MIN_CHUNK (32ull << 20) /* below this a thread costs more than it saves */

struct populate_part {
	uint8_t *p;
	uint64_t len;
	int cpu;
	int err; /* errno, 0 when done */
	pthread_t thread;
};

static void *populate_thread(void *arg)
{
	struct populate_part *part = arg;

	if (madvise(part->p, part->len, MADV_POPULATE_WRITE))
		part->err = errno;
	return NULL;
}

/* Faults in [p, p+size) with up to ncpus pinned threads. Returns 0 or -errno. */
static int populate_parallel(uint8_t *p, uint64_t size, const int *cpus, int ncpus)
{
	struct populate_part part[POPULATE_MAX_THREADS];
	uint64_t chunk;
	int n = ncpus < POPULATE_MAX_THREADS ? ncpus : POPULATE_MAX_THREADS, rc = 0;

	if ((uint64_t)n > size / POPULATE_MIN_CHUNK)
		n = (int)(size / POPULATE_MIN_CHUNK);
	if (n < 2) {
		if (madvise(p, size, MADV_POPULATE_WRITE))
			return -errno;
		return 0;
	}
	chunk = (size / (uint64_t)n + HUGE_2M - 1) & ~(HUGE_2M - 1);
	for (int i = 0; i < n; i++) {
		pthread_attr_t attr;
		cpu_set_t set;
		uint64_t off = chunk * (uint64_t)i;

		part[i] = (struct populate_part){ p + off, off + chunk > size ? size - off : chunk,
						  cpus[i], 0, 0 };
		CPU_ZERO(&set);
		CPU_SET(cpus[i], &set);
		pthread_attr_init(&attr);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (pthread_create(&part[i].thread, &attr, populate_thread, &part[i]))
			populate_thread(&part[i]); /* no thread: do this part here */
		else
			part[i].cpu = -1;
		pthread_attr_destroy(&attr);
	}
	for (int i = 0; i < n; i++) {
		if (part[i].cpu == -1)
			pthread_join(part[i].thread, NULL);
		if (part[i].err && !rc)
			rc = -part[i].err;
	}
	return rc;
}

/* Binds, populates and locks [p, p+size); on failure the caller unmaps. Returns -errno. */
static int populate(void *p, uint64_t size, int node, const int *cpus, int ncpus, const char **what)
{
	int rc;

	if (node >= 0) {
		unsigned long mask[16] = { 0 };

		if (node < (int)(sizeof(mask) * 8)) {
			mask[node / (8 * sizeof(long))] |= 1ul << (node % (8 * sizeof(long)));
			/* mbind(2) directly: libnuma would be one more library for one call. */
			if (syscall(SYS_mbind, p, size, MPOL_BIND, mask, sizeof(mask) * 8, 0)) {
				*what = "binding to the NUMA node";
				return -errno;
			}
		}
	}
	rc = populate_parallel(p, size, cpus, ncpus);
	if (rc) {
		*what = "populating";
		return rc;
	}
	if (mlock(p, size)) {
		*what = "locking (mlock; check RLIMIT_MEMLOCK)";
		return -errno;
	}
	return 0;
}

/* Populates p (after its NUMA binding) and makes it the guest's RAM; unmaps it on failure. */
static int adopt(struct guest_mem *gm, void *p, uint64_t size, enum gm_backing backing, int node,
		 const int *cpus, int ncpus, const char **what)
{
	int rc = populate(p, size, node, cpus, ncpus, what);

	if (rc) {
		munmap(p, size);
		return rc;
	}
	gm->host = p;
	gm->backing = backing;
	return 0;
}

static int try_hugetlb(struct guest_mem *gm, uint64_t size, int node, const int *cpus, int ncpus,
		       const char **what)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);

	if (p == MAP_FAILED) {
		*what = "reserving hugetlbfs pages";
		return -errno;
	}
	return adopt(gm, p, size, GM_BACKING_HUGETLB, node, cpus, ncpus, what);
}

/* An unlinked file in dir: O_TMPFILE, else a named file removed at once. Returns fd or -errno. */
static int hugetlbfs_file(const char *dir)
{
	char path[4096];
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
	if (snprintf(path, sizeof(path), "%s/hvmm-XXXXXX", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

/*
 * Guest RAM from a hugetlbfs mount that holds pages for us alone (dsvd's partition mounts
 * one with min_size=): a file sized to the guest, mapped MAP_SHARED (a private mapping would
 * take its copy-on-write pages from the global pool again). The file is unlinked, so the
 * memory goes with the last mapping. Populated after the NUMA binding, as the other paths,
 * rather than with MAP_POPULATE, which would fault pages in before mbind.
 */
static int try_hugetlbfs(struct guest_mem *gm, const char *dir, uint64_t size, int node,
			 const int *cpus, int ncpus, const char **what)
{
	struct statfs sf;
	void *p;
	int fd, rc;

	if (statfs(dir, &sf)) {
		*what = "--hugetlbfs: cannot use the directory";
		return -errno;
	}
	if ((unsigned long)sf.f_type != HUGETLBFS_MAGIC) {
		*what = "--hugetlbfs: the directory is not a hugetlbfs mount";
		return -ENOTSUP;
	}
	if ((uint64_t)sf.f_bsize != HUGE_2M) {
		*what = "--hugetlbfs: the mount's page size is not 2 MiB";
		return -EINVAL;
	}
	fd = hugetlbfs_file(dir);
	if (fd < 0) {
		*what = "creating a file in the hugetlbfs mount";
		return fd;
	}
	if (ftruncate(fd, (off_t)size)) {
		rc = -errno;
		close(fd);
		*what = "sizing the file in the hugetlbfs mount (more than the mount holds?)";
		return rc;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	rc = -errno;
	close(fd); /* the mapping keeps the file */
	if (p == MAP_FAILED) {
		*what = "mapping the hugetlbfs file (more than the mount holds?)";
		return rc;
	}
	return adopt(gm, p, size, GM_BACKING_HUGETLBFS, node, cpus, ncpus, what);
}

static int try_anon(struct guest_mem *gm, uint64_t size, int thp, int node, const int *cpus,
		    int ncpus, const char **what)
{
	/* Over-allocate by 2 MiB so the region can start on a 2 MiB boundary for THP. */
	uint64_t span = size + HUGE_2M;
	uint8_t *raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *p;
	uint64_t head;

	if (raw == MAP_FAILED) {
		*what = "allocating";
		return -errno;
	}
	p = (uint8_t *)(((uintptr_t)raw + HUGE_2M - 1) & ~(uintptr_t)(HUGE_2M - 1));
	head = (uint64_t)(p - raw);
	if (head)
		munmap(raw, head);
	if (span - head > size)
		munmap(p + size, span - head - size);
	madvise(p, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	madvise(p, size, MADV_DONTFORK);
	return adopt(gm, p, size, thp ? GM_BACKING_THP : GM_BACKING_4K, node, cpus, ncpus, what);
}

int gm_create(struct guest_mem *gm, uint64_t size, enum gm_hugepages mode,
	      const char *hugetlbfs_dir, int numa_node, const int *cpus, int ncpus, char *err,
	      size_t errlen)
{
	const char *what = "allocating";
	double t0 = now_ms();
	int rc = -ENOMEM;

	memset(gm, 0, sizeof(*gm));
	if (size == 0 || size > (1ull << 46)) {
		snprintf(err, errlen, "guest memory size %llu is out of range",
			 (unsigned long long)size);
		return -EINVAL;
	}
	size = (size + HUGE_2M - 1) & ~(HUGE_2M - 1);
	gm->numa_node = numa_node;

	if (hugetlbfs_dir) {
		rc = try_hugetlbfs(gm, hugetlbfs_dir, size, numa_node, cpus, ncpus, &what);
		if (rc) {
			snprintf(err, errlen,
				 "cannot back %llu MiB of guest memory from %s (%s: %s)",
				 (unsigned long long)(size >> 20), hugetlbfs_dir, what,
				 strerror(-rc));
			return rc;
		}
	} else if (mode == GM_HUGE_ON ||
		   (mode == GM_HUGE_AUTO && (uint64_t)free_hugepages_2m() >= size / HUGE_2M)) {
		rc = try_hugetlb(gm, size, numa_node, cpus, ncpus, &what);
		if (rc && mode == GM_HUGE_ON) {
			snprintf(err, errlen,
				 "cannot back %llu MiB of guest memory with hugepages (%s: %s); "
				 "%ld free 2 MiB pages, %llu needed: reserve more in "
				 "/proc/sys/vm/nr_hugepages or use --hugepages auto",
				 (unsigned long long)(size >> 20), what, strerror(-rc),
				 free_hugepages_2m(), (unsigned long long)(size / HUGE_2M));
			return rc;
		}
	}
	if (rc)
		rc = try_anon(gm, size, mode != GM_HUGE_OFF, numa_node, cpus, ncpus, &what);
	if (rc) {
		snprintf(err, errlen,
			 "cannot allocate %llu MiB of guest memory (%s: %s); "
			 "hvmm does not overcommit",
			 (unsigned long long)(size >> 20), what, strerror(-rc));
		return rc;
	}
	gm->size = size;
	gm->low_size = size < GM_LOW_END ? size : GM_LOW_END;
	gm->populate_ms = now_ms() - t0;
	return 0;
}

void gm_destroy(struct guest_mem *gm)
{
	if (gm->host)
		munmap(gm->host, gm->size);
	memset(gm, 0, sizeof(*gm));
}

uint64_t gm_top(const struct guest_mem *gm)
{
	if (gm->size == gm->low_size)
		return gm->size;
	return GM_HIGH_BASE + (gm->size - gm->low_size);
}

void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	uint64_t high_size = gm->size - gm->low_size;

	if (!gm->host)
		return NULL;
	if (gpa <= gm->low_size && len <= gm->low_size - gpa)
		return gm->host + gpa;
	if (gpa >= GM_HIGH_BASE && gpa - GM_HIGH_BASE <= high_size &&
	    len <= high_size - (gpa - GM_HIGH_BASE))
		return gm->host + gm->low_size + (gpa - GM_HIGH_BASE);
	return NULL;
}

int gm_range_ok(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	return gm_ptr(gm, gpa, len) != NULL;
}
