/* The native twin of loop.elf: same loop, same output format, same exit status. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>

#include "compute.h"

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 42;
	uint64_t t0 = __rdtsc(), r = compute_loop(n, seed), t1 = __rdtsc();

	printf("result 0x%016" PRIx64 "\ncycles %" PRIu64 "\n", r, t1 - t0);
	return (int)(r & 0x7f);
}
