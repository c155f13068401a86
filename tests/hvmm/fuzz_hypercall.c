/*
 * libFuzzer target: hvmm's hypercall dispatcher (hvmm/hypercall_dispatch.c hc_port_io) and the
 * console ring, against a fake guest memory whose bytes come from the fuzzer, a console
 * on /dev/null and file offload on a temp share with a canary directory beside it.
 *
 * Input: the whole input is first copied into guest RAM at INPUT_GPA (so hvmm reads fuzzer
 * bytes wherever the guest points it there); then it is read again as a list of operations,
 * each one tag byte and its operands:
 *   0 raw port access: port 0x600+b%16, direction, width, count, 4 data bytes
 *   1 hypercall: block slot (1 byte), nr selector, flags/reserved noise, 6 tagged args
 *   2 drain the console ring (the housekeeping thread's job)
 *   3 write bytes into guest RAM: offset (3 bytes), length (1 byte), bytes
 *   4 put a dictionary path at PATH_GPA
 *   5 the offload ring's proxy takes what is queued (hc_ring_poll): the ring is registered
 *     at OFFLOAD_RING_GPA (16 slots) before the input, op 3 writes its head and slots, and
 *     DSV_HC_RING among the hypercalls tries its checks (calls that may block are answered
 *     "retry": there are no workers)
 * Invariants checked after every call: ret is a value or an errno; exit status is 0-255;
 * an abort message is one printable line. After every input: nothing outside the share
 * changed and no host fd leaked; either aborts so libFuzzer keeps the input.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsv/fileio.h"
#include "dsv/hcring.h"
#include "dsv/hypercall.h"
#include "hypercall_dispatch.h"
#include "log.h"
#include "fuzz_input.h"
#include "share_fixture.h"

#define MEM (2ull << 20)
#define PATH_GPA 0x1000ull
#define BLK_GPA 0x4000ull /* 64 slots of 64 bytes for hypercall blocks */
#define RING_GPA 0x8000ull
#define OFFLOAD_RING_GPA 0xc000ull
#define INPUT_GPA 0x10000ull
#define MAX_OPS 96

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* hvmm's log would flood the fuzzer's stderr: these replace hvmm/log.c here. */
void log_err(const char *fmt, ...)
{
	(void)fmt;
}
void log_warn(const char *fmt, ...)
{
	(void)fmt;
}
void log_info(const char *fmt, ...)
{
	(void)fmt;
}
void log_guest(const void *buf, size_t len)
{
	(void)buf;
	(void)len;
}

static struct guest_mem gm;

static void reset_share(void)
{
	char p[PATH_MAX * 2];

	fixture_begin_input();
	fixture_put(fx.share, "a", "inside a");
	snprintf(p, sizeof(p), "%s/out", fx.share);
	if (symlink("../outside/canary", p))
		fixture_die("symlink");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fixture_init("fuzz_hypercall", NULL);
	gm.host = aligned_alloc(4096, MEM);
	if (!gm.host)
		fixture_die("alloc");
	gm.size = gm.low_size = MEM;
	return 0;
}

static uint64_t arg(struct in *in)
{
	static const uint64_t edge[] = {
		0,
		1,
		6,
		64,
		MEM - 1,
		MEM,
		MEM + 1,
		UINT64_MAX,
		UINT64_MAX - 63,
		1ull << 63,
		GM_LOW_END,
		GM_HIGH_BASE,
		DSV_HC_MAX_IO,
		DSV_HC_MAX_IO + 1ull,
		0xffffffffu,
		(uint64_t)(int64_t)DSV_AT_FDCWD,
		DSV_PATH_MAX + 1ull,
		MEM - DSV_HC_MAX_IO,
		RING_GPA,
		OFFLOAD_RING_GPA,
		INPUT_GPA,
		PATH_GPA,
		1u << 20,
		(1u << 20) + 1,
		63,
	};

	switch (byte(in) % 6) {
	case 0:
		return (uint64_t)(int64_t)(int8_t)byte(in);
	case 1:
		return edge[byte(in) % (sizeof(edge) / sizeof(edge[0]))];
	case 2:
		return u64(in, 8);
	case 3:
		return INPUT_GPA + u64(in, 2); /* points at fuzzer bytes */
	case 4:
		return u64(in, 3); /* anywhere in RAM, or just past it */
	default:
		return PATH_GPA;
	}
}

static void check_outcome(int64_t ret, const struct hc_outcome *res)
{
	if (ret < -4095)
		fixture_die("ret is neither a value nor an errno");
	if (res->action == HC_EXIT && (res->status < 0 || res->status > 255))
		fixture_die("exit status outside 0-255");
	if (res->action == HC_ABORT) {
		size_t n = strnlen(res->msg, sizeof(res->msg));

		if (n == sizeof(res->msg))
			fixture_die("abort message not terminated");
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)res->msg[i] < 0x20 || (unsigned char)res->msg[i] > 0x7e)
				fixture_die("abort message not printable");
	}
	if (res->action != HC_ABORT && res->msg[0])
		fixture_die("message without an abort");
}

