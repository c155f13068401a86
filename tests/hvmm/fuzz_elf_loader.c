/*
 * libFuzzer target: hvmm's kernel ELF loader (hvmm/elf_loader.c). The input is the kernel
 * image; its first byte also picks how much guest RAM the kernel may use, so the bounds
 * checks run against many limits. An accepted image must keep every promise of
 * elf_loader.h, and elf_copy_segments must stay inside the fake RAM (ASan checks it: RAM
 * is malloc'd to exactly the limit).
 *
 * Run: scripts/fuzz.sh SECONDS, or by hand after CC=clang meson setup build-fuzz:
 *   build-fuzz/tests/hvmm/fuzz_elf_loader -max_total_time=60 NEW_DIR tests/hvmm/corpus/elf_loader
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_boot.h"
#include "elf_loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_elf_loader: accepted image breaks a promise: %s\n", what);
	abort();
}

/* Every promise elf_check_kernel makes about an image it accepts. */
static void check_accepted(const struct elf_image *img, size_t len, uint64_t max)
{
	int entry_ok = 0;

	if (img->nseg < 1 || img->nseg > ELF_MAX_SEGMENTS)
		fail("segment count");
	for (int i = 0; i < img->nseg; i++) {
		const struct elf_segment *s = &img->seg[i];

		if (s->memsz == 0 || s->filesz > s->memsz || s->filesz > len)
			fail("segment sizes");
		if (s->paddr < BOOT_AREA_END || s->paddr > max || s->memsz > max - s->paddr)
			fail("segment outside [min, max)");
		if (s->vaddr != s->paddr && s->vaddr != s->paddr + KERNEL_VBASE)
			fail("segment neither identity nor kernel window");
		if (s->paddr < img->phys_lo || s->paddr + s->memsz > img->phys_hi)
			fail("phys_lo/phys_hi");
		for (int j = 0; j < i; j++) {
			const struct elf_segment *t = &img->seg[j];

			if (s->paddr < t->paddr + t->memsz && t->paddr < s->paddr + s->memsz)
				fail("overlapping segments");
		}
		if ((s->flags & PF_X) && img->entry >= s->vaddr &&
		    img->entry - s->vaddr < s->filesz)
			entry_ok = 1;
	}
	if (!entry_ok)
		fail("entry outside executable file bytes");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 1 MiB of boot area plus 0..255 pages, and sometimes a few odd bytes. */
	uint64_t max, ram_len;
	struct elf_image img;
	uint8_t *file, *ram;
	char err[256];

	if (size < 1)
		return 0;
	max = BOOT_AREA_END + (uint64_t)data[0] * 4096 + (data[0] & 1) * 3;
	data++;
	size--;
	/* A private, exactly sized copy: ASan then sees any read past the file's end. */
	file = malloc(size ? size : 1);
	if (!file)
		return 0;
	memcpy(file, data, size);
	err[0] = '\0';
	if (elf_check_kernel(file, size, BOOT_AREA_END, max, &img, err, sizeof(err))) {
		if (!err[0] || !memchr(err, '\0', sizeof(err)))
			fail("refused without a reason");
		free(file);
		return 0;
	}
	check_accepted(&img, size, max);
	ram_len = img.phys_hi; /* exactly up to the end of the last segment */
	ram = malloc(ram_len);
	if (!ram)
		fail("phys_hi too large to allocate");
	elf_copy_segments(file, &img, ram);
	free(ram);
	free(file);
	return 0;
}
