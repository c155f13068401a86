/*
 * SysV shared memory (docs/lwk.md "SysV shared memory"): natively in one IPC namespace,
 * under hvmm in VMs given one --shm DIR. Output is deterministic (no shmids or addresses):
 *
 *   sysv_shm self KEY     one process: an IPC_PRIVATE segment attached twice (writes through
 *                         one seen through the other), IPC_STAT, IPC_RMID while attached
 *                         (still attachable, SHM_DEST), a keyed segment found again by key,
 *                         UCX's SHM_REMAP onto its own attachment, errors
 *   sysv_shm writer KEY   creates the keyed segment, fills it, raises a flag, waits for the
 *                         reader's answer, removes the segment
 *   sysv_shm reader KEY   waits for the segment and the flag, checksums it, answers
 *
 * KEY is a positive number the test makes unique. Waits poll without a time limit (the
 * test runner's timeout bounds them).
 */
#define _GNU_SOURCE /* IPC_INFO, struct shminfo */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <time.h>

#define SIZE (3 * 4096 + 100) /* rounded up to pages by the kernel, not by shm_segsz */

static int fails;

static void expect_err(const char *what, long ret, int want)
{
	if (ret == -1 && errno == want)
		printf("%s: %s\n", what, strerror(want));
	else {
		printf("%s: got %ld (%s), want %s\n", what, ret, ret == -1 ? strerror(errno) : "ok",
		       strerror(want));
		fails++;
	}
}

static void nap(void)
{
	struct timespec ts = { 0, 1000000 };
	nanosleep(&ts, NULL);
}

static void show(const char *what, int id)
{
	struct shmid_ds ds;
	if (shmctl(id, IPC_STAT, &ds)) {
		printf("%s: IPC_STAT: %s\n", what, strerror(errno));
		fails++;
		return;
	}
	printf("%s: segsz %zu nattch %lu mode %o dest %d\n", what, (size_t)ds.shm_segsz,
	       (unsigned long)ds.shm_nattch, ds.shm_perm.mode & 0777,
	       (ds.shm_perm.mode & SHM_DEST) != 0);
}

