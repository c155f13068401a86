/* cloud-init's NoCloud seed: an ISO 9660 volume labelled "cidata" with user-data and meta-data,
 * built with genisoimage (what cloud-image-utils' cloud-localds runs). */
#ifndef DSVD_COMMODITY_SEED_H
#define DSVD_COMMODITY_SEED_H

#include <stddef.h>

#include "api_error.h"

/* The meta-data a VM gets when the caller gives none: its name as instance-id and hostname. */
void seed_default_meta_data(const char *vm_name, char *out, size_t len);
/* Writes the seed image to seed_path (nothing is left behind on failure). meta_data NULL: the
 * default. */
int seed_build(const char *seed_path, const char *vm_name, const char *user_data,
	       const char *meta_data, struct api_error *err);

#endif
