/*
 * Test-side view of a trace body: the raw bytes of every span, sorted, so
 * two bodies can be compared as span multisets independent of order. It
 * has its own tiny wire walker on purpose: it must not share code with the
 * combiner it checks.
 */
#ifndef TC_TEST_SPANS_H
#define TC_TEST_SPANS_H

#include <stddef.h>
#include <stdint.h>

typedef struct tc_test_span {
	const uint8_t *p;
	size_t len;
} tc_test_span;

typedef struct tc_test_spans {
	tc_test_span *s;
	size_t n, cap;
} tc_test_spans;

/* Appends the spans of a v2 (prefixed) or v1 body; -1 if it does not decode. */
int tc_test_spans_of(tc_test_spans *out, const uint8_t *body, size_t len, int v2);
void tc_test_spans_sort(tc_test_spans *s);
/* 1 when both hold the same spans byte for byte (both sorted). */
int tc_test_spans_equal(const tc_test_spans *a, const tc_test_spans *b);
/* 1 when every span of a is in b, as many times (both sorted). */
int tc_test_spans_subset(const tc_test_spans *a, const tc_test_spans *b);
void tc_test_spans_free(tc_test_spans *s);

#endif
