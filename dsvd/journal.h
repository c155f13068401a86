/* The change journal: every host value the partition changed, with the value it had before, so
 * that release (or a rollback after a failed apply) restores each one exactly, in reverse order. */
#ifndef DSVD_JOURNAL_H
#define DSVD_JOURNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cpuset_bits.h"
#include "hostfs.h"

enum journal_kind {
	JOURNAL_FILE,	     /* path had value old; restore writes old back */
	JOURNAL_MKDIR,	     /* path was created; restore removes it */
	JOURNAL_TASKS_MOVED, /* tasks were moved from path (a tasks file) to to; restore moves back */
	JOURNAL_AFFINITY,    /* path is "tid:starttime", old its CPU affinity list before a move */
};

struct journal_entry {
	enum journal_kind kind;
	char path[512];
	char to[512];
	char old[HOSTFS_VALUE_MAX];
};

struct journal {
	struct journal_entry *entries;
	size_t count, cap;
	bool fake; /* fake host tree: directories hold plain files and need emptying on removal */
};

void journal_init(struct journal *j, bool fake);
void journal_free(struct journal *j);

/* Writes value to path after recording its current value. No-op (nothing recorded) when the
 * current value already equals value. */
int journal_set(struct journal *j, const char *path, const char *value, char *err, size_t errlen);
/* The value path had before the partition first changed it, or NULL when it is not in the
 * journal (a live change reads what to steer from it, so release still restores the first). */
const char *journal_original(const struct journal *j, const char *path);
/* The index of the first entry for path (any kind), or j->count when there is none. */
size_t journal_index_of(const struct journal *j, const char *path);
/* journal_set, but the entry is inserted at index pos (<= count), so that a restore runs it
 * after the entries from pos on: a cgroup first changed by a live change must get its old CPUs
 * back only after its parent (and the exclusive HPC cpuset) gave them up. A path already in the
 * journal is only written: its first entry keeps the value to restore. */
int journal_set_at(struct journal *j, size_t pos, const char *path, const char *value, char *err,
		   size_t errlen);
/* Records that path must be set to undo_value on restore (for files written as operations,
 * like cgroup.subtree_control, whose old value is not what undoes the write). */
int journal_record(struct journal *j, const char *path, const char *undo_value, char *err,
		   size_t errlen);
/* Creates a directory and records it. An existing one is an error: it is not ours to remove. */
int journal_mkdir(struct journal *j, const char *path, char *err, size_t errlen);
/* Moves every task listed in from_tasks into to_tasks (failures for unmovable tasks such as
 * per-CPU kernel threads are skipped) and records the move. On the real host (all != NULL) the
 * affinity of each task whose affinity is not all is recorded first, since a cpuset move resets
 * it. Reports how many moved. */
int journal_move_tasks(struct journal *j, const char *from_tasks, const char *to_tasks,
		       const struct cpu_bits *all, unsigned *moved, char *err, size_t errlen);

/* Restores every entry in reverse order; keeps going on errors and reports the first one.
 * Entries restored leave the journal; those that failed stay for a retry. */
int journal_undo(struct journal *j, char *err, size_t errlen);

json_t *journal_to_json(const struct journal *j);
int journal_from_json(struct journal *j, const json_t *arr, char *err, size_t errlen);

#endif
