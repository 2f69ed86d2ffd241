/*
 * The service in-process on the in-memory backend: single passes of the
 * poller, compaction loop and retention behave as docs/COMPACTOR.md says, and
 * the threaded service converges with no data race (this test also runs
 * under ThreadSanitizer, label tsan).
 */
#include <ctype.h>
#include <pthread.h>
#include <time.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "encoding/block_reader.h"
#include "encoding/tenant_index.h"
#include "src/backend/backend_impl.h"
#include "src/compactor/blocklist.h"
#include "src/compactor/service.h"
#include "src/util/log.h"
#include "tests/service_fixture.h"
#include "tests/test.h"

#define SEC 1000000000LL

typedef struct env {
	tc_config cfg;
	tc_backend *be;
	tc_overrides *ov;
	tc_metrics *metrics;
	tc_service *svc;
	int damaged_live; /* the test left a damaged block live and unquarantined on purpose */
	tc_backend *bucket; /* what teardown inspects, when be is a decorator that no longer reads */
} env;

static int gen(tc_backend *be, const char *tenant, uint32_t flushes, uint32_t replicas, int64_t age_h, uint64_t seed)
{
	return sf_gen(be, tenant, flushes, replicas, 60, 5, age_h, seed);
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
	/* whatever the test did, every block it left live (quarantined ones aside) reads back */
	if (e->be && !e->damaged_live)
		tc_test_inspect_live_blocks(__FILE__, __LINE__, e->bucket ? e->bucket : e->be);
	tc_service_free(e->svc);
	tc_overrides_free(e->ov);
	tc_metrics_free(e->metrics);
	tc_backend_free(e->be);
	tc_config_dispose(&e->cfg);
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
	CHECK_EQ_U64(sf_count(e.be, "b", 0), 2); /* 6 blocks of one window: a job of 4, then of 2 */
	CHECK_EQ_U64(sf_count(e.be, "a", 0), 4);
	CHECK_OK(tc_service_compact_once(e.svc)); /* "c" */
	CHECK_EQ_U64(sf_count(e.be, "c", 0), 1);
	CHECK_OK(tc_service_compact_once(e.svc)); /* "a" */
	CHECK_EQ_U64(sf_count(e.be, "a", 0), 1);
	/* The store saw the local changes without a poll. */
	CHECK_OK(tc_service_blocklist_json(&js, e.svc, "a"));
	CHECK_OK(tc_buf_cstr(&js));
	CHECK(strstr((char *)js.ptr, "\"compactionLevel\":1") != NULL);
	/* Retention: "c" (100h) is past 72h: marked; compacted blocks (grace 0) cleared. */
	CHECK_OK(tc_service_retention_once(e.svc));
	CHECK_EQ_U64(sf_count(e.be, "c", 0), 0);
	CHECK_EQ_U64(tc_metrics_get(e.metrics, TC_M_RETENTION_MARKED_TOTAL, NULL, NULL), 1);
	CHECK_EQ_U64(sf_count(e.be, "a", 1), 0);
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
		if (sf_count(e.be, "a", 0) == 1 && sf_count(e.be, "b", 0) == 1 && sf_count(e.be, "c", 0) == 0 &&
		    sf_count(e.be, "a", 1) + sf_count(e.be, "b", 1) == 0)
			break;
		usleep(50000);
	}
	tc_service_stop(e.svc, 5 * SEC);
	CHECK_EQ_U64(sf_count(e.be, "a", 0), 1);
	CHECK_EQ_U64(sf_count(e.be, "b", 0), 1);
	CHECK_EQ_U64(sf_count(e.be, "c", 0), 0);
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

/* ---- a store whose listings hang until the backend is canceled ---- */

typedef struct hang_backend {
	tc_backend base;
	tc_backend *inner;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int hang;     /* listings block from now on */
	int canceled; /* tc_backend_cancel was called */
	int blocked;  /* listings blocked right now */
} hang_backend;

static hang_backend *hb_of(tc_backend *be)
{
	return (hang_backend *)be;
}

