#include "api_error.h"

#include <stdarg.h>
#include <stdio.h>

int api_fail(struct api_error *err, int status, const char *field, const char *fmt, ...)
{
	err->status = status;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	char msg[sizeof(err->message)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (field && field[0])
		snprintf(err->message, sizeof(err->message), "%s: %s", field, msg);
	else
		snprintf(err->message, sizeof(err->message), "%s", msg);
	return -1;
}
