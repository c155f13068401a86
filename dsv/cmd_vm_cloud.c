/* dsv vm: the options and commands of cloud VMs on the commodity stack (image, network,
 * cloud-init, domain XML; shutdown, reboot; list --all with the domains dsvd did not create). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* A file's text for a request field (user-data, meta-data, domain XML): read by dsv, as the
 * user who runs it. */
static int file_text(const char *opt, const char *path, size_t max, json_t **out)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "dsv: --%s: cannot open %s: %s\n", opt, path, strerror(errno));
		return EXIT_USAGE;
	}
	char *buf = malloc(max + 2);
	size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
	fclose(f);
	if (!buf || n > max) {
		fprintf(stderr, "dsv: --%s: %s is larger than %zu bytes\n", opt, path, max);
		free(buf);
		return EXIT_USAGE;
	}
	buf[n] = '\0';
	if (strlen(buf) != n) {
		fprintf(stderr, "dsv: --%s: %s contains NUL bytes\n", opt, path);
		free(buf);
		return EXIT_USAGE;
	}
	*out = json_string(buf);
	free(buf);
	if (!*out) {
		fprintf(stderr, "dsv: --%s: %s is not UTF-8 text\n", opt, path);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int vm_cloud_option(const char *opt, const char *arg, json_t *req)
{
	json_t *text = NULL;
	int rc = EXIT_OK;
	if (strcmp(opt, "image") == 0) {
		char *abs = absolute_path(arg);
		json_object_set_new(req, "image", json_string(abs ? abs : arg));
		free(abs);
	} else if (strcmp(opt, "network") == 0) {
		json_object_set_new(req, "network", json_string(arg));
	} else if (strcmp(opt, "domain-xml") == 0) {
		/* sizes are checked by dsvd; this bound only keeps the request below its body limit */
		if ((rc = file_text(opt, arg, 60 * 1024, &text)) == EXIT_OK)
			json_object_set_new(req, "domain_xml", text);
	} else { /* user-data, meta-data */
		if ((rc = file_text(opt, arg, 60 * 1024, &text)) == EXIT_OK) {
			json_t *ci = json_object_get(req, "cloud_init");
			if (!ci) {
				ci = json_object();
				json_object_set_new(req, "cloud_init", ci);
			}
			json_object_set_new(
				ci, strcmp(opt, "user-data") == 0 ? "user_data" : "meta_data",
				text);
		}
	}
	return rc;
}

/* vm shutdown NAME [--timeout S] [--no-wait] | vm reboot NAME */
int vm_lifecycle(const struct cli *c, int argc, char **argv, const char *usage)
{
	const char *sub = argv[1], *name = NULL;
	long timeout = -1;
	bool wait = true;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc &&
		    strcmp(sub, "shutdown") == 0) {
			char *end;
			timeout = strtol(argv[++i], &end, 10);
			if (*end || timeout < 0) {
				fprintf(stderr, "dsv: --timeout: '%s' is not a number of seconds\n",
					argv[i]);
				return EXIT_USAGE;
			}
		} else if (strcmp(argv[i], "--no-wait") == 0 && strcmp(sub, "shutdown") == 0) {
			wait = false;
		} else if (argv[i][0] != '-' && !name) {
			name = argv[i];
		} else {
			fprintf(stderr, "dsv: vm %s: unexpected argument '%s'\n%s", sub, argv[i],
				usage);
			return EXIT_USAGE;
		}
	}
	if (!name || strchr(name, '/') || strchr(name, '?') || strchr(name, '%')) {
		fprintf(stderr, "dsv: vm %s takes one VM name\n%s", sub, usage);
		return EXIT_USAGE;
	}
	char path[256];
	snprintf(path, sizeof(path), "/vms/%s/%s", name, sub);
	json_t *body = timeout >= 0 ? json_pack("{s:I}", "timeout_s", (json_int_t)timeout) : NULL;
	json_t *out = NULL;
	int rc = cli_call(c, "POST", path, body, &out, NULL);
	json_decref(body);
	json_decref(out);
	if (rc != EXIT_OK || strcmp(sub, "reboot") == 0 || !wait) {
		if (rc == EXIT_OK)
			printf("%s requested for %s\n", sub, name);
		return rc;
	}
	/* dsvd destroys the domain at the deadline when it reconciles, which each call does */
	snprintf(path, sizeof(path), "/vms/%s", name);
	for (;;) {
		rc = cli_call(c, "GET", path, NULL, &out, NULL);
		if (rc != EXIT_OK)
			return rc;
		const char *state = json_string_value(json_object_get(out, "state"));
		if (state && strcmp(state, "running") != 0 && strcmp(state, "starting") != 0) {
			const char *why = json_string_value(json_object_get(out, "exit_reason"));
			printf("%s %s: %s\n", name, state, why ? why : "");
			json_decref(out);
			return EXIT_OK;
		}
		json_decref(out);
		struct timespec ts = { 0, 500 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* The domains dsvd did not create, after dsvd's own table. */
int vm_list_foreign(const struct cli *c)
{
	json_t *doms = NULL;
	int rc = cli_call(c, "GET", "/node/domains", NULL, &doms, NULL);
	if (rc != EXIT_OK)
		return rc;
	size_t i;
	json_t *d;
	json_array_foreach(doms, i, d)
	{
		if (strcmp(json_string_value(json_object_get(d, "owner")), "foreign") != 0)
			continue;
		const char *cpus = json_string_value(json_object_get(d, "cpus"));
		char where[96];
		snprintf(where, sizeof(where), "%s (%.1f s CPU)",
			 json_string_value(json_object_get(d, "domain")),
			 json_real_value(json_object_get(d, "cpu_seconds")));
		printf("%-20s %-10s %-9s %5lld %8lld %-8s %s\n",
		       json_string_value(json_object_get(d, "domain")), "foreign",
		       json_string_value(json_object_get(d, "state")),
		       (long long)json_integer_value(json_object_get(d, "vcpus")),
		       (long long)json_integer_value(json_object_get(d, "mem_mib")),
		       cpus ? cpus : "-", where);
	}
	json_decref(doms);
	return EXIT_OK;
}
