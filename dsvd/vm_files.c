#include "vm_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caller_files.h"
#include "remove_tree.h"
#include "share_policy.h"

static void files_dir(char *out, size_t len, const char *state_dir, const char *name)
{
	snprintf(out, len, "%s/vms/%s.files", state_dir, name);
}

void vm_files_remove(const char *state_dir, const char *name)
{
	char vms[600], files[300];
	snprintf(vms, sizeof(vms), "%s/vms", state_dir);
	snprintf(files, sizeof(files), "%s.files", name);
	int dfd = open(vms, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return;
	remove_tree_at(dfd, files); /* never follows a link planted inside */
	close(dfd);
}

/* The program's copy keeps its file name when that is a plain one: the guest sees the copy's
 * path as argv[0], and programs like busybox look at its last component. */
static const char *program_name(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!base[0] || base[0] == '.' || strlen(base) > 64)
		return "program";
	for (const char *p = base; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return "program";
	return base;
}

static int copy_one(const struct vm *vm, const char *dir, const char *src, const char *name,
		    uint64_t max, const char *field, char *out, size_t outlen,
		    struct api_error *err)
{
	if (snprintf(out, outlen, "%s/%s", dir, name) >= (int)outlen)
		return api_fail(err, 500, field, "state directory path too long");
	int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return api_fail(err, 500, field, "cannot create %s: %s", out, strerror(errno));
	/* a program stays executable; an HPC VM's copies are its owner's, since hvmm opens them
     * with the owner's rights. A commodity VM's stay root's: QEMU opens them as root, and an
     * owner could otherwise swap one for a symlink to any file. */
	int rc = 0;
	if ((strcmp(field, "program[0]") == 0 && fchmod(fd, 0750) < 0) ||
	    (vm->spec.stack == VM_STACK_HPC && fchown(fd, vm->owner.uid, vm->owner.gid) < 0))
		rc = api_fail(err, 500, field, "cannot give %s to its owner: %s", out,
			      strerror(errno));
	if (rc == 0)
		rc = caller_copy_file(&vm->owner, src, fd, max, field, err);
	if (close(fd) < 0 && rc == 0)
		rc = api_fail(err, 507, field, "cannot write %s: %s", out, strerror(errno));
	return rc;
}

static int stage(const char *dir, struct vm *vm, struct api_error *err)
{
	const struct vm_spec *s = &vm->spec;
	uint64_t mem = s->mem_mib << 20;
	if (s->kernel && copy_one(vm, dir, s->kernel, "kernel", VM_KERNEL_MAX_BYTES, "kernel",
				  vm->kernel_copy, sizeof(vm->kernel_copy), err) < 0)
		return -1;
	if (s->initrd &&
	    copy_one(vm, dir, s->initrd, "initrd", mem, "initrd", vm->commodity.initrd_copy,
		     sizeof(vm->commodity.initrd_copy), err) < 0)
		return -1;
	/* hvmm takes a program of at most half the guest's memory; the commodity guest's initrd
     * at most all of it */
	uint64_t prog_max = s->stack == VM_STACK_HPC ? mem / 2 : mem;
	if (s->argc && copy_one(vm, dir, s->argv[0], program_name(s->argv[0]), prog_max,
				"program[0]", vm->program_copy, sizeof(vm->program_copy), err) < 0)
		return -1;
	return 0;
}

int vm_files_stage(const char *state_dir, const char *state_real, const struct agent_config *cfg,
		   struct vm *vm, struct api_error *err)
{
	vm->kernel_copy[0] = vm->commodity.initrd_copy[0] = vm->program_copy[0] =
		vm->share_real[0] = '\0';
	if (vm->spec.share) {
		if (caller_resolve_dir(&vm->owner, vm->spec.share, vm->share_real,
				       sizeof(vm->share_real), "share", err) < 0 ||
		    share_policy_check(cfg, state_real, vm->share_real, err) < 0)
			return -1;
	}
	if (!vm->spec.kernel && !vm->spec.initrd && !vm->spec.argc)
		return 0;
	char dir[600];
	files_dir(dir, sizeof(dir), state_dir, vm->spec.name);
	vm_files_remove(state_dir, vm->spec.name); /* a crash's leftovers */
	if (mkdir(dir, 0750) < 0)
		return api_fail(err, 500, "", "cannot create %s: %s", dir, strerror(errno));
	if (vm->spec.stack == VM_STACK_HPC && chown(dir, vm->owner.uid, vm->owner.gid) < 0) {
		api_fail(err, 500, "", "cannot give %s to the VM's owner: %s", dir,
			 strerror(errno));
		vm_files_remove(state_dir, vm->spec.name);
		return -1;
	}
	if (stage(dir, vm, err) < 0) {
		vm_files_remove(state_dir, vm->spec.name);
		vm->kernel_copy[0] = vm->commodity.initrd_copy[0] = vm->program_copy[0] = '\0';
		return -1;
	}
	return 0;
}
