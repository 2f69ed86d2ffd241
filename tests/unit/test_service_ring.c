/*
 * The service with a compactor ring (docs/COMPACTOR.md#sharding), in-process:
 * real rings on the in-memory kv store (behind tests/ring_fixture.h's
 * decorator, which fails on demand), services on one in-memory bucket.
 * Every replica plans every tenant and does only what its ring says it
 * owns (jobs, retention, partial blocks, tenant indexes); a job runs under
 * its lock, is skipped when another replica holds it and is abandoned when
 * the lock is lost; nothing new starts while the ring cannot answer. Also
 * under ThreadSanitizer (label tsan).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "src/backend/backend_impl.h"
#include "src/compactor/blocklist.h"
#include "src/compactor/selector.h"
#include "src/compactor/service.h"
#include "src/util/log.h"
#include "tests/ring_fixture.h"
#include "tests/service_fixture.h"

#define SEC 1000000000LL
#define PREFIX "collectors/"
#define LOCKS PREFIX "compactor-jobs/"

/* Deletes every job lock: what a lease expiring or an operator would do. */
static void drop_locks(tc_kv *kv)
{
	tc_strlist keys = TC_STRLIST_INIT;

	if (tc_kv_list(&keys, kv, LOCKS) == TC_OK)
		for (size_t i = 0; i < keys.n; i++)
			tc_kv_delete(kv, keys.items[i], 0);
	tc_strlist_dispose(&keys);
}

/* ---- a bucket that drops the job locks when a key with a given suffix is written ---- */

typedef struct tripwire {
	tc_backend base;
	tc_backend *inner;
	tc_kv *kv;
	const char *suffix; /* armed while set; fires once */
	atomic_int fired;
} tripwire;

#define TW(be) ((tripwire *)(be))
static int tw_read(tc_buf *out, tc_backend *be, const char *key)
{
	return tc_backend_read(out, TW(be)->inner, key);
}
static int tw_read_range(uint8_t *out, tc_backend *be, const char *key, uint64_t off, size_t len)
{
	return tc_backend_read_range(out, TW(be)->inner, key, off, len);
}
static int tw_write(tc_backend *be, const char *key, const void *data, size_t len)
{
	tripwire *t = TW(be);
	size_t n = strlen(key), m = t->suffix ? strlen(t->suffix) : 0;

	if (m && n >= m && strcmp(key + n - m, t->suffix) == 0 && !atomic_exchange(&t->fired, 1))
		drop_locks(t->kv);
	return tc_backend_write(t->inner, key, data, len);
}
static int tw_append_open(tc_append **out, tc_backend *be, const char *key)
{
	return tc_backend_append_open(out, TW(be)->inner, key);
}
static int tw_list(tc_strlist *out, tc_backend *be, const char *prefix)
{
	return tc_backend_list(out, TW(be)->inner, prefix);
}
static int tw_list_objects(tc_strlist *out, tc_backend *be, const char *prefix)
{
	return tc_backend_list_objects(out, TW(be)->inner, prefix);
}
static int tw_stat(tc_stat *out, tc_backend *be, const char *key)
{
	return tc_backend_stat(out, TW(be)->inner, key);
}
static int tw_del(tc_backend *be, const char *key)
{
	return tc_backend_delete(TW(be)->inner, key);
}
static int tw_mark(tc_backend *be, const char *tenant, const char *block)
{
	return tc_backend_mark_compacted(TW(be)->inner, tenant, block);
}
static int tw_clear(tc_backend *be, const char *tenant, const char *block)
{
	return tc_backend_clear_block(TW(be)->inner, tenant, block);
}
static void tw_free(tc_backend *be)
{
	free(be);
}

static const tc_backend_ops tripwire_ops = {
	.name = "tripwire", .read = tw_read, .read_range = tw_read_range, .write = tw_write,
	.append_open = tw_append_open, .list = tw_list, .list_objects = tw_list_objects, .stat = tw_stat,
	.del = tw_del, .mark_compacted = tw_mark, .clear_block = tw_clear, .free = tw_free,
};

/* ---- replicas ---- */

typedef struct replica {
	tc_ring *ring;
	tc_metrics *metrics;
	tc_service *svc;
	char id[32], addr[32];
} replica;

