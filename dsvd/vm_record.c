#include "vm_record.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *vm_state_name(enum vm_state s)
{
	switch (s) {
	case VM_STARTING:
		return "starting";
	case VM_RUNNING:
		return "running";
	case VM_EXITED:
		return "exited";
	case VM_FAILED:
		return "failed";
	}
	return "?";
}

bool vm_holds_resources(const struct vm *vm)
{
	return vm->state == VM_STARTING || vm->state == VM_RUNNING;
}

json_t *vm_to_json(const struct vm *vm)
{
	char cpus[1024];
	cpu_bits_format_list(&vm->cpus, cpus, sizeof(cpus));
	json_t *o = vm_spec_to_json(&vm->spec);
	if (!o)
		return NULL;
	json_object_set_new(o, "state", json_string(vm_state_name(vm->state)));
	json_object_set_new(o, "cpus", json_string(cpus));
	json_object_set_new(o, "console", json_string(vm->console_path));
	json_object_set_new(o, "created", json_integer((json_int_t)vm->created));
	if (vm->hpc.pid > 0) {
		json_object_set_new(o, "pid", json_integer(vm->hpc.pid));
		json_object_set_new(o, "start_time", json_integer((json_int_t)vm->hpc.start_time));
	}
	if (vm->commodity.domain[0])
		json_object_set_new(o, "domain", json_string(vm->commodity.domain));
	if (vm->hpc.kernel[0])
		json_object_set_new(o, "booted_kernel", json_string(vm->hpc.kernel));
	if (vm->exit_code >= 0)
		json_object_set_new(o, "exit_code", json_integer(vm->exit_code));
	if (vm->exit_reason[0])
		json_object_set_new(o, "exit_reason", json_string(vm->exit_reason));
	json_t *groups = json_array();
	for (size_t i = 0; i < vm->owner.ngroups; i++)
		json_array_append_new(groups, json_integer(vm->owner.groups[i]));
	json_object_set_new(o, "owner",
			    json_pack("{s:I, s:I, s:o}", "uid", (json_int_t)vm->owner.uid, "gid",
				      (json_int_t)vm->owner.gid, "groups", groups));
	return o;
}

static const char *const record_only_fields[] = { "state",	 "cpus",	  "console",
						  "created",	 "pid",		  "start_time",
						  "domain",	 "booted_kernel", "exit_code",
						  "exit_reason", "owner",	  NULL };

/* A record without an owner predates owners: it was created with the agent's rights. */
static void owner_from_json(const json_t *o, struct caller *c)
{
	caller_self(c);
	if (!json_is_object(o))
		return;
	c->uid = (uid_t)json_integer_value(json_object_get(o, "uid"));
	c->gid = (gid_t)json_integer_value(json_object_get(o, "gid"));
	c->ngroups = 0;
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(o, "groups"), i, g) if (c->ngroups < CALLER_GROUPS_MAX)
		c->groups[c->ngroups++] = (gid_t)json_integer_value(g);
}

struct vm *vm_from_json(const json_t *obj, char *err, size_t errlen)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	if (!vm) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	vm->exit_code = -1;
	json_t *spec = json_deep_copy(obj);
	for (const char *const *f = record_only_fields; spec && *f; f++)
		json_object_del(spec, *f);
	struct api_error aerr;
	if (!spec || vm_spec_from_json(spec, &vm->spec, &aerr) < 0) {
		snprintf(err, errlen, "%s", spec ? aerr.message : "out of memory");
		json_decref(spec);
		vm_destroy(vm);
		return NULL;
	}
	json_decref(spec);
	const char *state = json_string_value(json_object_get(obj, "state"));
	vm->state = VM_FAILED;
	for (int s = VM_STARTING; state && s <= VM_FAILED; s++)
		if (strcmp(state, vm_state_name((enum vm_state)s)) == 0)
			vm->state = (enum vm_state)s;
	const char *cpus = json_string_value(json_object_get(obj, "cpus"));
	char why[128];
	if (cpus && cpu_bits_parse_list(cpus, &vm->cpus, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "cpus: %s", why);
		vm_destroy(vm);
		return NULL;
	}
	const char *s;
	if ((s = json_string_value(json_object_get(obj, "console"))))
		snprintf(vm->console_path, sizeof(vm->console_path), "%s", s);
	if ((s = json_string_value(json_object_get(obj, "domain"))))
		snprintf(vm->commodity.domain, sizeof(vm->commodity.domain), "%s", s);
	if ((s = json_string_value(json_object_get(obj, "booted_kernel"))))
		snprintf(vm->hpc.kernel, sizeof(vm->hpc.kernel), "%s", s);
	if ((s = json_string_value(json_object_get(obj, "exit_reason"))))
		snprintf(vm->exit_reason, sizeof(vm->exit_reason), "%s", s);
	vm->created = (time_t)json_integer_value(json_object_get(obj, "created"));
	vm->hpc.pid = (pid_t)json_integer_value(json_object_get(obj, "pid"));
	vm->hpc.start_time =
		(unsigned long long)json_integer_value(json_object_get(obj, "start_time"));
	if (json_object_get(obj, "exit_code"))
		vm->exit_code = (int)json_integer_value(json_object_get(obj, "exit_code"));
	owner_from_json(json_object_get(obj, "owner"), &vm->owner);
	return vm;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	if (vm->hpc.launch_pending)
		close(vm->hpc.launch_fd);
	vm_spec_free(&vm->spec);
	free(vm);
}

static void record_path(char *out, size_t len, const char *state_dir, const char *name)
{
	snprintf(out, len, "%s/vms/%s.json", state_dir, name);
}

int vm_record_save(const struct vm *vm, const char *state_dir, char *err, size_t errlen)
{
	char dir[1024], path[1100], tmp[1200];
	snprintf(dir, sizeof(dir), "%s/vms", state_dir);
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	record_path(path, sizeof(path), state_dir, vm->spec.name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	json_t *o = vm_to_json(vm);
	int rc = o ? json_dump_file(o, tmp, JSON_INDENT(2)) : -1;
	json_decref(o);
	if (rc < 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int vm_record_remove(const char *name, const char *state_dir)
{
	char path[1100];
	record_path(path, sizeof(path), state_dir, name);
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

struct vm *vm_record_load_all(const char *state_dir)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/vms", state_dir);
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	struct vm *head = NULL;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		char path[1300], err[256];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		json_error_t jerr;
		json_t *o = json_load_file(path, 0, &jerr);
		struct vm *vm = o ? vm_from_json(o, err, sizeof(err)) : NULL;
		if (!o)
			snprintf(err, sizeof(err), "%s", jerr.text);
		json_decref(o);
		if (!vm) {
			fprintf(stderr, "dsvd: skipping VM record %s: %s\n", path, err);
			continue;
		}
		vm->next = head;
		head = vm;
	}
	closedir(d);
	return head;
}
