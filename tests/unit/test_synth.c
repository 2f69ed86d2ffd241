/*
 * The synthetic block generator: what it writes reads back as valid blocks,
 * replicas are the same data under distinct IDs, continued traces show up
 * in consecutive flushes with re-sent spans the combiner drops, the big
 * trace's hand-framed body is what tc_trace_body_from_trace would make, and
 * the same options give the same bytes.
 */
#include <math.h>
#include <stdlib.h>

#include "encoding/block_reader.h"
#include "encoding/trace.h"
#include "src/backend/backend.h"
#include "src/gen/synth.h"
#include "tests/spans.h"
#include "tests/test.h"

#define NS 1000000000LL
#define MAX_BLOCKS 16

typedef struct blocks {
	tc_synth_block b[MAX_BLOCKS];
	size_t n;
	int stop_after; /* > 0: fail the run after this many blocks */
} blocks;

static int collect(const tc_synth_block *b, void *ctx)
{
	blocks *bs = ctx;

	if (bs->n == MAX_BLOCKS)
		return TC_ERROR;
	bs->b[bs->n++] = *b;
	if (bs->stop_after && bs->n == (size_t)bs->stop_after) {
		tc_error_set("stopped by the test");
		return TC_ECANCELED;
	}
	return TC_OK;
}

static void small_opts(tc_synth_opts *o)
{
	tc_synth_opts_default(o);
	o->tenant = "synth-t";
	o->flushes = 3;
	o->replicas = 2;
	o->traces = 60;
	o->spans = 6;
	o->continue_frac = 0.25;
	o->seed = 11;
	tc_time_parse(&o->now, "2026-06-01T12:00:00Z");
}

/* Every object of a block: IDs and bodies. */
typedef struct objs {
	uint8_t (*ids)[TC_ID_LEN];
	tc_buf *bodies;
	size_t n;
} objs;

static int read_objs(objs *out, tc_backend *be, const tc_meta *m)
{
	tc_block_reader *r;
	tc_object o;
	int rc;

	out->ids = calloc((size_t)m->total_objects + 1, TC_ID_LEN);
	out->bodies = calloc((size_t)m->total_objects + 1, sizeof(tc_buf));
	out->n = 0;
	if ((rc = tc_block_reader_open(&r, be, m, NULL)) < 0)
		return rc;
	while ((rc = tc_block_reader_next(&o, r)) == 1 && out->n < (size_t)m->total_objects) {
		memcpy(out->ids[out->n], o.id, TC_ID_LEN);
		tc_buf_init(&out->bodies[out->n], 0);
		tc_buf_put(&out->bodies[out->n], o.body, o.body_len);
		out->n++;
	}
	tc_block_reader_free(r);
	return rc;
}

static void free_objs(objs *o)
{
	for (size_t i = 0; i < o->n; i++)
		tc_buf_dispose(&o->bodies[i]);
	free(o->bodies);
	free(o->ids);
}

/* Index of id in o, or -1. */
static long find_id(const objs *o, const uint8_t *id)
{
	for (size_t i = 0; i < o->n; i++)
		if (!memcmp(o->ids[i], id, TC_ID_LEN))
			return (long)i;
	return -1;
}

