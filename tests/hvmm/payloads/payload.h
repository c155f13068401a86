/* Minimal runtime for hvmm's test payloads: hypercalls, console, command line. */
#ifndef PAYLOAD_H
#define PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "dsv/bootinfo.h"
#include "dsv/hypercall.h"

/* Called on every vCPU. */
void payload_main(uint64_t vcpu, const struct dsv_bootinfo *bi);

/* One hypercall block per vCPU: calls never share one. */
int64_t hcall(uint64_t vcpu, uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2);
/* Sends a raw port write with value (to test hvmm's validation of blocks). */
void hport_out32(uint16_t port, uint32_t value);
void hport_out8(uint16_t port, uint8_t value);

void put_str(uint64_t vcpu, const char *s);
void put_u64(uint64_t vcpu, uint64_t v); /* decimal */
void put_hex(uint64_t vcpu, uint64_t v);
__attribute__((noreturn)) void guest_exit(uint64_t vcpu, int status);

/* Value of "key=N" in the command line, or def. */
uint64_t cmdline_u64(const struct dsv_bootinfo *bi, const char *key, uint64_t def);

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

size_t pl_strlen(const char *s);

#endif
