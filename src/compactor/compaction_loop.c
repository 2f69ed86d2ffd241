/*
 * One compaction cycle (docs/COMPACTOR.md#compaction-cycle): the next
 * `concurrency` tenants round-robin (one by default, as Tempo), a selector
 * over each one's live blocks, and up to `concurrency` jobs at once until the
 * selectors find nothing or each tenant's time is up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/log.h"
#include "src/compactor/compact.h"
#include "src/compactor/selector.h"
#include "src/compactor/service_impl.h"

/* Most jobs one cycle runs at once, whatever concurrency asks. */
#define TC_MAX_WORKERS 65

static void set_in_progress(tc_service *s, const char *id, int on)
{
	pthread_mutex_lock(&s->mu);
	if (on) {
		tc_strlist_add(&s->in_progress, id);
	} else {
		for (size_t i = 0; i < s->in_progress.n; i++) {
			if (!strcmp(s->in_progress.items[i], id)) {
				free(s->in_progress.items[i]);
				s->in_progress.items[i] = s->in_progress.items[--s->in_progress.n];
				break;
			}
		}
	}
	pthread_mutex_unlock(&s->mu);
}

int tc_service_is_in_progress(tc_service *s, const char *block)
{
	int r;
	pthread_mutex_lock(&s->mu);
	r = tc_strlist_contains(&s->in_progress, block);
	pthread_mutex_unlock(&s->mu);
	return r;
}

static void record_success(tc_service *s, const tc_compact_result *r, const tc_meta *const *in, size_t n)
{
	char level[8], ids[4 * (TC_UUID_STR_LEN + 1)] = "";
	uint8_t max_level = 0;
	tc_time now = tc_time_now();

	for (size_t i = 0, used = 0; i < n; i++) {
		if (in[i]->level > max_level)
			max_level = in[i]->level;
		if (used < sizeof(ids))
			used += (size_t)snprintf(ids + used, sizeof(ids) - used, "%s%s", i ? "," : "", in[i]->block_id);
	}
	snprintf(level, sizeof(level), "%u", (unsigned)max_level);
	tc_store_add_live(s->store, &r->output);
	for (size_t i = 0; i < n; i++)
		tc_store_mark_compacted(s->store, in[i]->tenant, in[i]->block_id, &now);
	tc_metrics_add(s->metrics, TC_M_COMPACTION_BLOCKS_TOTAL, (double)r->marked, level, NULL);
	tc_metrics_add(s->metrics, TC_M_COMPACTION_OBJECTS_WRITTEN_TOTAL, (double)r->output.total_objects, level, NULL);
	tc_metrics_add(s->metrics, TC_M_COMPACTION_BYTES_WRITTEN_TOTAL, (double)r->output.size, level, NULL);
	tc_metrics_add(s->metrics, TC_M_COMPACTION_OBJECTS_COMBINED_TOTAL, (double)r->stats.objects_combined, level, NULL);
	tc_metrics_add(s->metrics, TC_M_COMPACTION_SPANS_DEDUPED_TOTAL, (double)r->stats.spans_deduped,
		       r->output.tenant, NULL);
	if (r->stats.spans_discarded) {
		tc_metrics_add(s->metrics, TC_M_COMPACTION_SPANS_DISCARDED_TOTAL, (double)r->stats.spans_discarded,
			       r->output.tenant, NULL);
		tc_metrics_add(s->metrics, TC_M_DISCARDED_SPANS_TOTAL, (double)r->stats.spans_discarded,
			       TC_DISCARD_TRACE_TOO_LARGE, r->output.tenant);
	}
	tc_metrics_observe(s->metrics, TC_M_COMPACTION_DURATION_SECONDS, (double)r->duration_ns / 1e9, NULL, NULL);
	tc_log_info("msg=\"compacted blocks\" tenant=%s inputs=%s output=%s compaction_level=%u objects=%lld "
		    "combined=%llu spans_deduped=%llu bytes=%llu duration=%.3fs",
		    tc_log_q(r->output.tenant), ids, r->output.block_id, (unsigned)r->output.level,
		    (long long)r->output.total_objects, (unsigned long long)r->stats.objects_combined,
		    (unsigned long long)r->stats.spans_deduped, (unsigned long long)r->output.size,
		    (double)r->duration_ns / 1e9);
}

