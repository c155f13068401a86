/*
 * File metadata and NUMA policy calls, natively and under the lwk (tests/lwk/compare.sh):
 * statfs, fstatfs, chmod, fchmod, fchmodat, utimensat (futimens), futimesat, utimes, utime,
 * set_mempolicy, get_mempolicy, mbind, set_mempolicy_home_node. Run in an empty working
 * directory (the share). Prints only what is the same on both: errno names, f_type magic
 * numbers, mode bits, times it set itself, whether a time changed. Raw system calls, so
 * glibc and musl make the same calls.
 * usage: fsmeta statfs|chmod|utimes|numa...   (numa exits 77 on a host with more than node
 * 0, where the VM's answers cannot match). No symbolic links: the lwk cannot make them
 * (symlink is ENOSYS); tests/hvmm/fileio/test_fileio_meta.c covers them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BAD ((void *)8) /* never mapped */
#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_LOCAL 4
#define MPOL_F_STATIC_NODES (1 << 15)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_NODE 1
#define MPOL_F_ADDR 2
#define MPOL_F_MEMS_ALLOWED 4
#ifndef SYS_set_mempolicy_home_node
#define SYS_set_mempolicy_home_node 450
#endif

static const char *ename(int e)
{
	static const struct {
		int e;
		const char *n;
	} t[] = { { EPERM, "EPERM" },	{ ENOENT, "ENOENT" },
		  { EBADF, "EBADF" },	{ EACCES, "EACCES" },
		  { EFAULT, "EFAULT" }, { ENOTDIR, "ENOTDIR" },
		  { EINVAL, "EINVAL" }, { ENOSYS, "ENOSYS" },
		  { EROFS, "EROFS" },	{ ELOOP, "ELOOP" },
		  { ENOMEM, "ENOMEM" }, { EOPNOTSUPP, "EOPNOTSUPP" },
		  { EIO, "EIO" },	{ ENAMETOOLONG, "ENAMETOOLONG" } };
	static char other[32];
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].e == e)
			return t[i].n;
	snprintf(other, sizeof(other), "errno %d", e);
	return other;
}

/* "label: 0" or "label: ENAME" */
static void show(const char *label, long r)
{
	if (r < 0)
		printf("%s: %s\n", label, ename(errno));
	else
		printf("%s: %ld\n", label, r);
}

static unsigned mode_of(const char *p)
{
	struct stat st;
	return lstat(p, &st) ? 0xffff : (unsigned)(st.st_mode & 07777);
}

