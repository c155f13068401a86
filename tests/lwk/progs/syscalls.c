/* Exercises the system calls the lwk answers or offloads (docs/lwk.md). Prints one line
 * per check; the output must be identical natively and under hvmm, with musl and glibc.
 * Run it with the current directory in the share: it creates and removes t_* there. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define ARCH_GET_FS 0x1003
/* <linux/futex.h> is not in musl's include path */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#define FUTEX_WAIT_BITSET_PRIVATE 137
#define FUTEX_BITSET_MATCH_ANY 0xffffffff

static int fails;

#define CHECK(name, cond)                                             \
	do {                                                          \
		errno = 0;                                            \
		if (cond) {                                           \
			printf("%s: ok\n", name);                     \
		} else {                                              \
			printf("%s: FAIL (errno %d)\n", name, errno); \
			fails++;                                      \
		}                                                     \
	} while (0)

struct kstatx { /* the leading part of struct statx we look at */
	unsigned int mask, blksize;
	unsigned long long attributes;
	unsigned int nlink, uid, gid;
	unsigned short mode, pad;
	unsigned long long ino, size;
	char rest[256 - 48];
};

static void handler(int sig)
{
	(void)sig;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void files(void)
{
	struct stat st;
	char buf[64] = { 0 };
	int fd = (int)syscall(SYS_open, "t_file.txt", O_CREAT | O_TRUNC | O_RDWR, 0644);
	CHECK("open", fd >= 0);
	CHECK("write", write(fd, "hello world\n", 12) == 12);
	struct iovec wv[2] = { { "abc", 3 }, { "defg", 4 } };
	CHECK("writev", writev(fd, wv, 2) == 7);
	CHECK("pwrite64", pwrite(fd, "XY", 2, 0) == 2);
	CHECK("lseek", lseek(fd, 0, SEEK_SET) == 0);
	CHECK("read", read(fd, buf, 12) == 12 && !memcmp(buf, "XYllo world\n", 12));
	char a[3], b[4];
	struct iovec rv[2] = { { a, 3 }, { b, 4 } };
	CHECK("readv", readv(fd, rv, 2) == 7 && !memcmp(a, "abc", 3) && !memcmp(b, "defg", 4));
	CHECK("read at EOF", read(fd, buf, sizeof buf) == 0);
	CHECK("pread64", pread(fd, buf, 5, 6) == 5 && !memcmp(buf, "world", 5));
	CHECK("fstat", syscall(SYS_fstat, fd, &st) == 0 && st.st_size == 19 && S_ISREG(st.st_mode));
	CHECK("ftruncate",
	      ftruncate(fd, 5) == 0 && syscall(SYS_fstat, fd, &st) == 0 && st.st_size == 5);
	CHECK("fsync", fsync(fd) == 0);
	struct winsize ws;
	CHECK("ioctl TIOCGWINSZ on a file", ioctl(fd, TIOCGWINSZ, &ws) == -1 && errno == ENOTTY);
	CHECK("fcntl F_GETFL", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR);
	int fd2 = dup(fd);
	CHECK("dup", fd2 > fd && close(fd2) == 0);
	CHECK("write from a kernel address",
	      write(fd, (void *)0xffffffff80100000ul, 8) == -1 && errno == EFAULT);
	CHECK("read into NULL", lseek(fd, 0, SEEK_SET) == 0 && /* at EOF Linux would not fault */
					syscall(SYS_read, fd, NULL, 8) == -1 && errno == EFAULT);
	CHECK("close", close(fd) == 0);
	CHECK("close twice", close(fd) == -1 && errno == EBADF);

	fd = (int)syscall(SYS_openat, AT_FDCWD, "t_file.txt", O_RDONLY);
	CHECK("openat", fd >= 0);
	CHECK("newfstatat",
	      syscall(SYS_newfstatat, AT_FDCWD, "t_file.txt", &st, 0) == 0 && st.st_size == 5);
	struct kstatx sx;
	CHECK("statx",
	      syscall(SYS_statx, AT_FDCWD, "t_file.txt", 0, 0x200 /* STATX_SIZE */, &sx) == 0 &&
		      sx.size == 5);
	CHECK("open missing", open("t_missing", O_RDONLY) == -1 && errno == ENOENT);
	close(fd);

	CHECK("mkdirat", syscall(SYS_mkdirat, AT_FDCWD, "t_dir", 0755) == 0);
	CHECK("renameat",
	      syscall(SYS_renameat, AT_FDCWD, "t_file.txt", AT_FDCWD, "t_dir/moved.txt") == 0);
	int dfd = open("t_dir", O_RDONLY | O_DIRECTORY);
	char dbuf[4096], *names[16];
	long n = syscall(SYS_getdents64, dfd, dbuf, sizeof dbuf);
	int count = 0;
	for (long off = 0; off < n && count < 16;) {
		unsigned short reclen = *(unsigned short *)(dbuf + off + 16);
		names[count++] = dbuf + off + 19;
		off += reclen;
	}
	qsort(names, (size_t)count, sizeof names[0], cmp_names);
	printf("t_dir:");
	for (int i = 0; i < count; i++)
		printf(" %s", names[i]);
	printf("\n");
	CHECK("getdents64", n > 0 && count == 3);
	close(dfd);
	CHECK("unlinkat", syscall(SYS_unlinkat, AT_FDCWD, "t_dir/moved.txt", 0) == 0);
	CHECK("unlinkat dir", syscall(SYS_unlinkat, AT_FDCWD, "t_dir", AT_REMOVEDIR) == 0);

	char cwd[4096];
	CHECK("getcwd", getcwd(cwd, sizeof cwd) && cwd[0] == '/');
	char exe[4096];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[len > 0 ? len : 0] = 0;
	CHECK("readlink /proc/self/exe", len > 0 && exe[0] == '/' && strstr(exe, "syscalls"));
}

static void identity(void)
{
	struct utsname u;
	CHECK("uname",
	      uname(&u) == 0 && !strcmp(u.sysname, "Linux") && !strcmp(u.machine, "x86_64"));
	CHECK("getpid", getpid() > 0);
	CHECK("gettid", syscall(SYS_gettid) == getpid());
	CHECK("getppid", getppid() >= 0);
	CHECK("getuid and friends", getuid() == geteuid() && getgid() == getegid());
	unsigned char rnd[32];
	CHECK("getrandom", syscall(SYS_getrandom, rnd, sizeof rnd, 0) == sizeof rnd);
	struct rlimit rl;
	CHECK("prlimit64",
	      syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl) == 0 && rl.rlim_cur > 0);
	struct sysinfo si;
	CHECK("sysinfo", sysinfo(&si) == 0 && si.totalram > 0);
	unsigned long fsbase = 0;
	CHECK("arch_prctl", syscall(SYS_arch_prctl, ARCH_GET_FS, &fsbase) == 0 && fsbase != 0);
	static int clear_tid;
	CHECK("set_tid_address", syscall(SYS_set_tid_address, &clear_tid) == getpid());
	static long robust_head[3];
	robust_head[0] = (long)robust_head; /* an empty list */
	CHECK("set_robust_list",
	      syscall(SYS_set_robust_list, robust_head, sizeof robust_head) == 0);
}

