/*
 * The service in-process on the in-memory backend: single passes of the
 * poller, compaction loop and retention behave as COMPACTOR.md says, and
 * the threaded service converges with no data race (this test also runs
 * under ThreadSanitizer, label tsan).
 */
#include <stdlib.h>
#include <unistd.h>

#include "encoding/block_reader.h"
#include "encoding/tenant_index.h"
#include "src/compactor/blocklist.h"
#include "src/compactor/service.h"
#include "src/gen/synth.h"
#include "src/util/log.h"
#include "tests/test.h"

#define SEC 1000000000LL

typedef struct env {
	tc_config cfg;
	tc_backend *be;
	tc_overrides *ov;
	tc_metrics *metrics;
	tc_service *svc;
} env;

static int gen(tc_backend *be, const char *tenant, uint32_t flushes, uint32_t replicas, int64_t age_h, uint64_t seed)
{
	tc_synth_opts o;
	tc_time now = tc_time_now();
	tc_synth_opts_default(&o);
	o.tenant = tenant;
	o.flushes = flushes;
	o.replicas = replicas;
	o.traces = 60;
	o.spans = 5;
	o.seed = seed;
	/* 20 minutes into an hour, so the flushes share a compaction window. */
	int64_t end = (now.sec - age_h * 3600) / 3600 * 3600 + 1200;
	o.age_ns = (now.sec - end) * SEC;
	o.flush_interval_ns = 60 * SEC;
	o.now = now;
	return tc_synth_generate(be, &o, NULL, NULL);
}

static int setup(env *e)
{
	memset(e, 0, sizeof(*e));
	tc_log_set_level(TC_LOG_WARN);
	if (tc_config_default(&e->cfg) < 0 || tc_backend_mem_new(&e->be) < 0 || tc_metrics_new(&e->metrics) < 0)
		return -1;
	e->cfg.compactor.compaction.compaction_cycle_ns = SEC / 20;
	e->cfg.storage.blocklist_poll_ns = SEC / 10;
	e->cfg.compactor.compaction.compacted_block_retention_ns = 0;
	e->cfg.compactor.compaction.block_retention_ns = 72 * 3600 * SEC;
	if (tc_overrides_new(&e->ov, &e->cfg) < 0)
		return -1;
	if (gen(e->be, "a", 2, 2, 30, 1) < 0 || gen(e->be, "b", 2, 3, 50, 2) < 0 || gen(e->be, "c", 1, 2, 100, 3) < 0)
		return -1;
	return tc_service_new(&e->svc, &e->cfg, e->be, e->ov, e->metrics);
}

static void teardown(env *e)
{
	tc_service_free(e->svc);
	tc_overrides_free(e->ov);
	tc_metrics_free(e->metrics);
	tc_backend_free(e->be);
	tc_config_dispose(&e->cfg);
}

static size_t count(tc_backend *be, const char *tenant, int compacted)
{
	tc_blocklist bl;
	size_t n;
	if (tc_blocklist_read_tenant(&bl, be, tenant) < 0)
		return 999;
	n = compacted ? bl.n_compacted : bl.n_live;
	tc_blocklist_dispose(&bl);
	return n;
}

