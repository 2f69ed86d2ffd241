/*
 * The long-running compactor: a blocklist poller (which also writes each
 * tenant's index.json.gz), a compaction loop and a retention loop, each on
 * its own thread, working from one in-memory blocklist.
 */
#ifndef TC_COMPACTOR_SERVICE_H
#define TC_COMPACTOR_SERVICE_H

#include "src/backend/backend.h"
#include "src/config/config.h"
#include "src/config/overrides.h"
#include "src/metrics/metrics.h"
#include "src/compactor/status.h"
#include "src/ring/ring.h"
#include "src/util/buf.h"

typedef struct tc_service tc_service;

/* Borrows every argument; they must outlive the service. */
int tc_service_new(tc_service **out, const tc_config *cfg, tc_backend *be, tc_overrides *ov,
		   tc_metrics *metrics);
/*
 * Before tc_service_start: the compactor ring this replica has joined
 * (tc_ring_start done; borrowed, stopped by the caller after
 * tc_service_stop). Without one the service owns every job, block and
 * tenant index, as a single compactor does. With one
 * (docs/COMPACTOR.md#sharding), compaction and retention start once
 * tc_ring_wait_ready returns, only owned work is done, and a job runs
 * under its lock.
 */
void tc_service_set_ring(tc_service *s, tc_ring *ring);
/*
 * Before tc_service_start: a service that only watches the bucket
 * (tracecompactor web). It polls the blocklist into its store and nothing
 * else: no compaction, no retention, no tenant index, no partial-block or
 * stale-upload cleanup; it writes nothing to the bucket.
 */
void tc_service_set_read_only(tc_service *s);
/*
 * One synchronous poll, then the three loops start (compaction and
 * retention wait for the ring first, when there is one). A root listing
 * that fails (the backend's listings are bounded: an endless one fails
 * too) fails the start; TC_ECANCELED when the backend was canceled
 * meanwhile (a stop signal while starting).
 */
int tc_service_start(tc_service *s);
/*
 * Stops taking new work, gives a running compaction until the deadline
 * (timeout_ns from now, less a margin) to finish, then cancels it (its
 * partial output is removed) and joins every thread. A thread still busy
 * at timeout_ns (a listing that does not end, a store that does not
 * answer) has its backend operations canceled (tc_backend_cancel on the
 * borrowed backend, which is then good for nothing but freeing), so the
 * stop returns soon after timeout_ns whatever the store does.
 */
void tc_service_stop(tc_service *s, int64_t timeout_ns);
void tc_service_free(tc_service *s);

/*
 * Non-zero once the first poll has completed and, with a ring, this
 * replica is ACTIVE in a stable ring (as Tempo's /ready: a rolling restart
 * moves on only once the replica it restarted has taken its share).
 */
int tc_service_ready(tc_service *s);
/*
 * Non-zero when the service cannot go on: the ring did not show this
 * replica ACTIVE within wait_active_instance_timeout. The process should
 * stop and exit 1, as Tempo's compactor fails its start.
 */
int tc_service_failed(tc_service *s);
/* JSON {"tenant":..,"live":[meta..],"compacted":[meta..]}; TC_ENOTFOUND for an unknown tenant. */
int tc_service_blocklist_json(tc_buf *out, tc_service *s, const char *tenant);

/*
 * A snapshot for the bucket page: every tenant's counts and times, the
 * last compaction jobs and retention actions, and with tenant set that
 * tenant's blocks and the reasons its quarantined blocks were set aside
 * (read from their markers). TC_ENOTFOUND for a tenant the service does
 * not know, TC_EINVALID for a name that is not a tenant ID. out is
 * disposed with tc_status_dispose, also after a failure.
 */
int tc_service_status(tc_status *out, tc_service *s, const char *tenant);

/* Single passes, for tests and for the loops themselves. */
int tc_service_poll_once(tc_service *s);
int tc_service_compact_once(tc_service *s);
int tc_service_retention_once(tc_service *s);

#endif
