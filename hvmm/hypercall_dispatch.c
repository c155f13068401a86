#include "hypercall_dispatch.h"

#include <errno.h>
#include <string.h>

#include "dsv/fileio.h"
#include "dsv/hcring.h"
#include "dsv/hypercall.h"
#include "log.h"

void hc_init(struct hc_ctx *ctx, const struct guest_mem *gm, struct console *con,
	     struct fileio *fio)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->gm = gm;
	ctx->con = con;
	ctx->fio = fio;
}

const char *hc_reject_name(enum hc_reject r)
{
	static const char *const names[HC_REJ_COUNT] = {
		"bad port access width",
		"block misaligned or outside guest RAM",
		"reserved fields not zero",
		"unknown hypercall number",
		"address or length outside guest RAM or over the limit",
	};
	return r < HC_REJ_COUNT ? names[r] : "?";
}

/* Counts a rejection and reports it once per (hypercall, reason). */
static int64_t reject(struct hc_ctx *ctx, uint32_t nr, enum hc_reject why, int64_t err)
{
	unsigned bit = ((nr & 0x3f) | ((nr >> 8) & 1) << 6) * HC_REJ_COUNT + why;
	unsigned long mask = 1ul << (bit % 64);
	unsigned long old;

	atomic_fetch_add(&ctx->rejected[why], 1);
	old = atomic_fetch_or(&ctx->logged[(bit / 64) % 32], mask);
	if (!(old & mask))
		log_warn("guest hypercall 0x%x rejected: %s (reported once)", nr,
			 hc_reject_name(why));
	return err;
}

static int64_t do_console(struct hc_ctx *ctx, const struct dsv_hc *hc, int to_log)
{
	uint64_t gpa = hc->args[0], len = hc->args[1];
	const void *p;

	if (len > DSV_HC_MAX_IO)
		return reject(ctx, hc->nr, HC_REJ_RANGE, -EINVAL);
	p = gm_ptr(ctx->gm, gpa, len);
	if (!p)
		return reject(ctx, hc->nr, HC_REJ_RANGE, -EFAULT);
	if (to_log)
		log_guest(p, len);
	else
		console_write(ctx->con, p, len);
	return (int64_t)len;
}

