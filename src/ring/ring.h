/*
 * This replica's membership of the compactor ring, and what the compactor
 * asks of it (docs/RING.md, docs/RING.md#the-lifecycler). Without a ring
 * configured the service has no tc_ring and owns everything; with one:
 *
 * - tc_ring_start joins: reads <prefix><key> (e.g. collectors/compactor),
 *   keeps our tokens if our instance ID is already there (topped up to
 *   TC_RING_TOKENS if fewer, as Tempo does) or takes TC_RING_TOKENS new
 *   ones, writes our entry ACTIVE by compare-and-swap, grants the lease our
 *   job locks hang on (TTL max(3 x heartbeat_period, 2s), whole seconds),
 *   and starts the heartbeat thread. Every heartbeat_period that thread
 *   rewrites our entry (timestamp now; re-added with our tokens if someone
 *   removed it; auto-forget of others silent for 2 x heartbeat_timeout),
 *   keeps the lease alive (granting a new one if it was lost: locks held
 *   on the old one are lost) and installs the ring it read as the view.
 * - tc_ring_owns answers from the latest view, with our clockwise fallback
 *   past unhealthy instances (desc.h), comparing addresses as Tempo does.
 * - A job runs under a lock: a key <prefix><key>-jobs/<job> created only
 *   if absent, on our lease. tc_ring_lock_confirm is the fencing check made
 *   before a job's output becomes visible and before its inputs are
 *   retired: our lease is still alive and the key's create revision is
 *   still the one we created.
 * - tc_ring_stop leaves: LEAVING, then our entry removed, the lease revoked
 *   (which drops any lock still held).
 *
 * The kv store may be unreachable for a while: the heartbeat thread logs
 * once per outage (and once when it is back) and keeps trying; tc_ring_owns
 * fails (no new job starts) once the view is older than heartbeat_timeout,
 * and tc_ring_lock and tc_ring_lock_confirm fail while the store does not
 * answer.
 *
 * Every call but tc_ring_start, tc_ring_stop and tc_ring_free may be made
 * from any thread at any time between them. How long a call can take is
 * the kv store's to bound: each kv call costs at most its request timeout
 * per endpoint (kv.h), and a ring call makes a handful of them.
 */
#ifndef TC_RING_RING_H
#define TC_RING_RING_H

#include <stdatomic.h>
#include <stdint.h>

#include "src/metrics/metrics.h"
#include "src/ring/kv.h"
#include "src/util/buf.h"

typedef struct tc_ring tc_ring;
typedef struct tc_ring_job_lock tc_ring_job_lock;

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
	tc_metrics *metrics;            /* cortex_ring_members and tempo_ring_members
					   {name="compactor", state}; may be NULL */
} tc_ring_options;

/*
 * Borrows kv and o's strings; they must outlive the ring. Contacts nobody.
 * TC_EINVALID for an empty key, instance ID or address, or a
 * heartbeat_period that is not positive.
 */
int tc_ring_new(tc_ring **out, tc_kv *kv, const tc_ring_options *o);

/*
 * Joins the ring ACTIVE, grants the lease and starts the heartbeat thread.
 * Fails (TC_ERROR: the store did not answer; TC_ECORRUPT: the ring value
 * is not a ring; TC_ECONFLICT: max_cas_retries writers got in first) as
 * Tempo's lifecycler fails to start; tc_ring_stop and tc_ring_free are
 * still to be called (they leave if the join was written).
 */
int tc_ring_start(tc_ring *r);

/*
 * Blocks until this instance sees itself ACTIVE in a view younger than
 * heartbeat_timeout, then until the healthy instances and their tokens
 * have not changed for wait_stability_min (0: no wait), giving up on
 * stability after wait_stability_max and returning TC_OK anyway, as Tempo
 * does. Looks at *stop (may be NULL) every 50 ms: TC_ECANCELED when it
 * becomes non-zero; TC_ERROR when not ACTIVE within
 * wait_active_instance_timeout.
 */
