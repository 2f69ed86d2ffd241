#include "tests/test.h"

#include <dirent.h>
#include <stdlib.h>

#include "encoding/trace.h"
#include "tempo.pb-c.h"
#include "trace.pb-c.h"

/*
 * Hand-built bodies
 */

typedef struct sp {
	uint8_t id;
	int kind;
	uint64_t start;
	const char *name;
} sp;

typedef struct batch_spec {
	const char *service;
	size_t n;
	sp spans[8];
	/* raw bytes appended to span i's encoding (an unknown field), or NULL */
	const uint8_t *extra;
	size_t extra_len;
	int extra_span;
	/* raw bytes appended to the ResourceSpans encoding, or NULL */
	const uint8_t *rs_extra;
	size_t rs_extra_len;
} batch_spec;

static const uint8_t trace_id[16] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

/* Packs one span, optionally with raw extra bytes appended. */
static void pack_span(tc_buf *out, const sp *s, const uint8_t *extra, size_t extra_len)
{
	Tempopb__Trace__V1__Span m = TEMPOPB__TRACE__V1__SPAN__INIT;
	uint8_t sid[8] = { 0, 0, 0, 0, 0, 0, 0xaa, s->id };
	size_t n;

	m.trace_id.data = (uint8_t *)trace_id;
	m.trace_id.len = 16;
	m.span_id.data = sid;
	m.span_id.len = 8;
	m.name = (char *)(s->name ? s->name : "op");
	m.kind = (Tempopb__Trace__V1__Span__SpanKind)s->kind;
	m.start_time_unix_nano = s->start;
	m.end_time_unix_nano = s->start + 1000;
	n = tempopb__trace__v1__span__get_packed_size(&m);
	tc_buf_reserve(out, n);
	tempopb__trace__v1__span__pack(&m, out->ptr + out->len);
	out->len += n;
	tc_buf_put(out, extra, extra_len);
}

