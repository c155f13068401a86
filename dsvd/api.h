/* The REST API: routes a request (method, path, body) to the agent and produces the response
 * (status, body, content type). No HTTP library here, so it is tested directly. */
#ifndef DSVD_API_H
#define DSVD_API_H

#include <stddef.h>

#include "agent.h"

#define API_BODY_MAX (64 * 1024)
#define API_CONSOLE_MAX (1024 * 1024)

struct api_response {
    int status;
    char *body; /* malloc'd */
    const char *content_type;
    const char *allow; /* for 405 */
};

void api_handle(struct agent *a, const char *method, const char *path, const char *body,
                size_t body_len, struct api_response *r);
/* Sets an error response: {"error": message, "field": field}. */
void api_error_response(struct api_response *r, const struct api_error *err);

#endif
