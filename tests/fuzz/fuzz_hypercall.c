/*
 * libFuzzer target: hvmm's hypercall dispatcher (hvmm/hypercall.c hc_port_io) and the
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
 * Invariants checked after every call: ret is a value or an errno; exit status is 0-255;
 * an abort message is one printable line. After every input: nothing outside the share
 * changed and no host fd leaked; either aborts so libFuzzer keeps the input.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dsv/fileio.h"
#include "dsv/hypercall.h"
#include "hypercall.h"
#include "log.h"

#define MEM        (2ull << 20)
#define PATH_GPA   0x1000ull
#define BLK_GPA    0x4000ull   /* 64 slots of 64 bytes for hypercall blocks */
#define RING_GPA   0x8000ull
#define INPUT_GPA  0x10000ull
#define MAX_OPS    96

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* hvmm's log would flood the fuzzer's stderr: these replace hvmm/log.c here. */
void log_err(const char *fmt, ...) { (void)fmt; }
void log_warn(const char *fmt, ...) { (void)fmt; }
void log_info(const char *fmt, ...) { (void)fmt; }
void log_guest(const void *buf, size_t len) { (void)buf; (void)len; }

static char base[PATH_MAX], share[PATH_MAX + 16], outside[PATH_MAX + 16];
static struct guest_mem gm;
static int null_fd, lowest_fd;

static int rm_all(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st; (void)type; (void)ftw;
	remove(p);
	return 0;
}

static void cleanup(void)
{
	nftw(base, rm_all, 16, FTW_DEPTH | FTW_PHYS);
}

static void die(const char *what)
{
	fprintf(stderr, "fuzz_hypercall: %s\n", what);
	cleanup();
	abort();
}

static void put(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	if (!f)
		die(path);
	fputs(content, f);
	fclose(f);
}

static int rm_below(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st; (void)type;
	if (ftw->level > 0)
		remove(p);
	return 0;
}

static void reset_share(void)
{
	char p[PATH_MAX * 2];

	nftw(share, rm_below, 16, FTW_DEPTH | FTW_PHYS);
	snprintf(p, sizeof(p), "%s/a", share);
	put(p, "inside a");
	snprintf(p, sizeof(p), "%s/out", share);
	if (symlink("../outside/canary", p))
		die("symlink");
}

