#include "vm_spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_fields.h"

const char *vm_stack_name(enum vm_stack s)
{
	return s == VM_STACK_HPC ? "hpc" : "commodity";
}

int vm_name_check(const char *name, char *why, size_t whylen)
{
	size_t len = strlen(name);
	if (len == 0) {
		snprintf(why, whylen, "must not be empty");
		return -1;
	}
	if (len > VM_NAME_MAX) {
		snprintf(why, whylen, "longer than %d characters", VM_NAME_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || (i > 0 && (c == '-' || c == '_' || c == '.'));
		if (!ok) {
			snprintf(why, whylen,
				 "unsafe as a file name: only letters, digits, '-', '_' and '.' "
				 "are allowed, "
				 "and it must start with a letter or digit");
			return -1;
		}
	}
	if (strstr(name, "..")) {
		snprintf(why, whylen, "unsafe as a file name: must not contain '..'");
		return -1;
	}
	return 0;
}

int vm_shm_group_check(const char *name, char *why, size_t whylen)
{
	size_t len = strlen(name);
	if (len == 0 || len > VM_SHM_GROUP_MAX) {
		snprintf(why, whylen, "must be 1 to %d characters", VM_SHM_GROUP_MAX);
		return -1;
	}
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		snprintf(why, whylen, "must not be '.' or '..'");
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.')) {
			snprintf(why, whylen, "may hold only letters, digits, '-', '_' and '.'");
			return -1;
		}
	}
	return 0;
}

/* shm_group: HPC only, a name (vm_shm_group_check) */
static int parse_shm_group(const json_t *obj, struct vm_spec *spec, struct api_error *err)
{
	const char *g;
	/* read up to 1024 bytes so that a long name gets the length message below */
	if (json_get_string(obj, "shm_group", false, 1024, &g, err) < 0)
		return -1;
	if (!g)
		return 0;
	char why[128];
	if (vm_shm_group_check(g, why, sizeof(why)) < 0)
		return api_fail(err, 400, "shm_group", "'%.64s' %s", g, why);
	if (spec->stack != VM_STACK_HPC)
		return api_fail(err, 400, "shm_group",
				"not supported for stack commodity (hvmm's /dev/shm)");
	snprintf(spec->shm_group, sizeof(spec->shm_group), "%s", g);
	return 0;
}

static int dup_path(const json_t *obj, const char *key, char **out, struct api_error *err)
{
	const char *s;
	if (json_get_string(obj, key, false, VM_PATH_MAX, &s, err) < 0)
		return -1;
	if (!s)
		return 0;
	if (s[0] != '/')
		return api_fail(err, 400, key, "must be an absolute path");
	*out = strdup(s);
	return *out ? 0 : api_fail(err, 500, key, "out of memory");
}

static int parse_program(const json_t *obj, struct vm_spec *spec, struct api_error *err)
{
	json_t *arr = json_object_get(obj, "program");
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return api_fail(err, 400, "program", "must be an array of strings");
	if (json_array_size(arr) == 0)
		return api_fail(err, 400, "program", "must not be empty when given");
	if (json_array_size(arr) > VM_ARGV_MAX)
		return api_fail(err, 400, "program", "more than %d arguments", VM_ARGV_MAX);
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		char field[32];
		snprintf(field, sizeof(field), "program[%zu]", i);
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
			return api_fail(err, 400, field, "must be a string without NUL bytes");
		if (json_string_length(v) > VM_PATH_MAX)
			return api_fail(err, 400, field, "longer than %d bytes", VM_PATH_MAX);
		if (i == 0 && json_string_value(v)[0] != '/')
			return api_fail(err, 400, field, "the program must be an absolute path");
		spec->argv[i] = strdup(json_string_value(v));
		if (!spec->argv[i])
			return api_fail(err, 500, field, "out of memory");
		spec->argc = (unsigned)i + 1;
	}
	return 0;
}

static int dup_string(const json_t *obj, const char *key, size_t max, char **out,
		      struct api_error *err)
{
	const char *s;
	if (json_get_string(obj, key, false, max, &s, err) < 0)
		return -1;
	if (s && !(*out = strdup(s)))
		return api_fail(err, 500, key, "out of memory");
	return 0;
}

