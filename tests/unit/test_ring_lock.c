/*
 * Job locks (src/ring/ring.h) over the in-memory kv store
 * (tests/ring_fixture.h): keys for any job string, one holder per job,
 * fencing when the lease expires, lost create answers, stale locks of our
 * own, deletes that fail.
 */
#include "tests/ring_fixture.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/util/timeutil.h"

/* ---- job locks ---- */

static int key_exists(tc_kv *store, const char *key)
{
	tc_kv_value v = TC_KV_VALUE_INIT;
	int rc = tc_kv_get(&v, store, key) == TC_OK && v.version > 0;

	tc_kv_value_dispose(&v);
	return rc;
}

/* Job strings of any bytes make valid, readable, distinct keys. */
static void test_lock_keys(void)
{
	tc_kv *store = NULL;
	rf_member a;
	tc_ring_job_lock *l1 = NULL, *l2 = NULL, *l3 = NULL, *l4 = NULL, *none = NULL;
	tc_strlist keys = TC_STRLIST_INIT;
	char long1[2100], long2[2100];

	CHECK_OK(tc_kv_mem_new(&store));
	rf_log_capture();
	CHECK_OK(rf_member_start(&a, store, "compactor-a", 1));
	CHECK_OK(tc_ring_lock(&l1, a.ring, "tenant_1.x*'()!-1-19000"));
	CHECK_OK(tc_ring_lock(&l2, a.ring, "a/b c%\n\xff"));
	memset(long1, 'x', 2000);
	long1[2000] = '\0';
	memcpy(long2, long1, sizeof(long1));
	long2[1999] = 'y';
	CHECK_OK(tc_ring_lock(&l3, a.ring, long1));
	CHECK_OK(tc_ring_lock(&l4, a.ring, long2));
	CHECK_ERR(tc_ring_lock(&none, a.ring, ""), TC_EINVALID);
	CHECK_OK(tc_kv_list(&keys, store, JOBS));
	CHECK_EQ_U64(keys.n, 4);
	CHECK(tc_strlist_contains(&keys, JOBS "tenant_1.x*'()!-1-19000"));
	CHECK(tc_strlist_contains(&keys, JOBS "a%2Fb%20c%25%0A%FF"));
	for (size_t i = 0; i < keys.n; i++) {
		const char *k = keys.items[i] + strlen(JOBS);
		CHECK(strlen(k) <= 400);
		if (k[0] == 'x') {
			CHECK(strlen(k) == 400 && k[383] == '~');
			CHECK(strspn(k, "x") == 383);
		}
	}
	tc_ring_unlock(l1);
	tc_ring_unlock(l2);
	tc_ring_unlock(l3);
	tc_ring_unlock(l4);
	tc_strlist_clear(&keys);
	CHECK_OK(tc_kv_list(&keys, store, JOBS));
	CHECK_EQ_U64(keys.n, 0);
	tc_strlist_dispose(&keys);
	rf_member_free(&a);
	tc_kv_free(store);
}

/*
 * One holder per job; confirm holds while the lease lives and fails once
 * it expired (keep-alives blocked); after that another member takes the
 * job, the first member's lease is replaced, its old lock stays lost, and
 * its unlock leaves the new holder's key alone.
 */
