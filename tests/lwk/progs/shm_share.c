/*
 * Shared memory through /dev/shm (docs/lwk.md "Shared file mappings"). Natively two
 * processes; under hvmm two VMs given the same --shm DIR. Output is deterministic:
 *
 * DIR (a third argument, default /dev/shm) is where NAME lives: the native runs of the test
 * use a directory of their own, since a host (or the nested test guest) may have no
 * /dev/shm; the VMs always use /dev/shm, which --shm makes a host directory.
 *
 *   shm_share writer NAME   creates /dev/shm/NAME, fills it, raises a flag, waits for the
 *                           reader's answer, checks it, removes the file
 *   shm_share reader NAME   waits for the file and the flag, checksums what the writer
 *                           wrote, answers through the same pages
 *   shm_share self NAME     one process: a file mapped twice (writes through one seen
 *                           through the other), munmap and map again, a read-only shared
 *                           mapping that sees later writes, 2 MiB + 4 KiB sizes, errors
 *   shm_share procfd NAME   UCX's way to share a segment: create, size with write (not a
 *                           page multiple), unlink, reopen through /proc/self/fd/N and map
 *                           12 KiB of it; MAP_HUGETLB on the file refused; a socket
 *                           address kept in the mapping (getsockname, sendto, recvfrom)
 *
 * Waits poll without a time limit (the test runner's timeout bounds them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SIZE (3 * 4096) /* not a 2 MiB multiple: the lwk maps it with 4 KiB pages */
#define DATA_WORDS 1500

struct box {
	volatile uint32_t flag; /* 0 empty, 1 data written, 2 answered */
	uint32_t pad;
	uint64_t answer;
	uint64_t data[DATA_WORDS];
	uint8_t tail[]; /* the rest of the three pages, last byte checked too */
};
_Static_assert(sizeof(struct box) < SIZE - 2, "the box fits the file");

static void pause_a_little(void)
{
	struct timespec ts = { 0, 10000000 }; /* 10 ms: light on a slow, emulated host */
	nanosleep(&ts, NULL);
}

static char path[256];

static void *map_fd(int fd, size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		printf("mmap: %s\n", strerror(errno));
		exit(1);
	}
	return p;
}

static uint64_t checksum(const struct box *b)
{
	uint64_t s = 0;
	for (int i = 0; i < DATA_WORDS; i++)
		s = s * 31 + b->data[i];
	return s + ((const uint8_t *)b)[SIZE - 1];
}

static int writer(void)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, SIZE)) {
		printf("writer: create: %s\n", strerror(errno));
		return 1;
	}
	struct box *b = map_fd(fd, SIZE, PROT_READ | PROT_WRITE);
	close(fd); /* the mapping outlives the descriptor, as on Linux */
	for (int i = 0; i < DATA_WORDS; i++)
		b->data[i] = (uint64_t)i * 2654435761u;
	((uint8_t *)b)[SIZE - 1] = 0x5a;
	__atomic_store_n(&b->flag, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&b->flag, __ATOMIC_ACQUIRE) != 2)
		pause_a_little();
	printf("writer: reader answered %s\n", b->answer == checksum(b) ? "right" : "wrong");
	printf("writer: reader's mark %#x\n", ((uint8_t *)b)[SIZE - 2]);
	munmap(b, SIZE);
	if (unlink(path))
		printf("writer: unlink: %s\n", strerror(errno));
	return 0;
}

static int reader(void)
{
	int fd;
	struct stat st;
	/* The writer may not have made it yet, nor sized it. */
	while ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		pause_a_little();
	while (fstat(fd, &st) == 0 && st.st_size < SIZE)
		pause_a_little();
	struct box *b = map_fd(fd, SIZE, PROT_READ | PROT_WRITE);
	close(fd);
	while (__atomic_load_n(&b->flag, __ATOMIC_ACQUIRE) != 1)
		pause_a_little();
	printf("reader: data[1499] %llu, last byte %#x\n", (unsigned long long)b->data[1499],
	       ((uint8_t *)b)[SIZE - 1]);
	b->answer = checksum(b);
	((uint8_t *)b)[SIZE - 2] = 0xa5;
	__atomic_store_n(&b->flag, 2, __ATOMIC_RELEASE);
	munmap(b, SIZE);
	return 0;
}