/* Errors that are about the block's bytes, not about reaching the store. */
static int is_data_error(int rc)
{
	return rc == TC_ECORRUPT || rc == TC_ELIMIT || rc == TC_EUNSUPPORTED;
}

/*
 * A block we cannot read would fail every job it is picked for and hold
 * its whole window back; set it aside so the rest of the tenant compacts.
 * It stays live: queriers still read what they can of it.
 */
static void quarantine(tc_service *s, const tc_meta *m, int code)
{
	char err[1024];

	snprintf(err, sizeof(err), "%s", tc_error_last());
	if (tc_blocklist_quarantine(s->be, m->tenant, m->block_id, tc_error_code_name(code), err) < 0) {
		tc_log_error("msg=\"failed to quarantine block\" tenant=%s block=%s err=%s", tc_log_q(m->tenant),
			     m->block_id, tc_log_q(tc_error_last()));
		return;
	}
	tc_store_quarantine(s->store, m->tenant, m->block_id);
	tc_metrics_add(s->metrics, TC_M_COMPACTION_BLOCKS_QUARANTINED_TOTAL, 1, m->tenant, NULL);
	tc_log_warn("msg=\"quarantined block: it is skipped by compaction until unquarantined\" tenant=%s block=%s "
		    "reason=%s err=%s", tc_log_q(m->tenant), m->block_id, tc_error_code_name(code), tc_log_q(err));
}

/*
 * A job lock of this cycle (docs/COMPACTOR.md#job-locks). Two jobs of one
 * selector can share a hash (a window with more blocks than one job
 * takes); they never share an input, so while one of ours holds the hash's
 * lock the other runs under it too instead of finding it taken. The lock
 * goes when the last of them ends.
 */
typedef enum held_state { HELD_FREE, HELD_LOCKING, HELD_LOCKED, HELD_UNLOCKING } held_state;

typedef struct held {
	held_state state;
	char hash[TC_SELECTOR_HASH_MAX];
	tc_ring_job_lock *lock;
	unsigned refs;
	pthread_mutex_t *confirm_mu;
} held;

/* The fencing check of a job, on the lock it runs under. */
static int confirm_lock(void *ctx)
{
	held *h = ctx;
	int rc;

	/* Jobs sharing a lock may confirm at once; one request at a time on it. */
	pthread_mutex_lock(h->confirm_mu);
	rc = tc_ring_lock_confirm(h->lock);
	pthread_mutex_unlock(h->confirm_mu);
	return rc;
}

static void count_abandoned(tc_service *s, const char *reason)
{
	tc_metrics_add(s->metrics, TC_M_COMPACTION_JOBS_ABANDONED_TOTAL, 1, reason, NULL);
}

/*
 * The lock was lost, or could no longer be confirmed, while the job ran:
 * someone else may be doing it now, so its work must not become visible.
 * Before the output was published it was deleted; after, it stays valid
 * beside the live inputs, and a later job compacts the duplicates away.
 */
static void record_fenced(tc_service *s, const tc_compact_result *r, const tc_meta *const *in, const char *hash,
			  int rc)
{
	const char *reason = rc == TC_ECONFLICT ? "lock_lost" : "ring_unavailable";

	count_abandoned(s, reason);
	if (r->fenced == 2)
		tc_store_add_live(s->store, &r->output);
	tc_log_warn("msg=\"lost the job lock: compaction abandoned\" tenant=%s job=%s reason=%s output=%s err=%s",
		    tc_log_q(in[0]->tenant), tc_log_q(hash), reason,
		    r->fenced == 2 ? "kept (inputs left live)" : "removed", tc_log_q(tc_error_last()));
}

