/*
 * Object bodies (docs/FORMAT.md#object-bodies) and the combiner (docs/COMPACTOR.md#combining).
 *
 * Bodies are handled at the protobuf wire level: spans, resources and
 * instrumentation libraries are kept as the bytes they arrived in, so
 * unknown fields survive and a span's bytes never change. Only the fields
 * the combiner needs (span_id 2, kind 6, start_time_unix_nano 7) are read.
 */
#ifndef TC_ENCODING_TRACE_H
#define TC_ENCODING_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"
#include "src/util/error.h"
#include "encoding/page.h"

typedef enum tc_data_kind {
	TC_DATA_V1,     /* bare tempopb.TraceBytes */
	TC_DATA_V2,     /* u32 start | u32 end | tempopb.TraceBytes */
	TC_DATA_OPAQUE, /* any other name: bodies are never looked into */
} tc_data_kind;

tc_data_kind tc_data_kind_of(const char *data_encoding);

typedef struct tc_combine_stats {
	uint64_t objects_combined; /* merges that produced a new body */
	uint64_t spans_deduped;    /* spans dropped because an earlier input had them */
	uint64_t spans_discarded;  /* spans dropped by the max_bytes limit */
	uint64_t traces_truncated; /* combined traces that hit max_bytes */
} tc_combine_stats;

typedef struct tc_combiner tc_combiner;

int tc_combiner_new(tc_combiner **out, tc_data_kind kind);
tc_data_kind tc_combiner_kind(const tc_combiner *c);

/* Whether the n bodies are byte-identical copies (replicas). */
int tc_objects_identical(const tc_object *objs, size_t n);

/*
 * Combines n >= 1 bodies of one trace ID, given in input order.
 * If n == 1 or every body equals objs[0] byte for byte, *combined = 0 and
 * the result is objs[0] itself (out is left alone). Otherwise the bodies are
 * merged as Tempo merges them: the first trace whole, then from each later
 * one only spans whose (span_id, kind) token was not seen, batches and
 * instrumentation libraries without kept spans dropped, then sorted; v2
 * start/end become min/max. The new body is appended to out, *combined = 1.
 * No size cap: see tc_combiner_run_capped. Opaque bodies that differ are
 * TC_EUNSUPPORTED. Undecodable bodies are TC_ECORRUPT naming w and the
 * input index, which *failed (may be NULL) receives.
 */
int tc_combiner_run(tc_buf *out, int *combined, size_t *failed, tc_combiner *c, const tc_object *objs,
		    size_t n, tc_combine_stats *st, const tc_where *w);

/* A body read front to back in pieces: a deferred object, or memory. */
typedef struct tc_body_source {
	/* Points *p at the next n bytes (n <= what is left), valid until the next call. */
	int (*read)(const uint8_t **p, size_t n, void *ctx);
	int (*skip)(uint64_t n, void *ctx);
	void *ctx;
	uint64_t len;
} tc_body_source;

typedef struct tc_body_mem {
	const uint8_t *p;
	size_t len, pos;
} tc_body_mem;

/* A source over len bytes at p; m holds its position. */
void tc_body_source_mem(tc_body_source *s, tc_body_mem *m, const uint8_t *p, size_t len);

/*
 * Combines v1/v2 bodies of one trace under max_bytes (> 0): each source is
 * read once, in input order, and spans are kept while the merged body stays
 * below max_bytes; every later span that is not a duplicate is discarded
 * and counted in st (spans_discarded, traces_truncated). Duplicates are
 * dropped as tc_combiner_run drops them. The result, appended to out, is
 * the merge of the kept spans (a single input comes out with only its
 * kept spans; nothing if every body is empty). Memory: the kept spans
 * once, then the result, never a whole source. Corrupt bodies are TC_ECORRUPT naming w, the input and the offset;
 * *failed is then that input's index.
 */
int tc_combiner_run_capped(tc_buf *out, size_t *failed, tc_combiner *c, tc_body_source *src,
			   size_t n, size_t max_bytes, tc_combine_stats *st, const tc_where *w);
void tc_combiner_free(tc_combiner *c);

/*
 * Fully walks a body down to its spans. Sets *spans (may be NULL: no count)
 * to the span count; TC_ECORRUPT (naming w) if any level fails to decode,
 * or an empty body. Opaque bodies are only checked for being non-empty.
 */
int tc_trace_validate(size_t *spans, tc_data_kind kind, const uint8_t *body, size_t len,
		      const tc_where *w);

/* The v2 start/end prefix; TC_ECORRUPT if the body is shorter than 8 bytes. */
int tc_trace_v2_range(uint32_t *start, uint32_t *end, const uint8_t *body, size_t len,
		      const tc_where *w);

/*
 * Appends the serialised tempopb.Trace that holds every batch of the body
 * (the concatenation of all TraceBytes entries' batches).
 */
int tc_trace_body_to_trace(tc_buf *out, tc_data_kind kind, const uint8_t *body, size_t len,
			   const tc_where *w);

/*
 * Appends a body holding one serialised tempopb.Trace: for v2 with the
 * start/end prefix, for v1 without.
 */
int tc_trace_body_from_trace(tc_buf *out, tc_data_kind kind, uint32_t start, uint32_t end,
			     const uint8_t *trace, size_t len);

#endif
