/*
 * Shared by the ring's unit tests (test_ring, test_ring_lock,
 * test_ring_status): members of one ring over the in-memory kv store, each
 * behind a decorator (src/ring/kv_impl.h) that fails on demand, with short
 * periods (heartbeat 200 ms, timeout 2 s), and the log captured to a file.
 * test_service_ring uses the decorator, test_ring_etcd the time and log
 * helpers.
 */
#ifndef TC_TESTS_RING_FIXTURE_H
#define TC_TESTS_RING_FIXTURE_H

#include <pthread.h>
#include <stdatomic.h>

#include "src/metrics/metrics.h"
#include "src/ring/desc.h"
#include "src/ring/kv_impl.h"
#include "src/ring/ring.h"
#include "tests/test.h"

#define MS 1000000LL
#define S 1000000000LL
#define RING_KEY "t/compactor"
#define JOBS "t/compactor-jobs/"

/* A kv decorator: faults switched on and off by the test, the ring values written. */
typedef struct rf_deco {
	tc_kv base;
	tc_kv *inner;
	atomic_int fail;           /* every call: TC_ERROR, as an unreachable store */
	atomic_int fail_keepalive; /* lease keep-alives only */
	atomic_int fail_delete;    /* deletes only */
	atomic_int fail_create;    /* creates only (job locks cannot be taken) */
	atomic_int create_lost;    /* creates apply, then answer TC_ERROR (a lost answer) */
	atomic_int delay_ms;       /* every call waits this long first (a store that hangs) */
	pthread_mutex_t mu;
	tc_buf writes[64];         /* the last values CAS'd to RING_KEY */
	size_t n_writes;
} rf_deco;

/* A decorator in front of inner (not owned: free it after the decorator); NULL if out of memory. */
rf_deco *rf_deco_new(tc_kv *inner);
/* The i-th last ring value d wrote (0: the last), or NULL. */
const tc_buf *rf_deco_write(rf_deco *d, size_t i);

typedef struct rf_member {
	char id[128];
	char addr[128];
	rf_deco *kv;
	tc_metrics *metrics;
	tc_ring *ring;
} rf_member;

/*
 * Prefix "t/", key "compactor", heartbeat 200 ms, timeout 2 s, no stability
 * wait; m's ID, address and metrics (m may be NULL: rf_member_new fills them in).
 */
void rf_opts(tc_ring_options *o, rf_member *m);
/* A member named id at addr 10.0.0.<n>:9095, not started; o (may be NULL) from opts. */
int rf_member_new(rf_member *m, tc_kv *store, const char *id, int n, tc_ring_options *o);
/* rf_member_new, then tc_ring_start. */
int rf_member_start_with(rf_member *m, tc_kv *store, const char *id, int n, tc_ring_options *o);
int rf_member_start(rf_member *m, tc_kv *store, const char *id, int n);
void rf_member_free(rf_member *m);

void rf_nap_ms(int ms);
double rf_since_s(uint64_t t0);
/* The stored ring, decoded (NULL on failure). */
tc_ring_desc *rf_stored(tc_kv *store);
/* The member's cortex_ring_members{state}. */
double rf_members(rf_member *m, const char *state);
/* Polls until the member's gauges read active ACTIVE and unhealthy Unhealthy. */
int rf_wait_members(rf_member *m, double active, double unhealthy, int timeout_ms);
void rf_key_name(char *out, size_t n, int i);

/* Sends the log to a fresh file. */
void rf_log_capture(void);
/* Lines of the captured log containing needle (and also, if not NULL). */
int rf_log_count(const char *needle, const char *also);
/*
 * Polls until rf_log_count(needle, also) reaches n (another member's
 * heartbeat writes its line on its own schedule); returns the last count.
 */
int rf_wait_log(const char *needle, const char *also, int n, int timeout_ms);

#endif