static void test_blocks_read_back(void)
{
	tc_synth_opts o;
	tc_backend *be;
	blocks bs = { .n = 0 };

	small_opts(&o);
	CHECK_OK(tc_backend_mem_new(&be));
	CHECK_OK(tc_synth_generate(be, &o, collect, &bs));
	CHECK_EQ_U64(bs.n, 6);
	for (size_t i = 0; i < bs.n; i++) {
		const tc_synth_block *b = &bs.b[i];
		int64_t end = o.now.sec - 7200 + (int64_t)b->flush * 300;
		uint64_t spans = 0;
		objs ob;

		CHECK_EQ_U64(b->flush, i / 2);
		CHECK_EQ_U64(b->replica, i % 2);
		CHECK_EQ_U64(b->meta.level, 0);
		CHECK_STR(b->meta.data_encoding, "v2");
		CHECK_STR(b->meta.tenant, "synth-t");
		CHECK_EQ_U64(b->meta.total_objects, 60);
		CHECK_EQ_U64(b->meta.end.sec, end);
		CHECK(b->meta.start.sec <= end - 300);
		CHECK(b->meta.start.sec >= end - 600);
		CHECK_OK(read_objs(&ob, be, &b->meta));
		CHECK_EQ_U64(ob.n, 60);
		for (size_t k = 0; k < ob.n; k++) {
			size_t n = 0;
			uint32_t s, e;
			tc_where w = { "synth body", 0 };
			const tc_buf *body = &ob.bodies[k];
			CHECK_OK(tc_trace_validate(&n, TC_DATA_V2, body->ptr, body->len, &w));
			CHECK(n >= 1);
			spans += n;
			CHECK_OK(tc_trace_v2_range(&s, &e, body->ptr, body->len, &w));
			CHECK(s <= e);
			CHECK(s >= b->meta.start.sec);
			CHECK(e <= b->meta.end.sec);
		}
		CHECK_EQ_U64(spans, b->spans);
		/* ~spans per trace, re-sent ones on top: 60 traces x 1..12 spans. */
		CHECK(spans >= 60 * 3 && spans <= 60 * 15);
		free_objs(&ob);
	}
	tc_backend_free(be);
}

static void test_replicas_identical(void)
{
	static const char *const files[] = { "data", "index", "bloom-0" };
	tc_synth_opts o;
	tc_backend *be;
	blocks bs = { .n = 0 };

	small_opts(&o);
	o.replicas = 3;
	CHECK_OK(tc_backend_mem_new(&be));
	CHECK_OK(tc_synth_generate(be, &o, collect, &bs));
	CHECK_EQ_U64(bs.n, 9);
	for (size_t i = 0; i < bs.n; i++) {
		const tc_meta *a = &bs.b[i - i % 3].meta, *b = &bs.b[i].meta;
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(bs.b[j].meta.block_id, b->block_id) != 0);
		CHECK(!memcmp(a->min_id, b->min_id, TC_ID_LEN));
		CHECK(!memcmp(a->max_id, b->max_id, TC_ID_LEN));
		CHECK_EQ_U64(a->size, b->size);
		CHECK(tc_time_cmp(&a->start, &b->start) == 0 && tc_time_cmp(&a->end, &b->end) == 0);
		for (size_t f = 0; f < 3; f++) {
			char ka[TC_KEY_MAX], kb[TC_KEY_MAX];
			tc_buf da = TC_BUF_INIT, db = TC_BUF_INIT;
			CHECK_OK(tc_key_block(ka, sizeof(ka), a->tenant, a->block_id, files[f]));
			CHECK_OK(tc_key_block(kb, sizeof(kb), b->tenant, b->block_id, files[f]));
			CHECK_OK(tc_backend_read(&da, be, ka));
			CHECK_OK(tc_backend_read(&db, be, kb));
			CHECK_MSG(da.len == db.len && !memcmp(da.ptr, db.ptr, da.len), "%s differs from %s",
				  kb, ka);
			tc_buf_dispose(&da);
			tc_buf_dispose(&db);
		}
	}
	tc_backend_free(be);
}

/* Spans the two bodies share byte for byte. */
static size_t common_spans(const tc_buf *a, const tc_buf *b, size_t *na, size_t *nb)
{
	tc_test_spans sa = { 0 }, sb = { 0 };
	size_t i = 0, j = 0, n = 0;

	if (tc_test_spans_of(&sa, a->ptr, a->len, 1) < 0 ||
	    tc_test_spans_of(&sb, b->ptr, b->len, 1) < 0)
		return SIZE_MAX;
	tc_test_spans_sort(&sa);
	tc_test_spans_sort(&sb);
	*na = sa.n;
	*nb = sb.n;
	while (i < sa.n && j < sb.n) {
		const tc_test_span *x = &sa.s[i], *y = &sb.s[j];
		size_t m = x->len < y->len ? x->len : y->len;
		int c = memcmp(x->p, y->p, m);
		if (c == 0)
			c = x->len < y->len ? -1 : x->len > y->len;
		if (c == 0)
			n++;
		i += c <= 0;
		j += c >= 0;
	}
	tc_test_spans_free(&sa);
	tc_test_spans_free(&sb);
	return n;
}

