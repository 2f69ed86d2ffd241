/*
 * This replica's membership of the compactor ring, and what the compactor
 * asks of it (docs/RING.md). Without a ring configured the service has no
 * tc_ring and owns everything; with one:
 *
 * - tc_ring_start joins: reads <prefix><key> (e.g. collectors/compactor),
 *   keeps our tokens if our instance ID is already there or takes
 *   TC_RING_TOKENS new ones, writes our entry ACTIVE by compare-and-swap,
 *   grants the lease our job locks hang on, and starts the heartbeat
 *   thread. Every heartbeat_period that thread rewrites our entry (timestamp
 *   now; auto-forget of instances unhealthy for 2 x heartbeat_timeout),
 *   keeps the lease alive and refreshes the view ownership is computed from.
 * - tc_ring_owns answers from the latest view, with our clockwise fallback
 *   past unhealthy instances (desc.h).
 * - A job runs under a lock: a key <prefix><key>-jobs/<job> created only
 *   if absent, on our lease. tc_ring_lock_confirm is the fencing check made
 *   before a job's output becomes visible and before its inputs are
 *   retired: our lease is still alive and the key's create revision is
 *   still the one we created.
 * - tc_ring_stop leaves: LEAVING, then our entry removed, the lease revoked
 *   (which drops any lock still held).
 *
 * The kv store may be unreachable for a while: the heartbeat thread logs
 * once per outage and keeps trying; tc_ring_owns and tc_ring_lock fail
 * (no new job starts) once the view is older than heartbeat_timeout.
 */
#ifndef TC_RING_RING_H
#define TC_RING_RING_H

#include <stdatomic.h>
#include <stdint.h>

#include "src/metrics/metrics.h"
#include "src/ring/kv.h"
#include "src/util/buf.h"

typedef struct tc_ring tc_ring;
typedef struct tc_ring_lock tc_ring_lock;

typedef struct tc_ring_options {
	const char *prefix;             /* compactor.ring.kvstore.prefix, "collectors/" */
	const char *key;                /* "compactor" */
	const char *instance_id;        /* compactor.ring.instance_id */
	const char *instance_addr;      /* "addr:port" as written to the ring */
	int64_t heartbeat_period_ns;    /* 5s */
	int64_t heartbeat_timeout_ns;   /* 1m */
	int64_t wait_stability_min_ns;  /* 1m */
	int64_t wait_stability_max_ns;  /* 5m */
	int64_t wait_active_instance_timeout_ns; /* 10m */
	uint32_t max_cas_retries;       /* per ring update (dskit: 10) */
	tc_metrics *metrics;            /* ring member gauges; may be NULL */
} tc_ring_options;

/* Borrows kv and o's strings; they must outlive the ring. Contacts nobody. */
int tc_ring_new(tc_ring **out, tc_kv *kv, const tc_ring_options *o);

/* Joins the ring ACTIVE and starts the heartbeat thread. */
int tc_ring_start(tc_ring *r);

/*
 * Blocks until this instance sees itself ACTIVE in the ring and the ring's
 * token set has not changed for wait_stability_min (giving up on stability
 * after wait_stability_max, as Tempo does). TC_ECANCELED when *stop
 * becomes non-zero; TC_ERROR after wait_active_instance_timeout.
 */
int tc_ring_wait_ready(tc_ring *r, const atomic_int *stop);

/*
 * 1 when this instance owns key (a job hash, a block ID,
 * "build-tenant-index-<i>-<tenant>"), 0 when another instance does.
 * TC_ERROR when the view is older than heartbeat_timeout (the kv store has
 * been unreachable): callers start nothing new.
 */
int tc_ring_owns(tc_ring *r, const char *key);

/*
 * Takes the lock of job (a job hash). TC_ECONFLICT when another replica
 * holds it, TC_ERROR when the store cannot be reached or our lease is gone.
 */
int tc_ring_lock(tc_ring_lock **out, tc_ring *r, const char *job);
/*
 * The fencing check: TC_OK while the lock is still ours; TC_ECONFLICT when
 * it was lost (lease expired, key deleted or recreated by another); TC_ERROR
 * when it cannot be confirmed (store unreachable). Anything but TC_OK
 * means: abandon the job.
 */
int tc_ring_lock_confirm(tc_ring_lock *l);
/* Deletes the lock key if it is still ours; frees l. NULL is fine. */
void tc_ring_unlock(tc_ring_lock *l);

/* Removes another instance from the ring (the ring page's Forget button). */
int tc_ring_forget(tc_ring *r, const char *instance_id);

/*
 * The ring as Tempo's /compactor/ring page shows it: per instance ID,
 * address, state (Unhealthy when not healthy), last heartbeat, token
 * count and ownership share. JSON when json is set, else an HTML page with
 * a Forget button per instance (POST, form field "forget").
 */
int tc_ring_status(tc_buf *out, tc_ring *r, int json);

/* Leaves the ring (LEAVING, then removed), revokes the lease, joins the thread. */
void tc_ring_stop(tc_ring *r);
void tc_ring_free(tc_ring *r);

#endif