/* cloud_init: {"user_data": "...", "meta_data": "..."} */
static int parse_cloud_init(const json_t *obj, struct vm_spec *spec, struct api_error *err)
{
	static const char *const fields[] = { "user_data", "meta_data", NULL };
	json_t *ci = json_object_get(obj, "cloud_init");
	if (!ci)
		return 0;
	if (!json_is_object(ci))
		return api_fail(err, 400, "cloud_init",
				"must be an object with user_data and meta_data");
	struct api_error inner;
	if (json_only_fields(ci, fields, &inner) < 0 ||
	    dup_string(ci, "user_data", VM_USER_DATA_MAX, &spec->user_data, &inner) < 0 ||
	    dup_string(ci, "meta_data", VM_META_DATA_MAX, &spec->meta_data, &inner) < 0)
		return api_fail(err, inner.status, "cloud_init", "%s: %s", inner.field,
				inner.message);
	if (!spec->user_data)
		return api_fail(err, 400, "cloud_init", "user_data: required field is missing");
	return 0;
}

/* The commodity stack's cloud VMs: an image (with a network and cloud-init) or an operator's
 * domain XML. Neither mixes with the lwk's direct kernel boot. */
static int parse_cloud_vm(const json_t *obj, struct vm_spec *spec, struct api_error *err)
{
	if (dup_path(obj, "image", &spec->image, err) < 0 ||
	    dup_string(obj, "network", VM_NETWORK_MAX, &spec->network, err) < 0 ||
	    dup_string(obj, "domain_xml", VM_DOMAIN_XML_MAX, &spec->domain_xml, err) < 0 ||
	    parse_cloud_init(obj, spec, err) < 0)
		return -1;
	bool cloud = spec->image || spec->network || spec->user_data || spec->domain_xml;
	if (cloud && spec->stack != VM_STACK_COMMODITY) {
		const char *f = spec->image	  ? "image"
				: spec->network	  ? "network"
				: spec->user_data ? "cloud_init"
						  : "domain_xml";
		return api_fail(err, 400, f, "only for stack commodity");
	}
	if (!cloud)
		return 0;
	if (spec->domain_xml && !spec->domain_xml[0])
		return api_fail(err, 400, "domain_xml", "is empty: give the domain's XML");
	if (spec->image && spec->domain_xml)
		return api_fail(err, 400, "domain_xml",
				"give an image or a domain XML, not both (the "
				"XML names its own disks)");
	if (!spec->image && !spec->domain_xml)
		return api_fail(err, 400, spec->network ? "network" : "cloud_init",
				"needs an image (an ordinary cloud VM)");
	const char *lwk_only = spec->kernel    ? "kernel"
			       : spec->initrd  ? "initrd"
			       : spec->cmdline ? "cmdline"
			       : spec->argc    ? "program"
					       : NULL;
	if (lwk_only)
		return api_fail(err, 400, lwk_only,
				"not with %s: the guest boots from its own disk",
				spec->image ? "image" : "domain_xml");
	if (spec->domain_xml && (spec->network || spec->user_data))
		return api_fail(err, 400, spec->network ? "network" : "cloud_init",
				"not with domain_xml: the XML says its own devices");
	if (spec->network) {
		char why[160];
		if (vm_name_check(spec->network, why, sizeof(why)) < 0)
			return api_fail(err, 400, "network", "'%.64s' is %s", spec->network, why);
	}
	return 0;
}

