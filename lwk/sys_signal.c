/* Signals: handlers and masks are recorded and reported back, but no asynchronous signal
 * is ever delivered. A fatal signal sent to the program itself (abort(), raise()) ends
 * it with 128 + signal, as Linux would when no handler runs. */
#include "syscall.h"
#include "thread.h"
#include "uaccess.h"

#define NSIG 64
#define SIG_DFL 0
#define SIG_IGN 1
#define SIGKILL 9
#define SIGSTOP 19
#define SIGPIPE 13

struct ksigaction {
	uint64_t handler, flags, restorer, mask;
};

static struct ksigaction actions[NSIG + 1];

int64_t sys_rt_sigaction(struct regs *r)
{
	uint64_t sig = r->rdi, act = r->rsi, old = r->rdx;
	if (sig < 1 || sig > NSIG || r->r10 != 8)
		return -EINVAL;
	if (act && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if ((act && !user_ok(act, sizeof(struct ksigaction))) ||
	    (old && !user_ok(old, sizeof(struct ksigaction))))
		return -EFAULT;
	struct ksigaction n;
	if (act)
		memcpy(&n, (const void *)act, sizeof n);
	if (old)
		memcpy((void *)old, &actions[sig], sizeof n);
	if (act)
		actions[sig] = n;
	return 0;
}

int64_t sys_rt_sigprocmask(struct regs *r)
{
	struct thread *t = current_thread();
	uint64_t how = r->rdi, set = r->rsi, old = r->rdx;
	if (r->r10 != 8)
		return -EINVAL;
	if ((set && !user_ok(set, 8)) || (old && !user_ok(old, 8)))
		return -EFAULT;
	uint64_t prev = t->sigmask;
	if (set) {
		uint64_t s = *(const uint64_t *)set &
			     ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
		if (how == 0)
			t->sigmask |= s;
		else if (how == 1)
			t->sigmask &= ~s;
		else if (how == 2)
			t->sigmask = s;
		else
			return -EINVAL;
	}
	if (old)
		*(uint64_t *)old = prev;
	return 0;
}

int64_t sys_sigaltstack(struct regs *r)
{
	if (r->rsi) {
		if (!user_ok(r->rsi, 24))
			return -EFAULT;
		memset((void *)r->rsi, 0, 24);
		((uint32_t *)r->rsi)[2] = 2; /* SS_DISABLE */
	}
	return 0;
}

static bool ignored_by_default(uint64_t sig)
{
	return sig == 17 || sig == 18 || sig == 23 || sig == 28; /* CHLD CONT URG WINCH */
}

/* A signal to the program itself. */
static int64_t self_signal(uint64_t sig)
{
	if (sig > NSIG)
		return -EINVAL;
	if (sig == 0)
		return 0;
	uint64_t h = actions[sig].handler;
	if (sig == SIGKILL || (h == SIG_DFL && !ignored_by_default(sig)))
		kill_program((int)sig);
	return 0; /* ignored, or a handler we cannot run synchronously */
}

int64_t sigpipe_on_epipe(int64_t ret)
{
	if (ret == -EPIPE && !(current_thread()->sigmask & (1ull << (SIGPIPE - 1))))
		self_signal(SIGPIPE); /* ends the program unless SIGPIPE is ignored or handled */
	return ret;
}

int64_t sys_kill(struct regs *r)
{
	int32_t pid = (int32_t)r->rdi;
	if (pid != PROGRAM_PID && pid != 0 && pid != -1)
		return -ESRCH;
	return self_signal(r->rsi);
}

/* tgkill(tgid, tid, sig) and tkill(tid, sig) */
int64_t sys_tgkill(struct regs *r)
{
	bool tkill = r->rax == 200;
	return self_signal(tkill ? r->rsi : r->rdx);
}

int64_t sys_set_robust_list(struct regs *r)
{
	return r->rsi == 24 ? 0 : -EINVAL;
}