int tc_ring_wait_ready(tc_ring *r, const atomic_int *stop);

/*
 * 1 when this instance owns key (a job hash, a block ID,
 * "build-tenant-index-<i>-<tenant>"), 0 when another instance does or no
 * instance is healthy. Owning means the owner's addr equals our
 * instance_addr. TC_ERROR when the view is older than heartbeat_timeout
 * (the kv store has been unreachable; 0 turns the check off), before start
 * and after stop: callers start nothing new.
 */
int tc_ring_owns(tc_ring *r, const char *key);

/*
 * Takes the lock of job (a job hash; any non-empty string): creates
 * <prefix><key>-jobs/<job> on our lease, with job bytes outside a tenant
 * ID's alphabet percent-escaped ("a/b" -> "a%2Fb") and a job longer than
 * 400 escaped bytes cut short and ended by "~" and a hash of the whole, so
 * the key stays readable and valid. Its value is
 * {"instance","addr","nonce","acquired"}, unique per attempt. A key left
 * by an earlier attempt of this instance (a create that failed but landed,
 * a previous run) is removed and the lock taken.
 * TC_ECONFLICT when another replica, or another thread of this one, holds
 * it (the message names the holder); TC_ERROR when the store cannot be
 * reached, our lease is gone (the heartbeat grants another) or the ring is
 * stopping. Unlock every lock before tc_ring_free.
 */
int tc_ring_lock(tc_ring_job_lock **out, tc_ring *r, const char *job);
/*
 * The fencing check: TC_OK while the lock is still ours (our lease renewed
 * less than TTL - heartbeat_period ago, else renewed now; the key still
 * has our create revision and lease); TC_ECONFLICT when it was lost (lease
 * expired or replaced, key deleted or created again by another, ring
 * stopped), logged once per lock; TC_ERROR when it cannot be confirmed
 * (store unreachable). Anything but TC_OK means: abandon the job.
 */
int tc_ring_lock_confirm(tc_ring_job_lock *l);
/*
 * Deletes the lock key if it is still ours (by create revision); frees l.
 * A delete the store did not answer is retried by the heartbeat. NULL is
 * fine.
 */
void tc_ring_unlock(tc_ring_job_lock *l);

/*
 * Removes an instance from the ring (the ring page's Forget button); our
 * own ID is re-added by the next heartbeat. TC_ENOTFOUND when it is not in
 * the ring.
 */
int tc_ring_forget(tc_ring *r, const char *instance_id);

/*
 * Appends the ring as Tempo's /compactor/ring page shows it, from the
 * latest view: per instance ID, zone, address, state ("Unhealthy" when its
 * heartbeat is older than heartbeat_timeout, whatever the state), when it
 * registered, last heartbeat (RFC 3339 and age), token count and
 * ownership share. JSON when json is set, in dskit's shape
 * ({"shards":[{"id","state","address","timestamp","registered_timestamp",
 * "zone","tokens"}],"now"}, plus num_tokens, ownership (percent),
 * heartbeat_age_seconds, this_instance, and key, instance,
 * view_age_seconds), else a self-contained HTML page with a Forget button
 * per instance: a <form method="post"> to the page's own URL with the
 * field forget=<instance ID>. Every string from the ring is escaped.
 * TC_ERROR before start and after stop.
 */
int tc_ring_status(tc_buf *out, tc_ring *r, int json);

/*
 * Stops the heartbeat thread (waiting for its kv call in flight, if any),
 * leaves the ring (LEAVING, then removed) and revokes the lease. If the
 * last heartbeat found the store unreachable, or a step of leaving does,
 * the rest is skipped: the others forget us after 2 x heartbeat_timeout
 * and the lease expires, and stop costs at most two kv calls' timeouts.
 * Idempotent; NULL is fine.
 */
void tc_ring_stop(tc_ring *r);
/* Stops the ring if it is running and frees it. NULL is fine. */
void tc_ring_free(tc_ring *r);

#endif