static int self(key_t key)
{
	int id = shmget(IPC_PRIVATE, SIZE, IPC_CREAT | 0600);
	if (id < 0) {
		printf("private: shmget: %s\n", strerror(errno));
		return 1;
	}
	show("private, new", id);
	unsigned char *a = shmat(id, NULL, 0), *b = shmat(id, NULL, 0);
	if (a == (void *)-1 || b == (void *)-1 || a == b) {
		printf("private: shmat: %s\n", strerror(errno));
		return 1;
	}
	printf("private: fresh pages zero: %d\n", a[0] == 0 && a[SIZE - 1] == 0);
	for (int i = 0; i < SIZE; i++)
		a[i] = (unsigned char)(i * 7);
	printf("private: the other attachment sees the writes: %d\n", !memcmp(a, b, SIZE));
	show("private, attached twice", id);
	/* what UCX's start-up does: remap the segment onto its own attachment */
	printf("private: SHM_REMAP onto itself: %d\n", shmat(id, a, SHM_REMAP) == a);
	printf("private: IPC_RMID while attached: %d\n", shmctl(id, IPC_RMID, NULL));
	show("private, removed", id);
	unsigned char *c = shmat(id, NULL, SHM_RDONLY);
	printf("private: attach after IPC_RMID: %d, same data %d\n", c != (void *)-1,
	       c != (void *)-1 && !memcmp(a, c, SIZE));
	printf("private: detach: %d %d %d\n", shmdt(a), shmdt(b), c != (void *)-1 ? shmdt(c) : -1);
	expect_err("private, gone", shmctl(id, IPC_STAT, &(struct shmid_ds){ 0 }), EINVAL);
	expect_err("shmat of it", (long)shmat(id, NULL, 0), EINVAL);

	int k = shmget(key, 8192, IPC_CREAT | IPC_EXCL | 0600);
	printf("keyed: created: %d\n", k >= 0);
	expect_err("keyed, IPC_EXCL again", shmget(key, 8192, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	printf("keyed: found by key: %d\n", shmget(key, 4096, 0) == k);
	printf("keyed: IPC_CREAT finds it: %d\n", shmget(key, 8192, IPC_CREAT | 0600) == k);
	expect_err("keyed, larger than it is", shmget(key, 8193, 0), EINVAL);
	char *p = shmat(k, NULL, 0);
	strcpy(p, "kept");
	printf("keyed: detach %d\n", shmdt(p));
	p = shmat(shmget(key, 0, 0), NULL, 0);
	printf("keyed: the pages outlive an attachment: %s\n", p);
	show("keyed", k);
	printf("keyed: detach %d, IPC_RMID %d\n", shmdt(p), shmctl(k, IPC_RMID, NULL));
	expect_err("keyed, removed", shmget(key, 4096, 0), ENOENT);
	expect_err("IPC_RMID again", shmctl(k, IPC_RMID, NULL), EINVAL);

	expect_err("size 0", shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
	expect_err("shmat of -1", (long)shmat(-1, NULL, 0), EINVAL);
	expect_err("shmdt of no attachment", shmdt(&fails), EINVAL);
	expect_err("IPC_STAT of -1", shmctl(-1, IPC_STAT, &(struct shmid_ds){ 0 }), EINVAL);
	/* A hostile program's buffers: the kernel must refuse, not write through them. */
	int bad = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	expect_err("IPC_STAT to a bad address", shmctl(bad, IPC_STAT, (struct shmid_ds *)8),
		   EFAULT);
	expect_err("IPC_INFO to a bad address", shmctl(0, IPC_INFO, (struct shmid_ds *)8), EFAULT);
	printf("bad buffers: IPC_RMID %d\n", shmctl(bad, IPC_RMID, NULL));
	struct shminfo info;
	printf("IPC_INFO: %d\n", shmctl(0, IPC_INFO, (struct shmid_ds *)&info) >= 0);
	return fails != 0;
}

struct shared {
	volatile uint32_t flag, answer;
	unsigned char data[SIZE - 8];
};

static int writer(key_t key)
{
	int id = shmget(key, SIZE, IPC_CREAT | IPC_EXCL | 0600);
	struct shared *s = id < 0 ? (void *)-1 : shmat(id, NULL, 0);
	if (s == (void *)-1) {
		printf("writer: %s\n", strerror(errno));
		return 1;
	}
	uint32_t sum = 0;
	for (size_t i = 0; i < sizeof(s->data); i++) {
		s->data[i] = (unsigned char)(i * 13 + 1);
		sum += s->data[i];
	}
	__atomic_store_n(&s->flag, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&s->answer, __ATOMIC_ACQUIRE))
		nap();
	int same = s->answer == sum;
	printf("writer: reader's checksum %s\n", same ? "matches" : "differs");
	printf("writer: IPC_RMID %d, detach %d\n", shmctl(id, IPC_RMID, NULL), shmdt(s));
	return !same;
}

static int reader(key_t key)
{
	int id;
	while ((id = shmget(key, 0, 0)) < 0)
		nap();
	struct shared *s = shmat(id, NULL, 0);
	if (s == (void *)-1) {
		printf("reader: %s\n", strerror(errno));
		return 1;
	}
	while (!__atomic_load_n(&s->flag, __ATOMIC_ACQUIRE))
		nap();
	uint32_t sum = 0;
	for (size_t i = 0; i < sizeof(s->data); i++)
		sum += s->data[i];
	printf("reader: %zu bytes from the writer\n", sizeof(s->data));
	__atomic_store_n(&s->answer, sum, __ATOMIC_RELEASE);
	printf("reader: detach %d\n", shmdt(s));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc != 3 || atol(argv[2]) <= 0) {
		fprintf(stderr, "usage: sysv_shm self|writer|reader KEY\n");
		return 2;
	}
	key_t key = (key_t)atol(argv[2]);
	if (!strcmp(argv[1], "self"))
		return self(key);
	if (!strcmp(argv[1], "writer"))
		return writer(key);
	if (!strcmp(argv[1], "reader"))
		return reader(key);
	return 2;
}
