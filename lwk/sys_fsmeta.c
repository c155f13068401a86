/*
 * File metadata system calls, offloaded to the VMM (include/dsv/file_calls.def): statfs,
 * chmod and timestamps. A structure goes through a kernel copy: hvmm reads and writes only
 * the kernel's buffer, of the size the kernel chose, and the program's errors come in
 * Linux's order (its times are read first; a bad statfs buffer counts only after the
 * lookup succeeded).
 */
#include "syscall.h"
#include "host.h"
#include "uaccess.h"
#include <dsv/fileio.h>

#define FD(x) ((uint64_t)(int64_t)(int32_t)(x))
#define AT_FDCWD FD(DSV_AT_FDCWD)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EMPTY_PATH 0x1000
#define STATFS_SIZE 120
#define S_IALLUGO 07777
#define UTIME_OMIT ((1ll << 30) - 2)

struct kts {
	int64_t sec, nsec;
};

/* A path's GPA and length; an empty one is ENOENT unless empty_ok. */
static int64_t path_of(uint64_t uva, int empty_ok, uint64_t *gpa, uint64_t *len)
{
	int64_t n = user_strlen(uva, DSV_PATH_MAX - 1);
	if (n < 0)
		return n;
	if (n == 0 && !empty_ok)
		return -ENOENT;
	*gpa = user_to_phys(uva);
	*len = (uint64_t)n;
	return 0;
}

static int64_t copy_out(uint64_t uva, const void *k, uint64_t n)
{
	if (!user_ok(uva, n))
		return -EFAULT;
	memcpy((void *)uva, k, n);
	return 0;
}

/* statfs and fstatfs: hvmm fills the kernel's buffer, then it goes to the program. */
static int64_t statfs_done(int64_t r, uint64_t buf, const uint64_t *k)
{
	return r < 0 ? r : copy_out(buf, k, STATFS_SIZE);
}

int64_t sys_statfs(struct regs *r)
{
	uint64_t k[STATFS_SIZE / 8] = { 0 }, gpa, len;
	int64_t e = path_of(r->rdi, 0, &gpa, &len);
	if (e)
		return e;
	e = host_call(DSV_HC_STATFS, AT_FDCWD, gpa, len, virt_to_phys(k), STATFS_SIZE, 0);
	return statfs_done(e, r->rsi, k);
}

int64_t sys_fstatfs(struct regs *r)
{
	uint64_t k[STATFS_SIZE / 8] = { 0 };
	int64_t e = host_call(DSV_HC_FSTATFS, FD(r->rdi), virt_to_phys(k), STATFS_SIZE, 0, 0, 0);
	return statfs_done(e, r->rsi, k);
}

static int64_t do_chmod(uint64_t dirfd, uint64_t path, uint64_t mode)
{
	uint64_t gpa, len;
	int64_t e = path_of(path, 0, &gpa, &len);
	return e ? e : host_call(DSV_HC_FCHMODAT, dirfd, gpa, len, mode & S_IALLUGO, 0, 0);
}

int64_t sys_chmod(struct regs *r)
{
	return do_chmod(AT_FDCWD, r->rdi, r->rsi);
}

int64_t sys_fchmodat(struct regs *r) /* the system call has no flags (fchmodat2 has) */
{
	return do_chmod(FD(r->rdi), r->rsi, r->rdx);
}

int64_t sys_fchmod(struct regs *r)
{
	return host_call(DSV_HC_FCHMOD, FD(r->rdi), r->rsi & S_IALLUGO, 0, 0, 0, 0);
}

/* Linux's do_utimes, times already in the kernel (NULL: now). */
static int64_t do_utimes(uint64_t dirfd, uint64_t path, const struct kts *t, uint64_t flags)
{
	uint64_t tg = t ? virt_to_phys(t) : 0;
	if (!path && (int32_t)dirfd != DSV_AT_FDCWD) /* futimens: the descriptor itself */
		return flags ? -EINVAL : host_call(DSV_HC_FUTIMENS, FD(dirfd), tg, 0, 0, 0, 0);
	if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	uint64_t gpa, len;
	int64_t e = path_of(path, (flags & AT_EMPTY_PATH) != 0, &gpa, &len);
	return e ? e : host_call(DSV_HC_UTIMENSAT, FD(dirfd), gpa, len, tg, flags, 0);
}

int64_t sys_utimensat(struct regs *r)
{
	struct kts t[2];
	if (r->rdx) {
		if (!user_ok(r->rdx, sizeof(t)))
			return -EFAULT;
		memcpy(t, (const void *)r->rdx, sizeof(t));
		if (t[0].nsec == UTIME_OMIT && t[1].nsec == UTIME_OMIT)
			return 0; /* nothing to do: Linux does not even look at the path */
	}
	return do_utimes(r->rdi, r->rsi, r->rdx ? t : NULL, r->r10);
}

/* futimesat and utimes: struct timeval, microseconds checked before they become ns. */
static int64_t do_futimesat(uint64_t dirfd, uint64_t path, uint64_t tv)
{
	struct kts t[2];
	if (tv) {
		if (!user_ok(tv, sizeof(t)))
			return -EFAULT;
		memcpy(t, (const void *)tv, sizeof(t));
		for (int i = 0; i < 2; i++) {
			if (t[i].nsec < 0 || t[i].nsec >= 1000000)
				return -EINVAL;
			t[i].nsec *= 1000;
		}
	}
	return do_utimes(dirfd, path, tv ? t : NULL, 0);
}

int64_t sys_futimesat(struct regs *r)
{
	return do_futimesat(r->rdi, r->rsi, r->rdx);
}

int64_t sys_utimes(struct regs *r)
{
	return do_futimesat(AT_FDCWD, r->rdi, r->rsi);
}

int64_t sys_utime(struct regs *r) /* struct utimbuf: whole seconds */
{
	struct kts t[2] = { { 0, 0 }, { 0, 0 } };
	if (r->rsi) {
		if (!user_ok(r->rsi, 16))
			return -EFAULT;
		t[0].sec = ((const volatile int64_t *)r->rsi)[0];
		t[1].sec = ((const volatile int64_t *)r->rsi)[1];
	}
	return do_utimes(AT_FDCWD, r->rdi, r->rsi ? t : NULL, 0);
}
