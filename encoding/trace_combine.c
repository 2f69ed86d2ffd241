/*
 * The combiner (docs/COMPACTOR.md#combining), at the protobuf wire level.
 *
 * Tempo (pkg/model/v2/object_decoder.go, pkg/model/trace/combine.go,
 * sort.go) unmarshals every input, merges the span trees and re-marshals.
 * We keep every span, resource and instrumentation library as the bytes it
 * arrived in and rebuild only containers whose children changed. For bodies
 * Tempo wrote (gogo marshals fields in number order and omits zero values)
 * the result is what Tempo's re-marshal produces; unknown fields inside
 * spans, resources and libraries survive where Tempo would drop them.
 */
#include "encoding/trace.h"

#include <stdlib.h>
#include <string.h>

#include "encoding/pbwire.h"
#include "encoding/span_set.h"

typedef struct span_ent {
	const uint8_t *p; /* the Span message */
	size_t len;
	const uint8_t *sid;
	size_t sid_len;
	uint64_t start;
} span_ent;

/* An InstrumentationLibrarySpans or ResourceSpans and the range of its kept children. */
typedef struct node_ent {
	const uint8_t *p;
	size_t len;
	size_t first, n;
	size_t size; /* encoded size in the output */
	int changed;
} node_ent;

struct tc_combiner {
	tc_data_kind kind;
	tc_buf spans, ils, rs; /* arrays of span_ent / node_ent */
	tc_span_set set;
	tc_buf tmp;            /* merge sort scratch */
};

#define SPANS(c) ((span_ent *)(void *)(c)->spans.ptr)
#define ILS(c) ((node_ent *)(void *)(c)->ils.ptr)
#define RS(c) ((node_ent *)(void *)(c)->rs.ptr)
#define NSPANS(c) ((c)->spans.len / sizeof(span_ent))
#define NILS(c) ((c)->ils.len / sizeof(node_ent))
#define NRS(c) ((c)->rs.len / sizeof(node_ent))

int tc_combiner_new(tc_combiner **out, tc_data_kind kind)
{
	tc_combiner *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	c->kind = kind;
	tc_buf_init(&c->spans, 0);
	tc_buf_init(&c->ils, 0);
	tc_buf_init(&c->rs, 0);
	tc_span_set_init(&c->set);
	tc_buf_init(&c->tmp, 0);
	/*
	 * The entry arrays are indexed as SPANS(c) + first even when empty (a
	 * batch without libraries, a library without spans): allocate them now
	 * so that is never NULL + 0, which is undefined.
	 */
	if (tc_buf_reserve(&c->spans, sizeof(span_ent)) < 0 ||
	    tc_buf_reserve(&c->ils, sizeof(node_ent)) < 0 ||
	    tc_buf_reserve(&c->rs, sizeof(node_ent)) < 0) {
		tc_combiner_free(c);
		return TC_ERROR;
	}
	*out = c;
	return TC_OK;
}

tc_data_kind tc_combiner_kind(const tc_combiner *c)
{
	return c->kind;
}

void tc_combiner_free(tc_combiner *c)
{
	if (!c)
		return;
	tc_buf_dispose(&c->spans);
	tc_buf_dispose(&c->ils);
	tc_buf_dispose(&c->rs);
	tc_span_set_dispose(&c->set);
	tc_buf_dispose(&c->tmp);
	free(c);
}

/* Walking one input */

typedef struct walk {
	tc_combiner *c;
	const uint8_t *body; /* for offsets in messages */
	size_t input;
	int first, final;
	uint64_t deduped;
	const tc_where *w;
} walk;

static int walk_corrupt(const walk *k, const uint8_t *at, const char *what, const char *why)
{
	tc_error_set_at(k->w, "input %zu, body byte %zu: bad %s: %s", k->input,
			(size_t)(at - k->body), what, why);
	return TC_ECORRUPT;
}

/*
 * Walks a container message (ResourceSpans or ILS): non-child fields are
 * checked as Unmarshal would, each child field is handed to child().
 */
