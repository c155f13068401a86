/* A VM's console file with a size cap. hvmm writes into a pipe; a small process of the agent's
 * (it outlives the agent, like hvmm, and ends when the pipe closes) copies it into the file and
 * keeps it under the cap: past it, the older half goes and a marker line says so, so the end
 * of the output (a guest's last lines, hvmm's reason for stopping) is always there. */
#ifndef DSVD_CONSOLE_LOG_H
#define DSVD_CONSOLE_LOG_H

#include <stddef.h>
#include <stdint.h>

/* Creates path (truncated) and starts its writer. Returns the pipe's write end (O_CLOEXEC),
 * or -1 with err. max_bytes must be at least 4096. */
int console_log_start(const char *path, uint64_t max_bytes, char *err, size_t errlen);

#endif