/* Blocks while hanging, until canceled (or 20 s, so a broken stop fails instead of hanging). */
static int hb_wait(hang_backend *hb)
{
	struct timespec until;
	int rc = TC_OK;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	pthread_mutex_lock(&hb->mu);
	if (hb->hang) {
		hb->blocked++;
		while (!hb->canceled && pthread_cond_timedwait(&hb->cv, &hb->mu, &until) == 0)
			;
		hb->blocked--;
	}
	if (hb->canceled) {
		tc_error_set("hung listing: canceled");
		rc = TC_ECANCELED;
	}
	pthread_mutex_unlock(&hb->mu);
	return rc;
}

static int hb_read(tc_buf *out, tc_backend *be, const char *key)
{
	return tc_backend_read(out, hb_of(be)->inner, key);
}

static int hb_read_range(uint8_t *out, tc_backend *be, const char *key, uint64_t off, size_t len)
{
	return tc_backend_read_range(out, hb_of(be)->inner, key, off, len);
}

static int hb_write(tc_backend *be, const char *key, const void *data, size_t len)
{
	return tc_backend_write(hb_of(be)->inner, key, data, len);
}

/* The handle is the inner backend's: appends, commits and aborts go straight to it. */
static int hb_append_open(tc_append **out, tc_backend *be, const char *key)
{
	return tc_backend_append_open(out, hb_of(be)->inner, key);
}

static int hb_list(tc_strlist *out, tc_backend *be, const char *prefix)
{
	int rc = hb_wait(hb_of(be));
	return rc < 0 ? rc : tc_backend_list(out, hb_of(be)->inner, prefix);
}

static int hb_list_objects(tc_strlist *out, tc_backend *be, const char *prefix)
{
	int rc = hb_wait(hb_of(be));
	return rc < 0 ? rc : tc_backend_list_objects(out, hb_of(be)->inner, prefix);
}

static int hb_stat(tc_stat *out, tc_backend *be, const char *key)
{
	return tc_backend_stat(out, hb_of(be)->inner, key);
}

static int hb_del(tc_backend *be, const char *key)
{
	return tc_backend_delete(hb_of(be)->inner, key);
}

static int hb_mark_compacted(tc_backend *be, const char *tenant, const char *block)
{
	return tc_backend_mark_compacted(hb_of(be)->inner, tenant, block);
}

static int hb_clear_block(tc_backend *be, const char *tenant, const char *block)
{
	return tc_backend_clear_block(hb_of(be)->inner, tenant, block);
}

static void hb_cancel(tc_backend *be)
{
	hang_backend *hb = hb_of(be);

	pthread_mutex_lock(&hb->mu);
	hb->canceled = 1;
	pthread_cond_broadcast(&hb->cv);
	pthread_mutex_unlock(&hb->mu);
}

static void hb_free(tc_backend *be)
{
	hang_backend *hb = hb_of(be);

	tc_backend_free(hb->inner);
	pthread_cond_destroy(&hb->cv);
	pthread_mutex_destroy(&hb->mu);
	free(hb);
}

static const tc_backend_ops hb_ops = {
	.name = "hang",
	.read = hb_read,
	.read_range = hb_read_range,
	.write = hb_write,
	.append_open = hb_append_open,
	.list = hb_list,
	.list_objects = hb_list_objects,
	.stat = hb_stat,
	.del = hb_del,
	.mark_compacted = hb_mark_compacted,
	.clear_block = hb_clear_block,
	.cancel = hb_cancel,
	.free = hb_free,
};

/*
 * A poll stuck in a listing that never ends (an S3 endpoint answering
 * IsTruncated=true forever, or not at all) does not hold the stop past
 * the shutdown timeout: the backend is canceled then and the poll thread
 * joined.
 */
