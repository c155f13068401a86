#include "share_fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_offload.h"

#define MAX_EXTRA 4

struct share_fixture fx;
static const char *prog = "fuzz";
static const char *extra[MAX_EXTRA];
static size_t nextra;

static int rm_all(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(p);
	return 0;
}

static int rm_below(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	if (ftw->level > 0)
		remove(p);
	return 0;
}

static void cleanup(void)
{
	if (fx.base[0])
		nftw(fx.base, rm_all, 16, FTW_DEPTH | FTW_PHYS);
}

void fixture_die(const char *what)
{
	fprintf(stderr, "%s: %s\n", prog, what);
	cleanup(); /* the input reproduces it; the temp tree is not needed */
	abort();
}

void fixture_put(const char *dir, const char *name, const char *content)
{
	char p[PATH_MAX * 2];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (!f)
		fixture_die(p);
	fputs(content, f);
	fclose(f);
}

static void make_canary_dir(const char *path)
{
	if (mkdir(path, 0755))
		fixture_die("mkdir");
	fixture_put(path, "canary", "canary");
}

void fixture_init(const char *name, const char *const *extras)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	char p[PATH_MAX * 2];

	prog = name;
	snprintf(fx.base, sizeof(fx.base), "%s/%s.XXXXXX", tmp, name);
	if (!mkdtemp(fx.base))
		fixture_die("mkdtemp");
	atexit(cleanup);
	snprintf(fx.share, sizeof(fx.share), "%s/share", fx.base);
	snprintf(fx.outside, sizeof(fx.outside), "%s/outside", fx.base);
	if (mkdir(fx.share, 0755))
		fixture_die("mkdir");
	make_canary_dir(fx.outside);
	for (nextra = 0; extras && extras[nextra]; nextra++) {
		if (nextra == MAX_EXTRA)
			fixture_die("too many extra directories");
		extra[nextra] = extras[nextra];
		snprintf(p, sizeof(p), "%s/%s", fx.base, extra[nextra]);
		make_canary_dir(p);
	}
	fx.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fx.null_fd < 0)
		fixture_die("/dev/null");
}

void fixture_begin_input(void)
{
	/* Taken per input: between inputs libFuzzer may start its symbolizer (pipes). */
	fx.lowest_fd = dup(0);
	close(fx.lowest_fd);
	nftw(fx.share, rm_below, 16, FTW_DEPTH | FTW_PHYS);
}

struct fileio *fixture_open_share(void)
{
	struct fileio *fio;
	char err[256];
	int save[3], r;

	for (int i = 0; i < 3; i++) {
		save[i] = dup(i);
		dup2(fx.null_fd, i);
	}
	r = fileio_create(&fio, fx.share, err, sizeof(err));
	for (int i = 0; i < 3; i++) {
		dup2(save[i], i);
		close(save[i]);
	}
	if (r)
		fixture_die(err);
	return fio;
}

/* dir holds exactly names[0..n), or something escaped the share. */
static void check_dir(const char *dir, const char *const *names, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t seen = 0;

	if (!d)
		fixture_die(dir);
	while ((e = readdir(d))) {
		size_t i;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		for (i = 0; i < n && strcmp(e->d_name, names[i]); i++)
			;
		if (i == n) {
			fprintf(stderr, "%s: %s/%s appeared outside the share\n", prog, dir,
				e->d_name);
			fixture_die("escape");
		}
		seen++;
	}
	closedir(d);
	if (seen != n)
		fixture_die("an entry outside the share vanished");
}

static void check_canary(const char *dir)
{
	static const char *const only[] = { "canary" };
	char p[PATH_MAX * 2], b[16];
	ssize_t n;
	int fd;

	check_dir(dir, only, 1);
	snprintf(p, sizeof(p), "%s/canary", dir);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, b, sizeof(b)) : -1;
	if (fd >= 0)
		close(fd);
	if (n != 6 || memcmp(b, "canary", 6))
		fixture_die("outside canary changed");
}

static void list_fds(void)
{
	char p[64], t[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");

	while (d && (e = readdir(d))) {
		ssize_t n;

		snprintf(p, sizeof(p), "/proc/self/fd/%s", e->d_name);
		n = readlink(p, t, sizeof(t) - 1);
		if (n > 0)
			fprintf(stderr, "  fd %s -> %.*s\n", e->d_name, (int)n, t);
	}
	if (d)
		closedir(d);
}

void fixture_check_outside(void)
{
	const char *top[2 + MAX_EXTRA] = { "share", "outside" };
	char p[PATH_MAX * 2];
	int fd;

	for (size_t i = 0; i < nextra; i++)
		top[2 + i] = extra[i];
	check_dir(fx.base, top, 2 + nextra);
	check_canary(fx.outside);
	for (size_t i = 0; i < nextra; i++) {
		snprintf(p, sizeof(p), "%s/%s", fx.base, extra[i]);
		check_canary(p);
	}
	fd = dup(0);
	if (fd != fx.lowest_fd) {
		fprintf(stderr, "%s: lowest free fd %d, expected %d:\n", prog, fd, fx.lowest_fd);
		list_fds();
		fixture_die("host fd leaked");
	}
	close(fd);
}
