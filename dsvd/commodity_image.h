/* Disk images for commodity cloud VMs: opened with the API caller's rights, checked to be a
 * qcow2 or raw disk image, and given to the VM as a copy-on-write overlay in the state
 * directory (the image itself is never written). */
#ifndef DSVD_COMMODITY_IMAGE_H
#define DSVD_COMMODITY_IMAGE_H

#include <stdint.h>

#include "caller.h"
#include "api_error.h"

enum image_format {
	IMAGE_RAW,
	IMAGE_QCOW2
};

struct image_info {
	enum image_format format;
	uint64_t virtual_size; /* bytes the guest sees */
};

/* A cloud VM's files: STATE/vms/NAME.base (the image, hard-linked or copied), NAME.qcow2 (the
 * overlay the guest writes) and NAME.seed.iso (the NoCloud seed). */
struct image_files {
	char base[600];
	char overlay[600];
	char seed[600];
};

const char *image_format_name(enum image_format f);
void image_files_of(const char *state_dir, const char *vm_name, struct image_files *f);
/* Removes whichever of the files exist. */
void image_files_remove(const struct image_files *f);

/* Opens path read-only with the caller's uid, gid and groups (a child process switches to them
 * and passes the descriptor back), never blocking on a FIFO or device. The one place where
 * dsvd opens a file an API caller names for a cloud VM. Returns the descriptor, or -1 with a
 * 400/403 on field. */
int image_open_as_caller(const char *path, const struct caller *who, const char *field,
			 struct api_error *err);
/* fd must be a regular file with a qcow2 image (no backing file, external data file or
 * encryption: QEMU would open those by path, as root) or a raw disk (a boot sector, GPT or
 * ext2/3/4 file system). 400 on field naming what it is otherwise. */
int image_probe(int fd, const char *path, struct image_info *info, const char *field,
		struct api_error *err);
/* Makes f->base the opened file (a hard link to its inode, a copy across file systems) and
 * f->overlay a qcow2 overlay on it. Leaves nothing behind on failure. */
int image_prepare(int fd, const struct image_info *info, const struct image_files *f,
		  struct api_error *err);

#endif