static void stop_cancels_hung_listing(void)
{
	env e;
	hang_backend *hb;
	uint64_t t0, took;
	int blocked = 0;

	CHECK_OK(setup(&e));
	CHECK((hb = calloc(1, sizeof(*hb))) != NULL);
	hb->base.ops = &hb_ops;
	hb->inner = e.be;
	e.bucket = e.be; /* hb is canceled by the stop: teardown reads the bucket itself */
	pthread_mutex_init(&hb->mu, NULL);
	pthread_cond_init(&hb->cv, NULL);
	e.be = &hb->base;
	tc_service_free(e.svc);
	CHECK_OK(tc_service_new(&e.svc, &e.cfg, e.be, e.ov, e.metrics));
	CHECK_OK(tc_service_start(e.svc));
	pthread_mutex_lock(&hb->mu);
	hb->hang = 1;
	pthread_mutex_unlock(&hb->mu);
	/* the next poll (every 0.1 s) blocks in its first listing */
	for (int i = 0; i < 100 && !blocked; i++) {
		usleep(50000);
		pthread_mutex_lock(&hb->mu);
		blocked = hb->blocked;
		pthread_mutex_unlock(&hb->mu);
	}
	CHECK(blocked > 0);
	t0 = tc_mono_ns();
	tc_service_stop(e.svc, SEC);
	took = tc_mono_ns() - t0;
	CHECK_MSG(took < 1800000000ULL, "stop took %llu ms", (unsigned long long)(took / 1000000));
	CHECK(took >= 900000000ULL); /* the poll had until the timeout */
	CHECK(hb->canceled == 1);
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
	CHECK_EQ_U64(tc_test_inspect_live_blocks(__FILE__, __LINE__, e.be), 1 + 1 + 1); /* a's output, b, c */
	CHECK_OK(tc_blocklist_unquarantine(e.be, "a", bad));
	e.damaged_live = 1;
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

/* Renders the registry into a NUL-terminated string the caller frees (NULL on failure). */
static char *render_metrics(tc_metrics *m)
{
	tc_buf b = TC_BUF_INIT;

	if (tc_metrics_render(&b, m) < 0 || tc_buf_cstr(&b) < 0) {
		tc_buf_dispose(&b);
		return NULL;
	}
	return (char *)tc_buf_detach(&b, NULL);
}

/*
 * Right after the first poll, before any compaction, each tenant's counters
 * exist at 0, so increase() sees the first event and dashboards list the
 * tenant.
 */
/* tracecompactor_retention_expired_blocks: what retention has yet to remove, at each poll. */
static void retention_expired_gauge(void)
{
	const tc_metric_id g = TC_M_RETENTION_EXPIRED_BLOCKS;
	env e;

	CHECK_OK(setup(&e));
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK_EQ_U64(tc_metrics_get(e.metrics, g, "c", NULL), 2); /* 100h old, retention 72h */
	CHECK_EQ_U64(tc_metrics_get(e.metrics, g, "a", NULL), 0);
	CHECK_EQ_U64(tc_metrics_get(e.metrics, g, "b", NULL), 0);
	CHECK_OK(tc_service_retention_once(e.svc)); /* marks c's two blocks compacted */
	e.cfg.compactor.compaction.compacted_block_retention_ns = 3600 * SEC;
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK_EQ_U64(tc_metrics_get(e.metrics, g, "c", NULL), 0); /* compacted, within the grace */
	e.cfg.compactor.compaction.compacted_block_retention_ns = 0;
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK_EQ_U64(tc_metrics_get(e.metrics, g, "c", NULL), 2); /* compacted, past it */
	CHECK_OK(tc_service_retention_once(e.svc));
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK_EQ_U64(tc_metrics_get(e.metrics, g, "c", NULL), 0);
	teardown(&e);
}

static void metrics_from_first_poll(void)
{
	static const char *const per_tenant[] = {
		"tempodb_compaction_spans_discarded_total{tenant=\"%s\"} 0\n",
		"tempo_discarded_spans_total{reason=\"trace_too_large_to_compact\",tenant=\"%s\"} 0\n",
		"tracecompactor_compaction_spans_deduped_total{tenant=\"%s\"} 0\n",
		"tempodb_compaction_blocks_quarantined_total{tenant=\"%s\"} 0\n",
		"tempodb_compaction_partial_blocks_cleaned_total{tenant=\"%s\"} 0\n",
		"tempodb_blocklist_poll_errors_total{tenant=\"%s\"} 0\n",
		"tempodb_blocklist_tenant_index_errors_total{tenant=\"%s\"} 0\n",
	};
	static const char *const tenants[] = { "a", "b", "c" };
	env e;
	char *s, want[256];

	CHECK_OK(setup(&e));
	s = render_metrics(e.metrics);
	CHECK(s != NULL);
	/* Known before any poll: what no tenant owns. */
	CHECK_MSG(strstr(s, "\ntempodb_blocklist_poll_errors_total{tenant=\"\"} 0\n") != NULL, "%s", s);
	CHECK(strstr(s, "\ntempodb_compaction_partial_blocks_cleaned_total{tenant=\"\"} 0\n") != NULL);
	CHECK(strstr(s, "tenant=\"a\"") == NULL);
	free(s);
	CHECK_OK(tc_service_poll_once(e.svc));
	s = render_metrics(e.metrics);
	CHECK(s != NULL);
	for (size_t t = 0; t < sizeof(tenants) / sizeof(tenants[0]); t++) {
		for (size_t i = 0; i < sizeof(per_tenant) / sizeof(per_tenant[0]); i++) {
			want[0] = '\n';
			snprintf(want + 1, sizeof(want) - 1, per_tenant[i], tenants[t]);
			if (!strstr(s, want)) {
				tc_test_fail(__FILE__, __LINE__, "missing %s", want + 1);
				free(s);
				teardown(&e);
				return;
			}
		}
	}
	CHECK(strstr(s, "\ntempodb_compaction_errors_total 0\n") != NULL);
	CHECK(strstr(s, "\ntempodb_retention_errors_total 0\n") != NULL);
	CHECK(strstr(s, "\ntracecompactor_overrides_reload_errors_total 0\n") != NULL);
	free(s);
	/* Declared series still count: "b" dedups replica spans in its first compaction. */
	CHECK_OK(tc_service_compact_once(e.svc));
	CHECK(tc_metrics_get(e.metrics, TC_M_COMPACTION_SPANS_DEDUPED_TOTAL, "b", NULL) > 0);
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK(tc_metrics_get(e.metrics, TC_M_COMPACTION_SPANS_DEDUPED_TOTAL, "b", NULL) > 0);
	teardown(&e);
}

#define MAX_PAIRS 32

typedef struct pair {
	char key[64];
	char val[512];
} pair;

/* Splits one logfmt line into key=value pairs (quoted values unescaped); -1 if it is not logfmt. */
static int logfmt_split(pair *out, int max, const char *p)
{
	int n = 0;

	for (;;) {
		size_t k = 0, v = 0;
		while (*p == ' ')
			p++;
		if (!*p)
			return n;
		if (n == max)
			return -1;
		while (*p && *p != '=' && *p != ' ' && k < sizeof(out[n].key) - 1)
			out[n].key[k++] = *p++;
		if (*p != '=' || k == 0)
			return -1;
		out[n].key[k] = '\0';
		p++;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				if (v < sizeof(out[n].val) - 1)
					out[n].val[v++] = *p;
			}
			if (*p++ != '"')
				return -1;
		} else {
			while (*p && *p != ' ')
				if (v < sizeof(out[n].val) - 1)
					out[n].val[v++] = *p++;
				else
					p++;
		}
		out[n].val[v] = '\0';
		n++;
	}
}

