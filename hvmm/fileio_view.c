/*
 * File offload: the synthetic /proc and /sys a guest program sees (docs/lwk.md "/proc and
 * /sys"). Runtimes size themselves from these files (hwloc, libgomp, libnuma, glibc's
 * get_nprocs): they must describe the VM (its vCPUs, its memory, one NUMA node), never the
 * host. hvmm writes the tree once at start into a private directory and resolves the
 * guest's /proc and /sys lookups beneath it with the share's openat2 RESOLVE_BENEATH, read
 * only; anything the tree lacks is ENOENT. The directory is removed when the VM ends.
 */
#include <cpuid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "fileio_int.h"

#define VIEW_TEXT_MAX (512u << 10) /* one file's content: /proc/cpuinfo of 1024 vCPUs fits */
#define VIEW_PID 1		   /* the program's pid in the lwk (getpid) */

/* A file's content, grown by tprintf. */
struct text {
	char *buf;
	size_t len;
	int overflow;
};

static void tprintf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tprintf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, VIEW_TEXT_MAX - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= VIEW_TEXT_MAX - t->len)
		t->overflow = 1;
	else
		t->len += (size_t)n;
}

/* Creates every missing directory of rel's parent below root. */
static int make_parents(int root, const char *rel)
{
	char dir[DSV_PATH_MAX];
	for (const char *s = strchr(rel, '/'); s; s = strchr(s + 1, '/')) {
		size_t n = (size_t)(s - rel);
		if (n >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, rel, n);
		dir[n] = '\0';
		if (mkdirat(root, dir, 0755) && errno != EEXIST)
			return -errno;
	}
	return 0;
}

static int put_file(int root, const char *rel, const struct text *t)
{
	if (t->overflow)
		return -EOVERFLOW;
	int r = make_parents(root, rel);
	if (r)
		return r;
	int fd = openat(root, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, t->buf, t->len);
	r = w == (ssize_t)t->len ? 0 : w < 0 ? -errno : -EIO;
	close(fd);
	return r;
}

static int put_link(int root, const char *rel, const char *target)
{
	int r = make_parents(root, rel);
	return r ? r : symlinkat(target, root, rel) ? -errno : 0;
}

int fio_view_put(int root, const char *rel, const void *data, size_t len)
{
	const struct text t = { .buf = (char *)data, .len = len };
	return put_file(root, rel, &t);
}

int fio_view_link(int root, const char *rel, const char *target)
{
	return put_link(root, rel, target);
}

/* "0-3", or "0" for one vCPU: the cpulist format of sysfs. */
static void cpu_list(struct text *t, int first, int last)
{
	if (first == last)
		tprintf(t, "%d\n", first);
	else
		tprintf(t, "%d-%d\n", first, last);
}

/* The cpumap format of sysfs: hex, 32 bits per comma-separated group, nr bits wide. */
static void cpu_mask(struct text *t, int nr, int first, int last)
{
	int groups = (nr + 31) / 32;
	for (int g = groups - 1; g >= 0; g--) {
		uint32_t word = 0;
		for (int b = 0; b < 32; b++) {
			int cpu = g * 32 + b;
			if (cpu >= first && cpu <= last)
				word |= 1u << b;
		}
		int bits = g == groups - 1 ? nr - g * 32 : 32;
		int digits = (bits + 3) / 4;
		tprintf(t, g == groups - 1 ? "%0*x" : ",%0*x", digits, word);
	}
	tprintf(t, "\n");
}

/* The tree being written: its root, the next file's content, the first error. */
struct view {
	int root;
	struct text t;
	int err;
};

/* Writes v->t as the file at the formatted path (unless an earlier one failed), then
 * empties v->t for the next. */
static void put(struct view *v, const char *path_fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct view *v, const char *path_fmt, ...)
{
	char path[DSV_PATH_MAX];
	va_list ap;
	va_start(ap, path_fmt);
	int n = vsnprintf(path, sizeof(path), path_fmt, ap);
	va_end(ap);
	if (!v->err)
		v->err = n < 0 || (size_t)n >= sizeof(path) ? -ENAMETOOLONG
							    : put_file(v->root, path, &v->t);
	v->t.len = 0;
}