static void do_statfs(void)
{
	struct statfs here, st;
	int fd = open("f", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	show("statfs .", syscall(SYS_statfs, ".", &here));
	show("statfs f", syscall(SYS_statfs, "f", &st));
	printf("  same file system as .: %d\n", st.f_type == here.f_type);
	show("fstatfs f", syscall(SYS_fstatfs, fd, &st));
	printf("  same file system as .: %d\n", st.f_type == here.f_type);
	static const char *const view[] = { "/proc", "/proc/self/status", "/sys/devices/system/cpu",
					    "/sys/devices/system/cpu/online" };
	for (size_t i = 0; i < sizeof(view) / sizeof(view[0]); i++) {
		char label[64];
		snprintf(label, sizeof(label), "statfs %s", view[i]);
		long r = syscall(SYS_statfs, view[i], &st);
		show(label, r);
		if (r == 0)
			printf("  f_type %#lx f_bsize %ld f_namelen %ld\n", (long)st.f_type,
			       (long)st.f_bsize, (long)st.f_namelen);
	}
	int pfd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	show("fstatfs /proc/self/status", syscall(SYS_fstatfs, pfd, &st));
	printf("  f_type %#lx\n", (long)st.f_type);
	close(pfd);
	show("statfs missing", syscall(SYS_statfs, "missing", &st));
	show("statfs empty path", syscall(SYS_statfs, "", &st));
	show("statfs f/x (not a directory)", syscall(SYS_statfs, "f/x", &st));
	show("statfs NULL path", syscall(SYS_statfs, NULL, &st));
	show("statfs bad buffer", syscall(SYS_statfs, ".", BAD));
	show("statfs missing, bad buffer (lookup first)", syscall(SYS_statfs, "missing", BAD));
	show("fstatfs bad buffer", syscall(SYS_fstatfs, fd, BAD));
	show("fstatfs -1", syscall(SYS_fstatfs, -1, &st));
	show("fstatfs 999", syscall(SYS_fstatfs, 999, &st));
	close(fd);
	unlink("f");
}

static void do_chmod(void)
{
	int fd = open("f", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	mkdir("d", 0755);
	close(open("d/in", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	show("chmod f 0600", syscall(SYS_chmod, "f", 0600));
	printf("  mode %04o\n", mode_of("f"));
	show("fchmod f 0640", syscall(SYS_fchmod, fd, 0640));
	printf("  mode %04o\n", mode_of("f"));
	show("fchmodat AT_FDCWD f 0604", syscall(SYS_fchmodat, AT_FDCWD, "f", 0604));
	printf("  mode %04o\n", mode_of("f"));
	show("chmod d 0700", syscall(SYS_chmod, "d", 0700));
	printf("  mode %04o\n", mode_of("d"));
	int dfd = open("d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	show("fchmodat d in 0640", syscall(SYS_fchmodat, dfd, "in", 0640));
	printf("  mode %04o\n", mode_of("d/in"));
	show("fchmodat d missing", syscall(SYS_fchmodat, dfd, "missing", 0640));
	show("fchmodat on a file descriptor", syscall(SYS_fchmodat, fd, "in", 0640));
	show("fchmodat 999", syscall(SYS_fchmodat, 999, "in", 0640));
	show("chmod missing", syscall(SYS_chmod, "missing", 0644));
	show("chmod empty path", syscall(SYS_chmod, "", 0644));
	show("chmod NULL", syscall(SYS_chmod, NULL, 0644));
	show("chmod bad path pointer", syscall(SYS_chmod, BAD, 0644));
	show("fchmod -1", syscall(SYS_fchmod, -1, 0644));
	int opath = open("f", O_PATH | O_CLOEXEC);
	show("fchmod O_PATH descriptor", syscall(SYS_fchmod, opath, 0644));
	close(opath);
	/* Linux refuses a mode change on its own files even to root */
	show("chmod /proc/self/status", syscall(SYS_chmod, "/proc/self/status", 0666));
	show("chmod /proc/self/missing", syscall(SYS_chmod, "/proc/self/missing", 0666));
	close(dfd);
	close(fd);
	unlink("f");
	unlink("d/in");
	rmdir("d");
}

static void times_of(const char *label, const char *p, int nofollow)
{
	struct stat st;
	if ((nofollow ? lstat(p, &st) : stat(p, &st)) == 0)
		printf("  %s atime %lld.%09ld mtime %lld.%09ld\n", label,
		       (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
		       (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static long mtime_sec(const char *p)
{
	struct stat st;
	return stat(p, &st) ? -1 : (long)st.st_mtim.tv_sec;
}

static void do_utimes(void)
{
	const struct timespec set[2] = { { 1000000000, 123456789 }, { 1200000000, 987654321 } };
	const struct timespec omit_a[2] = { { 7, UTIME_OMIT }, { 1300000000, 5 } };
	const struct timespec now_m[2] = { { 1, UTIME_OMIT }, { 0, UTIME_NOW } };
	const struct timespec omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	const struct timespec link_t[2] = { { 1250000000, 1 }, { 1250000001, 2 } };
	const struct timespec bad_ns[2] = { { 0, 1000000000 }, { 0, 0 } };
	int fd = open("f", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	mkdir("d", 0755);
	show("utimensat f", syscall(SYS_utimensat, AT_FDCWD, "f", set, 0));
	times_of("f", "f", 0);
	show("utimensat f atime UTIME_OMIT", syscall(SYS_utimensat, AT_FDCWD, "f", omit_a, 0));
	times_of("f", "f", 0);
	show("utimensat f mtime UTIME_NOW", syscall(SYS_utimensat, AT_FDCWD, "f", now_m, 0));
	printf("  mtime changed: %d\n", mtime_sec("f") != 1300000000);
	syscall(SYS_utimensat, AT_FDCWD, "f", set, 0);
	show("utimensat f NULL times", syscall(SYS_utimensat, AT_FDCWD, "f", NULL, 0));
	printf("  mtime changed: %d\n", mtime_sec("f") != 1200000000);
	syscall(SYS_utimensat, AT_FDCWD, "f", set, 0); /* known times again */
	show("utimensat both UTIME_OMIT, NULL path",
	     syscall(SYS_utimensat, AT_FDCWD, NULL, omit, 0));
	show("utimensat NULL path", syscall(SYS_utimensat, AT_FDCWD, NULL, set, 0));
	show("utimensat bad times pointer", syscall(SYS_utimensat, AT_FDCWD, "f", BAD, 0));
	show("utimensat bad path pointer", syscall(SYS_utimensat, AT_FDCWD, BAD, set, 0));
	show("utimensat bad flags", syscall(SYS_utimensat, AT_FDCWD, "f", set, 0x4));
	show("utimensat bad nanoseconds", syscall(SYS_utimensat, AT_FDCWD, "f", bad_ns, 0));
	show("utimensat bad nanoseconds, missing file",
	     syscall(SYS_utimensat, AT_FDCWD, "missing", bad_ns, 0));
	show("utimensat missing", syscall(SYS_utimensat, AT_FDCWD, "missing", set, 0));
	show("utimensat empty path", syscall(SYS_utimensat, AT_FDCWD, "", set, 0));
	show("utimensat d (a directory)", syscall(SYS_utimensat, AT_FDCWD, "d", set, 0));
	times_of("d", "d", 0);
	show("utimensat f AT_SYMLINK_NOFOLLOW (no link)",
	     syscall(SYS_utimensat, AT_FDCWD, "f", link_t, AT_SYMLINK_NOFOLLOW));
	times_of("f", "f", 0);
	show("futimens f (NULL path)", syscall(SYS_utimensat, fd, NULL, omit_a, 0));
	times_of("f", "f", 0);
	show("futimens with a flag", syscall(SYS_utimensat, fd, NULL, set, AT_SYMLINK_NOFOLLOW));
	show("futimens -1", syscall(SYS_utimensat, -1, NULL, set, 0));
	show("futimens 999", syscall(SYS_utimensat, 999, NULL, set, 0));
	show("utimensat f AT_EMPTY_PATH", syscall(SYS_utimensat, fd, "", set, AT_EMPTY_PATH));
	times_of("f", "f", 0);
	int opath = open("f", O_PATH | O_CLOEXEC);
	show("futimens O_PATH descriptor", syscall(SYS_utimensat, opath, NULL, set, 0));
	show("utimensat O_PATH AT_EMPTY_PATH",
	     syscall(SYS_utimensat, opath, "", omit_a, AT_EMPTY_PATH));
	times_of("f", "f", 0);
	close(opath);
	int dfd = open("d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	show("utimensat relative to d, ../f", syscall(SYS_utimensat, dfd, "../f", set, 0));
	times_of("f", "f", 0);
	close(dfd);

	struct timeval tv[2] = { { 1100000000, 500000 }, { 1100000001, 999999 } };
	show("futimesat f", syscall(SYS_futimesat, AT_FDCWD, "f", tv));
	times_of("f", "f", 0);
	show("futimesat fd NULL path", syscall(SYS_futimesat, fd, NULL, tv));
	tv[1].tv_usec = 1000000;
	show("futimesat 1000000 us", syscall(SYS_futimesat, AT_FDCWD, "f", tv));
	tv[1].tv_usec = -1;
	show("utimes -1 us", syscall(SYS_utimes, "f", tv));
	tv[1].tv_usec = 250000;
	show("utimes f", syscall(SYS_utimes, "f", tv));
	times_of("f", "f", 0);
	show("utimes f NULL", syscall(SYS_utimes, "f", NULL));
	printf("  mtime changed: %d\n", mtime_sec("f") != 1100000001);
	show("utimes bad times pointer", syscall(SYS_utimes, "f", BAD));
	const struct {
		long a, m;
	} ub = { 7, 8 };
	show("utime f", syscall(SYS_utime, "f", &ub));
	times_of("f", "f", 0);
	show("utime NULL path", syscall(SYS_utime, NULL, &ub));
	show("utime bad times pointer", syscall(SYS_utime, "f", BAD));
	show("utime missing", syscall(SYS_utime, "missing", NULL));
	close(fd);
	unlink("f");
	rmdir("d");
}

static long getp(int *mode, unsigned long *mask, unsigned long maxnode, void *addr,
		 unsigned long flags)
{
	return syscall(SYS_get_mempolicy, mode, mask, maxnode, addr, flags);
}

static void policy(const char *label, void *addr, unsigned long flags)
{
	int mode = -1;
	unsigned long mask[2] = { 0xaa, 0xaa };
	long r = getp(&mode, mask, 128, addr, flags);
	if (r < 0)
		printf("  %s: %s\n", label, ename(errno));
	else
		printf("  %s: mode %#x nodes %#lx %#lx\n", label, mode, mask[0], mask[1]);
}

static void setp(const char *label, int mode, unsigned long mask, unsigned long maxnode)
{
	show(label, syscall(SYS_set_mempolicy, mode, &mask, maxnode));
	policy("get_mempolicy", NULL, 0);
}

static int do_numa(void)
{
	unsigned long m[2] = { 0, 0 };
	if (getp(NULL, m, 128, NULL, MPOL_F_MEMS_ALLOWED) || m[0] != 1 || m[1]) {
		printf("the host has other NUMA nodes than node 0 (%#lx %#lx)\n", m[0], m[1]);
		return 77;
	}
	policy("at start", NULL, 0);
	policy("MPOL_F_MEMS_ALLOWED", NULL, MPOL_F_MEMS_ALLOWED);
	setp("set_mempolicy BIND {0}", MPOL_BIND, 1, 2);
	policy("MPOL_F_NODE, not interleaving", NULL, MPOL_F_NODE);
	setp("set_mempolicy BIND {0,1}", MPOL_BIND, 3, 64);
	setp("set_mempolicy BIND|STATIC {0,1}", MPOL_BIND | MPOL_F_STATIC_NODES, 3, 64);
	setp("set_mempolicy INTERLEAVE|RELATIVE {5}", MPOL_INTERLEAVE | MPOL_F_RELATIVE_NODES,
	     1ul << 5, 64);
	setp("set_mempolicy INTERLEAVE {0}", MPOL_INTERLEAVE, 1, 64);
	policy("MPOL_F_NODE, interleaving", NULL, MPOL_F_NODE);
	setp("set_mempolicy PREFERRED {0}", MPOL_PREFERRED, 1, 64);
	setp("set_mempolicy PREFERRED {}", MPOL_PREFERRED, 0, 64);
	setp("set_mempolicy LOCAL", MPOL_LOCAL, 0, 64);
	setp("set_mempolicy LOCAL, maxnode 0 with a mask", MPOL_LOCAL, 0, 0);
	setp("set_mempolicy LOCAL {0}", MPOL_LOCAL, 1, 64);
	setp("set_mempolicy BIND {}", MPOL_BIND, 0, 64);
	setp("set_mempolicy BIND {1} (no such node)", MPOL_BIND, 2, 64);
	setp("set_mempolicy BIND {0} beyond maxnode", MPOL_BIND, 1, 1);
	setp("set_mempolicy PREFERRED|STATIC {}", MPOL_PREFERRED | MPOL_F_STATIC_NODES, 0, 64);
	setp("set_mempolicy BIND|STATIC|RELATIVE", MPOL_BIND | 3 << 14, 1, 64);
	setp("set_mempolicy DEFAULT {0}", MPOL_DEFAULT, 1, 64);
	setp("set_mempolicy mode 99", 99, 1, 64);
	setp("set_mempolicy mode -1", -1, 1, 64);
	setp("set_mempolicy DEFAULT", MPOL_DEFAULT, 0, 64);
	show("set_mempolicy BIND bad mask pointer", syscall(SYS_set_mempolicy, MPOL_BIND, BAD, 65));
	show("set_mempolicy BIND NULL mask", syscall(SYS_set_mempolicy, MPOL_BIND, NULL, 65));
	show("set_mempolicy maxnode 2^20", syscall(SYS_set_mempolicy, MPOL_BIND, m, 1ul << 20));
	unsigned long big[40] = { 1 };
	big[1500 / 64] = 1ul << (1500 % 64);
	show("set_mempolicy node 1500 set", syscall(SYS_set_mempolicy, MPOL_BIND, big, 2000));
	big[1500 / 64] = 0;
	show("set_mempolicy maxnode 2000, node 0",
	     syscall(SYS_set_mempolicy, MPOL_BIND, big, 2000));
	policy("get_mempolicy", NULL, 0);
	syscall(SYS_set_mempolicy, MPOL_DEFAULT, NULL, 0);

	int mode;
	show("get_mempolicy maxnode 0", getp(&mode, m, 0, NULL, 0));
	show("get_mempolicy flags 8", getp(&mode, m, 64, NULL, 8));
	show("get_mempolicy MEMS_ALLOWED|NODE", getp(&mode, m, 64, NULL, MPOL_F_MEMS_ALLOWED | 1));
	show("get_mempolicy addr without MPOL_F_ADDR", getp(&mode, m, 64, (void *)4096, 0));
	show("get_mempolicy bad policy pointer", getp(BAD, m, 64, NULL, 0));
	show("get_mempolicy bad mask pointer", getp(&mode, BAD, 64, NULL, 0));
	show("get_mempolicy maxnode 2^20", getp(&mode, m, 1ul << 20, NULL, 0));
	unsigned long w[4];
	memset(w, 0xff, sizeof(w));
	show("get_mempolicy maxnode 1", getp(&mode, w, 1, NULL, MPOL_F_MEMS_ALLOWED));
	printf("  words %#lx %#lx %#lx %#lx\n", w[0], w[1], w[2], w[3]);
	memset(w, 0xff, sizeof(w));
	show("get_mempolicy maxnode 200", getp(&mode, w, 200, NULL, MPOL_F_MEMS_ALLOWED));
	printf("  words %#lx %#lx %#lx %#lx\n", w[0], w[1], w[2], w[3]);

	long pg = 4096;
	char *p = mmap(NULL, 6 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *q = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || q == MAP_FAILED)
		return 1;
	munmap(p + 4 * pg, 2 * pg); /* p: 4 pages, then a hole */
	unsigned long one = 1;
	show("mbind p BIND {0}", syscall(SYS_mbind, p, 4 * pg, MPOL_BIND, &one, 2, 0));
	policy("p", p, MPOL_F_ADDR);
	policy("p + 3 pages", p + 3 * pg, MPOL_F_ADDR);
	policy("p, MPOL_F_NODE", p, MPOL_F_ADDR | MPOL_F_NODE);
	policy("q (no mbind)", q, MPOL_F_ADDR);
	policy("the hole after p", p + 4 * pg, MPOL_F_ADDR);
	show("mbind p + 1 page DEFAULT", syscall(SYS_mbind, p + pg, pg, MPOL_DEFAULT, NULL, 0, 0));
	policy("p", p, MPOL_F_ADDR);
	policy("p + 1 page", p + pg, MPOL_F_ADDR);
	show("mbind p + 2 pages PREFERRED|STATIC {0,3}",
	     syscall(SYS_mbind, p + 2 * pg, pg, MPOL_PREFERRED | MPOL_F_STATIC_NODES,
		     (unsigned long[]){ 9 }, 64, 0));
	policy("p + 2 pages", p + 2 * pg, MPOL_F_ADDR);
	show("mbind into the hole", syscall(SYS_mbind, p + 3 * pg, 2 * pg, MPOL_BIND, &one, 2, 0));
	show("mbind DEFAULT into the hole",
	     syscall(SYS_mbind, p + 3 * pg, 2 * pg, MPOL_DEFAULT, NULL, 0, 0));
	show("mbind only the hole", syscall(SYS_mbind, p + 4 * pg, pg, MPOL_DEFAULT, NULL, 0, 0));
	show("mbind unaligned", syscall(SYS_mbind, p + 1, pg, MPOL_BIND, &one, 2, 0));
	show("mbind length 0", syscall(SYS_mbind, p, 0, MPOL_BIND, &one, 2, 0));
	show("mbind flags 8", syscall(SYS_mbind, p, pg, MPOL_BIND, &one, 2, 8));
	show("mbind MPOL_MF_STRICT", syscall(SYS_mbind, p, pg, MPOL_BIND, &one, 2, 1));
	show("mbind BIND {}", syscall(SYS_mbind, p, pg, MPOL_BIND, NULL, 0, 0));
	show("mbind bad mask pointer", syscall(SYS_mbind, p, pg, MPOL_BIND, BAD, 65, 0));
	show("mbind wrapping", syscall(SYS_mbind, p, -2 * pg, MPOL_BIND, &one, 2, 0));
	show("home node p", syscall(SYS_set_mempolicy_home_node, p, 4 * pg, 0, 0));
	show("home node p, first page", syscall(SYS_set_mempolicy_home_node, p, pg, 0, 0));
	show("home node q (no policy)", syscall(SYS_set_mempolicy_home_node, q, 2 * pg, 0, 0));
	show("home node 1", syscall(SYS_set_mempolicy_home_node, p, pg, 1, 0));
	show("home node flags", syscall(SYS_set_mempolicy_home_node, p, pg, 0, 1));
	show("home node unaligned", syscall(SYS_set_mempolicy_home_node, p + 1, pg, 0, 0));
	show("home node length 0", syscall(SYS_set_mempolicy_home_node, q, 0, 0, 0));
	show("mbind q INTERLEAVE {0}", syscall(SYS_mbind, q, 2 * pg, MPOL_INTERLEAVE, &one, 2, 0));
	show("home node q (interleave)", syscall(SYS_set_mempolicy_home_node, q, 2 * pg, 0, 0));
	/* unmapped and mapped again: the policy went with the mapping */
	munmap(q, 2 * pg);
	policy("q unmapped", q, MPOL_F_ADDR);
	char *q2 = mmap(q, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			-1, 0);
	policy("q mapped again", q2, MPOL_F_ADDR);
	munmap(q2, 2 * pg);
	munmap(p, 4 * pg);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;
	setvbuf(stdout, NULL, _IONBF, 0);
	umask(022);
	for (int i = 1; i < argc && !rc; i++) {
		printf("== %s\n", argv[i]);
		if (!strcmp(argv[i], "statfs"))
			do_statfs();
		else if (!strcmp(argv[i], "chmod"))
			do_chmod();
		else if (!strcmp(argv[i], "utimes"))
			do_utimes();
		else if (!strcmp(argv[i], "numa"))
			rc = do_numa();
		else
			rc = 2;
	}
	return rc;
}
