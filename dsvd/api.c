#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm_host.h"
#include "metrics.h"
#include "topology_report.h"

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
    json_t *o = json_pack("{s:s}", "error", err->message);
    if (o && err->field[0])
        json_object_set_new(o, "field", json_string(err->field));
    set_json(r, err->status ? err->status : 500, o);
}

static void fail(struct api_response *r, int status, const char *field, const char *fmt, const char *arg)
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

static json_t *partition_json(const struct agent *a)
{
    if (!a->partition.active)
        return json_null();
    json_t *o = partition_state_to_json(&a->partition);
    json_object_del(o, "journal");
    json_object_set_new(o, "changed_values", json_integer((json_int_t)a->partition.journal.count));
    return o;
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
    struct hpc_pool hp;
    struct commodity_pool cp;
    struct hpc_usage hu;
    struct commodity_usage cu;
    agent_hpc_pool(a, &hp);
    agent_commodity_pool(a, &cp);
    hpc_usage_of(a->vms, &hu);
    commodity_usage_of(a->vms, &cu);
    struct cpu_bits hfree = hp.cpus;
    cpu_bits_andnot(&hfree, &hu.used_cpus);
    struct partition_spec proposal;
    partition_propose(&a->topo, &proposal);
    unsigned cap = cpu_bits_count(&cp.cpus) * cp.overcommit_ratio;
    json_t *node = json_pack(
        "{s:O, s:o, s:I, s:o, s:o, s:{s:o, s:o, s:I, s:I, s:i}, "
        "s:{s:o, s:i, s:i, s:i, s:I, s:I, s:i}, s:{s:s, s:s, s:s, s:i}}",
        "topology", topology, "online_cpus", cpus_json(&a->topo.online), "memory_mib",
        (json_int_t)a->mem_total_mib, "partition", partition_json(a), "proposed_partition",
        partition_spec_to_json(&proposal), "hpc", "cpus", cpus_json(&hp.cpus), "cpus_free",
        cpus_json(&hfree), "memory_mib", (json_int_t)hp.mem_mib, "memory_free_mib",
        (json_int_t)(hp.mem_mib > hu.used_mem_mib ? hp.mem_mib - hu.used_mem_mib : 0), "vms",
        (int)hu.vms, "commodity", "cpus", cpus_json(&cp.cpus), "overcommit_ratio",
        (int)cp.overcommit_ratio, "vcpus_capacity", (int)cap, "vcpus_used", (int)cu.used_vcpus,
        "memory_limit_mib", (json_int_t)cp.mem_mib, "memory_used_mib", (json_int_t)cu.used_mem_mib,
        "vms", (int)cu.vms, "agent", "version", DSVD_VERSION, "state_dir", a->state_dir,
        "socket", a->opts.socket_path ? a->opts.socket_path : "", "adopted_vms", (int)a->adopted);
    if (node)
        json_object_set_new(node, "kvm", kvm_json(a));
    return node;
}

static void handle_partition(struct agent *a, const char *body, size_t len, struct api_response *r)
{
    struct node_config cfg;
    struct api_error err;
    bool found = true;
    if (len == 0) {
        /* no settings given: the config file's, else the proposal */
        if (!a->opts.config_path ||
            node_config_load(a->opts.config_path, &cfg, &found, &err) < 0 || !found) {
            memset(&cfg, 0, sizeof(cfg));
            cfg.overcommit_ratio = a->overcommit_ratio;
        }
    } else if (node_config_parse(body, len, &cfg, &err) < 0) {
        api_error_response(r, &err);
        return;
    }
    bool changed;
    if (agent_partition(a, &cfg, &changed, &err) < 0) {
        api_error_response(r, &err);
        return;
    }
    set_json(r, 200, json_pack("{s:b, s:o}", "changed", changed, "partition", partition_json(a)));
}