/* The job as the page lists it (tc_service_status). */
static void note_job(tc_service *s, const tc_compact_result *r, const tc_meta *const *in, size_t n, int rc,
		     uint64_t t0, const char *result)
{
	tc_job_record j;
	int published = r->fenced == 2 || (!r->fenced && (rc == TC_OK || r->marked > 0));

	memset(&j, 0, sizeof(j));
	j.finished = tc_time_now();
	snprintf(j.tenant, sizeof(j.tenant), "%s", in[0]->tenant);
	for (size_t i = 0; i < n && i < TC_SELECTOR_MAX_INPUTS; i++) {
		snprintf(j.inputs[i], sizeof(j.inputs[i]), "%s", in[i]->block_id);
		if (in[i]->level >= j.level)
			j.level = (uint8_t)(in[i]->level + 1);
	}
	j.n_inputs = n < TC_SELECTOR_MAX_INPUTS ? n : TC_SELECTOR_MAX_INPUTS;
	j.objects_in = r->objects_in;
	if (published) {
		snprintf(j.output, sizeof(j.output), "%s", r->output.block_id);
		j.level = r->output.level;
		j.objects = r->output.total_objects;
		j.bytes = r->output.size;
	}
	j.duration_ns = tc_mono_ns() - t0;
	snprintf(j.result, sizeof(j.result), "%s", result);
	if (rc < 0)
		snprintf(j.error, sizeof(j.error), "%s", tc_error_last());
	tc_service_note_job(s, &j);
}

static int run_job(tc_service *s, const tc_meta *const *in, size_t n, const char *hash, held *lock)
{
	const tc_config *c = s->cfg;
	tc_compact_opts o = { .block = c->storage.block,
			      .chunk_size_bytes = c->compactor.compaction.chunk_size_bytes,
			      .flush_size_bytes = c->compactor.compaction.flush_size_bytes,
			      .max_bytes_per_trace = tc_overrides_max_bytes_per_trace(s->ov, in[0]->tenant),
			      .cancel = &s->cancel };
	tc_compact_result r;
	tc_uuid u;
	char out_id[TC_UUID_STR_LEN + 1];
	uint64_t t0;
	int rc;

	/* Chosen here so the poller knows not to clean the output while it is being written. */
	if ((rc = tc_uuid_v4(&u)) < 0)
		return rc;
	tc_uuid_format(out_id, &u);
	o.output_block_id = out_id;
	if (lock) {
		o.confirm = confirm_lock;
		o.confirm_ctx = lock;
	}
	set_in_progress(s, out_id, 1);
	t0 = tc_mono_ns();
	rc = tc_compact_blocks(&r, s->be, in, n, &o);
	set_in_progress(s, out_id, 0);
	if (r.fenced) {
		note_job(s, &r, in, n, rc, t0, "lock lost");
		record_fenced(s, &r, in, hash, rc);
		return rc;
	}
	if (rc == TC_OK || r.marked > 0) {
		note_job(s, &r, in, n, rc, t0, "ok");
		record_success(s, &r, in, n);
		return rc;
	}
	if (rc == TC_ENOTFOUND) {
		note_job(s, &r, in, n, rc, t0, "input gone");
		tc_log_warn("msg=\"skipping compaction: an input is gone\" tenant=%s err=%s", tc_log_q(in[0]->tenant),
			    tc_log_q(tc_error_last()));
		return rc;
	}
	note_job(s, &r, in, n, rc, t0, r.failed_input >= 0 && is_data_error(rc) ? "quarantined" : "failed");
	tc_metrics_add(s->metrics, TC_M_COMPACTION_ERRORS_TOTAL, 1, NULL, NULL);
	tc_log_error("msg=\"compaction failed\" tenant=%s block=%s err=%s", tc_log_q(in[0]->tenant),
		     r.failed_input >= 0 ? in[r.failed_input]->block_id : "-", tc_log_q(tc_error_last()));
	if (r.failed_input >= 0 && is_data_error(rc))
		quarantine(s, in[r.failed_input], rc);
	return rc;
}

/* One tenant's share of a cycle. */
typedef struct session {
	const char *tenant;
	tc_blocklist bl;
	tc_selector *sel; /* NULL: the tenant could not be planned */
	uint64_t start_ns;
	unsigned running; /* its jobs running now */
	int done;         /* nothing left to select, or max_time_per_tenant has passed */
} session;

/*
 * A planned job: a group of one tenant's inputs and the group's ownership
 * hash (the key the ring will look up, and the name of a job lock).
 */
typedef struct job {
	session *ses;
	const tc_meta *in[TC_SELECTOR_MAX_INPUTS]; /* into ses->sel: valid for the cycle */
	size_t n;
	char hash[TC_SELECTOR_HASH_MAX];
} job;

