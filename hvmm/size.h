/* Memory sizes as users write them: "512M", "2G", "64MiB", "1048576". */
#ifndef HVMM_SIZE_H
#define HVMM_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* Parses s (binary units K/M/G/T, optional "iB"/"B") into bytes. 0 on success, -1 on error. */
int size_parse(const char *s, uint64_t *out, char *err, size_t errlen);

#endif
