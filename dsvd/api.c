#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commodity_cloud.h"
#include "commodity_foreign.h"
#include "events.h"
#include "json_fields.h"
#include "kvm_host.h"
#include "metrics.h"
#include "node_snapshot.h"
#include "partition_plan.h"
#include "topology_report.h"
#include "vm_stats.h"

static void set_json(struct api_response *r, int status, json_t *o)
{
	r->status = status;
	r->content_type = "application/json";
	r->body = o ? json_dumps(o, JSON_INDENT(2) | JSON_ENCODE_ANY) : NULL;
	json_decref(o);
	if (!r->body) {
		r->status = 500;
		r->body = strdup("{\"error\": \"out of memory\"}");
	} else {
		size_t n = strlen(r->body);
		char *b = realloc(r->body, n + 2);
		if (b) {
			b[n] = '\n';
			b[n + 1] = '\0';
			r->body = b;
		}
	}
}

void api_error_response(struct api_response *r, const struct api_error *err)
{
	/* "field" is always there: "" when nothing in the request is at fault */
	set_json(r, err->status ? err->status : 500,
		 json_pack("{s:s, s:s}", "error", err->message, "field", err->field));
}

static void not_allowed(struct api_response *r, const char *allow, const char *resource)
{
	r->allow = allow;
	struct api_error err;
	api_fail(&err, 405, "method", "not allowed on %s (allowed: %s)", resource, allow);
	api_error_response(r, &err);
}

/* A VM's stack (hvmm, libvirt) failed: the 500 names the stack, as its 503 does. */
static void vm_error_response(struct api_response *r, struct api_error *err)
{
	if (err->status >= 500 && !err->field[0]) {
		struct api_error named;
		api_fail(&named, err->status, "stack", "%s", err->message);
		api_error_response(r, &named);
		return;
	}
	api_error_response(r, err);
}

static void fail(struct api_response *r, int status, const char *field, const char *fmt,
		 const char *arg)
{
	struct api_error err;
	api_fail(&err, status, field, fmt, arg);
	api_error_response(r, &err);
}

