/*
 * compactor.compaction.concurrency on the in-memory backend behind a
 * decorator that sees every job's writes. A job writes its output's data
 * object through one append handle, so the handles open at once are the
 * jobs writing at once. The decorator holds each new writer until `want`
 * writers are open or a deadline passes: jobs that can run together then do,
 * whatever the scheduler does, while jobs run one after another never get
 * past one. It also records every block marked compacted. Threads: this test
 * also runs under ThreadSanitizer (label tsan).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "encoding/block_reader.h"
#include "encoding/hash.h"
#include "src/backend/backend_impl.h"
#include "src/compactor/blocklist.h"
#include "src/compactor/service.h"
#include "src/util/array.h"
#include "src/util/log.h"
#include "tests/service_fixture.h"
#include "tests/spans.h"
#include "tests/test.h"

#define SEC 1000000000LL
#define MAX_WRITERS 16

/* ---- the decorator ---- */

typedef struct rv_backend {
	tc_backend base;
	tc_backend *inner;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned want;           /* writers to gather, once */
	int64_t wait_ns;         /* longest a writer is held */
	int64_t append_delay_ns; /* each append to a data object takes this long */
	int gathered;            /* want was reached (or a writer gave up waiting): hold no more */
	char open[MAX_WRITERS][TC_TENANT_MAX + 1]; /* tenants of the writers open now */
	unsigned n_open, max_open;
	char first[MAX_WRITERS][TC_TENANT_MAX + 1]; /* tenants open when want was reached */
	unsigned n_first;
	tc_strlist marked;       /* "tenant/block", every mark_compacted */
} rv_backend;

typedef struct rv_append {
	tc_append base;
	tc_append *inner;
	char tenant[TC_TENANT_MAX + 1];
} rv_handle;

static rv_backend *rv_of(tc_backend *be) { return (rv_backend *)be; }

static int rv_read(tc_buf *out, tc_backend *be, const char *key)
{
	return tc_backend_read(out, rv_of(be)->inner, key);
}

static int rv_read_range(uint8_t *out, tc_backend *be, const char *key, uint64_t off, size_t len)
{
	return tc_backend_read_range(out, rv_of(be)->inner, key, off, len);
}

static int rv_write(tc_backend *be, const char *key, const void *data, size_t len)
{
	return tc_backend_write(rv_of(be)->inner, key, data, len);
}

static void deadline_in(struct timespec *ts, int64_t ns)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ns / SEC;
	ts->tv_nsec += ns % SEC;
	if (ts->tv_nsec >= SEC) {
		ts->tv_sec++;
		ts->tv_nsec -= SEC;
	}
}

static int rv_append_open(tc_append **out, tc_backend *be, const char *key)
{
	rv_backend *rv = rv_of(be);
	rv_handle *a = calloc(1, sizeof(*a));
	struct timespec until;
	int rc;

	if (!a)
		return TC_ERROR;
	if ((rc = tc_backend_append_open(&a->inner, rv->inner, key)) < 0) {
		free(a);
		return rc;
	}
	a->base.be = be;
	snprintf(a->tenant, sizeof(a->tenant), "%.*s", (int)strcspn(key, "/"), key);
	deadline_in(&until, rv->wait_ns);
	pthread_mutex_lock(&rv->mu);
	if (rv->n_open < MAX_WRITERS)
		memcpy(rv->open[rv->n_open++], a->tenant, sizeof(a->tenant));
	if (rv->n_open > rv->max_open)
		rv->max_open = rv->n_open;
	if (!rv->gathered && rv->n_open >= rv->want) {
		rv->gathered = 1;
		memcpy(rv->first, rv->open, sizeof(rv->open));
		rv->n_first = rv->n_open;
		pthread_cond_broadcast(&rv->cv);
	}
	while (!rv->gathered)
		if (pthread_cond_timedwait(&rv->cv, &rv->mu, &until) == ETIMEDOUT)
			rv->gathered = 1; /* the others never came: the jobs are not concurrent */
	pthread_mutex_unlock(&rv->mu);
	*out = &a->base;
	return TC_OK;
}

static int rv_append(tc_append *h, const void *data, size_t len)
{
	rv_backend *rv = rv_of(h->be);

	if (rv->append_delay_ns) {
		struct timespec d = { 0, rv->append_delay_ns };
		nanosleep(&d, NULL);
	}
	return tc_backend_append(((rv_handle *)h)->inner, data, len);
}

