/*
 * Retention (docs/COMPACTOR.md#retention): live blocks past the tenant's retention are
 * marked compacted; compacted blocks past compacted_block_retention are
 * cleared. Tenants are processed retention_concurrency at a time. With a
 * ring, a replica handles only the blocks whose ID it owns, as Tempo does.
 */
#include "src/compactor/retention.h"

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

void tc_retention_effective(tc_retention *out, const tc_config *cfg, tc_overrides *ov, const char *tenant)
{
	static const tc_retention_source from_ov[] = {
		[TC_OVERRIDES_FROM_TENANT] = TC_RETENTION_FROM_TENANT,
		[TC_OVERRIDES_FROM_WILDCARD] = TC_RETENTION_FROM_WILDCARD,
		[TC_OVERRIDES_FROM_DEFAULTS] = TC_RETENTION_FROM_DEFAULTS,
		[TC_OVERRIDES_FROM_COMPACTOR] = TC_RETENTION_FROM_GLOBAL,
	};
	tc_overrides_source from = TC_OVERRIDES_FROM_COMPACTOR;

	memset(out, 0, sizeof(*out));
	if (ov) {
		out->block_ns = tc_overrides_block_retention_from(ov, tenant, &from);
	} else if (cfg->overrides.block_retention_ns) {
		out->block_ns = cfg->overrides.block_retention_ns;
		from = TC_OVERRIDES_FROM_DEFAULTS;
	} else {
		out->block_ns = cfg->compactor.compaction.block_retention_ns;
	}
	out->block_from = from_ov[from];
	out->compacted_ns = cfg->compactor.compaction.compacted_block_retention_ns;
	out->compacted_from = TC_RETENTION_FROM_GLOBAL;
}

static tc_retention_decision decide(const tc_meta *m, const tc_time *at, int64_t retention,
				    tc_retention_source from, int64_t now_ns, tc_retention_action go)
{
	tc_retention_decision d;

	memset(&d, 0, sizeof(d));
	d.meta = m;
	d.at = *at;
	d.retention_ns = retention;
	d.from = from;
	d.cutoff = time_of_ns(now_ns - retention);
	d.until = time_of_ns(ns_of(at) + retention);
	d.action = ns_of(at) < now_ns - retention ? go : TC_RETENTION_KEEP;
	return d;
}

int tc_retention_plan(tc_retention_decision **out, size_t *n, const tc_blocklist *bl, const tc_retention *r,
		      const tc_time *now)
{
	int64_t now_ns = ns_of(now);
	size_t total = bl->n_live + bl->n_compacted, k = 0;

	*out = NULL;
	*n = 0;
	if (!(*out = calloc(total ? total : 1, sizeof(**out)))) {
		tc_error_set("out of memory planning retention for %zu blocks", total);
		return TC_ERROR;
	}
	for (size_t i = 0; i < bl->n_live; i++) {
		const tc_meta *m = &bl->live[i];
		tc_retention_decision *d = &(*out)[k++];
		*d = decide(m, &m->end, r->block_ns, r->block_from, now_ns, TC_RETENTION_MARK_COMPACTED);
		if (r->block_ns <= 0) {
			/* Tempo skips marking altogether when the retention is not positive. */
			d->action = TC_RETENTION_KEEP;
			d->forever = 1;
		}
	}
	for (size_t i = 0; i < bl->n_compacted; i++) {
		const tc_meta *m = &bl->compacted[i];
		(*out)[k++] = decide(m, &m->compacted_time, r->compacted_ns, r->compacted_from, now_ns,
				     TC_RETENTION_DELETE);
	}
	*n = k;
	return TC_OK;
}

const char *tc_retention_action_name(tc_retention_action a)
{
	switch (a) {
	case TC_RETENTION_MARK_COMPACTED: return "mark-compacted";
	case TC_RETENTION_DELETE: return "delete";
	default: return "keep";
	}
}

const char *tc_retention_source_name(tc_retention_source s)
{
	switch (s) {
	case TC_RETENTION_FROM_TENANT: return "tenant-override";
	case TC_RETENTION_FROM_WILDCARD: return "wildcard-override";
	case TC_RETENTION_FROM_DEFAULTS: return "overrides-default";
	case TC_RETENTION_FROM_FLAG: return "flag";
	default: return "global";
	}
}

void tc_retention_log_overrides(const tc_config *cfg, tc_overrides *ov)
{
	tc_strlist names = TC_STRLIST_INIT;
	char block[64], compacted[64];

	if (!ov || tc_overrides_entries(&names, ov) < 0) {
		tc_strlist_dispose(&names);
		return;
	}
	for (size_t i = 0; i < names.n; i++) {
		tc_retention r;
		/* "*" looked up as a tenant finds its own entry: what every tenant without one gets. */
		tc_retention_effective(&r, cfg, ov, names.items[i]);
		tc_duration_format(block, sizeof(block), r.block_ns);
		tc_duration_format(compacted, sizeof(compacted), r.compacted_ns);
		tc_log_info("msg=\"effective retention\" tenant=%s block_retention=%s rule=%s "
			    "compacted_block_retention=%s", tc_log_q(names.items[i]), block,
			    tc_retention_source_name(r.block_from), compacted);
	}
	tc_strlist_dispose(&names);
}

