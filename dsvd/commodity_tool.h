/* Runs a helper program (qemu-img, genisoimage) without a shell, with a time limit, keeping
 * the end of its stderr for the error message. */
#ifndef DSVD_COMMODITY_TOOL_H
#define DSVD_COMMODITY_TOOL_H

#include <stddef.h>

/* 0 when argv[0] (searched in PATH) exits 0 within timeout_s; -1 with why filled otherwise. */
int tool_run(char *const argv[], unsigned timeout_s, char *why, size_t whylen);

#endif
