/*
 * libFuzzer target: hvmm's file offload (hvmm/fileio*.c) driven with fuzzed hypercalls
 * against a fake guest memory and a temp share that holds symlinks leading out.
 *
 * Input: a sequence of calls. Each is one byte for nr (0x100 + b % 0x18; 0xff: 4 raw bytes)
 * and six arguments, each a tag byte plus data:
 *   0 small signed int (1 byte)        4 boundary value (1 byte index)
 *   1 dictionary path -> its GPA       5 scratch buffer GPA (1 byte, 4 KiB pages)
 *   2 length of the last path          6 raw path from the input (1 byte len + bytes)
 *   3 raw u64 (8 bytes)                7 fd 0-15 (1 byte)
 * After each input the fixture is checked: nothing outside the share may have changed and
 * no host fd may have leaked; either aborts, so libFuzzer keeps the input.
 *
 * Run (clang only; the fixture lives in /dev/shm and is removed at exit):
 *   CC=clang meson setup build-fuzz && ninja -C build-fuzz tests/hvmm/fuzz_fileio
 *   mkdir -p /tmp/fio-corpus
 *   build-fuzz/tests/hvmm/fuzz_fileio -max_total_time=300 -timeout=10 \
 *       /tmp/fio-corpus tests/hvmm/corpus/fileio
 * New inputs go to the first directory. Keep a crash input as a regression test by adding
 * it to tests/hvmm/corpus/fileio/.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dsv/fileio.h>
#include "file_offload.h"
#include "guest_mem.h"
#include "fuzz_input.h"
#include "share_fixture.h"

#define MEM (2ull << 20)
#define PATH_GPA 0x1000ull /* dictionary paths */
#define RAW_GPA 0x3000ull  /* raw paths from the input */
#define BUF_GPA 0x10000ull /* scratch buffers from here */
#define MAX_OPS 64

static struct guest_mem gm;
static const char *dict[32];
static size_t ndict;

static void reset_share(void)
{
	char p[PATH_MAX * 2];
	fixture_begin_input();
	fixture_put(fx.share, "a", "inside a");
	snprintf(p, sizeof(p), "%s/sub", fx.share);
	mkdir(p, 0755);
	fixture_put(p, "b", "inside b");
	static const char *const links[][2] = {
		{ "evil", "../outside/canary" },	{ "evdir", "../outside" },
		{ "dangle", "../outside/new" },		{ "sub/up", "../a" },
		{ "sub/deep", "../../outside/canary" }, { "sib", "../share2" },
	};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", fx.share, links[i][0]);
		if (symlink(links[i][1], p))
			fixture_die("symlink");
	}
	snprintf(p, sizeof(p), "%s/evabs", fx.share);
	char t[PATH_MAX * 2];
	snprintf(t, sizeof(t), "%s/canary", fx.outside);
	if (symlink(t, p))
		fixture_die("symlink");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const extra[] = { "share2", NULL };
	(void)argc;
	(void)argv;
	fixture_init("fuzz_fileio", extra);
	gm.host = aligned_alloc(4096, MEM);
	if (!gm.host)
		fixture_die("alloc");
	gm.size = gm.low_size = MEM;
	static char abs_a[PATH_MAX * 2], abs_sib[PATH_MAX * 2], abs_out[PATH_MAX * 2];
	static char abs_dot[PATH_MAX * 2];
	snprintf(abs_a, sizeof(abs_a), "%s/a", fx.share);
	snprintf(abs_sib, sizeof(abs_sib), "%s/share2/canary", fx.base);
	snprintf(abs_out, sizeof(abs_out), "%s/canary", fx.outside);
	snprintf(abs_dot, sizeof(abs_dot), "%s/sub/../../outside/new", fx.share);
	static const char *const fixed[] = {
		"a",
		"sub",
		"sub/b",
		"sub/up",
		"sub/deep",
		"..",
		"../outside/canary",
		"/etc/passwd",
		"/",
		".",
		"",
		"evil",
		"evdir",
		"evdir/canary",
		"dangle",
		"evabs",
		"sib/canary",
		"new",
		"newdir/",
		"sub/../a",
		"sub/..",
		"sub/../../outside",
		"a/",
		"../share2/new",
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		dict[ndict++] = fixed[i];
	dict[ndict++] = fx.share;
	dict[ndict++] = abs_a;
	dict[ndict++] = abs_sib;
	dict[ndict++] = abs_out;
	dict[ndict++] = abs_dot;
	dict[ndict++] = fx.base;
	return 0;
}

static uint64_t arg(struct in *in, uint64_t *last_len)
{
	static const uint64_t edge[] = {
		0,
		1,
		MEM - 1,
		MEM,
		UINT64_MAX,
		UINT64_MAX - 7,
		1ull << 63,
		GM_HIGH_BASE,
		GM_LOW_END,
		DSV_HC_MAX_IO,
		DSV_HC_MAX_IO + 1ull,
		DSV_PATH_MAX,
		DSV_PATH_MAX + 1ull,
		(uint64_t)(int64_t)DSV_AT_FDCWD,
		0xffffffffu,
		0x100000003ull,
		0x7fffffffffffffffull,
		DSV_MAX_FILES,
		0x80000000u,
	};
	uint8_t tag = byte(in) % 8, b;
	switch (tag) {
	case 0:
		return (uint64_t)(int64_t)(int8_t)byte(in);
	case 1: {
		const char *s = dict[byte(in) % ndict];
		*last_len = strlen(s);
		memcpy(gm.host + PATH_GPA, s, *last_len);
		return PATH_GPA;
	}
	case 2:
		return *last_len;
	case 3:
		return u64(in, 8);
	case 4:
		return edge[byte(in) % (sizeof(edge) / sizeof(edge[0]))];
	case 5:
		return BUF_GPA + (uint64_t)byte(in) * 4096;
	case 6:
		b = byte(in);
		*last_len = b < in->n ? b : in->n;
		memcpy(gm.host + RAW_GPA, in->p, *last_len);
		in->p += *last_len;
		in->n -= *last_len;
		return RAW_GPA;
	default:
		return byte(in) % 16;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	reset_share();
	memset(gm.host, 0, BUF_GPA);
	struct fileio *fio = fixture_open_share();
	uint64_t last_len = 0;
	for (int op = 0; op < MAX_OPS && in.n; op++) {
		uint8_t b = byte(&in);
		/* the path and file calls, then the metadata calls and one number past them */
		uint32_t k = b % 0x1e;
		uint32_t nr = k < 0x17 ? DSV_HC_FILE_BASE + k : DSV_HC_STATFS + (k - 0x17);
		if (b == 0xff)
			for (int i = 0; i < 4; i++)
				nr = (nr << 8) | byte(&in);
		/* Descriptor calls may block by design: see test_fileio_net.c instead. */
		if (nr >= DSV_HC_PIPE2 && nr <= DSV_HC_SELECT)
			nr = DSV_HC_FILE_LAST + 1;
		uint64_t a[6];
		for (int i = 0; i < 6; i++)
			a[i] = arg(&in, &last_len);
		int64_t ret = fileio_call(fio, &gm, nr, a);
		if (ret < -4095)
			fixture_die("result is neither a value nor an errno");
	}
	fileio_destroy(fio);
	fixture_check_outside();
	return 0;
}
