#include "journal.h"

#include <dirent.h>
#include <sched.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void journal_init(struct journal *j, bool fake)
{
	memset(j, 0, sizeof(*j));
	j->fake = fake;
}

void journal_free(struct journal *j)
{
	free(j->entries);
	j->entries = NULL;
	j->count = j->cap = 0;
}

static struct journal_entry *journal_push(struct journal *j, enum journal_kind kind,
					  const char *path)
{
	if (j->count == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 32;
		struct journal_entry *e = realloc(j->entries, cap * sizeof(*e));
		if (!e)
			return NULL;
		j->entries = e;
		j->cap = cap;
	}
	struct journal_entry *e = &j->entries[j->count++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	snprintf(e->path, sizeof(e->path), "%s", path);
	return e;
}

int journal_set(struct journal *j, const char *path, const char *value, char *err, size_t errlen)
{
	char old[HOSTFS_VALUE_MAX];
	if (hostfs_read(path, old, sizeof(old), err, errlen) < 0)
		return -1;
	if (strcmp(old, value) == 0)
		return 0;
	if (hostfs_write(path, value, err, errlen) < 0)
		return -1;
	struct journal_entry *e = journal_push(j, JOURNAL_FILE, path);
	if (!e) {
		hostfs_write(path, old, err, errlen);
		snprintf(err, errlen, "out of memory recording %s", path);
		return -1;
	}
	snprintf(e->old, sizeof(e->old), "%s", old);
	return 0;
}

const char *journal_original(const struct journal *j, const char *path)
{
	for (size_t i = 0; i < j->count; i++)
		if (j->entries[i].kind == JOURNAL_FILE && strcmp(j->entries[i].path, path) == 0)
			return j->entries[i].old;
	return NULL;
}

size_t journal_index_of(const struct journal *j, const char *path)
{
	for (size_t i = 0; i < j->count; i++)
		if (strcmp(j->entries[i].path, path) == 0)
			return i;
	return j->count;
}

int journal_set_at(struct journal *j, size_t pos, const char *path, const char *value, char *err,
		   size_t errlen)
{
	if (journal_original(j, path))
		return hostfs_write(path, value, err, errlen);
	size_t before = j->count;
	if (journal_set(j, path, value, err, errlen) < 0)
		return -1;
	if (j->count == before || pos >= before)
		return 0; /* unchanged, or already last */
	struct journal_entry e = j->entries[before];
	memmove(&j->entries[pos + 1], &j->entries[pos], (before - pos) * sizeof(e));
	j->entries[pos] = e;
	return 0;
}

int journal_record(struct journal *j, const char *path, const char *undo_value, char *err,
		   size_t errlen)
{
	struct journal_entry *e = journal_push(j, JOURNAL_FILE, path);
	if (!e) {
		snprintf(err, errlen, "out of memory recording %s", path);
		return -1;
	}
	snprintf(e->old, sizeof(e->old), "%s", undo_value);
	return 0;
}

int journal_mkdir(struct journal *j, const char *path, char *err, size_t errlen)
{
	if (mkdir(path, 0755) < 0) {
		if (errno == EEXIST)
			snprintf(err, errlen,
				 "%s already exists: another dsvd holds a partition on this "
				 "host, or one crashed without its state (rmdir it first)",
				 path);
		else
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (!journal_push(j, JOURNAL_MKDIR, path)) {
		rmdir(path);
		snprintf(err, errlen, "out of memory recording %s", path);
		return -1;
	}
	return 0;
}

/* Writes each pid listed in from to the tasks file to. */
static unsigned move_pids(const char *from, const char *to)
{
	FILE *f = fopen(from, "re");
	if (!f)
		return 0;
	unsigned moved = 0;
	char line[32], err[256];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] && hostfs_write(to, line, err, sizeof(err)) == 0)
			moved++;
	}
	fclose(f);
	return moved;
}

/* The start time (field 22 of /proc/TID/stat) identifies a task across pid reuse. */
static int task_start_time(unsigned long tid, unsigned long long *start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%lu/stat", tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	/* after ") " come fields 3.. : skip 19 fields to reach field 22 */
	p += 2;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	return sscanf(p, "%llu", start) == 1 ? 0 : -1;
}