typedef struct env {
	tc_config cfg;
	tc_backend *be;   /* what the services use */
	tc_backend *mem;  /* the bucket itself */
	tc_kv *store;     /* the ring's */
	rf_deco *kv;      /* in front of store: what the rings and the test use */
	tc_overrides *ov;
	replica r[2];
	size_t n;
} env;

static int gen(tc_backend *be, const char *tenant, uint32_t flushes, uint32_t replicas, int64_t age_h, uint64_t seed)
{
	return sf_gen(be, tenant, flushes, replicas, 20, 3, age_h, seed);
}

static int env_init(env *e, const char *tripwire_suffix)
{
	memset(e, 0, sizeof(*e));
	tc_log_set_level(TC_LOG_ERROR);
	if (tc_config_default(&e->cfg) < 0 || tc_backend_mem_new(&e->mem) < 0 ||
	    tc_kv_mem_new(&e->store) < 0 || !(e->kv = rf_deco_new(e->store)))
		return -1;
	e->cfg.compactor.compaction.compacted_block_retention_ns = 3600 * SEC;
	e->cfg.compactor.compaction.block_retention_ns = 72 * 3600 * SEC;
	e->cfg.compactor.compaction.partial_block_grace_ns = 0;
	e->be = e->mem;
	if (tripwire_suffix) {
		tripwire *t = calloc(1, sizeof(*t));
		if (!t)
			return -1;
		t->base.ops = &tripwire_ops;
		t->inner = e->mem;
		t->kv = &e->kv->base;
		t->suffix = tripwire_suffix;
		e->be = &t->base;
	}
	return tc_overrides_new(&e->ov, &e->cfg);
}

/* Joins replica i (IDs r0, r1 at 10.0.0.i:9095) and builds its service on the shared bucket. */
static int add_replica(env *e, int64_t timeout_ns)
{
	replica *r = &e->r[e->n];
	tc_ring_options o = { 0 };

	snprintf(r->id, sizeof(r->id), "r%zu", e->n);
	snprintf(r->addr, sizeof(r->addr), "10.0.0.%zu:9095", e->n);
	o.prefix = PREFIX;
	o.key = "compactor";
	o.instance_id = r->id;
	o.instance_addr = r->addr;
	o.heartbeat_period_ns = 100 * MS;
	o.heartbeat_timeout_ns = timeout_ns;
	o.wait_stability_min_ns = 0;
	o.wait_stability_max_ns = SEC;
	o.wait_active_instance_timeout_ns = SEC;
	o.max_cas_retries = 10;
	if (tc_metrics_new(&r->metrics) < 0)
		return -1;
	o.metrics = r->metrics;
	if (tc_ring_new(&r->ring, &e->kv->base, &o) < 0 || tc_ring_start(r->ring) < 0 ||
	    tc_service_new(&r->svc, &e->cfg, e->be, e->ov, r->metrics) < 0)
		return -1;
	tc_service_set_ring(r->svc, r->ring);
	e->n++;
	return 0;
}

static void env_dispose(env *e)
{
	/* whatever the replicas did, every block they left live reads back */
	if (e->mem)
		tc_test_inspect_live_blocks(__FILE__, __LINE__, e->mem);
	for (size_t i = 0; i < e->n; i++) {
		tc_service_free(e->r[i].svc);
		tc_ring_free(e->r[i].ring);
		tc_metrics_free(e->r[i].metrics);
	}
	if (e->be != e->mem)
		tc_backend_free(e->be);
	tc_backend_free(e->mem);
	if (e->kv)
		tc_kv_free(&e->kv->base);
	tc_kv_free(e->store);
	tc_overrides_free(e->ov);
	tc_config_dispose(&e->cfg);
}

/*
 * Joins replicas r0 and r1 (heartbeat_timeout 10 s) and waits until their
 * rings agree that each of a few keys has exactly one owner.
 */
