/* Strict reading of JSON request objects: unknown fields, wrong types and out-of-range numbers
 * are errors that name the field. */
#ifndef DSVD_JSON_FIELDS_H
#define DSVD_JSON_FIELDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api_error.h"

/* Parses text as one JSON object. Malformed JSON or a non-object is a 400. */
json_t *json_parse_object(const char *text, size_t len, struct api_error *err);
/* Every key of obj must be in allowed (NULL-terminated). */
int json_only_fields(const json_t *obj, const char *const *allowed, struct api_error *err);
/* Reads an integer field in [min, max]. *present says whether it was there; a missing required
 * field is an error. */
int json_get_int_range(const json_t *obj, const char *key, bool required, int64_t min, int64_t max,
		       int64_t *out, bool *present, struct api_error *err);
/* Reads a string field of at most maxlen bytes without NUL bytes. Returns NULL when absent. */
int json_get_string(const json_t *obj, const char *key, bool required, size_t maxlen,
		    const char **out, struct api_error *err);

#endif
