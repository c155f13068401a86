/*
 * libFuzzer target: the lwk's x86-64 decoder and red-zone scan (lwk/insn.c), compiled for
 * the host. The input is a function's code; its first two bytes pick the syscall site to
 * ask about. Promises: a length is 0..15 and never past the bytes given (ASan sees reads
 * past the exactly sized copy), the same bytes decode the same way with more after them,
 * and SAFE only for a site that a linear decode reaches and that holds 0f 05.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lwk/insn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_lwk_insn: %s\n", what);
	abort();
}

/* Field by field: the padding of struct insn is not set. */
static bool same(const struct insn *a, const struct insn *b)
{
	return a->len == b->len && a->modrm == b->modrm && a->mem == b->mem && a->base == b->base &&
	       a->index == b->index && a->disp == b->disp && a->rel_branch == b->rel_branch &&
	       a->rel == b->rel && a->indirect == b->indirect;
}

static void check_site(const uint8_t *code, size_t len, size_t site)
{
	if (insn_red_zone_scan(code, len, site) != INSN_SAFE)
		return;
	size_t off = 0;
	struct insn in;
	while (off < site) {
		int n = insn_decode(code + off, len - off, &in);
		if (!n)
			fail("SAFE, but the code does not decode");
		off += (size_t)n;
	}
	if (off != site || site + 2 > len || code[site] != 0x0f || code[site + 1] != 0x05)
		fail("SAFE for a site that is not a syscall instruction");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t site = (size_t)data[0] | (size_t)data[1] << 8;
	size -= 2;
	uint8_t *code = malloc(size ? size : 1);
	if (!code)
		return 0;
	memcpy(code, data + 2, size);
	for (size_t off = 0; off < size && off < 64; off++) {
		struct insn a, b;
		uint8_t more[INSN_MAX_LEN + 8];
		int n = insn_decode(code + off, size - off, &a);
		if (n < 0 || n > INSN_MAX_LEN || (size_t)n > size - off || (n && a.len != n))
			fail("length out of range");
		if (!n)
			continue;
		memcpy(more, code + off, (size_t)n);
		memset(more + n, 0x90, sizeof more - (size_t)n);
		if (insn_decode(more, sizeof more, &b) != n || !same(&a, &b))
			fail("more bytes after an instruction changed it");
	}
	if (size)
		check_site(code, size, site % size);
	free(code);
	return 0;
}
