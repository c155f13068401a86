/*
 * The synthetic /proc and /sys (hvmm/fileio_view.c) against known answers: the vCPU count
 * and memory size it was made for, read back through the guest's calls as hwloc and
 * glibc read them; and a hostile guest that writes, creates, renames or walks out of it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"

#define VCPUS 3
#define MEM (256ull << 20)

static struct h *view_new(int with_share)
{
	struct h *h = h_new(with_share);
	struct fileio_view_spec s = { .nvcpus = VCPUS,
				      .mem_bytes = MEM,
				      .name = "a-long-program-name" };
	char err[256] = "";
	setenv("TMPDIR", h->outside, 1);
	if (fileio_make_view(h->fio, &s, err, sizeof(err))) {
		fprintf(stderr, "fileio_make_view: %s\n", err);
		abort();
	}
	return h;
}

static int setup_noshare(void **state)
{
	*state = view_new(0);
	return 0;
}
static int setup_share(void **state)
{
	*state = view_new(1);
	return 0;
}
static int teardown(void **state)
{
	h_free(*state);
	return 0;
}

/* The whole file at path, through the guest's open and read; its length or -errno. */
static int64_t g_slurp(struct h *h, const char *path, char *out, size_t len)
{
	int64_t fd = g_open(h, DSV_AT_FDCWD, path, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	int64_t n = g_read(h, (int)fd, out, len - 1);
	g_close(h, (int)fd);
	if (n >= 0)
		out[n] = '\0';
	return n;
}

static void expect_file(struct h *h, const char *path, const char *want)
{
	char buf[4096];
	assert_true(g_slurp(h, path, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, want);
}

static void test_cpus(void **state)
{
	struct h *h = *state;
	expect_file(h, "/sys/devices/system/cpu/online", "0-2\n");
	expect_file(h, "/sys/devices/system/cpu/possible", "0-2\n");
	expect_file(h, "/sys/devices/system/cpu/present", "0-2\n");
	expect_file(h, "/sys/devices/system/cpu/cpu1/topology/core_id", "1\n");
	expect_file(h, "/sys/devices/system/cpu/cpu2/topology/core_cpus", "4\n");
	expect_file(h, "/sys/devices/system/cpu/cpu2/topology/thread_siblings_list", "2\n");
	expect_file(h, "/sys/devices/system/cpu/cpu0/topology/package_cpus", "7\n");
	expect_file(h, "/sys/devices/system/cpu/cpu0/topology/core_siblings_list", "0-2\n");
	expect_file(h, "/sys/devices/system/cpu/cpu0/topology/physical_package_id", "0\n");
	expect_file(h, "/sys/devices/system/node/online", "0\n");
	expect_file(h, "/sys/devices/system/node/node0/cpulist", "0-2\n");
	expect_file(h, "/sys/devices/system/node/node0/cpumap", "7\n");
	expect_file(h, "/sys/devices/system/cpu/cpu0/node0/cpulist", "0-2\n"); /* the symlink */
	/* the vCPUs, not the host's CPUs: exactly cpu0..cpu2 */
	char buf[8192];
	assert_int_equal(g_slurp(h, "/sys/devices/system/cpu/cpu3/online", buf, sizeof(buf)),
			 -ENOENT);
	assert_true(g_slurp(h, "/proc/cpuinfo", buf, sizeof(buf)) > 0);
	int procs = 0;
	for (const char *p = buf; (p = strstr(p, "processor\t: ")); p++)
		procs++;
	assert_int_equal(procs, VCPUS);
	assert_non_null(strstr(buf, "processor\t: 2\n"));
}

static void test_memory_and_status(void **state)
{
	struct h *h = *state;
	char buf[4096], want[64];
	assert_true(g_slurp(h, "/proc/meminfo", buf, sizeof(buf)) > 0);
	unsigned long long kb = 0;
	assert_int_equal(sscanf(buf, "MemTotal: %llu kB", &kb), 1);
	assert_int_equal(kb, MEM >> 10);
	assert_true(g_slurp(h, "/sys/devices/system/node/node0/meminfo", buf, sizeof(buf)) > 0);
	snprintf(want, sizeof(want), "Node 0 MemTotal:       %8llu kB\n", MEM >> 10);
	assert_memory_equal(buf, want, strlen(want));
	assert_true(g_slurp(h, "/proc/self/status", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "Name:\ta-long-program-\n")); /* comm: 15 characters */
	assert_non_null(strstr(buf, "Cpus_allowed_list:\t0-2\n"));
	assert_non_null(strstr(buf, "Mems_allowed_list:\t0\n"));
	/* /proc/self/stat: 52 fields, the start time (22nd) not zero */
	assert_true(g_slurp(h, "/proc/self/stat", buf, sizeof(buf)) > 0);
	assert_memory_equal(buf, "1 (a-long-program-) R ", 22);
	const char *after = strrchr(buf, ')');
	unsigned long start = 0;
	int fields = 2;
	for (const char *p = after + 1; *p; p++)
		fields += *p == ' ';
	assert_int_equal(fields, 52);
	assert_int_equal(sscanf(after + 2,
				"%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d "
				"%*d %*d %*d %*d %*d %lu",
				&start),
			 1);
	assert_true(start > 0);
	char link[16] = "";
	assert_int_equal(g_readlink(h, DSV_AT_FDCWD, "/proc/self", link, sizeof(link)), 1);
	assert_memory_equal(link, "1", 1);
}

/* The inode of the guest's path through FSTATAT, or 0. */
static uint64_t g_ino(struct h *h, const char *path)
{
	uint64_t p = h_put(h, path, strlen(path)), sb = h_buf(h, sizeof(struct stat));
	if (h_call(h, DSV_HC_FSTATAT, (uint64_t)DSV_AT_FDCWD, p, strlen(path), sb, 0, 0))
		return 0;
	return ((struct stat *)h_host(h, sb))->st_ino;
}

/* /proc/self/ns/{ipc,pid}: each VM its own namespaces, none of them the host's (UCX
 * compares these inodes to find shared-memory peers). */
static void test_namespaces(void **state)
{
	struct h *a = *state, *b = view_new(1);
	static const char *const ns[] = { "/proc/self/ns/ipc", "/proc/self/ns/pid" };
	for (int i = 0; i < 2; i++) {
		struct stat host;
		assert_int_equal(stat(ns[i], &host), 0);
		uint64_t ia = g_ino(a, ns[i]), ib = g_ino(b, ns[i]);
		assert_true(ia != 0 && ib != 0);
		assert_true(ia != ib);
		assert_true(ia != host.st_ino && ib != host.st_ino);
	}
	assert_true(g_ino(a, ns[0]) != g_ino(a, ns[1]));
	assert_int_equal(g_ino(a, "/proc/self/ns/uts"), 0); /* only these two */
	h_free(b);
}

/* The way hwloc and glibc's get_nprocs_conf find the CPUs: list the directory. */
static void test_listing(void **state)
{
	struct h *h = *state;
	int64_t fd = g_open(h, DSV_AT_FDCWD, "/sys/devices/system/cpu", O_RDONLY | O_DIRECTORY, 0);
	assert_true(fd >= 0);
	uint64_t buf = h_buf(h, 4096);
	int64_t n = h_call(h, DSV_HC_GETDENTS64, (uint64_t)fd, buf, 4096, 0, 0, 0);
	assert_true(n > 0);
	int cpus = 0, online = 0;
	for (int64_t off = 0; off < n;) {
		struct dirent64 *e = (struct dirent64 *)((char *)h_host(h, buf) + off);
		int k;
		char rest;
		if (sscanf(e->d_name, "cpu%d%c", &k, &rest) == 1) {
			assert_true(k >= 0 && k < VCPUS);
			assert_int_equal(e->d_type, DT_DIR);
			cpus++;
		}
		online += !strcmp(e->d_name, "online");
		off += e->d_reclen;
	}
	assert_int_equal(cpus, VCPUS);
	assert_int_equal(online, 1);
	g_close(h, (int)fd);
	struct stat st;
	assert_int_equal(g_fstatat(h, DSV_AT_FDCWD, "/sys/devices/system/node/node0", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
}

/* Read only, and nothing outside the tree: whatever the guest tries. */
static void test_hostile(void **state)
{
	struct h *h = *state;
	char buf[256];
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "/proc/cpuinfo", O_WRONLY, 0), -EACCES);
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "/proc/cpuinfo", O_RDWR, 0), -EACCES);
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "/proc/new", O_RDONLY | O_CREAT, 0644), -EACCES);
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "/proc/meminfo", O_RDONLY | O_TRUNC, 0), -EACCES);
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "/proc", O_RDONLY | O_TMPFILE, 0600), -EACCES);
	assert_int_equal(g_mkdir(h, DSV_AT_FDCWD, "/sys/x", 0755), -EACCES);
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "/proc/self", 0), -EACCES);
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "/sys/devices", 0x200), -EACCES);
	assert_int_equal(g_rename(h, DSV_AT_FDCWD, "/proc/meminfo", DSV_AT_FDCWD, "/proc/m2"),
			 -EACCES);
	assert_int_equal(g_chdir(h, "/proc"), -EACCES);
	/* out of the tree through '..': nothing there, the host's files least of all */
	assert_int_equal(g_slurp(h, "/proc/../../../../etc/passwd", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(g_slurp(h, "/sys/../proc/../../etc/hostname", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(g_slurp(h, "/proc/../outside/secret", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(g_slurp(h, "/proc/self/maps", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(g_slurp(h, "/proc/1/exe", buf, sizeof(buf)), -ENOENT);
	/* a descriptor in the view is no base for lookups or creation */
	int64_t d = g_open(h, DSV_AT_FDCWD, "/sys/devices/system/cpu", O_RDONLY | O_DIRECTORY, 0);
	assert_true(d >= 0);
	assert_int_equal(g_open(h, (int)d, "made", O_WRONLY | O_CREAT, 0644), -EACCES);
	assert_int_equal(g_mkdir(h, (int)d, "dir", 0755), -EACCES);
	assert_int_equal(g_write(h, (int)d, "x", 1), -EBADF);
	g_close(h, (int)d);
	int64_t f = g_open(h, DSV_AT_FDCWD, "/proc/meminfo", O_RDONLY, 0);
	assert_true(f >= 0);
	assert_int_equal(g_write(h, (int)f, "x", 1), -EBADF);
	g_close(h, (int)f);
	/* a path "like" /proc is not the view */
	assert_int_equal(g_slurp(h, "/procx/cpuinfo", buf, sizeof(buf)), -EACCES);
	/* a path GPA outside guest memory */
	assert_int_equal(
		h_call(h, DSV_HC_OPENAT, (uint64_t)DSV_AT_FDCWD, H_MEM - 4, 16, O_RDONLY, 0, 0),
		-EFAULT);
}

static int count_views(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += !strncmp(e->d_name, "hvmm-view.", 10);
	if (d)
		closedir(d);
	return n;
}

/* --net host: the network namespace hvmm runs in, as the program's sockets see it, and the
 * host's boot id; without --net host, no network at all in the view. */
static void test_network(void **state)
{
	(void)state;
	struct h *h = h_new(0);
	char err[256] = "", other[64];
	setenv("TMPDIR", h->outside, 1);
	struct fileio_view_spec s = { .nvcpus = 1, .mem_bytes = MEM, .net_host = 1 };
	assert_int_equal(fileio_make_view(h->fio, &s, err, sizeof(err)), 0);
	struct if_nameindex *ifs = if_nameindex();
	assert_non_null(ifs);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		char path[128], want[64];
		struct ifreq ifr = { 0 };
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
		assert_int_equal(ioctl(fd, SIOCGIFMTU, &ifr), 0);
		snprintf(path, sizeof(path), "/sys/class/net/%s/mtu", i->if_name);
		snprintf(want, sizeof(want), "%d\n", ifr.ifr_mtu);
		expect_file(h, path, want);
		snprintf(path, sizeof(path), "/sys/class/net/%s/ifindex", i->if_name);
		snprintf(want, sizeof(want), "%u\n", i->if_index);
		expect_file(h, path, want);
	}
	close(fd);
	/* each interface a link in class/net, as sysfs lists them */
	int64_t dir = g_open(h, DSV_AT_FDCWD, "/sys/class/net", O_RDONLY | O_DIRECTORY, 0);
	assert_true(dir >= 0);
	uint64_t dents = h_buf(h, 4096);
	int64_t n = h_call(h, DSV_HC_GETDENTS64, (uint64_t)dir, dents, 4096, 0, 0, 0);
	int links = 0, names = 0;
	for (int64_t off = 0; off < n;) {
		struct dirent64 *e = (struct dirent64 *)((char *)h_host(h, dents) + off);
		off += e->d_reclen;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		links += e->d_type == DT_LNK;
		names++;
	}
	g_close(h, (int)dir);
	int want_names = 0;
	for (struct if_nameindex *i = ifs; i->if_index; i++)
		want_names++;
	assert_int_equal(names, want_names);
	assert_int_equal(links, want_names);
	if_freenameindex(ifs);
	int host = open("/proc/self/net/route", O_RDONLY | O_CLOEXEC);
	if (host >= 0) {
		char want[4096];
		ssize_t n = read(host, want, sizeof(want) - 1);
		close(host);
		assert_true(n >= 0);
		want[n] = '\0';
		expect_file(h, "/proc/net/route", want);
	}
	int host_id = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	assert_true(host_id >= 0);
	ssize_t idn = read(host_id, other, sizeof(other) - 1);
	close(host_id);
	assert_int_equal(idn, 37);
	other[idn] = '\0';
	expect_file(h, "/proc/sys/kernel/random/boot_id", other); /* the host's: same machine */
	/* /proc/self/ns/net: stat, statx and fstat give the inode of hvmm's namespace */
	struct stat ns;
	assert_int_equal(stat("/proc/self/ns/net", &ns), 0);
	static const char nspath[] = "/proc/self/ns/net";
	uint64_t p = h_put(h, nspath, sizeof(nspath) - 1), sb = h_buf(h, sizeof(struct stat));
	assert_int_equal(
		h_call(h, DSV_HC_FSTATAT, (uint64_t)DSV_AT_FDCWD, p, sizeof(nspath) - 1, sb, 0, 0),
		0);
	assert_int_equal(((struct stat *)h_host(h, sb))->st_ino, ns.st_ino);
	uint64_t xb = h_buf(h, sizeof(struct statx));
	assert_int_equal(h_call(h, DSV_HC_STATX, (uint64_t)DSV_AT_FDCWD, p, sizeof(nspath) - 1, 0,
				STATX_INO, xb),
			 0);
	assert_int_equal(((struct statx *)h_host(h, xb))->stx_ino, ns.st_ino);
	int64_t nsfd = g_open(h, DSV_AT_FDCWD, nspath, O_RDONLY, 0);
	assert_true(nsfd >= 0);
	memset(h_host(h, sb), 0, sizeof(struct stat));
	assert_int_equal(h_call(h, DSV_HC_FSTAT, (uint64_t)nsfd, sb, 0, 0, 0, 0), 0);
	assert_int_equal(((struct stat *)h_host(h, sb))->st_ino, ns.st_ino);
	g_close(h, (int)nsfd);
	/* any other file of the view keeps its own inode */
	static const char other_path[] = "/proc/meminfo";
	p = h_put(h, other_path, sizeof(other_path) - 1);
	assert_int_equal(h_call(h, DSV_HC_FSTATAT, (uint64_t)DSV_AT_FDCWD, p,
				sizeof(other_path) - 1, sb, 0, 0),
			 0);
	assert_int_not_equal(((struct stat *)h_host(h, sb))->st_ino, ns.st_ino);
	h_free(h);

	h = h_new(0);
	setenv("TMPDIR", h->outside, 1);
	s.net_host = 0;
	assert_int_equal(fileio_make_view(h->fio, &s, err, sizeof(err)), 0);
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "/sys/class/net", O_RDONLY | O_DIRECTORY, 0),
			 -ENOENT);
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "/proc/net/route", O_RDONLY, 0), -ENOENT);
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "/proc/self/ns/net", O_RDONLY, 0), -ENOENT);
	h_free(h);
}

