/*
 * File offload: path confinement. Every lookup is done by the host kernel with openat2
 * RESOLVE_BENEATH relative to a directory fd inside the share, so a path that is checked
 * and then swapped for a symlink cannot lead outside: there is no check-then-use window.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fileio_int.h"

#define OPENAT2_RETRIES 32 /* -EAGAIN: a rename raced with '..'; give up only if hammered */

int fio_copy_path(const struct guest_mem *gm, uint64_t gpa, uint64_t len, struct fio_path *p)
{
	if (len > DSV_PATH_MAX)
		return -ENAMETOOLONG;
	const void *src = gm_ptr(gm, gpa, len);
	if (!src)
		return -EFAULT;
	/* Copy once: other vCPUs may rewrite guest memory while we look at it. */
	memcpy(p->buf, src, len);
	p->buf[len] = '\0';
	p->len = strlen(p->buf); /* an embedded NUL ends the path, as in a C string */
	if (p->len >= DSV_PATH_MAX)
		return -ENAMETOOLONG; /* Linux's PATH_MAX counts the NUL */
	return 0;
}

/* Next component of *s (skipping '/', '.' and empty ones); length in *n, NULL at the end. */
static const char *next_comp(const char **s, size_t *n)
{
	for (;;) {
		const char *p = *s;
		while (*p == '/')
			p++;
		if (!*p)
			return NULL;
		const char *e = p;
		while (*e && *e != '/')
			e++;
		*s = e;
		*n = (size_t)(e - p);
		if (!(*n == 1 && p[0] == '.'))
			return p;
	}
}

/*
 * Maps an absolute guest path onto the share: *rel gets the part below the share root.
 * Compared component by component, so /tmp/share2 never matches /tmp/share, and a '..'
 * before the root is fully matched is refused rather than interpreted. Returns 0, 1 when
 * the path is a proper ancestor of the root (e.g. "/tmp"), or -EACCES.
 */
int fio_abs_to_rel(const struct fileio *fio, const char *path, const char **rel)
{
	const char *r = fio->root, *p = path;
	size_t rn, pn;
	const char *rc, *pc;

	while ((rc = next_comp(&r, &rn))) {
		pc = next_comp(&p, &pn);
		if (!pc)
			return 1;
		if (pn != rn || memcmp(pc, rc, rn))
			return -EACCES;
	}
	while (*p == '/')
		p++;
	*rel = *p ? p : ".";
	return 0;
}

