#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_loader.h"
#include "image_file.h"

#define MIN_PA 0x100000ull
#define MAX_PA (64ull << 20)

/* A valid image: text at 1 MiB (entry inside), data+bss at 2 MiB. */
struct img {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[3];
	uint8_t text[64];
	uint8_t data[32];
};

static void make(struct img *m)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->eh.e_ident, ELFMAG, SELFMAG);
	m->eh.e_ident[EI_CLASS] = ELFCLASS64;
	m->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	m->eh.e_ident[EI_VERSION] = EV_CURRENT;
	m->eh.e_type = ET_EXEC;
	m->eh.e_machine = EM_X86_64;
	m->eh.e_version = EV_CURRENT;
	m->eh.e_entry = 0x100010;
	m->eh.e_phoff = offsetof(struct img, ph);
	m->eh.e_phentsize = sizeof(Elf64_Phdr);
	m->eh.e_phnum = 2;
	m->eh.e_ehsize = sizeof(Elf64_Ehdr);
	m->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD,
				 .p_flags = PF_R | PF_X,
				 .p_offset = offsetof(struct img, text),
				 .p_vaddr = 0x100000,
				 .p_paddr = 0x100000,
				 .p_filesz = 64,
				 .p_memsz = 64 };
	m->ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD,
				 .p_flags = PF_R | PF_W,
				 .p_offset = offsetof(struct img, data),
				 .p_vaddr = 0x200000,
				 .p_paddr = 0x200000,
				 .p_filesz = 32,
				 .p_memsz = 4096 };
	memset(m->text, 0x90, sizeof(m->text));
	memset(m->data, 0xab, sizeof(m->data));
}

static int check(const struct img *m, size_t len, char *err, size_t errlen)
{
	struct elf_image out;

	return elf_check_kernel((const uint8_t *)m, len, MIN_PA, MAX_PA, &out, err, errlen);
}

static void good_image_loads(void **state)
{
	struct img m;
	struct elf_image out;
	uint8_t *ram = malloc(MAX_PA);
	char err[300];

	(void)state;
	make(&m);
	assert_int_equal(
		elf_check_kernel((uint8_t *)&m, sizeof(m), MIN_PA, MAX_PA, &out, err, sizeof(err)),
		0);
	assert_int_equal(out.nseg, 2);
	assert_int_equal(out.entry, 0x100010);
	assert_int_equal(out.phys_lo, 0x100000);
	assert_int_equal(out.phys_hi, 0x201000);
	memset(ram, 0x55, MAX_PA);
	elf_copy_segments((uint8_t *)&m, &out, ram);
	assert_memory_equal(ram + 0x100000, m.text, 64);
	assert_memory_equal(ram + 0x200000, m.data, 32);
	for (int i = 32; i < 4096; i++)
		assert_int_equal(ram[0x200000 + i], 0); /* bss zeroed */
	assert_int_equal(ram[0x201000], 0x55);		/* nothing beyond memsz */
	free(ram);
}

static void kernel_window_allowed(void **state)
{
	struct img m;
	char err[300];

	(void)state;
	make(&m);
	m.ph[0].p_vaddr += KERNEL_VBASE;
	m.ph[1].p_vaddr += KERNEL_VBASE;
	m.eh.e_entry += KERNEL_VBASE;
	assert_int_equal(check(&m, sizeof(m), err, sizeof(err)), 0);
}

struct mutation {
	const char *name;
	void (*apply)(struct img *m, size_t *len);
	const char *needle;
};

static void m_truncated_header(struct img *m, size_t *len)
{
	(void)m;
	*len = 40;
}
static void m_truncated_phdrs(struct img *m, size_t *len)
{
	(void)m;
	*len = sizeof(Elf64_Ehdr) + 10;
}
static void m_truncated_segment(struct img *m, size_t *len)
{
	(void)m;
	*len = offsetof(struct img, data) + 8;
}
static void m_magic(struct img *m, size_t *len)
{
	(void)len;
	m->eh.e_ident[1] = 'X';
}
static void m_class32(struct img *m, size_t *len)
{
	(void)len;
	m->eh.e_ident[EI_CLASS] = ELFCLASS32;
}
static void m_bigendian(struct img *m, size_t *len)
{
	(void)len;
	m->eh.e_ident[EI_DATA] = ELFDATA2MSB;
}
static void m_machine(struct img *m, size_t *len)
{
	(void)len;
	m->eh.e_machine = EM_AARCH64;
}
static void m_dyn(struct img *m, size_t *len)
{
	(void)len;
	m->eh.e_type = ET_DYN;
}
static void m_version(struct img *m, size_t *len)
{
	(void)len;
	m->eh.e_version = 7;
}
static void m_phentsize(struct img *m, size_t *len)
{
	(void)len;
	m->eh.e_phentsize = 12;
}
static void m_no_phdrs(struct img *m, size_t *len)
{
	(void)len;
	m->eh.e_phnum = 0;
}
static void m_phoff_huge(struct img *m, size_t *len)
{
	(void)len;
	m->eh.e_phoff = ~0ull - 8;
}
static void m_no_load(struct img *m, size_t *len)
{
	(void)len;
	m->ph[0].p_type = PT_NOTE;
	m->ph[1].p_type = PT_NOTE;
}
static void m_outside_ram(struct img *m, size_t *len)
{
	(void)len;
	m->ph[1].p_paddr = m->ph[1].p_vaddr = MAX_PA - 100;
}
static void m_below_min(struct img *m, size_t *len)
{
	(void)len;
	m->ph[1].p_paddr = m->ph[1].p_vaddr = 0x1000;
}
static void m_huge_memsz(struct img *m, size_t *len)
{
	(void)len;
	m->ph[1].p_memsz = 1ull << 63;
}
static void m_wrapping(struct img *m, size_t *len)
{
	(void)len;
	m->ph[1].p_memsz = ~0ull - 0x100000;
}
static void m_huge_offset(struct img *m, size_t *len)
{
	(void)len;
	m->ph[1].p_offset = ~0ull - 4;
}
static void m_filesz_gt_memsz(struct img *m, size_t *len)
{
	(void)len;
	m->ph[1].p_memsz = 8;
}
static void m_zero_memsz(struct img *m, size_t *len)
{
	(void)len;
	m->ph[1].p_memsz = 0;
	m->ph[1].p_filesz = 0;
}
static void m_overlap(struct img *m, size_t *len)
{
	(void)len;
	m->ph[1].p_paddr = m->ph[1].p_vaddr = 0x100020;
}
static void m_entry_outside(struct img *m, size_t *len)
{
	(void)len;
	m->eh.e_entry = 0x300000;
}
static void m_entry_in_data(struct img *m, size_t *len)
{
	(void)len;
	m->eh.e_entry = 0x200004;
}
static void m_entry_in_bss(struct img *m, size_t *len)
{
	(void)len;
	m->ph[0].p_memsz = 4096;
	m->eh.e_entry = 0x100800;
}
static void m_vaddr_elsewhere(struct img *m, size_t *len)
{
	(void)len;
	m->ph[1].p_vaddr = 0x40000000;
}
static void m_interp(struct img *m, size_t *len)
{
	(void)len;
	m->eh.e_phnum = 3;
	m->ph[2] = (Elf64_Phdr){ .p_type = PT_INTERP, .p_offset = 0, .p_filesz = 4 };
}

