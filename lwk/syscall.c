/* System call dispatch. Anything not in the table answers -ENOSYS and is logged once. */
#include "syscall.h"
#include "errno.h"
#include "futex.h"
#include "thread.h"
#include "time.h"
#include "syscall_names.h"

/* Probed by libc at start-up, which copes with ENOSYS: not worth a log line. */
static int64_t sys_enosys_quiet(struct regs *r)
{
	(void)r;
	return -ENOSYS;
}

static const syscall_fn table[] = {
	[0] = sys_read, [1] = sys_write, [2] = sys_open, [3] = sys_close, [4] = sys_stat,
	[5] = sys_fstat, [6] = sys_lstat, [8] = sys_lseek, [9] = sys_mmap, [10] = sys_mprotect,
	[11] = sys_munmap, [12] = sys_brk, [13] = sys_rt_sigaction, [14] = sys_rt_sigprocmask,
	[16] = sys_ioctl, [17] = sys_pread64, [18] = sys_pwrite64, [19] = sys_readv,
	[20] = sys_writev, [21] = sys_access, [24] = sys_sched_yield, [25] = sys_mremap,
	[26] = sys_zero /* msync */, [28] = sys_madvise, [32] = sys_dup, [33] = sys_dup2,
	[35] = sys_nanosleep, [39] = sys_getpid, [40] = sys_sendfile, [56] = sys_clone,
	[60] = sys_exit, [62] = sys_kill, [63] = sys_uname, [72] = sys_fcntl,
	[73] = sys_zero /* flock */, [74] = sys_fsync, [75] = sys_fsync /* fdatasync */,
	[76] = sys_truncate, [77] = sys_ftruncate, [79] = sys_getcwd, [80] = sys_chdir,
	[82] = sys_rename, [83] = sys_mkdir, [84] = sys_rmdir, [87] = sys_unlink,
	[89] = sys_readlink, [95] = sys_umask, [96] = sys_gettimeofday, [97] = sys_getrlimit,
	[98] = sys_getrusage, [99] = sys_sysinfo, [100] = sys_times, [102] = sys_getid, [104] = sys_getid,
	[107] = sys_getid, [108] = sys_getid, [110] = sys_getppid, [111] = sys_getpid,
	[118] = sys_getresid, [120] = sys_getresid, [121] = sys_getpid, [124] = sys_getpid, [115] = sys_zero /* getgroups: none */, [140] = sys_getpriority,
	[141] = sys_zero /* setpriority */, [143] = sys_sched_getparam,
	[145] = sys_zero /* sched_getscheduler: SCHED_OTHER */, [146] = sys_zero, [147] = sys_zero,
	[131] = sys_sigaltstack, [149] = sys_zero /* mlock */, [150] = sys_zero /* munlock */,
	[151] = sys_zero /* mlockall */, [152] = sys_zero /* munlockall */, [157] = sys_prctl,
	[158] = sys_arch_prctl, [160] = sys_setrlimit, [162] = sys_zero /* sync */,
	[186] = sys_gettid, [200] = sys_tgkill /* tkill */, [201] = sys_time, [202] = sys_futex,
	[203] = sys_zero /* sched_setaffinity */, [204] = sys_sched_getaffinity,
	[217] = sys_getdents64, [218] = sys_set_tid_address, [221] = sys_zero /* fadvise64 */,
	[228] = sys_clock_gettime, [229] = sys_clock_getres, [230] = sys_clock_nanosleep,
	[231] = sys_exit_group, [234] = sys_tgkill, [257] = sys_openat, [258] = sys_mkdirat,
	[262] = sys_newfstatat, [263] = sys_unlinkat, [264] = sys_renameat,
	[267] = sys_readlinkat, [269] = sys_faccessat, [273] = sys_set_robust_list,
	[292] = sys_dup3, [302] = sys_prlimit64, [309] = sys_getcpu, [316] = sys_renameat2,
	[318] = sys_getrandom, [332] = sys_statx, [334] = sys_enosys_quiet /* rseq */,
	[435] = sys_clone3, [439] = sys_faccessat2,
};

#define LOGGED_MAX 1024
static uint64_t logged[LOGGED_MAX / 64];

int64_t sys_enosys(struct regs *r)
{
	uint64_t nr = r->rax;
	uint64_t bit = 1ull << (nr % 64);
	if (nr < LOGGED_MAX && (__atomic_fetch_or(&logged[nr / 64], bit, __ATOMIC_RELAXED) & bit))
		return -ENOSYS;
	const char *name = nr < ARRAY_SIZE(syscall_names) && syscall_names[nr] ? syscall_names[nr] : "unknown";
	klog("lwk: system call %lu (%s) is not supported: ENOSYS", nr, name);
	return -ENOSYS;
}

void syscall_dispatch(struct regs *r)
{
	uint64_t nr = r->rax;
	syscall_fn fn = nr < ARRAY_SIZE(table) ? table[nr] : NULL;
	r->rax = (uint64_t)(fn ? fn(r) : sys_enosys(r));
}
