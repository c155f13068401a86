/*
 * Host helper for insn_objdump.py: the lwk's decoder (lwk/insn.c) and symbol lookup
 * (lwk/elf_sym.c) on real programs, for comparison with objdump and readelf.
 *
 *   insn_check decode < LINES   each line "NAME HEXBYTES" (a function as objdump shows it);
 *                               prints "NAME LEN,LEN,..." and ",?OFFSET" where decoding
 *                               stopped, then " scan S/U/K" for each 0f 05 boundary.
 *   insn_check func FILE VA...  prints "VA START SIZE" or "VA none" (elf_func_at); VA and
 *                               START as linked (readelf's), the load bias left out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lwk/elf.h"
#include "../../lwk/insn.h"

/* The lwk's uvm.c, which elf.c's elf_load needs; never called here. */
bool uvm_reserve(uint64_t start, uint64_t end)
{
	(void)start;
	(void)end;
	return false;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void decode_line(char *line)
{
	char *hex = strchr(line, ' ');
	if (!hex)
		return;
	*hex++ = '\0';
	size_t n = strcspn(hex, "\n") / 2, off = 0;
	uint8_t *code = malloc(n ? n : 1);
	if (!code)
		exit(1);
	for (size_t i = 0; i < n; i++) {
		int h = hexval(hex[2 * i]), l = hexval(hex[2 * i + 1]);
		if (h < 0 || l < 0) {
			fprintf(stderr, "insn_check: %s: bad hex\n", line);
			exit(1);
		}
		code[i] = (uint8_t)(h << 4 | l);
	}
	printf("%s ", line);
	while (off < n) {
		struct insn in;
		int len = insn_decode(code + off, n - off, &in);
		if (!len) {
			printf("?%zu", off);
			break;
		}
		printf("%d,", len);
		off += (size_t)len;
	}
	for (off = 0; off + 1 < n; off++) {
		if (code[off] != 0x0f || code[off + 1] != 0x05)
			continue;
		enum insn_verdict v = insn_red_zone_scan(code, n, off);
		printf(" scan%zu=%c", off, v == INSN_SAFE ? 'S' : v == INSN_UNSAFE ? 'U' : 'K');
	}
	printf("\n");
	free(code);
}

static int func(const char *path, int argc, char **argv)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	rewind(f);
	uint8_t *file = malloc(size > 0 ? (size_t)size : 1);
	if (!file || fread(file, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "insn_check: cannot read %s\n", path);
		return 1;
	}
	fclose(f);
	struct elf_image img;
	const char *why;
	if (!elf_check(file, (uint64_t)size, &img, &why)) {
		fprintf(stderr, "insn_check: %s: %s\n", path, why);
		return 1;
	}
	for (int i = 0; i < argc; i++) {
		uint64_t va = strtoull(argv[i], NULL, 16), start, len;
		if (elf_func_at(&img, va + img.bias, &start, &len))
			printf("%llx %llx %llx\n", (unsigned long long)va,
			       (unsigned long long)(start - img.bias), (unsigned long long)len);
		else
			printf("%llx none\n", (unsigned long long)va);
	}
	free(file);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "decode")) {
		char *line = NULL;
		size_t cap = 0;
		while (getline(&line, &cap, stdin) > 0)
			decode_line(line);
		free(line);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "func"))
		return func(argv[2], argc - 3, argv + 3);
	fprintf(stderr, "usage: insn_check decode < LINES | insn_check func FILE VA...\n");
	return 2;
}
