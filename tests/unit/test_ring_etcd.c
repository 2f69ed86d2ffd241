/*
 * The lifecycler against a real etcd (ctest's "etcd" fixture,
 * TC_ETCD_ENDPOINT): three members join and etcdctl reads a Tempo ring of
 * three ACTIVE members with 512 tokens each; job locks are etcd keys on
 * the members' leases; etcd paused (SIGSTOP, scripts/etcd.sh pause
 * TC_ETCD_DIR) for ~3 s: the members survive, ownership fails only once
 * the view is older than heartbeat_timeout, and all recovers on resume;
 * stopping leaves. Each member has its own etcd client, as separate
 * processes would, and each test its own key prefix. Pausing the shared
 * etcd makes this test RUN_SERIAL (tests/CMakeLists.txt).
 */
#include "tests/ring_fixture.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "src/util/timeutil.h"

static const char *endpoint(void)
{
	const char *e = getenv("TC_ETCD_ENDPOINT");
	return e && *e ? e : NULL;
}

/* ---- etcd paused and resumed by scripts/etcd.sh; resumed at exit whatever happens ---- */

static int paused;

static int etcd_sh(const char *cmd)
{
	const char *src = getenv("TC_SRC"), *dir = getenv("TC_ETCD_DIR");
	char line[8192];

	if (!dir || !*dir)
		return -1;
	snprintf(line, sizeof(line), "bash '%s/scripts/etcd.sh' %s '%s'",
		 src && *src ? src : ".", cmd, dir);
	return system(line);
}

static void resume_at_exit(void)
{
	if (paused)
		etcd_sh("resume");
}

static int etcd_pause(void)
{
	int rc = etcd_sh("pause");
	paused = rc == 0;
	return rc;
}

static int etcd_resume(void)
{
	int rc = etcd_sh("resume");
	if (rc == 0)
		paused = 0;
	return rc;
}

/* ---- members ---- */

typedef struct member {
	char id[64];
	char addr[64];
	tc_kv *kv;
	tc_metrics *metrics;
	tc_ring *ring;
} member;

static char prefix[128];

static void set_prefix(const char *test)
{
	snprintf(prefix, sizeof(prefix), "tc-test/ring-etcd/%d-%s/", (int)getpid(), test);
}

static int member_start(member *m, const char *id, int n)
{
	const char *eps[1] = { endpoint() };
	tc_kv_etcd_options ko = { 0 };
	tc_ring_options o = { 0 };
	int rc;

	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", id);
	snprintf(m->addr, sizeof(m->addr), "10.0.1.%d:9095", n);
	ko.endpoints = eps;
	ko.n_endpoints = 1;
	ko.dial_timeout_ns = 500 * MS;
	ko.request_timeout_ns = 1 * S;
	ko.max_retries = 2;
	if ((rc = tc_kv_etcd_new(&m->kv, &ko)) < 0 || (rc = tc_metrics_new(&m->metrics)) < 0)
		return rc;
	o.prefix = prefix;
	o.key = "compactor";
	o.instance_id = m->id;
	o.instance_addr = m->addr;
	o.heartbeat_period_ns = 500 * MS;
	o.heartbeat_timeout_ns = 2 * S;
	o.wait_stability_min_ns = 1 * S;
	o.wait_stability_max_ns = 5 * S;
	o.wait_active_instance_timeout_ns = 10 * S;
	o.max_cas_retries = 10;
	o.metrics = m->metrics;
	if ((rc = tc_ring_new(&m->ring, m->kv, &o)) < 0)
		return rc;
	return tc_ring_start(m->ring);
}

static void member_free(member *m)
{
	tc_ring_free(m->ring);
	tc_kv_free(m->kv);
	tc_metrics_free(m->metrics);
	memset(m, 0, sizeof(*m));
}

static int all_see(member *m, size_t n, double active, int timeout_ms)
{
	for (int t = 0; t < timeout_ms; t += 50) {
		size_t ok = 0;
		for (size_t i = 0; i < n; i++)
			ok += tc_metrics_get(m[i].metrics, TC_M_RING_MEMBERS, "compactor", "ACTIVE") ==
				      active &&
			      tc_metrics_get(m[i].metrics, TC_M_RING_MEMBERS, "compactor",
					     "Unhealthy") == 0;
		if (ok == n)
			return 1;
		rf_nap_ms(50);
	}
	return 0;
}

/* The bytes etcdctl prints for key (its trailing newline taken off). */
static int etcdctl_get(tc_buf *out, const char *key, const char *flags)
{
	char cmd[8192], chunk[4096];
	FILE *p;
	size_t n;

	out->len = 0;
	snprintf(cmd, sizeof(cmd), "ETCDCTL_API=3 etcdctl --endpoints=%s get '%s' %s", endpoint(),
		 key, flags);
	if (!(p = popen(cmd, "r")))
		return TC_ERROR;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		tc_buf_put(out, chunk, n);
	if (pclose(p) != 0)
		return TC_ERROR;
	if (out->len && out->ptr[out->len - 1] == '\n')
		out->len--;
	return TC_OK;
}