static int self(void)
{
	const size_t big = (2u << 20) + 4096; /* one 2 MiB page and one 4 KiB page */
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)big)) {
		printf("self: create: %s\n", strerror(errno));
		return 1;
	}
	uint8_t *a = map_fd(fd, big, PROT_READ | PROT_WRITE);
	uint8_t *b = map_fd(fd, big, PROT_READ | PROT_WRITE);
	printf("self: two mappings at different addresses: %s\n", a != b ? "yes" : "no");
	a[0] = 1, a[4095] = 2, a[2u << 20] = 3, a[big - 1] = 4;
	printf("self: seen through the other: %d %d %d %d\n", b[0], b[4095], b[2u << 20],
	       b[big - 1]);
	b[100] = 42;
	printf("self: and back: %d\n", a[100]);
	uint8_t buf[8];
	ssize_t n = pread(fd, buf, 1, 100);
	printf("self: pread sees the writes: %zd %d\n", n, buf[0]);
	printf("self: munmap: %d\n", munmap(a, big));
	a = map_fd(fd, big, PROT_READ | PROT_WRITE);
	printf("self: mapped again, still there: %d %d\n", a[100], a[big - 1]);
	/* A read-only shared mapping (the second page) sees later writes. */
	const uint8_t *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);
	if (ro == MAP_FAILED) {
		printf("self: read-only mmap: %s\n", strerror(errno));
		return 1;
	}
	a[4096 + 7] = 77;
	printf("self: read-only mapping sees a later write: %d\n", ro[7]);
	n = pwrite(fd, "\x63", 1, 9);
	printf("self: write through pwrite, seen in the mapping: %zd %d\n", n, b[9]);
	/* Errors as Linux gives them. */
	int p[2];
	if (pipe(p) == 0) {
		void *x = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, p[0], 0);
		printf("self: writable MAP_SHARED of a pipe: %s\n",
		       x == MAP_FAILED ? strerror(errno) : "ok");
		x = mmap(NULL, 4096, PROT_READ, MAP_SHARED, p[0], 0);
		printf("self: MAP_SHARED of a pipe: %s\n",
		       x == MAP_FAILED ? strerror(errno) : "ok");
		close(p[0]), close(p[1]);
	}
	int rfd = open(path, O_RDONLY | O_CLOEXEC);
	void *x = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0);
	printf("self: writable MAP_SHARED of a read-only descriptor: %s\n",
	       x == MAP_FAILED ? strerror(errno) : "ok");
	x = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 100);
	printf("self: unaligned offset: %s\n", x == MAP_FAILED ? strerror(errno) : "ok");
	x = mmap(NULL, 4096, PROT_READ, MAP_SHARED, 999, 0);
	printf("self: bad descriptor: %s\n", x == MAP_FAILED ? strerror(errno) : "ok");
	close(rfd);
	/* MAP_PRIVATE keeps copy-on-write semantics: its writes stay private. */
	uint8_t *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	priv[0] = 99;
	printf("self: MAP_PRIVATE write not in the file: %d %d\n", priv[0], a[0]);
	munmap(priv, 4096);
	printf("self: munmap all: %d %d %d\n", munmap(a, big), munmap(b, big),
	       munmap((void *)ro, 4096));
	close(fd);
	printf("self: unlink: %d\n", unlink(path));
	return 0;
}

static void report(const char *what, int ret)
{
	printf("procfd: %s: %s\n", what, ret >= 0 ? "ok" : strerror(errno));
}

static int procfd(void)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		printf("procfd: create: %s\n", strerror(errno));
		return 1;
	}
	char buf[8447];
	memset(buf, 'u', sizeof(buf));
	report("write 8447 bytes", write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf) ? 0 : -1);
	report("unlink", unlink(path));
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	int again = open(proc, O_RDWR);
	report("reopen read-write", again);
	void *huge =
		mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_HUGETLB, again, 0);
	printf("procfd: MAP_HUGETLB: %s\n", huge == MAP_FAILED ? strerror(errno) : "mapped");
	char *a = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, again, 0);
	char *b = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (a == MAP_FAILED || b == MAP_FAILED) {
		printf("procfd: mmap 12 KiB of 8447 bytes: %s\n", strerror(errno));
		return 1;
	}
	a[8446] = 'x';
	a[8447] = 'y'; /* in the last page, past the end of the file */
	printf("procfd: one file: %d, tail of the last page %d\n", b[8446] == 'x' && b[0] == 'u',
	       b[8447] == 'y');
	/* UCX's signal socket: its address kept in the shared segment, used from there */
	int sig = socket(AF_UNIX, SOCK_DGRAM, 0);
	sa_family_t fam = AF_UNIX;
	report("autobind", bind(sig, (struct sockaddr *)&fam, sizeof(fam)));
	socklen_t alen = 110;
	struct sockaddr *in_shm = (struct sockaddr *)(a + 4096);
	report("getsockname into the shared mapping", getsockname(sig, in_shm, &alen));
	char byte = 's', got = 0;
	report("sendto an address in it", sendto(sig, &byte, 1, 0, in_shm, alen) == 1 ? 0 : -1);
	socklen_t flen = 110;
	report("recvfrom into it",
	       recvfrom(sig, &got, 1, 0, (struct sockaddr *)(a + 8192), &flen) == 1 ? 0 : -1);
	printf("procfd: same address: %d, byte %c\n",
	       flen == alen && !memcmp(a + 4096, a + 8192, alen), got);
	close(sig);
	munmap(a, 3 * 4096);
	munmap(b, 3 * 4096);
	close(again);
	int ro = open(proc, O_RDONLY | O_CLOEXEC);
	report("reopen read-only", ro);
	printf("procfd: close-on-exec: %d\n", ro >= 0 && (fcntl(ro, F_GETFD) & FD_CLOEXEC));
	close(ro);
	close(fd);
	errno = 0;
	report("a closed descriptor", open(proc, O_RDWR));
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", sv[0]);
		report("a socket", open(proc, O_RDWR));
	}
	report("no number", open("/proc/self/fd/x", O_RDONLY));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 3 || argc > 4 || strchr(argv[2], '/')) {
		fprintf(stderr, "usage: shm_share writer|reader|self|procfd NAME [DIR]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/%s", argc == 4 ? argv[3] : "/dev/shm", argv[2]);
	if (!strcmp(argv[1], "writer"))
		return writer();
	if (!strcmp(argv[1], "reader"))
		return reader();
	if (!strcmp(argv[1], "self"))
		return self();
	if (!strcmp(argv[1], "procfd"))
		return procfd();
	return 2;
}
