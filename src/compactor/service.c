/*
 * Threads and lifecycle of the service. Each loop sleeps on one condition
 * variable so a stop wakes every loop at once instead of waiting out a
 * compaction_cycle or blocklist_poll period.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encoding/meta.h"
#include "src/util/log.h"
#include "src/compactor/retention.h"
#include "src/compactor/service_impl.h"

int tc_service_new(tc_service **out, const tc_config *cfg, tc_backend *be, tc_overrides *ov,
		   tc_metrics *metrics)
{
	tc_service *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	s->cfg = cfg;
	s->be = be;
	s->ov = ov;
	s->metrics = metrics;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	if ((rc = tc_service_status_init(s)) < 0 || (rc = tc_store_new(&s->store)) < 0 ||
	    (rc = tc_pollcache_new(&s->pollcache)) < 0) {
		tc_service_free(s);
		return rc;
	}
	/* What no tenant owns (a failed tenant listing, stale uploads) is counted under tenant="". */
	tc_metrics_touch(metrics, TC_M_POLL_ERRORS_TOTAL, "", NULL);
	tc_metrics_touch(metrics, TC_M_COMPACTION_PARTIAL_BLOCKS_CLEANED_TOTAL, "", NULL);
	*out = s;
	return TC_OK;
}

int tc_service_sleep(tc_service *s, int64_t ns)
{
	struct timespec until;
	int stop;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ns / 1000000000LL;
	until.tv_nsec += ns % 1000000000LL;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	while (!(stop = atomic_load(&s->stopping)))
		if (pthread_cond_timedwait(&s->wake, &s->mu, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&s->mu);
	return stop || atomic_load(&s->stopping);
}

static void *poll_loop(void *arg)
{
	tc_service *s = arg;
	while (!tc_service_sleep(s, s->cfg->storage.blocklist_poll_ns))
		tc_service_poll_once(s);
	return NULL;
}

/*
 * Tempo's compactor starts compacting (and retention) only once it sees
 * itself ACTIVE in a ring that has stopped changing, so that replicas
 * starting together do not each work from a different ring. Returns
 * non-zero when the loop may go on.
 */
static int wait_for_ring(tc_service *s)
{
	int rc;

	if (!s->ring)
		return 1;
	rc = tc_ring_wait_ready(s->ring, &s->stopping);
	if (rc == TC_ECANCELED)
		return 0;
	if (rc < 0) {
		tc_log_error("msg=\"compactor did not become ACTIVE in the ring; giving up\" err=%s",
			     tc_log_q(tc_error_last()));
		pthread_mutex_lock(&s->mu);
		atomic_store(&s->failed, 1);
		pthread_cond_broadcast(&s->wake);
		pthread_mutex_unlock(&s->mu);
		return 0;
	}
	pthread_mutex_lock(&s->mu);
	atomic_store(&s->ring_ready, 1);
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->mu);
	tc_log_info("msg=\"enabling compaction\"");
	return 1;
}

static void *compact_loop(void *arg)
{
	tc_service *s = arg;

	if (wait_for_ring(s))
		while (!tc_service_sleep(s, s->cfg->compactor.compaction.compaction_cycle_ns))
			tc_service_compact_once(s);
	atomic_store(&s->compact_done, 1);
	return NULL;
}

static void *retention_loop(void *arg)
{
	tc_service *s = arg;
	while (!tc_service_sleep(s, s->cfg->storage.blocklist_poll_ns))
		if (!s->ring || atomic_load(&s->ring_ready))
			tc_service_retention_once(s);
	return NULL;
}

void tc_service_set_read_only(tc_service *s)
{
	s->read_only = 1;
}

void tc_service_set_ring(tc_service *s, tc_ring *ring)
{
	static const char *const reasons[] = { "lock_held", "lock_lost", "ring_unavailable" };

	s->ring = ring;
	if (!ring)
		return;
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		tc_metrics_touch(s->metrics, TC_M_COMPACTION_JOBS_ABANDONED_TOTAL, reasons[i], NULL);
}

int tc_service_owns(tc_service *s, const char *key)
{
	return s->ring ? tc_ring_owns(s->ring, key) : 1;
}

