/* File system calls, offloaded to the VMM (include/dsv/fileio.h). The kernel checks that
 * every buffer lies in the user window and passes its guest-physical address; the
 * window is physically contiguous, so one range is one hypercall (up to 1 MiB each). */
#include "syscall.h"
#include "exec.h"
#include "host.h"
#include "sys_procfd.h"
#include "uaccess.h"
#include <dsv/fileio.h>

#define FD(x) ((uint64_t)(int64_t)(int32_t)(x))
#define AT_FDCWD FD(DSV_AT_FDCWD)
#define AT_REMOVEDIR 0x200
#define AT_EMPTY_PATH 0x1000
#define STAT_SIZE 144
#define STATX_SIZE 256
#define IOV_MAX 1024
#define O_WRONLY 1
#define TCGETS 0x5401
#define TIOCGWINSZ 0x5413

static int64_t hc(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		  uint64_t a5)
{
	return host_call(nr, a0, a1, a2, a3, a4, a5);
}

static uint64_t gpa(uint64_t uva)
{
	return user_to_phys(uva);
}

/* A user path: its GPA and length, or an error. */
struct upath {
	uint64_t gpa, len;
};

static int64_t get_path(uint64_t uva, struct upath *p)
{
	int64_t n = user_strlen(uva, DSV_PATH_MAX - 1);
	if (n < 0)
		return n;
	if (n == 0)
		return -ENOENT;
	p->gpa = gpa(uva);
	p->len = (uint64_t)n;
	return 0;
}

/* read/write/pread/pwrite in chunks the VMM accepts; stops at the first short transfer. */
static int64_t rw(uint32_t nr, uint64_t fd, uint64_t buf, uint64_t len, uint64_t off)
{
	if (!len)
		return hc(nr, fd, 0, 0, off, 0, 0);
	if (!user_ok(buf, len))
		return -EFAULT;
	int64_t total = 0;
	while (len) {
		uint64_t n = MIN(len, DSV_HC_MAX_IO);
		int64_t ret = hc(nr, fd, gpa(buf), n, off, 0, 0);
		if (ret < 0)
			return total ? total : ret;
		total += ret;
		if ((uint64_t)ret < n)
			break;
		buf += n, len -= n, off += n;
	}
	return total;
}

int64_t sys_read(struct regs *r)
{
	return rw(DSV_HC_READ, FD(r->rdi), r->rsi, r->rdx, 0);
}
int64_t sys_write(struct regs *r)
{
	return sigpipe_on_epipe(rw(DSV_HC_WRITE, FD(r->rdi), r->rsi, r->rdx, 0));
}

int64_t sys_pread64(struct regs *r)
{
	if ((int64_t)r->r10 < 0)
		return -EINVAL;
	return rw(DSV_HC_PREAD, FD(r->rdi), r->rsi, r->rdx, r->r10);
}

int64_t sys_pwrite64(struct regs *r)
{
	if ((int64_t)r->r10 < 0)
		return -EINVAL;
	return rw(DSV_HC_PWRITE, FD(r->rdi), r->rsi, r->rdx, r->r10);
}

static int64_t rwv(uint32_t nr, uint64_t fd, uint64_t iov, uint64_t cnt)
{
	if (cnt > IOV_MAX)
		return -EINVAL;
	if (cnt && !user_ok(iov, cnt * 16))
		return -EFAULT;
	const uint64_t *v = (const uint64_t *)iov;
	int64_t total = 0;
	for (uint64_t i = 0; i < cnt; i++) {
		uint64_t base = v[2 * i], len = v[2 * i + 1];
		if (!len)
			continue;
		int64_t ret = rw(nr, fd, base, len, 0);
		if (ret < 0)
			return total ? total : ret;
		total += ret;
		if ((uint64_t)ret < len)
			break;
	}
	return total;
}

int64_t sys_readv(struct regs *r)
{
	return rwv(DSV_HC_READ, FD(r->rdi), r->rsi, r->rdx);
}
int64_t sys_writev(struct regs *r)
{
	return sigpipe_on_epipe(rwv(DSV_HC_WRITE, FD(r->rdi), r->rsi, r->rdx));
}

static int64_t do_openat(uint64_t dirfd, uint64_t path, uint64_t flags, uint64_t mode)
{
	int64_t fd;
	if (procfd_open(path, flags, &fd))
		return fd;
	struct upath p;
	int64_t e = get_path(path, &p);
	return e ? e : hc(DSV_HC_OPENAT, dirfd, p.gpa, p.len, flags, mode, 0);
}

int64_t sys_open(struct regs *r)
{
	return do_openat(AT_FDCWD, r->rdi, r->rsi, r->rdx);
}
int64_t sys_openat(struct regs *r)
{
	return do_openat(FD(r->rdi), r->rsi, r->rdx, r->r10);
}
int64_t sys_close(struct regs *r)
{
	return hc(DSV_HC_CLOSE, FD(r->rdi), 0, 0, 0, 0, 0);
}
int64_t sys_lseek(struct regs *r)
{
	return hc(DSV_HC_LSEEK, FD(r->rdi), r->rsi, r->rdx, 0, 0, 0);
}

