/*
 * Compaction against Tempo's own result: for every compression set, our
 * compaction of the four fixture inputs holds the same trace IDs as the
 * block Tempo's compactor made, every trace with the same spans byte for
 * byte, and a meta that agrees on everything but ID, times and sizes.
 */
#include <stdlib.h>

#include "encoding/block_reader.h"
#include "encoding/merge.h"
#include "src/backend/backend.h"
#include "src/compactor/blocklist.h"
#include "src/compactor/compact.h"
#include "src/compactor/selector.h"
#include "tests/spans.h"
#include "tests/test.h"


/* Reads every object of a block into parallel arrays of IDs and bodies. */
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
	out->ids = calloc((size_t)m->total_objects, TC_ID_LEN);
	out->bodies = calloc((size_t)m->total_objects, sizeof(tc_buf));
	out->n = 0;
	if ((rc = tc_block_reader_open(&r, be, m, NULL)) < 0)
		return rc;
	while ((rc = tc_block_reader_next(&o, r)) == 1) {
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

/*
 * chunk: chunk_size_bytes (small: pages read piece by piece, objects
 * deferred); cap: max_bytes_per_trace. Without a cap, or one no trace
 * reaches, the result is Tempo's; under a tight cap every trace is a subset
 * of Tempo's, under the cap, and what is missing was counted.
 */
static void compare_with_tempo_opts(const char *set, size_t chunk, size_t cap)
{
	char src[512], dst[512], ref[512];
	tc_backend *be = NULL, *refbe = NULL;
	tc_blocklist bl, after, rbl;
	tc_selector *sel;
	tc_selector_opts so = { 3600LL * 1000000000LL, 6000000, 100ULL << 30, tc_time_now() };
	const tc_meta **group;
	size_t n;
	char hash[TC_SELECTOR_HASH_MAX];
	tc_compact_result res;
	tc_compact_opts co = { 0 };
	objs ours, theirs;

	snprintf(src, sizeof(src), "tempo-v2/%s/blocks", set);
	snprintf(dst, sizeof(dst), "%s/%s", tc_test_tmpdir(), set);
	CHECK_OK(tc_test_copy_tree(tc_test_data(src), dst));
	snprintf(ref, sizeof(ref), "tempo-v2/%s-tempo-compacted/blocks", set);
	CHECK_OK(tc_backend_local_new(&be, dst));
	CHECK_OK(tc_backend_local_new(&refbe, tc_test_data(ref)));
	CHECK_OK(tc_blocklist_read_tenant(&bl, be, "single-tenant"));
	CHECK_OK(tc_blocklist_read_tenant(&rbl, refbe, "single-tenant"));
	CHECK_EQ_U64(bl.n_live, 4);
	CHECK_EQ_U64(rbl.n_live, 1);

	/* "Now" two days after the fixtures, not the clock: their window is inactive whenever this runs. */
	so.now = tc_time_from_unix(bl.live[bl.n_live - 1].end.sec + 48 * 3600, 0);
	CHECK_OK(tc_selector_new(&sel, bl.live, bl.n_live, &so));
	CHECK_EQ_U64(tc_selector_next(&group, &n, hash, sel), 1);
	CHECK_EQ_U64(n, 4);
	tc_block_config_default(&co.block);
	co.chunk_size_bytes = chunk;
	co.max_bytes_per_trace = cap;
	co.block.encoding = rbl.live[0].encoding; /* the compactor Tempo ran was configured so */
	co.block.bloom_shard_size_bytes = 100000;
	CHECK_OK(tc_compact_blocks(&res, be, group, n, &co));
	tc_selector_free(sel);
	CHECK_EQ_U64(res.marked, 4);

	CHECK_OK(tc_blocklist_read_tenant(&after, be, "single-tenant"));
	CHECK_EQ_U64(after.n_live, 1);
	CHECK_EQ_U64(after.n_compacted, 4);
	const tc_meta *a = &after.live[0], *t = &rbl.live[0];
	CHECK_STR(a->format, t->format);
	CHECK_STR(a->tenant, t->tenant);
	CHECK_STR(a->data_encoding, t->data_encoding);
	CHECK(!memcmp(a->min_id, t->min_id, TC_ID_LEN) && !memcmp(a->max_id, t->max_id, TC_ID_LEN));
	CHECK_EQ_U64(a->total_objects, t->total_objects);
	CHECK_EQ_U64(a->level, t->level);
	CHECK_EQ_U64(a->encoding, t->encoding);
	CHECK_EQ_U64(a->index_page_size, t->index_page_size);
	if (cap == 0 || cap >= 100000) /* a tight cap makes the data, and its pages, smaller */
		CHECK_EQ_U64(a->total_records, t->total_records);
	CHECK_EQ_U64(a->bloom_shards, t->bloom_shards);
	CHECK_EQ_U64(a->footer_size, t->footer_size);
	CHECK_EQ_U64(tc_time_cmp(&a->start, &t->start), 0);
	CHECK_EQ_U64(tc_time_cmp(&a->end, &t->end), 0);

	CHECK_OK(read_objs(&ours, be, a));
	CHECK_OK(read_objs(&theirs, refbe, t));
	CHECK_EQ_U64(ours.n, theirs.n);
	size_t identical = 0, missing = 0;
	for (size_t i = 0; i < ours.n; i++) {
		tc_test_spans x = { 0 }, y = { 0 };
		CHECK(!memcmp(ours.ids[i], theirs.ids[i], TC_ID_LEN));
		CHECK_OK(tc_test_spans_of(&x, ours.bodies[i].ptr, ours.bodies[i].len, 1));
		CHECK_OK(tc_test_spans_of(&y, theirs.bodies[i].ptr, theirs.bodies[i].len, 1));
		tc_test_spans_sort(&x);
		tc_test_spans_sort(&y);
		if (res.stats.spans_discarded == 0) {
			CHECK_MSG(tc_test_spans_equal(&x, &y), "%s: object %zu: %zu spans vs Tempo's %zu", set,
				  i, x.n, y.n);
			/* v2 start/end prefix: min/max, as Tempo computes it. */
			CHECK(!memcmp(ours.bodies[i].ptr, theirs.bodies[i].ptr, 8));
		} else {
			CHECK_MSG(tc_test_spans_subset(&x, &y) && ours.bodies[i].len < cap,
				  "%s: object %zu: %zu spans (%zu bytes) not a subset of Tempo's %zu under %zu",
				  set, i, x.n, ours.bodies[i].len, y.n, cap);
			missing += y.n - x.n;
		}
		identical += ours.bodies[i].len == theirs.bodies[i].len &&
			     !memcmp(ours.bodies[i].ptr, theirs.bodies[i].ptr, ours.bodies[i].len);
		tc_test_spans_free(&x);
		tc_test_spans_free(&y);
	}
	printf("%s (chunk %zu, cap %zu): %zu objects, %zu byte-identical to Tempo's, %llu combined, "
	       "%llu spans discarded\n", set, chunk, cap, ours.n, identical,
	       (unsigned long long)res.stats.objects_combined, (unsigned long long)res.stats.spans_discarded);
	/* Nothing discarded: Tempo's bytes, however the inputs were read or combined. */
	if (res.stats.spans_discarded == 0)
		CHECK_EQ_U64(identical, ours.n);
	if (cap > 0 && cap < 100000)
		CHECK(missing > 0 && res.stats.spans_discarded >= missing);
	CHECK_LIVE_BLOCKS_INSPECT(be);
	free_objs(&ours);
	free_objs(&theirs);
	tc_blocklist_dispose(&bl);
	tc_blocklist_dispose(&after);
	tc_blocklist_dispose(&rbl);
	tc_backend_free(be);
	tc_backend_free(refbe);
}

static void compare_with_tempo(const char *set)
{
	compare_with_tempo_opts(set, 0, 0);
}

static void zstd_matches_tempo(void) { compare_with_tempo("zstd"); }
static void snappy_matches_tempo(void) { compare_with_tempo("snappy"); }
static void none_matches_tempo(void) { compare_with_tempo("none"); }
static void gzip_matches_tempo(void) { compare_with_tempo("gzip"); }
static void lz4_matches_tempo(void) { compare_with_tempo("lz4-1M"); }

/* Pages read in 300-byte pieces, every larger object streamed: still Tempo's result. */
static void streamed_matches_tempo(void)
{
	static const char *sets[] = { "zstd", "snappy", "none", "gzip", "lz4-1M" };
	for (size_t i = 0; i < 5; i++) {
		compare_with_tempo_opts(sets[i], 300, 0);
		compare_with_tempo_opts(sets[i], 300, 1000000000);
	}
}

/* A cap smaller than many traces: subsets of Tempo's traces, under the cap, losses counted. */
static void capped_is_subset_of_tempo(void)
{
	compare_with_tempo_opts("zstd", 0, 3000);
	compare_with_tempo_opts("snappy", 300, 3000);
	compare_with_tempo_opts("gzip", 1000, 1500);
}

/*
 * The merge reports each trace the cap cut short, once, with the spans it
 * lost (the compactor logs it): per-object reports add up to the stats, and
 * without a cap there are none.
 */
static void merge_counts_truncated(size_t cap, size_t *n_truncated)
{
	tc_backend *be = NULL;
	tc_blocklist bl;
	tc_block_reader *r[4] = { 0 };
	tc_merge *m = NULL;
	tc_combine_stats st;
	tc_object obj;
	uint64_t sum = 0, d;
	int rc;

	*n_truncated = 0;
	CHECK_OK(tc_backend_local_new(&be, tc_test_data("tempo-v2/zstd/blocks")));
	CHECK_OK(tc_blocklist_read_tenant(&bl, be, "single-tenant"));
	CHECK_EQ_U64(bl.n_live, 4);
	for (size_t i = 0; i < 4; i++)
		CHECK_OK(tc_block_reader_open(&r[i], be, &bl.live[i], NULL));
	CHECK_OK(tc_merge_new(&m, r, 4, tc_data_kind_of(bl.live[0].data_encoding), cap));
	while ((rc = tc_merge_next(&obj, m)) == 1) {
		if (tc_merge_truncated(&d, m)) {
			CHECK(obj.body_len < cap);
			++*n_truncated;
			sum += d;
		} else {
			CHECK_EQ_U64(d, 0);
		}
	}
	CHECK_OK(rc);
	tc_merge_stats(&st, m);
	CHECK_EQ_U64(*n_truncated, st.traces_truncated);
	CHECK_EQ_U64(sum, st.spans_discarded);
	tc_merge_free(m);
	for (size_t i = 0; i < 4; i++)
		tc_block_reader_free(r[i]);
	tc_blocklist_dispose(&bl);
	tc_backend_free(be);
}

static void merge_reports_truncated_traces(void)
{
	size_t n;

	merge_counts_truncated(3000, &n);
	CHECK_MSG(n > 0, "a 3000-byte cap truncated no trace");
	merge_counts_truncated(0, &n);
	CHECK_EQ_U64(n, 0);
}

/* A fencing check that answers TC_OK until its refuse_at-th call. */
typedef struct fake_lock {
	int calls, refuse_at;
} fake_lock;

static int fake_confirm(void *ctx)
{
	fake_lock *l = ctx;

	if (++l->calls == l->refuse_at) {
		tc_error_set("job lock lost");
		return TC_ECONFLICT;
	}
	return TC_OK;
}

/*
 * A job whose lock is lost is abandoned without a trace: before the output
 * is published, the partial output goes and the inputs stay live; after,
 * the finished output stays, and the inputs still stay live, so nothing is
 * lost either way (docs/COMPACTOR.md#job-locks).
 */
static void lost_lock_abandons_job(int refuse_at)
{
	char dst[512];
	tc_backend *be = NULL;
	tc_blocklist bl, after;
	const tc_meta *in[4];
	tc_compact_result res;
	tc_compact_opts co = { 0 };
	fake_lock l = { 0, refuse_at };

	snprintf(dst, sizeof(dst), "%s/fence-%d", tc_test_tmpdir(), refuse_at);
	CHECK_OK(tc_test_copy_tree(tc_test_data("tempo-v2/zstd/blocks"), dst));
	CHECK_OK(tc_backend_local_new(&be, dst));
	CHECK_OK(tc_blocklist_read_tenant(&bl, be, "single-tenant"));
	CHECK_EQ_U64(bl.n_live, 4);
	for (size_t i = 0; i < 4; i++)
		in[i] = &bl.live[i];
	tc_block_config_default(&co.block);
	co.confirm = fake_confirm;
	co.confirm_ctx = &l;
	CHECK_ERR(tc_compact_blocks(&res, be, in, 4, &co), TC_ECONFLICT);
	CHECK_ERRMSG("job lock lost");
	CHECK_EQ_U64(l.calls, refuse_at);
	CHECK_EQ_U64(res.fenced, refuse_at);
	CHECK_EQ_U64(res.marked, 0);
	CHECK_OK(tc_blocklist_read_tenant(&after, be, "single-tenant"));
	CHECK_EQ_U64(after.n_compacted, 0);
	CHECK_EQ_U64(after.partial.n, 0);
	if (refuse_at == 1) {
		CHECK_EQ_U64(after.n_live, 4);
	} else {
		CHECK_EQ_U64(after.n_live, 5);
		for (size_t i = 0; i < after.n_live; i++)
			if (after.live[i].level == 1)
				CHECK_EQ_U64(after.live[i].total_objects, res.output.total_objects);
	}
	tc_blocklist_dispose(&after);

	/* Confirmed at both points: the job completes as without a lock. */
	l.calls = 0;
	l.refuse_at = 0;
	CHECK_OK(tc_compact_blocks(&res, be, in, 4, &co));
	CHECK_EQ_U64(l.calls, 2);
	CHECK_EQ_U64(res.fenced, 0);
	CHECK_EQ_U64(res.marked, 4);
	CHECK_LIVE_BLOCKS_INSPECT(be);
	tc_blocklist_dispose(&bl);
	tc_backend_free(be);
}

static void lost_lock_before_output(void)
{
	lost_lock_abandons_job(1);
}

static void lost_lock_before_marking(void)
{
	lost_lock_abandons_job(2);
}

TC_TEST_MAIN(T(zstd_matches_tempo), T(snappy_matches_tempo), T(none_matches_tempo), T(gzip_matches_tempo),
	     T(lz4_matches_tempo), T(streamed_matches_tempo), T(capped_is_subset_of_tempo),
	     T(merge_reports_truncated_traces), T(lost_lock_before_output), T(lost_lock_before_marking))
