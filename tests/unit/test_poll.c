/*
 * Incremental blocklist polling (docs/COMPACTOR.md#incremental-polling) on
 * the in-memory backend, behind the instrumented decorator so every request
 * is counted: a steady poll reads no meta, each kind of change made behind
 * the service's back is in the next poll's blocklist and tenant index
 * exactly, a broken meta is retried, and tenants that leave take their
 * series with them.
 */
#include <stdlib.h>

#include "encoding/tenant_index.h"
#include "src/backend/instrumented.h"
#include "src/compactor/blocklist.h"
#include "src/compactor/service.h"
#include "src/compactor/status.h"
#include "src/util/log.h"
#include "tests/service_fixture.h"
#include "tests/test.h"

#define SEC 1000000000LL

typedef struct env {
	tc_config cfg;
	tc_backend *mem; /* the bucket, changed behind the service's back */
	tc_backend *be;  /* what the service uses: mem, instrumented */
	tc_overrides *ov;
	tc_metrics *metrics;
	tc_service *svc;
} env;

static int setup(env *e, uint32_t full_every)
{
	memset(e, 0, sizeof(*e));
	tc_log_set_level(TC_LOG_ERROR);
	if (tc_config_default(&e->cfg) < 0 || tc_backend_mem_new(&e->mem) < 0 || tc_metrics_new(&e->metrics) < 0)
		return -1;
	e->cfg.storage.blocklist_poll_ns = SEC / 10;
	e->cfg.storage.blocklist_poll_full_every = full_every;
	e->cfg.compactor.compaction.block_retention_ns = 72 * 3600 * SEC;
	if (sf_gen(e->mem, "a", 2, 2, 60, 5, 30, 1) < 0 || sf_gen(e->mem, "b", 1, 2, 60, 5, 50, 2) < 0)
		return -1;
	if (tc_overrides_new(&e->ov, &e->cfg) < 0 || tc_backend_instrumented_new(&e->be, e->mem, e->metrics) < 0)
		return -1;
	return tc_service_new(&e->svc, &e->cfg, e->be, e->ov, e->metrics);
}

static void teardown(env *e)
{
	tc_service_free(e->svc);
	tc_overrides_free(e->ov);
	tc_backend_free(e->be); /* frees mem too */
	tc_metrics_free(e->metrics);
	tc_config_dispose(&e->cfg);
}

/* Requests of one method so far, whatever their status. */
static double requests(env *e, const char *method)
{
	static const char *const codes[] = { "200", "404", "500" };
	double n = 0;

	for (size_t i = 0; i < 3; i++)
		n += tc_metrics_get(e->metrics, TC_M_BACKEND_REQUEST_DURATION_SECONDS, method, codes[i]);
	return n;
}

static double all_requests(env *e)
{
	return requests(e, "GET") + requests(e, "HEAD") + requests(e, "PUT") + requests(e, "POST") +
	       requests(e, "DELETE");
}

static int same_metas(const tc_meta *a, const tc_meta *b, size_t n, int compacted)
{
	int same = 1;

	for (size_t i = 0; i < n && same; i++) {
		tc_buf x = TC_BUF_INIT, y = TC_BUF_INIT;
		same = tc_meta_write(&x, &a[i], compacted) == 0 && tc_meta_write(&y, &b[i], compacted) == 0 &&
		       x.len == y.len && memcmp(x.ptr, y.ptr, x.len) == 0;
		tc_buf_dispose(&x);
		tc_buf_dispose(&y);
	}
	return same;
}

/*
 * The tenant's index.json.gz, the service's blocklist and its quarantined
 * blocks are exactly what a full read of the bucket gives.
 */
static void check_matches_bucket(env *e, const char *tenant)
{
	char key[64];
	tc_buf gz = TC_BUF_INIT;
	tc_blocklist truth;
	tc_tenant_index ti;
	tc_status st;

	snprintf(key, sizeof(key), "%s/index.json.gz", tenant);
	CHECK_OK(tc_blocklist_read_tenant(&truth, e->mem, tenant));
	CHECK_OK(tc_backend_read(&gz, e->mem, key));
	CHECK_OK(tc_tenant_index_parse(&ti, gz.ptr, gz.len, NULL));
	CHECK_EQ_U64(ti.n_live, truth.n_live);
	CHECK_EQ_U64(ti.n_compacted, truth.n_compacted);
	CHECK_MSG(same_metas(ti.live, truth.live, truth.n_live, 0), "%s: live metas differ", tenant);
	CHECK_MSG(same_metas(ti.compacted, truth.compacted, truth.n_compacted, 1), "%s: compacted metas differ",
		  tenant);
	CHECK_OK(tc_service_status(&st, e->svc, tenant));
	CHECK(st.has_detail);
	CHECK_EQ_U64(st.detail.n_live, truth.n_live);
	CHECK_EQ_U64(st.detail.n_compacted, truth.n_compacted);
	CHECK(same_metas(st.detail.live, truth.live, truth.n_live, 0));
	CHECK(same_metas(st.detail.compacted, truth.compacted, truth.n_compacted, 1));
	CHECK_EQ_U64(st.detail.quarantined.n, truth.quarantined.n);
	for (size_t i = 0; i < truth.quarantined.n; i++)
		CHECK(tc_strlist_contains(&st.detail.quarantined, truth.quarantined.items[i]));
	tc_status_dispose(&st);
	tc_tenant_index_dispose(&ti);
	tc_blocklist_dispose(&truth);
	tc_buf_dispose(&gz);
}