static json_t *vm_list_json(struct agent *a)
{
    json_t *arr = json_array();
    for (struct vm *vm = a->vms; vm; vm = vm->next)
        json_array_append_new(arr, vm_to_json(vm));
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
        api_error_response(r, &err);
        return;
    }
    set_json(r, 201, vm_to_json(vm));
}

static void handle_console(struct vm *vm, struct api_response *r)
{
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
    off_t start = st.st_size > API_CONSOLE_MAX ? st.st_size - API_CONSOLE_MAX : 0;
    size_t want = (size_t)(st.st_size - start);
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
}

static void handle_vm(struct agent *a, const char *method, const char *rest, struct api_response *r)
{
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
            r->allow = "GET";
            fail(r, 405, "", "method not allowed on %s", "/vms/{name}/console");
        } else if (!vm) {
            fail(r, 404, "name", "no VM named '%s'", name);
        } else {
            struct api_error err;
            if (agent_check_owner(a, vm, &err) < 0)
                api_error_response(r, &err);
            else
                handle_console(vm, r);
        }
        return;
    }
    if (sub[0]) {
        fail(r, 404, "", "no such resource /vms/{name}/%s", sub);
        return;
    }
    if (strcmp(method, "GET") == 0) {
        if (!vm)
            fail(r, 404, "name", "no VM named '%s'", name);
        else
            set_json(r, 200, vm_to_json(vm));
    } else if (strcmp(method, "DELETE") == 0) {
        struct api_error err;
        if (agent_delete_vm(a, name, &err) < 0)
            api_error_response(r, &err);
        else
            set_json(r, 200, json_pack("{s:s, s:b}", "name", name, "deleted", 1));
    } else {
        r->allow = "GET, DELETE";
        fail(r, 405, "", "method not allowed on %s", "/vms/{name}");
    }
}

void api_handle(struct agent *a, const char *method, const char *path, const char *body,
                size_t body_len, struct api_response *r)
{
    memset(r, 0, sizeof(*r));
    agent_reconcile(a);
    char p[256];
    snprintf(p, sizeof(p), "%s", path);
    size_t pl = strlen(p);
    while (pl > 1 && p[pl - 1] == '/')
        p[--pl] = '\0';
    if (strcmp(p, "/node") == 0) {
        if (strcmp(method, "GET") == 0)
            set_json(r, 200, node_json(a));
        else {
            r->allow = "GET";
            fail(r, 405, "", "method not allowed on %s", "/node");
        }
    } else if (strcmp(p, "/node/partition") == 0) {
        struct api_error err;
        if (strcmp(method, "PUT") == 0)
            handle_partition(a, body, body_len, r);
        else if (strcmp(method, "DELETE") == 0) {
            if (agent_release(a, &err) < 0)
                api_error_response(r, &err);
            else
                set_json(r, 200, json_pack("{s:b}", "released", 1));
        } else if (strcmp(method, "GET") == 0)
            set_json(r, 200, partition_json(a));
        else {
            r->allow = "GET, PUT, DELETE";
            fail(r, 405, "", "method not allowed on %s", "/node/partition");
        }
    } else if (strcmp(p, "/vms") == 0) {
        if (strcmp(method, "GET") == 0)
            set_json(r, 200, vm_list_json(a));
        else if (strcmp(method, "POST") == 0)
            handle_create(a, body, body_len, r);
        else {
            r->allow = "GET, POST";
            fail(r, 405, "", "method not allowed on %s", "/vms");
        }
    } else if (strncmp(p, "/vms/", 5) == 0) {
        handle_vm(a, method, p + 5, r);
    } else if (strcmp(p, "/metrics") == 0) {
        if (strcmp(method, "GET") != 0) {
            r->allow = "GET";
            fail(r, 405, "", "method not allowed on %s", "/metrics");
            return;
        }
        r->status = 200;
        r->content_type = "text/plain; version=0.0.4; charset=utf-8";
        r->body = metrics_render(a);
        if (!r->body)
            fail(r, 500, "", "out of memory%s", "");
    } else {
        fail(r, 404, "", "no such resource '%s'", p);
    }
}
