#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <unistd.h>

static FILE *log_file;
static int verbose;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_file(FILE *f)
{
	log_file = f;
}

void log_set_verbose(int level)
{
	verbose = level;
}

int log_verbose(void)
{
	return verbose;
}

static void emit(int to_stderr, const char *tag, const char *fmt, va_list ap)
{
	va_list ap2;

	va_copy(ap2, ap);
	pthread_mutex_lock(&log_lock);
	if (to_stderr) {
		fprintf(stderr, "hvmm: %s", tag);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	if (log_file) {
		fprintf(log_file, "hvmm: %s", tag);
		vfprintf(log_file, fmt, ap2);
		fputc('\n', log_file);
		fflush(log_file);
	}
	pthread_mutex_unlock(&log_lock);
	va_end(ap2);
}

void log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(1, "error: ", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(1, "warning: ", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	emit(!log_file, "", fmt, ap);
	va_end(ap);
}

void log_guest(const void *buf, size_t len)
{
	pthread_mutex_lock(&log_lock);
	if (log_file) {
		fwrite(buf, 1, len, log_file);
		fflush(log_file);
	} else {
		const char *p = buf;

		while (len) {
			ssize_t w = write(STDERR_FILENO, p, len);

			if (w <= 0)
				break;
			p += w;
			len -= (size_t)w;
		}
	}
	pthread_mutex_unlock(&log_lock);
}
