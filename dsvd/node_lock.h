/* The node-wide partition lock: one partition per node, whichever dsvd applies it.
 *
 * The dsv-* cgroups, IRQ affinities and hugepages are the node's, not one agent's: two dsvd
 * processes (two state directories) would create and remove the same ones. The agent that
 * applies a partition holds flock(LOCK_EX) on a well-known file (/run/dsv/partition.lock
 * under the hostfs root) until it releases the partition, and writes its pid and state
 * directory into it, so another agent can say who holds the node. flock goes with the
 * process: a dead holder blocks no one. */
#ifndef DSVD_NODE_LOCK_H
#define DSVD_NODE_LOCK_H

#include <stdbool.h>
#include <stddef.h>

#define NODE_LOCK_PATH "/run/dsv/partition.lock"

struct node_lock {
	int fd; /* -1: not held */
	char path[512];
};

/* What the lock file says: the agent that holds (or last held) the partition. pid 0: nothing
 * recorded. */
struct node_lock_holder {
	long pid;
	char state_dir[512];
};

void node_lock_init(struct node_lock *l, const char *path);
bool node_lock_held(const struct node_lock *l);
/* Takes the lock without waiting (creating the file and its directory). Returns 0 when held
 * (also when l already held it), with *h the record left by an earlier holder that did not
 * release (stopped or died with its partition applied; pid 0 when clean); 1 when another
 * process holds it, with *h its record; -1 on error. */
int node_lock_try(struct node_lock *l, struct node_lock_holder *h, char *err, size_t errlen);
/* Records this process and its state directory in the held lock. */
int node_lock_record(struct node_lock *l, const char *state_dir, char *err, size_t errlen);
/* Unlocks. clear: the partition is gone, erase the record; otherwise (the agent stops with its
 * partition applied) the record stays for the next agent to find. */
void node_lock_release(struct node_lock *l, bool clear);

#endif