static void op_port(struct hc_ctx *hc, struct in *in)
{
	static const unsigned widths[] = { 1, 2, 4, 8 };
	uint16_t port = (uint16_t)(DSV_PORT_BASE + byte(in) % 16);
	uint8_t b = byte(in), data[8];
	unsigned count = (b & 0x40) ? byte(in) : 1;
	struct hc_outcome res;
	uint32_t in_val;

	memset(data, 0, sizeof(data));
	for (int i = 0; i < 4; i++)
		data[i] = byte(in);
	hc_port_io(hc, port, b & 1, widths[(b >> 1) & 3], count, data, &in_val, &res);
	check_outcome(0, &res);
}

static void op_call(struct hc_ctx *hc, struct in *in)
{
	static const uint32_t nrs[] = { DSV_HC_NOP, DSV_HC_CONSOLE_WRITE, DSV_HC_EXIT,
					DSV_HC_LOG, DSV_HC_CONSOLE_RING,  DSV_HC_ABORT,
					DSV_HC_RING };
	uint32_t slot = byte(in) % 64, gpa = (uint32_t)(BLK_GPA + slot * 64);
	uint8_t sel = byte(in), noise = byte(in);
	struct dsv_hc *blk = (struct dsv_hc *)(gm.host + gpa);
	struct hc_outcome res;
	uint32_t in_val;

	memset(blk, 0, sizeof(*blk));
	if (sel < 64)
		blk->nr = nrs[sel % 7];
	else if (sel < 0xf0)
		blk->nr = sel % 0x1e < 0x17 ? DSV_HC_FILE_BASE + sel % 0x1e
					    : DSV_HC_STATFS + sel % 0x1e - 0x17;
	else
		blk->nr = (uint32_t)u64(in, 4);
	/* Descriptor calls (pipes, sockets, polling) may block by design: left to
	 * tests/hvmm/fileio/test_fileio_net.c and tests/hvmm/hostile/hostile_offload.c. The
	 * metadata calls after them stay. */
	if (blk->nr >= DSV_HC_PIPE2 && blk->nr <= DSV_HC_SELECT)
		blk->nr = DSV_HC_FILE_LAST + 1;
	if (noise & 1)
		blk->flags = byte(in);
	if (noise & 2)
		blk->reserved = byte(in);
	for (int i = 0; i < 6; i++)
		blk->args[i] = arg(in);
	if (noise & 4)
		gpa += byte(in) % 64; /* misaligned */
	hc_port_io(hc, DSV_HC_PORT, 1, 4, 1, (const uint8_t *)&gpa, &in_val, &res);
	check_outcome(gpa % 64 ? 0 : blk->ret, &res);
}

/* The completion interrupt: only checks what hvmm would send. */
static int fake_wake(void *opaque, uint32_t apic_id, uint32_t vector)
{
	(void)opaque;
	if (apic_id >= 1 || vector < 32 || vector > 255)
		fixture_die("interrupt to a bad APIC ID or vector");
	return 0;
}

/* After the proxy's pass: its tail is the guest's head, or behind it by what is queued. */
static void op_ring(struct hc_ring *r)
{
	hc_ring_poll(r);
	if (hc_ring_pending(r) && atomic_load(&r->state) != 2)
		fixture_die("pending calls without a ring");
}

static void op_poke(struct in *in)
{
	uint64_t off = u64(in, 3) % MEM;
	size_t len = byte(in);

	if (len > in->n)
		len = in->n;
	if (len > MEM - off)
		len = (size_t)(MEM - off);
	memcpy(gm.host + off, in->p, len);
	in->p += len;
	in->n -= len;
}

static void op_path(struct in *in, const char *const *dict, size_t ndict)
{
	const char *s = dict[byte(in) % ndict];

	memset(gm.host + PATH_GPA, 0, 256);
	memcpy(gm.host + PATH_GPA, s, strlen(s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dict[] = {
		"a", "out", "..",	   "../outside/canary", "/",  ".",
		"",  "new", "/etc/passwd", "sub/../../outside", "a/", "/dev/shm",
	};
	struct in in = { data, size };
	struct console con;
	struct fileio *fio;
	struct hc_ctx hc;
	struct hc_ring ring;

	reset_share();
	memset(gm.host, 0, INPUT_GPA);
	memset(gm.host + INPUT_GPA, 0, MEM - INPUT_GPA);
	memcpy(gm.host + INPUT_GPA, data, size < MEM - INPUT_GPA ? size : MEM - INPUT_GPA);
	fio = fixture_open_share();
	console_init(&con, fx.null_fd);
	hc_init(&hc, &gm, &con, fio);
	hc_ring_init(&ring, &gm, fio, NULL, 1, fake_wake, NULL, -1);
	hc.ring = &ring;
	if (hc_ring_register(&ring, OFFLOAD_RING_GPA, 16))
		fixture_die("offload ring registration");
	for (int op = 0; op < MAX_OPS && in.n; op++) {
		switch (byte(&in) % 6) {
		case 0:
			op_port(&hc, &in);
			break;
		case 1:
			op_call(&hc, &in);
			break;
		case 2:
			console_ring_drain(&con, &gm);
			break;
		case 3:
			op_poke(&in);
			break;
		case 5:
			op_ring(&ring);
			break;
		default:
			op_path(&in, dict, sizeof(dict) / sizeof(dict[0]));
			break;
		}
	}
	console_ring_drain(&con, &gm);
	pthread_mutex_destroy(&con.lock);
	fileio_destroy(fio);
	fixture_check_outside();
	return 0;
}