int fio_openat2(int base, const char *path, uint64_t flags, uint64_t mode)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC,
		.mode = mode,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	for (int i = 0; i < OPENAT2_RETRIES; i++) {
		long fd = syscall(SYS_openat2, base, path, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	return -EAGAIN;
}

/* A base that did not come from the share (hvmm's inherited stdio) is never searched. */
static int base_fd(struct fio_file *dir)
{
	if (dir->in_share)
		return dir->fd;
	struct stat st;
	if (fstat(dir->fd, &st) == 0 && S_ISDIR(st.st_mode))
		return -EACCES;
	return -ENOTDIR;
}

int fio_open_beneath(struct fileio *fio, struct fio_file *dir, const char *path, uint64_t flags,
		     uint64_t mode)
{
	if (fio_in_view(fio, path))
		return fio_view_open(fio, path, flags);
	if (fio_in_shm(fio, path, NULL))
		return fio_shm_open(fio, path, flags, mode);
	if (fio->root_fd < 0)
		return -EACCES;
	if (!*path)
		return -ENOENT;
	if (path[0] == '/') {
		const char *rel;
		int r = fio_abs_to_rel(fio, path, &rel);
		if (r)
			return -EACCES;
		r = fio_openat2(fio->root_fd, rel, flags, mode);
		return r == -EXDEV ? -EACCES : r;
	}
	if (!dir)
		dir = fio->cwd;
	int base = base_fd(dir);
	if (base < 0)
		return base;
	int r = fio_openat2(base, path, flags, mode);
	if (r != -EXDEV)
		return r;
	/* Left dir: legal while it stays in the share, so retry from the root. */
	char drel[DSV_PATH_MAX];
	int e = fio_dir_rel(fio, dir, drel, sizeof(drel));
	if (e < 0)
		return e;
	if (!drel[0])
		return -EACCES; /* dir is the root: it really left the share */
	static const size_t cap = 2 * DSV_PATH_MAX + 2;
	char *joined = malloc(cap);
	if (!joined)
		return -ENOMEM;
	int n = snprintf(joined, cap, "%s/%s", drel, path);
	if (n < 0 || (size_t)n >= DSV_PATH_MAX)
		r = -ENAMETOOLONG;
	else
		r = fio_openat2(fio->root_fd, joined, flags, mode);
	free(joined);
	return r == -EXDEV ? -EACCES : r;
}

static int is_dots(const char *s, size_t n)
{
	return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

int fio_open_parent(struct fileio *fio, struct fio_file *dir, char *path, const char **last)
{
	size_t e = strlen(path);
	if (!e)
		return -ENOENT;
	while (e > 0 && path[e - 1] == '/')
		e--;
	if (e == 0) { /* "/" or "//": the host root, or the share when it is "/" */
		*last = ".";
		return fio_open_beneath(fio, dir, path, O_PATH | O_DIRECTORY, 0);
	}
	size_t s = e;
	while (s > 0 && path[s - 1] != '/')
		s--;
	/* "." and ".." name no entry in the parent: check the whole path stays inside. */
	if (is_dots(path + s, e - s)) {
		int fd = fio_open_beneath(fio, dir, path, O_PATH | O_DIRECTORY, 0);
		if (fd < 0)
			return fd;
		close(fd);
	}
	*last = path + s;
	if (s == 0)
		return fio_open_beneath(fio, dir, ".", O_PATH | O_DIRECTORY, 0);
	if (s == 1)
		return fio_open_beneath(fio, dir, "/", O_PATH | O_DIRECTORY, 0);
	path[s - 1] = '\0'; /* the parent ends before the separator; last keeps its slashes */
	return fio_open_beneath(fio, dir, path, O_PATH | O_DIRECTORY, 0);
}

int fio_dir_rel(struct fileio *fio, struct fio_file *f, char *out, size_t outlen)
{
	char link[64], host[DSV_PATH_MAX + 16];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", f->fd);
	ssize_t n = readlink(link, host, sizeof(host) - 1);
	/* Deeper than a page: the kernel cannot name it, and Linux's getcwd says so. */
	if ((n < 0 && errno == ENAMETOOLONG) || (n > 0 && (size_t)n >= sizeof(host) - 1))
		return -ENAMETOOLONG;
	if (n <= 0) {
		/* No /proc (a jail): fall back to the path recorded at open. */
		if (!f->rel)
			return -EACCES;
		if (strlen(f->rel) >= outlen)
			return -ENAMETOOLONG;
		strcpy(out, f->rel);
		return 0;
	}
	host[n] = '\0';
	struct stat st;
	if (fstat(f->fd, &st) == 0 && st.st_nlink == 0)
		return -ENOENT; /* removed: Linux's getcwd says ENOENT too */
	if (host[0] != '/')
		return -EACCES;
	const char *rel;
	if (fio_abs_to_rel(fio, host, &rel))
		return -EACCES;
	if (!strcmp(rel, "."))
		rel = "";
	if (strlen(rel) >= outlen)
		return -ENAMETOOLONG;
	strcpy(out, rel);
	return 0;
}

char *fio_join_rel(const struct fileio *fio, const char *base, const char *path)
{
	if (!base && path[0] != '/')
		return NULL; /* base unknown: so is the result */
	char *out = malloc(2 * DSV_PATH_MAX + 2);
	if (!out)
		return NULL;
	size_t o = 0;
	const char *parts[2] = { base ? base : "", path };
	if (path[0] == '/') {
		if (fio_abs_to_rel(fio, path, &parts[1])) {
			free(out);
			return NULL;
		}
		parts[0] = "";
	}
	/* Lexical: good enough for a fallback used only when /proc is missing. */
	for (int i = 0; i < 2; i++) {
		const char *s = parts[i], *c;
		size_t n;
		while ((c = next_comp(&s, &n))) {
			if (n == 2 && c[0] == '.' && c[1] == '.') {
				while (o > 0 && out[o - 1] != '/')
					o--;
				if (o > 0)
					o--;
				continue;
			}
			if (o)
				out[o++] = '/';
			memcpy(out + o, c, n);
			o += n;
		}
	}
	out[o] = '\0';
	return out;
}