/* The ring as etcdctl reads it, decoded as Tempo's ring.Desc. */
static tc_ring_desc *etcdctl_ring(void)
{
	tc_buf raw = TC_BUF_INIT;
	tc_ring_desc *d = NULL;
	char key[256];

	snprintf(key, sizeof(key), "%scompactor", prefix);
	if (etcdctl_get(&raw, key, "--print-value-only") == TC_OK)
		tc_ring_desc_decode(&d, raw.ptr, raw.len, NULL);
	tc_buf_dispose(&raw);
	return d;
}

/*
 * compactor-a, -b and -c (10.0.1.1..3) under a prefix of test's own, the
 * log captured; when each is ready and all three see three ACTIVE members.
 */
static int start_three(member m[3], const char *test)
{
	static const char *const ids[] = { "compactor-a", "compactor-b", "compactor-c" };
	atomic_int stop = 0;
	int rc;

	set_prefix(test);
	rf_log_capture();
	for (int i = 0; i < 3; i++)
		if ((rc = member_start(&m[i], ids[i], i + 1)) < 0)
			return rc;
	for (int i = 0; i < 3; i++)
		if ((rc = tc_ring_wait_ready(m[i].ring, &stop)) < 0)
			return rc;
	if (!all_see(m, 3, 3, 5000)) {
		tc_error_set("the three members never all saw three ACTIVE members");
		return TC_ERROR;
	}
	return TC_OK;
}

/* ---- tests ---- */

static void etcd_endpoint_set(void)
{
	CHECK_MSG(endpoint() != NULL, "TC_ETCD_ENDPOINT is not set (run under ctest)");
	CHECK_MSG(getenv("TC_ETCD_DIR") != NULL, "TC_ETCD_DIR is not set (run under ctest)");
}

/*
 * Three members join: etcdctl reads a Tempo ring of three ACTIVE members
 * with 512 tokens each; every key has one owner; a job lock is an etcd key
 * on its holder's lease; stopping leaves the ring empty and the lock gone.
 */
static void etcd_join_lock_leave(void)
{
	member m[3];
	tc_ring_desc *d = NULL;
	tc_ring_job_lock *la = NULL, *lb = NULL;
	tc_buf out = TC_BUF_INIT;
	char key[64], lock_key[256];

	CHECK(endpoint());
	CHECK_OK(start_three(m, "join"));

	CHECK((d = etcdctl_ring()) != NULL);
	CHECK_EQ_U64(tc_ring_desc_count(d), 3);
	for (size_t i = 0; i < 3; i++) {
		tc_ring_instance inst;
		tc_ring_desc_at(&inst, d, i);
		CHECK_STR(inst.id, m[i].id);
		CHECK_STR(inst.addr, m[i].addr);
		CHECK_EQ_U64(inst.state, TC_RING_ACTIVE);
		CHECK_EQ_U64(inst.n_tokens, TC_RING_TOKENS);
		CHECK(tc_ring_instance_healthy(&inst, tc_time_now().sec, 2));
	}
	tc_ring_desc_free(d);

	for (int k = 0; k < 2000; k++) {
		int n = 0;
		snprintf(key, sizeof(key), "tenant-%d-1-%d", k % 13, 19000 + k);
		for (int i = 0; i < 3; i++)
			n += tc_ring_owns(m[i].ring, key) == 1;
		CHECK_MSG(n == 1, "key %s has %d owners", key, n);
	}

	CHECK_OK(tc_ring_lock(&la, m[0].ring, "tenant-1-19000"));
	CHECK_ERR(tc_ring_lock(&lb, m[1].ring, "tenant-1-19000"), TC_ECONFLICT);
	CHECK_OK(tc_ring_lock_confirm(la));
	snprintf(lock_key, sizeof(lock_key), "%scompactor-jobs/tenant-1-19000", prefix);
	CHECK_OK(etcdctl_get(&out, lock_key, "-w json"));
	tc_buf_cstr(&out);
	CHECK_MSG(strstr((char *)out.ptr, "\"lease\":"), "lock without a lease: %s",
		  (char *)out.ptr);
	CHECK_OK(etcdctl_get(&out, lock_key, "--print-value-only"));
	tc_buf_cstr(&out);
	CHECK(strncmp((char *)out.ptr, "{\"instance\":\"compactor-a\",", 26) == 0);

	/* a stops with the lock held: revoking its lease removes it */
	tc_ring_stop(m[0].ring);
	CHECK_OK(etcdctl_get(&out, lock_key, "--print-value-only"));
	CHECK_EQ_U64(out.len, 0);
	CHECK_ERR(tc_ring_lock_confirm(la), TC_ECONFLICT);
	tc_ring_unlock(la);
	CHECK_OK(tc_ring_lock(&lb, m[1].ring, "tenant-1-19000"));
	tc_ring_unlock(lb);
	CHECK(all_see(&m[1], 2, 2, 5000));
	member_free(&m[1]);
	member_free(&m[2]);
	CHECK((d = etcdctl_ring()) != NULL);
	CHECK_EQ_U64(tc_ring_desc_count(d), 0);
	tc_ring_desc_free(d);
	CHECK_EQ_U64(rf_log_count("msg=\"left the ring\"", NULL), 3);
	member_free(&m[0]);
	tc_buf_dispose(&out);
}