static void single_passes(void)
{
	env e;
	tc_buf js = TC_BUF_INIT, gz = TC_BUF_INIT;
	tc_tenant_index ti;
	CHECK_OK(setup(&e));
	CHECK_OK(tc_service_poll_once(e.svc));
	/* Three tenants: the first cycle takes index 1 ("b"), as Tempo's offset does. */
	CHECK_OK(tc_service_compact_once(e.svc));
	CHECK_EQ_U64(count(e.be, "b", 0), 2); /* 6 blocks of one window: a job of 4, then of 2 */
	CHECK_EQ_U64(count(e.be, "a", 0), 4);
	CHECK_OK(tc_service_compact_once(e.svc)); /* "c" */
	CHECK_EQ_U64(count(e.be, "c", 0), 1);
	CHECK_OK(tc_service_compact_once(e.svc)); /* "a" */
	CHECK_EQ_U64(count(e.be, "a", 0), 1);
	/* The store saw the local changes without a poll. */
	CHECK_OK(tc_service_blocklist_json(&js, e.svc, "a"));
	CHECK_OK(tc_buf_cstr(&js));
	CHECK(strstr((char *)js.ptr, "\"compactionLevel\":1") != NULL);
	/* Retention: "c" (100h) is past 72h: marked; compacted blocks (grace 0) cleared. */
	CHECK_OK(tc_service_retention_once(e.svc));
	CHECK_EQ_U64(count(e.be, "c", 0), 0);
	CHECK_EQ_U64(tc_metrics_get(e.metrics, TC_M_RETENTION_MARKED_TOTAL, NULL, NULL), 1);
	CHECK_EQ_U64(count(e.be, "a", 1), 0);
	CHECK_EQ_U64(tc_metrics_get(e.metrics, TC_M_RETENTION_DELETED_TOTAL, NULL, NULL), 4 + 6 + 2);
	/* The tenant index is what a poll sees. */
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK_OK(tc_backend_read(&gz, e.be, "a/index.json.gz"));
	CHECK_OK(tc_tenant_index_parse(&ti, gz.ptr, gz.len, &(tc_where){ "a/index.json.gz", 0 }));
	CHECK_EQ_U64(ti.n_live, 1);
	CHECK_EQ_U64(tc_metrics_get(e.metrics, TC_M_BLOCKLIST_LENGTH, "a", NULL), 1);
	CHECK_EQ_U64(tc_metrics_get(e.metrics, TC_M_COMPACTION_ERRORS_TOTAL, NULL, NULL), 0);
	tc_tenant_index_dispose(&ti);
	tc_buf_dispose(&gz);
	tc_buf_dispose(&js);
	teardown(&e);
}

static void threaded_converges(void)
{
	env e;
	CHECK_OK(setup(&e));
	CHECK_OK(tc_service_start(e.svc));
	for (int i = 0; i < 400; i++) {
		if (count(e.be, "a", 0) == 1 && count(e.be, "b", 0) == 1 && count(e.be, "c", 0) == 0 &&
		    count(e.be, "a", 1) + count(e.be, "b", 1) == 0)
			break;
		usleep(50000);
	}
	tc_service_stop(e.svc, 5 * SEC);
	CHECK_EQ_U64(count(e.be, "a", 0), 1);
	CHECK_EQ_U64(count(e.be, "b", 0), 1);
	CHECK_EQ_U64(count(e.be, "c", 0), 0);
	CHECK_EQ_U64(tc_metrics_get(e.metrics, TC_M_COMPACTION_ERRORS_TOTAL, NULL, NULL), 0);
	teardown(&e);
}

static void stop_cancels_promptly(void)
{
	env e;
	CHECK_OK(setup(&e));
	CHECK_OK(tc_service_start(e.svc));
	uint64_t t0 = tc_mono_ns();
	tc_service_stop(e.svc, 2 * SEC);
	CHECK((tc_mono_ns() - t0) < 3ULL * SEC);
	teardown(&e);
}