typedef struct cycle {
	tc_service *s;
	pthread_mutex_t mu; /* guards every session, its selector included, and the locks */
	pthread_cond_t lock_changed;
	pthread_mutex_t confirm_mu;
	session *ses;       /* in round-robin order */
	size_t n_ses;
	held *locks;        /* one slot per worker */
	size_t n_locks;
	int ring_down;      /* the ring could not answer: no new job this cycle */
} cycle;

static int session_open(session *ses, tc_service *s, const char *tenant)
{
	const tc_compaction_config *cc = &s->cfg->compactor.compaction;
	tc_selector_opts so = { cc->compaction_window_ns, cc->max_compaction_objects, cc->max_block_bytes,
				tc_time_now() };
	int rc;

	memset(ses, 0, sizeof(*ses));
	ses->tenant = tenant;
	ses->start_ns = tc_mono_ns();
	ses->done = 1;
	if ((rc = tc_store_snapshot(&ses->bl, s->store, tenant)) < 0)
		return rc;
	tc_blocklist_drop_quarantined(&ses->bl);
	if ((rc = tc_selector_new(&ses->sel, ses->bl.live, ses->bl.n_live, &so)) < 0)
		return rc;
	ses->done = 0;
	return TC_OK;
}

/*
 * Σ inputs of the groups still selectable that this replica owns (Tempo's
 * measureOutstandingBlocks); < 0 when the ring cannot say.
 */
static int64_t outstanding_owned(tc_service *s, tc_selector *sel)
{
	const tc_meta **g;
	size_t n;
	int64_t total = 0;
	char hash[TC_SELECTOR_HASH_MAX];

	if (!s->ring)
		return (int64_t)tc_selector_outstanding(sel);
	while (tc_selector_next(&g, &n, hash, sel) == 1) {
		int owns = tc_ring_owns(s->ring, hash);
		if (owns < 0)
			return owns;
		if (owns)
			total += (int64_t)n;
	}
	return total;
}

static void session_close(session *ses, tc_service *s, int ring_down)
{
	int64_t n;

	/* While the ring is down the gauge keeps its last value rather than a guess. */
	if (ses->sel && !ring_down && (n = outstanding_owned(s, ses->sel)) >= 0)
		tc_metrics_set(s->metrics, TC_M_COMPACTION_OUTSTANDING_BLOCKS, (double)n, ses->tenant, NULL);
	tc_selector_free(ses->sel);
	tc_blocklist_dispose(&ses->bl);
}

/*
 * The session's next group as a job; 0 (and the session done) when it has
 * none. With a ring, groups this replica does not own (by out->hash) are
 * passed over here, so every worker sees owned jobs only; when the ring
 * cannot answer, the cycle starts nothing more (the ring logs the outage).
 */
static int pull(job *out, session *ses, cycle *c)
{
	const tc_meta **group;

	for (;;) {
		int owns;

		if (tc_selector_next(&group, &out->n, out->hash, ses->sel) != 1) {
			ses->done = 1;
			return 0;
		}
		if ((owns = tc_service_owns(c->s, out->hash)) == 1)
			break;
		if (owns < 0) {
			tc_log_debug("msg=\"ring unavailable: no new compaction this cycle\" err=%s",
				     tc_log_q(tc_error_last()));
			c->ring_down = 1;
			ses->done = 1;
			return 0;
		}
	}
	memcpy(out->in, group, out->n * sizeof(*group));
	out->ses = ses;
	ses->running++;
	return 1;
}

/*
 * The next job of the cycle, 0 when there is none. A tenant without a
 * running job goes first, so a tenant runs a second job at once only while
 * no other tenant of the cycle has work waiting. Two jobs never share an
 * input: the sessions are distinct tenants and one selector's groups are
 * disjoint.
 */
static int next_job(job *out, cycle *c)
{
	int got = 0;

	pthread_mutex_lock(&c->mu);
	for (int pass = 0; pass < 2 && !got; pass++) {
		for (size_t i = 0; i < c->n_ses && !got && !c->ring_down && !atomic_load(&c->s->stopping); i++) {
			session *ses = &c->ses[i];
			if (ses->done || (pass == 0 && ses->running))
				continue;
			got = pull(out, ses, c);
		}
	}
	pthread_mutex_unlock(&c->mu);
	return got;
}