static void signals_and_time(void)
{
	struct sigaction sa = { 0 }, old;
	sa.sa_handler = handler;
	CHECK("rt_sigaction", sigaction(SIGUSR1, &sa, NULL) == 0 &&
				      sigaction(SIGUSR1, NULL, &old) == 0 &&
				      old.sa_handler == handler);
	sigset_t set, oset;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	CHECK("rt_sigprocmask", sigprocmask(SIG_BLOCK, &set, NULL) == 0 &&
					sigprocmask(SIG_BLOCK, NULL, &oset) == 0 &&
					sigismember(&oset, SIGUSR2));
	CHECK("sched_yield", sched_yield() == 0);
	cpu_set_t cs;
	CHECK("sched_getaffinity",
	      sched_getaffinity(0, sizeof cs, &cs) == 0 && CPU_COUNT(&cs) >= 1);

	struct timespec t0, t1, d = { 0, 2000000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK("nanosleep", nanosleep(&d, NULL) == 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long us = (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
	/* at least the time asked for; the upper bound only catches a clock that is wildly
	 * off, never a busy host's late wake-up */
	CHECK("clock_gettime", us >= 2000 && us < 60000000);
	struct timeval tv;
	CHECK("gettimeofday", gettimeofday(&tv, NULL) == 0 && tv.tv_sec > 1600000000);
	CHECK("time", time(NULL) > 1600000000);
	CHECK("vDSO announced", getauxval(AT_SYSINFO_EHDR) != 0);
}

static void futexes(void)
{
	static int word = 5;
	struct timespec rel = { 0, 1000000 }, abs;
	CHECK("futex WAIT timeout",
	      syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 5, &rel, NULL, 0) == -1 &&
		      errno == ETIMEDOUT);
	CHECK("futex WAIT changed value",
	      syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 4, &rel, NULL, 0) == -1 &&
		      errno == EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 1000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	CHECK("futex WAIT_BITSET deadline", syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 5,
						    &abs, NULL, FUTEX_BITSET_MATCH_ANY) == -1 &&
						    errno == ETIMEDOUT);
	CHECK("futex WAKE nobody",
	      syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 0);
}

static void memory(void)
{
	size_t mb = 1 << 20;
	unsigned char *p =
		mmap(NULL, mb, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap", p != MAP_FAILED && p[0] == 0 && p[mb - 1] == 0);
	memset(p, 0xab, mb);
	CHECK("mprotect",
	      mprotect(p, 4096, PROT_READ) == 0 && mprotect(p, 4096, PROT_READ | PROT_WRITE) == 0);
	CHECK("madvise DONTNEED", madvise(p, mb, MADV_DONTNEED) == 0 && p[100] == 0);
	p[0] = 7;
	unsigned char *q = mremap(p, mb, 4 * mb, MREMAP_MAYMOVE);
	CHECK("mremap", q != MAP_FAILED && q[0] == 7 && q[4 * mb - 1] == 0);
	CHECK("munmap", munmap(q, 4 * mb) == 0);
	void *guard = mmap(NULL, 65536, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap PROT_NONE", guard != MAP_FAILED && munmap(guard, 65536) == 0);
	char *cur = (char *)syscall(SYS_brk, 0);
	char *grown = (char *)syscall(SYS_brk, cur + 65536);
	CHECK("brk", grown == cur + 65536);
	if (grown == cur + 65536)
		memset(cur, 1, 65536);
	CHECK("brk shrink", (char *)syscall(SYS_brk, cur) == cur);
}

int main(void)
{
	files();
	identity();
	signals_and_time();
	futexes();
	memory();
	printf("failures: %d\n", fails);
	fflush(stdout);
	syscall(SYS_exit_group, fails ? 1 : 0);
	return 2;
}