static int add_two_replicas(env *e)
{
	if (add_replica(e, 10 * SEC) < 0 || add_replica(e, 10 * SEC) < 0)
		return -1;
	for (int tries = 0; tries < 100; tries++) {
		int ok = 1;
		for (int k = 0; k < 64 && ok; k++) {
			char key[32];
			snprintf(key, sizeof(key), "key-%d", k);
			ok = tc_ring_owns(e->r[0].ring, key) + tc_ring_owns(e->r[1].ring, key) == 1;
		}
		if (ok)
			return 0;
		usleep(50000);
	}
	tc_error_set("the two rings never agreed");
	return -1;
}

/* The groups the selector makes of a tenant's live blocks now, with their hashes. */
typedef struct plan {
	char hash[8][TC_SELECTOR_HASH_MAX];
	size_t inputs[8];
	size_t n;
} plan;

static int plan_tenant(plan *p, const tc_config *cfg, tc_backend *be, const char *tenant)
{
	const tc_compaction_config *cc = &cfg->compactor.compaction;
	tc_selector_opts so = { cc->compaction_window_ns, cc->max_compaction_objects, cc->max_block_bytes,
				tc_time_now() };
	tc_blocklist bl;
	tc_selector *sel;
	const tc_meta **g;
	size_t n;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = tc_blocklist_read_tenant(&bl, be, tenant)) < 0)
		return rc;
	if ((rc = tc_selector_new(&sel, bl.live, bl.n_live, &so)) == TC_OK) {
		while (p->n < 8 && tc_selector_next(&g, &n, p->hash[p->n], sel) == 1)
			p->inputs[p->n++] = n;
		tc_selector_free(sel);
	}
	tc_blocklist_dispose(&bl);
	return rc;
}

/* Eight tenants of one job each (2 flushes x 2 replicas): what two replicas split. */
static const char *const eight_tenants[] = { "t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7" };

/* A fresh env with the eight tenants' blocks and replicas r0 and r1 that agree. */
static int eight_tenants_two_replicas(env *e)
{
	if (env_init(e, NULL) < 0)
		return -1;
	for (size_t i = 0; i < 8; i++)
		if (gen(e->mem, eight_tenants[i], 2, 2, 30, 10 + i) < 0)
			return -1;
	return add_two_replicas(e);
}

static double abandoned(replica *r, const char *reason)
{
	return tc_metrics_get(r->metrics, TC_M_COMPACTION_JOBS_ABANDONED_TOTAL, reason, NULL);
}

/*
 * Two replicas on one bucket: each compacts exactly the jobs its ring says
 * it owns, once; between them every job is done.
 */
static void replicas_split_jobs(void)
{
	double want[2] = { 0, 0 };
	env e;

	CHECK_OK(eight_tenants_two_replicas(&e));
	for (size_t i = 0; i < 8; i++) {
		plan p;
		CHECK_OK(plan_tenant(&p, &e.cfg, e.mem, eight_tenants[i]));
		CHECK_EQ_U64(p.n, 1);
		for (size_t k = 0; k < 2; k++)
			if (tc_ring_owns(e.r[k].ring, p.hash[0]) == 1)
				want[k] += (double)p.inputs[0];
	}
	CHECK(want[0] + want[1] == 32);
	/* Each replica visits every tenant (one per cycle), the other's jobs included. */
	for (size_t k = 0; k < 2; k++)
		CHECK_OK(tc_service_poll_once(e.r[k].svc));
	for (int round = 0; round < 8; round++)
		for (size_t k = 0; k < 2; k++)
			CHECK_OK(tc_service_compact_once(e.r[k].svc));
	for (size_t i = 0; i < 8; i++) {
		CHECK_EQ_U64(sf_count(e.mem, eight_tenants[i], 0), 1);
		CHECK_EQ_U64(sf_count(e.mem, eight_tenants[i], 1), 4);
	}
	for (size_t k = 0; k < 2; k++) {
		CHECK_MSG(tc_metrics_get(e.r[k].metrics, TC_M_COMPACTION_BLOCKS_TOTAL, "0", NULL) == want[k],
			  "replica %zu compacted %.0f blocks, owns jobs of %.0f", k,
			  tc_metrics_get(e.r[k].metrics, TC_M_COMPACTION_BLOCKS_TOTAL, "0", NULL), want[k]);
		CHECK(tc_metrics_get(e.r[k].metrics, TC_M_COMPACTION_ERRORS_TOTAL, NULL, NULL) == 0);
		CHECK(abandoned(&e.r[k], "lock_held") == 0 && abandoned(&e.r[k], "lock_lost") == 0);
	}
	env_dispose(&e);
}

