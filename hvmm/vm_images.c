/*
 * Loading the guest: the program and its arguments, then the kernel image. The files are
 * read first (vm_read_images, as the VM's user and before /dev/kvm is opened, so bad input
 * gets its own error), and placed once guest memory exists.
 */
#include <limits.h>
#include <stdio.h>

#include "dsv_config.h"
#include "elf_loader.h"
#include "image_file.h"
#include "vm_setup.h"

#define KERNEL_MAX (256ull << 20)
#define KERNEL_WINDOW_MAX (2ull << 30) /* the kernel lives below 2 GiB */

extern char **environ;

static const char *kernel_path(const struct vm *vm)
{
	return vm->opts->kernel ? vm->opts->kernel : DSV_LIBEXECDIR "/lwk.elf";
}

int vm_read_images(struct vm *vm, char *err, size_t errlen)
{
	const struct hvmm_opts *o = vm->opts;
	char sub[256];

	if (o->prog_argc > 0) {
		if (image_file_find(o->prog_argv[0], vm->prog_path, sizeof(vm->prog_path), sub,
				    sizeof(sub))) {
			snprintf(err, errlen, "program %.200s: %.200s", o->prog_argv[0], sub);
			return -1;
		}
		/* Half of RAM at most: the rest is the kernel's and the program's own. */
		if (image_file_read(vm->prog_path, o->mem / 2, &vm->prog_img, sub, sizeof(sub))) {
			snprintf(err, errlen, "program %.200s: %.200s", vm->prog_path, sub);
			return -1;
		}
	}
	if (image_file_read(kernel_path(vm), KERNEL_MAX, &vm->kernel_img, sub, sizeof(sub))) {
		snprintf(err, errlen, "kernel %.200s: %.250s", kernel_path(vm), sub);
		return -1;
	}
	/* The whole check now, against the most RAM it can have; vm_load_kernel checks again
	 * once the program has taken the top of RAM. */
	struct elf_image early;
	uint64_t low = o->mem < GM_LOW_END ? o->mem : GM_LOW_END;

	if (elf_check_kernel(vm->kernel_img.data, vm->kernel_img.len, BOOT_AREA_END,
			     low < KERNEL_WINDOW_MAX ? low : KERNEL_WINDOW_MAX, &early, sub,
			     sizeof(sub))) {
		snprintf(err, errlen, "kernel %.200s: %.250s", kernel_path(vm), sub);
		return -1;
	}
	return 0;
}

int vm_load_kernel(struct vm *vm, const struct boot_program *prog, char *err, size_t errlen)
{
	const char *path = kernel_path(vm);
	struct image_file *img = &vm->kernel_img;
	uint64_t max = vm->mem.low_size < KERNEL_WINDOW_MAX ? vm->mem.low_size : KERNEL_WINDOW_MAX;
	char sub[256];

	if (prog && prog->region_gpa < max)
		max = prog->region_gpa;
	if (elf_check_kernel(img->data, img->len, BOOT_AREA_END, max, &vm->kernel, sub,
			     sizeof(sub))) {
		snprintf(err, errlen, "kernel %.200s: %.250s", path, sub);
		return -1;
	}
	elf_copy_segments(img->data, &vm->kernel, vm->mem.host);
	vm->entry = vm->kernel.entry;
	image_file_free(img);
	return 0;
}

int vm_load_program(struct vm *vm, struct boot_program *prog, char *err, size_t errlen)
{
	const struct hvmm_opts *o = vm->opts;
	char sub[256];

	if (boot_place_program(&vm->mem, vm->prog_img.data, vm->prog_img.len, o->prog_argc,
			       o->prog_argv, environ, vm->prog_path, prog, sub, sizeof(sub))) {
		snprintf(err, errlen, "%s", sub);
		return -1;
	}
	image_file_free(&vm->prog_img);
	return 0;
}