static void list_fds(void)
{
	char p[64], t[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");

	while (d && (e = readdir(d))) {
		ssize_t n;

		snprintf(p, sizeof(p), "/proc/self/fd/%s", e->d_name);
		n = readlink(p, t, sizeof(t) - 1);
		if (n > 0)
			fprintf(stderr, "  fd %s -> %.*s\n", e->d_name, (int)n, t);
	}
	if (d)
		closedir(d);
}

/* outside/ holds exactly "canary" with its content, and base holds share and outside. */
static void check_outside(void)
{
	char p[PATH_MAX * 2], b[16];
	int n = 0, fd;
	struct dirent *e;
	DIR *d;

	for (int pass = 0; pass < 2; pass++) {
		d = opendir(pass ? outside : base);
		if (!d)
			die("opendir");
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				n++;
		closedir(d);
	}
	if (n != 3)
		die("an entry appeared or vanished outside the share");
	snprintf(p, sizeof(p), "%s/canary", outside);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? (int)read(fd, b, sizeof(b)) : -1;
	if (fd >= 0)
		close(fd);
	if (n != 6 || memcmp(b, "canary", 6))
		die("outside canary changed");
	fd = dup(0);
	if (fd != lowest_fd) {
		fprintf(stderr, "fuzz_hypercall: lowest free fd %d, expected %d:\n", fd, lowest_fd);
		list_fds();
		die("host fd leaked");
	}
	close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	char p[PATH_MAX * 2];

	(void)argc; (void)argv;
	snprintf(base, sizeof(base), "%s/fuzz_hypercall.XXXXXX", tmp);
	if (!mkdtemp(base))
		die("mkdtemp");
	atexit(cleanup);
	snprintf(share, sizeof(share), "%s/share", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	if (mkdir(share, 0755) || mkdir(outside, 0755))
		die("mkdir");
	snprintf(p, sizeof(p), "%s/canary", outside);
	put(p, "canary");
	gm.host = aligned_alloc(4096, MEM);
	if (!gm.host)
		die("alloc");
	gm.size = gm.low_size = MEM;
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	return 0;
}

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t u64(struct in *in, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)byte(in) << (8 * i);
	return v;
}

static uint64_t arg(struct in *in)
{
	static const uint64_t edge[] = {
		0, 1, 6, 64, MEM - 1, MEM, MEM + 1, UINT64_MAX, UINT64_MAX - 63, 1ull << 63,
		GM_LOW_END, GM_HIGH_BASE, DSV_HC_MAX_IO, DSV_HC_MAX_IO + 1ull, 0xffffffffu,
		(uint64_t)(int64_t)DSV_AT_FDCWD, DSV_PATH_MAX + 1ull, MEM - DSV_HC_MAX_IO,
		RING_GPA, INPUT_GPA, PATH_GPA, 1u << 20, (1u << 20) + 1, 63,
	};

	switch (byte(in) % 6) {
	case 0:
		return (uint64_t)(int64_t)(int8_t)byte(in);
	case 1:
		return edge[byte(in) % (sizeof(edge) / sizeof(edge[0]))];
	case 2:
		return u64(in, 8);
	case 3:
		return INPUT_GPA + u64(in, 2);   /* points at fuzzer bytes */
	case 4:
		return u64(in, 3);               /* anywhere in RAM, or just past it */
	default:
		return PATH_GPA;
	}
}

static void check_outcome(int64_t ret, const struct hc_outcome *res)
{
	if (ret < -4095)
		die("ret is neither a value nor an errno");
	if (res->action == HC_EXIT && (res->status < 0 || res->status > 255))
		die("exit status outside 0-255");
	if (res->action == HC_ABORT) {
		size_t n = strnlen(res->msg, sizeof(res->msg));

		if (n == sizeof(res->msg))
			die("abort message not terminated");
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)res->msg[i] < 0x20 || (unsigned char)res->msg[i] > 0x7e)
				die("abort message not printable");
	}
	if (res->action != HC_ABORT && res->msg[0])
		die("message without an abort");
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
					DSV_HC_LOG, DSV_HC_CONSOLE_RING, DSV_HC_ABORT };
	uint32_t slot = byte(in) % 64, gpa = (uint32_t)(BLK_GPA + slot * 64);
	uint8_t sel = byte(in), noise = byte(in);
	struct dsv_hc *blk = (struct dsv_hc *)(gm.host + gpa);
	struct hc_outcome res;
	uint32_t in_val;

	memset(blk, 0, sizeof(*blk));
	if (sel < 64)
		blk->nr = nrs[sel % 6];
	else if (sel < 0xf0)
		blk->nr = DSV_HC_FILE_BASE + sel % 0x18;
	else
		blk->nr = (uint32_t)u64(in, 4);
	if (noise & 1)
		blk->flags = byte(in);
	if (noise & 2)
		blk->reserved = byte(in);
	for (int i = 0; i < 6; i++)
		blk->args[i] = arg(in);
	if (noise & 4)
		gpa += byte(in) % 64;  /* misaligned */
	hc_port_io(hc, DSV_HC_PORT, 1, 4, 1, (const uint8_t *)&gpa, &in_val, &res);
	check_outcome(gpa % 64 ? 0 : blk->ret, &res);
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
		"a", "out", "..", "../outside/canary", "/", ".", "", "new", "/etc/passwd",
		"sub/../../outside", "a/", "/dev/shm",
	};
	struct in in = { data, size };
	struct console con;
	struct fileio *fio;
	struct hc_ctx hc;
	int save[3], r;
	char err[256];

	/* Taken per input: between inputs libFuzzer may start its symbolizer (pipes). */
	lowest_fd = dup(0);
	close(lowest_fd);
	reset_share();
	memset(gm.host, 0, INPUT_GPA);
	memset(gm.host + INPUT_GPA, 0, MEM - INPUT_GPA);
	memcpy(gm.host + INPUT_GPA, data, size < MEM - INPUT_GPA ? size : MEM - INPUT_GPA);
	/* The guest's fds 0-2 are copies of ours: make them /dev/null first. */
	for (int i = 0; i < 3; i++) {
		save[i] = dup(i);
		dup2(null_fd, i);
	}
	r = fileio_create(&fio, share, err, sizeof(err));
	for (int i = 0; i < 3; i++) {
		dup2(save[i], i);
		close(save[i]);
	}
	if (r)
		die(err);
	console_init(&con, null_fd);
	hc_init(&hc, &gm, &con, fio);
	for (int op = 0; op < MAX_OPS && in.n; op++) {
		switch (byte(&in) % 5) {
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
		default:
			op_path(&in, dict, sizeof(dict) / sizeof(dict[0]));
			break;
		}
	}
	console_ring_drain(&con, &gm);
	pthread_mutex_destroy(&con.lock);
	fileio_destroy(fio);
	check_outside();
	return 0;
}