/* Each vCPU is a core of its own in one package, one die, one NUMA node. */
static void put_cpu(struct view *v, int nr, int i)
{
	struct text *t = &v->t;
	static const char *const self[] = { "core_cpus", "thread_siblings", "cluster_cpus" };
	static const char *const all[] = { "core_siblings", "package_cpus", "die_cpus" };
	for (size_t k = 0; k < sizeof(self) / sizeof(self[0]); k++) {
		cpu_mask(t, nr, i, i);
		put(v, "sys/devices/system/cpu/cpu%d/topology/%s", i, self[k]);
		cpu_list(t, i, i);
		put(v, "sys/devices/system/cpu/cpu%d/topology/%s_list", i, self[k]);
	}
	for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
		cpu_mask(t, nr, 0, nr - 1);
		put(v, "sys/devices/system/cpu/cpu%d/topology/%s", i, all[k]);
		cpu_list(t, 0, nr - 1);
		put(v, "sys/devices/system/cpu/cpu%d/topology/%s_list", i, all[k]);
	}
	tprintf(t, "%d\n", i);
	put(v, "sys/devices/system/cpu/cpu%d/topology/core_id", i);
	tprintf(t, "0\n");
	put(v, "sys/devices/system/cpu/cpu%d/topology/physical_package_id", i);
	tprintf(t, "0\n");
	put(v, "sys/devices/system/cpu/cpu%d/topology/die_id", i);
	tprintf(t, "1\n");
	put(v, "sys/devices/system/cpu/cpu%d/online", i);
	char link[64];
	snprintf(link, sizeof(link), "sys/devices/system/cpu/cpu%d/node0", i);
	if (!v->err)
		v->err = put_link(v->root, link, "../../node/node0");
}

/* The processor the vCPUs are: CPUID of this CPU (model, not topology). */
static void cpu_identity(char vendor[13], char model[49], unsigned *family, unsigned *mod,
			 unsigned *stepping)
{
	unsigned a = 0, b = 0, c = 0, d = 0;
	memset(vendor, 0, 13);
	memset(model, 0, 49);
	*family = *mod = *stepping = 0;
	if (__get_cpuid(0, &a, &b, &c, &d)) {
		memcpy(vendor, &b, 4);
		memcpy(vendor + 4, &d, 4);
		memcpy(vendor + 8, &c, 4);
	}
	if (__get_cpuid(1, &a, &b, &c, &d)) {
		unsigned fam = (a >> 8) & 0xf, m = (a >> 4) & 0xf;
		*family = fam == 0xf ? fam + ((a >> 20) & 0xff) : fam;
		*mod = fam == 0x6 || fam == 0xf ? m | (((a >> 16) & 0xf) << 4) : m;
		*stepping = a & 0xf;
	}
	unsigned regs[12] = { 0 };
	if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000004)
		for (unsigned l = 0; l < 3; l++)
			__get_cpuid(0x80000002 + l, &regs[4 * l], &regs[4 * l + 1],
				    &regs[4 * l + 2], &regs[4 * l + 3]);
	memcpy(model, regs, 48);
	char *s = model; /* Intel pads the brand string with leading blanks */
	while (*s == ' ')
		s++;
	memmove(model, s, strlen(s) + 1);
}

