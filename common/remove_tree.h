/* Removing a directory that an unprivileged user could write into, as root: a job's or a
 * VM's /dev/shm (dsvd/shm_group.c, slurm/step_shm.c). Never follows a symbolic link. */
#ifndef DSV_COMMON_REMOVE_TREE_H
#define DSV_COMMON_REMOVE_TREE_H

/* How deep the removal follows directories inside the one removed; deeper ones stay (and so
 * does the top directory, which is then reported as not removed). */
#define REMOVE_TREE_DEPTH 16

/* Removes NAME in the directory dirfd and, when it is a directory, what it holds: every
 * entry is reached through descriptors opened with O_NOFOLLOW, so a link, even one swapped in
 * meanwhile, is removed itself, never followed. Returns 0 when NAME is gone (or was never
 * there), -1 with errno otherwise. */
int remove_tree_at(int dirfd, const char *name);

#endif
