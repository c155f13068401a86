/*
 * (Named seccomp_filter.h: a plain seccomp.h would hide libseccomp's <seccomp.h>.)
 *
 * Seccomp allowlists for hvmm's threads (docs/security.md), Firecracker's design: each
 * thread installs its own filter once its setup is done and before the guest's first
 * instruction. A system call outside the list ends hvmm with exit status 159 (128 +
 * SIGSYS) after one line on stderr that names the call and the thread.
 */
#ifndef HVMM_SECCOMP_FILTER_H
#define HVMM_SECCOMP_FILTER_H

#include <stddef.h>

#include "options.h"

enum sec_thread {
	SEC_THREAD_VCPU,    /* KVM_RUN, hypercalls, file offload */
	SEC_THREAD_MAIN,    /* housekeeping: poll, console ring, signals, teardown */
	SEC_THREAD_OFFLOAD, /* asynchronous file offload, the completion interrupt */
	SEC_THREAD_PROXY,   /* the offload ring's proxy: the offload list (ppoll included) */
};

#define HVMM_EXIT_SECCOMP 159 /* 128 + SIGSYS, what a kill by SIGSYS would give */

/*
 * Installs the allowlist for kind on the calling thread (no-op with --no-seccomp), then
 * runs the hidden --test-seccomp self-test when it names this kind of thread.
 * Returns 0, or -1 with a reason in err.
 */
int sec_install(const struct hvmm_opts *o, enum sec_thread kind, int vcpu_index, char *err,
		size_t errlen);

#endif
