/* hvmm's own messages: errors and warnings on stderr (and the --log file), verbose notes. */
#ifndef HVMM_LOG_H
#define HVMM_LOG_H

#include <stdio.h>

void log_set_file(FILE *f); /* also copy every message to f (the --log file) */
void log_set_verbose(int level);
int log_verbose(void);

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* -v only */

/* Writes raw bytes (guest diagnostics) to stderr, or to the --log file when set. */
void log_guest(const void *buf, size_t len);

#endif
