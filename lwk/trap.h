#ifndef LWK_TRAP_H
#define LWK_TRAP_H

#include "cpu.h"

void trap_dispatch(struct regs *r);
const char *signal_message(int sig);

#endif