static void writer_closed(rv_handle *a)
{
	rv_backend *rv = rv_of(a->base.be);

	pthread_mutex_lock(&rv->mu);
	for (unsigned i = 0; i < rv->n_open; i++) {
		if (!strcmp(rv->open[i], a->tenant)) {
			memcpy(rv->open[i], rv->open[--rv->n_open], sizeof(rv->open[i]));
			break;
		}
	}
	pthread_mutex_unlock(&rv->mu);
	free(a);
}

static int rv_append_commit(tc_append *h)
{
	int rc = tc_backend_append_commit(((rv_handle *)h)->inner);
	writer_closed((rv_handle *)h);
	return rc;
}

static void rv_append_abort(tc_append *h)
{
	tc_backend_append_abort(((rv_handle *)h)->inner);
	writer_closed((rv_handle *)h);
}

static int rv_list(tc_strlist *out, tc_backend *be, const char *prefix)
{
	return tc_backend_list(out, rv_of(be)->inner, prefix);
}

static int rv_list_objects(tc_strlist *out, tc_backend *be, const char *prefix)
{
	return tc_backend_list_objects(out, rv_of(be)->inner, prefix);
}

static int rv_stat(tc_stat *out, tc_backend *be, const char *key)
{
	return tc_backend_stat(out, rv_of(be)->inner, key);
}

static int rv_del(tc_backend *be, const char *key)
{
	return tc_backend_delete(rv_of(be)->inner, key);
}

static int rv_mark_compacted(tc_backend *be, const char *tenant, const char *block)
{
	rv_backend *rv = rv_of(be);
	char name[TC_TENANT_MAX + TC_UUID_STR_LEN + 2];
	int rc = tc_backend_mark_compacted(rv->inner, tenant, block);

	snprintf(name, sizeof(name), "%s/%s", tenant, block);
	pthread_mutex_lock(&rv->mu);
	if (rc == TC_OK)
		tc_strlist_add(&rv->marked, name);
	pthread_mutex_unlock(&rv->mu);
	return rc;
}

static int rv_clear_block(tc_backend *be, const char *tenant, const char *block)
{
	return tc_backend_clear_block(rv_of(be)->inner, tenant, block);
}

static int rv_abort_stale(size_t *aborted, tc_backend *be, const tc_time *before)
{
	return tc_backend_abort_stale_uploads(aborted, rv_of(be)->inner, before);
}

static void rv_free(tc_backend *be)
{
	rv_backend *rv = rv_of(be);

	tc_backend_free(rv->inner);
	tc_strlist_dispose(&rv->marked);
	pthread_cond_destroy(&rv->cv);
	pthread_mutex_destroy(&rv->mu);
	free(rv);
}

static const tc_backend_ops rv_ops = {
	.name = "rendezvous",
	.read = rv_read,
	.read_range = rv_read_range,
	.write = rv_write,
	.append_open = rv_append_open,
	.append = rv_append,
	.append_commit = rv_append_commit,
	.append_abort = rv_append_abort,
	.list = rv_list,
	.list_objects = rv_list_objects,
	.stat = rv_stat,
	.del = rv_del,
	.mark_compacted = rv_mark_compacted,
	.clear_block = rv_clear_block,
	.abort_stale_uploads = rv_abort_stale,
	.free = rv_free,
};

/* Wraps inner (taken over): writers are held until want are open, at most wait_ns. */
static rv_backend *rv_new(tc_backend *inner, unsigned want, int64_t wait_ns)
{
	rv_backend *rv = calloc(1, sizeof(*rv));

	if (!rv)
		return NULL;
	rv->base.ops = &rv_ops;
	rv->inner = inner;
	rv->want = want;
	rv->wait_ns = wait_ns;
	pthread_mutex_init(&rv->mu, NULL);
	pthread_cond_init(&rv->cv, NULL);
	return rv;
}

/* ---- the bucket ---- */

/* Two flushes x two replicas of one tenant, in one window about age_h hours ago. */
static int gen(tc_backend *be, const char *tenant, uint32_t traces, int64_t age_h, uint64_t seed)
{
	return sf_gen(be, tenant, 2, 2, traces, 5, age_h, seed);
}

/* A sorted set of 64-bit hashes of (trace ID, span bytes): the distinct spans of a bucket. */
typedef struct spanset {
	uint64_t *v;
	size_t n, cap;
} spanset;

