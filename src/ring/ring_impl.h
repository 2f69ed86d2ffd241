/*
 * Private to src/ring/ring*.c: the ring handle, shared by the lifecycler
 * (ring.c), the job locks (ring_lock.c) and the status page
 * (ring_status.c).
 */
#ifndef TC_RING_RING_IMPL_H
#define TC_RING_RING_IMPL_H

#include <pthread.h>
#include <stdint.h>

#include "src/ring/desc.h"
#include "src/ring/ring.h"
#include "src/util/strlist.h"

/*
 * One reading of the ring and its token table. A view is never changed
 * once installed: readers take a reference under tc_ring.mu and use it
 * without the lock (desc.h's read-only calls touch nothing), the heartbeat
 * installs a new one and the last reference frees the old.
 */
typedef struct tc_ring_view {
	int refs;             /* under tc_ring.mu */
	tc_ring_desc *desc;
	tc_ring_table *table; /* health judged at now_s */
	int64_t now_s;        /* wall clock, Unix seconds, when the view was built */
	uint64_t read_ns;     /* CLOCK_MONOTONIC just before the read it came from */
} tc_ring_view;

/* A member as last seen, for change logs: its class is a state name or "Unhealthy". */
typedef struct tc_ring_member_seen {
	char *id;
	const char *class;
} tc_ring_member_seen;

/* A lock delete that failed; the heartbeat retries it (ring_lock.c). */
typedef struct tc_ring_pending_delete {
	char *key;
	int64_t create_revision;
} tc_ring_pending_delete;

struct tc_ring {
	tc_kv *kv;
	tc_ring_options o;       /* strings borrowed */
	char *ring_key;          /* <prefix><key> */
	char *lock_prefix;       /* <prefix><key>-jobs/ */
	int64_t timeout_s;       /* heartbeat_timeout for desc.h's second-granular checks */
	int64_t ttl_s;           /* the lease's TTL */
	uint64_t ttl_ns;

	/* The heartbeat thread's own; tc_ring_start and tc_ring_stop use them around it. */
	uint32_t *tokens;        /* ours, for re-adding ourselves */
	size_t n_tokens;
	int joined;              /* our entry was written at start */
	int failing;             /* the last heartbeat failed; logged once per outage */
	int unreachable;         /* ... with TC_ERROR: the store did not answer */
	uint64_t failing_since_ns;
	int started;
	pthread_t thread;

	pthread_mutex_t mu;
	pthread_cond_t cond;     /* CLOCK_MONOTONIC; signalled on stop */
	/* Under mu: */
	int stopping;
	int stopped;
	tc_ring_view *view;
	int64_t lease;           /* 0: none (not granted yet, lost, or revoked) */
	uint64_t lease_sent_ns;  /* when the last grant or keep-alive that succeeded was sent */
	tc_ring_job_lock **locks;    /* taken or being taken by this process */
	size_t n_locks, cap_locks;
	tc_ring_pending_delete *deletes;
	size_t n_deletes, cap_deletes;
	tc_ring_member_seen *known; /* in ID order */
	size_t n_known, cap_known;
	int have_known;
	unsigned extra_states;   /* bit per tc_ring_state past JOINING ever exported */
};

/* A reference to the current view, or NULL before start and after stop. */
tc_ring_view *tc_ring_view_get(tc_ring *r);
void tc_ring_view_put(tc_ring *r, tc_ring_view *v);
/* Whether v is recent enough to act on (younger than heartbeat_timeout). */
int tc_ring_view_fresh(const tc_ring *r, const tc_ring_view *v, uint64_t now_ns);
/*
 * The class the ring page and the member metrics show: the state's name,
 * or "Unhealthy" when the heartbeat is older than heartbeat_timeout,
 * whatever the state (dskit's Reporting operation).
 */
const char *tc_ring_member_class(const tc_ring *r, const tc_ring_instance *i, int64_t now_s);

/*
 * Makes d (taken over, freed on failure) the view, read at read_ns and
 * judged at now_s, unless a view read later is already in place; logs the
 * members' changes (forgotten: IDs whose removal was logged already) and
 * sets the member gauges.
 */
int tc_ring_view_install(tc_ring *r, tc_ring_desc *d, uint64_t read_ns, int64_t now_s,
			 const tc_strlist *forgotten);
void tc_ring_known_dispose(tc_ring *r);

/*
 * Forgets lease if it is still ours, logging why once: locks on it are
 * lost, and the heartbeat grants another.
 */
void tc_ring_lease_lost(tc_ring *r, int64_t lease, const char *why);

/* Retries lock deletes that failed (ring_lock.c); called by the heartbeat. */
void tc_ring_retry_deletes(tc_ring *r);
/* Frees the lock bookkeeping at tc_ring_free. */
void tc_ring_locks_dispose(tc_ring *r);

#endif