static void bad_images(void **state)
{
	static const struct mutation muts[] = {
		{ "truncated header", m_truncated_header, "only 40 bytes" },
		{ "truncated program headers", m_truncated_phdrs, "truncated" },
		{ "truncated segment", m_truncated_segment, "truncated" },
		{ "bad magic", m_magic, "magic" },
		{ "32-bit", m_class32, "64-bit" },
		{ "big-endian", m_bigendian, "little-endian" },
		{ "aarch64", m_machine, "x86-64" },
		{ "ET_DYN", m_dyn, "not an executable" },
		{ "version", m_version, "version" },
		{ "phentsize", m_phentsize, "program header" },
		{ "no phdrs", m_no_phdrs, "program header" },
		{ "phoff overflow", m_phoff_huge, "truncated" },
		{ "no PT_LOAD", m_no_load, "no loadable" },
		{ "segment past RAM", m_outside_ram, "outside guest RAM" },
		{ "segment below 1 MiB", m_below_min, "outside guest RAM" },
		{ "huge memsz", m_huge_memsz, "outside guest RAM" },
		{ "wrapping memsz", m_wrapping, "outside guest RAM" },
		{ "offset overflow", m_huge_offset, "truncated" },
		{ "filesz > memsz", m_filesz_gt_memsz, "file size" },
		{ "empty segment", m_zero_memsz, "memory size 0" },
		{ "overlapping segments", m_overlap, "overlap" },
		{ "entry outside", m_entry_outside, "entry point" },
		{ "entry in data", m_entry_in_data, "entry point" },
		{ "entry in bss", m_entry_in_bss, "entry point" },
		{ "vaddr elsewhere", m_vaddr_elsewhere, "kernel window" },
		{ "PT_INTERP", m_interp, "dynamically linked" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
		struct img m;
		size_t len = sizeof(m);
		char err[300] = "";

		make(&m);
		muts[i].apply(&m, &len);
		if (check(&m, len, err, sizeof(err)) != -1)
			fail_msg("%s: accepted", muts[i].name);
		if (!strstr(err, muts[i].needle))
			fail_msg("%s: error '%s' does not mention '%s'", muts[i].name, err,
				 muts[i].needle);
	}
}

/* Every prefix of a good image is either refused or (if complete) accepted; none crash. */
static void every_truncation(void **state)
{
	struct img m;
	char err[300];

	(void)state;
	make(&m);
	for (size_t len = 0; len < offsetof(struct img, data) + 32; len++)
		assert_int_equal(check(&m, len, err, sizeof(err)), -1);
	assert_int_equal(check(&m, sizeof(m), err, sizeof(err)), 0);
}

/* The payloads our own build produces pass the same checks (path from the test's argv). */
static const char *real_image;

static void built_payload(void **state)
{
	struct image_file f;
	struct elf_image out;
	char err[300];

	(void)state;
	if (!real_image)
		skip();
	assert_int_equal(image_file_read(real_image, 64 << 20, &f, err, sizeof(err)), 0);
	assert_int_equal(elf_check_kernel(f.data, f.len, MIN_PA, MAX_PA, &out, err, sizeof(err)),
			 0);
	assert_true(out.nseg >= 1);
	image_file_free(&f);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_image_loads), cmocka_unit_test(kernel_window_allowed),
		cmocka_unit_test(bad_images),	    cmocka_unit_test(every_truncation),
		cmocka_unit_test(built_payload),
	};
	real_image = argc > 1 ? argv[1] : NULL;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
