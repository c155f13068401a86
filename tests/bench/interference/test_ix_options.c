/* The runner's command line (bench/interference/options.c): --hog-image, --hog-kind and
 * their checks, made before anything starts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "interference.h"

#define ARGV(...) ((char *[]){ "interference", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "interference", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(c, ...) \
	(memset(c, 0, sizeof *(c)), ix_parse_args(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), c))

static char dir[64], qcow2[128], raw[128], text[128], odd[128];

static void write_file(const char *path, const void *data, size_t len, size_t total)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	for (size_t i = len; i < total; i++)
		fputc(0, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	static const int cpus[] = { 0, 1, 2, 3 };
	ix_options_set_online(cpus, 4); /* CPU 0 housekeeping and commodity, 1-3 HPC */
	snprintf(dir, sizeof dir, "/tmp/ix-options.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(qcow2, sizeof qcow2, "%s/disk.qcow2", dir);
	snprintf(raw, sizeof raw, "%s/disk.raw", dir);
	snprintf(text, sizeof text, "%s/notes.txt", dir);
	snprintf(odd, sizeof odd, "%s/odd.raw", dir);
	write_file(qcow2, "QFI\xfb\0\0\0\3", 8, 4096);
	unsigned char mbr[1024] = { 0 };
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	write_file(raw, mbr, sizeof mbr, 1024);
	write_file(odd, mbr, 512, 1000); /* a boot sector, but not whole sectors */
	write_file(text, "not a disk image at all\n", 24, 24);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	const char *files[] = { qcow2, raw, text, odd };
	for (size_t i = 0; i < 4; i++)
		unlink(files[i]);
	rmdir(dir);
	return 0;
}

static void default_is_lwk_hogs_only(void **state)
{
	static struct ix_cfg c;
	(void)state;
	assert_int_equal(PARSE(&c, "--quick"), 0);
	assert_true(c.kind_on[HOG_LWK]);
	assert_false(c.kind_on[HOG_IMAGE]);
	assert_string_equal(c.hog_image, "");
	assert_string_equal(c.hpc_list, "1-3");
	assert_int_equal(c.hogs, 2); /* 2 per commodity CPU */
}

static void image_alone_makes_image_hogs(void **state)
{
	static struct ix_cfg c;
	(void)state;
	assert_int_equal(PARSE(&c, "--hog-image", qcow2), 0);
	assert_false(c.kind_on[HOG_LWK]);
	assert_true(c.kind_on[HOG_IMAGE]);
	assert_string_equal(c.hog_image, qcow2);
	assert_int_equal(c.hog_image_mem_mib, 512);
	assert_true(c.hog_boot_s == 300);
}

static void both_kinds(void **state)
{
	static struct ix_cfg c;
	(void)state;
	assert_int_equal(PARSE(&c, "--hog-kind", "lwk,image", "--hog-image", raw, "--hog-mode",
			       "membw", "--hog-image-mem", "256", "--hog-boot-timeout", "90"),
			 0);
	assert_true(c.kind_on[HOG_LWK]);
	assert_true(c.kind_on[HOG_IMAGE]);
	assert_string_equal(c.hog_mode, "membw");
	assert_int_equal(c.hog_image_mem_mib, 256);
	assert_true(c.hog_boot_s == 90);
	assert_int_equal(PARSE(&c, "--hog-kind", "image,lwk", "--hog-image", raw), 0);
	assert_true(c.kind_on[HOG_LWK] && c.kind_on[HOG_IMAGE]);
	assert_int_equal(PARSE(&c, "--hog-kind", "lwk"), 0);
	assert_true(c.kind_on[HOG_LWK] && !c.kind_on[HOG_IMAGE]);
}

/* dsvd takes absolute paths: a relative one is resolved against the current directory. */
static void relative_image_path_made_absolute(void **state)
{
	static struct ix_cfg c;
	char cwd[4096];
	(void)state;
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(dir), 0);
	int r = PARSE(&c, "--hog-image", "disk.qcow2");
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(r, 0);
	char want[4096];
	assert_non_null(realpath(qcow2, want));
	assert_string_equal(c.hog_image, want);
}

static void bad_image_options_refused(void **state)
{
	static struct ix_cfg c;
	char missing[160];
	(void)state;
	snprintf(missing, sizeof missing, "%s/missing.qcow2", dir);
	assert_int_equal(PARSE(&c, "--hog-image", missing), -1);
	assert_int_equal(PARSE(&c, "--hog-image", text), -1);
	assert_int_equal(PARSE(&c, "--hog-image", odd), -1);
	assert_int_equal(PARSE(&c, "--hog-image", dir), -1); /* a directory */
	assert_int_equal(PARSE(&c, "--hog-image", ""), -1);
	assert_int_equal(PARSE(&c, "--hog-kind", "image"), -1); /* no image */
	assert_int_equal(PARSE(&c, "--hog-kind", "lwk", "--hog-image", qcow2), -1);
	assert_int_equal(PARSE(&c, "--hog-kind", "vm"), -1);
	assert_int_equal(PARSE(&c, "--hog-kind", ""), -1);
	assert_int_equal(PARSE(&c, "--hog-image", qcow2, "--hog-mode", "pagefault"), -1);
	assert_int_equal(PARSE(&c, "--hog-image", qcow2, "--hog-image-mem", "32"), -1);
	assert_int_equal(PARSE(&c, "--hog-image", qcow2, "--hog-boot-timeout", "0"), -1);
	assert_int_equal(PARSE(&c, "--hog-image", qcow2, "--hog-boot-timeout", "x"), -1);
	/* pagefault stays fine for lwk hogs */
	assert_int_equal(PARSE(&c, "--hog-mode", "pagefault"), 0);
}

static void the_check_itself(void **state)
{
	char abs[4096], err[512];
	(void)state;
	assert_int_equal(ix_image_check(text, abs, sizeof abs, err, sizeof err), -1);
	assert_non_null(strstr(err, "neither a qcow2 image nor a raw disk image"));
	assert_int_equal(ix_image_check(odd, abs, sizeof abs, err, sizeof err), -1);
	assert_non_null(strstr(err, "512-byte sectors"));
	assert_int_equal(ix_image_check("/nonexistent/x.qcow2", abs, sizeof abs, err, sizeof err),
			 -1);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(ix_image_check(raw, abs, sizeof abs, err, sizeof err), 0);
	assert_string_equal(abs, raw);
}

static void help_is_not_an_error(void **state)
{
	static struct ix_cfg c;
	(void)state;
	FILE *keep = stdout;
	stdout = fopen("/dev/null", "w");
	int r = PARSE(&c, "--help");
	fclose(stdout);
	stdout = keep;
	assert_int_equal(r, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_is_lwk_hogs_only),
		cmocka_unit_test(image_alone_makes_image_hogs),
		cmocka_unit_test(both_kinds),
		cmocka_unit_test(relative_image_path_made_absolute),
		cmocka_unit_test(bad_image_options_refused),
		cmocka_unit_test(the_check_itself),
		cmocka_unit_test(help_is_not_an_error),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