int vm_spec_from_json(const json_t *obj, struct vm_spec *spec, struct api_error *err)
{
	static const char *const fields[] = {
		"name",	      "stack",	    "vcpus",   "mem_mib",	"kernel", "initrd",
		"cmdline",    "share",	    "program", "cpu_quota_pct", "image",  "network",
		"cloud_init", "domain_xml", "net",     "shm_group",	"env",	  NULL
	};
	memset(spec, 0, sizeof(*spec));
	if (json_only_fields(obj, fields, err) < 0)
		return -1;
	const char *name, *stack, *cmdline;
	if (json_get_string(obj, "name", true, 1024, &name, err) < 0)
		return -1;
	char why[160];
	if (vm_name_check(name, why, sizeof(why)) < 0)
		return api_fail(err, 400, "name", "'%.64s' is %s", name, why);
	snprintf(spec->name, sizeof(spec->name), "%s", name);
	if (json_get_string(obj, "stack", true, 64, &stack, err) < 0)
		return -1;
	if (strcmp(stack, "hpc") == 0)
		spec->stack = VM_STACK_HPC;
	else if (strcmp(stack, "commodity") == 0)
		spec->stack = VM_STACK_COMMODITY;
	else
		return api_fail(err, 400, "stack",
				"unknown stack '%.32s' (expected \"hpc\" or \"commodity\")", stack);
	int64_t n = 1;
	if (json_get_int_range(obj, "vcpus", false, 1, VM_VCPUS_MAX, &n, NULL, err) < 0)
		return -1;
	spec->vcpus = (unsigned)n;
	n = 0;
	/* an operator's domain XML says its own memory size */
	bool has_xml = json_object_get(obj, "domain_xml") != NULL;
	if (json_get_int_range(obj, "mem_mib", !has_xml, 1, VM_MEM_MIB_MAX, &n, NULL, err) < 0)
		return -1;
	spec->mem_mib = (uint64_t)n;
	if (spec->stack == VM_STACK_HPC && spec->mem_mib < VM_HPC_MEM_MIB_MIN)
		return api_fail(err, 400, "mem_mib",
				"must be at least %d for stack hpc (hvmm's minimum)",
				VM_HPC_MEM_MIB_MIN);
	if (spec->stack == VM_STACK_HPC && spec->mem_mib % 2)
		return api_fail(err, 400, "mem_mib",
				"must be a multiple of 2 (HPC memory is 2 MiB hugepages)");
	if (dup_path(obj, "kernel", &spec->kernel, err) < 0 ||
	    dup_path(obj, "initrd", &spec->initrd, err) < 0 ||
	    dup_path(obj, "share", &spec->share, err) < 0)
		return -1;
	if (json_get_string(obj, "cmdline", false, VM_CMDLINE_MAX, &cmdline, err) < 0)
		return -1;
	if (cmdline && !(spec->cmdline = strdup(cmdline)))
		return api_fail(err, 500, "cmdline", "out of memory");
	if (parse_program(obj, spec, err) < 0 || parse_cloud_vm(obj, spec, err) < 0)
		return -1;
	if (spec->stack == VM_STACK_HPC && spec->initrd)
		return api_fail(err, 400, "initrd", "not supported for stack hpc (use program)");
	if (spec->stack == VM_STACK_HPC && !spec->kernel && spec->argc == 0)
		return api_fail(err, 400, "program",
				"required for stack hpc unless kernel is given");
	if (spec->stack == VM_STACK_COMMODITY && spec->share)
		return api_fail(err, 400, "share", "not supported for stack commodity");
	const char *net;
	if (json_get_string(obj, "net", false, 16, &net, err) < 0)
		return -1;
	if (net && strcmp(net, "none") != 0 && strcmp(net, "host") != 0)
		return api_fail(err, 400, "net",
				"'%.16s' is not a network policy (expected \"none\": pipes "
				"and socket pairs only, or \"host\": IP sockets in dsvd's network "
				"namespace)",
				net);
	if (net && spec->stack == VM_STACK_COMMODITY)
		return api_fail(err, 400, "net", "not supported for stack commodity (see network)");
	spec->net_host = net && strcmp(net, "host") == 0;
	if (parse_shm_group(obj, spec, err) < 0 || vm_env_from_json(obj, &spec->env, err) < 0)
		return -1;
	if (spec->env.count && spec->stack == VM_STACK_COMMODITY)
		return api_fail(err, 400, "env",
				"not supported for stack commodity (its guest boots its own "
				"system; see cloud_init)");
	bool has_quota = false;
	n = 0;
	if (json_get_int_range(obj, "cpu_quota_pct", false, 1, 100, &n, &has_quota, err) < 0)
		return -1;
	if (has_quota && spec->stack == VM_STACK_HPC)
		return api_fail(err, 400, "cpu_quota_pct",
				"not supported for stack hpc (its vCPUs own "
				"their CPUs)");
	spec->cpu_quota_pct = has_quota ? (unsigned)n : 0;
	/* a commodity guest gets its arguments on the kernel command line, split at whitespace:
     * an argument with a space would silently become two */
	for (unsigned i = 0; spec->stack == VM_STACK_COMMODITY && i < spec->argc; i++)
		if (strpbrk(spec->argv[i], " \t\n\r")) {
			char field[32];
			snprintf(field, sizeof(field), "program[%u]", i);
			return api_fail(
				err, 400, field,
				"contains whitespace, which a commodity guest's kernel command "
				"line cannot carry (stack hpc can)");
		}
	return 0;
}

