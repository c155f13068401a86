/* Common boot path for both entries (hvmm's direct 64-bit entry and PVH). */
#ifndef LWK_BOOT_H
#define LWK_BOOT_H

#include "kernel.h"
#include <dsv/bootinfo.h>

/* The BSP's path once a struct dsv_bootinfo exists (copied into kernel memory). */
NORETURN void boot_bsp(const struct dsv_bootinfo *bi);
void boot_entry(uint64_t index, uint64_t bootinfo_gpa);
/* hvmm -v: the lwk reports what it did at exit too */
extern bool lwk_verbose;

#endif