/* A continued trace: part f+1 re-sends 1-3 of part f's spans; combining drops exactly those. */
static void check_continuation(const tc_buf *a, const tc_buf *b, const uint8_t *id)
{
	size_t na = 0, nb = 0, common = common_spans(a, b, &na, &nb), total = 0;
	tc_object in[2] = { { id, TC_ID_LEN, a->ptr, a->len }, { id, TC_ID_LEN, b->ptr, b->len } };
	tc_combiner *c;
	tc_combine_stats st = { 0 };
	tc_buf out = TC_BUF_INIT;
	int combined = 0;
	tc_where w = { "combined", 0 };

	CHECK(common != SIZE_MAX);
	CHECK_MSG(common >= 1 && common <= 3, "%zu spans re-sent", common);
	CHECK(nb > common); /* and new ones */
	CHECK_OK(tc_combiner_new(&c, TC_DATA_V2));
	CHECK_OK(tc_combiner_run(&out, &combined, NULL, c, in, 2, &st, &w));
	CHECK(combined);
	CHECK_EQ_U64(st.spans_deduped, common);
	CHECK_OK(tc_trace_validate(&total, TC_DATA_V2, out.ptr, out.len, &w));
	CHECK_EQ_U64(total, na + nb - common);
	tc_combiner_free(c);
	tc_buf_dispose(&out);
}

static void test_continued_traces(void)
{
	tc_synth_opts o;
	tc_backend *be;
	blocks bs = { .n = 0 };
	objs ob[3];
	size_t chains = 0;

	small_opts(&o);
	o.replicas = 1;
	CHECK_OK(tc_backend_mem_new(&be));
	CHECK_OK(tc_synth_generate(be, &o, collect, &bs));
	CHECK_EQ_U64(bs.n, 3);
	for (size_t f = 0; f < 3; f++)
		CHECK_OK(read_objs(&ob[f], be, &bs.b[f].meta));
	for (size_t f = 0; f + 1 < 3; f++) {
		size_t shared = 0;
		for (size_t i = 0; i < ob[f + 1].n; i++) {
			long k = find_id(&ob[f], ob[f + 1].ids[i]);
			if (k < 0)
				continue;
			shared++;
			check_continuation(&ob[f].bodies[k], &ob[f + 1].bodies[i], ob[f].ids[k]);
			if (tc_test_failures)
				return;
			chains += f == 1 && find_id(&ob[0], ob[f + 1].ids[i]) >= 0;
		}
		CHECK_EQ_U64(shared, (uint64_t)llround(0.25 * 60));
	}
	/* Continued traces may continue again, so some of flush 0's reach flush 2. */
	CHECK(chains >= 1);
	/* A trace seen in flush 0 and 2 but not 1 would be no continuation at all. */
	for (size_t i = 0; i < ob[2].n; i++)
		CHECK(find_id(&ob[0], ob[2].ids[i]) < 0 || find_id(&ob[1], ob[2].ids[i]) >= 0);
	for (size_t f = 0; f < 3; f++)
		free_objs(&ob[f]);
	tc_backend_free(be);
}

/* Every object under the tenant of both backends, compared byte for byte. */
static int same_bytes(tc_backend *a, tc_backend *b, const blocks *ba, const blocks *bb)
{
	int same = ba->n == bb->n;

	for (size_t i = 0; same && i < ba->n; i++) {
		const tc_meta *m = &ba->b[i].meta;
		char prefix[TC_KEY_MAX], key[TC_KEY_MAX];
		tc_strlist names = TC_STRLIST_INIT;

		same = !strcmp(m->block_id, bb->b[i].meta.block_id);
		snprintf(prefix, sizeof(prefix), "%s/%s/", m->tenant, m->block_id);
		if (!same || tc_backend_list_objects(&names, a, prefix) < 0 || names.n < 4)
			same = 0;
		for (size_t k = 0; same && k < names.n; k++) {
			tc_buf x = TC_BUF_INIT, y = TC_BUF_INIT;
			snprintf(key, sizeof(key), "%s%s", prefix, names.items[k]);
			same = tc_backend_read(&x, a, key) == TC_OK &&
			       tc_backend_read(&y, b, key) == TC_OK && x.len == y.len &&
			       !memcmp(x.ptr, y.ptr, x.len);
			tc_buf_dispose(&x);
			tc_buf_dispose(&y);
		}
		tc_strlist_dispose(&names);
	}
	return same;
}

