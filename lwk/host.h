/* The host the lwk runs under: hvmm (hypercalls on port 0x600) or QEMU via PVH (serial,
 * debugcon and isa-debug-exit; stdio only). Every buffer argument is a guest-physical
 * address, as in include/dsv/hypercall.h; results are Linux results (>= 0 or -errno). */
#ifndef LWK_HOST_H
#define LWK_HOST_H

#include "kernel.h"

enum host_kind {
	HOST_HVMM,
	HOST_QEMU
};
extern enum host_kind host_kind;

int64_t host_call(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		  uint64_t a5);
int64_t hvmm_call(uint32_t nr, const uint64_t args[6]);
/* A call that may block, made through an hvmm worker while the calling thread waits and
 * its vCPU runs others (host_async.c); false: make it synchronously instead. */
bool host_call_async(uint32_t nr, const uint64_t args[6], int64_t *ret);
/* The offload ring (host_ring.c): registered once at boot on vCPU 0; a file or descriptor
 * call made through it returns true with *ret, false: make it another way. */
void host_ring_init(void);
bool host_call_ring(uint32_t nr, const uint64_t args[6], int64_t *ret);
int64_t qemu_call(uint32_t nr, const uint64_t args[6]);
/* Under QEMU: the first debugcon line, DSV_QEMU_BOOT_LINE (the exit status will follow). */
void qemu_announce(void);

/* Kernel diagnostics (stderr side). */
void host_log(const char *msg, size_t len);
NORETURN void host_exit(int status);
NORETURN void host_abort(const char *msg, size_t len);

#endif