static int64_t do_fstat(uint64_t fd, uint64_t buf)
{
	if (!user_ok(buf, STAT_SIZE))
		return -EFAULT;
	return hc(DSV_HC_FSTAT, fd, gpa(buf), 0, 0, 0, 0);
}

static int64_t do_fstatat(uint64_t dirfd, uint64_t path, uint64_t buf, uint64_t flags)
{
	if ((flags & AT_EMPTY_PATH) && user_strlen(path, 1) == 0)
		return do_fstat(dirfd, buf);
	struct upath p;
	int64_t e = get_path(path, &p);
	if (e)
		return e;
	if (!user_ok(buf, STAT_SIZE))
		return -EFAULT;
	return hc(DSV_HC_FSTATAT, dirfd, p.gpa, p.len, gpa(buf), flags, 0);
}

int64_t sys_fstat(struct regs *r)
{
	return do_fstat(FD(r->rdi), r->rsi);
}
int64_t sys_stat(struct regs *r)
{
	return do_fstatat(AT_FDCWD, r->rdi, r->rsi, 0);
}
int64_t sys_lstat(struct regs *r)
{
	return do_fstatat(AT_FDCWD, r->rdi, r->rsi, 0x100);
}
int64_t sys_newfstatat(struct regs *r)
{
	return do_fstatat(FD(r->rdi), r->rsi, r->rdx, r->r10);
}

int64_t sys_statx(struct regs *r)
{
	if (!user_ok(r->r8, STATX_SIZE))
		return -EFAULT;
	int64_t n = user_strlen(r->rsi, DSV_PATH_MAX - 1);
	if (n < 0)
		return n;
	if (n == 0 && !(r->rdx & AT_EMPTY_PATH))
		return -ENOENT;
	return hc(DSV_HC_STATX, FD(r->rdi), gpa(r->rsi), (uint64_t)n, r->rdx, r->r10, gpa(r->r8));
}

int64_t sys_getdents64(struct regs *r)
{
	if (!user_ok(r->rsi, r->rdx))
		return -EFAULT;
	return hc(DSV_HC_GETDENTS64, FD(r->rdi), gpa(r->rsi), MIN(r->rdx, DSV_HC_MAX_IO), 0, 0, 0);
}

static int64_t path_call(uint32_t nr, uint64_t dirfd, uint64_t path, uint64_t a3, uint64_t a4)
{
	struct upath p;
	int64_t e = get_path(path, &p);
	return e ? e : hc(nr, dirfd, p.gpa, p.len, a3, a4, 0);
}

int64_t sys_mkdir(struct regs *r)
{
	return path_call(DSV_HC_MKDIRAT, AT_FDCWD, r->rdi, r->rsi, 0);
}
int64_t sys_mkdirat(struct regs *r)
{
	return path_call(DSV_HC_MKDIRAT, FD(r->rdi), r->rsi, r->rdx, 0);
}
int64_t sys_rmdir(struct regs *r)
{
	return path_call(DSV_HC_UNLINKAT, AT_FDCWD, r->rdi, AT_REMOVEDIR, 0);
}
int64_t sys_unlink(struct regs *r)
{
	return path_call(DSV_HC_UNLINKAT, AT_FDCWD, r->rdi, 0, 0);
}
int64_t sys_unlinkat(struct regs *r)
{
	return path_call(DSV_HC_UNLINKAT, FD(r->rdi), r->rsi, r->rdx, 0);
}
int64_t sys_access(struct regs *r)
{
	return path_call(DSV_HC_FACCESSAT, AT_FDCWD, r->rdi, r->rsi, 0);
}
int64_t sys_faccessat(struct regs *r)
{
	return path_call(DSV_HC_FACCESSAT, FD(r->rdi), r->rsi, r->rdx, 0);
}
int64_t sys_faccessat2(struct regs *r)
{
	return path_call(DSV_HC_FACCESSAT, FD(r->rdi), r->rsi, r->rdx, r->r10);
}

static int64_t do_renameat(uint64_t olddir, uint64_t old, uint64_t newdir, uint64_t new_)
{
	struct upath a, b;
	int64_t e = get_path(old, &a);
	if (!e)
		e = get_path(new_, &b);
	return e ? e : hc(DSV_HC_RENAMEAT, olddir, a.gpa, a.len, newdir, b.gpa, b.len);
}

int64_t sys_rename(struct regs *r)
{
	return do_renameat(AT_FDCWD, r->rdi, AT_FDCWD, r->rsi);
}
int64_t sys_renameat(struct regs *r)
{
	return do_renameat(FD(r->rdi), r->rsi, FD(r->rdx), r->r10);
}

int64_t sys_renameat2(struct regs *r)
{
	if (r->r8)
		return -EINVAL; /* RENAME_NOREPLACE and friends are not offered */
	return do_renameat(FD(r->rdi), r->rsi, FD(r->rdx), r->r10);
}

