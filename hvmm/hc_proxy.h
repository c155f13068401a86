/*
 * The offload ring's proxy thread (docs/hvmm.md "The offload proxy"): polls the ring while
 * calls come, sleeps on the doorbell's ioeventfd when they stop.
 */
#ifndef HVMM_HC_PROXY_H
#define HVMM_HC_PROXY_H

#include "hc_ring.h"

/*
 * How long the proxy keeps polling after the last call before it sleeps. A sleeping proxy
 * costs the next call a doorbell (a trap into the host kernel: 2 us on the AMD host, about
 * 50 on the Intel one) and a thread wake-up; a polling one costs a housekeeping CPU. 100 us
 * covers the gaps between the calls of a program that is busy with I/O (each call is a few
 * us on the host) and of an MPI progress loop, and keeps an idle VM's cost to 100 us of one
 * housekeeping CPU after its last call.
 */
#define HC_PROXY_SPIN_NS 100000ull

/* Runs until exit_fd is readable or *stop is set (then a signal ends its sleep).
 * doorbell_fd: the ioeventfd of DSV_RING_DOORBELL_PORT, also written when the ring is
 * registered. */
void hc_proxy_run(struct hc_ring *r, int doorbell_fd, int exit_fd, const atomic_int *stop);

#endif