int tc_service_start(tc_service *s)
{
	tc_strlist probe = TC_STRLIST_INIT;
	int rc;

	/*
	 * One listing first: a wrong secret, a missing bucket or an unreachable
	 * store is a startup error an operator sees at once, not a loop of
	 * failed polls.
	 */
	rc = tc_backend_list(&probe, s->be, "");
	tc_strlist_dispose(&probe);
	if (rc < 0)
		return rc;
	rc = tc_service_poll_once(s);
	/* the backend was canceled (a stop while starting): nothing to start */
	if (rc == TC_ECANCELED)
		return rc;
	if (rc < 0)
		tc_log_warn("msg=\"first blocklist poll had errors; continuing\" err=%s", tc_log_q(tc_error_last()));
	atomic_store(&s->ready, 1);
	if (pthread_create(&s->poll_thread, NULL, poll_loop, s) != 0)
		goto fail;
	s->threads_started = 1;
	if (s->read_only) {
		tc_log_info("msg=\"watching the bucket read-only\" backend=%s blocklist_poll=%llds",
			    tc_backend_name(s->be), (long long)(s->cfg->storage.blocklist_poll_ns / 1000000000LL));
		return TC_OK;
	}
	if (pthread_create(&s->compact_thread, NULL, compact_loop, s) != 0)
		goto fail;
	s->threads_started = 2;
	if (pthread_create(&s->retention_thread, NULL, retention_loop, s) != 0)
		goto fail;
	s->threads_started = 3;
	tc_retention_log_overrides(s->cfg, s->ov);
	tc_log_info("msg=\"compactor started\" backend=%s compaction_cycle=%llds blocklist_poll=%llds concurrency=%u "
		    "ring=%s", tc_backend_name(s->be),
		    (long long)(s->cfg->compactor.compaction.compaction_cycle_ns / 1000000000LL),
		    (long long)(s->cfg->storage.blocklist_poll_ns / 1000000000LL),
		    (unsigned)s->cfg->compactor.compaction.concurrency, s->ring ? "true" : "false");
	return TC_OK;
fail:
	tc_error_set_os("starting service threads");
	tc_service_stop(s, 0);
	return TC_ERROR;
}

static struct timespec deadline_in(int64_t ns)
{
	struct timespec d;

	clock_gettime(CLOCK_REALTIME, &d);
	d.tv_sec += ns / 1000000000LL;
	d.tv_nsec += ns % 1000000000LL;
	if (d.tv_nsec >= 1000000000L) {
		d.tv_sec++;
		d.tv_nsec -= 1000000000L;
	}
	return d;
}

/*
 * Joins th by the deadline, or else cancels the backend's long operations
 * (a listing that does not end, a request the store does not answer) and
 * joins it then: past the shutdown timeout nothing a loop does is worth
 * waiting for.
 */
static void join_by(tc_service *s, pthread_t th, const struct timespec *deadline, const char *what)
{
	if (pthread_timedjoin_np(th, NULL, deadline) == 0)
		return;
	if (!atomic_exchange(&s->backend_canceled, 1)) {
		tc_log_warn("msg=\"shutdown timeout: canceling the storage operations in flight\" "
			    "waiting_for=%s", what);
		tc_backend_cancel(s->be);
	}
	pthread_join(th, NULL);
}

void tc_service_stop(tc_service *s, int64_t timeout_ns)
{
	/* Keep a second for unwinding a canceled job within the shutdown timeout. */
	int64_t grace = timeout_ns > 2000000000LL ? timeout_ns - 1000000000LL : timeout_ns / 2;
	struct timespec soft = deadline_in(grace), hard = deadline_in(timeout_ns);

	pthread_mutex_lock(&s->mu);
	atomic_store(&s->stopping, 1);
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->mu);
	if (s->threads_started >= 2) {
		/* The compaction thread returns once every job of its cycle has ended. */
		if (pthread_timedjoin_np(s->compact_thread, NULL, &soft) != 0) {
			tc_log_warn("msg=\"shutdown timeout: abandoning the running compaction\"");
			atomic_store(&s->cancel, 1);
			join_by(s, s->compact_thread, &hard, "compaction");
		}
	}
	if (s->threads_started >= 1)
		join_by(s, s->poll_thread, &hard, "poll");
	if (s->threads_started >= 3)
		join_by(s, s->retention_thread, &hard, "retention");
	s->threads_started = 0;
}

void tc_service_free(tc_service *s)
{
	if (!s)
		return;
	if (s->threads_started)
		tc_service_stop(s, 0);
	tc_store_free(s->store);
	tc_pollcache_free(s->pollcache);
	tc_strlist_dispose(&s->in_progress);
	tc_service_status_dispose(s);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int tc_service_ready(tc_service *s)
{
	return atomic_load(&s->ready) && (!s->ring || atomic_load(&s->ring_ready));
}

int tc_service_failed(tc_service *s)
{
	return atomic_load(&s->failed);
}

static int metas_json(tc_buf *out, const tc_meta *m, size_t n, int compacted)
{
	int rc = tc_buf_putc(out, '[');
	for (size_t i = 0; i < n && rc == TC_OK; i++) {
		if (i)
			rc = tc_buf_putc(out, ',');
		if (rc == TC_OK)
			rc = tc_meta_write(out, &m[i], compacted);
	}
	return rc < 0 ? rc : tc_buf_putc(out, ']');
}

int tc_service_blocklist_json(tc_buf *out, tc_service *s, const char *tenant)
{
	tc_blocklist bl;
	int rc;

	if ((rc = tc_tenant_validate(tenant)) < 0 || (rc = tc_store_snapshot(&bl, s->store, tenant)) < 0)
		return rc;
	if ((rc = tc_buf_printf(out, "{\"tenant\":\"%s\",\"live\":", tenant)) == TC_OK &&
	    (rc = metas_json(out, bl.live, bl.n_live, 0)) == TC_OK && (rc = tc_buf_puts(out, ",\"compacted\":")) == TC_OK &&
	    (rc = metas_json(out, bl.compacted, bl.n_compacted, 1)) == TC_OK)
		rc = tc_buf_puts(out, "}\n");
	tc_blocklist_dispose(&bl);
	return rc;
}