static void do_abort(struct hc_ctx *ctx, const struct dsv_hc *hc, struct hc_outcome *res)
{
	uint64_t len = hc->args[1];
	const char *p;

	if (len >= sizeof(res->msg))
		len = sizeof(res->msg) - 1;
	p = gm_ptr(ctx->gm, hc->args[0], len);
	if (p) {
		memcpy(res->msg, p, len);
		res->msg[len] = '\0';
		for (char *c = res->msg; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
				*c = '?'; /* one printable line, whatever the guest sent */
	} else {
		strcpy(res->msg, "(message outside guest RAM)");
	}
	res->action = HC_ABORT;
}

/* DSV_HC_SUBMIT: checks the block and its file call, then hands it to a worker. */
static int64_t do_submit(struct hc_ctx *ctx, const struct dsv_hc *hc)
{
	uint64_t gpa = hc->args[0];
	struct dsv_hc *blk;
	struct dsv_hc call;
	int rc;

	if (!ctx->async || !ctx->fio)
		return -ENOSYS;
	blk = gm_ptr(ctx->gm, gpa, sizeof(*blk));
	if (!blk || (gpa % DSV_HC_ALIGN))
		return reject(ctx, hc->nr, HC_REJ_RANGE, -EFAULT);
	memcpy(&call, blk, sizeof(call));
	if (call.flags || call.reserved)
		return reject(ctx, hc->nr, HC_REJ_RESERVED, -EINVAL);
	if (call.nr < DSV_HC_FILE_BASE || call.nr > DSV_HC_FILE_LAST)
		return reject(ctx, hc->nr, HC_REJ_NR, -EINVAL);
	if (hc->args[1] > UINT32_MAX || hc->args[2] > UINT32_MAX)
		return reject(ctx, hc->nr, HC_REJ_RANGE, -EINVAL);
	rc = hc_async_submit(ctx->async, blk, &call, (uint32_t)hc->args[1], (uint32_t)hc->args[2]);
	if (rc == -EINVAL)
		return reject(ctx, hc->nr, HC_REJ_RANGE, rc);
	return rc;
}

static int64_t dispatch(struct hc_ctx *ctx, const struct dsv_hc *hc, struct hc_outcome *res)
{
	switch (hc->nr) {
	case DSV_HC_NOP:
		return 0;
	case DSV_HC_CONSOLE_WRITE:
		return do_console(ctx, hc, 0);
	case DSV_HC_LOG:
		return do_console(ctx, hc, 1);
	case DSV_HC_EXIT:
		res->action = HC_EXIT;
		res->status = (int)(hc->args[0] & 0xff);
		return 0;
	case DSV_HC_ABORT:
		do_abort(ctx, hc, res);
		return 0;
	case DSV_HC_SUBMIT:
		return do_submit(ctx, hc);
	case DSV_HC_RING: {
		int rc;

		if (!ctx->ring)
			return -ENOSYS;
		rc = hc_ring_register(ctx->ring, hc->args[0], hc->args[1]);
		if (rc == -EBUSY)
			return rc;
		if (rc)
			return reject(ctx, hc->nr, HC_REJ_RANGE, rc);
		return 0;
	}
	case DSV_HC_MMAP_SHARED:
		if (!ctx->shm || !ctx->fio)
			return -ENOSYS;
		return shm_slots_map(ctx->shm, ctx->fio, hc->args[0], hc->args[1], hc->args[2],
				     hc->args[3]);
	case DSV_HC_MUNMAP_SHARED:
		if (!ctx->shm)
			return -ENOSYS;
		return shm_slots_unmap(ctx->shm, hc->args[0], hc->args[1]);
	case DSV_HC_CONSOLE_RING: {
		int rc = console_ring_register(ctx->con, ctx->gm, hc->args[0], hc->args[1]);

		if (rc)
			return reject(ctx, hc->nr, HC_REJ_RANGE, rc);
		return 0;
	}
	default:
		break;
	}
	if (hc->nr >= DSV_HC_FILE_BASE && hc->nr <= DSV_HC_FILE_LAST) {
		if (!ctx->fio)
			return -ENOSYS;
		return fileio_call(ctx->fio, ctx->gm, hc->nr, hc->args);
	}
	return reject(ctx, hc->nr, HC_REJ_NR, -ENOSYS);
}

void hc_port_io(struct hc_ctx *ctx, uint16_t port, int out, unsigned size, unsigned count,
		const uint8_t *data, uint32_t *in_val, struct hc_outcome *res)
{
	struct dsv_hc hc;
	struct dsv_hc *blk;
	uint32_t gpa;
	int64_t ret;

	res->action = HC_CONTINUE;
	res->status = 0;
	res->msg[0] = '\0';
	*in_val = 0xffffffffu; /* reads of hvmm's ports see an empty bus */
	if (port != DSV_HC_PORT || !out)
		return;
	atomic_fetch_add(&ctx->calls, 1);
	if (size != 4 || count != 1) {
		/* No block address to answer through: count and ignore. */
		reject(ctx, 0xffff, HC_REJ_WIDTH, -EINVAL);
		return;
	}
	memcpy(&gpa, data, 4);
	blk = gm_ptr(ctx->gm, gpa, sizeof(hc));
	if (!blk || (gpa % DSV_HC_ALIGN)) {
		log_info("hypercall block at GPA 0x%x refused", gpa);
		reject(ctx, 0xffff, HC_REJ_BLOCK, -EFAULT);
		return;
	}
	/* Copy once: other vCPUs may rewrite the block while the call runs. */
	memcpy(&hc, blk, sizeof(hc));
	if (hc.flags || hc.reserved)
		ret = reject(ctx, hc.nr, HC_REJ_RESERVED, -EINVAL);
	else
		ret = dispatch(ctx, &hc, res);
	__atomic_store_n(&blk->ret, ret, __ATOMIC_RELEASE);
}
