/* An HPC VM's program environment (the `env` field, docs/api.md): what the program sees
 * instead of dsvd's own environment. */
#ifndef DSVD_VM_ENV_H
#define DSVD_VM_ENV_H

#include <jansson.h>

#include "api_error.h"

#define VM_ENV_MAX 64		/* variables */
#define VM_ENV_NAME_MAX 128	/* bytes of a name */
#define VM_ENV_VALUE_MAX 4096	/* bytes of a value */
#define VM_ENV_RESERVED "HVMM_" /* hvmm's own settings: the operator's, node-wide */
/* systemd's default for services: a program (busybox sh, say) finds its tools */
#define VM_ENV_DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* "NAME=VALUE" strings, NULL-terminated, in the order the request gave them. */
struct vm_env {
	char *vars[VM_ENV_MAX + 1];
	unsigned count;
};

/* Reads obj's "env" (absent: empty): an object of names to string values. Names are C
 * identifiers ([A-Za-z_][A-Za-z0-9_]*) outside VM_ENV_RESERVED; values have no NUL. A 400
 * names the field ("env" or "env.NAME"). */
int vm_env_from_json(const json_t *obj, struct vm_env *env, struct api_error *err);
/* The object vm_env_from_json reads, or NULL when there are no variables. */
json_t *vm_env_to_json(const struct vm_env *env);
void vm_env_free(struct vm_env *env);
/* hvmm's environment: the VM_ENV_RESERVED variables of host (dsvd's own: the operator's
 * node-wide hvmm settings), VM_ENV_DEFAULT_PATH unless the VM sets PATH, then the VM's
 * variables; nothing else of host. A malloc'd, NULL-terminated array of pointers into env,
 * host and a constant; NULL when out of memory. */
char **vm_env_for_hvmm(const struct vm_env *env, char *const *host);

#endif