/*
 * A replica's cycles go to tenants it has work in: a tenant whose jobs all
 * belong to the other replica does not use up a cycle, so a replica that
 * owns n tenants' jobs finishes them in n cycles (Tempo would spend a cycle
 * on every tenant in turn). The two replicas cannot both own a prefix of
 * the round-robin order, so without the skip at least one falls short.
 */
static void cycles_go_to_owned_work(void)
{
	size_t owned[2] = { 0, 0 };
	env e;

	CHECK_OK(eight_tenants_two_replicas(&e));
	for (size_t i = 0; i < 8; i++) {
		plan p;
		CHECK_OK(plan_tenant(&p, &e.cfg, e.mem, eight_tenants[i]));
		for (size_t k = 0; k < 2; k++)
			owned[k] += tc_ring_owns(e.r[k].ring, p.hash[0]) == 1;
	}
	CHECK(owned[0] + owned[1] == 8);
	for (size_t k = 0; k < 2; k++) {
		CHECK_OK(tc_service_poll_once(e.r[k].svc));
		for (size_t c = 0; c < owned[k]; c++)
			CHECK_OK(tc_service_compact_once(e.r[k].svc));
		CHECK_MSG(tc_metrics_get(e.r[k].metrics, TC_M_COMPACTION_BLOCKS_TOTAL, "0", NULL) == 4.0 * owned[k],
			  "replica %zu owns %zu tenants' jobs but compacted %.0f blocks in as many cycles", k,
			  owned[k], tc_metrics_get(e.r[k].metrics, TC_M_COMPACTION_BLOCKS_TOTAL, "0", NULL));
	}
	env_dispose(&e);
}

/*
 * tempodb_compaction_outstanding_blocks counts only the groups this replica
 * owns (Tempo's measureOutstandingBlocks): with max_time_per_tenant 0 a
 * cycle runs one owned job and leaves the rest outstanding.
 */
static void outstanding_counts_owned_jobs(void)
{
	env e;
	plan p;
	size_t owned[2] = { 0, 0 };

	CHECK_OK(env_init(&e, NULL));
	/* Six old windows of two blocks each: six jobs, six hashes. */
	for (int w = 0; w < 6; w++)
		CHECK_OK(gen(e.mem, "multi", 1, 2, 30 + w, 20 + (uint64_t)w));
	e.cfg.compactor.compaction.max_time_per_tenant_ns = 0;
	CHECK_OK(add_two_replicas(&e));
	CHECK_OK(plan_tenant(&p, &e.cfg, e.mem, "multi"));
	CHECK_EQ_U64(p.n, 6);
	for (size_t j = 0; j < p.n; j++)
		for (size_t k = 0; k < 2; k++)
			owned[k] += tc_ring_owns(e.r[k].ring, p.hash[j]) == 1;
	CHECK(owned[0] + owned[1] == 6);
	for (size_t k = 0; k < 2; k++) {
		CHECK_OK(tc_service_poll_once(e.r[k].svc));
		CHECK_OK(tc_service_compact_once(e.r[k].svc));
		/* One owned job ran (if any), 2 inputs for each owned one left. */
		CHECK_EQ_U64(tc_metrics_get(e.r[k].metrics, TC_M_COMPACTION_BLOCKS_TOTAL, "0", NULL),
			     owned[k] ? 2 : 0);
		CHECK_EQ_U64(tc_metrics_get(e.r[k].metrics, TC_M_COMPACTION_OUTSTANDING_BLOCKS, "multi", NULL),
			     owned[k] ? 2 * (owned[k] - 1) : 0);
	}
	env_dispose(&e);
}

/*
 * Retention marks and clears, partial blocks are removed, and tenant
 * indexes are written only by their owners: by block ID, and by
 * "build-tenant-index-<i>-<tenant>" for i < blocklist_poll_tenant_index_builders.
 */
