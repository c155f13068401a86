/* A VM's console is complete only once its last writer is gone: virtlogd (commodity) or the
 * agent's console writer (hpc) may still be copying the guest's last lines when the VM is
 * seen to end. */
#ifndef DSVD_CONSOLE_SETTLE_H
#define DSVD_CONSOLE_SETTLE_H

#include <stdbool.h>

/* Whether no process holds path open for writing (read-only holders, e.g. `tail -f`, do not
 * count). A path that does not exist is settled. */
bool console_settled(const char *path);
/* Waits up to wait_ms for console_settled(path). Returns whether it settled. */
bool console_settle(const char *path, int wait_ms);

#endif