/* The n-th live block of the tenant as the bucket shows it. */
static int live_block(char out[TC_UUID_STR_LEN + 1], env *e, const char *tenant, size_t n)
{
	tc_blocklist bl;
	int rc = tc_blocklist_read_tenant(&bl, e->mem, tenant);

	if (rc < 0 || n >= bl.n_live) {
		tc_blocklist_dispose(&bl);
		return -1;
	}
	snprintf(out, TC_UUID_STR_LEN + 1, "%s", bl.live[n].block_id);
	tc_blocklist_dispose(&bl);
	return 0;
}

/* After the first poll, a poll of an unchanged bucket is one listing per tenant and the tenants' listing. */
static void steady_poll_reads_nothing(void)
{
	env e;
	tc_stat before, after;
	double r0;

	CHECK_OK(setup(&e, 12));
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK_OK(tc_backend_stat(&before, e.mem, "a/index.json.gz"));
	r0 = all_requests(&e);
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK_MSG(all_requests(&e) - r0 == 1 + 2, "steady poll made %.0f requests, want 3",
		  all_requests(&e) - r0);
	/* nothing changed, the index is fresh: not rewritten */
	CHECK_OK(tc_backend_stat(&after, e.mem, "a/index.json.gz"));
	CHECK(tc_time_cmp(&before.mtime, &after.mtime) == 0);
	check_matches_bucket(&e, "a");
	check_matches_bucket(&e, "b");
	teardown(&e);
}

/* A poll period of 5 minutes: the index would be 5 minutes old by the next poll, so every poll writes it. */
static void index_rewritten_before_too_old(void)
{
	env e;
	double puts;

	CHECK_OK(setup(&e, 12));
	e.cfg.storage.blocklist_poll_ns = 300 * SEC;
	CHECK_OK(tc_service_poll_once(e.svc));
	puts = requests(&e, "PUT");
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK_EQ_U64(requests(&e, "PUT") - puts, 2); /* one index per tenant */
	teardown(&e);
}

/* Every kind of change made behind the service's back is in the next poll, reading only what changed. */
static void changes_behind_the_back(void)
{
	env e;
	char b0[TC_UUID_STR_LEN + 1], b1[TC_UUID_STR_LEN + 1], key[128];
	tc_buf saved = TC_BUF_INIT;
	double g0;

	CHECK_OK(setup(&e, 1000));
	CHECK_OK(tc_service_poll_once(e.svc));
	check_matches_bucket(&e, "a");

	/* added: 2 more blocks (another flush, 2 replicas) */
	CHECK_OK(sf_gen(e.mem, "a", 1, 2, 60, 5, 20, 9));
	g0 = requests(&e, "GET");
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK_EQ_U64(requests(&e, "GET") - g0, 1 + 2 + 2); /* listings, and the two new metas */
	check_matches_bucket(&e, "a");

	/* marked compacted */
	CHECK_OK(live_block(b0, &e, "a", 0));
	CHECK_OK(tc_backend_mark_compacted(e.mem, "a", b0));
	CHECK_OK(tc_service_poll_once(e.svc));
	check_matches_bucket(&e, "a");

	/* quarantined, then unquarantined */
	CHECK_OK(live_block(b1, &e, "a", 1));
	CHECK_OK(tc_blocklist_quarantine(e.mem, "a", b1, "test", "made by hand"));
	CHECK_OK(tc_service_poll_once(e.svc));
	check_matches_bucket(&e, "a");
	CHECK_OK(tc_blocklist_unquarantine(e.mem, "a", b1));
	CHECK_OK(tc_service_poll_once(e.svc));
	check_matches_bucket(&e, "a");

	/* deleted: the compacted block and a live one */
	CHECK_OK(tc_backend_clear_block(e.mem, "a", b0));
	CHECK_OK(tc_backend_clear_block(e.mem, "a", b1));
	CHECK_OK(tc_service_poll_once(e.svc));
	check_matches_bucket(&e, "a");

	/* a meta that cannot be read: left out, and read again on every poll until it can be */
	CHECK_OK(live_block(b1, &e, "a", 0));
	snprintf(key, sizeof(key), "a/%s/meta.json", b1);
	CHECK_OK(tc_backend_read(&saved, e.mem, key));
	CHECK_OK(tc_backend_write(e.mem, key, "{\"format\":", 10));
	CHECK_OK(tc_service_poll_once(e.svc));
	check_matches_bucket(&e, "a");
	g0 = requests(&e, "GET");
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK_EQ_U64(requests(&e, "GET") - g0, 1 + 2 + 1); /* listings, and the broken meta again */
	CHECK_OK(tc_backend_write(e.mem, key, saved.ptr, saved.len));
	CHECK_OK(tc_service_poll_once(e.svc));
	check_matches_bucket(&e, "a");
	CHECK(sf_count(e.mem, "a", 0) > 0);
	check_matches_bucket(&e, "b");
	tc_buf_dispose(&saved);
	teardown(&e);
}