static int walk_container(walk *k, tc_pb_msg msg, const char *what, const uint8_t *p, size_t len,
			  int (*child)(walk *, const uint8_t *, size_t, node_ent *), node_ent *e)
{
	tc_pb_field f;
	size_t pos = 0, bad;
	const char *why;
	int r, err;

	while ((r = tc_pb_next(&f, p, len, &pos, &why)) > 0) {
		tc_pb_msg sub;
		int wt = tc_pb_field_type(msg, f.num, &sub);
		if (wt < 0)
			continue;
		if (wt != f.wt)
			return walk_corrupt(k, p + f.start, what, "known field has the wrong wire type");
		if (f.num == 2) {
			if ((err = child(k, f.data, f.len, e)) < 0)
				return err;
		} else if (sub != TC_PB_MSG_COUNT &&
			   tc_pb_check(sub, f.data, f.len, &bad, &why) < 0) {
			return walk_corrupt(k, f.data + bad, what, why);
		}
	}
	if (r < 0)
		return walk_corrupt(k, p + pos, what, why);
	return TC_OK;
}

static int take_span(walk *k, const uint8_t *p, size_t len, node_ent *ils)
{
	tc_combiner *c = k->c;
	tc_span_ident id;
	span_ent s;
	size_t bad;
	const char *why;
	int err;

	if (tc_span_ident_read(&id, p, len, &bad, &why) < 0)
		return walk_corrupt(k, p + bad, "Span", why);
	if (!k->first && tc_span_set_has(&c->set, id.token)) {
		/* A duplicate is dropped unread: validating it would only cost time. */
		k->deduped++;
		ils->changed = 1;
		return TC_OK;
	}
	/* A span we keep is checked down to its leaves, as Tempo's decoder would. */
	if (tc_pb_check(TC_PB_MSG_SPAN, p, len, &bad, &why) < 0)
		return walk_corrupt(k, p + bad, "Span", why);
	if ((k->first || !k->final) && (err = tc_span_set_add(&c->set, id.token)) < 0)
		return err;
	s = (span_ent){ p, len, id.sid, id.sid_len, id.start };
	if ((err = tc_buf_put(&c->spans, &s, sizeof(s))) < 0)
		return err;
	ils->n++;
	return TC_OK;
}

static int take_ils(walk *k, const uint8_t *p, size_t len, node_ent *rs)
{
	tc_combiner *c = k->c;
	node_ent e = { p, len, NSPANS(c), 0, len, 0 };
	int err;

	if ((err = walk_container(k, TC_PB_MSG_ILS, "InstrumentationLibrarySpans", p, len,
				  take_span, &e)) < 0)
		return err;
	/* the first trace is kept whole; later ones lose ILS without new spans */
	if (!k->first && e.n == 0) {
		rs->changed = 1;
		return TC_OK;
	}
	if ((err = tc_buf_put(&c->ils, &e, sizeof(e))) < 0)
		return err;
	rs->n++;
	return TC_OK;
}

static int take_rs(walk *k, const uint8_t *p, size_t len)
{
	tc_combiner *c = k->c;
	node_ent e = { p, len, NILS(c), 0, len, 0 };
	int err;

	if ((err = walk_container(k, TC_PB_MSG_RESOURCE_SPANS, "ResourceSpans", p, len, take_ils,
				  &e)) < 0)
		return err;
	if (!k->first && e.n == 0)
		return TC_OK;
	return tc_buf_put(&c->rs, &e, sizeof(e));
}

static int take_trace_entry(walk *k, const uint8_t *p, size_t len)
{
	tc_pb_field f;
	size_t pos = 0;
	const char *why;
	int r, err;

	/* Trace fields other than batches are dropped, as Tempo's re-marshal does */
	while ((r = tc_pb_next(&f, p, len, &pos, &why)) > 0) {
		if (f.num != 1)
			continue;
		if (f.wt != TC_PB_LEN)
			return walk_corrupt(k, p + f.start, "Trace", "batches has the wrong wire type");
		if ((err = take_rs(k, f.data, f.len)) < 0)
			return err;
	}
	if (r < 0)
		return walk_corrupt(k, p + pos, "Trace", why);
	return TC_OK;
}