static void retention_partials_and_index_by_owner(void)
{
	static const char *partial = "0c0c0c0c-0000-4000-8000-00000000000a";
	env e;
	tc_blocklist bl;
	double marked_owned[2] = { 0, 0 };
	char key[TC_KEY_MAX];
	size_t owner, other;

	CHECK_OK(env_init(&e, NULL));
	CHECK_OK(gen(e.mem, "old", 1, 6, 100, 5)); /* six blocks past the 72h retention */
	CHECK_OK(gen(e.mem, "young", 1, 2, 30, 6));
	CHECK_OK(add_two_replicas(&e));

	/* A partial block (data, no meta), past its grace of 0. */
	tc_key_block(key, sizeof(key), "young", partial, "data");
	CHECK_OK(tc_backend_write(e.mem, key, "x", 1));
	owner = tc_ring_owns(e.r[0].ring, partial) == 1 ? 0 : 1;
	other = 1 - owner;
	CHECK_EQ_U64(tc_ring_owns(e.r[owner].ring, partial), 1);
	CHECK_OK(tc_service_poll_once(e.r[other].svc));
	{
		tc_stat st;
		CHECK_OK(tc_backend_stat(&st, e.mem, key));
	}
	CHECK_OK(tc_service_poll_once(e.r[owner].svc));
	{
		tc_stat st;
		CHECK_ERR(tc_backend_stat(&st, e.mem, key), TC_ENOTFOUND);
	}
	CHECK_EQ_U64(tc_metrics_get(e.r[owner].metrics, TC_M_COMPACTION_PARTIAL_BLOCKS_CLEANED_TOTAL, "young", NULL), 1);
	CHECK_EQ_U64(tc_metrics_get(e.r[other].metrics, TC_M_COMPACTION_PARTIAL_BLOCKS_CLEANED_TOTAL, "young", NULL), 0);

	/* Tenant index builders. */
	for (size_t k = 0; k < 2; k++) {
		static const char *tenants[] = { "old", "young" };
		for (size_t t = 0; t < 2; t++) {
			int builder = 0;
			for (int i = 0; i < 2; i++) {
				char name[64];
				snprintf(name, sizeof(name), "build-tenant-index-%d-%s", i, tenants[t]);
				builder |= tc_ring_owns(e.r[k].ring, name) == 1;
			}
			CHECK_MSG(tc_metrics_get(e.r[k].metrics, TC_M_TENANT_INDEX_BUILDER, tenants[t], NULL) == builder,
				  "replica %zu, tenant %s: builder gauge is not %d", k, tenants[t], builder);
		}
	}

	/* Retention: each replica marks the expired blocks whose IDs it owns. */
	CHECK_OK(tc_blocklist_read_tenant(&bl, e.mem, "old"));
	CHECK_EQ_U64(bl.n_live, 6);
	for (size_t i = 0; i < bl.n_live; i++)
		for (size_t k = 0; k < 2; k++)
			marked_owned[k] += tc_ring_owns(e.r[k].ring, bl.live[i].block_id) == 1;
	tc_blocklist_dispose(&bl);
	CHECK(marked_owned[0] + marked_owned[1] == 6);
	CHECK_OK(tc_service_retention_once(e.r[0].svc));
	CHECK_EQ_U64(sf_count(e.mem, "old", 0), 6 - (size_t)marked_owned[0]);
	CHECK_OK(tc_service_retention_once(e.r[1].svc));
	CHECK_EQ_U64(sf_count(e.mem, "old", 0), 0);
	for (size_t k = 0; k < 2; k++) {
		CHECK(tc_metrics_get(e.r[k].metrics, TC_M_RETENTION_MARKED_TOTAL, NULL, NULL) == marked_owned[k]);
		CHECK(tc_metrics_get(e.r[k].metrics, TC_M_RETENTION_ERRORS_TOTAL, NULL, NULL) == 0);
	}
	env_dispose(&e);
}

