/*
 * The etcd kv store against a real etcd (Debian's etcd-server): the
 * conformance suite of tests/kv_suite.c, then what only a networked store
 * has — values other etcd clients read and write, an endpoint that refuses
 * connections, an etcd that stops answering (SIGSTOP) and one that
 * restarts, failing over to a second endpoint, answers lost after etcd
 * applied the request and 5xx answers (tests/integration/faultproxy.py
 * between us and etcd), auth with expiring tokens, and TLS with client
 * certificates.
 *
 * The shared etcd comes from the environment (ctest's "etcd" fixture):
 * TC_ETCD_ENDPOINT ("127.0.0.1:17380", required: without it every test
 * fails); each test writes under a key prefix of its own. Instances this
 * program pauses, restarts or runs with auth or TLS are its own, started
 * with scripts/etcd.sh on TC_ETCD_PRIVATE_PORT (and +1 for the peer port);
 * TC_ETCD_PRIVATE_PORT+7 is a port where nothing listens.
 */
#include "tests/test.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/ring/kv.h"
#include "src/util/log.h"
#include "src/util/timeutil.h"
#include "tests/kv_suite.h"

#define ENV_PREFIX "tc-test/kv-etcd/"

static const char *shared_endpoint(void)
{
	const char *e = getenv("TC_ETCD_ENDPOINT");
	return e && *e ? e : NULL;
}

static int private_port(void)
{
	const char *p = getenv("TC_ETCD_PRIVATE_PORT");
	return p && *p ? atoi(p) : 0;
}

static const char *src_path(char *out, size_t outsz, const char *rel)
{
	const char *src = getenv("TC_SRC");
	snprintf(out, outsz, "%s/%s", src && *src ? src : ".", rel);
	return out;
}