static int record_affinities(struct journal *j, const char *from_tasks, const struct cpu_bits *all)
{
	FILE *f = fopen(from_tasks, "re");
	if (!f)
		return 0;
	char line[32];
	while (fgets(line, sizeof(line), f)) {
		unsigned long tid = strtoul(line, NULL, 10);
		cpu_set_t mask;
		unsigned long long start;
		if (tid == 0 || sched_getaffinity((pid_t)tid, sizeof(mask), &mask) < 0 ||
		    task_start_time(tid, &start) < 0)
			continue;
		struct cpu_bits bits;
		cpu_bits_clear(&bits);
		for (unsigned c = 0; c < CPU_SETSIZE && c < CPUSET_MAX_CPUS; c++)
			if (CPU_ISSET(c, &mask))
				cpu_bits_set(&bits, c);
		if (cpu_bits_subset(all, &bits))
			continue;
		char key[64];
		snprintf(key, sizeof(key), "%lu:%llu", tid, start);
		struct journal_entry *e = journal_push(j, JOURNAL_AFFINITY, key);
		if (!e) {
			fclose(f);
			return -1;
		}
		cpu_bits_format_list(&bits, e->old, sizeof(e->old));
	}
	fclose(f);
	return 0;
}

static void restore_affinity(const struct journal_entry *e)
{
	unsigned long tid;
	unsigned long long start, now;
	if (sscanf(e->path, "%lu:%llu", &tid, &start) != 2 || task_start_time(tid, &now) < 0 ||
	    now != start)
		return; /* the task is gone */
	struct cpu_bits bits;
	char why[128];
	if (cpu_bits_parse_list(e->old, &bits, why, sizeof(why)) < 0)
		return;
	cpu_set_t mask;
	CPU_ZERO(&mask);
	for (unsigned c = 0; c < CPU_SETSIZE && c < CPUSET_MAX_CPUS; c++)
		if (cpu_bits_has(&bits, c))
			CPU_SET(c, &mask);
	sched_setaffinity((pid_t)tid, sizeof(mask), &mask);
}

int journal_move_tasks(struct journal *j, const char *from_tasks, const char *to_tasks,
		       const struct cpu_bits *all, unsigned *moved, char *err, size_t errlen)
{
	if (all && record_affinities(j, from_tasks, all) < 0) {
		snprintf(err, errlen, "out of memory recording task affinities");
		return -1;
	}
	struct journal_entry *e = journal_push(j, JOURNAL_TASKS_MOVED, from_tasks);
	if (!e) {
		snprintf(err, errlen, "out of memory recording a task move");
		return -1;
	}
	snprintf(e->to, sizeof(e->to), "%s", to_tasks);
	*moved = move_pids(from_tasks, to_tasks);
	return 0;
}

static bool tasks_empty(const char *tasks)
{
	FILE *f = fopen(tasks, "re");
	if (!f)
		return true;
	int ch = fgetc(f);
	fclose(f);
	return ch == EOF;
}

/* Moves tasks until none are left: tasks still in the cgroup keep forking into it while a
 * pass runs (a busy host, a build). Gives up after a bounded number of passes. */