static void corrupt_block_is_quarantined(void)
{
	env e;
	tc_blocklist bl;
	tc_buf data = TC_BUF_INIT, marker = TC_BUF_INIT;
	char key[TC_KEY_MAX], bad[TC_UUID_STR_LEN + 1];
	CHECK_OK(setup(&e));
	CHECK_OK(tc_blocklist_read_tenant(&bl, e.be, "a"));
	snprintf(bad, sizeof(bad), "%s", bl.live[1].block_id);
	tc_blocklist_dispose(&bl);
	/* Same length, garbage bytes: the first page fails its frame or decompression. */
	tc_key_block(key, sizeof(key), "a", bad, "data");
	CHECK_OK(tc_backend_read(&data, e.be, key));
	memset(data.ptr + 6, 0xa5, data.len - 6);
	CHECK_OK(tc_backend_write(e.be, key, data.ptr, data.len));
	CHECK_OK(tc_service_poll_once(e.svc));
	for (int i = 0; i < 6; i++)
		tc_service_compact_once(e.svc);
	/* The bad block stays live and marked; the other three were compacted into one. */
	tc_key_block(key, sizeof(key), "a", bad, "nocompact.json");
	CHECK_OK(tc_backend_read(&marker, e.be, key));
	CHECK_OK(tc_buf_cstr(&marker));
	CHECK(strstr((char *)marker.ptr, "\"reason\":\"corrupt\"") != NULL);
	CHECK_EQ_U64(tc_metrics_get(e.metrics, TC_M_COMPACTION_BLOCKS_QUARANTINED_TOTAL, "a", NULL), 1);
	CHECK_OK(tc_blocklist_read_tenant(&bl, e.be, "a"));
	CHECK_EQ_U64(bl.n_live, 2);
	CHECK(tc_blocklist_is_quarantined(&bl, bad));
	tc_blocklist_dispose(&bl);
	/* A later poll still knows it, and unquarantine lifts it. */
	CHECK_OK(tc_service_poll_once(e.svc));
	tc_service_compact_once(e.svc);
	CHECK_EQ_U64(tc_metrics_get(e.metrics, TC_M_COMPACTION_BLOCKS_QUARANTINED_TOTAL, "a", NULL), 1);
	CHECK_OK(tc_blocklist_unquarantine(e.be, "a", bad));
	CHECK_ERR(tc_blocklist_unquarantine(e.be, "a", bad), TC_ENOTFOUND);
	tc_buf_dispose(&data);
	tc_buf_dispose(&marker);
	teardown(&e);
}

/* A tenant's live blocks come sorted by start time, ties in listing (block ID) order. */
static void blocklist_sorted_by_start(void)
{
	tc_backend *be = NULL;
	tc_blocklist bl;

	tc_log_set_level(TC_LOG_WARN);
	CHECK_OK(tc_backend_mem_new(&be));
	/* 4 flushes x 3 identical replicas: the replicas share a start time */
	CHECK_OK(gen(be, "s", 4, 3, 30, 9));
	CHECK_OK(tc_blocklist_read_tenant(&bl, be, "s"));
	CHECK_EQ_U64(bl.n_live, 12);
	for (size_t i = 1; i < bl.n_live; i++) {
		int c = tc_time_cmp(&bl.live[i - 1].start, &bl.live[i].start);
		CHECK_MSG(c < 0 || (c == 0 && strcmp(bl.live[i - 1].block_id, bl.live[i].block_id) < 0),
			  "blocks %zu and %zu out of order", i - 1, i);
	}
	tc_blocklist_dispose(&bl);
	tc_backend_free(be);
}

/* The quarantine marker is JSON whatever bytes the error text holds. */
static void quarantine_marker_is_json(void)
{
	tc_backend *be = NULL;
	tc_buf b = TC_BUF_INIT;
	const char *id = "0a0a0a0a-0000-4000-8000-000000000001";
	char key[TC_KEY_MAX];

	CHECK_OK(tc_backend_mem_new(&be));
	CHECK_OK(tc_blocklist_quarantine(be, "q", id, "corrupt", "bad \xff byte, \"quoted\"\n<tag>"));
	tc_key_block(key, sizeof(key), "q", id, TC_QUARANTINE_MARKER);
	CHECK_OK(tc_backend_read(&b, be, key));
	CHECK_OK(tc_buf_cstr(&b));
	CHECK(memchr(b.ptr, 0xff, b.len) == NULL);
	CHECK(strstr((const char *)b.ptr, "\"error\":\"bad \\ufffd byte, \\\"quoted\\\"\\n\\u003ctag\\u003e\"") != NULL);
	tc_buf_dispose(&b);
	tc_backend_free(be);
}

TC_TEST_MAIN(T(quarantine_marker_is_json), T(blocklist_sorted_by_start), T(single_passes), T(threaded_converges), T(stop_cancels_promptly), T(corrupt_block_is_quarantined))
