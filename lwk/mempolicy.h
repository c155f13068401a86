/* NUMA memory policies (sys_mempolicy.c): set_mempolicy, get_mempolicy, mbind and
 * set_mempolicy_home_node, answered by the kernel. */
#ifndef LWK_MEMPOLICY_H
#define LWK_MEMPOLICY_H

#include "kernel.h"

/* [a, b) was unmapped: the mbind policies there go with it, as with a Linux VMA. Called
 * with the address-space lock held; takes only the policy lock. */
void mpol_forget(uint64_t a, uint64_t b);

#endif
