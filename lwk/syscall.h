/* The Linux x86-64 system call table. */
#ifndef LWK_SYSCALL_H
#define LWK_SYSCALL_H

#include "cpu.h"

typedef int64_t (*syscall_fn)(struct regs *r);

void syscall_dispatch(struct regs *r);
/* With hvmm -v, at exit: how many system calls trapped (those the fast path answered did not). */
void syscall_report(void);
/* Logs "not supported" once per (syscall number) and returns -ENOSYS. */
int64_t sys_enosys(struct regs *r);
/* -ENOSYS without a log line, for calls libc probes and copes without. */
int64_t sys_enosys_quiet(struct regs *r);

/* sys_file.c */
int64_t sys_read(struct regs *r);
int64_t sys_write(struct regs *r);
int64_t sys_readv(struct regs *r);
int64_t sys_writev(struct regs *r);
int64_t sys_pread64(struct regs *r);
int64_t sys_pwrite64(struct regs *r);
int64_t sys_open(struct regs *r);
int64_t sys_openat(struct regs *r);
int64_t sys_close(struct regs *r);
int64_t sys_lseek(struct regs *r);
int64_t sys_fstat(struct regs *r);
int64_t sys_stat(struct regs *r);
int64_t sys_lstat(struct regs *r);
int64_t sys_newfstatat(struct regs *r);
int64_t sys_statx(struct regs *r);
int64_t sys_getdents64(struct regs *r);
int64_t sys_mkdir(struct regs *r);
int64_t sys_mkdirat(struct regs *r);
int64_t sys_rmdir(struct regs *r);
int64_t sys_unlink(struct regs *r);
int64_t sys_unlinkat(struct regs *r);
int64_t sys_rename(struct regs *r);
int64_t sys_renameat(struct regs *r);
int64_t sys_renameat2(struct regs *r);
int64_t sys_truncate(struct regs *r);
int64_t sys_ftruncate(struct regs *r);
int64_t sys_fsync(struct regs *r);
int64_t sys_getcwd(struct regs *r);
int64_t sys_chdir(struct regs *r);
int64_t sys_access(struct regs *r);
int64_t sys_faccessat(struct regs *r);
int64_t sys_faccessat2(struct regs *r);
int64_t sys_readlink(struct regs *r);
int64_t sys_readlinkat(struct regs *r);
int64_t sys_ioctl(struct regs *r);
int64_t sys_fcntl(struct regs *r);
int64_t sys_dup(struct regs *r);
int64_t sys_dup2(struct regs *r);
int64_t sys_dup3(struct regs *r);
int64_t sys_sendfile(struct regs *r);

/* sys_fsmeta.c */
int64_t sys_statfs(struct regs *r);
int64_t sys_fstatfs(struct regs *r);
int64_t sys_chmod(struct regs *r);
int64_t sys_fchmod(struct regs *r);
int64_t sys_fchmodat(struct regs *r);
int64_t sys_utimensat(struct regs *r);
int64_t sys_futimesat(struct regs *r);
int64_t sys_utimes(struct regs *r);
int64_t sys_utime(struct regs *r);

/* sys_mempolicy.c */
int64_t sys_set_mempolicy(struct regs *r);
int64_t sys_get_mempolicy(struct regs *r);
int64_t sys_mbind(struct regs *r);
int64_t sys_set_mempolicy_home_node(struct regs *r);

/* sys_net.c */
int64_t sys_socket(struct regs *r);
int64_t sys_socketpair(struct regs *r);
int64_t sys_bind(struct regs *r);
int64_t sys_connect(struct regs *r);
int64_t sys_listen(struct regs *r);
int64_t sys_accept(struct regs *r);
int64_t sys_accept4(struct regs *r);
int64_t sys_getsockname(struct regs *r);
int64_t sys_getpeername(struct regs *r);
int64_t sys_setsockopt(struct regs *r);
int64_t sys_getsockopt(struct regs *r);
int64_t sys_sendto(struct regs *r);
int64_t sys_recvfrom(struct regs *r);
int64_t sys_sendmsg(struct regs *r);
int64_t sys_recvmsg(struct regs *r);
int64_t sys_shutdown(struct regs *r);
int64_t sys_sendmmsg(struct regs *r);
int64_t sys_recvmmsg(struct regs *r);

/* sys_ioctl_net.c: the socket requests of ioctl (sys_file.c hands them on) */
int64_t net_ioctl(uint64_t fd, uint32_t req, uint64_t arg);

/* sys_select.c */
int64_t sys_select(struct regs *r);
int64_t sys_pselect6(struct regs *r);

/* sys_poll.c */
int64_t sys_pipe(struct regs *r);
int64_t sys_pipe2(struct regs *r);
int64_t sys_eventfd(struct regs *r);
int64_t sys_eventfd2(struct regs *r);
int64_t sys_poll(struct regs *r);
int64_t sys_ppoll(struct regs *r);
int64_t sys_epoll_create(struct regs *r);
int64_t sys_epoll_create1(struct regs *r);
int64_t sys_epoll_ctl(struct regs *r);
int64_t sys_epoll_wait(struct regs *r);
int64_t sys_epoll_pwait(struct regs *r);

/* sys_mem.c */
int64_t sys_brk(struct regs *r);
int64_t sys_mmap(struct regs *r);
int64_t sys_munmap(struct regs *r);
int64_t sys_mremap(struct regs *r);
int64_t sys_mprotect(struct regs *r);
int64_t sys_madvise(struct regs *r);

/* sys_shm.c */
int64_t sys_shmget(struct regs *r);
int64_t sys_shmat(struct regs *r);
int64_t sys_shmdt(struct regs *r);
int64_t sys_shmctl(struct regs *r);

/* sys_info.c */
int64_t sys_uname(struct regs *r);
int64_t sys_getpid(struct regs *r);
int64_t sys_getppid(struct regs *r);
int64_t sys_getid(struct regs *r);
int64_t sys_getresid(struct regs *r);
int64_t sys_getrandom(struct regs *r);
int64_t sys_prlimit64(struct regs *r);
int64_t sys_getrlimit(struct regs *r);
int64_t sys_setrlimit(struct regs *r);
int64_t sys_sysinfo(struct regs *r);
int64_t sys_sched_getaffinity(struct regs *r);
int64_t sys_sched_yield(struct regs *r);
int64_t sys_getcpu(struct regs *r);
int64_t sys_umask(struct regs *r);
int64_t sys_prctl(struct regs *r);
int64_t sys_getrusage(struct regs *r);
int64_t sys_times(struct regs *r);
int64_t sys_getpriority(struct regs *r);
int64_t sys_sched_getparam(struct regs *r);
int64_t sys_zero(struct regs *r);
void limits_init(void);

/* sys_signal.c */
int64_t sys_rt_sigaction(struct regs *r);
int64_t sys_rt_sigprocmask(struct regs *r);
int64_t sys_sigaltstack(struct regs *r);
int64_t sys_kill(struct regs *r);
int64_t sys_tgkill(struct regs *r);
int64_t sys_set_robust_list(struct regs *r);
/* A write to a pipe or socket with no reader: SIGPIPE, as Linux sends it (returns ret). */
int64_t sigpipe_on_epipe(int64_t ret);

#endif