/*
 * etcd paused for ~3 s: the members stay up; a member's ownership answers
 * hold until its view is older than heartbeat_timeout (2 s), then fail (no
 * new job starts); a lock is not confirmed while etcd is silent; after
 * resume everything recovers, each member logged the outage once, and
 * stopping leaves the ring.
 */
static void etcd_pause_resume(void)
{
	member m[3];
	tc_ring_desc *d = NULL;
	tc_ring_job_lock *la = NULL, *l2 = NULL;
	uint64_t t0;
	double first_err[3] = { -1, -1, -1 }, confirm_failed = -1;
	int ok_during_pause = 0, paused_ok;

	CHECK(endpoint());
	CHECK_OK(start_three(m, "pause"));
	CHECK_OK(tc_ring_lock(&la, m[0].ring, "tenant-2-19000"));

	/* No CHECK returns while paused: etcd is resumed before anything is judged. */
	paused_ok = etcd_pause() == 0;
	t0 = tc_mono_ns();
	while (paused_ok && rf_since_s(t0) < 3.2) {
		for (int i = 0; i < 3; i++) {
			int rc = tc_ring_owns(m[i].ring, "tenant-3-19000");
			if (rc < 0 && first_err[i] < 0)
				first_err[i] = rf_since_s(t0);
			if (rc >= 0 && first_err[i] >= 0)
				first_err[i] = 1e9; /* answered again while still paused */
			ok_during_pause += rc >= 0;
		}
		if (confirm_failed < 0 && rf_since_s(t0) > 1.6 && tc_ring_lock_confirm(la) != TC_OK)
			confirm_failed = rf_since_s(t0);
		rf_nap_ms(50);
	}
	CHECK_MSG(etcd_resume() == 0 && paused_ok, "scripts/etcd.sh pause/resume failed");
	for (int i = 0; i < 3; i++)
		CHECK_MSG(first_err[i] >= 1.4 && first_err[i] < 3.2,
			  "member %d: owns failed %.2fs into the pause", i, first_err[i]);
	CHECK(ok_during_pause > 0);
	CHECK_MSG(confirm_failed > 0, "the lock was confirmed all through the pause");

	/* back: ownership answers, all three ACTIVE and healthy everywhere */
	t0 = tc_mono_ns();
	for (int i = 0; i < 3; i++)
		while (tc_ring_owns(m[i].ring, "tenant-3-19000") < 0)
			CHECK_MSG(rf_since_s(t0) < 5, "member %d: %s", i, tc_error_last());
	CHECK(all_see(m, 3, 3, 8000));
	while (rf_log_count("kv store reachable again", NULL) < 3)
		CHECK_MSG(rf_since_s(t0) < 8, "not every member saw etcd back");
	CHECK_EQ_U64(rf_log_count("kv store unreachable", NULL), 3);
	CHECK((d = etcdctl_ring()) != NULL);
	CHECK_EQ_U64(tc_ring_desc_count(d), 3);
	tc_ring_desc_free(d);
	/* locks work again (on a new lease if the old one expired during the pause) */
	while (tc_ring_lock(&l2, m[0].ring, "tenant-4-19000") != TC_OK)
		CHECK_MSG(rf_since_s(t0) < 8, "no lock after resume: %s", tc_error_last());
	CHECK_OK(tc_ring_lock_confirm(l2));
	tc_ring_unlock(l2);
	tc_ring_unlock(la);

	for (int i = 0; i < 3; i++)
		member_free(&m[i]);
	CHECK((d = etcdctl_ring()) != NULL);
	CHECK_EQ_U64(tc_ring_desc_count(d), 0);
	tc_ring_desc_free(d);
}

int main(int argc, char **argv)
{
	static const tc_test_case cases[] = { T(etcd_endpoint_set), T(etcd_join_lock_leave),
					      T(etcd_pause_resume) };

	atexit(resume_at_exit);
	return tc_test_run(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