int vm_spec_parse(const char *body, size_t len, struct vm_spec *spec, struct api_error *err)
{
	memset(spec, 0, sizeof(*spec));
	json_t *obj = json_parse_object(body, len, err);
	if (!obj)
		return -1;
	int rc = vm_spec_from_json(obj, spec, err);
	json_decref(obj);
	if (rc < 0)
		vm_spec_free(spec);
	return rc;
}

json_t *vm_spec_to_json(const struct vm_spec *spec)
{
	json_t *o = json_pack("{s:s, s:s, s:i}", "name", spec->name, "stack",
			      vm_stack_name(spec->stack), "vcpus", (int)spec->vcpus);
	if (!o)
		return NULL;
	if (spec->mem_mib) /* 0 only for a domain XML not yet read, which says its own */
		json_object_set_new(o, "mem_mib", json_integer((json_int_t)spec->mem_mib));
	if (spec->kernel)
		json_object_set_new(o, "kernel", json_string(spec->kernel));
	if (spec->initrd)
		json_object_set_new(o, "initrd", json_string(spec->initrd));
	if (spec->cmdline)
		json_object_set_new(o, "cmdline", json_string(spec->cmdline));
	if (spec->share)
		json_object_set_new(o, "share", json_string(spec->share));
	if (spec->net_host)
		json_object_set_new(o, "net", json_string("host"));
	if (spec->shm_group[0])
		json_object_set_new(o, "shm_group", json_string(spec->shm_group));
	if (spec->cpu_quota_pct)
		json_object_set_new(o, "cpu_quota_pct", json_integer(spec->cpu_quota_pct));
	if (spec->image)
		json_object_set_new(o, "image", json_string(spec->image));
	if (spec->network)
		json_object_set_new(o, "network", json_string(spec->network));
	if (spec->domain_xml)
		json_object_set_new(o, "domain_xml", json_string(spec->domain_xml));
	if (spec->user_data) {
		json_t *ci = json_pack("{s:s}", "user_data", spec->user_data);
		if (ci && spec->meta_data)
			json_object_set_new(ci, "meta_data", json_string(spec->meta_data));
		json_object_set_new(o, "cloud_init", ci);
	}
	json_t *env = vm_env_to_json(&spec->env);
	if (env)
		json_object_set_new(o, "env", env);
	if (spec->argc) {
		json_t *a = json_array();
		for (unsigned i = 0; i < spec->argc; i++)
			json_array_append_new(a, json_string(spec->argv[i]));
		json_object_set_new(o, "program", a);
	}
	return o;
}

void vm_spec_free(struct vm_spec *spec)
{
	free(spec->kernel);
	free(spec->initrd);
	free(spec->cmdline);
	free(spec->share);
	free(spec->image);
	free(spec->network);
	free(spec->user_data);
	free(spec->meta_data);
	free(spec->domain_xml);
	for (unsigned i = 0; i < VM_ARGV_MAX + 1; i++)
		free(spec->argv[i]);
	vm_env_free(&spec->env);
	memset(spec, 0, sizeof(*spec));
}
