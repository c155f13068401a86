/* PVH boot (QEMU/libvirt -kernel): pvh.S, pvh.c, pvh_smp.c. */
#ifndef LWK_PVH_H
#define LWK_PVH_H

#include "kernel.h"
#include <dsv/abi.h>

extern uint8_t pvh_vif_pages[DSV_MAX_VCPUS][4096];

void pvh_main(uint32_t start_info);
void pvh_ap_main(uint32_t index);
void pvh_enable_fpu_state(void);
/* Starts the other CPUs listed in the ACPI MADT; returns the vCPU count (>= 1). */
uint32_t pvh_start_aps(uint64_t rsdp_pa, uint64_t tsc_khz, bool pvm);

#endif
