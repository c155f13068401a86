/* Settings only the operator makes, read from the same node.json as the partition but never
 * taken from an API request: where shares may be (share_roots) and how much console output a
 * VM keeps (console_max_kib). */
#ifndef DSVD_AGENT_CONFIG_H
#define DSVD_AGENT_CONFIG_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "api_error.h"

#define AGENT_SHARE_ROOTS_MAX 16
#define AGENT_CONSOLE_MAX_KIB_DEFAULT 1024 /* 1 MiB, what GET /vms/NAME/console returns */
#define AGENT_CONSOLE_MAX_KIB_MIN 4
#define AGENT_CONSOLE_MAX_KIB_MAX (1024 * 1024)

struct agent_config {
	char share_roots[AGENT_SHARE_ROOTS_MAX][PATH_MAX]; /* resolved with realpath */
	unsigned n_share_roots;
	bool has_share_roots; /* absent: any directory the default refusals leave */
	uint64_t console_max_kib;
};

/* The node.json keys that belong here; node_config_load skips them. NULL-terminated. */
extern const char *const agent_config_keys[];

void agent_config_defaults(struct agent_config *c);
/* Reads the keys above from obj (others are ignored). Each share root must exist. */
int agent_config_from_json(const json_t *obj, struct agent_config *c, struct api_error *err);
/* From a node.json file; a missing file gives the defaults. */
int agent_config_load(const char *path, struct agent_config *c, struct api_error *err);

#endif