static int take_input(walk *k, const uint8_t *body, size_t len)
{
	const uint8_t *tb;
	size_t tb_len, pos = 0;
	tc_pb_field f;
	const char *why;
	int r, err;

	if (k->c->kind == TC_DATA_V2 && len > 0 && len < 8) {
		tc_error_set_at(k->w, "input %zu: v2 object body of %zu bytes is too short for "
				"its start/end", k->input, len);
		return TC_ECORRUPT;
	}
	/* an empty v2 body is an empty trace, as in Tempo's PrepareForRead */
	tb = k->c->kind == TC_DATA_V2 && len > 0 ? body + 8 : body;
	tb_len = len - (size_t)(tb - body);
	while ((r = tc_pb_next(&f, tb, tb_len, &pos, &why)) > 0) {
		if (f.num != 1)
			continue;
		if (f.wt != TC_PB_LEN)
			return walk_corrupt(k, tb + f.start, "TraceBytes",
					    "traces has the wrong wire type");
		if ((err = take_trace_entry(k, f.data, f.len)) < 0)
			return err;
	}
	if (r < 0)
		return walk_corrupt(k, tb + pos, "TraceBytes", why);
	return TC_OK;
}

/* Sorting (pkg/model/trace/sort.go) */

typedef int (*less_fn)(const tc_combiner *c, const void *a, const void *b);

static int bytes_less(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t n = al < bl ? al : bl;
	int r = n ? memcmp(a, b, n) : 0;
	return r < 0 || (r == 0 && al < bl);
}

static int span_less(const tc_combiner *c, const void *va, const void *vb)
{
	const span_ent *a = va, *b = vb;
	(void)c;
	if (a->start == b->start)
		return bytes_less(a->sid, a->sid_len, b->sid, b->sid_len);
	return a->start < b->start;
}

/* Items without children compare as "not less", as in Tempo. */
static int ils_less(const tc_combiner *c, const void *va, const void *vb)
{
	const node_ent *a = va, *b = vb;
	if (a->n == 0 || b->n == 0)
		return 0;
	return span_less(c, &SPANS(c)[a->first], &SPANS(c)[b->first]);
}

static int rs_less(const tc_combiner *c, const void *va, const void *vb)
{
	const node_ent *a = va, *b = vb;
	if (a->n == 0 || b->n == 0)
		return 0;
	return ils_less(c, &ILS(c)[a->first], &ILS(c)[b->first]);
}

/*
 * Stable bottom-up merge sort. Go's sort.Slice is not stable, so for ties
 * (equal start and span ID, or items without spans) Tempo's order is
 * unspecified; ours is input order.
 */
static int merge_sort(tc_combiner *c, void *base, size_t n, size_t sz, less_fn less)
{
	uint8_t *a = base, *t;
	int err;

	if (n < 2)
		return TC_OK;
	c->tmp.len = 0;
	if (n > SIZE_MAX / sz) {
		tc_error_set("sort too large");
		return TC_ELIMIT;
	}
	if ((err = tc_buf_grow_by(&c->tmp, NULL, n * sz)) < 0)
		return err;
	t = c->tmp.ptr;
	for (size_t width = 1; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t i = lo, j = mid, o = lo;
			while (i < mid && j < hi) {
				if (less(c, a + j * sz, a + i * sz))
					memcpy(t + o++ * sz, a + j++ * sz, sz);
				else
					memcpy(t + o++ * sz, a + i++ * sz, sz);
			}
			memcpy(t + o * sz, a + i * sz, (mid - i) * sz);
			o += mid - i;
			memcpy(t + o * sz, a + j * sz, (hi - j) * sz);
		}
		memcpy(a, t, n * sz);
	}
	return TC_OK;
}

/* Children are stored in message order, so a sort that moved any leaves pointers out of order. */
static int sort_spans(tc_combiner *c, node_ent *ils)
{
	span_ent *s = SPANS(c) + ils->first;
	int err = merge_sort(c, s, ils->n, sizeof(*s), span_less);
	for (size_t i = 1; err == TC_OK && i < ils->n; i++)
		if (s[i].p < s[i - 1].p)
			ils->changed = 1;
	return err;
}

