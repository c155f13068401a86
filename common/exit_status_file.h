/* hvmm's exit status in a file (hvmm --status-file), so that whoever started hvmm learns it
 * even when it is no longer hvmm's parent (dsvd restarted, even after SIGKILL). hvmm opens
 * the file at start (empty: still running) and, at its end, writes "STATUS\n" in one write()
 * of at most 4 bytes at offset 0: a reader sees the file empty or whole. Opening early also
 * means no path lookup is needed at the end, when hvmm may be jailed and under seccomp. */
#ifndef DSV_EXIT_STATUS_FILE_H
#define DSV_EXIT_STATUS_FILE_H

#include <stddef.h>

/* Creates (or empties) path, mode 0640, O_CLOEXEC. Returns the fd, or -1 with a message. */
int exit_status_file_open(const char *path, char *err, size_t errlen);
/* Writes status (0-255) and closes fd. Returns 0, or -1 with errno set. */
int exit_status_file_record(int fd, int status);
/* 1: *status read (0-255); 0: no status yet (the file is missing or empty); -1: the file
 * exists but does not hold a status (anything else in it is refused, not guessed at). */
int exit_status_file_read(const char *path, int *status);

#endif
