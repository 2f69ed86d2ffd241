/* A serialised tempopb.Trace as OTLP/JSON, for `tracecompactor query`. */
#ifndef TC_ENCODING_OTLP_JSON_H
#define TC_ENCODING_OTLP_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"
#include "src/util/error.h"

/*
 * Appends {"batches":[...]} in OTLP/JSON shape (camelCase keys, hex trace
 * and span IDs, 64-bit integers as strings). pretty != 0 indents. w names
 * where the trace bytes came from (key, offset of the first byte) for the
 * message of a trace that does not decode.
 */
int tc_otlp_json_write(tc_buf *out, const uint8_t *trace, size_t len, int pretty, const tc_where *w);

#endif
