/*
 * What a task sends to its launcher once Slurm has set it up: its CPUs, working directory,
 * --dsv-hpc options, command and environment, as NUL-terminated strings in one buffer.
 */
#ifndef DSV_SLURM_LAUNCH_MSG_H
#define DSV_SLURM_LAUNCH_MSG_H

#include <stddef.h>

/* hvmm refuses more than 64 MiB of arguments and environment; a little room for the rest. */
#define LAUNCH_MSG_MAX ((size_t)65 << 20)

struct launch_request {
	const char *cpus; /* cpulist ("3", "2-5") */
	const char *cwd;
	const char *options; /* the --dsv-hpc value, "" for none */
	int argc;
	char **argv; /* argc entries and a NULL */
	int envc;
	char **env; /* envc entries and a NULL */
};

/* Returns a malloc'd buffer and its length in *len, or NULL (too large, out of memory). */
char *launch_msg_encode(const struct launch_request *r, size_t *len);

/*
 * Splits buf (len bytes, kept alive and modified in place) into r; r->argv and r->env are
 * malloc'd (free with launch_msg_free). Returns 0, or -1 with the reason in err: a
 * truncated or unterminated message, a bad count, no program.
 */
int launch_msg_decode(char *buf, size_t len, struct launch_request *r, char *err, size_t errlen);
void launch_msg_free(struct launch_request *r);

#endif
