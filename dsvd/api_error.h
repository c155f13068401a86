/* An error to report to an API caller: HTTP status, the offending field (may be empty), text. */
#ifndef DSVD_API_ERROR_H
#define DSVD_API_ERROR_H

#include <stddef.h>

struct api_error {
	int status;
	char field[64];
	char message[512];
};

/* Fills err and returns -1, so callers can write `return api_fail(...)`. */
int api_fail(struct api_error *err, int status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
