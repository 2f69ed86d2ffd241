#include "tests/spans.h"

#include <stdlib.h>
#include <string.h>

#include "src/util/array.h"

static int varint(uint64_t *v, const uint8_t *p, size_t len, size_t *pos)
{
	*v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*pos >= len)
			return -1;
		uint8_t b = p[(*pos)++];
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
	}
	return -1;
}

/* Calls fn for every length-delimited field `field` of the message. */
static int each_field(const uint8_t *p, size_t len, uint32_t field,
		      int (*fn)(void *, const uint8_t *, size_t), void *ctx)
{
	size_t pos = 0;
	while (pos < len) {
		uint64_t key, v;
		if (varint(&key, p, len, &pos) < 0)
			return -1;
		switch (key & 7) {
		case 0:
			if (varint(&v, p, len, &pos) < 0)
				return -1;
			break;
		case 1:
			if (len - pos < 8)
				return -1;
			pos += 8;
			break;
		case 5:
			if (len - pos < 4)
				return -1;
			pos += 4;
			break;
		case 2:
			if (varint(&v, p, len, &pos) < 0 || v > len - pos)
				return -1;
			if ((key >> 3) == field && fn(ctx, p + pos, (size_t)v) < 0)
				return -1;
			pos += (size_t)v;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static int on_span(void *ctx, const uint8_t *p, size_t len)
{
	tc_test_spans *s = ctx;
	if (tc_array_reserve(s->s, s->cap, s->n + 1, 0) < 0)
		return -1;
	s->s[s->n++] = (tc_test_span){ p, len };
	return 0;
}

static int on_ils(void *ctx, const uint8_t *p, size_t len) { return each_field(p, len, 2, on_span, ctx); }
static int on_batch(void *ctx, const uint8_t *p, size_t len) { return each_field(p, len, 2, on_ils, ctx); }
static int on_trace(void *ctx, const uint8_t *p, size_t len) { return each_field(p, len, 1, on_batch, ctx); }

int tc_test_spans_of(tc_test_spans *out, const uint8_t *body, size_t len, int v2)
{
	if (v2) {
		if (len < 8)
			return -1;
		body += 8;
		len -= 8;
	}
	return each_field(body, len, 1, on_trace, out);
}

static int span_cmp(const void *a, const void *b)
{
	const tc_test_span *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->p, y->p, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

void tc_test_spans_sort(tc_test_spans *s)
{
	if (s->n)
		qsort(s->s, s->n, sizeof(*s->s), span_cmp);
}

int tc_test_spans_equal(const tc_test_spans *a, const tc_test_spans *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (span_cmp(&a->s[i], &b->s[i]) != 0)
			return 0;
	return 1;
}

int tc_test_spans_subset(const tc_test_spans *a, const tc_test_spans *b)
{
	size_t j = 0;

	for (size_t i = 0; i < a->n; i++, j++) {
		while (j < b->n && span_cmp(&b->s[j], &a->s[i]) < 0)
			j++;
		if (j == b->n || span_cmp(&b->s[j], &a->s[i]) != 0)
			return 0;
	}
	return 1;
}

void tc_test_spans_free(tc_test_spans *s)
{
	free(s->s);
	memset(s, 0, sizeof(*s));
}
