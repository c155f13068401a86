#include "size.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int unit_shift(const char *u, unsigned *shift)
{
	static const struct {
		const char *name;
		unsigned shift;
	} units[] = {
		{ "", 0 },     { "B", 0 },   { "K", 10 },   { "KB", 10 },  { "KIB", 10 },
		{ "M", 20 },   { "MB", 20 }, { "MIB", 20 }, { "G", 30 },   { "GB", 30 },
		{ "GIB", 30 }, { "T", 40 },  { "TB", 40 },  { "TIB", 40 },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(u, units[i].name) == 0) {
			*shift = units[i].shift;
			return 0;
		}
	}
	return -1;
}

int size_parse(const char *s, uint64_t *out, char *err, size_t errlen)
{
	unsigned long long v;
	unsigned shift;
	char *end;

	if (!s || !isdigit((unsigned char)*s)) {
		snprintf(err, errlen, "bad size '%s': expected a number such as 512M or 2G",
			 s ? s : "");
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno) {
		snprintf(err, errlen, "bad size '%s': number too large", s);
		return -1;
	}
	if (unit_shift(end, &shift)) {
		snprintf(err, errlen, "bad size '%s': unknown unit '%s' (use K, M, G or T)", s,
			 end);
		return -1;
	}
	if (shift && v > (UINT64_MAX >> shift)) {
		snprintf(err, errlen, "bad size '%s': too large", s);
		return -1;
	}
	*out = (uint64_t)v << shift;
	return 0;
}