static void test_locks(void)
{
	tc_kv *store = NULL;
	rf_member a, b;
	tc_ring_job_lock *la = NULL, *lb = NULL, *lx = NULL, *l2 = NULL;
	tc_kv_value v = TC_KV_VALUE_INIT;
	const char *job = "tenant-1-19000", *key = JOBS "tenant-1-19000";
	uint64_t t0;
	int rc;

	CHECK_OK(tc_kv_mem_new(&store));
	rf_log_capture();
	CHECK_OK(rf_member_start(&a, store, "compactor-a", 1));
	CHECK_OK(rf_member_start(&b, store, "compactor-b", 2));

	CHECK_OK(tc_ring_lock(&la, a.ring, job));
	CHECK_ERR(tc_ring_lock(&lb, b.ring, job), TC_ECONFLICT);
	CHECK_ERRMSG("compactor-a");
	CHECK_ERR(tc_ring_lock(&lx, a.ring, job), TC_ECONFLICT); /* another thread of a */
	CHECK_OK(tc_ring_lock_confirm(la));
	CHECK_OK(tc_kv_get(&v, store, key));
	tc_buf_cstr(&v.data);
	CHECK(strstr((char *)v.data.ptr, "{\"instance\":\"compactor-a\",\"addr\":\"10.0.0.1:9095\","
			 "\"nonce\":\""));
	CHECK(v.lease != 0);

	/* a's keep-alives stop reaching the store: after the TTL (2 s) the lock is gone */
	t0 = tc_mono_ns();
	atomic_store(&a.kv->fail_keepalive, 1);
	while ((rc = tc_ring_lock_confirm(la)) == TC_OK) {
		CHECK_MSG(rf_since_s(t0) < 4, "confirm still OK %.1fs after keep-alives stopped",
			  rf_since_s(t0));
		rf_nap_ms(50);
	}
	CHECK(rf_since_s(t0) >= 1.5);
	CHECK_ERR(rc, TC_ERROR); /* cannot renew: not confirmed */
	while (key_exists(store, key))
		CHECK_MSG(rf_since_s(t0) < 4, "the lock outlived its lease");
	CHECK_OK(tc_ring_lock(&lb, b.ring, job));
	CHECK_OK(tc_ring_lock_confirm(lb));

	/* a's keep-alives work again: its lease is found gone and replaced */
	atomic_store(&a.kv->fail_keepalive, 0);
	for (t0 = tc_mono_ns(); tc_ring_lock(&l2, a.ring, "other-job") != TC_OK; rf_nap_ms(50))
		CHECK_MSG(rf_since_s(t0) < 3, "no new lease: %s", tc_error_last());
	CHECK_ERR(tc_ring_lock_confirm(la), TC_ECONFLICT);
	CHECK_ERRMSG("lost");
	CHECK_ERR(tc_ring_lock_confirm(la), TC_ECONFLICT);
	tc_ring_unlock(la);
	CHECK(key_exists(store, key));
	CHECK_OK(tc_ring_lock_confirm(lb));
	CHECK_EQ_U64(rf_log_count("ring lease lost", NULL), 1);
	CHECK_EQ_U64(rf_log_count("job lock lost", job), 1);

	/* b's lock goes when b stops (its lease is revoked) */
	tc_ring_unlock(l2);
	tc_ring_stop(b.ring);
	CHECK(!key_exists(store, key));
	CHECK_ERR(tc_ring_lock_confirm(lb), TC_ECONFLICT);
	tc_ring_unlock(lb);
	tc_kv_value_dispose(&v);
	rf_member_free(&a);
	rf_member_free(&b);
	tc_kv_free(store);
}

/* Creates whose answer was lost, stale locks of our own, deletes that fail. */
static void test_lock_faults(void)
{
	tc_kv *store = NULL;
	rf_member a, b;
	tc_ring_job_lock *l = NULL;
	int64_t lease, rev;
	const char *stale = "{\"instance\":\"compactor-a\",\"addr\":\"10.0.0.1:9095\","
			    "\"nonce\":\"old\",\"acquired\":\"2020-01-01T00:00:00Z\"}";
	uint64_t t0;

	CHECK_OK(tc_kv_mem_new(&store));
	rf_log_capture();
	CHECK_OK(rf_member_start(&a, store, "compactor-a", 1));
	CHECK_OK(rf_member_start(&b, store, "compactor-b", 2));

	/* the create landed but its answer was lost: the lock it made is taken back */
	atomic_store(&a.kv->create_lost, 1);
	CHECK_ERR(tc_ring_lock(&l, a.ring, "j1"), TC_ERROR);
	atomic_store(&a.kv->create_lost, 0);
	CHECK(!key_exists(store, JOBS "j1"));

	/* a lock of a's from before (a previous run, on another lease): a takes over, b may not */
	CHECK_OK(tc_kv_lease_grant(&lease, store, 60));
	CHECK_OK(tc_kv_create(&rev, store, JOBS "j2", stale, strlen(stale), lease));
	CHECK_ERR(tc_ring_lock(&l, b.ring, "j2"), TC_ECONFLICT);
	CHECK_ERRMSG("compactor-a");
	CHECK_OK(tc_ring_lock(&l, a.ring, "j2"));
	CHECK_OK(tc_ring_lock_confirm(l));
	CHECK_EQ_U64(rf_log_count("removed a stale job lock of this instance", "j2"), 1);

	/* an unlock the store does not answer is retried by the heartbeat */
	atomic_store(&a.kv->fail_delete, 1);
	tc_ring_unlock(l);
	CHECK(key_exists(store, JOBS "j2"));
	rf_nap_ms(500);
	CHECK(key_exists(store, JOBS "j2"));
	atomic_store(&a.kv->fail_delete, 0);
	for (t0 = tc_mono_ns(); key_exists(store, JOBS "j2"); rf_nap_ms(20))
		CHECK_MSG(rf_since_s(t0) < 2, "the failed delete was not retried");
	rf_member_free(&a);
	rf_member_free(&b);
	tc_kv_free(store);
}

TC_TEST_MAIN(T(test_lock_keys), T(test_locks), T(test_lock_faults))
