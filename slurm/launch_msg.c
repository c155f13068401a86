#include "launch_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Layout: cpus, cwd, options, argc (decimal), argv..., env... (the rest). */
char *launch_msg_encode(const struct launch_request *r, size_t *len)
{
	char argc[16];
	size_t n = 0, off = 0;
	char *buf;

	snprintf(argc, sizeof(argc), "%d", r->argc);
	const char *head[] = { r->cpus, r->cwd, r->options ? r->options : "", argc };

	for (size_t i = 0; i < 4; i++)
		n += strlen(head[i]) + 1;
	for (int i = 0; i < r->argc; i++)
		n += strlen(r->argv[i]) + 1;
	for (int i = 0; i < r->envc; i++)
		n += strlen(r->env[i]) + 1;
	if (n > LAUNCH_MSG_MAX || !(buf = malloc(n)))
		return NULL;
	for (size_t i = 0; i < 4; i++)
		off += (size_t)(stpcpy(buf + off, head[i]) - (buf + off)) + 1;
	for (int i = 0; i < r->argc; i++)
		off += (size_t)(stpcpy(buf + off, r->argv[i]) - (buf + off)) + 1;
	for (int i = 0; i < r->envc; i++)
		off += (size_t)(stpcpy(buf + off, r->env[i]) - (buf + off)) + 1;
	*len = off;
	return buf;
}

int launch_msg_decode(char *buf, size_t len, struct launch_request *r, char *err, size_t errlen)
{
	size_t nstr = 0, off = 0;
	char **str, *end;
	long argc;

	memset(r, 0, sizeof(*r));
	if (len == 0 || len > LAUNCH_MSG_MAX || buf[len - 1] != '\0') {
		snprintf(err, errlen, "launch request: empty, too large or unterminated");
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		nstr += buf[i] == '\0';
	if (nstr < 5) {
		snprintf(err, errlen, "launch request: %zu fields, expected at least 5", nstr);
		return -1;
	}
	str = malloc((nstr + 2) * sizeof(*str));
	if (!str) {
		snprintf(err, errlen, "launch request: out of memory");
		return -1;
	}
	for (size_t i = 0; i < nstr; i++) {
		str[i] = buf + off;
		off += strlen(buf + off) + 1;
	}
	argc = strtol(str[3], &end, 10);
	if (*end || end == str[3] || argc < 1 || (size_t)argc > nstr - 4) {
		snprintf(err, errlen, "launch request: bad argument count '%.20s'", str[3]);
		free(str);
		return -1;
	}
	r->cpus = str[0];
	r->cwd = str[1];
	r->options = str[2];
	r->argc = (int)argc;
	/* argv and env share one array: argv gets its own NULL by moving env up one slot. */
	memmove(str + 5 + argc, str + 4 + argc, (nstr - 4 - (size_t)argc) * sizeof(*str));
	r->argv = str + 4;
	r->argv[argc] = NULL;
	r->env = str + 5 + argc;
	r->envc = (int)(nstr - 4 - (size_t)argc);
	r->env[r->envc] = NULL;
	return 0;
}

void launch_msg_free(struct launch_request *r)
{
	if (r->argv)
		free(r->argv - 4);
	memset(r, 0, sizeof(*r));
}