/* What the service changes itself (compaction, retention) and the polls after it agree with the bucket. */
static void local_changes_then_polls(void)
{
	env e;

	CHECK_OK(setup(&e, 1000));
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK_OK(tc_service_compact_once(e.svc));
	CHECK_OK(tc_service_compact_once(e.svc));
	CHECK_OK(tc_service_poll_once(e.svc));
	check_matches_bucket(&e, "a");
	check_matches_bucket(&e, "b");
	CHECK_OK(tc_service_retention_once(e.svc));
	CHECK_OK(tc_service_poll_once(e.svc));
	check_matches_bucket(&e, "a");
	check_matches_bucket(&e, "b");
	teardown(&e);
}

/* blocklist_poll_full_every 3: polls 1 and 4 read every meta, 2 and 3 none. */
static void full_poll_every_n(void)
{
	env e;
	double g[5];
	size_t blocks = 4 + 2;

	CHECK_OK(setup(&e, 3));
	g[0] = requests(&e, "GET");
	for (int i = 1; i <= 4; i++) {
		CHECK_OK(tc_service_poll_once(e.svc));
		g[i] = requests(&e, "GET");
	}
	CHECK_EQ_U64(g[1] - g[0], 3 + blocks);
	CHECK_EQ_U64(g[2] - g[1], 3);
	CHECK_EQ_U64(g[3] - g[2], 3);
	CHECK_EQ_U64(g[4] - g[3], 3 + blocks);
	teardown(&e);
}

/* A minimal meta.json for a block without data: enough for a poll. */
static int put_meta(tc_backend *be, const char *tenant, unsigned i)
{
	char key[256], json[1024], id[40];

	snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012x", i);
	snprintf(key, sizeof(key), "%s/%s/meta.json", tenant, id);
	snprintf(json, sizeof(json),
		 "{\"format\":\"v2\",\"blockID\":\"%s\",\"minID\":\"AAAAAAAAAAAAAAAAAAAAAA==\","
		 "\"maxID\":\"/////////////////////w==\",\"tenantID\":\"%s\",\"startTime\":\"2026-01-01T00:00:00Z\","
		 "\"endTime\":\"2026-01-01T00:01:00Z\",\"totalObjects\":1,\"size\":1000,\"compactionLevel\":0,"
		 "\"encoding\":\"zstd\",\"indexPageSize\":256000,\"totalRecords\":1,\"dataEncoding\":\"v2\","
		 "\"bloomShards\":1,\"footerSize\":100}", id, tenant);
	return tc_backend_write(be, key, json, strlen(json));
}

/*
 * 10,000 tenants of two blocks each: one poll sees them all; when half of
 * them leave the bucket, their series leave /metrics.
 */
