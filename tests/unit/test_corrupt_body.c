/*
 * Never write what cannot be read back (docs/COMPACTOR.md#validating-the-output):
 * a trace whose body is corrupt (bad wire type, truncated field, varint
 * overflow, absurd nesting, ...) fails the compaction, whatever path it
 * takes through the merge (one copy, identical replicas, deferred, capped,
 * combined), naming the block, the trace ID and the offset, and changes
 * nothing in the bucket; inspect refuses the same object with the same
 * message; the service quarantines the block and compacts the rest.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "encoding/block_verify.h"
#include "encoding/block_writer.h"
#include "src/compactor/blocklist.h"
#include "src/compactor/compact.h"
#include "src/compactor/service.h"
#include "src/gen/synth.h"
#include "src/util/log.h"
#include "tests/test.h"

#define TENANT "t"
#define SEC 1000000000LL

static void put_varint(tc_buf *b, uint64_t v)
{
	while (v >= 0x80) {
		tc_buf_putc(b, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	tc_buf_putc(b, (uint8_t)v);
}

static void put_len(tc_buf *b, uint32_t num, const void *p, size_t len)
{
	put_varint(b, (uint64_t)num << 3 | 2);
	put_varint(b, len);
	tc_buf_put(b, p, len);
}

static void put_fixed64(tc_buf *b, uint32_t num, uint64_t v)
{
	uint8_t x[8];
	put_varint(b, (uint64_t)num << 3 | 1);
	tc_put_u64le(x, v);
	tc_buf_put(b, x, 8);
}

static void id_of(uint8_t id[TC_ID_LEN], uint8_t k)
{
	memset(id, 0, TC_ID_LEN);
	id[TC_ID_LEN - 1] = k;
}

/* A span of trace k with span ID sid, then extra raw bytes (the damage, or nothing). */
static void span_of(tc_buf *out, uint8_t k, uint8_t sid, const uint8_t *extra, size_t extra_len)
{
	uint8_t tid[TC_ID_LEN], spid[8] = { 0, 0, 0, 0, 0, 0, 0x5a, sid };

	id_of(tid, k);
	put_len(out, 1, tid, TC_ID_LEN);
	put_len(out, 2, spid, sizeof(spid));
	put_len(out, 5, "op", 2);
	put_varint(out, 6 << 3);
	put_varint(out, 2);
	put_fixed64(out, 7, 1000u * sid);
	put_fixed64(out, 8, 1000u * sid + 500);
	tc_buf_put(out, extra, extra_len);
}

/* A v2 body: start | end | TraceBytes{Trace{ResourceSpans{Resource{}, ILS{spans}}}}. */
static void body_of(tc_buf *out, const tc_buf *spans, size_t n)
{
	tc_buf ils = TC_BUF_INIT, rs = TC_BUF_INIT, tr = TC_BUF_INIT;

	for (size_t i = 0; i < n; i++)
		put_len(&ils, 2, spans[i].ptr, spans[i].len);
	put_len(&rs, 1, "", 0);
	put_len(&rs, 2, ils.ptr, ils.len);
	put_len(&tr, 1, rs.ptr, rs.len);
	tc_buf_put_u32le(out, 100);
	tc_buf_put_u32le(out, 200);
	put_len(out, 1, tr.ptr, tr.len);
	tc_buf_dispose(&ils);
	tc_buf_dispose(&rs);
	tc_buf_dispose(&tr);
}

/* A good body of trace k: spans 1..nspans. */
static void good_body(tc_buf *out, uint8_t k, size_t nspans)
{
	tc_buf spans[4] = { TC_BUF_INIT, TC_BUF_INIT, TC_BUF_INIT, TC_BUF_INIT };

	for (size_t i = 0; i < nspans; i++)
		span_of(&spans[i], k, (uint8_t)(i + 1), NULL, 0);
	body_of(out, spans, nspans);
	for (size_t i = 0; i < 4; i++)
		tc_buf_dispose(&spans[i]);
}

/* A span attribute nested `levels` arrays deep (its innermost value sits at depth 5 + 2 * levels). */
static void deep_attribute(tc_buf *out, size_t levels)
{
	tc_buf any = TC_BUF_INIT, next = TC_BUF_INIT, kv = TC_BUF_INIT;

	put_len(&any, 1, "x", 1);
	for (size_t i = 0; i < levels; i++) {
		tc_buf arr = TC_BUF_INIT;
		put_len(&arr, 1, any.ptr, any.len);
		next.len = 0;
		put_len(&next, 5, arr.ptr, arr.len);
		any.len = 0;
		tc_buf_put(&any, next.ptr, next.len);
		tc_buf_dispose(&arr);
	}
	put_len(&kv, 1, "k", 1);
	put_len(&kv, 2, any.ptr, any.len);
	put_len(out, 9, kv.ptr, kv.len);
	tc_buf_dispose(&any);
	tc_buf_dispose(&next);
	tc_buf_dispose(&kv);
}

