/* Address translation with the hole below 4 GiB, boot layout and the memory map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "guest_boot.h"
#include "guest_mem.h"

static void translation_low_only(void **state)
{
	struct guest_mem gm = { .host = (uint8_t *)0x10000000,
				.size = 64 << 20,
				.low_size = 64 << 20 };

	(void)state;
	assert_ptr_equal(gm_ptr(&gm, 0, 1), gm.host);
	assert_ptr_equal(gm_ptr(&gm, (64 << 20) - 1, 1), gm.host + (64 << 20) - 1);
	assert_null(gm_ptr(&gm, 64 << 20, 1));
	assert_null(gm_ptr(&gm, 1, ~0ull));
	assert_null(gm_ptr(&gm, ~0ull, 2));
	assert_null(gm_ptr(&gm, GM_HIGH_BASE, 1));
	assert_int_equal(gm_top(&gm), 64 << 20);
}

static void translation_with_hole(void **state)
{
	uint64_t size = GM_LOW_END + (1ull << 30);
	struct guest_mem gm = { .host = (uint8_t *)0x100000000000ull,
				.size = size,
				.low_size = GM_LOW_END };

	(void)state;
	assert_ptr_equal(gm_ptr(&gm, GM_LOW_END - 8, 8), gm.host + GM_LOW_END - 8);
	assert_null(gm_ptr(&gm, GM_LOW_END - 8, 16)); /* into the hole */
	assert_null(gm_ptr(&gm, 0xfee00000, 4));      /* the LAPIC page */
	assert_ptr_equal(gm_ptr(&gm, GM_HIGH_BASE, 4), gm.host + GM_LOW_END);
	assert_ptr_equal(gm_ptr(&gm, GM_HIGH_BASE + (1ull << 30) - 1, 1), gm.host + size - 1);
	assert_null(gm_ptr(&gm, GM_HIGH_BASE + (1ull << 30), 1));
	assert_int_equal(gm_top(&gm), GM_HIGH_BASE + (1ull << 30));
}

static void program_and_memory_map(void **state)
{
	struct guest_mem gm = { .size = 64 << 20, .low_size = 64 << 20 };
	static uint8_t image[5000];
	char *argv[] = { "prog", "a b", "" };
	char *envp[] = { "X=1", NULL };
	struct boot_program bp;
	struct elf_image k = { .phys_lo = 0x100000, .phys_hi = 0x180000, .nseg = 1 };
	int cpus[2] = { 3, 5 };
	struct boot_params p = { .platform = DSV_PLATFORM_PVM,
				 .tsc_khz = 2596000,
				 .nr_vcpus = 2,
				 .host_cpus = cpus,
				 .vif_pages = 1,
				 .cmdline = "quiet",
				 .kernel = &k };
	struct dsv_bootinfo *bi;
	struct dsv_args *a;
	const char *s;
	char err[200];
	uint64_t last_end = 0;

	(void)state;
	gm.host = calloc(1, gm.size);
	memset(image, 0x7f, sizeof(image));
	assert_int_equal(boot_place_program(&gm, image, sizeof(image), 3, argv, envp, "/bin/prog",
					    &bp, err, sizeof(err)),
			 0);
	assert_int_equal(bp.region_gpa % (2 << 20), 0);
	assert_memory_equal(gm.host + bp.gpa, image, sizeof(image));
	a = (struct dsv_args *)(gm.host + bp.args_gpa);
	assert_int_equal(a->argc, 3);
	assert_int_equal(a->envc, 1);
	s = (const char *)(a + 1);
	assert_string_equal(s, "prog");
	s += strlen(s) + 1;
	assert_string_equal(s, "a b");
	s += strlen(s) + 1;
	assert_string_equal(s, "");
	s += 1;
	assert_string_equal(s, "X=1");
	s += 4;
	assert_string_equal(s, "/bin/prog");
	assert_int_equal(bp.args_size, sizeof(*a) + a->strings_size);
	assert_true(bp.args_gpa + bp.args_size <= gm.size);

	p.program = &bp;
	boot_write_info(&gm, &p);
	bi = (struct dsv_bootinfo *)(gm.host + BOOT_INFO_GPA);
	assert_int_equal(bi->magic, DSV_BOOTINFO_MAGIC);
	assert_int_equal(bi->nr_vcpus, 2);
	assert_int_equal(bi->host_cpu[1], 5);
	assert_int_equal(bi->vif_gpa[1], boot_vif_gpa(1));
	assert_string_equal((char *)gm.host + bi->cmdline_gpa, "quiet");
	/* The map covers RAM exactly, in order, without overlaps, with each kind present. */
	for (uint32_t i = 0; i < bi->nr_mem; i++) {
		assert_int_equal(bi->mem[i].base, last_end);
		last_end = bi->mem[i].base + bi->mem[i].size;
	}
	assert_int_equal(last_end, gm.size);
	assert_int_equal(bi->mem[0].type, DSV_MEM_BOOT);
	assert_int_equal(bi->mem[1].type, DSV_MEM_KERNEL);
	assert_int_equal(bi->mem[bi->nr_mem - 1].type, DSV_MEM_PROGRAM);
	assert_int_equal(bi->mem[bi->nr_mem - 1].base, bp.region_gpa);
	free(gm.host);
}

static void program_too_big(void **state)
{
	struct guest_mem gm = { .size = 8 << 20, .low_size = 8 << 20 };
	uint8_t *image = calloc(1, 7 << 20);
	char *argv[] = { "prog" };
	struct boot_program bp;
	char err[200];

	(void)state;
	gm.host = calloc(1, gm.size);
	assert_int_equal(
		boot_place_program(&gm, image, 7 << 20, 1, argv, NULL, "/p", &bp, err, sizeof(err)),
		-1);
	assert_non_null(strstr(err, "--mem"));
	free(image);
	free(gm.host);
}

static void page_tables(void **state)
{
	struct guest_mem gm = { .size = 64 << 20, .low_size = 64 << 20 };
	uint64_t *pml4, *pd;

	(void)state;
	gm.host = calloc(1, gm.size);
	assert_int_equal(boot_page_tables(&gm), BOOT_PT_GPA);
	pml4 = (uint64_t *)(gm.host + BOOT_PT_GPA);
	assert_int_not_equal(pml4[0], 0);
	assert_int_not_equal(pml4[511], 0);
	assert_int_equal(pml4[256], 0); /* never map PML4 slot 256 (PVM) */
	pd = (uint64_t *)(gm.host + BOOT_PT_GPA + 0x3000);
	assert_int_equal(pd[0] & ~0xfffull, 0);
	assert_int_equal(pd[31] & ~0xfffull, 31ull << 21);
	assert_int_equal(pd[32], 0); /* nothing past RAM */
	free(gm.host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(translation_low_only),
		cmocka_unit_test(translation_with_hole),
		cmocka_unit_test(program_and_memory_map),
		cmocka_unit_test(program_too_big),
		cmocka_unit_test(page_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