static const char *get(const pair *kv, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].val;
	return NULL;
}

static int count_key(const pair *kv, int n, const char *key)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		c += !strcmp(kv[i].key, key);
	return c;
}

static int all_digits(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* YYYY-MM-DDTHH:MM:SS[.fraction]Z, and a time tc_time_parse reads. */
static int is_rfc3339_utc(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;
	tc_time t;

	if (!s || strlen(s) < sizeof(shape))
		return 0;
	for (i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return 0;
	if (s[i] == '.')
		for (i++; isdigit((unsigned char)s[i]); i++)
			;
	return s[i] == 'Z' && s[i + 1] == '\0' && tc_time_parse(&t, s) == TC_OK;
}

/* Each inputs= entry is a block UUID, at least two of them. */
static int is_id_list(const char *s)
{
	int n = 0;

	while (s && *s) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		if (len != TC_UUID_STR_LEN)
			return 0;
		n++;
		s = comma ? comma + 1 : NULL;
	}
	return n >= 2;
}

/*
 * The lines a poll, compactions and retention log are what an operator's
 * tools parse: logfmt with one level= (the block's level is
 * compaction_level=), times as RFC 3339 in UTC, and at debug the tenant
 * index write with its block counts.
 */
static void logs_parse(void)
{
	static const char *const time_keys[] = { "ts", "start", "end", "cutoff", "compacted_time" };
	env e;
	tc_buf log = TC_BUF_INIT;
	char path[4096], out[TC_TIME_STR_MAX];
	int fd, lines = 0, compacted = 0, marked = 0, deleted = 0, index_lines = 0;
	tc_time t;
	pair kv[MAX_PAIRS];

	/* The formatter the logs use prints the instant in UTC whatever offset a meta carries. */
	CHECK_OK(tc_time_parse(&t, "2026-03-01T01:30:00.5+02:00"));
	tc_time_format_utc(out, &t);
	CHECK_STR(out, "2026-02-28T23:30:00.5Z");

	CHECK_OK(setup(&e));
	snprintf(path, sizeof(path), "%s/service.log", tc_test_tmpdir());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	CHECK(fd >= 0);
	tc_log_set_fd(fd);
	tc_log_set_level(TC_LOG_DEBUG);
	tc_service_poll_once(e.svc);
	for (int i = 0; i < 3; i++)
		tc_service_compact_once(e.svc);
	tc_service_retention_once(e.svc);
	tc_service_poll_once(e.svc);
	tc_log_set_level(TC_LOG_WARN);
	tc_log_set_fd(2);
	close(fd);
	teardown(&e);
	CHECK_OK(tc_test_read_file(&log, path));
	CHECK_OK(tc_buf_cstr(&log));
	for (char *line = (char *)log.ptr, *nl; *line; line = nl + 1) {
		const char *msg, *v;
		int n;
		if (!(nl = strchr(line, '\n')))
			break;
		*nl = '\0';
		lines++;
		n = logfmt_split(kv, MAX_PAIRS, line);
		CHECK_MSG(n > 0, "not logfmt: %s", line);
		CHECK_MSG(count_key(kv, n, "level") == 1, "want one level= key: %s", line);
		CHECK_MSG((msg = get(kv, n, "msg")) != NULL, "no msg: %s", line);
		for (size_t i = 0; i < sizeof(time_keys) / sizeof(time_keys[0]); i++)
			CHECK_MSG(!(v = get(kv, n, time_keys[i])) || is_rfc3339_utc(v),
				  "%s= is not RFC 3339 UTC: %s", time_keys[i], line);
		CHECK_MSG(get(kv, n, "ts") != NULL, "no ts: %s", line);
		if (!strcmp(msg, "compacted blocks")) {
			compacted++;
			CHECK_MSG(all_digits(get(kv, n, "compaction_level")), "compaction_level: %s", line);
			CHECK_MSG(is_id_list(get(kv, n, "inputs")), "inputs: %s", line);
			CHECK_MSG(!strcmp(get(kv, n, "level"), "info"), "level: %s", line);
		} else if (!strcmp(msg, "marking block for deletion")) {
			marked++;
			CHECK_MSG(get(kv, n, "end") && get(kv, n, "cutoff"), "times: %s", line);
			CHECK_MSG(strcmp(get(kv, n, "end"), get(kv, n, "cutoff")) < 0, "end after cutoff: %s",
				  line);
		} else if (!strcmp(msg, "deleting block")) {
			deleted++;
			CHECK_MSG(get(kv, n, "compacted_time") && get(kv, n, "cutoff"), "times: %s", line);
		} else if (!strcmp(msg, "wrote tenant index")) {
			index_lines++;
			CHECK_MSG(!strcmp(get(kv, n, "level"), "debug"), "level: %s", line);
			CHECK_MSG(get(kv, n, "tenant") != NULL, "tenant: %s", line);
			CHECK_MSG(all_digits(get(kv, n, "live")) && all_digits(get(kv, n, "compacted")),
				  "counts: %s", line);
		}
	}
	/* b, c and a compacted; c's old block expired; the compacted inputs cleared. */
	CHECK_MSG(compacted >= 3 && marked == 1 && deleted >= 8, "%d compacted, %d marked, %d deleted in:\n%s",
		  compacted, marked, deleted, (char *)log.ptr);
	CHECK_MSG(index_lines == 6, "%d tenant index lines in %d lines", index_lines, lines);
	tc_buf_dispose(&log);
}

TC_TEST_MAIN(T(quarantine_marker_is_json), T(retention_expired_gauge), T(blocklist_sorted_by_start), T(single_passes), T(threaded_converges), T(stop_cancels_promptly), T(stop_cancels_hung_listing), T(corrupt_block_is_quarantined),
	     T(metrics_from_first_poll), T(logs_parse))
