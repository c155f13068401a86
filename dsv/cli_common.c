#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "http_client.h"

static int exit_code_for(int status)
{
	if (status == 404)
		return EXIT_NOT_FOUND;
	if (status == 409)
		return EXIT_CONFLICT;
	return EXIT_API;
}

int cli_call(const struct cli *c, const char *method, const char *path, json_t *body, json_t **out,
	     char **text)
{
	char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct http_reply r;
	char err[512];
	if (out)
		*out = NULL;
	if (text)
		*text = NULL;
	int rc = http_request(c->socket, method, path, payload, &r, err, sizeof(err));
	free(payload);
	if (rc < 0) {
		fprintf(stderr, "dsv: %s\n", err);
		return EXIT_UNREACHABLE;
	}
	json_t *parsed = json_loadb(r.body, r.len, 0, NULL);
	if (r.status < 200 || r.status >= 300) {
		const char *msg =
			parsed ? json_string_value(json_object_get(parsed, "error")) : NULL;
		fprintf(stderr, "dsv: %s (HTTP %d)\n", msg ? msg : r.body, r.status);
		json_decref(parsed);
		http_reply_free(&r);
		return exit_code_for(r.status);
	}
	if (out)
		*out = parsed;
	else
		json_decref(parsed);
	if (text)
		*text = r.body;
	else
		http_reply_free(&r);
	return EXIT_OK;
}

int parse_size_mib(const char *s, uint64_t *mib)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -1;
	unsigned long long kib;
	switch (*end) {
	case '\0':
	case 'M':
	case 'm':
		kib = v * 1024;
		break;
	case 'G':
	case 'g':
		kib = v * 1024 * 1024;
		break;
	case 'T':
	case 't':
		kib = v * 1024 * 1024 * 1024;
		break;
	case 'K':
	case 'k':
		kib = v;
		break;
	default:
		return -1;
	}
	if (*end && end[1] &&
	    !((end[1] == 'i' || end[1] == 'B') &&
	      (end[2] == '\0' || (end[1] == 'i' && end[2] == 'B' && end[3] == '\0'))))
		return -1;
	if (v > (1ull << 40) || kib % 1024)
		return -1;
	*mib = kib / 1024;
	return 0;
}

char *absolute_path(const char *p)
{
	char buf[PATH_MAX];
	if (realpath(p, buf))
		return strdup(buf);
	if (p[0] == '/')
		return strdup(p);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return strdup(p);
	size_t n = strlen(cwd) + strlen(p) + 2;
	char *out = malloc(n);
	if (out)
		snprintf(out, n, "%s/%s", cwd, p);
	return out;
}

void print_json(const json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2));
	if (s) {
		printf("%s\n", s);
		free(s);
	}
}
