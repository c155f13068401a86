/* dsv events: dsvd's events as they happen, one line each (or JSON lines with --json). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "event_stream.h"

static const char events_usage[] =
	"usage: dsv [--socket PATH] [--json] events [--since N]\n"
	"Prints dsvd's events as they happen until dsvd stops (or Ctrl-C): vm.created, "
	"vm.running,\n"
	"vm.exited, vm.failed, vm.deleted, partition.applied, partition.released. --since N: "
	"first\n"
	"the kept events after number N (0: all kept). --json: one JSON object per line.\n";

static void print_event(const struct stream_event *ev)
{
	char when[32] = "-";
	time_t t = (time_t)json_integer_value(json_object_get(ev->data, "time"));
	struct tm tm;
	if (t && localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	const char *name = json_string_value(json_object_get(ev->data, "name"));
	printf("%-6llu %s %-18s %s", (unsigned long long)ev->id, when, ev->type, name ? name : "");
	json_t *vm = json_object_get(ev->data, "vm");
	if (strcmp(ev->type, "vm.exited") == 0 || strcmp(ev->type, "vm.failed") == 0) {
		if (json_object_get(vm, "exit_code"))
			printf(" exit %lld",
			       (long long)json_integer_value(json_object_get(vm, "exit_code")));
		const char *why = json_string_value(json_object_get(vm, "exit_reason"));
		if (why)
			printf(" (%s)", why);
	} else if (strcmp(ev->type, "vm.created") == 0) {
		printf(" stack %s", json_string_value(json_object_get(ev->data, "stack")));
	} else if (strcmp(ev->type, "partition.applied") == 0) {
		json_t *spec = json_object_get(ev->data, "spec");
		printf("hpc cpus %s, housekeeping %s, commodity %s, hpc memory %lld MiB",
		       json_string_value(json_object_get(spec, "hpc_cpus")),
		       json_string_value(json_object_get(spec, "housekeeping_cpus")),
		       json_string_value(json_object_get(spec, "commodity_cpus")),
		       (long long)json_integer_value(json_object_get(spec, "hpc_mem_mib")));
	}
	printf("\n");
}

int cmd_events(const struct cli *c, int argc, char **argv)
{
	uint64_t since = 0;
	bool has_since = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(events_usage, stdout);
			return EXIT_OK;
		}
		char *end;
		if (strcmp(argv[i], "--since") == 0 && i + 1 < argc) {
			since = strtoull(argv[++i], &end, 10);
			if (*end || end == argv[i] || argv[i][0] == '-') {
				fprintf(stderr,
					"dsv: events --since: '%s' is not an event number\n",
					argv[i]);
				return EXIT_USAGE;
			}
			has_since = true;
		} else {
			fprintf(stderr, "dsv: events: unexpected argument '%s'\n%s", argv[i],
				events_usage);
			return EXIT_USAGE;
		}
	}
	char err[512];
	int http_status;
	struct event_stream *s = event_stream_open(c->socket, has_since ? &since : NULL,
						   &http_status, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "dsv: %s\n", err);
		return http_status ? EXIT_API : EXIT_UNREACHABLE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct stream_event ev;
	int got;
	while ((got = event_stream_next(s, &ev, err, sizeof(err))) == 1) {
		if (c->json) {
			char *line = json_dumps(ev.data, JSON_COMPACT);
			if (line)
				printf("%s\n", line);
			free(line);
		} else {
			print_event(&ev);
		}
		json_decref(ev.data);
	}
	event_stream_close(s);
	if (got < 0) {
		fprintf(stderr, "dsv: %s\n", err);
		return EXIT_UNREACHABLE;
	}
	return EXIT_OK;
}