static void put_proc(struct view *v, const struct fileio_view_spec *s)
{
	struct text *t = &v->t;
	int nr = s->nvcpus;
	uint64_t kb = s->mem_bytes >> 10;
	char vendor[13], model[49];
	unsigned family, mod, stepping;
	cpu_identity(vendor, model, &family, &mod, &stepping);
	for (int i = 0; i < nr; i++)
		tprintf(t,
			"processor\t: %d\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
			"model name\t: %s\nstepping\t: %u\nphysical id\t: 0\nsiblings\t: %d\n"
			"core id\t\t: %d\ncpu cores\t: %d\napicid\t\t: %d\ninitial apicid\t: %d\n"
			"fpu\t\t: yes\n\n",
			i, vendor, family, mod, model, stepping, nr, i, nr, i, i);
	put(v, "%s", "proc/cpuinfo");
	tprintf(t,
		"MemTotal:       %8llu kB\nMemFree:        %8llu kB\n"
		"MemAvailable:   %8llu kB\nBuffers:               0 kB\nCached:                0 "
		"kB\n"
		"SwapTotal:             0 kB\nSwapFree:              0 kB\n",
		(unsigned long long)kb, (unsigned long long)kb, (unsigned long long)kb);
	put(v, "%s", "proc/meminfo");
	tprintf(t,
		"Name:\t%.15s\nUmask:\t0022\nState:\tR (running)\nTgid:\t%d\nPid:\t%d\n"
		"PPid:\t0\nCpus_allowed:\t",
		s->name ? s->name : "", VIEW_PID, VIEW_PID);
	cpu_mask(t, nr, 0, nr - 1);
	tprintf(t, "Cpus_allowed_list:\t");
	cpu_list(t, 0, nr - 1);
	tprintf(t, "Mems_allowed:\t1\nMems_allowed_list:\t0\n");
	put(v, "proc/%d/status", VIEW_PID);
	/* Field 22 is the start time in clock ticks since boot: UCX reads it of every process
	 * it shares memory with (its own, here) and refuses a peer whose time it cannot read.
	 * The VM starts with its view. */
	struct timespec up;
	clock_gettime(CLOCK_BOOTTIME, &up);
	long hz = sysconf(_SC_CLK_TCK);
	unsigned long long ticks =
		(unsigned long long)up.tv_sec * (unsigned long long)(hz > 0 ? hz : 100) + 1;
	tprintf(t, "%d (%.15s) R 0 %d %d 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %llu", VIEW_PID,
		s->name ? s->name : "", VIEW_PID, VIEW_PID, ticks);
	for (int f = 23; f <= 52; f++)
		tprintf(t, " 0");
	tprintf(t, "\n");
	put(v, "proc/%d/stat", VIEW_PID);
	if (!v->err)
		v->err = put_link(v->root, "proc/self", "1");
	/* The VM's own IPC and PID namespaces: runtimes stat these and compare inode numbers
	 * (UCX's shared-memory transports reach only a peer in the same IPC namespace, and
	 * attach a POSIX segment through /proc/PID/fd of a peer in the same PID namespace).
	 * Each VM's view is its own directory, so the inodes differ from every other VM's and
	 * from the host's: peers in other VMs are not shared-memory peers to UCX, whose
	 * segments (SysV IDs, /proc/PID/fd links) cannot be reached across VMs. */
	static const char *const ns[] = { "ipc", "pid" };
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		put(v, "proc/%d/ns/%s", VIEW_PID, ns[i]); /* empty: only the inode matters */
	/* The host's boot id: runtimes compare it to tell peers on the same machine (UCX
	 * accepts the loopback device only between them), and the VM's sockets are the
	 * host's. */
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char id[64];
		ssize_t n = read(fd, id, sizeof(id));
		close(fd);
		if (n > 0) {
			tprintf(t, "%.*s", (int)n, id);
			put(v, "%s", "proc/sys/kernel/random/boot_id");
		}
	}
}

static void put_sys(struct view *v, const struct fileio_view_spec *s)
{
	struct text *t = &v->t;
	int nr = s->nvcpus;
	uint64_t kb = s->mem_bytes >> 10;
	static const char *const cpu_lists[] = { "online", "possible", "present" };
	for (size_t k = 0; k < sizeof(cpu_lists) / sizeof(cpu_lists[0]); k++) {
		cpu_list(t, 0, nr - 1);
		put(v, "sys/devices/system/cpu/%s", cpu_lists[k]);
	}
	tprintf(t, "\n");
	put(v, "%s", "sys/devices/system/cpu/offline");
	for (int i = 0; i < nr && !v->err; i++)
		put_cpu(v, nr, i);
	static const char *const node_lists[] = { "online", "possible", "has_cpu", "has_memory",
						  "has_normal_memory" };
	for (size_t k = 0; k < sizeof(node_lists) / sizeof(node_lists[0]); k++) {
		tprintf(t, "0\n");
		put(v, "sys/devices/system/node/%s", node_lists[k]);
	}
	cpu_mask(t, nr, 0, nr - 1);
	put(v, "%s", "sys/devices/system/node/node0/cpumap");
	cpu_list(t, 0, nr - 1);
	put(v, "%s", "sys/devices/system/node/node0/cpulist");
	tprintf(t, "10\n");
	put(v, "%s", "sys/devices/system/node/node0/distance");
	tprintf(t,
		"Node 0 MemTotal:       %8llu kB\nNode 0 MemFree:        %8llu kB\n"
		"Node 0 MemUsed:              0 kB\n",
		(unsigned long long)kb, (unsigned long long)kb);
	put(v, "%s", "sys/devices/system/node/node0/meminfo");
}