static void finish_job(cycle *c, job *j)
{
	session *ses = j->ses;

	pthread_mutex_lock(&c->mu);
	ses->running--;
	if (!ses->done &&
	    (int64_t)(tc_mono_ns() - ses->start_ns) > c->s->cfg->compactor.compaction.max_time_per_tenant_ns) {
		ses->done = 1;
		tc_log_info("msg=\"max time per tenant reached\" tenant=%s", tc_log_q(ses->tenant));
	}
	pthread_mutex_unlock(&c->mu);
}

static held *find_lock(cycle *c, const char *hash)
{
	for (size_t i = 0; i < c->n_locks; i++)
		if (c->locks[i].state != HELD_FREE && strcmp(c->locks[i].hash, hash) == 0)
			return &c->locks[i];
	return NULL;
}

/*
 * Takes the job's lock, or a share of it when another job of ours holds it
 * (TC_OK and *out set). TC_ECONFLICT: another replica runs the job.
 */
static int acquire_lock(held **out, cycle *c, const char *hash)
{
	held *h;
	tc_ring_job_lock *lk = NULL;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&c->mu);
	while ((h = find_lock(c, hash)) && h->state != HELD_LOCKED)
		pthread_cond_wait(&c->lock_changed, &c->mu);
	if (h) {
		h->refs++;
		pthread_mutex_unlock(&c->mu);
		*out = h;
		return TC_OK;
	}
	for (size_t i = 0; i < c->n_locks && !h; i++)
		if (c->locks[i].state == HELD_FREE)
			h = &c->locks[i];
	/* One slot per worker, each worker holding at most one: never full. */
	h->state = HELD_LOCKING;
	snprintf(h->hash, sizeof(h->hash), "%s", hash);
	pthread_mutex_unlock(&c->mu);

	rc = tc_ring_lock(&lk, c->s->ring, hash);

	pthread_mutex_lock(&c->mu);
	if (rc == TC_OK) {
		h->state = HELD_LOCKED;
		h->lock = lk;
		h->refs = 1;
		*out = h;
	} else {
		h->state = HELD_FREE;
	}
	pthread_cond_broadcast(&c->lock_changed);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

static void release_lock(cycle *c, held *h)
{
	tc_ring_job_lock *lk;

	pthread_mutex_lock(&c->mu);
	if (--h->refs > 0) {
		pthread_mutex_unlock(&c->mu);
		return;
	}
	/* Until the key is gone, a job of ours on this hash waits instead of finding it taken. */
	h->state = HELD_UNLOCKING;
	lk = h->lock;
	h->lock = NULL;
	pthread_mutex_unlock(&c->mu);
	tc_ring_unlock(lk);
	pthread_mutex_lock(&c->mu);
	h->state = HELD_FREE;
	pthread_cond_broadcast(&c->lock_changed);
	pthread_mutex_unlock(&c->mu);
}

/*
 * With a ring, a job runs under its lock: the ring may tell two replicas
 * that each owns it while their views differ (a join, a leave, a crash),
 * and the lock makes sure only one of them runs it.
 */
static void run_locked(cycle *c, job *j)
{
	held *h;
	int rc;

	if (!c->s->ring) {
		run_job(c->s, j->in, j->n, j->hash, NULL);
		return;
	}
	rc = acquire_lock(&h, c, j->hash);
	if (rc == TC_ECONFLICT) {
		count_abandoned(c->s, "lock_held");
		tc_log_info("msg=\"compaction job locked by another replica; skipping it\" tenant=%s job=%s",
			    tc_log_q(j->in[0]->tenant), tc_log_q(j->hash));
		return;
	}
	if (rc < 0) {
		count_abandoned(c->s, "ring_unavailable");
		tc_log_debug("msg=\"cannot take the job lock: no new compaction this cycle\" tenant=%s job=%s err=%s",
			     tc_log_q(j->in[0]->tenant), tc_log_q(j->hash), tc_log_q(tc_error_last()));
		pthread_mutex_lock(&c->mu);
		c->ring_down = 1;
		pthread_mutex_unlock(&c->mu);
		return;
	}
	run_job(c->s, j->in, j->n, j->hash, h);
	release_lock(c, h);
}

