/* Reading whole image files (kernels, programs) with a size limit, and finding programs. */
#ifndef HVMM_IMAGE_FILE_H
#define HVMM_IMAGE_FILE_H

#include <stddef.h>
#include <stdint.h>

struct image_file {
	uint8_t *data;
	size_t len;
};

/*
 * Reads a regular file of at most max bytes. The open never blocks (a FIFO or device is
 * refused by fstat on the same descriptor). Returns 0, or -1 with err set.
 */
int image_file_read(const char *path, uint64_t max, struct image_file *out, char *err,
		    size_t errlen);
void image_file_free(struct image_file *f);

/*
 * Resolves name like execvp: a name with a '/' is used as is, otherwise PATH is searched
 * (execute permission checked against the effective and file-system ids, see credentials.h).
 * The result is an absolute, canonical path. Returns 0, or -1 with err set.
 */
int image_file_find(const char *name, char *out, size_t outlen, char *err, size_t errlen);

#endif