static void many_tenants(void)
{
	enum { TENANTS = 10000 };
	env e;
	tc_strlist names = TC_STRLIST_INIT;
	tc_buf out = TC_BUF_INIT;
	tc_status st;
	char tenant[32];

	memset(&e, 0, sizeof(e));
	tc_log_set_level(TC_LOG_ERROR);
	CHECK_OK(tc_config_default(&e.cfg));
	CHECK_OK(tc_backend_mem_new(&e.mem));
	CHECK_OK(tc_metrics_new(&e.metrics));
	e.cfg.storage.blocklist_poll_ns = SEC / 10;
	for (unsigned t = 0; t < TENANTS; t++) {
		snprintf(tenant, sizeof(tenant), "t%05u", t);
		CHECK_OK(put_meta(e.mem, tenant, 2 * t));
		CHECK_OK(put_meta(e.mem, tenant, 2 * t + 1));
	}
	CHECK_OK(tc_overrides_new(&e.ov, &e.cfg));
	CHECK_OK(tc_backend_instrumented_new(&e.be, e.mem, e.metrics));
	CHECK_OK(tc_service_new(&e.svc, &e.cfg, e.be, e.ov, e.metrics));
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK_OK(tc_service_status(&st, e.svc, NULL));
	CHECK_EQ_U64(st.n_tenants, TENANTS);
	tc_status_dispose(&st);
	CHECK_EQ_U64(tc_metrics_get(e.metrics, TC_M_BLOCKLIST_LENGTH, "t09999", NULL), 2);
	/* the odd tenants go */
	for (unsigned t = 1; t < TENANTS; t += 2) {
		snprintf(tenant, sizeof(tenant), "t%05u", t);
		CHECK_OK(tc_backend_clear_block(e.mem, tenant, "00000000-0000-4000-8000-000000000000") );
		for (unsigned k = 0; k < 2; k++) {
			char key[128];
			snprintf(key, sizeof(key), "%s/00000000-0000-4000-8000-%012x/meta.json", tenant, 2 * t + k);
			CHECK_OK(tc_backend_delete(e.mem, key));
		}
		snprintf(tenant + strlen(tenant), sizeof(tenant) - strlen(tenant), "/index.json.gz");
		CHECK_OK(tc_backend_delete(e.mem, tenant));
	}
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK_OK(tc_service_status(&st, e.svc, NULL));
	CHECK_EQ_U64(st.n_tenants, TENANTS / 2);
	tc_status_dispose(&st);
	CHECK_OK(tc_metrics_render(&out, e.metrics));
	CHECK_OK(tc_buf_cstr(&out));
	CHECK(strstr((char *)out.ptr, "tenant=\"t09998\"") != NULL);
	CHECK_MSG(strstr((char *)out.ptr, "tenant=\"t09999\"") == NULL, "a gone tenant's series stayed");
	CHECK_MSG(strstr((char *)out.ptr, "tenant=\"t00001\"") == NULL, "a gone tenant's series stayed");
	tc_buf_dispose(&out);
	tc_strlist_dispose(&names);
	teardown(&e);
}

/*
 * Round-robin fairness: 12 tenants with work, one of them with a long
 * blocklist: within 12 compaction cycles (concurrency 1, one tenant a
 * cycle) every one of them has had a job.
 */
static void round_robin_reaches_every_tenant(void)
{
	enum { TENANTS = 12 };
	env e;
	char tenant[16];

	memset(&e, 0, sizeof(e));
	tc_log_set_level(TC_LOG_ERROR);
	CHECK_OK(tc_config_default(&e.cfg));
	CHECK_OK(tc_backend_mem_new(&e.mem));
	CHECK_OK(tc_metrics_new(&e.metrics));
	e.cfg.compactor.compaction.block_retention_ns = 72 * 3600 * SEC;
	for (unsigned t = 0; t < TENANTS; t++) {
		snprintf(tenant, sizeof(tenant), "t%02u", t);
		/* t00: 8 flushes x 2 replicas, a long list; the others one job of 2 blocks */
		CHECK_OK(sf_gen(e.mem, tenant, t == 0 ? 8 : 1, 2, 20, 3, 30, t + 1));
	}
	CHECK_OK(tc_overrides_new(&e.ov, &e.cfg));
	CHECK_OK(tc_backend_instrumented_new(&e.be, e.mem, e.metrics));
	CHECK_OK(tc_service_new(&e.svc, &e.cfg, e.be, e.ov, e.metrics));
	CHECK_OK(tc_service_poll_once(e.svc));
	for (unsigned c = 0; c < TENANTS; c++)
		CHECK_OK(tc_service_compact_once(e.svc));
	for (unsigned t = 0; t < TENANTS; t++) {
		snprintf(tenant, sizeof(tenant), "t%02u", t);
		CHECK_MSG(sf_count(e.mem, tenant, 1) > 0, "tenant %s had no job in %d cycles", tenant, TENANTS);
	}
	teardown(&e);
}

TC_TEST_MAIN(T(steady_poll_reads_nothing), T(index_rewritten_before_too_old), T(changes_behind_the_back),
	     T(local_changes_then_polls), T(full_poll_every_n), T(many_tenants),
	     T(round_robin_reaches_every_tenant))