/* Removes everything below dir (a directory fd, closed here). */
static void remove_below(int dir)
{
	char buf[4096];
	for (;;) {
		long n = syscall(SYS_getdents64, dir, buf, sizeof(buf));
		if (n <= 0)
			break;
		int removed = 0;
		for (long off = 0; off < n;) {
			struct dirent64 *e = (struct dirent64 *)(buf + off);
			off += e->d_reclen;
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (e->d_type == DT_DIR) {
				int sub = openat(dir, e->d_name,
						 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (sub >= 0)
					remove_below(sub);
				removed += !unlinkat(dir, e->d_name, AT_REMOVEDIR);
			} else {
				removed += !unlinkat(dir, e->d_name, 0);
			}
		}
		if (!removed)
			break;
		lseek(dir, 0, SEEK_SET); /* entries moved under us: list again */
	}
	close(dir);
}

void fio_view_remove(struct fileio *fio)
{
	if (fio->view_fd < 0)
		return;
	int dir = openat(fio->view_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir >= 0)
		remove_below(dir);
	if (fio->view_parent_fd >= 0 && fio->view_name)
		unlinkat(fio->view_parent_fd, fio->view_name, AT_REMOVEDIR);
	close(fio->view_fd);
	if (fio->view_parent_fd >= 0)
		close(fio->view_parent_fd);
	free(fio->view_name);
	fio->view_fd = fio->view_parent_fd = -1;
	fio->view_name = NULL;
}

int fileio_make_view(struct fileio *fio, const struct fileio_view_spec *s, char *err, size_t errlen)
{
	if (s->nvcpus < 1 || s->nvcpus > 1024) {
		snprintf(err, errlen, "/proc view: %d vCPUs", s->nvcpus);
		return -EINVAL;
	}
	const char *tmp = getenv("TMPDIR");
	if (!tmp || tmp[0] != '/')
		tmp = "/tmp";
	char path[DSV_PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/hvmm-view.XXXXXX", tmp);
	if (n < 0 || (size_t)n >= sizeof(path) || !mkdtemp(path)) {
		int e = n < 0 || (size_t)n >= sizeof(path) ? ENAMETOOLONG : errno;
		snprintf(err, errlen, "/proc view: cannot make a directory in %s: %s", tmp,
			 strerror(e));
		return -e;
	}
	char *slash = strrchr(path, '/');
	*slash = '\0';
	fio->view_parent_fd = open(path[0] ? path : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	*slash = '/';
	fio->view_name = strdup(slash + 1);
	fio->view_fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct view v = { .root = fio->view_fd, .t = { .buf = malloc(VIEW_TEXT_MAX) } };
	int r = fio->view_parent_fd < 0 || fio->view_fd < 0 ? -errno : 0;
	if (!r && (!v.t.buf || !fio->view_name))
		r = -ENOMEM;
	if (!r) {
		put_proc(&v, s);
		put_sys(&v, s);
		r = v.err;
		if (!r && s->net_host)
			r = fio_view_put_net(fio->view_fd);
		if (!r && s->net_host)
			r = fio_view_put_netns(fio);
	}
	free(v.t.buf);
	if (r) {
		snprintf(err, errlen, "/proc view in %s: %s", path, strerror(-r));
		if (fio->view_fd < 0)
			rmdir(path);
		fio_view_remove(fio);
		return r;
	}
	return 0;
}

/* Skips '/' and "." components; the next component in *c (length *n), or NULL. */
static const char *first_comp(const char *p, size_t *n)
{
	for (;;) {
		while (*p == '/')
			p++;
		const char *e = p;
		while (*e && *e != '/')
			e++;
		*n = (size_t)(e - p);
		if (!(*n == 1 && p[0] == '.'))
			return *n ? p : NULL;
		p = e;
	}
}

int fio_in_view(const struct fileio *fio, const char *path)
{
	size_t n;
	const char *c;
	if (fio->view_fd < 0 || path[0] != '/' || !(c = first_comp(path, &n)))
		return 0;
	return (n == 4 && !memcmp(c, "proc", 4)) || (n == 3 && !memcmp(c, "sys", 3));
}

int fio_view_open(struct fileio *fio, const char *path, uint64_t flags)
{
	/* Read only: the tree is hvmm's, and the files describe what cannot change. */
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)) ||
	    (flags & O_TMPFILE) == O_TMPFILE)
		return -EACCES;
	while (*path == '/')
		path++;
	struct open_how how = {
		.flags = flags | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	for (int i = 0; i < 32; i++) {
		long fd = syscall(SYS_openat2, fio->view_fd, path, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno == EXDEV)
			return -ENOENT; /* "/proc/../.." names nothing in the view */
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	return -EAGAIN;
}

int fio_view_kind(const char *path)
{
	/* The view's links never lead from /proc into /sys or back, so the top directory the
	 * path ends in, with ".." applied lexically, is the tree it names. */
	int depth = 0, top = FIO_VIEW_NONE;
	for (const char *p = path;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = p;
		while (*e && *e != '/')
			e++;
		size_t n = (size_t)(e - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			depth -= depth > 0;
		} else if (!(n == 1 && p[0] == '.')) {
			if (!depth)
				top = n == 4 && !memcmp(p, "proc", 4)  ? FIO_VIEW_PROC
				      : n == 3 && !memcmp(p, "sys", 3) ? FIO_VIEW_SYS
								       : FIO_VIEW_NONE;
			depth++;
		}
		p = e;
	}
	return depth ? top : FIO_VIEW_NONE;
}