static void put_varint(tc_buf *b, uint64_t v)
{
	while (v >= 0x80) {
		tc_buf_putc(b, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	tc_buf_putc(b, (uint8_t)v);
}

static void put_len(tc_buf *b, uint32_t num, const uint8_t *p, size_t len)
{
	put_varint(b, (uint64_t)num << 3 | 2);
	put_varint(b, len);
	tc_buf_put(b, p, len);
}

/*
 * Builds the ResourceSpans by hand around protobuf-c-packed leaves so raw
 * extra bytes can be placed exactly.
 */
static void pack_trace(tc_buf *trace, const batch_spec *b, size_t nb)
{
	for (size_t i = 0; i < nb; i++) {
		tc_buf rs = TC_BUF_INIT, ils = TC_BUF_INIT, leaf = TC_BUF_INIT;
		Tempopb__Resource__V1__Resource res = TEMPOPB__RESOURCE__V1__RESOURCE__INIT;
		Tempopb__Common__V1__KeyValue kv = TEMPOPB__COMMON__V1__KEY_VALUE__INIT;
		Tempopb__Common__V1__AnyValue av = TEMPOPB__COMMON__V1__ANY_VALUE__INIT;
		Tempopb__Common__V1__KeyValue *kvs[1] = { &kv };
		Tempopb__Common__V1__InstrumentationLibrary il =
			TEMPOPB__COMMON__V1__INSTRUMENTATION_LIBRARY__INIT;
		size_t n;

		kv.key = "service.name";
		av.value_case = TEMPOPB__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
		av.string_value = (char *)b[i].service;
		kv.value = &av;
		res.n_attributes = 1;
		res.attributes = kvs;
		n = tempopb__resource__v1__resource__get_packed_size(&res);
		tc_buf_grow_by(&leaf, NULL, n);
		tempopb__resource__v1__resource__pack(&res, leaf.ptr);
		put_len(&rs, 1, leaf.ptr, leaf.len);

		il.name = "lib";
		leaf.len = 0;
		n = tempopb__common__v1__instrumentation_library__get_packed_size(&il);
		tc_buf_grow_by(&leaf, NULL, n);
		tempopb__common__v1__instrumentation_library__pack(&il, leaf.ptr);
		put_len(&ils, 1, leaf.ptr, leaf.len);
		for (size_t j = 0; j < b[i].n; j++) {
			leaf.len = 0;
			if (b[i].extra && b[i].extra_span == (int)j)
				pack_span(&leaf, &b[i].spans[j], b[i].extra, b[i].extra_len);
			else
				pack_span(&leaf, &b[i].spans[j], NULL, 0);
			put_len(&ils, 2, leaf.ptr, leaf.len);
		}
		put_len(&rs, 2, ils.ptr, ils.len);
		tc_buf_put(&rs, b[i].rs_extra, b[i].rs_extra_len);
		put_len(trace, 1, rs.ptr, rs.len);
		tc_buf_dispose(&rs);
		tc_buf_dispose(&ils);
		tc_buf_dispose(&leaf);
	}
}

static void build_body(tc_buf *out, tc_data_kind kind, uint32_t start, uint32_t end,
		       const batch_spec *b, size_t nb)
{
	tc_buf trace = TC_BUF_INIT;
	pack_trace(&trace, b, nb);
	tc_trace_body_from_trace(out, kind, start, end, trace.ptr, trace.len);
	tc_buf_dispose(&trace);
}

/* Decodes a combined body: exactly one TraceBytes entry. Caller frees. */
static Tempopb__Trace *decode_body(tc_data_kind kind, const uint8_t *body, size_t len)
{
	size_t skip = kind == TC_DATA_V2 ? 8 : 0;
	Tempopb__TraceBytes *tb = tempopb__trace_bytes__unpack(NULL, len - skip, body + skip);
	Tempopb__Trace *t = NULL;
	if (tb && tb->n_traces == 1)
		t = tempopb__trace__unpack(NULL, tb->traces[0].len, tb->traces[0].data);
	tempopb__trace_bytes__free_unpacked(tb, NULL);
	return t;
}

static size_t count_spans(const Tempopb__Trace *t)
{
	size_t n = 0;
	for (size_t b = 0; b < t->n_batches; b++)
		for (size_t i = 0; i < t->batches[b]->n_instrumentation_library_spans; i++)
			n += t->batches[b]->instrumentation_library_spans[i]->n_spans;
	return n;
}

static Tempopb__Trace__V1__Span *span_at(const Tempopb__Trace *t, size_t b, size_t i, size_t s)
{
	return t->batches[b]->instrumentation_library_spans[i]->spans[s];
}

static const tc_where W = { "single-tenant/blk/data", 42 };

typedef struct run {
	tc_buf out;
	size_t failed; /* capped: the input blamed for corruption */
	int combined;
	tc_combine_stats st;
	int rc;
} run;

static void combine(run *r, tc_data_kind kind, tc_buf *bodies, size_t n, size_t max_bytes)
{
	tc_combiner *c = NULL;
	tc_object objs[8];
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		objs[i].id = trace_id;
		objs[i].id_len = 16;
		objs[i].body = bodies[i].ptr;
		objs[i].body_len = bodies[i].len;
	}
	r->rc = tc_combiner_new(&c, kind);
	r->failed = SIZE_MAX;
	if (r->rc == 0 && max_bytes == 0) {
		r->rc = tc_combiner_run(&r->out, &r->combined, &r->failed, c, objs, n, &r->st, &W);
	} else if (r->rc == 0) {
		tc_body_source src[8];
		tc_body_mem mem[8];
		for (size_t i = 0; i < n; i++)
			tc_body_source_mem(&src[i], &mem[i], bodies[i].ptr, bodies[i].len);
		r->rc = tc_combiner_run_capped(&r->out, &r->failed, c, src, n, max_bytes, &r->st, &W);
		r->combined = 1;
	}
	tc_combiner_free(c);
}

static void free_bodies(tc_buf *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tc_buf_dispose(&b[i]);
}

static void test_data_kind(void)
{
	CHECK(tc_data_kind_of("v2") == TC_DATA_V2);
	CHECK(tc_data_kind_of("v1") == TC_DATA_V1);
	CHECK(tc_data_kind_of("foo") == TC_DATA_OPAQUE);
	CHECK(tc_data_kind_of("") == TC_DATA_OPAQUE);
}

static void test_identical_pass_through(void)
{
	batch_spec a[] = { { "svc", 1, { { 1, 2, 10, NULL } }, NULL, 0, 0, NULL, 0 } };
	tc_buf b[3] = { TC_BUF_INIT, TC_BUF_INIT, TC_BUF_INIT };
	run r;
	for (int i = 0; i < 3; i++)
		build_body(&b[i], TC_DATA_V2, 1, 2, a, 1);
	combine(&r, TC_DATA_V2, b, 3, 0);
	free_bodies(b, 3);
	CHECK_OK(r.rc);
	CHECK(r.combined == 0);
	CHECK(r.out.len == 0);
	CHECK_EQ_U64(r.st.objects_combined, 0);
	tc_buf_dispose(&r.out);
}

static void test_dedup_first_wins(void)
{
	batch_spec a[] = { { "svc-a", 1, { { 1, 2, 10, "first" } }, NULL, 0, 0, NULL, 0 } };
	batch_spec bb[] = { { "svc-b", 2, { { 1, 2, 10, "second" }, { 2, 3, 20, "new" } },
			      NULL, 0, 0, NULL, 0 } };
	tc_buf b[2] = { TC_BUF_INIT, TC_BUF_INIT };
	Tempopb__Trace *t;
	run r;

	build_body(&b[0], TC_DATA_V2, 100, 200, a, 1);
	build_body(&b[1], TC_DATA_V2, 100, 200, bb, 1);
	combine(&r, TC_DATA_V2, b, 2, 0);
	free_bodies(b, 2);
	CHECK_OK(r.rc);
	CHECK(r.combined == 1);
	CHECK_EQ_U64(r.st.objects_combined, 1);
	CHECK_EQ_U64(r.st.spans_deduped, 1);
	t = decode_body(TC_DATA_V2, r.out.ptr, r.out.len);
	tc_buf_dispose(&r.out);
	CHECK(t != NULL);
	CHECK_EQ_U64(t->n_batches, 2);
	CHECK_EQ_U64(count_spans(t), 2);
	CHECK_STR(span_at(t, 0, 0, 0)->name, "first");
	CHECK_STR(span_at(t, 1, 0, 0)->name, "new");
	/* the later batch keeps its own resource */
	CHECK_STR(t->batches[1]->resource->attributes[0]->value->string_value, "svc-b");
	tempopb__trace__free_unpacked(t, NULL);
}

static void test_same_id_other_kind_kept(void)
{
	batch_spec a[] = { { "svc", 1, { { 7, 2, 10, "server" } }, NULL, 0, 0, NULL, 0 } };
	batch_spec bb[] = { { "svc", 1, { { 7, 3, 10, "client" } }, NULL, 0, 0, NULL, 0 } };
	tc_buf b[2] = { TC_BUF_INIT, TC_BUF_INIT };
	Tempopb__Trace *t;
	run r;

	build_body(&b[0], TC_DATA_V2, 1, 2, a, 1);
	build_body(&b[1], TC_DATA_V2, 1, 2, bb, 1);
	combine(&r, TC_DATA_V2, b, 2, 0);
	free_bodies(b, 2);
	CHECK_OK(r.rc);
	CHECK(r.combined);
	CHECK_EQ_U64(r.st.spans_deduped, 0);
	t = decode_body(TC_DATA_V2, r.out.ptr, r.out.len);
	tc_buf_dispose(&r.out);
	CHECK(t != NULL);
	CHECK_EQ_U64(count_spans(t), 2);
	tempopb__trace__free_unpacked(t, NULL);
}

/* Duplicates within the last input both survive; within a middle input they do not. */
static void test_last_input_not_recorded(void)
{
	batch_spec a[] = { { "svc", 1, { { 1, 1, 10, NULL } }, NULL, 0, 0, NULL, 0 } };
	batch_spec dup[] = { { "svc", 2, { { 5, 1, 50, "x" }, { 5, 1, 50, "y" } }, NULL, 0, 0,
			       NULL, 0 } };
	tc_buf b[3] = { TC_BUF_INIT, TC_BUF_INIT, TC_BUF_INIT };
	Tempopb__Trace *t;
	run r;

	build_body(&b[0], TC_DATA_V2, 1, 2, a, 1);
	build_body(&b[1], TC_DATA_V2, 1, 2, dup, 1);
	combine(&r, TC_DATA_V2, b, 2, 0);
	CHECK_OK(r.rc);
	t = decode_body(TC_DATA_V2, r.out.ptr, r.out.len);
	tc_buf_dispose(&r.out);
	CHECK(t != NULL);
	CHECK_EQ_U64(count_spans(t), 3);
	tempopb__trace__free_unpacked(t, NULL);

	/* as a middle input the second copy is a duplicate */
	build_body(&b[2], TC_DATA_V2, 1, 2, a, 1);
	combine(&r, TC_DATA_V2, b, 3, 0);
	free_bodies(b, 3);
	CHECK_OK(r.rc);
	t = decode_body(TC_DATA_V2, r.out.ptr, r.out.len);
	tc_buf_dispose(&r.out);
	CHECK(t != NULL);
	CHECK_EQ_U64(count_spans(t), 2);
	CHECK_EQ_U64(r.st.spans_deduped, 2);
	tempopb__trace__free_unpacked(t, NULL);
}

/* Tempo 1.5's v1 Combine passes i == len(body)-1 as "final": the last input is recorded too. */
static void test_v1_last_input_recorded(void)
{
	batch_spec a[] = { { "svc", 1, { { 1, 1, 10, NULL } }, NULL, 0, 0, NULL, 0 } };
	batch_spec dup[] = { { "svc", 2, { { 5, 1, 50, "x" }, { 5, 1, 50, "y" } }, NULL, 0, 0,
			       NULL, 0 } };
	tc_buf b[2] = { TC_BUF_INIT, TC_BUF_INIT };
	Tempopb__Trace *t;
	run r;

	build_body(&b[0], TC_DATA_V1, 0, 0, a, 1);
	build_body(&b[1], TC_DATA_V1, 0, 0, dup, 1);
	combine(&r, TC_DATA_V1, b, 2, 0);
	free_bodies(b, 2);
	CHECK_OK(r.rc);
	t = decode_body(TC_DATA_V1, r.out.ptr, r.out.len);
	tc_buf_dispose(&r.out);
	CHECK(t != NULL);
	CHECK_EQ_U64(count_spans(t), 2);
	tempopb__trace__free_unpacked(t, NULL);
}

/* Damaged later inputs either fail as corrupt or combine into a body that validates. */
static void test_mutations(void)
{
	batch_spec a[] = { { "svc", 2, { { 1, 1, 10, NULL }, { 2, 2, 20, NULL } }, NULL, 0, 0,
			     NULL, 0 } };
	batch_spec bb[] = { { "svc", 3, { { 1, 1, 10, NULL }, { 3, 2, 5, NULL }, { 4, 3, 7, NULL } },
			      NULL, 0, 0, NULL, 0 },
			    { "other", 1, { { 9, 1, 1, NULL } }, NULL, 0, 0, NULL, 0 } };
	tc_buf b[2] = { TC_BUF_INIT, TC_BUF_INIT }, orig = TC_BUF_INIT;
	uint64_t seed = 42;
	size_t ok = 0, bad = 0, n;
	run r;

	build_body(&b[0], TC_DATA_V2, 1, 2, a, 1);
	build_body(&orig, TC_DATA_V2, 1, 2, bb, 2);
	for (int iter = 0; iter < 3000; iter++) {
		b[1].len = 0;
		tc_buf_put(&b[1], orig.ptr, orig.len);
		for (int k = 0, m = 1 + (int)(tc_test_rand(&seed) % 3); k < m; k++) {
			size_t at = 8 + tc_test_rand(&seed) % (orig.len - 8);
			b[1].ptr[at] = (uint8_t)tc_test_rand(&seed);
		}
		if (iter % 4 == 0)
			b[1].len = 8 + tc_test_rand(&seed) % (orig.len - 8);
		combine(&r, TC_DATA_V2, b, 2, 0);
		CHECK_MSG(r.rc == TC_OK || r.rc == TC_ECORRUPT, "iter %d: rc %d", iter, r.rc);
		if (r.rc == TC_OK && r.combined) {
			CHECK_OK(tc_trace_validate(&n, TC_DATA_V2, r.out.ptr, r.out.len, &W));
			ok++;
		} else if (r.rc == TC_ECORRUPT) {
			CHECK_ERRMSG("input 1");
			bad++;
		}
		tc_buf_dispose(&r.out);
	}
	CHECK(ok > 0 && bad > 0);
	free_bodies(b, 2);
	tc_buf_dispose(&orig);
}

static void test_ordering(void)
{
	/* first input: spans out of order, and a start-time tie broken by span ID */
	batch_spec a[] = { { "late", 3, { { 9, 1, 30, NULL }, { 4, 1, 10, NULL }, { 3, 1, 10, NULL } },
			     NULL, 0, 0, NULL, 0 } };
	batch_spec bb[] = { { "early", 1, { { 1, 1, 5, NULL } }, NULL, 0, 0, NULL, 0 } };
	tc_buf b[2] = { TC_BUF_INIT, TC_BUF_INIT };
	Tempopb__Trace *t;
	run r;

	build_body(&b[0], TC_DATA_V2, 1, 2, a, 1);
	build_body(&b[1], TC_DATA_V2, 1, 2, bb, 1);
	combine(&r, TC_DATA_V2, b, 2, 0);
	free_bodies(b, 2);
	CHECK_OK(r.rc);
	t = decode_body(TC_DATA_V2, r.out.ptr, r.out.len);
	tc_buf_dispose(&r.out);
	CHECK(t != NULL);
	CHECK_EQ_U64(t->n_batches, 2);
	CHECK_STR(t->batches[0]->resource->attributes[0]->value->string_value, "early");
	CHECK_EQ_U64(span_at(t, 1, 0, 0)->span_id.data[7], 3);
	CHECK_EQ_U64(span_at(t, 1, 0, 1)->span_id.data[7], 4);
	CHECK_EQ_U64(span_at(t, 1, 0, 2)->span_id.data[7], 9);
	tempopb__trace__free_unpacked(t, NULL);
}

static void test_range_and_v1(void)
{
	batch_spec a[] = { { "svc", 1, { { 1, 1, 10, NULL } }, NULL, 0, 0, NULL, 0 } };
	batch_spec bb[] = { { "svc", 1, { { 2, 1, 20, NULL } }, NULL, 0, 0, NULL, 0 } };
	tc_buf b[3] = { TC_BUF_INIT, TC_BUF_INIT, TC_BUF_INIT };
	Tempopb__Trace *t;
	uint32_t s, e;
	run r;

	build_body(&b[0], TC_DATA_V2, 100, 200, a, 1);
	/* b[1] stays empty: an empty body is an empty trace without a range */
	build_body(&b[2], TC_DATA_V2, 50, 150, bb, 1);
	combine(&r, TC_DATA_V2, b, 3, 0);
	free_bodies(b, 3);
	CHECK_OK(r.rc);
	CHECK_OK(tc_trace_v2_range(&s, &e, r.out.ptr, r.out.len, &W));
	CHECK_EQ_U64(s, 50);
	CHECK_EQ_U64(e, 200);
	tc_buf_dispose(&r.out);

	build_body(&b[0], TC_DATA_V1, 0, 0, a, 1);
	build_body(&b[1], TC_DATA_V1, 0, 0, bb, 1);
	combine(&r, TC_DATA_V1, b, 2, 0);
	free_bodies(b, 2);
	CHECK_OK(r.rc);
	CHECK(r.combined);
	CHECK(r.out.len > 0 && r.out.ptr[0] == 0x0a); /* no prefix */
	t = decode_body(TC_DATA_V1, r.out.ptr, r.out.len);
	tc_buf_dispose(&r.out);
	CHECK(t != NULL);
	CHECK_EQ_U64(count_spans(t), 2);
	tempopb__trace__free_unpacked(t, NULL);
}

static int contains(const tc_buf *hay, const uint8_t *needle, size_t n)
{
	return memmem(hay->ptr, hay->len, needle, n) != NULL;
}

static void test_unknown_fields_survive(void)
{
	/* field 100, varint 1; field 50, LEN "keep" */
	static const uint8_t unk_span[] = { 0xa0, 0x06, 0x01 };
	static const uint8_t unk_rs[] = { 0x92, 0x03, 0x04, 'k', 'e', 'e', 'p' };
	batch_spec a[] = { { "svc", 1, { { 1, 1, 10, NULL } }, unk_span, 3, 0, NULL, 0 } };
	batch_spec bb[] = { { "svc", 2, { { 1, 1, 10, NULL }, { 2, 1, 5, "new" } }, unk_span, 3, 1,
			      unk_rs, sizeof(unk_rs) } };
	tc_buf b[2] = { TC_BUF_INIT, TC_BUF_INIT }, want = TC_BUF_INIT;
	size_t n;
	run r;

	build_body(&b[0], TC_DATA_V2, 1, 2, a, 1);
	build_body(&b[1], TC_DATA_V2, 1, 2, bb, 1);
	combine(&r, TC_DATA_V2, b, 2, 0);
	free_bodies(b, 2);
	CHECK_OK(r.rc);
	CHECK(r.combined);
	CHECK_OK(tc_trace_validate(&n, TC_DATA_V2, r.out.ptr, r.out.len, &W));
	CHECK_EQ_U64(n, 2);
	/* both spans carry their unknown field, byte for byte */
	pack_span(&want, &a[0].spans[0], unk_span, 3);
	CHECK(contains(&r.out, want.ptr, want.len));
	want.len = 0;
	pack_span(&want, &bb[0].spans[1], unk_span, 3);
	CHECK(contains(&r.out, want.ptr, want.len));
	/* the rebuilt ResourceSpans kept its unknown field */
	CHECK(contains(&r.out, unk_rs, sizeof(unk_rs)));
	tc_buf_dispose(&want);
	tc_buf_dispose(&r.out);
}

/* Spans of a body, walked the way a reader of the output sees them. */
static size_t body_spans(tc_data_kind kind, const tc_buf *b)
{
	size_t n = 0;
	tc_where w = { "test", 0 };
	if (tc_trace_validate(&n, kind, b->ptr, b->len, &w) < 0) {
		tc_test_fail(__FILE__, __LINE__, "output does not validate: %s", tc_error_last());
		return SIZE_MAX / 2;
	}
	return n;
}

static void test_max_bytes(void)
{
	batch_spec a[] = { { "svc", 1, { { 1, 1, 10, NULL } }, NULL, 0, 0, NULL, 0 } };
	batch_spec bb[] = { { "svc", 3, { { 1, 1, 10, NULL }, { 2, 1, 20, NULL }, { 3, 1, 30, NULL } },
			      NULL, 0, 0, NULL, 0 },
			    { "other", 2, { { 7, 1, 70, NULL }, { 8, 1, 80, NULL } }, NULL, 0, 0, NULL, 0 } };
	tc_buf b[2] = { TC_BUF_INIT, TC_BUF_INIT };
	run full, r;
	size_t kept_prev = SIZE_MAX;

	build_body(&b[0], TC_DATA_V2, 1, 2, a, 1);
	build_body(&b[1], TC_DATA_V2, 1, 9, bb, 2);
	combine(&full, TC_DATA_V2, b, 2, 0);
	CHECK_OK(full.rc);

	/* A cap well above the merge changes nothing: the same bytes as the uncapped merge. */
	combine(&r, TC_DATA_V2, b, 2, full.out.len + 1000);
	CHECK_OK(r.rc);
	CHECK(r.out.len == full.out.len && !memcmp(r.out.ptr, full.out.ptr, full.out.len));
	CHECK_EQ_U64(r.st.spans_deduped, 1);
	CHECK_EQ_U64(r.st.traces_truncated, 0);
	tc_buf_dispose(&r.out);

	/* Tighter caps: the output stays under the cap, every span is kept, deduplicated or
	 * discarded, the first input's span survives first, and less fits as the cap shrinks. */
	for (size_t cap = full.out.len + 100; cap >= 40; cap -= 7) {
		size_t kept;
		combine(&r, TC_DATA_V2, b, 2, cap);
		CHECK_OK(r.rc);
		CHECK_MSG(r.out.len < cap, "cap %zu: %zu bytes", cap, r.out.len);
		kept = r.out.len ? body_spans(TC_DATA_V2, &r.out) : 0;
		CHECK_MSG(kept + r.st.spans_deduped + r.st.spans_discarded == 6, "cap %zu: %zu+%llu+%llu",
			  cap, kept, (unsigned long long)r.st.spans_deduped,
			  (unsigned long long)r.st.spans_discarded);
		CHECK_EQ_U64(r.st.traces_truncated, r.st.spans_discarded > 0);
		CHECK(kept <= kept_prev);
		if (kept >= 1) {
			Tempopb__Trace *t = decode_body(TC_DATA_V2, r.out.ptr, r.out.len);
			CHECK(t && t->batches[0]->instrumentation_library_spans[0]->spans[0]->span_id.data[7] == 1);
			tempopb__trace__free_unpacked(t, NULL);
		}
		kept_prev = kept;
		tc_buf_dispose(&r.out);
	}
	CHECK_EQ_U64(kept_prev, 0);

	/* One input past the cap loses its later spans; its time range stays. */
	combine(&r, TC_DATA_V2, &b[1], 1, full.out.len - 60);
	CHECK_OK(r.rc);
	CHECK(r.out.len < full.out.len - 60 && r.st.spans_discarded > 0);
	CHECK_EQ_U64(body_spans(TC_DATA_V2, &r.out) + r.st.spans_discarded, 5);
	CHECK_EQ_U64(tc_get_u32le(r.out.ptr + 4), 9);
	tc_buf_dispose(&r.out);

	/* Identical copies under the cap: nothing to add, nothing discarded. */
	{
		tc_buf same[2] = { TC_BUF_INIT, TC_BUF_INIT };
		tc_buf_put(&same[0], b[1].ptr, b[1].len);
		tc_buf_put(&same[1], b[1].ptr, b[1].len);
		combine(&r, TC_DATA_V2, same, 2, b[1].len + 100);
		CHECK_OK(r.rc);
		CHECK_MSG(r.out.len == b[1].len && !memcmp(r.out.ptr, b[1].ptr, b[1].len), "%zu vs %zu disc %llu dedup %llu", r.out.len, b[1].len, (unsigned long long)r.st.spans_discarded, (unsigned long long)r.st.spans_deduped);
		CHECK_EQ_U64(r.st.spans_discarded, 0);
		CHECK_EQ_U64(r.st.spans_deduped, 5);
		tc_buf_dispose(&r.out);
		/* A corrupt later input is named. */
		same[1].ptr[same[1].len - 3] = 0xff;
		same[1].len -= 2;
		combine(&r, TC_DATA_V2, same, 2, b[1].len + 100);
		CHECK_ERR(r.rc, TC_ECORRUPT);
		CHECK_EQ_U64(r.failed, 1);
		CHECK_ERRMSG("input 1");
		tc_buf_dispose(&r.out);
		free_bodies(same, 2);
	}
	free_bodies(b, 2);
	tc_buf_dispose(&full.out);

	/* A batch's trailing field that no longer fits goes; its spans stay. */
	{
		uint8_t extra[103] = { 0x92, 0x03, 100 }; /* field 50, 100 bytes */
		batch_spec e[] = { { "svc", 3, { { 1, 1, 10, NULL }, { 2, 1, 20, NULL }, { 3, 1, 30, NULL } },
				     NULL, 0, 0, extra, sizeof(extra) } };
		tc_buf one = TC_BUF_INIT;
		memset(extra + 3, 'z', 100);
		build_body(&one, TC_DATA_V2, 1, 2, e, 1);
		combine(&r, TC_DATA_V2, &one, 1, one.len + 100);
		CHECK_OK(r.rc);
		CHECK(contains(&r.out, extra, sizeof(extra)));
		tc_buf_dispose(&r.out);
		combine(&r, TC_DATA_V2, &one, 1, one.len - 60);
		CHECK_OK(r.rc);
		CHECK(r.out.len < one.len - 60 && !contains(&r.out, extra, sizeof(extra)));
		CHECK_EQ_U64(body_spans(TC_DATA_V2, &r.out), 3);
		CHECK_EQ_U64(r.st.spans_discarded, 0);
		tc_buf_dispose(&r.out);
		tc_buf_dispose(&one);
	}
}

/* Groups nested a million deep in a batch: skipped by counting, not by recursion. */
static void test_capped_deep_groups(void)
{
	batch_spec a[] = { { "svc", 1, { { 1, 1, 10, NULL } }, NULL, 0, 0, NULL, 0 } };
	const size_t depth = 1000000;
	tc_buf groups = TC_BUF_INIT, body = TC_BUF_INIT;
	run r;

	for (size_t i = 0; i < depth; i++)
		tc_buf_putc(&groups, 0x2b); /* field 5, start group */
	for (size_t i = 0; i < depth; i++)
		tc_buf_putc(&groups, 0x2c); /* field 5, end group */
	a[0].rs_extra = groups.ptr;
	a[0].rs_extra_len = groups.len;
	build_body(&body, TC_DATA_V2, 1, 2, a, 1);
	combine(&r, TC_DATA_V2, &body, 1, body.len / 2);
	CHECK_OK(r.rc);
	CHECK_EQ_U64(body_spans(TC_DATA_V2, &r.out), 1); /* the group did not fit: it went, the span stayed */
	tc_buf_dispose(&r.out);
	tc_buf_dispose(&body);
	tc_buf_dispose(&groups);
}

/*
 * A span attribute nested levels arrays deep: KeyValue{value: AnyValue{array:
 * ArrayValue{AnyValue{... string}}}}, as an attributes field (9) to append to a span.
 * Its innermost AnyValue sits at depth 5 + 2 * levels below the Trace.
 */
static void deep_attribute(tc_buf *out, size_t levels)
{
	tc_buf any = TC_BUF_INIT, next = TC_BUF_INIT, kv = TC_BUF_INIT;

	put_len(&any, 1, (const uint8_t *)"x", 1);
	for (size_t i = 0; i < levels; i++) {
		tc_buf arr = TC_BUF_INIT;
		put_len(&arr, 1, any.ptr, any.len);
		next.len = 0;
		put_len(&next, 5, arr.ptr, arr.len);
		any.len = 0;
		tc_buf_put(&any, next.ptr, next.len);
		tc_buf_dispose(&arr);
	}
	put_len(&kv, 1, (const uint8_t *)"k", 1);
	put_len(&kv, 2, any.ptr, any.len);
	put_len(out, 9, kv.ptr, kv.len);
	tc_buf_dispose(&any);
	tc_buf_dispose(&next);
	tc_buf_dispose(&kv);
}

/*
 * The nesting limit counts from the Trace wherever a part is checked: a
 * span the combiner keeps is refused exactly when inspect would refuse the
 * trace it ends up in, so the combiner never writes what inspect rejects.
 */
static void test_nesting_limit_from_trace(void)
{
	tc_buf attr = TC_BUF_INIT, b[2] = { TC_BUF_INIT, TC_BUF_INIT };
	size_t n;
	run r;

	for (size_t levels = 47; levels <= 48; levels++) { /* innermost depth 99, then 101 */
		batch_spec a[] = { { "svc", 1, { { 1, 1, 10, NULL } }, NULL, 0, 0, NULL, 0 } };
		batch_spec d[] = { { "svc", 2, { { 1, 1, 10, NULL }, { 2, 1, 20, NULL } }, NULL, 0, 1,
				     NULL, 0 } };
		int ok = levels == 47;

		attr.len = 0;
		deep_attribute(&attr, levels);
		d[0].extra = attr.ptr;
		d[0].extra_len = attr.len;
		b[0].len = b[1].len = 0;
		build_body(&b[0], TC_DATA_V2, 1, 2, a, 1);
		build_body(&b[1], TC_DATA_V2, 1, 2, d, 1);
		CHECK_ERR(tc_trace_validate(&n, TC_DATA_V2, b[1].ptr, b[1].len, &W),
			  ok ? TC_OK : TC_ECORRUPT);
		for (size_t cap = 0; cap <= 1; cap++) {
			combine(&r, TC_DATA_V2, b, 2, cap ? 1u << 20 : 0);
			if (ok) {
				CHECK_OK(r.rc);
				CHECK_EQ_U64(body_spans(TC_DATA_V2, &r.out), 2);
			} else {
				CHECK_ERR(r.rc, TC_ECORRUPT);
				CHECK_ERRMSG("nested too deeply");
				CHECK_EQ_U64(r.failed, 1);
			}
			tc_buf_dispose(&r.out);
		}
	}
	tc_buf_dispose(&attr);
	free_bodies(b, 2);
}

static void test_opaque(void)
{
	tc_buf b[2] = { TC_BUF_INIT, TC_BUF_INIT };
	run r;
	size_t n;

	tc_buf_puts(&b[0], "opaque-bytes");
	tc_buf_puts(&b[1], "opaque-bytes");
	combine(&r, TC_DATA_OPAQUE, b, 2, 0);
	CHECK_OK(r.rc);
	CHECK(r.combined == 0);
	tc_buf_puts(&b[1], "-more");
	combine(&r, TC_DATA_OPAQUE, b, 2, 0);
	CHECK_ERR(r.rc, TC_EUNSUPPORTED);
	CHECK_ERRMSG("opaque");
	CHECK_OK(tc_trace_validate(&n, TC_DATA_OPAQUE, b[0].ptr, b[0].len, &W));
	CHECK_ERR(tc_trace_validate(&n, TC_DATA_OPAQUE, b[0].ptr, 0, &W), TC_ECORRUPT);
	free_bodies(b, 2);
}

static void test_corrupt(void)
{
	batch_spec a[] = { { "svc", 2, { { 1, 1, 10, NULL }, { 2, 1, 20, NULL } }, NULL, 0, 0,
			     NULL, 0 } };
	tc_buf good = TC_BUF_INIT, bad = TC_BUF_INIT, b[2] = { TC_BUF_INIT, TC_BUF_INIT };
	uint8_t v2_trunc_varint[] = { 1, 0, 0, 0, 2, 0, 0, 0, 0x0a, 0x80 };
	uint8_t v2_past_end[] = { 1, 0, 0, 0, 2, 0, 0, 0, 0x0a, 0x05, 0x0a, 0x01 };
	uint8_t wrong_wt[] = { 1, 0, 0, 0, 2, 0, 0, 0, 0x08, 0x01 };
	size_t n;
	run r;

	build_body(&good, TC_DATA_V2, 1, 2, a, 1);
	CHECK_OK(tc_trace_validate(&n, TC_DATA_V2, good.ptr, good.len, &W));
	CHECK_EQ_U64(n, 2);

	CHECK_ERR(tc_trace_validate(&n, TC_DATA_V2, good.ptr, 0, &W), TC_ECORRUPT);
	CHECK_ERRMSG("single-tenant/blk/data");
	CHECK_ERR(tc_trace_validate(&n, TC_DATA_V2, good.ptr, 5, &W), TC_ECORRUPT);
	CHECK_ERR(tc_trace_validate(&n, TC_DATA_V2, v2_trunc_varint, sizeof(v2_trunc_varint), &W),
		  TC_ECORRUPT);
	CHECK_ERRMSG("single-tenant/blk/data");
	CHECK_ERRMSG("truncated varint");
	CHECK_ERR(tc_trace_validate(&n, TC_DATA_V2, v2_past_end, sizeof(v2_past_end), &W),
		  TC_ECORRUPT);
	CHECK_ERRMSG("past the end");
	CHECK_ERR(tc_trace_validate(&n, TC_DATA_V2, wrong_wt, sizeof(wrong_wt), &W), TC_ECORRUPT);
	/* every prefix of a good body that cuts into the protobuf is corrupt */
	for (size_t len = 1; len < good.len; len++) {
		int rc = tc_trace_validate(&n, TC_DATA_V2, good.ptr, len, &W);
		CHECK_MSG(rc == TC_ECORRUPT || (len == 8 && rc == TC_OK),
			  "prefix %zu: rc %d", len, rc);
	}

	/* a corrupt later input fails the combine, naming the key and input */
	tc_buf_put(&b[0], good.ptr, good.len);
	tc_buf_put(&b[1], good.ptr, good.len - 3);
	combine(&r, TC_DATA_V2, b, 2, 0);
	CHECK_ERR(r.rc, TC_ECORRUPT);
	CHECK_ERRMSG("single-tenant/blk/data");
	CHECK_ERRMSG("input 1");
	CHECK_EQ_U64(r.failed, 1);
	CHECK(r.out.len == 0);
	/* a span with a bad nested attribute */
	b[1].len = 0;
	tc_buf_put(&bad, good.ptr, good.len);
	{
		/* turn the service.name AnyValue string (field 1, LEN) into a varint field 1 */
		uint8_t *p = memmem(bad.ptr, bad.len, "\x12\x05\x0a\x03svc", 7);
		CHECK(p != NULL);
		p[2] = 0x08;
	}
	tc_buf_put(&b[1], bad.ptr, bad.len);
	combine(&r, TC_DATA_V2, b, 2, 0);
	CHECK_ERR(r.rc, TC_ECORRUPT);
	CHECK_ERRMSG("wrong wire type");
	free_bodies(b, 2);
	tc_buf_dispose(&good);
	tc_buf_dispose(&bad);
}

static void test_body_trace_roundtrip(void)
{
	batch_spec a[] = { { "svc", 1, { { 1, 1, 10, NULL } }, NULL, 0, 0, NULL, 0 },
			   { "svc2", 1, { { 2, 1, 10, NULL } }, NULL, 0, 0, NULL, 0 } };
	tc_buf t1 = TC_BUF_INIT, t2 = TC_BUF_INIT, body = TC_BUF_INIT, got = TC_BUF_INIT;
	uint32_t s, e;

	/* a body of two TraceBytes entries flattens to one Trace with both batches */
	pack_trace(&t1, &a[0], 1);
	pack_trace(&t2, &a[1], 1);
	tc_buf_put_u32le(&body, 7);
	tc_buf_put_u32le(&body, 9);
	put_len(&body, 1, t1.ptr, t1.len);
	put_len(&body, 1, t2.ptr, t2.len);
	CHECK_OK(tc_trace_body_to_trace(&got, TC_DATA_V2, body.ptr, body.len, &W));
	CHECK(got.len == t1.len + t2.len);
	CHECK(memcmp(got.ptr, t1.ptr, t1.len) == 0);
	CHECK(memcmp(got.ptr + t1.len, t2.ptr, t2.len) == 0);
	body.len = 0;
	CHECK_OK(tc_trace_body_from_trace(&body, TC_DATA_V2, 7, 9, got.ptr, got.len));
	CHECK_OK(tc_trace_v2_range(&s, &e, body.ptr, body.len, &W));
	CHECK(s == 7 && e == 9);
	CHECK_ERR(tc_trace_v2_range(&s, &e, body.ptr, 7, &W), TC_ECORRUPT);
	tc_buf_dispose(&t1);
	tc_buf_dispose(&t2);
	tc_buf_dispose(&body);
	tc_buf_dispose(&got);
}

/*
 * Tempo fixture: combine the objects of the 4 `none` input blocks and
 * compare with Tempo's own compaction.
 */

typedef struct fobj {
	const uint8_t *id, *body;
	size_t len;
} fobj;

typedef struct fblock {
	tc_buf data;
	fobj *o;
	size_t n;
} fblock;

static int load_block(fblock *b, const char *dir)
{
	char path[4096];
	size_t pos = 0;

	memset(b, 0, sizeof(*b));
	snprintf(path, sizeof(path), "%s/data", dir);
	if (tc_test_read_file(&b->data, path) < 0)
		return -1;
	b->o = calloc(4096, sizeof(fobj));
	while (pos + 6 <= b->data.len) {
		uint32_t total = tc_get_u32le(b->data.ptr + pos);
		size_t p = pos + 6, end = pos + total;
		if (total < 6 || end > b->data.len || tc_get_u16le(b->data.ptr + pos + 4) != 0)
			return -1;
		while (p < end) {
			uint32_t ot, il;
			if (end - p < 8)
				return -1;
			ot = tc_get_u32le(b->data.ptr + p);
			il = tc_get_u32le(b->data.ptr + p + 4);
			if (il != 16 || ot < 8 + il || ot > end - p || b->n >= 4096)
				return -1;
			b->o[b->n].id = b->data.ptr + p + 8;
			b->o[b->n].body = b->data.ptr + p + 8 + il;
			b->o[b->n].len = ot - 8 - il;
			b->n++;
			p += ot;
		}
		pos = end;
	}
	return pos == b->data.len ? 0 : -1;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Block directories of a fixture set, sorted by block ID. */
static size_t list_blocks(char dirs[][4096], size_t max, const char *set)
{
	const char *root = tc_test_data(set);
	char tenant[2048];
	char *names[16];
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	snprintf(tenant, sizeof(tenant), "%s/blocks/single-tenant", root);
	d = opendir(tenant);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max && n < 16)
		if (strlen(de->d_name) == 36)
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_name);
	for (size_t i = 0; i < n; i++) {
		snprintf(dirs[i], 4096, "%s/%s", tenant, names[i]);
		free(names[i]);
	}
	return n;
}

