/*
 * Hypercall dispatch: turns a guest port write into a checked call (docs/abi.md).
 * Free of KVM so it can be unit-tested and fuzzed against a fake guest memory.
 */
#ifndef HVMM_HYPERCALL_DISPATCH_H
#define HVMM_HYPERCALL_DISPATCH_H

#include <stdatomic.h>
#include <stdint.h>

#include "console.h"
#include "file_offload.h"
#include "guest_mem.h"
#include "hc_async.h"
#include "hc_ring.h"
#include "shm_slots.h"

enum hc_reject {
	HC_REJ_WIDTH,	 /* port access not a single 4-byte out */
	HC_REJ_BLOCK,	 /* block misaligned or outside RAM */
	HC_REJ_RESERVED, /* flags/reserved not zero */
	HC_REJ_NR,	 /* unknown hypercall */
	HC_REJ_RANGE,	 /* an (address, length) argument outside RAM or too long */
	HC_REJ_COUNT
};

struct hc_ctx {
	const struct guest_mem *gm;
	struct console *con;
	struct fileio *fio;	/* NULL: file hypercalls fail with -ENOSYS */
	struct hc_async *async; /* NULL: DSV_HC_SUBMIT fails with -ENOSYS */
	struct hc_ring *ring;	/* NULL: DSV_HC_RING fails with -ENOSYS (--offload exit) */
	struct shm_slots *shm;	/* NULL: DSV_HC_MMAP_SHARED fails with -ENOSYS */
	atomic_ulong calls;
	atomic_ulong rejected[HC_REJ_COUNT];
	atomic_ulong logged[32]; /* bitmap: (nr, reason) pairs already reported */
};

enum hc_action {
	HC_CONTINUE, /* resume the vCPU */
	HC_EXIT,     /* the guest asked to end the VM with status */
	HC_ABORT,    /* the guest kernel gave up; msg holds its reason */
};

struct hc_outcome {
	enum hc_action action;
	int status;
	char msg[256];
};

void hc_init(struct hc_ctx *ctx, const struct guest_mem *gm, struct console *con,
	     struct fileio *fio);

/*
 * Handles an access to one of hvmm's ports. out: direction; size: access width; count:
 * repetitions (rep outs); data: the bytes written (first access). For reads, *in_val is
 * what the guest gets. Never fails: bad input is answered in the guest's ret field.
 */
void hc_port_io(struct hc_ctx *ctx, uint16_t port, int out, unsigned size, unsigned count,
		const uint8_t *data, uint32_t *in_val, struct hc_outcome *res);

const char *hc_reject_name(enum hc_reject r);

#endif
