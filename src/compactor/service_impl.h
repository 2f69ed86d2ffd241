/* Shared by the service's files only: the service struct and loop entry points. */
#ifndef TC_COMPACTOR_SERVICE_IMPL_H
#define TC_COMPACTOR_SERVICE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "src/util/strlist.h"
#include "src/compactor/service.h"
#include "src/compactor/pollcache.h"
#include "src/compactor/status.h"
#include "src/compactor/store.h"

/* What the page shows per tenant besides its blocks (status.c). */
typedef struct tc_tenant_activity {
	char name[TC_TENANT_MAX + 1];
	tc_time last_poll, last_compaction, index_time;
} tc_tenant_activity;

/*
 * The oldest a tenant index this replica builds may get before a poll
 * rewrites it unchanged (docs/COMPACTOR.md#incremental-polling): half the
 * TempoTenantIndexTooOld alert's 600 s.
 */
#define TC_INDEX_MAX_AGE_NS (300 * 1000000000LL)

/* tempo_discarded_spans_total's reason for spans past max_bytes_per_trace (Tempo's word). */
#define TC_DISCARD_TRACE_TOO_LARGE "trace_too_large_to_compact"

struct tc_service {
	const tc_config *cfg;
	tc_backend *be;
	tc_overrides *ov;
	tc_metrics *metrics;
	tc_store *store;
	tc_pollcache *pollcache; /* the poll thread's only */
	uint64_t polls;          /* polls begun, for blocklist_poll_full_every */
	tc_ring *ring; /* NULL: a single replica, owning everything */

	atomic_int stopping; /* no new work */
	atomic_int cancel;   /* abandon the running job */
	atomic_int backend_canceled; /* tc_backend_cancel called at the shutdown timeout */
	atomic_int ready;
	atomic_int ring_ready; /* tc_ring_wait_ready has returned: compaction and retention may run */
	atomic_int failed;
	pthread_mutex_t mu; /* guards the wake-up condition and in_progress */
	pthread_cond_t wake;
	tc_strlist in_progress; /* output block IDs being written right now */
	size_t tenant_offset;   /* compaction round-robin position */

	int read_only; /* tracecompactor web: the poll loop only, and it writes nothing */

	/* For tc_service_status (status.c): what the loops did lately. */
	pthread_mutex_t status_mu;
	tc_time last_poll, last_compaction, last_retention;
	tc_job_record *jobs; /* TC_STATUS_HISTORY slots, a ring; n_jobs recorded so far */
	size_t n_jobs;
	tc_retention_record *retention;
	size_t n_retention;
	tc_tenant_activity *acts; /* sorted by name */
	size_t n_acts, cap_acts;

	pthread_t poll_thread, compact_thread, retention_thread;
	int threads_started;
	atomic_int compact_done;
};

/* Sleeps up to ns or until stop; returns non-zero when stopping. */
int tc_service_sleep(tc_service *s, int64_t ns);
int tc_service_is_in_progress(tc_service *s, const char *block);
/*
 * Whether this replica owns key (a job hash, a block ID, a tenant index
 * builder's name): 1 without a ring, else tc_ring_owns's answer (< 0 while
 * the ring cannot be trusted: start nothing).
 */
int tc_service_owns(tc_service *s, const char *key);

/*
 * What the loops report for the page (status.c). index_time NULL: the
 * tenant index's time is not known from this poll (left as it was).
 */
void tc_service_note_poll(tc_service *s, const char *tenant, const tc_time *index_time);
/* The poll ended; tenants no longer in the bucket are forgotten. */
void tc_service_note_poll_done(tc_service *s, const tc_strlist *tenants);
void tc_service_note_job(tc_service *s, const tc_job_record *r);
void tc_service_note_compaction_done(tc_service *s);
void tc_service_note_retention(tc_service *s, const tc_retention_record *r);
void tc_service_note_retention_done(tc_service *s);
int tc_service_status_init(tc_service *s);
void tc_service_status_dispose(tc_service *s);

#endif
