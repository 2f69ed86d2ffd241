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
#include "src/util/buf.h"

typedef struct tc_service tc_service;

/* Borrows every argument; they must outlive the service. */
int tc_service_new(tc_service **out, const tc_config *cfg, tc_backend *be, tc_overrides *ov,
		   tc_metrics *metrics);
/* One synchronous poll, then the three loops start. */
int tc_service_start(tc_service *s);
/*
 * Stops taking new work, gives a running compaction until the deadline
 * (timeout_ns from now, less a margin) to finish, then cancels it (its
 * partial output is removed) and joins every thread.
 */
void tc_service_stop(tc_service *s, int64_t timeout_ns);
void tc_service_free(tc_service *s);

/* Non-zero once the first poll has completed. */
int tc_service_ready(tc_service *s);
/* JSON {"tenant":..,"live":[meta..],"compacted":[meta..]}; TC_ENOTFOUND for an unknown tenant. */
int tc_service_blocklist_json(tc_buf *out, tc_service *s, const char *tenant);

/* Single passes, for tests and for the loops themselves. */
int tc_service_poll_once(tc_service *s);
int tc_service_compact_once(tc_service *s);
int tc_service_retention_once(tc_service *s);

#endif
