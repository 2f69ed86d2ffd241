/*
 * Internal to the combiners (trace_combine.c, trace_capped.c): the span
 * identity Tempo deduplicates by, and a set of those tokens.
 */
#ifndef TC_ENCODING_SPAN_SET_H
#define TC_ENCODING_SPAN_SET_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"

/* The fields of a Span the combiners read (proto3: the last occurrence wins). */
typedef struct tc_span_ident {
	const uint8_t *sid;
	size_t sid_len;
	uint32_t kind;
	uint64_t start;
	uint64_t token; /* Tempo's tokenForID: FNV-1 64 over span_id, then kind as u32 LE */
} tc_span_ident;

/* TC_ECORRUPT with *why and *bad (offset in p) set if the span's fields do not parse. */
int tc_span_ident_read(tc_span_ident *out, const uint8_t *p, size_t len, size_t *bad, const char **why);

/* Open-addressed set of tokens; 0 is kept aside as the empty-slot marker. */
typedef struct tc_span_set {
	tc_buf tab;
	size_t slots, used;
	int has_zero;
} tc_span_set;

void tc_span_set_init(tc_span_set *s);
void tc_span_set_reset(tc_span_set *s);
int tc_span_set_has(const tc_span_set *s, uint64_t t);
int tc_span_set_add(tc_span_set *s, uint64_t t);
void tc_span_set_dispose(tc_span_set *s);

#endif