/* A job whose lock another replica holds is skipped and counted, not an error. */
static void held_lock_skips_job(void)
{
	static const char foreign[] = "{\"instance\":\"tempo-compactor-9\",\"addr\":\"10.9.9.9:9095\","
				      "\"nonce\":\"1\",\"acquired\":\"2026-01-01T00:00:00Z\"}";
	env e;
	plan p;
	char key[256];
	int64_t rev;

	CHECK_OK(env_init(&e, NULL));
	CHECK_OK(gen(e.mem, "a", 2, 2, 30, 1));
	CHECK_OK(add_replica(&e, 10 * SEC));
	CHECK_OK(plan_tenant(&p, &e.cfg, e.mem, "a"));
	CHECK_EQ_U64(p.n, 1);
	CHECK_EQ_U64(tc_ring_owns(e.r[0].ring, p.hash[0]), 1);
	snprintf(key, sizeof(key), LOCKS "%s", p.hash[0]);
	CHECK_OK(tc_kv_create(&rev, &e.kv->base, key, foreign, sizeof(foreign) - 1, 0));
	CHECK_OK(tc_service_poll_once(e.r[0].svc));
	CHECK_OK(tc_service_compact_once(e.r[0].svc));
	CHECK_EQ_U64(sf_count(e.mem, "a", 0), 4);
	CHECK(abandoned(&e.r[0], "lock_held") == 1);
	CHECK(tc_metrics_get(e.r[0].metrics, TC_M_COMPACTION_ERRORS_TOTAL, NULL, NULL) == 0);
	/* Once it is released the job runs, and its own lock is gone afterwards. */
	CHECK_OK(tc_kv_delete(&e.kv->base, key, 0));
	CHECK_OK(tc_service_compact_once(e.r[0].svc));
	CHECK_EQ_U64(sf_count(e.mem, "a", 0), 1);
	{
		tc_strlist keys = TC_STRLIST_INIT;
		CHECK_OK(tc_kv_list(&keys, &e.kv->base, LOCKS));
		CHECK_EQ_U64(keys.n, 0);
		tc_strlist_dispose(&keys);
	}
	env_dispose(&e);
}

/*
 * The lock lost while the job runs: before the output's meta.json, the
 * output is removed; after it, the output stays and the inputs stay live.
 * Either way the job is abandoned and counted, and nothing is lost.
 */
static void lost_lock_abandons(const char *when, size_t live_after)
{
	env e;
	tc_blocklist bl;

	CHECK_OK(env_init(&e, when));
	CHECK_OK(gen(e.mem, "a", 2, 2, 30, 1));
	CHECK_OK(add_replica(&e, 10 * SEC));
	CHECK_OK(tc_service_poll_once(e.r[0].svc));
	CHECK_OK(tc_service_compact_once(e.r[0].svc));
	CHECK(atomic_load(&((tripwire *)e.be)->fired));
	CHECK(abandoned(&e.r[0], "lock_lost") == 1);
	CHECK(tc_metrics_get(e.r[0].metrics, TC_M_COMPACTION_BLOCKS_TOTAL, "0", NULL) == 0);
	CHECK(tc_metrics_get(e.r[0].metrics, TC_M_COMPACTION_ERRORS_TOTAL, NULL, NULL) == 0);
	CHECK_OK(tc_blocklist_read_tenant(&bl, e.mem, "a"));
	CHECK_EQ_U64(bl.n_live, live_after);
	CHECK_EQ_U64(bl.n_compacted, 0);
	CHECK_EQ_U64(bl.partial.n, 0);
	tc_blocklist_dispose(&bl);
	env_dispose(&e);
}

static void lost_lock_before_output(void)
{
	lost_lock_abandons("/index", 4);
}

static void lost_lock_before_marking(void)
{
	lost_lock_abandons("/meta.json", 5);
}

/*
 * The ring's store unreachable: no job starts while the ring cannot say
 * who owns it (nothing counted as an error), and work resumes when it is
 * back. A lock that cannot be taken stops the cycle, counted once.
 */