static void test_same_seed_same_bytes(void)
{
	tc_synth_opts o;
	tc_backend *a, *b, *c;
	blocks ba = { .n = 0 }, bb = { .n = 0 }, bc = { .n = 0 };

	small_opts(&o);
	o.big_trace_bytes = 50000;
	CHECK_OK(tc_backend_mem_new(&a));
	CHECK_OK(tc_backend_mem_new(&b));
	CHECK_OK(tc_backend_mem_new(&c));
	CHECK_OK(tc_synth_generate(a, &o, collect, &ba));
	CHECK_OK(tc_synth_generate(b, &o, collect, &bb));
	CHECK(same_bytes(a, b, &ba, &bb));
	/* The seed names the blocks: a second run into the same bucket would overwrite them. */
	CHECK_ERR(tc_synth_generate(a, &o, NULL, NULL), TC_EINVALID);
	CHECK_ERRMSG("already exists");
	o.seed = 12;
	CHECK_OK(tc_synth_generate(c, &o, collect, &bc));
	CHECK_EQ_U64(bc.n, ba.n);
	for (size_t i = 0; i < bc.n; i++)
		CHECK(strcmp(bc.b[i].meta.block_id, ba.b[i].meta.block_id) != 0);
	CHECK(memcmp(bc.b[0].meta.min_id, ba.b[0].meta.min_id, TC_ID_LEN) != 0);
	tc_backend_free(a);
	tc_backend_free(b);
	tc_backend_free(c);
}

/* The big trace's body is framed by hand; it must be what the library would frame. */
static void check_big_body(const tc_buf *body, tc_data_kind kind, size_t share)
{
	tc_buf tr = TC_BUF_INIT, re = TC_BUF_INIT;
	tc_where w = { "big trace", 0 };
	uint32_t s = 0, e = 0;
	size_t spans = 0;

	CHECK_MSG(body->len >= share && body->len < share + 300000,
		  "big body of %zu bytes for a share of %zu", body->len, share);
	CHECK_OK(tc_trace_validate(&spans, kind, body->ptr, body->len, &w));
	CHECK(spans % 64 == 0);
	if (kind == TC_DATA_V2)
		CHECK_OK(tc_trace_v2_range(&s, &e, body->ptr, body->len, &w));
	CHECK_OK(tc_trace_body_to_trace(&tr, kind, body->ptr, body->len, &w));
	CHECK_OK(tc_trace_body_from_trace(&re, kind, s, e, tr.ptr, tr.len));
	CHECK(re.len == body->len && !memcmp(re.ptr, body->ptr, re.len));
	tc_buf_dispose(&tr);
	tc_buf_dispose(&re);
}

static void big_trace_case(const char *data_encoding)
{
	tc_synth_opts o;
	tc_backend *be;
	blocks bs = { .n = 0 };
	uint8_t id[TC_ID_LEN];
	tc_data_kind kind = tc_data_kind_of(data_encoding);

	small_opts(&o);
	o.traces = 5;
	o.data_encoding = data_encoding;
	o.big_trace_bytes = 600000;
	tc_synth_big_trace_id(id, &o);
	CHECK_OK(tc_backend_mem_new(&be));
	CHECK_OK(tc_synth_generate(be, &o, collect, &bs));
	CHECK_EQ_U64(bs.n, 6);
	for (size_t i = 0; i < bs.n; i++) {
		tc_buf body = TC_BUF_INIT, other = TC_BUF_INIT;
		CHECK_EQ_U64(bs.b[i].meta.total_objects, 6);
		CHECK_STR(bs.b[i].meta.data_encoding, data_encoding);
		CHECK_OK(tc_block_find(&body, be, &bs.b[i].meta, id, NULL));
		check_big_body(&body, kind, 200000);
		if (tc_test_failures)
			return;
		CHECK_OK(tc_block_find(&other, be, &bs.b[i - i % 2].meta, id, NULL));
		CHECK(other.len == body.len && !memcmp(other.ptr, body.ptr, body.len));
		tc_buf_dispose(&body);
		tc_buf_dispose(&other);
	}
	tc_backend_free(be);
}