/* The tree lives as long as the fileio and no longer. */
static void test_removed(void **state)
{
	(void)state;
	struct h *h = h_new(1);
	char err[256] = "";
	struct fileio_view_spec bad = { .nvcpus = 0, .mem_bytes = MEM };
	assert_int_equal(fileio_make_view(h->fio, &bad, err, sizeof(err)), -EINVAL);
	setenv("TMPDIR", h->outside, 1);
	struct fileio_view_spec s = { .nvcpus = 70, .mem_bytes = MEM };
	assert_int_equal(fileio_make_view(h->fio, &s, err, sizeof(err)), 0);
	assert_int_equal(count_views(h->outside), 1);
	/* a cpumap wider than 32 bits: 32-bit groups, the first as wide as the CPUs need */
	expect_file(h, "/sys/devices/system/cpu/cpu0/topology/package_cpus",
		    "3f,ffffffff,ffffffff\n");
	expect_file(h, "/sys/devices/system/cpu/cpu69/topology/core_cpus",
		    "20,00000000,00000000\n");
	fileio_destroy(h->fio);
	h->fio = NULL;
	assert_int_equal(count_views(h->outside), 0);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cpus, setup_noshare, teardown),
		cmocka_unit_test_setup_teardown(test_cpus, setup_share, teardown),
		cmocka_unit_test_setup_teardown(test_memory_and_status, setup_noshare, teardown),
		cmocka_unit_test_setup_teardown(test_namespaces, setup_share, teardown),
		cmocka_unit_test_setup_teardown(test_listing, setup_share, teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup_share, teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup_noshare, teardown),
		cmocka_unit_test(test_removed),
		cmocka_unit_test(test_network),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
