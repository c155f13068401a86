/* The partition state file: the spec, what was obtained, and the journal, as JSON. */
#include "partition.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void partition_state_init(struct partition_state *st, bool fake)
{
	memset(st, 0, sizeof(*st));
	journal_init(&st->journal, fake);
}

void partition_state_free(struct partition_state *st)
{
	journal_free(&st->journal);
}

json_t *partition_state_to_json(const struct partition_state *st)
{
	char nodes[256];
	cpu_bits_format_list(&st->hpc_nodes, nodes, sizeof(nodes));
	json_t *o = json_pack(
		"{s:b, s:b, s:o, s:s, s:{s:s, s:s, s:s, s:s}, s:s, s:{s:I, s:I, s:I}, s:{s:i, "
		"s:i}, "
		"s:i, s:o}",
		"active", st->active, "applying", st->applying, "spec",
		partition_spec_to_json(&st->spec), "cgroup_mode", st->cgroup_mode, "cgroups",
		"root", st->root_cgroup, "hpc", st->hpc_cgroup, "host", st->host_cgroup,
		"commodity", st->commodity_cgroup, "hpc_nodes", nodes, "hugepages", "page_kb",
		(json_int_t)st->hugepage_kb, "pages", (json_int_t)st->hugepages_reserved,
		"reserved_mib", (json_int_t)(st->hugepages_reserved * st->hugepage_kb / 1024),
		"irqs", "moved", (int)st->irqs_moved, "skipped", (int)st->irqs_skipped,
		"tasks_moved", (int)st->tasks_moved, "journal", journal_to_json(&st->journal));
	if (o)
		json_object_set_new(o, "preexisting_cgroups", json_string(st->preexisting));
	json_t *irqs = o ? json_object_get(o, "irqs") : NULL;
	if (irqs)
		json_object_set_new(irqs, "unmovable", json_string(st->irqs_unmovable));
	if (o && st->hugetlbfs.path[0])
		json_object_set_new(o, "hugetlbfs",
				    json_pack("{s:s, s:b, s:s}", "path", st->hugetlbfs.path,
					      "mounted", st->hugetlbfs.mounted, "options",
					      st->hugetlbfs.options));
	else if (o)
		json_object_set_new(o, "hugetlbfs", json_null());
	return o;
}

int partition_state_save(const struct partition_state *st, const char *path, char *err,
			 size_t errlen)
{
	json_t *o = partition_state_to_json(st);
	char tmp[1024];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int rc = o ? json_dump_file(o, tmp, JSON_INDENT(2)) : -1;
	json_decref(o);
	if (rc < 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int copy_str(const json_t *o, const char *key, char *dst, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (!s)
		return -1;
	snprintf(dst, len, "%s", s);
	return 0;
}

int partition_state_load(struct partition_state *st, const char *path, bool *found, char *err,
			 size_t errlen)
{
	*found = false;
	if (!hostfs_exists(path))
		return 0;
	*found = true;
	json_error_t jerr;
	json_t *o = json_load_file(path, 0, &jerr);
	if (!o) {
		snprintf(err, errlen, "%s: %s (line %d)", path, jerr.text, jerr.line);
		return -1;
	}
	struct api_error aerr;
	struct node_config cfg;
	json_t *cg = json_object_get(o, "cgroups"), *hp = json_object_get(o, "hugepages");
	json_t *irqs = json_object_get(o, "irqs");
	char nodes[256], why[128];
	int rc = -1;
	if (node_config_from_json(json_object_get(o, "spec"), &cfg, &aerr) < 0) {
		snprintf(err, errlen, "%s: spec: %s", path, aerr.message);
		goto out;
	}
	st->spec = cfg.partition;
	st->active = json_is_true(json_object_get(o, "active"));
	st->applying = json_is_true(json_object_get(o, "applying"));
	if (copy_str(o, "cgroup_mode", st->cgroup_mode, sizeof(st->cgroup_mode)) < 0 ||
	    copy_str(cg, "root", st->root_cgroup, sizeof(st->root_cgroup)) < 0 ||
	    copy_str(cg, "hpc", st->hpc_cgroup, sizeof(st->hpc_cgroup)) < 0 ||
	    copy_str(cg, "host", st->host_cgroup, sizeof(st->host_cgroup)) < 0 ||
	    copy_str(cg, "commodity", st->commodity_cgroup, sizeof(st->commodity_cgroup)) < 0 ||
	    copy_str(o, "hpc_nodes", nodes, sizeof(nodes)) < 0 ||
	    cpu_bits_parse_list(nodes, &st->hpc_nodes, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: missing or bad cgroup fields", path);
		goto out;
	}
	st->hugepage_kb = (uint64_t)json_integer_value(json_object_get(hp, "page_kb"));
	st->hugepages_reserved = (uint64_t)json_integer_value(json_object_get(hp, "pages"));
	st->irqs_moved = (unsigned)json_integer_value(json_object_get(irqs, "moved"));
	st->irqs_skipped = (unsigned)json_integer_value(json_object_get(irqs, "skipped"));
	copy_str(irqs, "unmovable", st->irqs_unmovable, sizeof(st->irqs_unmovable)); /* optional */
	st->tasks_moved = (unsigned)json_integer_value(json_object_get(o, "tasks_moved"));
	copy_str(o, "preexisting_cgroups", st->preexisting, sizeof(st->preexisting));
	json_t *hf = json_object_get(o, "hugetlbfs"); /* absent in state files before it existed */
	if (json_is_object(hf)) {
		if (copy_str(hf, "path", st->hugetlbfs.path, sizeof(st->hugetlbfs.path)) < 0 ||
		    st->hugetlbfs.path[0] != '/' ||
		    !json_is_boolean(json_object_get(hf, "mounted"))) {
			snprintf(err, errlen, "%s: bad hugetlbfs record", path);
			goto out;
		}
		st->hugetlbfs.mounted = json_is_true(json_object_get(hf, "mounted"));
		copy_str(hf, "options", st->hugetlbfs.options, sizeof(st->hugetlbfs.options));
	}
	rc = journal_from_json(&st->journal, json_object_get(o, "journal"), err, errlen);
out:
	json_decref(o);
	return rc;
}