int64_t sys_ftruncate(struct regs *r)
{
	return hc(DSV_HC_FTRUNCATE, FD(r->rdi), r->rsi, 0, 0, 0, 0);
}
int64_t sys_fsync(struct regs *r)
{
	return hc(DSV_HC_FSYNC, FD(r->rdi), 0, 0, 0, 0, 0);
}

int64_t sys_truncate(struct regs *r)
{
	int64_t fd = do_openat(AT_FDCWD, r->rdi, O_WRONLY, 0);
	if (fd < 0)
		return fd;
	int64_t ret = hc(DSV_HC_FTRUNCATE, (uint64_t)fd, r->rsi, 0, 0, 0, 0);
	hc(DSV_HC_CLOSE, (uint64_t)fd, 0, 0, 0, 0, 0);
	return ret;
}

int64_t sys_getcwd(struct regs *r)
{
	if (!user_ok(r->rdi, r->rsi))
		return -EFAULT;
	return hc(DSV_HC_GETCWD, gpa(r->rdi), MIN(r->rsi, DSV_PATH_MAX), 0, 0, 0, 0);
}

int64_t sys_chdir(struct regs *r)
{
	struct upath p;
	int64_t e = get_path(r->rdi, &p);
	return e ? e : hc(DSV_HC_CHDIR, p.gpa, p.len, 0, 0, 0, 0);
}

static int64_t do_readlinkat(uint64_t dirfd, uint64_t path, uint64_t buf, uint64_t size)
{
	if ((int64_t)size <= 0)
		return -EINVAL;
	struct upath p;
	int64_t e = get_path(path, &p);
	if (e)
		return e;
	if (!user_ok(buf, size))
		return -EFAULT;
	if (!strcmp((const char *)path, "/proc/self/exe")) {
		/* always absolute, as on Linux (glibc asserts it) */
		size_t slash = prog_path[0] != '/', n = MIN(strlen(prog_path) + slash, size);
		if (slash)
			*(char *)buf = '/';
		memcpy((void *)(buf + slash), prog_path, n - slash);
		return (int64_t)n;
	}
	return hc(DSV_HC_READLINKAT, dirfd, p.gpa, p.len, gpa(buf), MIN(size, DSV_PATH_MAX), 0);
}

int64_t sys_readlink(struct regs *r)
{
	return do_readlinkat(AT_FDCWD, r->rdi, r->rsi, r->rdx);
}
int64_t sys_readlinkat(struct regs *r)
{
	return do_readlinkat(FD(r->rdi), r->rsi, r->rdx, r->r10);
}

int64_t sys_ioctl(struct regs *r)
{
	switch (r->rsi) {
	case TIOCGWINSZ:
		if (!user_ok(r->rdx, 8))
			return -EFAULT;
		return hc(DSV_HC_WINSIZE, FD(r->rdi), gpa(r->rdx), 0, 0, 0, 0);
	case TCGETS: { /* isatty(): a terminal is whatever has a window size */
		if (!user_ok(r->rdx, 60))
			return -EFAULT;
		int64_t e = hc(DSV_HC_WINSIZE, FD(r->rdi), gpa(r->rdx), 0, 0, 0, 0);
		if (e == 0)
			memset((void *)r->rdx, 0, 60);
		return e;
	}
	default:
		return net_ioctl(FD(r->rdi), (uint32_t)r->rsi, r->rdx);
	}
}

int64_t sys_fcntl(struct regs *r)
{
	switch (r->rsi) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
	case 1030: /* DUPFD GETFD SETFD GETFL SETFL DUPFD_CLOEXEC */
		return hc(DSV_HC_FCNTL, FD(r->rdi), r->rsi, r->rdx, 0, 0, 0);
	case 5:
	case 6:
	case 7:
	case 36:
	case 37:
	case 38: /* record locks: one process, always granted */
		return 0;
	default:
		return -EINVAL;
	}
}

int64_t sys_dup(struct regs *r)
{
	return hc(DSV_HC_FCNTL, FD(r->rdi), 0 /* F_DUPFD */, 0, 0, 0, 0);
}

int64_t sys_dup2(struct regs *r)
{
	if ((int32_t)r->rdi == (int32_t)r->rsi) {
		int64_t e = hc(DSV_HC_FCNTL, FD(r->rdi), 1 /* F_GETFD */, 0, 0, 0, 0);
		return e < 0 ? e : (int64_t)(int32_t)r->rsi;
	}
	return hc(DSV_HC_DUP3, FD(r->rdi), FD(r->rsi), 0, 0, 0, 0);
}

int64_t sys_dup3(struct regs *r)
{
	if ((int32_t)r->rdi == (int32_t)r->rsi)
		return -EINVAL;
	return hc(DSV_HC_DUP3, FD(r->rdi), FD(r->rsi), r->rdx, 0, 0, 0);
}

/* Not offered: callers (busybox cat, for one) fall back to read and write. */
int64_t sys_sendfile(struct regs *r)
{
	(void)r;
	return -EINVAL;
}