/* The classes of damage; each is refused by inspect. */
typedef enum damage {
	BAD_WIRE_TYPE,     /* wire type 7 */
	WRONG_WIRE_TYPE,   /* span.kind as a length-delimited field */
	TRUNCATED_FIELD,   /* span.name claims 16 bytes, 3 follow */
	VARINT_OVERFLOW,   /* span.kind as an 11-byte varint */
	DEEP_NESTING,      /* an attribute 60 arrays deep: past 100 messages below the Trace */
	UNTERMINATED_GROUP,
	STRAY_END_GROUP,
	TRUNCATED_BODY,    /* the body's TraceBytes stops inside a length */
	SHORT_V2_BODY,     /* fewer than the 8 bytes of start/end */
	N_DAMAGE
} damage;

static const struct {
	const char *name;
	const char *why;        /* in the message of the uncapped paths */
} DAMAGE[N_DAMAGE] = {
	[BAD_WIRE_TYPE] = { "bad wire type", "illegal wire type" },
	[WRONG_WIRE_TYPE] = { "wrong wire type", "wrong wire type" },
	[TRUNCATED_FIELD] = { "truncated field", "length runs past the end" },
	[VARINT_OVERFLOW] = { "varint overflow", "varint longer than 10 bytes" },
	[DEEP_NESTING] = { "deep nesting", "nested too deeply" },
	[UNTERMINATED_GROUP] = { "unterminated group", "unterminated group" },
	[STRAY_END_GROUP] = { "stray end group", "end-group tag outside a group" },
	[TRUNCATED_BODY] = { "truncated body", "truncated varint" },
	[SHORT_V2_BODY] = { "short v2 body", "too short" },
};