static void *worker(void *arg)
{
	cycle *c = arg;
	job j;

	while (next_job(&j, c)) {
		run_locked(c, &j);
		finish_job(c, &j);
	}
	return NULL;
}

/*
 * Runs the cycle's jobs on this thread and concurrency - 1 more; returns
 * when every job has ended, so a stop that waits for this thread waits for
 * all of them.
 */
static void run_workers(cycle *c, uint32_t concurrency)
{
	pthread_t extra[TC_MAX_WORKERS - 1];
	size_t started = 0;

	for (; started + 1 < concurrency; started++) {
		if (pthread_create(&extra[started], NULL, worker, c) != 0) {
			tc_log_warn("msg=\"could not start a compaction worker; running fewer jobs at once\" "
				    "workers=%zu", started + 1);
			break;
		}
	}
	worker(c);
	for (size_t i = 0; i < started; i++)
		pthread_join(extra[i], NULL);
}

/*
 * With a ring, whether this replica owns any job of tenant now. Tempo
 * spends a whole cycle on a tenant whose jobs all belong to other replicas;
 * passing over such tenants (their owned outstanding is 0, so the gauge
 * says so) lets each replica's cycles go to its own work, so adding
 * replicas shortens the time a bucket takes to drain. A ring that cannot
 * answer counts as work, so the session sees the outage and starts nothing.
 */
static int owns_work(tc_service *s, const char *tenant)
{
	session probe;
	int64_t owned;

	if (session_open(&probe, s, tenant) < 0) {
		session_close(&probe, s, 1);
		return 1;
	}
	owned = outstanding_owned(s, probe.sel);
	if (owned == 0)
		tc_metrics_set(s->metrics, TC_M_COMPACTION_OUTSTANDING_BLOCKS, 0, tenant, NULL);
	session_close(&probe, s, 1);
	return owned != 0;
}

int tc_service_compact_once(tc_service *s)
{
	uint32_t concurrency = s->cfg->compactor.compaction.concurrency;
	tc_strlist tenants = TC_STRLIST_INIT;
	cycle c = { .s = s };
	int rc = tc_store_tenants(&tenants, s->store);

	if (rc < 0 || tenants.n == 0)
		goto cleanup;
	if (concurrency < 1)
		concurrency = 1;
	if (concurrency > TC_MAX_WORKERS)
		concurrency = TC_MAX_WORKERS;
	c.n_locks = concurrency;
	if (!(c.ses = calloc(concurrency < tenants.n ? concurrency : tenants.n, sizeof(*c.ses))) ||
	    !(c.locks = calloc(c.n_locks, sizeof(*c.locks)))) {
		tc_error_set("out of memory");
		rc = TC_ERROR;
		goto cleanup;
	}
	/*
	 * The next `concurrency` tenants round-robin, one each with concurrency
	 * 1 (Tempo's cycle). Tempo advances first, so with two or more tenants
	 * the first cycle starts at index 1.
	 */
	for (size_t tried = 0; tried < tenants.n && c.n_ses < concurrency; tried++) {
		int orc;

		s->tenant_offset = (s->tenant_offset + 1) % tenants.n;
		if (s->ring && !owns_work(s, tenants.items[s->tenant_offset]))
			continue;
		orc = session_open(&c.ses[c.n_ses++], s, tenants.items[s->tenant_offset]);
		if (orc < 0 && rc == TC_OK)
			rc = orc;
	}
	pthread_mutex_init(&c.mu, NULL);
	pthread_mutex_init(&c.confirm_mu, NULL);
	pthread_cond_init(&c.lock_changed, NULL);
	for (size_t i = 0; i < c.n_locks; i++)
		c.locks[i].confirm_mu = &c.confirm_mu;
	run_workers(&c, concurrency);
	pthread_cond_destroy(&c.lock_changed);
	pthread_mutex_destroy(&c.confirm_mu);
	pthread_mutex_destroy(&c.mu);
	for (size_t i = 0; i < c.n_ses; i++)
		session_close(&c.ses[i], s, c.ring_down);
	tc_service_note_compaction_done(s);
cleanup:
	free(c.locks);
	free(c.ses);
	tc_strlist_dispose(&tenants);
	return rc;
}