static void test_big_trace_v2(void)
{
	big_trace_case("v2");
}

static void test_big_trace_v1(void)
{
	big_trace_case("v1");
}

static void test_v1_bodies(void)
{
	tc_synth_opts o;
	tc_backend *be;
	blocks bs = { .n = 0 };
	objs ob;

	small_opts(&o);
	o.flushes = 1;
	o.replicas = 1;
	o.data_encoding = "v1";
	o.block.encoding = TC_ENC_SNAPPY;
	o.level = 2;
	CHECK_OK(tc_backend_mem_new(&be));
	CHECK_OK(tc_synth_generate(be, &o, collect, &bs));
	CHECK_EQ_U64(bs.n, 1);
	CHECK_EQ_U64(bs.b[0].meta.level, 2);
	CHECK(bs.b[0].meta.encoding == TC_ENC_SNAPPY);
	CHECK_OK(read_objs(&ob, be, &bs.b[0].meta));
	for (size_t k = 0; k < ob.n; k++) {
		size_t n = 0;
		tc_where w = { "v1 body", 0 };
		CHECK_OK(tc_trace_validate(&n, TC_DATA_V1, ob.bodies[k].ptr, ob.bodies[k].len, &w));
	}
	free_objs(&ob);
	tc_backend_free(be);
}

static void test_bad_options(void)
{
	static const struct {
		const char *field, *needle;
	} cases[] = {
		{ "tenant", "tenant" },   { "flushes", "flushes" }, { "replicas", "replicas" },
		{ "traces", "traces" },   { "spans", "spans" },     { "continue", "continue" },
		{ "interval", "interval" }, { "data", "data encoding" }, { "big", "big trace" },
		{ "age", "age" },
	};
	tc_backend *be;
	tc_strlist tenants = TC_STRLIST_INIT;

	CHECK_OK(tc_backend_mem_new(&be));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tc_synth_opts o;
		const char *f = cases[i].field;
		small_opts(&o);
		if (!strcmp(f, "tenant"))
			o.tenant = "../etc";
		else if (!strcmp(f, "flushes"))
			o.flushes = 0;
		else if (!strcmp(f, "replicas"))
			o.replicas = TC_SYNTH_MAX_REPLICAS + 1;
		else if (!strcmp(f, "traces"))
			o.traces = 0;
		else if (!strcmp(f, "spans"))
			o.spans = 0;
		else if (!strcmp(f, "continue"))
			o.continue_frac = NAN;
		else if (!strcmp(f, "interval"))
			o.flush_interval_ns = 0;
		else if (!strcmp(f, "data"))
			o.data_encoding = "v3";
		else if (!strcmp(f, "big"))
			o.big_trace_bytes = 10ULL << 30;
		else
			o.age_ns = -1;
		CHECK_ERR(tc_synth_generate(be, &o, NULL, NULL), TC_EINVALID);
		CHECK_ERRMSG(cases[i].needle);
	}
	CHECK_OK(tc_backend_list(&tenants, be, ""));
	CHECK_EQ_U64(tenants.n, 0);
	tc_strlist_dispose(&tenants);
	tc_backend_free(be);
}

/* A callback error stops the run; only finished blocks remain. */
static void test_callback_stops(void)
{
	tc_synth_opts o;
	tc_backend *be;
	blocks bs = { .n = 0, .stop_after = 1 };
	tc_strlist names = TC_STRLIST_INIT;

	small_opts(&o);
	CHECK_OK(tc_backend_mem_new(&be));
	CHECK_ERR(tc_synth_generate(be, &o, collect, &bs), TC_ECANCELED);
	CHECK_EQ_U64(bs.n, 1);
	CHECK_OK(tc_backend_list(&names, be, "synth-t/"));
	CHECK_EQ_U64(names.n, 1);
	CHECK_STR(names.items[0], bs.b[0].meta.block_id);
	tc_strlist_dispose(&names);
	tc_backend_free(be);
}

TC_TEST_MAIN(T(test_blocks_read_back), T(test_replicas_identical), T(test_continued_traces),
	     T(test_same_seed_same_bytes), T(test_big_trace_v2), T(test_big_trace_v1),
	     T(test_v1_bodies), T(test_bad_options), T(test_callback_stops))