static int sort_trace(tc_combiner *c)
{
	int err;

	for (size_t r = 0; r < NRS(c); r++) {
		node_ent *rs = &RS(c)[r], *ils = ILS(c) + rs->first;
		for (size_t i = 0; i < rs->n; i++) {
			if ((err = sort_spans(c, &ils[i])) < 0)
				return err;
		}
		if ((err = merge_sort(c, ils, rs->n, sizeof(*ils), ils_less)) < 0)
			return err;
		for (size_t i = 1; i < rs->n; i++)
			if (ils[i].p < ils[i - 1].p)
				rs->changed = 1;
	}
	return merge_sort(c, RS(c), NRS(c), sizeof(node_ent), rs_less);
}

/* Output */

/* Bytes of the fields of a container other than its children (field 2). */
static size_t other_fields_size(const node_ent *e)
{
	tc_pb_field f;
	size_t pos = 0, n = 0;
	const char *why;

	while (tc_pb_next(&f, e->p, e->len, &pos, &why) > 0)
		if (f.num != 2)
			n += f.end - f.start;
	return n;
}

static void compute_sizes(tc_combiner *c)
{
	for (size_t r = 0; r < NRS(c); r++) {
		node_ent *rs = &RS(c)[r], *ils = ILS(c) + rs->first;
		size_t rs_size = 0;
		for (size_t i = 0; i < rs->n; i++) {
			const span_ent *s = SPANS(c) + ils[i].first;
			if (ils[i].changed) {
				size_t sz = other_fields_size(&ils[i]);
				for (size_t j = 0; j < ils[i].n; j++)
					sz += tc_pb_len_field_size(2, s[j].len);
				ils[i].size = sz;
				rs->changed = 1;
			}
			rs_size += tc_pb_len_field_size(2, ils[i].size);
		}
		if (rs->changed)
			rs->size = other_fields_size(rs) + rs_size;
	}
}

/*
 * Writes a rebuilt container: gogo's field order puts fields numbered
 * below the children first; unknown fields keep their relative order.
 */
static int put_other_fields(tc_buf *out, const node_ent *e, int below)
{
	tc_pb_field f;
	size_t pos = 0;
	const char *why;
	int err;

	while (tc_pb_next(&f, e->p, e->len, &pos, &why) > 0)
		if (f.num != 2 && (f.num < 2) == below &&
		    (err = tc_buf_put(out, e->p + f.start, f.end - f.start)) < 0)
			return err;
	return TC_OK;
}

static int put_len_prefix(tc_buf *out, uint32_t num, size_t len)
{
	int err = tc_pb_put_varint(out, (uint64_t)num << 3 | TC_PB_LEN);
	return err < 0 ? err : tc_pb_put_varint(out, len);
}

static int put_ils(tc_buf *out, const tc_combiner *c, const node_ent *ils)
{
	const span_ent *s = SPANS(c) + ils->first;
	int err;

	if ((err = put_len_prefix(out, 2, ils->size)) < 0)
		return err;
	if (!ils->changed)
		return tc_buf_put(out, ils->p, ils->len);
	if ((err = put_other_fields(out, ils, 1)) < 0)
		return err;
	for (size_t j = 0; j < ils->n; j++)
		if ((err = tc_pb_put_len_field(out, 2, s[j].p, s[j].len)) < 0)
			return err;
	return put_other_fields(out, ils, 0);
}

static int put_rs(tc_buf *out, const tc_combiner *c, const node_ent *rs)
{
	const node_ent *ils = ILS(c) + rs->first;
	int err;

	if ((err = put_len_prefix(out, 1, rs->size)) < 0)
		return err;
	if (!rs->changed)
		return tc_buf_put(out, rs->p, rs->len);
	if ((err = put_other_fields(out, rs, 1)) < 0)
		return err;
	for (size_t i = 0; i < rs->n; i++)
		if ((err = put_ils(out, c, &ils[i])) < 0)
			return err;
	return put_other_fields(out, rs, 0);
}