static int spanset_add_block(spanset *set, tc_backend *be, const tc_meta *m)
{
	tc_block_reader *r;
	tc_object o;
	tc_buf b = TC_BUF_INIT;
	int rc;

	if ((rc = tc_block_reader_open(&r, be, m, NULL)) < 0)
		return rc;
	while ((rc = tc_block_reader_next(&o, r)) == 1) {
		tc_test_spans sp = { 0 };
		if (tc_test_spans_of(&sp, o.body, o.body_len, 1) < 0) {
			rc = TC_ECORRUPT;
			break;
		}
		for (size_t i = 0; i < sp.n && rc >= 0; i++) {
			tc_buf_clear(&b);
			if ((rc = tc_buf_put(&b, o.id, o.id_len)) < 0 ||
			    (rc = tc_buf_put(&b, sp.s[i].p, sp.s[i].len)) < 0 ||
			    (rc = tc_array_reserve(set->v, set->cap, set->n + 1, 0)) < 0)
				break;
			set->v[set->n++] = tc_xxh64(b.ptr, b.len);
		}
		tc_test_spans_free(&sp);
		if (rc < 0)
			break;
	}
	tc_buf_dispose(&b);
	tc_block_reader_free(r);
	return rc < 0 ? rc : TC_OK;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The distinct spans of the live blocks of the tenants. */
static int spanset_of(spanset *set, tc_backend *be, const char *const *tenants, size_t n_tenants)
{
	size_t w = 0;

	memset(set, 0, sizeof(*set));
	for (size_t t = 0; t < n_tenants; t++) {
		tc_blocklist bl;
		int rc = tc_blocklist_read_tenant(&bl, be, tenants[t]);
		for (size_t i = 0; rc >= 0 && i < bl.n_live; i++)
			rc = spanset_add_block(set, be, &bl.live[i]);
		tc_blocklist_dispose(&bl);
		if (rc < 0)
			return rc;
	}
	if (set->n)
		qsort(set->v, set->n, sizeof(*set->v), cmp_u64);
	for (size_t i = 0; i < set->n; i++)
		if (w == 0 || set->v[w - 1] != set->v[i])
			set->v[w++] = set->v[i];
	set->n = w;
	return TC_OK;
}

static size_t live(tc_backend *be, const char *tenant)
{
	tc_blocklist bl;
	size_t n;

	if (tc_blocklist_read_tenant(&bl, be, tenant) < 0)
		return 999;
	n = bl.n_live;
	tc_blocklist_dispose(&bl);
	return n;
}

/* Every live block of the tenants, as "tenant/block". */
static void live_names(tc_strlist *out, tc_backend *be, const char *const *tenants, size_t n)
{
	for (size_t t = 0; t < n; t++) {
		tc_blocklist bl;
		char name[TC_TENANT_MAX + TC_UUID_STR_LEN + 2];
		if (tc_blocklist_read_tenant(&bl, be, tenants[t]) < 0)
			continue;
		for (size_t i = 0; i < bl.n_live; i++) {
			snprintf(name, sizeof(name), "%s/%s", tenants[t], bl.live[i].block_id);
			tc_strlist_add(out, name);
		}
		tc_blocklist_dispose(&bl);
	}
}

typedef struct env {
	tc_config cfg;
	rv_backend *rv;
	tc_overrides *ov;
	tc_metrics *metrics;
	tc_service *svc;
	const char *const *tenants;
	size_t n_tenants;
	tc_strlist inputs; /* every block the bucket started with */
	spanset before;
} env;

/*
 * Tenants a, c and d have one window of 4 blocks (one job each), b has
 * three windows (three jobs). With concurrency 3 the first cycle takes b, c
 * and d (Tempo's offset starts at the second tenant).
 */
static const char *const all_tenants[] = { "a", "b", "c", "d" };
static const char *const only_b[] = { "b" };

static int setup(env *e, int just_b, uint32_t concurrency, unsigned want, int64_t wait_ns, uint32_t traces)
{
	tc_backend *mem = NULL;
	int rc;

	memset(e, 0, sizeof(*e));
	e->tenants = just_b ? only_b : all_tenants;
	e->n_tenants = just_b ? 1 : 4;
	tc_log_set_level(TC_LOG_ERROR);
	if (tc_config_default(&e->cfg) < 0 || tc_backend_mem_new(&mem) < 0 || tc_metrics_new(&e->metrics) < 0)
		return -1;
	e->cfg.compactor.compaction.concurrency = concurrency;
	e->cfg.compactor.compaction.compaction_cycle_ns = SEC / 20;
	e->cfg.storage.blocklist_poll_ns = SEC / 10;
	/* Small pages written in small pieces: a job appends to its data object many times. */
	e->cfg.storage.block.index_downsample_bytes = 65536;
	e->cfg.compactor.compaction.flush_size_bytes = 4096;
	rc = gen(mem, "b", traces, 30, 2);
	if (rc >= 0)
		rc = gen(mem, "b", traces, 40, 3);
	if (rc >= 0)
		rc = gen(mem, "b", traces, 50, 4);
	if (rc >= 0 && !just_b && ((rc = gen(mem, "a", traces, 30, 1)) < 0 || (rc = gen(mem, "c", traces, 30, 5)) < 0 ||
				   (rc = gen(mem, "d", traces, 30, 6)) < 0))
		rc = -1;
	if (rc >= 0) {
		live_names(&e->inputs, mem, e->tenants, e->n_tenants);
		rc = spanset_of(&e->before, mem, e->tenants, e->n_tenants);
	}
	if (rc < 0 || !(e->rv = rv_new(mem, want, wait_ns))) {
		tc_backend_free(mem);
		return -1;
	}
	if (tc_overrides_new(&e->ov, &e->cfg) < 0)
		return -1;
	return tc_service_new(&e->svc, &e->cfg, &e->rv->base, e->ov, e->metrics);
}

static void teardown(env *e)
{
	/* whatever the test did, every block it left live reads back */
	if (e->rv)
		tc_test_inspect_live_blocks(__FILE__, __LINE__, e->rv->inner);
	tc_service_free(e->svc);
	tc_overrides_free(e->ov);
	tc_metrics_free(e->metrics);
	if (e->rv)
		tc_backend_free(&e->rv->base);
	tc_strlist_dispose(&e->inputs);
	free(e->before.v);
	tc_config_dispose(&e->cfg);
}

/* Blocks each tenant starts with: b has three windows, the others one. */
static size_t start_blocks(const char *tenant)
{
	return tenant[0] == 'b' ? 12 : 4;
}

/* One block per window: b three, the others one. */
static int converged(env *e)
{
	for (size_t t = 0; t < e->n_tenants; t++)
		if (live(e->rv->inner, e->tenants[t]) != start_blocks(e->tenants[t]) / 4)
			return 0;
	return 1;
}

/* Every input marked compacted exactly once, nothing else marked, no span lost or made up. */
static void check_exactly_once(env *e)
{
	tc_strlist marked = TC_STRLIST_INIT;
	spanset after;
	size_t want = 0;

	CHECK(converged(e));
	for (size_t t = 0; t < e->n_tenants; t++)
		want += start_blocks(e->tenants[t]);
	CHECK_EQ_U64(e->inputs.n, want);
	for (size_t i = 0; i < e->rv->marked.n; i++)
		CHECK_OK(tc_strlist_add(&marked, e->rv->marked.items[i]));
	tc_strlist_sort(&marked);
	for (size_t i = 1; i < marked.n; i++)
		CHECK_MSG(strcmp(marked.items[i - 1], marked.items[i]) != 0, "%s marked compacted twice",
			  marked.items[i]);
	CHECK_EQ_U64(marked.n, e->inputs.n);
	for (size_t i = 0; i < e->inputs.n; i++)
		CHECK_MSG(tc_strlist_contains(&marked, e->inputs.items[i]), "input %s never compacted",
			  e->inputs.items[i]);
	tc_strlist_dispose(&marked);
	CHECK_OK(spanset_of(&after, e->rv->inner, e->tenants, e->n_tenants));
	CHECK(e->before.n > 0);
	CHECK_MSG(after.n == e->before.n && !memcmp(after.v, e->before.v, after.n * sizeof(*after.v)),
		  "distinct spans: %zu before, %zu after", e->before.n, after.n);
	free(after.v);
	CHECK_EQ_U64(tc_metrics_get(e->metrics, TC_M_COMPACTION_ERRORS_TOTAL, NULL, NULL), 0);
}

/* ---- the tests ---- */

/*
 * Concurrency 3: three jobs write at once, and they are of three tenants
 * (b, c, d), not three of b's; b's other jobs run on the workers c and d
 * free. Every input is compacted exactly once and every span survives.
 */
static void tenants_in_parallel(void)
{
	env e;

	CHECK_OK(setup(&e, 0, 3, 3, 20 * SEC, 60));
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK_OK(tc_service_compact_once(e.svc));
	CHECK_EQ_U64(e.rv->max_open, 3);
	CHECK_EQ_U64(e.rv->n_first, 3);
	if (e.rv->n_first == 3) {
		CHECK_MSG(strcmp(e.rv->first[0], e.rv->first[1]) && strcmp(e.rv->first[0], e.rv->first[2]) &&
			  strcmp(e.rv->first[1], e.rv->first[2]),
			  "the first three jobs were of tenants %s, %s, %s", e.rv->first[0], e.rv->first[1],
			  e.rv->first[2]);
	}
	/* The first cycle was b, c and d, all of b's windows included; a waits for the next. */
	CHECK_EQ_U64(live(e.rv->inner, "a"), 4);
	CHECK_EQ_U64(live(e.rv->inner, "b"), 3);
	CHECK_EQ_U64(live(e.rv->inner, "c"), 1);
	CHECK_OK(tc_service_compact_once(e.svc)); /* a, b, c */
	check_exactly_once(&e);
	teardown(&e);
}

/* A single tenant with three jobs: the idle workers take its other jobs at once. */
static void one_tenant_uses_every_worker(void)
{
	env e;

	CHECK_OK(setup(&e, 1, 3, 3, 20 * SEC, 60));
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK_OK(tc_service_compact_once(e.svc));
	CHECK_EQ_U64(e.rv->max_open, 3);
	check_exactly_once(&e);
	teardown(&e);
}

/*
 * Concurrency 1 is today's loop: one job at a time, so the decorator never
 * sees two writers (it waits 200 ms for a second one, in vain), and the
 * result is the same.
 */
static void concurrency_one_is_serial(void)
{
	env e;

	CHECK_OK(setup(&e, 0, 1, 2, SEC / 5, 60));
	CHECK_OK(tc_service_poll_once(e.svc));
	for (int i = 0; i < 12 && !converged(&e); i++)
		CHECK_OK(tc_service_compact_once(e.svc));
	CHECK_EQ_U64(e.rv->max_open, 1);
	check_exactly_once(&e);
	teardown(&e);
}

static int gathered(rv_backend *rv)
{
	int g;

	pthread_mutex_lock(&rv->mu);
	g = rv->gathered;
	pthread_mutex_unlock(&rv->mu);
	return g;
}

/*
 * SIGTERM's path with three jobs writing: stop gives them half of a 2 s
 * timeout, then cancels all three; each removes its partial output and
 * leaves its inputs live.
 */
static void stop_cancels_every_job(void)
{
	env e;
	uint64_t t0;
	tc_strlist objs = TC_STRLIST_INIT;

	/* 600 traces a block and 50 ms an append: a job takes far longer than the 1 s grace. */
	CHECK_OK(setup(&e, 0, 3, 3, 20 * SEC, 600));
	e.rv->append_delay_ns = 50 * 1000 * 1000;
	CHECK_OK(tc_service_start(e.svc));
	/* The first cycle starts one compaction_cycle after the start; wait for its three writers. */
	for (int i = 0; i < 3000 && !gathered(e.rv); i++)
		usleep(10000);
	CHECK_EQ_U64(e.rv->n_first, 3);
	t0 = tc_mono_ns();
	tc_service_stop(e.svc, 2 * SEC);
	CHECK_MSG(tc_mono_ns() - t0 < 4ULL * SEC, "stop took %.1fs", (double)(tc_mono_ns() - t0) / 1e9);
	CHECK_EQ_U64(e.rv->marked.n, 0);
	CHECK_EQ_U64(tc_metrics_get(e.metrics, TC_M_COMPACTION_ERRORS_TOTAL, NULL, NULL), 3);
	for (size_t t = 0; t < e.n_tenants; t++)
		CHECK_EQ_U64(live(e.rv->inner, e.tenants[t]), start_blocks(e.tenants[t]));
	/* Nothing but the inputs and the tenant indexes: the partial outputs are gone. */
	CHECK_OK(tc_backend_list_objects(&objs, e.rv->inner, ""));
	for (size_t i = 0; i < objs.n; i++) {
		int known = strstr(objs.items[i], "/index.json.gz") != NULL;
		for (size_t j = 0; j < e.inputs.n && !known; j++)
			known = !strncmp(objs.items[i], e.inputs.items[j], strlen(e.inputs.items[j]));
		CHECK_MSG(known, "left behind: %s", objs.items[i]);
	}
	tc_strlist_dispose(&objs);
	teardown(&e);
}

TC_TEST_MAIN(T(tenants_in_parallel), T(one_tenant_uses_every_worker), T(concurrency_one_is_serial),
	     T(stop_cancels_every_job))
