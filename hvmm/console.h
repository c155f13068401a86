/* The guest console: DSV_HC_CONSOLE_WRITE and the ioeventfd-driven console ring. */
#ifndef HVMM_CONSOLE_H
#define HVMM_CONSOLE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

struct console {
	int out_fd; /* stdout, or the --log file */
	pthread_mutex_t lock;
	/* Registered ring (DSV_HC_CONSOLE_RING); data_gpa == 0 when none. */
	uint64_t ring_gpa;
	uint32_t ring_size; /* from the registration, never re-read from the guest */
	uint64_t bytes;	    /* bytes written, for --stats */
};

void console_init(struct console *c, int out_fd);
void console_write(struct console *c, const void *buf, size_t len);

/* Checks and records a ring registration. Returns 0 or -EINVAL/-EFAULT. */
int console_ring_register(struct console *c, const struct guest_mem *gm, uint64_t gpa,
			  uint64_t size);

/* Copies what the guest has produced into the ring out to the console. */
void console_ring_drain(struct console *c, const struct guest_mem *gm);

#endif