static void drain_tasks(const char *from, const char *to)
{
	for (int pass = 0; pass < 50 && !tasks_empty(from); pass++) {
		if (move_pids(from, to) == 0) {
			struct timespec ts = { 0, 10 * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
}

/* rmdir of a real cgroup: empty it into its parent first, retry while it is busy. */
static int remove_cgroup_dir(const char *path, char *err, size_t errlen)
{
	char tasks[600], parent[600], parent_tasks[700];
	snprintf(tasks, sizeof(tasks), "%s/tasks", path);
	snprintf(parent, sizeof(parent), "%s", path);
	char *slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	snprintf(parent_tasks, sizeof(parent_tasks), "%s/tasks", parent);
	for (int attempt = 0; attempt < 20; attempt++) {
		if (hostfs_exists(tasks))
			drain_tasks(tasks, parent_tasks);
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
	snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
	return -1;
}

/* In a fake tree a "cgroup" directory holds the plain files we wrote; the kernel's cgroupfs
 * removes them itself on rmdir. */
static void empty_fake_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_REG)
			continue;
		char p[1024];
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		unlink(p);
	}
	closedir(d);
}

static int undo_entry(const struct journal *j, const struct journal_entry *e, char *err,
		      size_t errlen)
{
	switch (e->kind) {
	case JOURNAL_FILE:
		/* gone with its cgroup (a VM's libvirt cgroup) or device: nothing left to restore */
		if (!j->fake && !hostfs_exists(e->path))
			return 0;
		return hostfs_write(e->path, e->old, err, errlen);
	case JOURNAL_MKDIR:
		if (!j->fake)
			return remove_cgroup_dir(e->path, err, errlen);
		empty_fake_dir(e->path);
		if (rmdir(e->path) < 0 && errno != ENOENT) {
			snprintf(err, errlen, "cannot remove %s: %s", e->path, strerror(errno));
			return -1;
		}
		return 0;
	case JOURNAL_TASKS_MOVED:
		if (j->fake)
			move_pids(e->to, e->path);
		else
			drain_tasks(e->to, e->path);
		return 0;
	case JOURNAL_AFFINITY:
		restore_affinity(e);
		return 0;
	}
	return 0;
}

int journal_undo(struct journal *j, char *err, size_t errlen)
{
	int rc = 0;
	char one[512];
	size_t kept = 0;
	bool *failed = calloc(j->count ? j->count : 1, sizeof(bool));
	for (size_t i = j->count; i-- > 0;) {
		if (undo_entry(j, &j->entries[i], one, sizeof(one)) < 0) {
			if (failed)
				failed[i] = true;
			if (rc == 0)
				snprintf(err, errlen, "%s", one);
			rc = -1;
		}
	}
	/* what could not be restored stays in the journal, so a later release can retry it */
	for (size_t i = 0; failed && i < j->count; i++)
		if (failed[i])
			j->entries[kept++] = j->entries[i];
	free(failed);
	j->count = kept;
	return rc;
}

static const char *kind_name(enum journal_kind k)
{
	switch (k) {
	case JOURNAL_FILE:
		return "file";
	case JOURNAL_MKDIR:
		return "mkdir";
	case JOURNAL_TASKS_MOVED:
		return "tasks_moved";
	case JOURNAL_AFFINITY:
		return "affinity";
	}
	return "?";
}

json_t *journal_to_json(const struct journal *j)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < j->count; i++) {
		const struct journal_entry *e = &j->entries[i];
		json_t *o = json_pack("{s:s, s:s}", "kind", kind_name(e->kind), "path", e->path);
		if (!o)
			continue;
		if (e->kind == JOURNAL_FILE || e->kind == JOURNAL_AFFINITY)
			json_object_set_new(o, "old", json_string(e->old));
		if (e->kind == JOURNAL_TASKS_MOVED)
			json_object_set_new(o, "to", json_string(e->to));
		json_array_append_new(arr, o);
	}
	return arr;
}

int journal_from_json(struct journal *j, const json_t *arr, char *err, size_t errlen)
{
	if (!json_is_array(arr)) {
		snprintf(err, errlen, "journal: expected an array");
		return -1;
	}
	size_t i;
	const json_t *o;
	json_array_foreach(arr, i, o)
	{
		const char *kind = json_string_value(json_object_get(o, "kind"));
		const char *path = json_string_value(json_object_get(o, "path"));
		if (!kind || !path) {
			snprintf(err, errlen, "journal entry %zu: missing kind or path", i);
			return -1;
		}
		enum journal_kind k;
		if (strcmp(kind, "file") == 0)
			k = JOURNAL_FILE;
		else if (strcmp(kind, "mkdir") == 0)
			k = JOURNAL_MKDIR;
		else if (strcmp(kind, "tasks_moved") == 0)
			k = JOURNAL_TASKS_MOVED;
		else if (strcmp(kind, "affinity") == 0)
			k = JOURNAL_AFFINITY;
		else {
			snprintf(err, errlen, "journal entry %zu: unknown kind '%s'", i, kind);
			return -1;
		}
		struct journal_entry *e = journal_push(j, k, path);
		if (!e) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		const char *old = json_string_value(json_object_get(o, "old"));
		const char *to = json_string_value(json_object_get(o, "to"));
		if ((k == JOURNAL_FILE || k == JOURNAL_AFFINITY) && !old) {
			snprintf(err, errlen, "journal entry %zu: missing old value", i);
			return -1;
		}
		if (k == JOURNAL_TASKS_MOVED && !to) {
			snprintf(err, errlen, "journal entry %zu: missing 'to'", i);
			return -1;
		}
		if (old)
			snprintf(e->old, sizeof(e->old), "%s", old);
		if (to)
			snprintf(e->to, sizeof(e->to), "%s", to);
	}
	return 0;
}