static int put_body(tc_buf *out, const tc_combiner *c, uint32_t start, uint32_t end,
		    size_t trace_size, size_t body_size)
{
	size_t mark = out->len;
	int err;

	if ((err = tc_buf_reserve(out, body_size)) < 0)
		return err;
	if (c->kind == TC_DATA_V2 && ((err = tc_buf_put_u32le(out, start)) < 0 ||
				      (err = tc_buf_put_u32le(out, end)) < 0))
		goto fail;
	if ((err = put_len_prefix(out, 1, trace_size)) < 0)
		goto fail;
	for (size_t r = 0; r < NRS(c); r++)
		if ((err = put_rs(out, c, &RS(c)[r])) < 0)
			goto fail;
	if (out->len - mark != body_size) {
		tc_error_set("combiner wrote %zu bytes, computed %zu", out->len - mark, body_size);
		err = TC_ERROR;
		goto fail;
	}
	return TC_OK;
fail:
	out->len = mark;
	return err;
}

int tc_objects_identical(const tc_object *objs, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (objs[i].body_len != objs[0].body_len ||
		    (objs[0].body_len && memcmp(objs[i].body, objs[0].body, objs[0].body_len) != 0))
			return 0;
	return 1;
}

/* The encoded size of the merged body as the tables stand now. */
static size_t current_body_size(tc_combiner *c, size_t *trace_size)
{
	compute_sizes(c);
	*trace_size = 0;
	for (size_t r = 0; r < NRS(c); r++)
		*trace_size += tc_pb_len_field_size(1, RS(c)[r].size);
	return (c->kind == TC_DATA_V2 ? 8 : 0) + tc_pb_len_field_size(1, *trace_size);
}

int tc_combiner_run(tc_buf *out, int *combined, size_t *failed, tc_combiner *c, const tc_object *objs,
		    size_t n, tc_combine_stats *st, const tc_where *w)
{
	uint32_t min_start = UINT32_MAX, max_end = 0;
	uint64_t deduped = 0;
	size_t trace_size = 0, body_size;
	int err;

	*combined = 0;
	if (n == 0) {
		tc_error_set("combine called without objects");
		return TC_EINVALID;
	}
	/* Identical copies (replicas) need no decoding and lose nothing. */
	if (n == 1 || tc_objects_identical(objs, n))
		return TC_OK;
	if (c->kind == TC_DATA_OPAQUE) {
		tc_error_set_at(w, "cannot combine %zu differing bodies of an opaque data encoding "
				"(only \"v1\" and \"v2\" bodies can be merged)", n);
		return TC_EUNSUPPORTED;
	}

	c->spans.len = c->ils.len = c->rs.len = 0;
	tc_span_set_reset(&c->set);
	for (size_t i = 0; i < n; i++) {
		walk k = { c, objs[i].body, i, i == 0, 0, 0, w };
		/* v1's Combine compares the index with the body length (a Tempo 1.5 bug) */
		k.final = c->kind == TC_DATA_V2 ? i == n - 1 : objs[i].body_len > 0 &&
								 i == objs[i].body_len - 1;
		if ((err = take_input(&k, objs[i].body, objs[i].body_len)) < 0) {
			if (failed)
				*failed = i;
			return err;
		}
		deduped += k.deduped;
		if (c->kind == TC_DATA_V2 && objs[i].body_len > 0) {
			uint32_t s0 = tc_get_u32le(objs[i].body), e = tc_get_u32le(objs[i].body + 4);
			if (s0 < min_start)
				min_start = s0;
			if (e > max_end)
				max_end = e;
		}
	}
	if ((err = sort_trace(c)) < 0)
		return err;
	body_size = current_body_size(c, &trace_size);
	if ((err = put_body(out, c, min_start, max_end, trace_size, body_size)) < 0)
		return err;
	if (st) {
		st->objects_combined++;
		st->spans_deduped += deduped;
	}
	*combined = 1;
	return TC_OK;
}