/* A body of trace k with two spans, the second damaged (or the whole body, for the framing cases). */
static void corrupt_body(tc_buf *out, uint8_t k, damage d)
{
	static const uint8_t bad_wt[] = { 0x0f };
	static const uint8_t wrong_wt[] = { 0x32, 0x00 };
	static const uint8_t trunc[] = { 0x2a, 0x10, 'a', 'b', 'c' };
	static const uint8_t overflow[] = { 0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t open_group[] = { 0x0b, 0x08, 0x01 };
	static const uint8_t end_group[] = { 0x0c };
	tc_buf spans[2] = { TC_BUF_INIT, TC_BUF_INIT }, extra = TC_BUF_INIT;

	switch (d) {
	case BAD_WIRE_TYPE: tc_buf_put(&extra, bad_wt, sizeof(bad_wt)); break;
	case WRONG_WIRE_TYPE: tc_buf_put(&extra, wrong_wt, sizeof(wrong_wt)); break;
	case TRUNCATED_FIELD: tc_buf_put(&extra, trunc, sizeof(trunc)); break;
	case VARINT_OVERFLOW: tc_buf_put(&extra, overflow, sizeof(overflow)); break;
	case DEEP_NESTING: deep_attribute(&extra, 60); break;
	case UNTERMINATED_GROUP: tc_buf_put(&extra, open_group, sizeof(open_group)); break;
	case STRAY_END_GROUP: tc_buf_put(&extra, end_group, sizeof(end_group)); break;
	case TRUNCATED_BODY:
		tc_buf_put_u32le(out, 100);
		tc_buf_put_u32le(out, 200);
		tc_buf_put(out, "\x0a\x80", 2);
		return;
	case SHORT_V2_BODY:
		tc_buf_put(out, "\x01\x02\x03", 3);
		return;
	default:
		abort();
	}
	span_of(&spans[0], k, 1, NULL, 0);
	span_of(&spans[1], k, 2, extra.ptr, extra.len);
	body_of(out, spans, 2);
	tc_buf_dispose(&spans[0]);
	tc_buf_dispose(&spans[1]);
	tc_buf_dispose(&extra);
}

typedef struct obj {
	uint8_t k;
	const tc_buf *body;
} obj;

static int write_block(tc_meta *out, tc_backend *be, tc_time start, tc_time end, const obj *o, size_t n)
{
	tc_block_write_opts wo = { .tenant = TENANT, .data_encoding = "v2", .start = start, .end = end,
				   .estimated_objects = n };
	tc_block_writer *w;
	uint8_t id[TC_ID_LEN];
	int rc;

	tc_block_config_default(&wo.block);
	if ((rc = tc_block_writer_new(&w, be, &wo)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == TC_OK; i++) {
		id_of(id, o[i].k);
		rc = tc_block_writer_add(w, id, TC_ID_LEN, o[i].body->ptr, o[i].body->len);
	}
	if (rc == TC_OK)
		rc = tc_block_writer_finish(out, w);
	tc_block_writer_free(w);
	return rc;
}

/* A fresh empty bucket directory under the test's temporary root. */
static const char *new_bucket(char *out, size_t sz)
{
	static const char *root;
	static int seq;

	if (!root)
		root = tc_test_tmpdir();
	snprintf(out, sz, "%s/b%d", root, seq++);
	return mkdir(out, 0755) == 0 ? out : NULL;
}

/* A digest of every name and byte under dir; 0 only if it could not be taken. */
static uint64_t tree_digest(const char *dir)
{
	char cmd[1100];
	uint64_t h = 0;
	size_t n = 0;
	int c;

	snprintf(cmd, sizeof(cmd), "cd '%s' && find . -type f | sort | xargs cat | cksum && find . | sort | cksum",
		 dir);
	FILE *p = popen(cmd, "r");
	while (p && (c = fgetc(p)) != EOF) {
		h = h * 131 + (uint64_t)c;
		n++;
	}
	if (!p || pclose(p) != 0 || n == 0)
		return 0;
	return h ? h : 1;
}

/* How the damaged trace meets the merge. */
typedef enum layout {
	SINGLE_COPY,  /* only block A holds it: passed through undecoded until now */
	REPLICAS,     /* A and B hold byte-identical copies: passed through too */
	COMBINED,     /* B's copy differs and is the damaged one: the combiner decodes it */
} layout;

typedef struct variant {
	const char *name;
	size_t chunk;     /* chunk_size_bytes: 64 defers every body */
	size_t cap;       /* max_bytes_per_trace */
} variant;

static const variant VARIANTS[] = {
	{ "whole", 0, 0 },
	{ "deferred", 64, 0 },
	{ "capped", 0, 1u << 20 },
	{ "deferred+capped", 64, 1u << 20 },
};

/*
 * Blocks A {1, 2, 3} and B {1, 2?, 4} of one tenant; trace 2 is damaged as
 * `layout` says. Compaction of A and B must fail, naming the damaged block,
 * trace 2 and the object's place, and leave every byte as it was.
 */
static void compaction_refuses(damage d, layout lay, const variant *v)
{
	char dir[512], key[TC_KEY_MAX], want_trace[64];
	tc_backend *be = NULL;
	tc_buf g1 = TC_BUF_INIT, g2 = TC_BUF_INIT, g3 = TC_BUF_INIT, g4 = TC_BUF_INIT, bad = TC_BUF_INIT;
	tc_meta a, b;
	const tc_meta *in[2] = { &a, &b };
	tc_time t0 = tc_time_from_unix(1700000000, 0), t1 = tc_time_from_unix(1700000300, 0);
	tc_compact_opts co = { 0 };
	tc_compact_result res;
	uint64_t before;
	int rc;

	CHECK(new_bucket(dir, sizeof(dir)) != NULL);
	CHECK_OK(tc_backend_local_new(&be, dir));
	good_body(&g1, 1, 2);
	good_body(&g2, 2, 1);
	good_body(&g3, 3, 2);
	good_body(&g4, 4, 1);
	corrupt_body(&bad, 2, d);
	obj oa[] = { { 1, &g1 }, { 2, lay == COMBINED ? &g2 : &bad }, { 3, &g3 } };
	obj ob_single[] = { { 1, &g1 }, { 4, &g4 } };
	obj ob_two[] = { { 1, &g1 }, { 2, &bad }, { 4, &g4 } };
	CHECK_OK(write_block(&a, be, t0, t1, oa, 3));
	if (lay == SINGLE_COPY)
		CHECK_OK(write_block(&b, be, t0, t1, ob_single, 2));
	else
		CHECK_OK(write_block(&b, be, t0, t1, ob_two, 3));

	before = tree_digest(dir);
	CHECK_MSG(before != 0, "cannot digest %s", dir);
	tc_block_config_default(&co.block);
	co.chunk_size_bytes = v->chunk;
	co.max_bytes_per_trace = v->cap;
	rc = tc_compact_blocks(&res, be, in, 2, &co);
	CHECK_MSG(rc == TC_ECORRUPT, "%s, %s, %s: compaction returned %d (%s)", DAMAGE[d].name,
		  lay == SINGLE_COPY ? "one copy" : lay == REPLICAS ? "replicas" : "combined", v->name, rc,
		  rc < 0 ? tc_error_last() : "ok");
	/* The damaged copy's block is blamed: A's for one copy or replicas (the first), B's when combined. */
	const tc_meta *blamed = lay == COMBINED ? &b : &a;
	CHECK_EQ_U64(res.failed_input, lay == COMBINED ? 1 : 0);
	tc_key_block(key, sizeof(key), TENANT, blamed->block_id, "data");
	CHECK_ERRMSG(key);
	CHECK_ERRMSG(" at offset ");
	CHECK_ERRMSG("object at page position ");
	snprintf(want_trace, sizeof(want_trace), "trace %032x", 2);
	CHECK_ERRMSG(want_trace);
	if (!(v->chunk && v->cap)) /* the capped combine words some reasons its own way */
		CHECK_ERRMSG(DAMAGE[d].why);
	CHECK_EQ_U64(res.marked, 0);
	CHECK_EQ_U64(tree_digest(dir), before);

	/* inspect refuses the same object, and for a body passed through, with the very same message */
	if (lay != COMBINED && v->chunk == 0 && v->cap == 0) {
		char msg[1024];
		tc_block_verify_stats st;
		snprintf(msg, sizeof(msg), "%s", tc_error_last());
		CHECK_ERR(tc_block_verify(&st, be, &a, NULL, NULL, NULL), TC_ECORRUPT);
		CHECK_STR(tc_error_last(), msg);
	}
	tc_backend_free(be);
	tc_buf_dispose(&g1);
	tc_buf_dispose(&g2);
	tc_buf_dispose(&g3);
	tc_buf_dispose(&g4);
	tc_buf_dispose(&bad);
}

static void every_damage_every_path(layout lay)
{
	int before = tc_test_failures;

	for (int d = 0; d < N_DAMAGE && tc_test_failures == before; d++) {
		/* a combined input shorter than 8 bytes, or cut inside TraceBytes, is the combiner's classic case */
		for (size_t v = 0; v < sizeof(VARIANTS) / sizeof(VARIANTS[0]) && tc_test_failures == before; v++)
			compaction_refuses((damage)d, lay, &VARIANTS[v]);
	}
}

static void single_copy_refused(void) { every_damage_every_path(SINGLE_COPY); }
static void identical_replicas_refused(void) { every_damage_every_path(REPLICAS); }
static void combined_copy_refused(void) { every_damage_every_path(COMBINED); }

/* Good bodies through the same paths: compaction succeeds and its output passes inspect. */
static void good_bodies_compact_and_inspect(void)
{
	for (size_t v = 0; v < sizeof(VARIANTS) / sizeof(VARIANTS[0]); v++) {
		char dir[512];
		tc_backend *be = NULL;
		tc_buf g1 = TC_BUF_INIT, g2 = TC_BUF_INIT, g2b = TC_BUF_INIT, g3 = TC_BUF_INIT;
		tc_meta a, b;
		const tc_meta *in[2] = { &a, &b };
		tc_time t0 = tc_time_from_unix(1700000000, 0), t1 = tc_time_from_unix(1700000300, 0);
		tc_compact_opts co = { 0 };
		tc_compact_result res;

		CHECK(new_bucket(dir, sizeof(dir)) != NULL);
		CHECK_OK(tc_backend_local_new(&be, dir));
		good_body(&g1, 1, 2);
		good_body(&g2, 2, 1);
		good_body(&g2b, 2, 3);
		good_body(&g3, 3, 2);
		obj oa[] = { { 1, &g1 }, { 2, &g2 }, { 3, &g3 } };
		obj ob[] = { { 1, &g1 }, { 2, &g2b } };
		CHECK_OK(write_block(&a, be, t0, t1, oa, 3));
		CHECK_OK(write_block(&b, be, t0, t1, ob, 2));
		tc_block_config_default(&co.block);
		co.chunk_size_bytes = VARIANTS[v].chunk;
		co.max_bytes_per_trace = VARIANTS[v].cap;
		CHECK_OK(tc_compact_blocks(&res, be, in, 2, &co));
		CHECK_EQ_U64(res.marked, 2);
		CHECK_EQ_U64(res.output.total_objects, 3);
		CHECK_EQ_U64(tc_test_inspect_live_blocks(__FILE__, __LINE__, be), 1);
		tc_backend_free(be);
		tc_buf_dispose(&g1);
		tc_buf_dispose(&g2);
		tc_buf_dispose(&g2b);
		tc_buf_dispose(&g3);
	}
}

/* Synthetic blocks of tenant t, level 0, in one compaction window two days old. */
static int gen(tc_backend *be, tc_meta *first)
{
	tc_synth_opts o;
	tc_time now = tc_time_now();
	tc_blocklist bl;
	int rc;

	tc_synth_opts_default(&o);
	o.tenant = TENANT;
	o.flushes = 2;
	o.replicas = 2;
	o.traces = 40;
	o.spans = 4;
	int64_t end = (now.sec - 48 * 3600) / 3600 * 3600 + 1200;
	o.age_ns = (now.sec - end) * SEC;
	o.flush_interval_ns = 60 * SEC;
	o.now = now;
	if ((rc = tc_synth_generate(be, &o, NULL, NULL)) < 0 || (rc = tc_blocklist_read_tenant(&bl, be, TENANT)) < 0)
		return rc;
	*first = bl.live[0];
	tc_blocklist_dispose(&bl);
	return TC_OK;
}

/*
 * The service quarantines the block with the damaged body (nocompact.json
 * with the reason and the message naming trace and offset) and compacts
 * the rest of the tenant; every block left live outside the quarantine
 * passes inspect.
 */
static void service_quarantines_and_compacts_the_rest(void)
{
	tc_config cfg;
	tc_backend *be = NULL;
	tc_overrides *ov = NULL;
	tc_metrics *metrics = NULL;
	tc_service *svc = NULL;
	tc_buf bad = TC_BUF_INIT, good = TC_BUF_INIT, marker = TC_BUF_INIT;
	tc_meta first, c;
	tc_blocklist bl;
	char key[TC_KEY_MAX], want_trace[64];

	tc_log_set_level(TC_LOG_WARN);
	CHECK_OK(tc_config_default(&cfg));
	CHECK_OK(tc_backend_mem_new(&be));
	CHECK_OK(tc_metrics_new(&metrics));
	cfg.compactor.compaction.compacted_block_retention_ns = 0;
	CHECK_OK(tc_overrides_new(&ov, &cfg));
	CHECK_OK(gen(be, &first));
	/* Trace IDs 0…01 and 0…02 are not among the synthetic ones: a block of its own, same window. */
	good_body(&good, 1, 2);
	corrupt_body(&bad, 2, BAD_WIRE_TYPE);
	obj oc[] = { { 1, &good }, { 2, &bad } };
	CHECK_OK(write_block(&c, be, first.start, first.end, oc, 2));
	CHECK_OK(tc_service_new(&svc, &cfg, be, ov, metrics));
	CHECK_OK(tc_service_poll_once(svc));
	for (int i = 0; i < 6; i++)
		tc_service_compact_once(svc);

	tc_key_block(key, sizeof(key), TENANT, c.block_id, TC_QUARANTINE_MARKER);
	CHECK_OK(tc_backend_read(&marker, be, key));
	CHECK_OK(tc_buf_cstr(&marker));
	CHECK(strstr((char *)marker.ptr, "\"reason\":\"corrupt\"") != NULL);
	snprintf(want_trace, sizeof(want_trace), "trace %032x", 2);
	CHECK_MSG(strstr((char *)marker.ptr, want_trace) && strstr((char *)marker.ptr, "object at page position") &&
			  strstr((char *)marker.ptr, "illegal wire type"),
		  "marker: %s", (char *)marker.ptr);
	CHECK_EQ_U64(tc_metrics_get(metrics, TC_M_COMPACTION_BLOCKS_QUARANTINED_TOTAL, TENANT, NULL), 1);
	CHECK_OK(tc_blocklist_read_tenant(&bl, be, TENANT));
	/* the four synthetic blocks became one; the damaged one stays live, quarantined */
	CHECK_EQ_U64(bl.n_live, 2);
	CHECK(tc_blocklist_is_quarantined(&bl, c.block_id));
	tc_blocklist_dispose(&bl);
	CHECK_EQ_U64(tc_test_inspect_live_blocks(__FILE__, __LINE__, be), 1);

	tc_service_free(svc);
	tc_overrides_free(ov);
	tc_metrics_free(metrics);
	tc_backend_free(be);
	tc_config_dispose(&cfg);
	tc_buf_dispose(&bad);
	tc_buf_dispose(&good);
	tc_buf_dispose(&marker);
}

TC_TEST_MAIN(T(single_copy_refused), T(identical_replicas_refused), T(combined_copy_refused),
	     T(good_bodies_compact_and_inspect), T(service_quarantines_and_compacts_the_rest))
