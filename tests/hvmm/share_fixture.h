/*
 * The temp tree the file-offload fuzz targets (fuzz_fileio, fuzz_hypercall) run against:
 *   BASE/share       the guest's share, emptied before every input
 *   BASE/outside     holds "canary"; nothing a guest does may change it
 *   BASE/<extra>     more directories holding "canary" (e.g. a sibling "share2")
 * BASE is in /dev/shm (or /tmp) and removed at exit or when a check fails.
 */
#ifndef FUZZ_SHARE_FIXTURE_H
#define FUZZ_SHARE_FIXTURE_H

#include <limits.h>

struct fileio;

struct share_fixture {
	char base[PATH_MAX];
	char share[PATH_MAX + 16];
	char outside[PATH_MAX + 16];
	int null_fd;   /* /dev/null, open for the whole run */
	int lowest_fd; /* first free host fd before an input: a leak raises it */
};

extern struct share_fixture fx;

/* Creates the tree; prog names the target in messages, extra[] (NULL-ended) may be NULL. */
void fixture_init(const char *prog, const char *const *extra);
/* Reports what, removes the tree and aborts, so that libFuzzer keeps the input. */
_Noreturn void fixture_die(const char *what);
/* Writes dir/name with content. */
void fixture_put(const char *dir, const char *name, const char *content);
/* Per input: notes the lowest free fd and empties the share. */
void fixture_begin_input(void);
/* fileio_create on the share with fds 0-2 on /dev/null (the guest's stdio are ours). */
struct fileio *fixture_open_share(void);
/* After an input: the entries and canaries outside the share are as created, no fd leaked. */
void fixture_check_outside(void);

#endif