/* The action as the page lists it (tc_service_status). */
static void note_action(tc_service *s, const char *tenant, const char *block, const char *action,
			const tc_time *block_time, const tc_time *cutoff, int failed)
{
	tc_retention_record r;

	memset(&r, 0, sizeof(r));
	r.when = tc_time_now();
	snprintf(r.tenant, sizeof(r.tenant), "%s", tenant);
	snprintf(r.block, sizeof(r.block), "%s", block);
	snprintf(r.action, sizeof(r.action), "%s", action);
	r.block_time = *block_time;
	r.cutoff = *cutoff;
	if (failed)
		snprintf(r.error, sizeof(r.error), "%s", tc_error_last());
	tc_service_note_retention(s, &r);
}

static void mark_one(tc_service *s, const char *tenant, const tc_retention_decision *d, const tc_time *now)
{
	char when[TC_TIME_STR_MAX], cut[TC_TIME_STR_MAX];
	const tc_meta *m = d->meta;

	if (tc_backend_mark_compacted(s->be, tenant, m->block_id) < 0) {
		note_action(s, tenant, m->block_id, "mark failed", &m->end, &d->cutoff, 1);
		tc_metrics_add(s->metrics, TC_M_RETENTION_ERRORS_TOTAL, 1, NULL, NULL);
		tc_log_error("msg=\"failed to mark block compacted during retention\" tenant=%s block=%s err=%s",
			     tc_log_q(tenant), m->block_id, tc_log_q(tc_error_last()));
		return;
	}
	tc_store_mark_compacted(s->store, tenant, m->block_id, now);
	note_action(s, tenant, m->block_id, "marked compacted", &m->end, &d->cutoff, 0);
	tc_metrics_add(s->metrics, TC_M_RETENTION_MARKED_TOTAL, 1, NULL, NULL);
	tc_time_format_utc(when, &m->end);
	tc_time_format_utc(cut, &d->cutoff);
	tc_log_info("msg=\"marking block for deletion\" tenant=%s block=%s end=%s cutoff=%s",
		    tc_log_q(tenant), m->block_id, when, cut);
}

static void delete_one(tc_service *s, const char *tenant, const tc_retention_decision *d)
{
	char when[TC_TIME_STR_MAX], cut[TC_TIME_STR_MAX];
	const tc_meta *m = d->meta;

	if (tc_backend_clear_block(s->be, tenant, m->block_id) < 0) {
		note_action(s, tenant, m->block_id, "delete failed", &m->compacted_time, &d->cutoff, 1);
		tc_metrics_add(s->metrics, TC_M_RETENTION_ERRORS_TOTAL, 1, NULL, NULL);
		tc_log_error("msg=\"failed to clear compacted block\" tenant=%s block=%s err=%s",
			     tc_log_q(tenant), m->block_id, tc_log_q(tc_error_last()));
		return;
	}
	tc_store_remove(s->store, tenant, m->block_id);
	note_action(s, tenant, m->block_id, "deleted", &m->compacted_time, &d->cutoff, 0);
	tc_metrics_add(s->metrics, TC_M_RETENTION_DELETED_TOTAL, 1, NULL, NULL);
	tc_time_format_utc(when, &m->compacted_time);
	tc_time_format_utc(cut, &d->cutoff);
	tc_log_info("msg=\"deleting block\" tenant=%s block=%s compacted_time=%s cutoff=%s",
		    tc_log_q(tenant), m->block_id, when, cut);
}

static void retain_tenant(tc_service *s, const char *tenant)
{
	tc_blocklist bl;
	tc_retention r;
	tc_retention_decision *plan = NULL;
	tc_time now = tc_time_now();
	uint64_t t0 = tc_mono_ns();
	size_t n = 0;

	if (tc_store_snapshot(&bl, s->store, tenant) < 0)
		return;
	tc_retention_effective(&r, s->cfg, s->ov, tenant);
	if (tc_retention_plan(&plan, &n, &bl, &r, &now) < 0) {
		tc_metrics_add(s->metrics, TC_M_RETENTION_ERRORS_TOTAL, 1, NULL, NULL);
		tc_log_error("msg=\"failed to plan retention\" tenant=%s err=%s", tc_log_q(tenant),
			     tc_log_q(tc_error_last()));
		n = 0;
	}
	for (size_t i = 0; i < n && !atomic_load(&s->stopping); i++) {
		const tc_retention_decision *d = &plan[i];
		if (d->action == TC_RETENTION_KEEP || tc_service_owns(s, d->meta->block_id) != 1)
			continue;
		if (d->action == TC_RETENTION_MARK_COMPACTED)
			mark_one(s, tenant, d, &now);
		else
			delete_one(s, tenant, d);
	}
	tc_metrics_observe(s->metrics, TC_M_RETENTION_DURATION_SECONDS, (double)(tc_mono_ns() - t0) / 1e9,
			   NULL, NULL);
	free(plan);
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
