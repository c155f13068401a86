/* Loading the guest: the program and its arguments, then the kernel image. */
#include <limits.h>
#include <stdio.h>

#include "dsv_config.h"
#include "elf_loader.h"
#include "image_file.h"
#include "vm_setup.h"

extern char **environ;

int vm_load_kernel(struct vm *vm, const struct boot_program *prog, char *err, size_t errlen)
{
	const char *path = vm->opts->kernel ? vm->opts->kernel : DSV_LIBEXECDIR "/lwk.elf";
	struct image_file img;
	uint64_t max = vm->mem.low_size < (2ull << 30) ? vm->mem.low_size : (2ull << 30);
	char sub[256];

	if (prog && prog->region_gpa < max)
		max = prog->region_gpa;
	if (image_file_read(path, 256u << 20, &img, sub, sizeof(sub))) {
		snprintf(err, errlen, "kernel %.200s: %.250s", path, sub);
		return -1;
	}
	if (elf_check_kernel(img.data, img.len, BOOT_AREA_END, max, &vm->kernel, sub, sizeof(sub))) {
		snprintf(err, errlen, "kernel %.200s: %.250s", path, sub);
		image_file_free(&img);
		return -1;
	}
	elf_copy_segments(img.data, &vm->kernel, vm->mem.host);
	vm->entry = vm->kernel.entry;
	image_file_free(&img);
	return 0;
}

int vm_load_program(struct vm *vm, struct boot_program *prog, char *err, size_t errlen)
{
	const struct hvmm_opts *o = vm->opts;
	struct image_file img;
	char path[PATH_MAX], sub[256];

	if (image_file_find(o->prog_argv[0], path, sizeof(path), sub, sizeof(sub))) {
		snprintf(err, errlen, "program %.200s: %.200s", o->prog_argv[0], sub);
		return -1;
	}
	if (image_file_read(path, vm->mem.size / 2, &img, sub, sizeof(sub))) {
		snprintf(err, errlen, "program %.200s: %.200s", path, sub);
		return -1;
	}
	if (boot_place_program(&vm->mem, img.data, img.len, o->prog_argc, o->prog_argv, environ,
			       path, prog, sub, sizeof(sub))) {
		snprintf(err, errlen, "%s", sub);
		image_file_free(&img);
		return -1;
	}
	image_file_free(&img);
	return 0;
}