/* Runs argv (NULL-terminated) as a child of this process; its exit status. */
static int run(char *const argv[])
{
	pid_t pid = fork();
	int st = 0;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- the private instance ---- */

static char priv_dir[4096];
static int priv_running;

static int etcd_sh(const char *cmd, const char *const *more)
{
	char script[4096];
	char *argv[16];
	int n = 0;

	argv[n++] = "bash";
	argv[n++] = (char *)src_path(script, sizeof(script), "scripts/etcd.sh");
	argv[n++] = (char *)cmd;
	argv[n++] = priv_dir;
	for (; more && *more && n < 15; more++)
		argv[n++] = (char *)*more;
	argv[n] = NULL;
	return run(argv);
}

static void priv_stop(void)
{
	if (priv_running && etcd_sh("stop", NULL) == 0)
		priv_running = 0;
}

/* Starts the private etcd with the extra scripts/etcd.sh arguments in more. */
static int priv_start(const char *const *more)
{
	static int registered;
	char port[16];
	const char *args[12] = { port, "--stop-with-parent" };
	int n = 2;

	if (!private_port()) {
		tc_error_set("TC_ETCD_PRIVATE_PORT is not set (run through ctest)");
		return TC_ERROR;
	}
	if (!registered) {
		atexit(priv_stop); /* before the harness removes the temporary directories */
		registered = 1;
	}
	priv_stop();
	snprintf(priv_dir, sizeof(priv_dir), "%s/etcd", tc_test_tmpdir());
	snprintf(port, sizeof(port), "%d", private_port());
	for (; more && *more && n < 11; more++)
		args[n++] = *more;
	args[n] = NULL;
	if (etcd_sh("start", args) != 0) {
		tc_error_set("scripts/etcd.sh start %s %s failed", priv_dir, port);
		return TC_ERROR;
	}
	priv_running = 1;
	return TC_OK;
}

static const char *priv_endpoint(void)
{
	static char ep[64];
	snprintf(ep, sizeof(ep), "127.0.0.1:%d", private_port());
	return ep;
}

static const char *dead_endpoint(void)
{
	static char ep[64];
	snprintf(ep, sizeof(ep), "127.0.0.1:%d", private_port() + 7);
	return ep;
}

/* ---- clients ---- */

static tc_kv_etcd_options opts(const char *const *eps, size_t n)
{
	tc_kv_etcd_options o;

	memset(&o, 0, sizeof(o));
	o.endpoints = eps;
	o.n_endpoints = n;
	o.dial_timeout_ns = 1000000000LL;
	o.request_timeout_ns = 0; /* 2 x dial */
	o.max_retries = 10;
	return o;
}

static int64_t ms_since(uint64_t t0)
{
	return (int64_t)((tc_mono_ns() - t0) / 1000000);
}

static void key_for(char out[TC_KV_SUITE_KEY_MAX], const char *check, const char *name)
{
	tc_kv_suite_fx f;
	tc_kv_suite_prefix(&f, ENV_PREFIX, check);
	tc_kv_suite_key(out, &f, name);
}

/* ---- conformance ---- */

static int fx_etcd(tc_kv_suite_fx *f, const char *check)
{
	static const char *eps[1];
	tc_kv_etcd_options o;

	memset(f, 0, sizeof(*f));
	tc_kv_suite_prefix(f, ENV_PREFIX, check);
	f->threads = 4;
	f->increments = 25;
	if (!(eps[0] = shared_endpoint())) {
		tc_error_set("TC_ETCD_ENDPOINT is not set (run through ctest, fixture \"etcd\")");
		return TC_ERROR;
	}
	o = opts(eps, 1);
	return tc_kv_etcd_new(&f->kv, &o);
}

#define CONFORM(name)                                                              \
	static void etcd_##name(void)                                              \
	{                                                                          \
		tc_kv_suite_fx f;                                                  \
		char want[128];                                                    \
		int r = fx_etcd(&f, #name);                                        \
		CHECK_MSG(r == 0, "etcd_new: %s", tc_error_last());                \
		snprintf(want, sizeof(want), "etcd %s", shared_endpoint());        \
		CHECK_STR(tc_kv_name(f.kv), want);                                 \
		tc_kv_suite_##name(&f);                                            \
		tc_kv_free(f.kv);                                                  \
	}

TC_KV_SUITE_CHECKS(CONFORM)

/* ---- etcd only ---- */

/* Our keys and values are etcd's: etcdctl reads what we write and we read what it writes. */
static void etcd_etcdctl_interop(void)
{
	tc_kv_suite_fx f;
	char k[TC_KV_SUITE_KEY_MAX], k2[TC_KV_SUITE_KEY_MAX], s[4096], cmd[8192];
	int64_t ver = 0;
	FILE *p;
	size_t n;

	CHECK_OK(fx_etcd(&f, "interop"));
	tc_kv_suite_key(k, &f, "ours");
	tc_kv_suite_key(k2, &f, "theirs");
	CHECK_OK(tc_kv_cas(f.kv, k, 0, "hello, etcd", 11));
	snprintf(cmd, sizeof(cmd),
		 "ETCDCTL_API=3 etcdctl --endpoints=%s get '%s' --print-value-only 2>&1",
		 shared_endpoint(), k);
	CHECK((p = popen(cmd, "r")) != NULL);
	n = fread(s, 1, sizeof(s) - 1, p);
	s[n] = '\0';
	CHECK(pclose(p) == 0);
	CHECK_STR(s, "hello, etcd\n");
	snprintf(cmd, sizeof(cmd), "ETCDCTL_API=3 etcdctl --endpoints=%s put '%s' 'from etcdctl' "
		 ">/dev/null", shared_endpoint(), k2);
	CHECK(system(cmd) == 0);
	CHECK_OK(tc_kv_suite_get_str(s, &ver, f.kv, k2));
	CHECK_STR(s, "from etcdctl");
	CHECK_EQ_U64(ver, 1);
	/* etcdctl's put bumped the version: our CAS on the old one loses */
	CHECK_ERR(tc_kv_cas(f.kv, k2, 0, "x", 1), TC_ECONFLICT);
	CHECK_OK(tc_kv_cas(f.kv, k2, 1, "x", 1));
	tc_kv_free(f.kv);
}

/* Nothing listens: TC_ERROR soon, naming the endpoint, the operation and the key. */
static void etcd_unreachable(void)
{
	const char *eps[1] = { dead_endpoint() };
	tc_kv_etcd_options o = opts(eps, 1);
	tc_kv *kv = NULL;
	tc_kv_value v = TC_KV_VALUE_INIT;
	char k[TC_KV_SUITE_KEY_MAX], want[1024];
	uint64_t t0;

	CHECK(private_port() > 0);
	o.dial_timeout_ns = 200000000LL;
	o.max_retries = 2;
	CHECK_OK(tc_kv_etcd_new(&kv, &o)); /* lazy: no connection yet */
	key_for(k, "unreachable", "collectors/compactor");
	t0 = tc_mono_ns();
	CHECK_ERR(tc_kv_get(&v, kv, k), TC_ERROR);
	CHECK_MSG(ms_since(t0) < 5000, "took %lld ms", (long long)ms_since(t0));
	snprintf(want, sizeof(want), "etcd %s: range %s: ", dead_endpoint(), k);
	CHECK_ERRMSG(want);
	CHECK_ERRMSG("3 attempts");
	CHECK_ERR(tc_kv_cas(kv, k, 0, "x", 1), TC_ERROR);
	snprintf(want, sizeof(want), "etcd %s: txn %s: ", dead_endpoint(), k);
	CHECK_ERRMSG(want);
	CHECK_ERR(tc_kv_lease_keepalive(NULL, kv, 1234), TC_ERROR);
	CHECK_ERRMSG("lease keepalive 1234");
	tc_kv_free(kv);
}

/* The first endpoint refuses connections: the second one serves the call. */
static void etcd_second_endpoint(void)
{
	const char *eps[2] = { dead_endpoint(), shared_endpoint() };
	tc_kv_etcd_options o = opts(eps, 2);
	tc_kv *kv = NULL;
	char k[TC_KV_SUITE_KEY_MAX], want[1024], s[4096];

	CHECK(eps[1] != NULL && private_port() > 0);
	o.max_retries = 0; /* still one attempt per endpoint */
	CHECK_OK(tc_kv_etcd_new(&kv, &o));
	snprintf(want, sizeof(want), "etcd %s,%s", eps[0], eps[1]);
	CHECK_STR(tc_kv_name(kv), want);
	key_for(k, "second", "k");
	CHECK_OK(tc_kv_cas(kv, k, 0, "v", 1));
	CHECK_OK(tc_kv_suite_get_str(s, NULL, kv, k));
	CHECK_STR(s, "v");
	tc_kv_free(kv);
}

/*
 * A stopped etcd accepts connections (the kernel does) and answers
 * nothing: calls fail within the request timeout instead of hanging, a
 * second endpoint takes over, and the first works again once resumed.
 */
static void etcd_paused(void)
{
	const char *one[1] = { priv_endpoint() };
	const char *two[2] = { priv_endpoint(), shared_endpoint() };
	tc_kv_etcd_options o1 = opts(one, 1), o2 = opts(two, 2);
	tc_kv *kv = NULL, *kv2 = NULL;
	char k[TC_KV_SUITE_KEY_MAX], want[1024], s[4096];
	int64_t ver = 0;
	uint64_t t0;
	int r;

	CHECK(two[1] != NULL);
	CHECK_OK(priv_start(NULL));
	o1.dial_timeout_ns = o2.dial_timeout_ns = 300000000LL;
	o1.request_timeout_ns = o2.request_timeout_ns = 800000000LL;
	CHECK_OK(tc_kv_etcd_new(&kv, &o1));
	CHECK_OK(tc_kv_etcd_new(&kv2, &o2));
	key_for(k, "paused", "collectors/compactor");
	CHECK_OK(tc_kv_cas(kv, k, 0, "before", 6));
	CHECK(etcd_sh("pause", NULL) == 0);

	t0 = tc_mono_ns();
	CHECK_ERR(tc_kv_get(&(tc_kv_value)TC_KV_VALUE_INIT, kv, k), TC_ERROR);
	CHECK_MSG(ms_since(t0) < 5000, "get took %lld ms", (long long)ms_since(t0));
	snprintf(want, sizeof(want), "etcd %s: range %s: ", priv_endpoint(), k);
	CHECK_ERRMSG(want);
	CHECK_ERRMSG("Timeout");
	t0 = tc_mono_ns();
	CHECK_ERR(tc_kv_cas(kv, k, 1, "during", 6), TC_ERROR);
	CHECK_MSG(ms_since(t0) < 5000, "cas took %lld ms", (long long)ms_since(t0));
	/* the shared etcd answers for the stopped one */
	t0 = tc_mono_ns();
	CHECK_OK(tc_kv_suite_get_str(s, &ver, kv2, k));
	CHECK_MSG(ms_since(t0) < 5000, "failover took %lld ms", (long long)ms_since(t0));
	CHECK_EQ_U64(ver, 0); /* another cluster: the key is not there */
	CHECK_OK(tc_kv_cas(kv2, k, 0, "elsewhere", 9));

	CHECK(etcd_sh("resume", NULL) == 0);
	CHECK_OK(tc_kv_suite_get_str(s, &ver, kv, k));
	/*
	 * The timed-out CAS sat in the socket while etcd was stopped and may have
	 * been applied after all: a TC_ERROR write has an unknown outcome (kv.h).
	 */
	CHECK_MSG((ver == 1 && !strcmp(s, "before")) || (ver == 2 && !strcmp(s, "during")),
		  "version %lld \"%s\"", (long long)ver, s);
	/*
	 * ... and may still be on its way in after the read above: then this
	 * write conflicts with it, and the key holds the CAS's value.
	 */
	r = tc_kv_cas(kv, k, ver, "after", 5);
	if (r == TC_ECONFLICT && ver == 1) {
		CHECK_OK(tc_kv_suite_get_str(s, &ver, kv, k));
		CHECK_MSG(ver == 2 && !strcmp(s, "during"), "version %lld \"%s\"", (long long)ver, s);
		r = tc_kv_cas(kv, k, ver, "after", 5);
	}
	CHECK_OK(r);
	CHECK_ERR(tc_kv_cas(kv, k, ver, "stale", 5), TC_ECONFLICT);
	CHECK_OK(tc_kv_suite_get_str(s, &ver, kv, k));
	CHECK_STR(s, "after");
	tc_kv_free(kv);
	tc_kv_free(kv2);
	priv_stop();
}

/* A restarted etcd keeps its data and the same client carries on. */
static void etcd_restarted(void)
{
	const char *one[1] = { priv_endpoint() };
	tc_kv_etcd_options o = opts(one, 1);
	tc_kv *kv = NULL;
	char k[TC_KV_SUITE_KEY_MAX], s[4096];
	int64_t ver = 0;

	CHECK_OK(priv_start(NULL));
	CHECK_OK(tc_kv_etcd_new(&kv, &o));
	key_for(k, "restarted", "collectors/compactor");
	CHECK_OK(tc_kv_cas(kv, k, 0, "v1", 2));
	CHECK(etcd_sh("restart", NULL) == 0);
	CHECK_OK(tc_kv_suite_get_str(s, &ver, kv, k));
	CHECK_STR(s, "v1");
	CHECK_OK(tc_kv_cas(kv, k, 1, "v2", 2));
	tc_kv_free(kv);
	priv_stop();
}

/* ---- faults between us and etcd (faultproxy.py) ---- */

typedef struct proxy {
	pid_t pid;
	char endpoint[64];
} proxy;

/* Starts faultproxy.py in front of upstream, injecting kinds at rate 1 until max faults. */
static int proxy_start(proxy *px, const char *upstream, const char *kinds, int max)
{
	char script[4096], portf[4200], ctl[4200], maxs[16];
	const char *tmp = tc_test_tmpdir();
	tc_buf b = TC_BUF_INIT;
	uint64_t t0;

	snprintf(portf, sizeof(portf), "%s/port", tmp);
	snprintf(ctl, sizeof(ctl), "%s/rate", tmp);
	snprintf(maxs, sizeof(maxs), "%d", max);
	if (tc_test_write_file(ctl, "1.0", 3) < 0)
		return TC_ERROR;
	src_path(script, sizeof(script), "tests/integration/faultproxy.py");
	px->pid = fork();
	if (px->pid < 0)
		return TC_ERROR;
	if (px->pid == 0) {
		execlp("python3", "python3", script, "--listen-port-file", portf, "--upstream",
		       upstream, "--control", ctl, "--faults", kinds, "--max-faults", maxs,
		       (char *)NULL);
		_exit(127);
	}
	for (t0 = tc_mono_ns(); tc_mono_ns() - t0 < 10000000000ULL; tc_kv_suite_sleep_ms(50)) {
		b.len = 0;
		if (tc_test_read_file(&b, portf) == 0 && b.len > 0 && b.ptr[b.len - 1] != '\n') {
			snprintf(px->endpoint, sizeof(px->endpoint), "127.0.0.1:%.*s", (int)b.len,
				 (const char *)b.ptr);
			tc_buf_dispose(&b);
			return TC_OK;
		}
	}
	tc_buf_dispose(&b);
	kill(px->pid, SIGTERM);
	waitpid(px->pid, NULL, 0);
	tc_error_set("faultproxy.py did not start");
	return TC_ERROR;
}

static void proxy_stop(proxy *px)
{
	if (px->pid > 0) {
		kill(px->pid, SIGTERM);
		waitpid(px->pid, NULL, 0);
		px->pid = 0;
	}
}

/* A client of the shared etcd through a fresh proxy that loses its first answer. */
typedef struct lossy {
	proxy px;
	tc_kv *kv;
	const char *eps[1];
} lossy;

static int lossy_open(lossy *l, const char *kinds, int max, uint32_t max_retries)
{
	tc_kv_etcd_options o;
	int err;

	memset(l, 0, sizeof(*l));
	if ((err = proxy_start(&l->px, shared_endpoint(), kinds, max)) < 0)
		return err;
	l->eps[0] = l->px.endpoint;
	o = opts(l->eps, 1);
	o.max_retries = max_retries;
	return tc_kv_etcd_new(&l->kv, &o);
}

static void lossy_close(lossy *l)
{
	tc_kv_free(l->kv);
	l->kv = NULL;
	proxy_stop(&l->px);
}

/*
 * etcd applied the write but its answer was lost: the retry's compare
 * fails, yet the key holds exactly what this call wrote, so the call
 * succeeded. Otherwise a ring update would be reported lost and a lock we
 * hold would look taken by someone else.
 */
static void etcd_lost_answers(void)
{
	tc_kv_suite_fx f;
	tc_kv_value v = TC_KV_VALUE_INIT;
	char k[TC_KV_SUITE_KEY_MAX], k2[TC_KV_SUITE_KEY_MAX], k3[TC_KV_SUITE_KEY_MAX];
	int64_t rev = 0, rev3 = 0, lease = 0;
	lossy l = { 0 };
	int err;

	CHECK_OK(fx_etcd(&f, "lost")); /* f.kv: the direct client, to look */
	tc_kv_suite_key(k, &f, "collectors/compactor");
	tc_kv_suite_key(k2, &f, "collectors/compactor-jobs/t-1-2");
	tc_kv_suite_key(k3, &f, "collectors/compactor-jobs/taken");

	CHECK_OK(lossy_open(&l, "lost", 1, 3));
	err = tc_kv_cas(l.kv, k, 0, "ring v1", 7);
	lossy_close(&l);
	CHECK_OK(err);
	CHECK_OK(lossy_open(&l, "lost", 1, 3));
	err = tc_kv_cas(l.kv, k, 1, "ring v2", 7);
	lossy_close(&l);
	CHECK_OK(err);
	CHECK_OK(tc_kv_get(&v, f.kv, k));
	CHECK_EQ_U64(v.version, 2); /* each applied once */
	CHECK(v.data.len == 7 && memcmp(v.data.ptr, "ring v2", 7) == 0);

	CHECK_OK(tc_kv_lease_grant(&lease, f.kv, 60));
	CHECK_OK(lossy_open(&l, "lost", 1, 3));
	err = tc_kv_create(&rev, l.kv, k2, "replica-a/1", 11, lease);
	lossy_close(&l);
	CHECK_OK(err);
	CHECK_OK(tc_kv_get(&v, f.kv, k2));
	CHECK_EQ_U64(v.create_revision, rev);
	CHECK_EQ_U64(v.lease, lease);

	/* someone else's lock stays someone else's, lost answer or not */
	CHECK_OK(tc_kv_create(&rev3, f.kv, k3, "replica-b/7", 11, lease));
	CHECK_OK(lossy_open(&l, "lost", 1, 3));
	err = tc_kv_create(&rev, l.kv, k3, "replica-a/1", 11, lease);
	lossy_close(&l);
	CHECK_ERR(err, TC_ECONFLICT);
	CHECK_OK(lossy_open(&l, "lost", 1, 3));
	err = tc_kv_cas(l.kv, k, 1, "stale", 5);
	lossy_close(&l);
	CHECK_ERR(err, TC_ECONFLICT);

	/* a delete or revoke whose answer was lost finds nothing left to do */
	CHECK_OK(lossy_open(&l, "lost", 1, 3));
	err = tc_kv_delete(l.kv, k2, v.create_revision);
	lossy_close(&l);
	CHECK_OK(err);
	CHECK_OK(tc_kv_get(&v, f.kv, k2));
	CHECK_EQ_U64(v.version, 0);
	CHECK_OK(lossy_open(&l, "lost", 1, 3));
	err = tc_kv_lease_revoke(l.kv, lease);
	lossy_close(&l);
	CHECK_OK(err);
	CHECK_ERR(tc_kv_lease_keepalive(NULL, f.kv, lease), TC_ENOTFOUND);
	CHECK_OK(tc_kv_get(&v, f.kv, k3)); /* the revoked lease took its keys */
	CHECK_EQ_U64(v.version, 0);
	tc_kv_value_dispose(&v);
	tc_kv_free(f.kv);
}

/* 5xx answers are retried; when they outlast the retries, the last one is the message. */
static void etcd_5xx_retried(void)
{
	tc_kv_value v = TC_KV_VALUE_INIT;
	char k[TC_KV_SUITE_KEY_MAX], want[1024];
	lossy l = { 0 };
	int err;

	CHECK(shared_endpoint() != NULL);
	key_for(k, "5xx", "k");
	CHECK_OK(lossy_open(&l, "error500", 2, 3));
	err = tc_kv_cas(l.kv, k, 0, "v", 1);
	if (err == TC_OK)
		err = tc_kv_get(&v, l.kv, k);
	lossy_close(&l);
	CHECK_OK(err);
	CHECK_EQ_U64(v.version, 1);
	CHECK_OK(lossy_open(&l, "error500", 100, 1));
	err = tc_kv_get(&v, l.kv, k);
	snprintf(want, sizeof(want), "etcd %s: range %s: HTTP 500", l.px.endpoint, k);
	lossy_close(&l);
	CHECK_ERR(err, TC_ERROR);
	CHECK_ERRMSG(want);
	CHECK_ERRMSG("InternalError");
	CHECK_ERRMSG("(2 attempts on 1 endpoint)");
	CHECK_EQ_U64(v.version, 0);
	tc_kv_value_dispose(&v);
}

/* ---- auth ---- */

#define PASSWORD "tc-Secret-pw-42"

static int etcdctl(const char *args)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "ETCDCTL_API=3 etcdctl --endpoints=%s %s >/dev/null 2>&1",
		 priv_endpoint(), args);
	return system(cmd);
}

