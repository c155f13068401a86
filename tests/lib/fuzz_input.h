/* The fuzzer's bytes, consumed front to back; past the end every byte reads as 0. */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t byte(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* A little-endian value of the next bytes (1 to 8). */
static inline uint64_t u64(struct in *in, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)byte(in) << (8 * i);
	return v;
}

#endif