typedef struct blob {
	const uint8_t *p;
	size_t n;
} blob;

static int cmp_blob(const void *va, const void *vb)
{
	const blob *a = va, *b = vb;
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	return memcmp(a->p, b->p, a->n);
}

/* Every span of a body, re-packed by protobuf-c (canonical, like gogo), sorted. */
static size_t span_multiset(blob **out, tc_buf *store, const uint8_t *body, size_t len)
{
	Tempopb__TraceBytes *tb = tempopb__trace_bytes__unpack(NULL, len - 8, body + 8);
	size_t n = 0, cap = 0;
	tc_buf offs = TC_BUF_INIT;

	*out = NULL;
	if (!tb)
		return SIZE_MAX;
	store->len = 0;
	for (size_t e = 0; e < tb->n_traces; e++) {
		Tempopb__Trace *t = tempopb__trace__unpack(NULL, tb->traces[e].len,
							   tb->traces[e].data);
		if (!t)
			return SIZE_MAX;
		for (size_t b = 0; b < t->n_batches; b++)
			for (size_t i = 0; i < t->batches[b]->n_instrumentation_library_spans; i++) {
				Tempopb__Trace__V1__InstrumentationLibrarySpans *ils =
					t->batches[b]->instrumentation_library_spans[i];
				for (size_t s = 0; s < ils->n_spans; s++) {
					size_t sz = tempopb__trace__v1__span__get_packed_size(ils->spans[s]);
					uint8_t *dst;
					size_t at = store->len;
					tc_buf_grow_by(store, &dst, sz);
					tempopb__trace__v1__span__pack(ils->spans[s], dst);
					tc_buf_put(&offs, &at, sizeof(at));
					tc_buf_put(&offs, &sz, sizeof(sz));
					n++;
				}
			}
		tempopb__trace__free_unpacked(t, NULL);
	}
	tempopb__trace_bytes__free_unpacked(tb, NULL);
	(void)cap;
	*out = calloc(n ? n : 1, sizeof(blob));
	for (size_t i = 0; i < n; i++) {
		size_t at, sz;
		memcpy(&at, offs.ptr + i * 2 * sizeof(size_t), sizeof(at));
		memcpy(&sz, offs.ptr + (i * 2 + 1) * sizeof(size_t), sizeof(sz));
		(*out)[i].p = store->ptr + at;
		(*out)[i].n = sz;
	}
	qsort(*out, n, sizeof(blob), cmp_blob);
	tc_buf_dispose(&offs);
	return n;
}

