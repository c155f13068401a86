/*
 * The bare KVM exit cost on this host: a bare vCPU (no hvmm) doing port writes, each one a
 * full exit to this process and back, for comparison with hvmm's no-op hypercall.
 */
#ifndef OVH_KVMEXIT_H
#define OVH_KVMEXIT_H

/*
 * Times n port-I/O exits (after a short warm-up) and returns microseconds per round trip,
 * or a negative value with a reason in why.
 */
double ovh_kvm_exit_us(unsigned n, char *why, unsigned long whylen);

#endif