static json_t *cpus_json(const struct cpu_bits *s)
{
	char buf[1024];
	cpu_bits_format_list(s, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *snapshot_partition_json(const struct node_snapshot *n)
{
	if (!n->partition)
		return json_null();
	json_t *o = partition_state_to_json(n->partition);
	json_object_del(o, "journal");
	json_object_set_new(o, "changed_values",
			    json_integer((json_int_t)n->partition->journal.count));
	return o;
}

static json_t *partition_json(const struct agent *a)
{
	struct node_snapshot n;
	node_snapshot_take(a, &n);
	return snapshot_partition_json(&n);
}

/* Whether each stack can run here: the HPC stack needs /dev/kvm, the commodity stack falls
 * back to QEMU's TCG without it. */
static json_t *kvm_json(const struct agent *a)
{
	char why[256] = "";
	enum kvm_host_kind k = kvm_host_probe(a->fs.root, why, sizeof(why));
	return json_pack("{s:s, s:b, s:s, s:s}", "backend", kvm_host_kind_name(k), "hpc_stack",
			 k != KVM_HOST_NONE, "commodity_accel", k == KVM_HOST_NONE ? "tcg" : "kvm",
			 "why", why);
}

static json_t *node_json(struct agent *a)
{
	static json_t *topology; /* hwloc's view does not change while the agent runs */
	if (!topology)
		topology = topology_report();
	struct node_snapshot n;
	node_snapshot_take(a, &n);
	struct partition_spec proposal;
	partition_propose(&a->topo, &proposal);
	json_t *node = json_pack(
		"{s:O, s:o, s:I, s:o, s:o, s:{s:o, s:o, s:I, s:I, s:i}, "
		"s:{s:o, s:i, s:i, s:i, s:I, s:I, s:i}, s:{s:s, s:s, s:s, s:i}}",
		"topology", topology, "online_cpus", cpus_json(&n.online_cpus), "memory_mib",
		(json_int_t)n.mem_total_mib, "partition", snapshot_partition_json(&n),
		"proposed_partition", partition_spec_to_json(&proposal), "hpc", "cpus",
		cpus_json(&n.hpc.cpus), "cpus_free", cpus_json(&n.hpc_free_cpus), "memory_mib",
		(json_int_t)n.hpc.mem_mib, "memory_free_mib", (json_int_t)n.hpc_free_mem_mib, "vms",
		(int)n.hpc_used.vms, "commodity", "cpus", cpus_json(&n.commodity.cpus),
		"overcommit_ratio", (int)n.commodity.overcommit_ratio, "vcpus_capacity",
		(int)n.commodity_vcpu_capacity, "vcpus_used", (int)n.commodity_used.used_vcpus,
		"memory_limit_mib", (json_int_t)n.commodity.mem_mib, "memory_used_mib",
		(json_int_t)n.commodity_used.used_mem_mib, "vms", (int)n.commodity_used.vms,
		"agent", "version", DSVD_VERSION, "state_dir", a->state_dir, "socket",
		a->opts.socket_path ? a->opts.socket_path : "", "adopted_vms", (int)n.adopted_vms);
	if (node)
		json_object_set_new(node, "kvm", kvm_json(a));
	return node;
}

static void partition_dry_run(struct agent *a, const struct node_config *cfg, const char *source,
			      struct api_response *r)
{
	struct partition_spec spec;
	struct api_error err;
	if (partition_resolve(&a->topo, &cfg->partition, &spec, &err) < 0) {
		api_error_response(r, &err);
		return;
	}
	if (a->partition.active) {
		if (!partition_spec_equal(&spec, &a->partition.spec)) {
			fail(r, 409, "",
			     "the node is already partitioned differently; release it first "
			     "(dsv node release)%s",
			     "");
			return;
		}
		set_json(r, 200,
			 json_pack("{s:b, s:b, s:s, s:n}", "dry_run", 1, "changed", 0, "source",
				   source, "plan"));
		return;
	}
	set_json(r, 200,
		 json_pack("{s:b, s:b, s:s, s:o}", "dry_run", 1, "changed", 1, "source", source,
			   "plan", partition_plan(&a->fs, &a->topo, &spec, a->hugetlbfs_dir)));
}

/* PATCH: a live change of the applied partition (agent_repartition.c). */
static void handle_repartition(struct agent *a, const struct node_config *cfg, bool dry,
			       struct api_response *r)
{
	json_t *plan = NULL;
	bool changed;
	struct api_error err;
	if (agent_repartition(a, cfg, dry, &plan, &changed, &err) < 0) {
		api_error_response(r, &err);
		return;
	}
	if (dry)
		set_json(r, 200,
			 json_pack("{s:b, s:b, s:o}", "dry_run", 1, "changed", changed, "plan",
				   plan));
	else
		set_json(r, 200,
			 json_pack("{s:b, s:o}", "changed", changed, "partition",
				   partition_json(a)));
}

static void handle_partition(struct agent *a, const struct api_request *q, struct api_response *r)
{
	struct node_config cfg;
	struct api_error err;
	bool found = true;
	const char *source = "request";
	const char *dry = q->arg ? q->arg(q->arg_ctx, "dry_run") : NULL;
	if (dry && strcmp(dry, "1") != 0 && strcmp(dry, "true") != 0 && strcmp(dry, "0") != 0 &&
	    strcmp(dry, "false") != 0) {
		fail(r, 400, "dry_run", "'%s' is not 1, true, 0 or false", dry);
		return;
	}
	if (q->body_len == 0 && strcmp(q->method, "PATCH") == 0) {
		fail(r, 400, "body",
		     "a live change names what changes: hpc_cpus, housekeeping_cpus, "
		     "commodity_cpus or hpc_mem_mib%s",
		     "");
		return;
	}
	if (q->body_len == 0) {
		/* no settings given: the config file's, else the proposal */
		source = "config file";
		if (!a->opts.config_path ||
		    node_config_load(a->opts.config_path, &cfg, &found, &err) < 0 || !found) {
			memset(&cfg, 0, sizeof(cfg));
			cfg.overcommit_ratio = a->overcommit_ratio;
			source = "proposal";
		}
	} else if (node_config_parse(q->body, q->body_len, &cfg, &err) < 0) {
		api_error_response(r, &err);
		return;
	}
	if (dry && (dry[0] == '1' || dry[0] == 't') && strcmp(q->method, "PUT") == 0) {
		partition_dry_run(a, &cfg, source, r);
		return;
	}
	bool changed;
	if (strcmp(q->method, "PATCH") == 0) {
		handle_repartition(a, &cfg, dry && (dry[0] == '1' || dry[0] == 't'), r);
		return;
	}
	if (agent_partition(a, &cfg, &changed, &err) < 0) {
		api_error_response(r, &err);
		return;
	}
	set_json(r, 200,
		 json_pack("{s:b, s:o}", "changed", changed, "partition", partition_json(a)));
}

/* A VM as the API shows it: its record, and what it is doing now. */
static json_t *vm_view_json(struct agent *a, const struct vm *vm)
{
	json_t *o = vm_to_json(vm);
	struct stat st;
	if (!o)
		return NULL;
	json_object_set_new(
		o, "console_bytes",
		json_integer(stat(vm->console_path, &st) == 0 ? (json_int_t)st.st_size : 0));
	json_t *stats = vm_stats_json(a, vm);
	json_object_set_new(o, "stats", stats ? stats : json_null());
	return o;
}

static json_t *vm_list_json(struct agent *a)
{
	json_t *arr = json_array();
	for (struct vm *vm = a->vms; vm; vm = vm->next)
		json_array_append_new(arr, vm_view_json(a, vm));
	return arr;
}

static void handle_create(struct agent *a, const char *body, size_t len, struct api_response *r)
{
	struct vm_spec spec;
	struct api_error err;
	if (vm_spec_parse(body, len, &spec, &err) < 0) {
		api_error_response(r, &err);
		return;
	}
	struct vm *vm = agent_create_vm(a, &spec, &err);
	vm_spec_free(&spec);
	if (!vm) {
		vm_error_response(r, &err);
		return;
	}
	set_json(r, 201, vm_view_json(a, vm));
}

/* ?offset=N: the console from byte N (a follower's next read); without it the last MiB.
 * At most a MiB either way; the client adds what it got to its offset. */
static void handle_console(struct vm *vm, const struct api_request *q, struct api_response *r)
{
	const char *arg = q->arg ? q->arg(q->arg_ctx, "offset") : NULL;
	long long from = -1;
	if (arg) {
		char *end;
		errno = 0;
		from = strtoll(arg, &end, 10);
		if (errno || end == arg || *end || from < 0) {
			fail(r, 400, "offset", "'%s' is not a byte offset (0 or more)", arg);
			return;
		}
	}
	r->status = 200;
	r->content_type = "text/plain; charset=utf-8";
	int fd = open(vm->console_path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		r->body = strdup("");
		return;
	}
	off_t start = from >= 0 ? (from < st.st_size ? (off_t)from : st.st_size)
		      : st.st_size > API_CONSOLE_MAX ? st.st_size - API_CONSOLE_MAX
						     : 0;
	size_t want = (size_t)(st.st_size - start);
	if (want > API_CONSOLE_MAX)
		want = API_CONSOLE_MAX;
	r->body = malloc(want + 1);
	ssize_t got = r->body ? pread(fd, r->body, want, start) : -1;
	close(fd);
	if (got < 0) {
		free(r->body);
		r->body = NULL;
		fail(r, 500, "", "cannot read the console: %s", strerror(errno));
		return;
	}
	r->body[got] = '\0';
	r->body_len = (size_t)got; /* the guest may write NUL bytes */
}

/* POST /vms/{name}/shutdown [{"timeout_s": N}] and POST /vms/{name}/reboot */
static void handle_lifecycle(struct agent *a, const char *name, const char *sub, const char *body,
			     size_t len, struct api_response *r)
{
	static const char *const fields[] = { "timeout_s", NULL };
	struct api_error err;
	int64_t timeout = CLOUD_SHUTDOWN_TIMEOUT_S;
	if (strcmp(sub, "reboot") == 0) {
		if (agent_reboot_vm(a, name, &err) < 0)
			api_error_response(r, &err);
		else
			set_json(r, 202,
				 json_pack("{s:s, s:s}", "name", name, "requested", "reboot"));
		return;
	}
	if (len) {
		json_t *o = json_parse_object(body, len, &err);
		int rc = o ? json_only_fields(o, fields, &err) : -1;
		if (rc == 0)
			rc = json_get_int_range(o, "timeout_s", false, 0,
						CLOUD_SHUTDOWN_TIMEOUT_MAX_S, &timeout, NULL, &err);
		json_decref(o);
		if (rc < 0) {
			api_error_response(r, &err);
			return;
		}
	}
	if (agent_shutdown_vm(a, name, (unsigned)timeout, &err) < 0)
		api_error_response(r, &err);
	else
		set_json(r, 202,
			 json_pack("{s:s, s:s, s:i}", "name", name, "requested", "shutdown",
				   "destroy_after_s", (int)timeout));
}

static void handle_vm(struct agent *a, const struct api_request *q, const char *rest,
		      struct api_response *r)
{
	const char *method = q->method;
	char name[VM_NAME_MAX + 64];
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
	if (n >= sizeof(name)) {
		fail(r, 400, "name", "too long%s", "");
		return;
	}
	memcpy(name, rest, n);
	name[n] = '\0';
	const char *sub = slash ? slash + 1 : "";
	char why[160];
	if (vm_name_check(name, why, sizeof(why)) < 0) {
		fail(r, 400, "name", "%s", why);
		return;
	}
	struct vm *vm = agent_find(a, name);
	if (strcmp(sub, "console") == 0) {
		if (strcmp(method, "GET") != 0) {
			not_allowed(r, "GET", "/vms/{name}/console");
		} else if (!vm) {
			fail(r, 404, "name", "no VM named '%s'", name);
		} else {
			struct api_error err;
			if (agent_check_owner(a, vm, &err) < 0)
				api_error_response(r, &err);
			else
				handle_console(vm, q, r);
		}
		return;
	}
	if (strcmp(sub, "shutdown") == 0 || strcmp(sub, "reboot") == 0) {
		if (strcmp(method, "POST") != 0)
			not_allowed(r, "POST",
				    strcmp(sub, "reboot") == 0 ? "/vms/{name}/reboot"
							       : "/vms/{name}/shutdown");
		else
			handle_lifecycle(a, name, sub, q->body, q->body_len, r);
		return;
	}
	if (sub[0]) {
		fail(r, 404, "path", "no such resource /vms/{name}/%s", sub);
		return;
	}
	if (strcmp(method, "GET") == 0) {
		if (!vm)
			fail(r, 404, "name", "no VM named '%s'", name);
		else
			set_json(r, 200, vm_view_json(a, vm));
	} else if (strcmp(method, "DELETE") == 0) {
		struct api_error err;
		if (agent_delete_vm(a, name, &err) < 0)
			vm_error_response(r, &err);
		else
			set_json(r, 200, json_pack("{s:s, s:b}", "name", name, "deleted", 1));
	} else {
		not_allowed(r, "GET, DELETE", "/vms/{name}");
	}
}

/* The path without trailing slashes and without the version prefix: /v1/vms and /vms are
 * the same resource (the unversioned paths are kept as aliases). */
static void normalize_path(const char *path, char *p, size_t len)
{
	if (strncmp(path, API_VERSION_PREFIX, strlen(API_VERSION_PREFIX)) == 0 &&
	    (path[strlen(API_VERSION_PREFIX)] == '/' || path[strlen(API_VERSION_PREFIX)] == '\0'))
		path += strlen(API_VERSION_PREFIX);
	snprintf(p, len, "%s", path[0] ? path : "/");
	size_t pl = strlen(p);
	while (pl > 1 && p[pl - 1] == '/')
		p[--pl] = '\0';
}

static void handle_version(struct api_response *r)
{
	set_json(r, 200,
		 json_pack("{s:s, s:s, s:[s]}", "version", DSVD_VERSION, "api",
			   &API_VERSION_PREFIX[1], "api_versions", &API_VERSION_PREFIX[1]));
}

/* ?since=N or a Last-Event-ID of N: the events after N; neither: from now on. */
static void handle_events(const struct api_request *q, struct api_response *r)
{
	const char *since = q->arg ? q->arg(q->arg_ctx, "since") : NULL;
	const char *field = "since";
	if (!since && q->last_event_id) {
		since = q->last_event_id;
		field = "Last-Event-ID";
	}
	if (since) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(since, &end, 10);
		if (errno || end == since || *end || since[0] == '-' || n >= UINT64_MAX - 1) {
			fail(r, 400, field, "'%s' is not an event number", since);
			return;
		}
		r->events_from = n + 1;
	}
	r->events_stream = true; /* the HTTP layer streams the log (events_stream.c) */
	r->status = 200;
}

static bool is_get(const struct api_request *q, struct api_response *r, const char *resource)
{
	if (strcmp(q->method, "GET") == 0)
		return true;
	not_allowed(r, "GET", resource);
	return false;
}

static pthread_mutex_t agent_lock = PTHREAD_MUTEX_INITIALIZER;

void api_tick(struct agent *a)
{
	pthread_mutex_lock(&agent_lock);
	agent_reconcile(a);
	events_observe(a->events, a);
	pthread_mutex_unlock(&agent_lock);
}

static void route(struct agent *a, const struct api_request *q, struct api_response *r)
{
	agent_reconcile(a);
	const char *method = q->method, *body = q->body;
	size_t body_len = q->body_len;
	char p[256];
	normalize_path(q->path, p, sizeof(p));
	if (strcmp(p, "/node") == 0) {
		if (is_get(q, r, "/node"))
			set_json(r, 200, node_json(a));
	} else if (strcmp(p, "/node/partition") == 0) {
		struct api_error err;
		if (strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0)
			handle_partition(a, q, r);
		else if (strcmp(method, "DELETE") == 0) {
			if (agent_release(a, &err) < 0)
				api_error_response(r, &err);
			else
				set_json(r, 200, json_pack("{s:b}", "released", 1));
		} else if (strcmp(method, "GET") == 0)
			set_json(r, 200, partition_json(a));
		else {
			not_allowed(r, "GET, PUT, PATCH, DELETE", "/node/partition");
		}
	} else if (strcmp(p, "/vms") == 0) {
		if (strcmp(method, "GET") == 0)
			set_json(r, 200, vm_list_json(a));
		else if (strcmp(method, "POST") == 0)
			handle_create(a, body, body_len, r);
		else {
			not_allowed(r, "GET, POST", "/vms");
		}
	} else if (strncmp(p, "/vms/", 5) == 0) {
		handle_vm(a, q, p + 5, r);
	} else if (strcmp(p, "/node/domains") == 0) {
		if (!is_get(q, r, "/node/domains"))
			return;
		struct api_error err;
		json_t *doms = commodity_domains_json(a->virt, a->vms, &err);
		if (!doms)
			api_error_response(r, &err);
		else
			set_json(r, 200, doms);
	} else if (strcmp(p, "/metrics") == 0) {
		if (!is_get(q, r, "/metrics"))
			return;
		r->status = 200;
		r->content_type = "text/plain; version=0.0.4; charset=utf-8";
		r->body = metrics_render(a);
		if (!r->body)
			fail(r, 500, "", "out of memory%s", "");
	} else if (strcmp(p, "/version") == 0) {
		if (is_get(q, r, "/version"))
			handle_version(r);
	} else if (strcmp(p, "/events") == 0) {
		if (is_get(q, r, "/events"))
			handle_events(q, r);
	} else {
		fail(r, 404, "path", "no such resource '%s'", q->path);
	}
}

void api_handle_request(struct agent *a, const struct api_request *q, struct api_response *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_lock(&agent_lock);
	route(a, q, r);
	events_observe(a->events, a);
	pthread_mutex_unlock(&agent_lock);
}

void api_handle(struct agent *a, const char *method, const char *path, const char *body,
		size_t body_len, struct api_response *r)
{
	struct api_request q = {
		.method = method, .path = path, .body = body, .body_len = body_len
	};
	api_handle_request(a, &q, r);
}
