/* The checks of the payloads that play a hostile guest: a line "ok   NAME" or
 * "FAIL NAME got N" on the console for each, and a count of failures the payload exits
 * with. One per payload (static). */
#ifndef PAYLOAD_EXPECT_H
#define PAYLOAD_EXPECT_H

#include "payload.h"

static int failures;

static void expect(const char *name, int64_t got, int64_t want)
{
	put_str(0, got == want ? "ok   " : "FAIL ");
	put_str(0, name);
	if (got != want) {
		put_str(0, " got ");
		if (got < 0) {
			put_str(0, "-");
			put_u64(0, (uint64_t)-got);
		} else {
			put_u64(0, (uint64_t)got);
		}
		failures++;
	}
	put_str(0, "\n");
}

#endif
