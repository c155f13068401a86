/*
 * libFuzzer target: the lwk's program loader (lwk/elf.c), compiled for the host. The
 * input is the program file, exactly as hvmm hands it to the lwk. An accepted program
 * must satisfy what elf_load relies on: every loadable segment inside the file, inside
 * [2 MiB, 128 TiB) once biased, inside [lo, hi), in order and not overlapping, and the
 * entry point and program headers inside the image. elf_load itself writes to user
 * virtual addresses, which do not exist here: uvm_reserve below checks each request
 * against the image instead and refuses it, so only the first segment is walked by
 * elf_load; the checks below walk them all. elf_func_at (lwk/elf_sym.c) reads the section
 * and symbol tables of the same file: a function it finds must contain the address asked
 * for and lie inside the image.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lwk/elf.h"

#define USER_TOP (1ull << 47)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct elf_image *cur;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_lwk_elf: accepted program breaks a promise: %s\n", what);
	abort();
}

/* The lwk's uvm.c, replaced: the request must lie inside the checked image. */
bool uvm_reserve(uint64_t start, uint64_t end)
{
	if (!cur || start >= end || start < cur->lo || end > cur->hi)
		fail("uvm_reserve outside [lo, hi)");
	return false;
}

struct ph {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static void check_accepted(const uint8_t *file, uint64_t size, const struct elf_image *img)
{
	uint64_t phoff, prev_end = 0;
	uint16_t phnum;
	int entry_ok = 0;

	memcpy(&phoff, file + 32, 8);
	memcpy(&phnum, file + 56, 2);
	if (img->lo < ELF_MIN_VADDR || img->hi > USER_TOP || img->lo >= img->hi)
		fail("image bounds");
	if (img->phnum != phnum || phoff > size || size - phoff < phnum * sizeof(struct ph))
		fail("program header table");
	for (unsigned i = 0; i < phnum; i++) {
		struct ph p;
		uint64_t va;

		memcpy(&p, file + phoff + i * sizeof(p), sizeof(p));
		if (p.type != 1 || !p.memsz)
			continue;
		if (p.offset > size || p.filesz > size - p.offset || p.filesz > p.memsz)
			fail("segment outside the file");
		va = p.vaddr + img->bias;
		if (va < img->lo || va > img->hi || p.memsz > img->hi - va)
			fail("segment outside [lo, hi)");
		if (va < prev_end)
			fail("segments overlap");
		prev_end = va + p.memsz;
		if ((p.flags & 1) && img->entry >= va && img->entry < prev_end)
			entry_ok = 1;
	}
	if (!entry_ok)
		fail("entry point");
	/*
	 * img->phdr is not checked: a PT_PHDR may name an address outside the image (found by
	 * this target). The kernel never dereferences it; it only reaches the program as
	 * AT_PHDR, so a lying file can only crash itself in user mode (docs/security.md).
	 */
}

static void check_func_at(const struct elf_image *img, uint64_t va)
{
	uint64_t start, len;
	if (!elf_func_at(img, va, &start, &len))
		return;
	if (!len || va < start || va - start >= len)
		fail("elf_func_at: the function does not contain the address");
	if (start < img->lo || start > img->hi || len > img->hi - start)
		fail("elf_func_at: the function lies outside the image");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_image img;
	const char *why = NULL;
	uint8_t *file;

	/* An exactly sized copy (malloc: 16-byte aligned, as the lwk needs 8): ASan sees overreads. */
	file = malloc(size ? size : 1);
	if (!file)
		return 0;
	memcpy(file, data, size);
	memset(&img, 0, sizeof(img));
	if (!elf_check(file, size, &img, &why)) {
		if (!why || !*why)
			fail("refused without a reason");
		free(file);
		return 0;
	}
	check_accepted(file, size, &img);
	check_func_at(&img, img.entry);
	check_func_at(&img, img.lo);
	check_func_at(&img, img.hi - 1);
	if (size >= 8) { /* an address the input chooses */
		uint64_t pick;
		memcpy(&pick, file + size - 8, sizeof pick);
		check_func_at(&img, img.lo + pick % (img.hi - img.lo));
	}
	cur = &img;
	elf_load(&img);
	cur = NULL;
	free(file);
	return 0;
}
