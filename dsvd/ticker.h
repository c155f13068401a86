/* The agent's own clock: between requests it notices VM exits (so that GET /events tells them
 * as they happen, not at the next request) and keeps idle event streams alive. */
#ifndef DSVD_TICKER_H
#define DSVD_TICKER_H

#include "agent.h"

#define TICK_MS 250
#define TICK_KEEPALIVE_S 15

struct ticker;

struct ticker *ticker_start(struct agent *a, char *err, size_t errlen);
void ticker_stop(struct ticker *t);

#endif