static int same_spans(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	tc_buf sa = TC_BUF_INIT, sb = TC_BUF_INIT;
	blob *xa, *xb;
	size_t na = span_multiset(&xa, &sa, a, al), nb = span_multiset(&xb, &sb, b, bl);
	int ok = na != SIZE_MAX && na == nb;

	for (size_t i = 0; ok && i < na; i++)
		ok = cmp_blob(&xa[i], &xb[i]) == 0;
	free(xa);
	free(xb);
	tc_buf_dispose(&sa);
	tc_buf_dispose(&sb);
	return ok;
}

static void test_fixture_none(void)
{
	char dirs[8][4096], outdir[1][4096];
	fblock in[4], want;
	size_t nin = list_blocks(dirs, 8, "tempo-v2/none");
	size_t pos[4] = { 0 }, wi = 0, ncomb = 0, nident = 0, npass = 0;
	tc_combiner *c = NULL;
	tc_combine_stats st = { 0 };
	tc_buf out = TC_BUF_INIT;

	CHECK_EQ_U64(nin, 4);
	CHECK(list_blocks(outdir, 1, "tempo-v2/none-tempo-compacted") == 1);
	for (size_t i = 0; i < nin; i++)
		CHECK(load_block(&in[i], dirs[i]) == 0);
	CHECK(load_block(&want, outdir[0]) == 0);
	CHECK_OK(tc_combiner_new(&c, TC_DATA_V2));

	/* k-way merge by ID, equal heads in block order */
	for (;;) {
		const uint8_t *min = NULL;
		tc_object objs[4];
		size_t n = 0;
		int combined;

		for (size_t i = 0; i < nin; i++)
			if (pos[i] < in[i].n &&
			    (!min || memcmp(in[i].o[pos[i]].id, min, 16) < 0))
				min = in[i].o[pos[i]].id;
		if (!min)
			break;
		for (size_t i = 0; i < nin; i++)
			if (pos[i] < in[i].n && memcmp(in[i].o[pos[i]].id, min, 16) == 0) {
				objs[n].id = min;
				objs[n].id_len = 16;
				objs[n].body = in[i].o[pos[i]].body;
				objs[n].body_len = in[i].o[pos[i]].len;
				n++;
				pos[i]++;
			}
		CHECK(wi < want.n && memcmp(want.o[wi].id, min, 16) == 0);
		out.len = 0;
		CHECK_OK(tc_combiner_run(&out, &combined, NULL, c, objs, n, &st, &W));
		if (!combined) {
			npass++;
			CHECK(want.o[wi].len == objs[0].body_len &&
			      memcmp(want.o[wi].body, objs[0].body, objs[0].body_len) == 0);
		} else {
			uint32_t s, e, ws, we;
			ncomb++;
			CHECK_MSG(same_spans(out.ptr, out.len, want.o[wi].body, want.o[wi].len),
				  "object %zu: span sets differ", wi);
			CHECK_OK(tc_trace_v2_range(&s, &e, out.ptr, out.len, &W));
			CHECK_OK(tc_trace_v2_range(&ws, &we, want.o[wi].body, want.o[wi].len, &W));
			CHECK(s == ws && e == we);
			if (out.len == want.o[wi].len &&
			    memcmp(out.ptr, want.o[wi].body, out.len) == 0)
				nident++;
		}
		wi++;
	}
	CHECK_EQ_U64(wi, want.n);
	fprintf(stderr, "  fixture none: %zu objects, %zu passed through, %zu combined, "
			"%zu of them byte-identical to Tempo's\n", wi, npass, ncomb, nident);
	CHECK(ncomb > 0);
	CHECK_EQ_U64(nident, ncomb);
	CHECK_EQ_U64(st.objects_combined, ncomb);
	tc_combiner_free(c);
	tc_buf_dispose(&out);
	for (size_t i = 0; i < nin; i++) {
		tc_buf_dispose(&in[i].data);
		free(in[i].o);
	}
	tc_buf_dispose(&want.data);
	free(want.o);
}

TC_TEST_MAIN(T(test_data_kind), T(test_identical_pass_through), T(test_dedup_first_wins),
	     T(test_same_id_other_kind_kept), T(test_last_input_not_recorded),
	     T(test_v1_last_input_recorded), T(test_mutations), T(test_ordering),
	     T(test_range_and_v1), T(test_unknown_fields_survive), T(test_max_bytes), T(test_capped_deep_groups),
	     T(test_nesting_limit_from_trace),
	     T(test_opaque), T(test_corrupt), T(test_body_trace_roundtrip),
	     T(test_fixture_none))
