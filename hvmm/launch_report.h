/*
 * --ready-fd N: hvmm tells its launcher, on an inherited descriptor, whether the VM started
 * ("ready") or why not ("error: REASON"), in one line, then closes it (dsv/hvmm_cli.h). The
 * launcher thus never guesses from the exit status (a guest may itself exit 125) or from
 * the console's last line.
 */
#ifndef HVMM_LAUNCH_REPORT_H
#define HVMM_LAUNCH_REPORT_H

#include <stddef.h>

/* Takes fd (-1: no report wanted). Returns 0, or -1 with a reason when fd is not open. */
int launch_report_open(int fd, char *err, size_t errlen);
/* The guest is about to run its first instruction. */
void launch_report_ready(void);
/* hvmm cannot start the VM: reason is one line (newlines become spaces). */
void launch_report_failed(const char *reason);
/* Closes this process's copy without a report: after fork, the process that runs the VM
 * reports, and the launcher must see the end of the pipe when that one is gone. */
void launch_report_detach(void);

#endif
