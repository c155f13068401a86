/* Test harness for hvmm/fileio (see harness.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"

static void mk(char *out, const char *base, const char *name)
{
	if (snprintf(out, H_NAME, "%s/%s", base, name) >= H_NAME || mkdir(out, 0755) != 0) {
		perror(out);
		abort();
	}
}

struct h *h_new(int with_share)
{
	struct h *h = calloc(1, sizeof(*h));
	char tmpl[] = "/tmp/fiotest.XXXXXX";
	char real[PATH_MAX];
	if (!h || !mkdtemp(tmpl) || !realpath(tmpl, real) || strlen(real) > H_NAME - 16)
		abort();
	strcpy(h->base, real);
	mk(h->share, h->base, "share");
	mk(h->native, h->base, "native");
	mk(h->sibling, h->base, "share2");
	mk(h->outside, h->base, "outside");
	h_write_file(h->outside, "secret", "outside secret");
	h_write_file(h->sibling, "secret", "sibling secret");
	h->gm.host = aligned_alloc(4096, H_MEM);
	if (!h->gm.host)
		abort();
	memset(h->gm.host, 0, H_MEM);
	h->gm.size = h->gm.low_size = H_MEM;
	h->next = 0x1000;
	char err[256] = "";
	if (fileio_create(&h->fio, with_share ? h->share : NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "fileio_create: %s\n", err);
		abort();
	}
	return h;
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(p);
	return 0;
}

void h_drop_dirs(struct h *h)
{
	nftw(h->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void h_free(struct h *h)
{
	fileio_destroy(h->fio);
	nftw(h->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(h->gm.host);
	free(h);
}

uint64_t h_buf(struct h *h, uint64_t len)
{
	uint64_t gpa = h->next;
	h->next = (h->next + len + 63) & ~63ull;
	if (h->next > H_MEM)
		abort();
	memset(h->gm.host + gpa, 0, len);
	return gpa;
}

uint64_t h_put(struct h *h, const void *data, uint64_t len)
{
	uint64_t gpa = h_buf(h, len);
	memcpy(h->gm.host + gpa, data, len);
	return gpa;
}

void *h_host(struct h *h, uint64_t gpa)
{
	return h->gm.host + gpa;
}

int64_t h_call(struct h *h, uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
	       uint64_t a4, uint64_t a5)
{
	uint64_t a[6] = { a0, a1, a2, a3, a4, a5 };
	return fileio_call(h->fio, &h->gm, nr, a);
}

/* Paths go in without their NUL, as the lwk passes them. */
static uint64_t pth(struct h *h, const char *p)
{
	return h_put(h, p, strlen(p));
}

int64_t g_open(struct h *h, int dirfd, const char *path, int flags, int mode)
{
	return h_call(h, DSV_HC_OPENAT, (uint64_t)(int64_t)dirfd, pth(h, path), strlen(path),
		      (uint32_t)flags, (uint32_t)mode, 0);
}

int64_t g_close(struct h *h, int fd)
{
	return h_call(h, DSV_HC_CLOSE, (uint64_t)fd, 0, 0, 0, 0, 0);
}

int64_t g_write(struct h *h, int fd, const void *data, uint64_t len)
{
	return h_call(h, DSV_HC_WRITE, (uint64_t)fd, h_put(h, data, len), len, 0, 0, 0);
}

int64_t g_read(struct h *h, int fd, void *out, uint64_t len)
{
	uint64_t gpa = h_buf(h, len);
	int64_t r = h_call(h, DSV_HC_READ, (uint64_t)fd, gpa, len, 0, 0, 0);
	memcpy(out, h_host(h, gpa), len);
	return r;
}

int64_t g_fstatat(struct h *h, int dirfd, const char *path, void *st, int flags)
{
	uint64_t gpa = h_buf(h, sizeof(struct stat));
	int64_t r = h_call(h, DSV_HC_FSTATAT, (uint64_t)(int64_t)dirfd, pth(h, path), strlen(path),
			   gpa, (uint32_t)flags, 0);
	memcpy(st, h_host(h, gpa), sizeof(struct stat));
	return r;
}

int64_t g_mkdir(struct h *h, int dirfd, const char *path, int mode)
{
	return h_call(h, DSV_HC_MKDIRAT, (uint64_t)(int64_t)dirfd, pth(h, path), strlen(path),
		      (uint32_t)mode, 0, 0);
}

int64_t g_unlink(struct h *h, int dirfd, const char *path, int flags)
{
	return h_call(h, DSV_HC_UNLINKAT, (uint64_t)(int64_t)dirfd, pth(h, path), strlen(path),
		      (uint32_t)flags, 0, 0);
}

int64_t g_rename(struct h *h, int od, const char *op, int nd, const char *np)
{
	return h_call(h, DSV_HC_RENAMEAT, (uint64_t)(int64_t)od, pth(h, op), strlen(op),
		      (uint64_t)(int64_t)nd, pth(h, np), strlen(np));
}

int64_t g_chdir(struct h *h, const char *path)
{
	return h_call(h, DSV_HC_CHDIR, pth(h, path), strlen(path), 0, 0, 0, 0);
}

int64_t g_getcwd(struct h *h, char *out, uint64_t len)
{
	uint64_t gpa = h_buf(h, len);
	int64_t r = h_call(h, DSV_HC_GETCWD, gpa, len, 0, 0, 0, 0);
	memcpy(out, h_host(h, gpa), len);
	return r;
}

int64_t g_readlink(struct h *h, int dirfd, const char *path, char *out, uint64_t len)
{
	uint64_t gpa = h_buf(h, len);
	int64_t r = h_call(h, DSV_HC_READLINKAT, (uint64_t)(int64_t)dirfd, pth(h, path),
			   strlen(path), gpa, len, 0);
	memcpy(out, h_host(h, gpa), len);
	return r;
}

void h_write_file(const char *dir, const char *name, const char *content)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (!f || fputs(content, f) < 0 || fclose(f) != 0)
		abort();
}

int h_read_file(const char *dir, const char *name, char *out, size_t len)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, out, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	out[n] = '\0';
	return (int)n;
}

int h_exists(const char *dir, const char *name)
{
	char p[PATH_MAX * 2];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return lstat(p, &st) == 0;
}

int h_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

int h_setup_share(void **state)
{
	*state = h_new(1);
	return 0;
}

int h_setup_noshare(void **state)
{
	*state = h_new(0);
	return 0;
}

int h_setup_net(void **state)
{
	struct h *h = h_new(0);
	fileio_set_net(h->fio, 1);
	*state = h;
	return 0;
}

int h_teardown(void **state)
{
	h_free(*state);
	return 0;
}