static void ring_unavailable_starts_nothing(void)
{
	env e;

	CHECK_OK(env_init(&e, NULL));
	CHECK_OK(gen(e.mem, "a", 1, 2, 30, 1));
	CHECK_OK(gen(e.mem, "a", 1, 2, 31, 2)); /* two windows: two jobs */
	CHECK_OK(add_replica(&e, 500 * MS));
	CHECK_OK(tc_service_poll_once(e.r[0].svc));

	atomic_store(&e.kv->fail_create, 1);
	CHECK_OK(tc_service_compact_once(e.r[0].svc));
	CHECK_EQ_U64(sf_count(e.mem, "a", 0), 4);
	CHECK(abandoned(&e.r[0], "ring_unavailable") == 1);
	atomic_store(&e.kv->fail_create, 0);

	atomic_store(&e.kv->fail, 1);
	usleep(1000 * 1000); /* two heartbeat_timeouts: the view is stale */
	CHECK_ERR(tc_ring_owns(e.r[0].ring, "x"), TC_ERROR);
	CHECK_OK(tc_service_compact_once(e.r[0].svc));
	CHECK_EQ_U64(sf_count(e.mem, "a", 0), 4);
	CHECK(abandoned(&e.r[0], "ring_unavailable") == 1);
	CHECK(tc_metrics_get(e.r[0].metrics, TC_M_COMPACTION_ERRORS_TOTAL, NULL, NULL) == 0);

	atomic_store(&e.kv->fail, 0);
	for (int i = 0; i < 100 && tc_ring_owns(e.r[0].ring, "x") < 0; i++)
		usleep(50000);
	CHECK_EQ_U64(tc_ring_owns(e.r[0].ring, "x"), 1);
	CHECK_OK(tc_service_compact_once(e.r[0].svc));
	CHECK_EQ_U64(sf_count(e.mem, "a", 0), 2);
	env_dispose(&e);
}

/*
 * The threaded service with a ring: /ready (tc_service_ready) waits for the
 * ring, and a replica that never sees itself ACTIVE gives up (failed).
 */
static void ready_waits_for_ring(void)
{
	env e;

	CHECK_OK(env_init(&e, NULL));
	CHECK_OK(gen(e.mem, "a", 2, 2, 30, 1));
	e.cfg.compactor.compaction.compaction_cycle_ns = 50 * MS;
	e.cfg.storage.blocklist_poll_ns = 100 * MS;
	CHECK_OK(add_replica(&e, 500 * MS));
	/* The store down before the service starts: the ring's view goes stale and never shows us ACTIVE again. */
	atomic_store(&e.kv->fail, 1);
	usleep(700 * 1000);
	CHECK_OK(tc_service_start(e.r[0].svc));
	CHECK(!tc_service_ready(e.r[0].svc));
	for (int i = 0; i < 100 && !tc_service_failed(e.r[0].svc); i++)
		usleep(50000);
	CHECK(tc_service_failed(e.r[0].svc));
	CHECK(!tc_service_ready(e.r[0].svc));
	CHECK_EQ_U64(sf_count(e.mem, "a", 0), 4);
	tc_service_stop(e.r[0].svc, SEC);
	atomic_store(&e.kv->fail, 0);
	env_dispose(&e);

	/* A healthy ring: ready, then the work is done. */
	CHECK_OK(env_init(&e, NULL));
	CHECK_OK(gen(e.mem, "a", 2, 2, 30, 1));
	e.cfg.compactor.compaction.compaction_cycle_ns = 50 * MS;
	e.cfg.storage.blocklist_poll_ns = 100 * MS;
	CHECK_OK(add_replica(&e, 10 * SEC));
	CHECK_OK(tc_service_start(e.r[0].svc));
	for (int i = 0; i < 100 && !tc_service_ready(e.r[0].svc); i++)
		usleep(50000);
	CHECK(tc_service_ready(e.r[0].svc));
	for (int i = 0; i < 100 && sf_count(e.mem, "a", 0) != 1; i++)
		usleep(50000);
	tc_service_stop(e.r[0].svc, 5 * SEC);
	CHECK_EQ_U64(sf_count(e.mem, "a", 0), 1);
	CHECK(!tc_service_failed(e.r[0].svc));
	env_dispose(&e);
}

TC_TEST_MAIN(T(replicas_split_jobs), T(cycles_go_to_owned_work), T(outstanding_counts_owned_jobs), T(retention_partials_and_index_by_owner),
	     T(held_lock_skips_job), T(lost_lock_before_output), T(lost_lock_before_marking),
	     T(ring_unavailable_starts_nothing), T(ready_waits_for_ring))