static int log_has(const char *path, const char *needle)
{
	tc_buf b = TC_BUF_INIT;
	int has = tc_test_read_file(&b, path) == 0 && tc_buf_cstr(&b) == 0 && b.len &&
		  strstr((const char *)b.ptr, needle) != NULL;
	tc_buf_dispose(&b);
	return has;
}

/*
 * etcd with auth on and tokens that live 1 s: a token per endpoint, renewed
 * when etcd says it is invalid; etcd's refusals reach the caller; the
 * password appears in no message and no log line.
 */
static void etcd_auth(void)
{
	static const char *const more[] = { "--", "--auth-token-ttl", "1", NULL };
	const char *one[1] = { priv_endpoint() };
	tc_kv_etcd_options o = opts(one, 1);
	tc_kv *kv = NULL;
	char k[TC_KV_SUITE_KEY_MAX], s[4096], logf[4200], want[256];
	int64_t ver = 0;
	int fd;

	CHECK_OK(priv_start(more));
	CHECK(etcdctl("user add root --new-user-password=" PASSWORD) == 0);
	CHECK(etcdctl("auth enable") == 0);
	snprintf(logf, sizeof(logf), "%s/log", tc_test_tmpdir());
	CHECK((fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	tc_log_set_fd(fd);
	tc_log_set_level(TC_LOG_DEBUG);
	key_for(k, "auth", "collectors/compactor");

	/* no credentials */
	CHECK_OK(tc_kv_etcd_new(&kv, &o));
	CHECK_ERR(tc_kv_cas(kv, k, 0, "x", 1), TC_ERROR);
	CHECK_ERRMSG("user name is empty");
	tc_kv_free(kv);
	/* a wrong password: etcd's answer, not retried, and not the password */
	o.username = "root";
	o.password = "wrong-" PASSWORD;
	CHECK_OK(tc_kv_etcd_new(&kv, &o));
	CHECK_ERR(tc_kv_cas(kv, k, 0, "x", 1), TC_ERROR);
	snprintf(want, sizeof(want), "etcd %s: authenticate as root: ", priv_endpoint());
	CHECK_ERRMSG(want);
	CHECK_ERRMSG("authentication failed");
	CHECK(strstr(tc_error_last(), PASSWORD) == NULL);
	tc_kv_free(kv);
	/* the right one */
	o.password = PASSWORD;
	CHECK_OK(tc_kv_etcd_new(&kv, &o));
	CHECK_OK(tc_kv_cas(kv, k, 0, "v1", 2));
	CHECK_OK(tc_kv_suite_get_str(s, &ver, kv, k));
	CHECK_STR(s, "v1");
	/* let the 1 s token expire (a fixed sleep: two TTLs must pass): renewed, not an error */
	tc_kv_suite_sleep_ms(2500);
	CHECK_OK(tc_kv_cas(kv, k, 1, "v2", 2));
	CHECK(log_has(logf, "refused the auth token"));
	CHECK_OK(tc_kv_suite_get_str(s, &ver, kv, k));
	CHECK_STR(s, "v2");
	tc_kv_free(kv);

	tc_log_set_level(TC_LOG_INFO);
	tc_log_set_fd(2);
	close(fd);
	CHECK(!log_has(logf, PASSWORD));
	priv_stop();
}

/* ---- TLS ---- */

static int make_certs(const char *dir)
{
	char cmd[8192];
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd '%s'; exec >openssl.log 2>&1\n"
		 "ec='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'\n"
		 "openssl req -x509 $ec -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=tc-test-ca\n"
		 "for n in server client; do\n"
		 "  openssl req $ec -keyout $n-key.pem -out $n.csr -subj /CN=127.0.0.1\n"
		 "  printf 'subjectAltName=IP:127.0.0.1\\n' >$n.ext\n"
		 "  printf 'extendedKeyUsage=serverAuth,clientAuth\\n' >>$n.ext\n"
		 "  openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \\\n"
		 "    -out $n.pem -days 2 -extfile $n.ext\n"
		 "done\n",
		 dir);
	return system(cmd);
}

/* https with a client certificate: what works, and what is refused with a reason. */
static void etcd_tls(void)
{
	const char *one[1] = { priv_endpoint() };
	tc_kv_etcd_options o = opts(one, 1);
	tc_kv *kv = NULL;
	char dir[4096], ca[4200], cert[4200], key[4200], k[TC_KV_SUITE_KEY_MAX], s[4096];
	char want[1024];
	const char *more[3] = { "--tls", dir, NULL };

	snprintf(dir, sizeof(dir), "%s", tc_test_tmpdir());
	CHECK_MSG(make_certs(dir) == 0, "openssl failed: see %s/openssl.log", dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/client.pem", dir);
	snprintf(key, sizeof(key), "%s/client-key.pem", dir);
	CHECK_OK(priv_start(more));
	key_for(k, "tls", "collectors/compactor");
	o.max_retries = 1;
	o.tls_enabled = 1;
	o.tls_ca_path = ca;
	o.tls_cert_path = cert;
	o.tls_key_path = key;
	CHECK_OK(tc_kv_etcd_new(&kv, &o));
	CHECK_OK(tc_kv_cas(kv, k, 0, "secure", 6));
	CHECK_OK(tc_kv_suite_get_str(s, NULL, kv, k));
	CHECK_STR(s, "secure");
	tc_kv_free(kv);
	/* an explicit https:// works without tls_enabled too */
	{
		char url[128];
		const char *eps[1] = { url };
		tc_kv_etcd_options o2 = o;
		snprintf(url, sizeof(url), "https://%s/", priv_endpoint());
		o2.endpoints = eps;
		o2.tls_enabled = 0;
		CHECK_OK(tc_kv_etcd_new(&kv, &o2));
		CHECK_OK(tc_kv_suite_get_str(s, NULL, kv, k));
		CHECK_STR(s, "secure");
		tc_kv_free(kv);
	}
	/* the server's certificate is not signed by a CA we trust */
	o.tls_ca_path = NULL;
	CHECK_OK(tc_kv_etcd_new(&kv, &o));
	CHECK_ERR(tc_kv_get(&(tc_kv_value)TC_KV_VALUE_INIT, kv, k), TC_ERROR);
	snprintf(want, sizeof(want), "etcd %s: range %s: ", priv_endpoint(), k);
	CHECK_ERRMSG(want);
	CHECK_ERRMSG("certificate");
	tc_kv_free(kv);
	/* ... unless told not to check it */
	o.tls_insecure_skip_verify = 1;
	CHECK_OK(tc_kv_etcd_new(&kv, &o));
	CHECK_OK(tc_kv_suite_get_str(s, NULL, kv, k));
	CHECK_STR(s, "secure");
	tc_kv_free(kv);
	/* no client certificate: etcd refuses the handshake */
	o.tls_ca_path = ca;
	o.tls_insecure_skip_verify = 0;
	o.tls_cert_path = o.tls_key_path = NULL;
	CHECK_OK(tc_kv_etcd_new(&kv, &o));
	CHECK_ERR(tc_kv_get(&(tc_kv_value)TC_KV_VALUE_INIT, kv, k), TC_ERROR);
	CHECK_ERRMSG(want);
	tc_kv_free(kv);
	priv_stop();
}

/* Endpoint strings: schemes, trailing slashes, and what is refused. */
static void etcd_endpoint_syntax(void)
{
	const char *bad[] = { "", "ftp://h:1", "http://", "h:1/v3", "a b:1" };
	tc_kv *kv = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *eps[1] = { bad[i] };
		tc_kv_etcd_options o = opts(eps, 1);
		CHECK_MSG(tc_kv_etcd_new(&kv, &o) == TC_EINVALID, "endpoint \"%s\" accepted",
			  bad[i]);
		CHECK(kv == NULL);
	}
	{
		tc_kv_etcd_options o = opts(NULL, 0);
		CHECK_ERR(tc_kv_etcd_new(&kv, &o), TC_EINVALID);
	}
	{
		/* The config's value is echoed with its control characters escaped. */
		const char *eps[1] = { "ftp\x1b[31m://h:1\r" };
		tc_kv_etcd_options o = opts(eps, 1);
		CHECK_ERR(tc_kv_etcd_new(&kv, &o), TC_EINVALID);
		CHECK_ERRMSG("etcd endpoint \"ftp\\x1b[31m://h:1\\r\"");
	}
	{
		const char *eps[2] = { "http://10.0.0.1:2379/", "https://[::1]:2379" };
		tc_kv_etcd_options o = opts(eps, 2);
		CHECK_OK(tc_kv_etcd_new(&kv, &o));
		CHECK_STR(tc_kv_name(kv), "etcd 10.0.0.1:2379,[::1]:2379");
		tc_kv_free(kv);
	}
	{
		const char *eps[1] = { "h:1" };
		tc_kv_etcd_options o = opts(eps, 1);
		o.username = "root";
		CHECK_ERR(tc_kv_etcd_new(&kv, &o), TC_EINVALID); /* a user without a password */
	}
}

#define CASE(name) T(etcd_##name),
TC_TEST_MAIN(TC_KV_SUITE_CHECKS(CASE) T(etcd_etcdctl_interop), T(etcd_unreachable),
	     T(etcd_second_endpoint), T(etcd_paused), T(etcd_restarted), T(etcd_lost_answers),
	     T(etcd_5xx_retried), T(etcd_auth), T(etcd_tls), T(etcd_endpoint_syntax))
