/* A fake host tree (sysfs, procfs, a cgroup v1 cpuset hierarchy) in a temporary directory, and
 * snapshots of it, for testing the partition logic without touching the real host. */
#ifndef DSV_TEST_FAKE_HOST_H
#define DSV_TEST_FAKE_HOST_H

#include <stddef.h>

/* Creates the tree under a new temporary directory; returns its path (static buffer). */
const char *fake_host_create(void);
void fake_host_put(const char *root, const char *rel, const char *content);
/* Reads root/rel into buf (trailing newline removed). */
const char *fake_host_get(const char *root, const char *rel, char *buf, size_t len);
/* Every directory and file with its content, sorted, as one malloc'd string. */
char *fake_host_snapshot(const char *root);
void fake_host_remove(const char *root);
/* The first line that differs between two snapshots, for failure messages (static buffer). */
const char *fake_host_first_difference(const char *a, const char *b);

#endif
