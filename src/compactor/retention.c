/*
 * Retention (docs/COMPACTOR.md#retention): live blocks past the tenant's retention are
 * marked compacted; compacted blocks past compacted_block_retention are
 * cleared. Tenants are processed retention_concurrency at a time. With a
 * ring, a replica handles only the blocks whose ID it owns, as Tempo does.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/log.h"
#include "src/compactor/service_impl.h"

static int64_t ns_of(const tc_time *t)
{
	return t->sec * 1000000000LL + t->nsec;
}

/* Unix nanoseconds as a tc_time (floored, so cut-offs before 1970 stay right). */
static tc_time time_of_ns(int64_t ns)
{
	int64_t sec = ns / 1000000000LL, nsec = ns % 1000000000LL;

	if (nsec < 0) {
		sec--;
		nsec += 1000000000LL;
	}
	return tc_time_from_unix(sec, (int32_t)nsec);
}

/* The action as the page lists it (tc_service_status). */
static void note_action(tc_service *s, const char *tenant, const char *block, const char *action,
			const tc_time *block_time, int64_t cutoff_ns, int failed)
{
	tc_retention_record r;

	memset(&r, 0, sizeof(r));
	r.when = tc_time_now();
	snprintf(r.tenant, sizeof(r.tenant), "%s", tenant);
	snprintf(r.block, sizeof(r.block), "%s", block);
	snprintf(r.action, sizeof(r.action), "%s", action);
	r.block_time = *block_time;
	r.cutoff = time_of_ns(cutoff_ns);
	if (failed)
		snprintf(r.error, sizeof(r.error), "%s", tc_error_last());
	tc_service_note_retention(s, &r);
}

static void retain_tenant(tc_service *s, const char *tenant)
{
	tc_blocklist bl;
	tc_time now = tc_time_now();
	int64_t now_ns = ns_of(&now);
	int64_t retention = tc_overrides_block_retention_ns(s->ov, tenant);
	int64_t grace = s->cfg->compactor.compaction.compacted_block_retention_ns;
	uint64_t t0 = tc_mono_ns();
	tc_time cutoff;
	char when[TC_TIME_STR_MAX], cut[TC_TIME_STR_MAX];

	if (tc_store_snapshot(&bl, s->store, tenant) < 0)
		return;
	for (size_t i = 0; i < bl.n_live && !atomic_load(&s->stopping); i++) {
		const tc_meta *m = &bl.live[i];
		if (retention <= 0 || ns_of(&m->end) >= now_ns - retention ||
		    tc_service_owns(s, m->block_id) != 1)
			continue;
		if (tc_backend_mark_compacted(s->be, tenant, m->block_id) < 0) {
			note_action(s, tenant, m->block_id, "mark failed", &m->end, now_ns - retention, 1);
			tc_metrics_add(s->metrics, TC_M_RETENTION_ERRORS_TOTAL, 1, NULL, NULL);
			tc_log_error("msg=\"failed to mark block compacted during retention\" tenant=%s block=%s err=%s",
				     tc_log_q(tenant), m->block_id, tc_log_q(tc_error_last()));
			continue;
		}
		tc_store_mark_compacted(s->store, tenant, m->block_id, &now);
		note_action(s, tenant, m->block_id, "marked compacted", &m->end, now_ns - retention, 0);
		tc_metrics_add(s->metrics, TC_M_RETENTION_MARKED_TOTAL, 1, NULL, NULL);
		cutoff = time_of_ns(now_ns - retention);
		tc_time_format_utc(when, &m->end);
		tc_time_format_utc(cut, &cutoff);
		tc_log_info("msg=\"marking block for deletion\" tenant=%s block=%s end=%s cutoff=%s",
			    tc_log_q(tenant), m->block_id, when, cut);
	}
	for (size_t i = 0; i < bl.n_compacted && !atomic_load(&s->stopping); i++) {
		const tc_meta *m = &bl.compacted[i];
		if (ns_of(&m->compacted_time) >= now_ns - grace || tc_service_owns(s, m->block_id) != 1)
			continue;
		if (tc_backend_clear_block(s->be, tenant, m->block_id) < 0) {
			note_action(s, tenant, m->block_id, "delete failed", &m->compacted_time, now_ns - grace, 1);
			tc_metrics_add(s->metrics, TC_M_RETENTION_ERRORS_TOTAL, 1, NULL, NULL);
			tc_log_error("msg=\"failed to clear compacted block\" tenant=%s block=%s err=%s",
				     tc_log_q(tenant), m->block_id, tc_log_q(tc_error_last()));
			continue;
		}
		tc_store_remove(s->store, tenant, m->block_id);
		note_action(s, tenant, m->block_id, "deleted", &m->compacted_time, now_ns - grace, 0);
		tc_metrics_add(s->metrics, TC_M_RETENTION_DELETED_TOTAL, 1, NULL, NULL);
		cutoff = time_of_ns(now_ns - grace);
		tc_time_format_utc(when, &m->compacted_time);
		tc_time_format_utc(cut, &cutoff);
		tc_log_info("msg=\"deleting block\" tenant=%s block=%s compacted_time=%s cutoff=%s",
			    tc_log_q(tenant), m->block_id, when, cut);
	}
	tc_metrics_observe(s->metrics, TC_M_RETENTION_DURATION_SECONDS, (double)(tc_mono_ns() - t0) / 1e9,
			   NULL, NULL);
	tc_blocklist_dispose(&bl);
}

typedef struct work {
	tc_service *s;
	tc_strlist *tenants;
	pthread_mutex_t mu;
	size_t next;
} work;

static void *worker(void *arg)
{
	work *w = arg;
	for (;;) {
		size_t i;
		pthread_mutex_lock(&w->mu);
		i = w->next++;
		pthread_mutex_unlock(&w->mu);
		if (i >= w->tenants->n || atomic_load(&w->s->stopping))
			return NULL;
		retain_tenant(w->s, w->tenants->items[i]);
	}
}

int tc_service_retention_once(tc_service *s)
{
	tc_strlist tenants = TC_STRLIST_INIT;
	size_t nthreads = s->cfg->compactor.compaction.retention_concurrency;
	pthread_t *th;
	work w = { .s = s, .tenants = &tenants };
	size_t started = 0;
	int rc;

	if ((rc = tc_store_tenants(&tenants, s->store)) < 0)
		return rc;
	if (nthreads == 0)
		nthreads = 10;
	if (nthreads > tenants.n)
		nthreads = tenants.n;
	pthread_mutex_init(&w.mu, NULL);
	th = calloc(nthreads ? nthreads : 1, sizeof(*th));
	for (size_t i = 0; th && i < nthreads; i++)
		if (pthread_create(&th[i], NULL, worker, &w) == 0)
			started++;
	if (started == 0)
		worker(&w); /* no threads to be had: do it here */
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	pthread_mutex_destroy(&w.mu);
	tc_strlist_dispose(&tenants);
	tc_service_note_retention_done(s);
	return TC_OK;
}
