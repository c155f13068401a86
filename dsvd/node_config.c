#include "node_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_config.h"
#include "json_fields.h"

static int get_cpus(const json_t *obj, const char *key, struct cpu_bits *out, bool *present,
		    struct api_error *err)
{
	const char *s;
	if (json_get_string(obj, key, false, 4096, &s, err) < 0)
		return -1;
	*present = s != NULL;
	if (!s)
		return 0;
	char why[128];
	if (cpu_bits_parse_list(s, out, why, sizeof(why)) < 0)
		return api_fail(err, 400, key, "bad CPU list '%.64s': %s", s, why);
	if (cpu_bits_empty(out))
		return api_fail(err, 400, key, "must not be empty");
	return 0;
}

int node_config_from_json(const json_t *obj, struct node_config *cfg, struct api_error *err)
{
	static const char *const fields[] = { "hpc_cpus",    "housekeeping_cpus", "commodity_cpus",
					      "hpc_mem_mib", "overcommit_ratio",  NULL };
	memset(cfg, 0, sizeof(*cfg));
	cfg->overcommit_ratio = NODE_OVERCOMMIT_DEFAULT;
	if (!json_is_object(obj))
		return api_fail(err, 400, "body", "expected a JSON object");
	if (json_only_fields(obj, fields, err) < 0)
		return -1;
	struct partition_spec *p = &cfg->partition;
	if (get_cpus(obj, "hpc_cpus", &p->hpc_cpus, &p->has_hpc_cpus, err) < 0 ||
	    get_cpus(obj, "housekeeping_cpus", &p->housekeeping_cpus, &p->has_housekeeping_cpus,
		     err) < 0 ||
	    get_cpus(obj, "commodity_cpus", &p->commodity_cpus, &p->has_commodity_cpus, err) < 0)
		return -1;
	int64_t v;
	if (json_get_int_range(obj, "hpc_mem_mib", false, 2, (int64_t)NODE_HPC_MEM_MIB_MAX, &v,
			       &p->has_hpc_mem, err) < 0)
		return -1;
	if (p->has_hpc_mem) {
		if (v % 2)
			return api_fail(err, 400, "hpc_mem_mib",
					"must be a multiple of 2 (2 MiB hugepages)");
		p->hpc_mem_mib = (uint64_t)v;
	}
	if (json_get_int_range(obj, "overcommit_ratio", false, 1, NODE_OVERCOMMIT_MAX, &v,
			       &cfg->has_overcommit_ratio, err) < 0)
		return -1;
	if (cfg->has_overcommit_ratio)
		cfg->overcommit_ratio = (unsigned)v;
	if (p->has_hpc_cpus && p->has_housekeeping_cpus &&
	    cpu_bits_intersects(&p->hpc_cpus, &p->housekeeping_cpus))
		return api_fail(err, 400, "housekeeping_cpus", "overlaps hpc_cpus");
	if (p->has_hpc_cpus && p->has_commodity_cpus &&
	    cpu_bits_intersects(&p->hpc_cpus, &p->commodity_cpus))
		return api_fail(err, 400, "commodity_cpus", "overlaps hpc_cpus");
	return 0;
}

int node_config_parse(const char *text, size_t len, struct node_config *cfg, struct api_error *err)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->overcommit_ratio = NODE_OVERCOMMIT_DEFAULT;
	json_t *obj = json_parse_object(text, len, err);
	if (!obj)
		return -1;
	int rc = node_config_from_json(obj, cfg, err);
	json_decref(obj);
	return rc;
}

int node_config_load(const char *path, struct node_config *cfg, bool *found, struct api_error *err)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->overcommit_ratio = NODE_OVERCOMMIT_DEFAULT;
	*found = false;
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		return api_fail(err, 500, "config", "cannot open %s: %s", path, strerror(errno));
	}
	*found = true;
	char *buf = malloc(65536);
	if (!buf) {
		fclose(f);
		return api_fail(err, 500, "config", "out of memory");
	}
	size_t n = fread(buf, 1, 65536, f);
	bool too_big = n == 65536;
	fclose(f);
	int rc = -1;
	json_t *obj = too_big ? NULL : json_parse_object(buf, n, err);
	if (too_big) {
		api_fail(err, 400, "config", "%s is larger than 64 KiB", path);
	} else if (obj) {
		for (const char *const *k = agent_config_keys; *k; k++)
			json_object_del(obj, *k); /* the operator's own settings (agent_config.h) */
		rc = node_config_from_json(obj, cfg, err);
	}
	json_decref(obj);
	free(buf);
	if (rc < 0) {
		char msg[sizeof(err->message)];
		snprintf(msg, sizeof(msg), "%s", err->message);
		snprintf(err->message, sizeof(err->message), "%s: %s", path, msg);
	}
	return rc;
}

json_t *partition_spec_to_json(const struct partition_spec *spec)
{
	json_t *o = json_object();
	const struct {
		const char *key;
		const struct cpu_bits *cpus;
	} lists[] = {
		{ "hpc_cpus", &spec->hpc_cpus },
		{ "housekeeping_cpus", &spec->housekeeping_cpus },
		{ "commodity_cpus", &spec->commodity_cpus },
	};
	for (size_t i = 0; o && i < 3; i++) {
		char buf[1024];
		cpu_bits_format_list(lists[i].cpus, buf, sizeof(buf));
		if (buf[0]) /* an empty set is written as an absent field */
			json_object_set_new(o, lists[i].key, json_string(buf));
	}
	if (o && spec->hpc_mem_mib)
		json_object_set_new(o, "hpc_mem_mib", json_integer((json_int_t)spec->hpc_mem_mib));
	return o;
}

bool partition_spec_equal(const struct partition_spec *a, const struct partition_spec *b)
{
	return cpu_bits_equal(&a->hpc_cpus, &b->hpc_cpus) &&
	       cpu_bits_equal(&a->housekeeping_cpus, &b->housekeeping_cpus) &&
	       cpu_bits_equal(&a->commodity_cpus, &b->commodity_cpus) &&
	       a->hpc_mem_mib == b->hpc_mem_mib;
}
