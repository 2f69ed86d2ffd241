/*
 * tc_service_status (src/compactor/status.h), what the bucket page shows:
 * per-tenant counts and times, the jobs and retention actions the loops
 * record (newest first, at most TC_STATUS_HISTORY), the quarantine reasons
 * read from the markers, and a read-only service that writes nothing.
 */
#include <stdlib.h>

#include "src/compactor/blocklist.h"
#include "src/compactor/service.h"
#include "src/compactor/service_impl.h"
#include "src/util/fnv.h"
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
} env;

/* "a": 2 flushes x 2 replicas 30h ago (one window); "b": 2 blocks 100h ago, past the 72h retention. */
static int setup(env *e)
{
	memset(e, 0, sizeof(*e));
	tc_log_set_level(TC_LOG_ERROR);
	if (tc_config_default(&e->cfg) < 0 || tc_backend_mem_new(&e->be) < 0 || tc_metrics_new(&e->metrics) < 0)
		return -1;
	e->cfg.compactor.compaction.compacted_block_retention_ns = 0;
	e->cfg.compactor.compaction.block_retention_ns = 72 * 3600 * SEC;
	if (tc_overrides_new(&e->ov, &e->cfg) < 0)
		return -1;
	if (sf_gen(e->be, "a", 2, 2, 40, 4, 30, 1) < 0 || sf_gen(e->be, "b", 1, 2, 40, 4, 100, 2) < 0)
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

static const tc_status_tenant *find(const tc_status *st, const char *name)
{
	for (size_t i = 0; i < st->n_tenants; i++)
		if (!strcmp(st->tenants[i].name, name))
			return &st->tenants[i];
	return NULL;
}

static void counts_and_times(void)
{
	env e;
	tc_status st;
	const tc_status_tenant *a, *b;

	CHECK_OK(setup(&e));
	CHECK_OK(tc_service_status(&st, e.svc, NULL));
	CHECK_EQ_U64(st.n_tenants, 0); /* nothing polled yet */
	CHECK(TC_STATUS_NEVER(st.last_poll));
	tc_status_dispose(&st);
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK_OK(tc_service_status(&st, e.svc, NULL));
	CHECK_EQ_U64(st.n_tenants, 2);
	CHECK(!st.read_only && !st.has_detail && !TC_STATUS_NEVER(st.last_poll));
	CHECK((a = find(&st, "a")) && (b = find(&st, "b")));
	CHECK_EQ_U64(a->n_live, 4);
	CHECK_EQ_U64(a->n_compacted, 0);
	CHECK(a->live_bytes > 0 && a->live_objects > 0 && !TC_STATUS_NEVER(a->oldest));
	/* One window of four blocks: one job of four; b's two old blocks: one job of two. */
	CHECK_EQ_U64(a->outstanding_jobs, 1);
	CHECK_EQ_U64(a->outstanding_blocks, 4);
	CHECK_EQ_U64(b->outstanding_blocks, 2);
	CHECK(!TC_STATUS_NEVER(a->last_poll) && !TC_STATUS_NEVER(a->index_time)); /* it wrote the index */
	CHECK(TC_STATUS_NEVER(a->last_compaction));
	CHECK_EQ_U64(a->block_retention_ns, 72 * 3600 * SEC);
	tc_status_dispose(&st);
	CHECK_ERR(tc_service_status(&st, e.svc, "nobody"), TC_ENOTFOUND);
	tc_status_dispose(&st);
	CHECK_ERR(tc_service_status(&st, e.svc, "../a"), TC_EINVALID);
	tc_status_dispose(&st);
	teardown(&e);
}

static void jobs_and_retention_are_recorded(void)
{
	env e;
	tc_status st;
	const tc_status_tenant *a;

	CHECK_OK(setup(&e));
	CHECK_OK(tc_service_poll_once(e.svc));
	CHECK_OK(tc_service_compact_once(e.svc)); /* two tenants: the first cycle takes "b" */
	CHECK_OK(tc_service_compact_once(e.svc)); /* "a" */
	CHECK_OK(tc_service_status(&st, e.svc, "a"));
	CHECK_EQ_U64(st.n_jobs, 2);
	/* newest first */
	CHECK_STR(st.jobs[0].tenant, "a");
	CHECK_STR(st.jobs[1].tenant, "b");
	CHECK_STR(st.jobs[0].result, "ok");
	CHECK_EQ_U64(st.jobs[0].n_inputs, 4);
	CHECK_EQ_U64(st.jobs[0].level, 1);
	CHECK(strlen(st.jobs[0].output) == TC_UUID_STR_LEN && st.jobs[0].objects > 0 && st.jobs[0].bytes > 0);
	CHECK(st.jobs[0].objects_in >= st.jobs[0].objects);
	CHECK(!TC_STATUS_NEVER(st.last_compaction));
	CHECK((a = find(&st, "a")) && !TC_STATUS_NEVER(a->last_compaction));
	/* The detail is a's blocklist as the store has it now: one live output, four compacted inputs. */
	CHECK(st.has_detail && !strcmp(st.tenants[st.detail_index].name, "a"));
	CHECK_EQ_U64(st.detail.n_live, 1);
	CHECK_STR(st.detail.live[0].block_id, st.jobs[0].output);
	CHECK_EQ_U64(st.detail.n_compacted, 4);
	CHECK_EQ_U64(st.n_retention, 0);
	/* The page's retention column is the loop's plan: every block has its decision. */
	CHECK_EQ_U64(st.n_plan, 5);
	CHECK(st.plan[0].meta == &st.detail.live[0]);
	for (size_t i = 1; i < st.n_plan; i++)
		CHECK(st.plan[i].meta == &st.detail.compacted[i - 1] && st.plan[i].action == TC_RETENTION_DELETE);
	tc_status_dispose(&st);

	/* b's output ended 100h ago, past 72h: marked; the compacted inputs are deleted (retention 0). */
	CHECK_OK(tc_service_retention_once(e.svc));
	CHECK_OK(tc_service_status(&st, e.svc, NULL));
	CHECK(!TC_STATUS_NEVER(st.last_retention));
	{
		size_t marked = 0, deleted = 0;
		for (size_t i = 0; i < st.n_retention; i++) {
			const tc_retention_record *r = &st.retention[i];
			CHECK(r->error[0] == '\0' && tc_time_cmp(&r->block_time, &r->cutoff) < 0);
			if (!strcmp(r->action, "marked compacted")) {
				CHECK_STR(r->tenant, "b");
				marked++;
			} else if (!strcmp(r->action, "deleted")) {
				deleted++;
			}
		}
		CHECK_EQ_U64(marked, 1);
		CHECK_EQ_U64(deleted, 4 + 2); /* a's and b's compacted inputs */
	}
	tc_status_dispose(&st);
	teardown(&e);
}

/* The history keeps the newest TC_STATUS_HISTORY records, newest first. */
static void history_is_a_ring(void)
{
	env e;
	tc_status st;
	tc_job_record *j;
	CHECK_OK(setup(&e));
	CHECK(j = calloc(1, sizeof(*j)));
	for (int i = 0; i < TC_STATUS_HISTORY + 7; i++) {
		memset(j, 0, sizeof(*j));
		snprintf(j->tenant, sizeof(j->tenant), "t%d", i);
		snprintf(j->result, sizeof(j->result), "ok");
		tc_service_note_job(e.svc, j);
	}
	free(j);
	CHECK_OK(tc_service_status(&st, e.svc, NULL));
	CHECK_EQ_U64(st.n_jobs, TC_STATUS_HISTORY);
	CHECK_STR(st.jobs[0].tenant, "t56");
	CHECK_STR(st.jobs[TC_STATUS_HISTORY - 1].tenant, "t7");
	tc_status_dispose(&st);
	teardown(&e);
}

static void quarantine_reason_and_failed_job(void)
{
	env e;
	tc_blocklist bl;
	tc_status st;
	tc_buf data = TC_BUF_INIT;
	char key[TC_KEY_MAX], bad[TC_UUID_STR_LEN + 1];

	CHECK_OK(setup(&e));
	CHECK_OK(tc_blocklist_read_tenant(&bl, e.be, "a"));
	snprintf(bad, sizeof(bad), "%s", bl.live[1].block_id);
	tc_blocklist_dispose(&bl);
	tc_key_block(key, sizeof(key), "a", bad, "data");
	CHECK_OK(tc_backend_read(&data, e.be, key));
	memset(data.ptr + 6, 0xa5, data.len - 6);
	CHECK_OK(tc_backend_write(e.be, key, data.ptr, data.len));
	tc_buf_dispose(&data);
	CHECK_OK(tc_service_poll_once(e.svc));
	tc_service_compact_once(e.svc); /* b */
	tc_service_compact_once(e.svc); /* a: fails on the bad block, which is quarantined */
	CHECK_OK(tc_service_status(&st, e.svc, "a"));
	CHECK(st.n_jobs >= 2);
	CHECK_STR(st.jobs[0].result, "quarantined");
	CHECK(st.jobs[0].output[0] == '\0' && st.jobs[0].error[0] != '\0');
	CHECK_EQ_U64(st.detail.quarantined.n, 1);
	CHECK_EQ_U64(st.reasons.n, 1);
	CHECK_STR(st.detail.quarantined.items[0], bad);
	CHECK_MSG(!strncmp(st.reasons.items[0], "corrupt since ", 14), "reason \"%s\"", st.reasons.items[0]);
	tc_status_dispose(&st);
	/* A hand-written marker with its own words; an unreadable one still gives a line. */
	CHECK_OK(tc_blocklist_quarantine(e.be, "a", bad, "<script>\"x\"</script>", "by hand"));
	CHECK_OK(tc_service_status(&st, e.svc, "a"));
	CHECK_MSG(strstr(st.reasons.items[0], "<script>\"x\"</script> since ") &&
			  strstr(st.reasons.items[0], ": by hand"),
		  "reason \"%s\"", st.reasons.items[0]);
	tc_status_dispose(&st);
	tc_key_block(key, sizeof(key), "a", bad, TC_QUARANTINE_MARKER);
	CHECK_OK(tc_backend_write(e.be, key, "{oops", 5));
	CHECK_OK(tc_service_status(&st, e.svc, "a"));
	CHECK_STR(st.reasons.items[0], "(the marker is not JSON)");
	tc_status_dispose(&st);
	teardown(&e);
}

/* Every key under prefix with its size and hash, to compare a bucket before and after. */
static int snapshot(tc_strlist *out, tc_backend *be, const char *prefix)
{
	tc_strlist names = TC_STRLIST_INIT, dirs = TC_STRLIST_INIT;
	char key[TC_KEY_MAX], line[TC_KEY_MAX + 32];
	int rc = tc_backend_list_objects(&names, be, prefix);

	for (size_t i = 0; i < names.n && rc == TC_OK; i++) {
		tc_buf b = TC_BUF_INIT;
		snprintf(key, sizeof(key), "%s%s", prefix, names.items[i]);
		if ((rc = tc_backend_read(&b, be, key)) == TC_OK) {
			snprintf(line, sizeof(line), "%s %zu %08x", key, b.len, (unsigned)tc_fnv1a_32(b.ptr, b.len));
			rc = tc_strlist_add(out, line);
		}
		tc_buf_dispose(&b);
	}
	if (rc == TC_OK)
		rc = tc_backend_list(&dirs, be, prefix);
	for (size_t i = 0; i < dirs.n && rc == TC_OK; i++) {
		snprintf(key, sizeof(key), "%s%s/", prefix, dirs.items[i]);
		rc = snapshot(out, be, key);
	}
	tc_strlist_dispose(&names);
	tc_strlist_dispose(&dirs);
	return rc;
}

static void read_only_writes_nothing(void)
{
	env e;
	tc_status st;
	tc_strlist before = TC_STRLIST_INIT, after = TC_STRLIST_INIT;
	char key[TC_KEY_MAX];

	CHECK_OK(setup(&e));
	/* A partial block past the grace and a tenant without an index: a compacting service would act on both. */
	e.cfg.compactor.compaction.partial_block_grace_ns = 0;
	tc_key_block(key, sizeof(key), "a", "00000000-0000-4000-8000-000000000001", "data");
	CHECK_OK(tc_backend_write(e.be, key, "x", 1));
	CHECK_OK(snapshot(&before, e.be, ""));
	CHECK(before.n > 8);
	tc_service_set_read_only(e.svc);
	CHECK_OK(tc_service_start(e.svc)); /* its first poll is synchronous */
	CHECK_OK(tc_service_status(&st, e.svc, "b"));
	CHECK(st.read_only);
	CHECK_EQ_U64(st.n_jobs, 0);
	CHECK_EQ_U64(st.n_tenants, 2);
	CHECK(TC_STATUS_NEVER(st.tenants[0].index_time)); /* none in the bucket */
	CHECK_EQ_U64(st.detail.n_live, 2);
	tc_status_dispose(&st);
	tc_service_stop(e.svc, 5 * SEC);
	CHECK_OK(snapshot(&after, e.be, ""));
	CHECK_EQ_U64(after.n, before.n);
	for (size_t i = 0; i < before.n; i++)
		CHECK_STR(after.items[i], before.items[i]);
	tc_strlist_dispose(&before);
	tc_strlist_dispose(&after);
	teardown(&e);
}

TC_TEST_MAIN(T(counts_and_times), T(jobs_and_retention_are_recorded), T(history_is_a_ring),
	     T(quarantine_reason_and_failed_job), T(read_only_writes_nothing))
