/*
 * The GCS backend against tests/fake_gcs.py (no GCS emulator installs
 * offline): the conformance suite of tests/backend_suite.c with a
 * service-account key and a bearer token checked on every request, then
 * what only GCS has — the RS256 JWT verified by `openssl dgst -verify`
 * against the key's public half, tokens renewed before they expire,
 * retries on 503/429/dropped connections, a resumable upload resumed from
 * what the session persisted, object metadata and Cache-Control, error
 * reasons, the config rows and opening the backend from a config.
 *
 * Each test program generates one RSA key (openssl genrsa) and starts its
 * fakes itself (python3 $TC_SRC/tests/fake_gcs.py); each test works in a
 * bucket of its own. The fake's violations file (a request without the
 * current token, a chunk that is not a multiple of 256 KiB, a bad JWT...)
 * must stay empty.
 */
#include "tests/test.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/backend_suite.h"
#include "src/backend/backend.h"
#include "src/backend/gcs.h"
#include "src/backend/gcs_impl.h"
#include "src/cli/backend_open.h"
#include "src/config/config.h"
#include "src/metrics/metrics.h"
#include "src/util/log.h"

#define EMAIL "tc-test@tc-project.iam.gserviceaccount.com"

/* ---- the fake server ---- */

typedef struct fake {
	pid_t pid;
	int port;
	char dir[512];
	char violations[600];
	char endpoint[96];
} fake;

static char keydir[512];
static char *key_json_for_port(int port);

/* One RSA key for the whole program, made by openssl. */
static const char *key_dir(void)
{
	char cmd[2048];

	if (keydir[0])
		return keydir;
	snprintf(keydir, sizeof(keydir), "%s/key", tc_test_tmpdir());
	mkdir(keydir, 0700);
	snprintf(cmd, sizeof(cmd),
		 "openssl genrsa -out %s/key.pem 2048 2>/dev/null && "
		 "openssl rsa -in %s/key.pem -pubout -out %s/pub.pem 2>/dev/null",
		 keydir, keydir, keydir);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot generate a test key with openssl\n");
		exit(1);
	}
	return keydir;
}

/* Starts a fake; extra: more argv entries (NULL-terminated). */
static int fake_start(fake *f, int auth, const char *const *extra)
{
	static atomic_int seq;
	const char *src = getenv("TC_SRC");
	char script[1024], portfile[700], pub[700], parent[24];
	const char *argv[32];
	size_t n = 0;

	memset(f, 0, sizeof(*f));
	if (!src) {
		tc_error_set("TC_SRC is not set (run through ctest)");
		return TC_EINVALID;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/fake%d", tc_test_tmpdir(), atomic_fetch_add(&seq, 1));
	mkdir(f->dir, 0700);
	snprintf(script, sizeof(script), "%s/tests/fake_gcs.py", src);
	snprintf(portfile, sizeof(portfile), "%s/port", f->dir);
	snprintf(f->violations, sizeof(f->violations), "%s/violations", f->dir);
	snprintf(pub, sizeof(pub), "%s/pub.pem", key_dir());
	snprintf(parent, sizeof(parent), "%d", (int)getpid());
	argv[n++] = "python3";
	argv[n++] = script;
	argv[n++] = "--port-file";
	argv[n++] = portfile;
	argv[n++] = "--violations";
	argv[n++] = f->violations;
	argv[n++] = "--parent"; /* a test that dies leaves no server behind */
	argv[n++] = parent;
	if (auth) {
		argv[n++] = "--auth";
		argv[n++] = "--client-email";
		argv[n++] = EMAIL;
		argv[n++] = "--public-key";
		argv[n++] = pub;
	}
	for (size_t i = 0; extra && extra[i] && n < 30; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	if ((f->pid = fork()) == 0) {
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		FILE *pf = fopen(portfile, "r");
		if (pf) {
			int ok = fscanf(pf, "%d", &f->port) == 1;
			fclose(pf);
			if (ok) {
				snprintf(f->endpoint, sizeof(f->endpoint),
					 "http://127.0.0.1:%d/storage/v1/", f->port);
				return TC_OK;
			}
		}
		usleep(25000);
	}
	tc_error_set("the fake GCS did not start");
	return TC_ERROR;
}

static void fake_stop(fake *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
		f->pid = 0;
	}
}

static size_t curl_sink(char *p, size_t sz, size_t n, void *ud)
{
	(void)tc_buf_put(ud, p, sz * n);
	return sz * n;
}

/* A request to the fake's control endpoints; the body (if any) into out. */
static long fake_call(const fake *f, const char *method, const char *path, const char *body,
		      tc_buf *out)
{
	char url[1024];
	long st = 0;
	CURL *h = curl_easy_init();
	tc_buf sink = TC_BUF_INIT;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", f->port, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	else if (!strcmp(method, "POST"))
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out ? out : &sink);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
	curl_easy_cleanup(h);
	tc_buf_dispose(&sink);
	if (out)
		tc_buf_cstr(out);
	return st;
}

/* A number from the fake's stats: "tokens_issued", or "requests.<kind>" (0 if absent). */
static long fake_stat(const fake *f, const char *name)
{
	tc_buf b = TC_BUF_INIT;
	cJSON *root, *v;
	long n = -1;

	if (fake_call(f, "GET", "/_fake/stats", NULL, &b) == 200 &&
	    (root = cJSON_Parse((const char *)b.ptr)) != NULL) {
		if (!strncmp(name, "requests.", 9))
			v = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "requests"), name + 9);
		else
			v = cJSON_GetObjectItem(root, name);
		n = cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
		if (!strcmp(name, "open_uploads"))
			n = cJSON_GetArraySize(v);
		cJSON_Delete(root);
	}
	tc_buf_dispose(&b);
	return n;
}

static void fake_fault_min(const fake *f, int status, int count, const char *method,
			   const char *match, int min_length)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"status\": %d, \"count\": %d, \"method\": \"%s\", "
		 "\"match\": \"%s\", \"min_length\": %d}", status, count, method, match, min_length);
	CHECK(fake_call(f, "POST", "/_fake/faults", body, NULL) == 200);
}

static void fake_fault(const fake *f, int status, int count, const char *method, const char *match)
{
	fake_fault_min(f, status, count, method, match, 0);
}

/* The violations the fake recorded ("" when none). */
static void violations(char *out, size_t outsz, const fake *f)
{
	FILE *v = fopen(f->violations, "r");
	size_t n = 0;

	out[0] = '\0';
	if (v) {
		n = fread(out, 1, outsz - 1, v);
		out[n] = '\0';
		fclose(v);
	}
}

/* The service-account key file's JSON, its token_uri on the fake at port. */
static char *key_json_for_port(int port)
{
	char path[700], uri[96];
	tc_buf pem = TC_BUF_INIT;
	cJSON *o = cJSON_CreateObject();
	char *s;

	snprintf(path, sizeof(path), "%s/key.pem", key_dir());
	if (tc_test_read_file(&pem, path) < 0 || tc_buf_cstr(&pem) < 0)
		return NULL;
	snprintf(uri, sizeof(uri), "http://127.0.0.1:%d/token", port);
	cJSON_AddStringToObject(o, "type", "service_account");
	cJSON_AddStringToObject(o, "project_id", "tc-project");
	cJSON_AddStringToObject(o, "private_key_id", "0123456789abcdef");
	cJSON_AddStringToObject(o, "private_key", (const char *)pem.ptr);
	cJSON_AddStringToObject(o, "client_email", EMAIL);
	cJSON_AddStringToObject(o, "token_uri", uri);
	s = cJSON_Print(o);
	cJSON_Delete(o);
	tc_buf_dispose(&pem);
	return s;
}

/* ---- fixture: a fake with auth, a bucket of the test's own, a backend ---- */

typedef struct fx {
	fake fk;
	tc_backend *be;
	tc_metrics *m;
	char bucket[64];
	char *key;
	tc_suite_fx s;
} fx;

static void bucket_name(char out[64])
{
	static atomic_int seq;
	snprintf(out, 64, "tc-%d-%d", (int)getpid(), atomic_fetch_add(&seq, 1));
}

static int make_bucket(const fake *f, const char *bucket)
{
	char path[128];

	snprintf(path, sizeof(path), "/_fake/bucket?name=%s", bucket);
	return fake_call(f, "POST", path, NULL, NULL) == 200 ? TC_OK : TC_ERROR;
}

static tc_gcs_options opts(const fx *f)
{
	tc_gcs_options o;

	memset(&o, 0, sizeof(o));
	o.bucket = f->bucket;
	o.endpoint = f->fk.endpoint;
	o.credentials_json = f->key;
	o.credentials_name = "test key";
	/* one quantum: appends and writes past 256 KiB take the resumable path */
	o.chunk_size = TC_GCS_CHUNK_QUANTUM;
	o.max_retries = 3;
	return o;
}

/* GCS's "updated" has millisecond precision: a second on the clock is enough. */
static int wait_old(void *ctx, const char *key)
{
	(void)ctx;
	(void)key;
	usleep(1200000);
	return 1;
}

static int fx_new_with(fx *f, const char *const *fake_args, const tc_gcs_options *custom)
{
	tc_gcs_options o;
	int err;

	memset(f, 0, sizeof(*f));
	if ((err = fake_start(&f->fk, 1, fake_args)) < 0)
		return err;
	bucket_name(f->bucket);
	if ((err = make_bucket(&f->fk, f->bucket)) < 0) {
		tc_error_set("cannot create bucket %s on the fake", f->bucket);
		return err;
	}
	if (!(f->key = key_json_for_port(f->fk.port))) {
		tc_error_set("cannot make the key file");
		return TC_ERROR;
	}
	o = custom ? *custom : opts(f);
	if (custom) {
		o.bucket = f->bucket;
		o.endpoint = f->fk.endpoint;
		o.credentials_json = f->key;
	}
	if ((err = tc_metrics_new(&f->m)) < 0 || (err = tc_backend_gcs_new(&f->be, &o, f->m)) < 0)
		return err;
	f->s = (tc_suite_fx){
		.be = f->be,
		.ctx = f,
		.backdate = wait_old,
		.mtime_slack_s = 1,
		.block_versions_known = 1,
		/* nothing is visible before the upload completes */
		.append_visible_before_commit = 0,
		/* GCS keeps '\\' in a name as it is (any UTF-8 but CR and LF) */
		.backslash_refused = 0,
		.concurrent_objects = 15,
	};
	return TC_OK;
}

static void fx_free(fx *f)
{
	tc_backend_free(f->be);
	tc_metrics_free(f->m);
	fake_stop(&f->fk);
	free(f->key);
}

/* The fake's violations file is empty. */
static void no_violations(const fake *f)
{
	char v[4096];

	violations(v, sizeof(v), f);
	CHECK_MSG(v[0] == '\0', "fake GCS violations:\n%s", v);
}

/*
 * Runs body on a fixture (args: the fake's extra flags, o: options instead
 * of opts()), then checks the fake saw no violation; frees the fixture
 * whatever body's CHECKs did (they return from body only).
 */
static void run(void (*body)(fx *f), const char *const *args, const tc_gcs_options *o)
{
	fx f;
	int failures = tc_test_failures, r = fx_new_with(&f, args, o);

	if (r < 0)
		tc_test_fail(__FILE__, __LINE__, "gcs backend: %s", tc_error_last());
	else
		body(&f);
	if (r == 0 && tc_test_failures == failures)
		no_violations(&f.fk);
	fx_free(&f);
}

#define WITH_FX(name)                                                              \
	static void name(fx *f);                                                   \
	static void gcs_##name(void)                                               \
	{                                                                          \
		run(name, NULL, NULL);                                             \
	}
#define CONFORM(name, extra)                                                       \
	static void conform_##name(fx *f)                                          \
	{                                                                          \
		CHECK_STR(tc_backend_name(f->be), "gcs");                          \
		tc_suite_run(&f->s, tc_suite_##name, extra, f);                    \
	}                                                                          \
	static void gcs_##name(void)                                               \
	{                                                                          \
		run(conform_##name, NULL, NULL);                                   \
	}

/*
 * ---- conformance (tests/backend_suite.c) ----
 * gcs_<name> runs tc_suite_<name>, then the GCS-only checks below, if any;
 * every one ends with the fake's violations (a request without the current
 * bearer token among them) empty.
 */

/* Every request was timed; one token served them all. */
static void write_read_timed(void *ctx)
{
	fx *f = ctx;

	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "POST", "200") >= 6);
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "GET", "200") >= 4);
	CHECK(fake_stat(&f->fk, "tokens_issued") == 1);
}

/* A 404 is timed and never retried. */
static void not_found_not_retried(void *ctx)
{
	fx *f = ctx;

	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "GET", "404") >= 3);
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_RETRIES_TOTAL, "GET", NULL) == 0);
}

/* The 1.4 MB stream went up as a resumable upload of several 256 KiB chunks. */
static void append_commit_resumable(void *ctx)
{
	fx *f = ctx;

	CHECK(fake_stat(&f->fk, "requests.upload_resumable_start") >= 1);
	CHECK(fake_stat(&f->fk, "requests.upload_chunk") >= 5);
	CHECK(fake_stat(&f->fk, "open_uploads") == 0);
}

/* The aborted stream's session was cancelled, not left open. */
static void append_abort_cancelled(void *ctx)
{
	fx *f = ctx;

	CHECK(fake_stat(&f->fk, "open_uploads") == 0);
}

/* Marking is a rewrite then a delete. */
static void mark_compacted_rewrite(void *ctx)
{
	fx *f = ctx;

	CHECK(fake_stat(&f->fk, "requests.rewrite") >= 1);
}

CONFORM(write_read, write_read_timed)
CONFORM(not_found, not_found_not_retried)
CONFORM(read_range, NULL)
CONFORM(stat_object, NULL)
CONFORM(list, NULL)
CONFORM(delete_object, NULL)
CONFORM(append_commit, append_commit_resumable)
CONFORM(append_abort, append_abort_cancelled)
CONFORM(mark_compacted, mark_compacted_rewrite)
CONFORM(clear_block, NULL)
CONFORM(hostile_keys, NULL)
CONFORM(concurrent_writers, NULL)
CONFORM(list_semantics, NULL)
CONFORM(long_listing, NULL)
CONFORM(overwrite, NULL)
CONFORM(all_chars, NULL)
CONFORM(list_blocks, NULL)

/* ---- GCS only ---- */

static void fill(uint8_t *p, size_t n, uint64_t *rng)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)tc_test_rand(rng);
}

/* base64url (no padding) to bytes. */
static size_t b64url_decode(uint8_t *out, size_t outsz, const char *s, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		const char *p = memchr(a, s[i], 64);
		if (!p)
			return 0;
		acc = (acc << 6) | (uint32_t)(p - a);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o < outsz)
				out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o;
}

/* `openssl dgst -sha256 -verify pub.pem` on the JWT's signing input and signature. */
static int openssl_verifies(const char *jwt)
{
	const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	char data[700], sigf[700], cmd[2400];
	uint8_t sig[1024];
	size_t n;

	if (!d2)
		return 0;
	snprintf(data, sizeof(data), "%s/jwt.data", key_dir());
	snprintf(sigf, sizeof(sigf), "%s/jwt.sig", key_dir());
	n = b64url_decode(sig, sizeof(sig), d2 + 1, strlen(d2 + 1));
	if (tc_test_write_file(data, jwt, (size_t)(d2 - jwt)) < 0 ||
	    tc_test_write_file(sigf, sig, n) < 0)
		return 0;
	snprintf(cmd, sizeof(cmd), "openssl dgst -sha256 -verify %s/pub.pem -signature %s %s "
		 ">/dev/null 2>&1", key_dir(), sigf, data);
	return system(cmd) == 0;
}

/* The JWT we sign verifies with openssl against the public half and says what Google wants. */
static void jwt_openssl_verify(void)
{
	char *json = key_json_for_port(9), *jwt = NULL;
	tc_gcs_key k;
	uint8_t part[2048];
	size_t n;
	cJSON *h, *c;
	const char *d1, *d2;

	CHECK(json != NULL);
	CHECK_OK(tc_gcs_key_parse(&k, json, "test key"));
	CHECK_OK(tc_gcs_jwt_make(&jwt, &k, TC_GCS_SCOPE, 1700000000));
	CHECK_MSG(openssl_verifies(jwt), "openssl does not verify the JWT");
	d1 = strchr(jwt, '.');
	d2 = strchr(d1 + 1, '.');
	CHECK(strchr(jwt, '=') == NULL && strchr(jwt, '+') == NULL && strchr(jwt, '/') == NULL);
	n = b64url_decode(part, sizeof(part) - 1, jwt, (size_t)(d1 - jwt));
	part[n] = 0;
	h = cJSON_Parse((char *)part);
	CHECK_STR(cJSON_GetObjectItem(h, "alg")->valuestring, "RS256");
	CHECK_STR(cJSON_GetObjectItem(h, "typ")->valuestring, "JWT");
	CHECK_STR(cJSON_GetObjectItem(h, "kid")->valuestring, "0123456789abcdef");
	n = b64url_decode(part, sizeof(part) - 1, d1 + 1, (size_t)(d2 - d1 - 1));
	part[n] = 0;
	c = cJSON_Parse((char *)part);
	CHECK_STR(cJSON_GetObjectItem(c, "iss")->valuestring, EMAIL);
	CHECK_STR(cJSON_GetObjectItem(c, "aud")->valuestring, "http://127.0.0.1:9/token");
	CHECK_STR(cJSON_GetObjectItem(c, "scope")->valuestring, TC_GCS_SCOPE);
	CHECK(cJSON_GetObjectItem(c, "iat")->valuedouble == 1700000000);
	CHECK(cJSON_GetObjectItem(c, "exp")->valuedouble == 1700003600);
	cJSON_Delete(h);
	cJSON_Delete(c);
	/* the check can fail: one changed claim byte and openssl refuses */
	jwt[(d1 - jwt) + 5] ^= 1;
	CHECK_MSG(!openssl_verifies(jwt), "openssl verifies a tampered JWT");
	free(jwt);
	tc_gcs_key_dispose(&k);
	free(json);
}

/* Keys that are not service-account keys are refused, naming the problem but not the key. */
static void bad_keys(void)
{
	tc_gcs_key k;
	char *good = key_json_for_port(9);

	CHECK_ERR(tc_gcs_key_parse(&k, "not json", "k.json"), TC_EINVALID);
	CHECK_ERRMSG("k.json");
	CHECK_ERR(tc_gcs_key_parse(&k, "{\"type\":\"authorized_user\"}", "k.json"), TC_EINVALID);
	CHECK_ERRMSG("authorized_user");
	CHECK_ERR(tc_gcs_key_parse(&k, "{\"type\":\"service_account\",\"client_email\":\"a@b\","
				       "\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nAAAA\\n\"}",
				   "k.json"),
		  TC_EINVALID);
	CHECK_ERRMSG("not a PEM RSA private key");
	CHECK(strstr(tc_error_last(), "AAAA") == NULL);
	CHECK_OK(tc_gcs_key_parse(&k, good, "k.json"));
	tc_gcs_key_dispose(&k);
	free(good);
}

/* Short-lived tokens are renewed before they expire: never a stale one, not one per request. */
static void token_refresh_body(fx *f)
{
	char s[4096];
	long tokens;

	CHECK_OK(tc_suite_put(f->be, "t/b/meta.json", "m"));
	/* about 3.5 s of requests, one every 50 ms: two tokens' lives */
	for (int i = 0; i < 70; i++) {
		CHECK_OK(tc_suite_get(s, f->be, "t/b/meta.json"));
		usleep(50000);
	}
	tokens = fake_stat(&f->fk, "tokens_issued");
	CHECK_MSG(tokens >= 2 && tokens <= 6, "%ld tokens for 71 requests", tokens);
}

static void token_refresh(void)
{
	static const char *const args[] = { "--token-lifetime", "2", NULL };
	run(token_refresh_body, args, NULL);
}

/* A token the server refuses (revoked, clock skew) is dropped and a new one fetched, once. */
static void token_refused_refetched_body(fx *f)
{
	char s[4096];

	CHECK_OK(tc_suite_put(f->be, "t/b/meta.json", "m"));
	fake_fault(&f->fk, 401, 1, "GET", "alt=media");
	CHECK_OK(tc_suite_get(s, f->be, "t/b/meta.json"));
	CHECK(fake_stat(&f->fk, "tokens_issued") == 2);
	/* twice in a row is an error, not a loop */
	fake_fault(&f->fk, 401, 2, "GET", "alt=media");
	CHECK_ERR(tc_suite_get(s, f->be, "t/b/meta.json"), TC_ERROR);
	CHECK_ERRMSG("401");
}

static void token_refused_refetched(void)
{
	run(token_refused_refetched_body, NULL, NULL);
}

/* 503 and 429 are retried with backoff and counted; so is a dropped connection. */
static void retries_body(fx *f)
{
	char s[4096];
	tc_strlist l = TC_STRLIST_INIT;

	fake_fault(&f->fk, 429, 2, "POST", "uploadType=media");
	CHECK_OK(tc_suite_put(f->be, "t/b/meta.json", "m"));
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_RETRIES_TOTAL, "POST", NULL) == 2);
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "POST", "429") == 2);
	fake_fault(&f->fk, 503, 2, "GET", "alt=media");
	CHECK_OK(tc_suite_get(s, f->be, "t/b/meta.json"));
	CHECK_STR(s, "m");
	/*
	 * Two connections closed without an answer: curl itself retries the
	 * first on a fresh connection when it had reused one, so we see one or two.
	 */
	fake_fault(&f->fk, 0, 2, "GET", "/o?");
	CHECK_OK(tc_backend_list(&l, f->be, "t/"));
	CHECK(l.n == 1);
	CHECK(fake_stat(&f->fk, "requests.fault") == 6);
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_RETRIES_TOTAL, "GET", NULL) >= 3);
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "GET", "0") >= 1);
	tc_strlist_dispose(&l);
	/* more than max_retries (3): the error names the status and GCS's reason */
	fake_fault(&f->fk, 503, 4, "GET", "alt=media");
	CHECK_ERR(tc_suite_get(s, f->be, "t/b/meta.json"), TC_ERROR);
	CHECK_ERRMSG("503 backendError");
	CHECK_ERRMSG("after 4 attempts");
	CHECK_ERRMSG("t/b/meta.json");
	/* a 403 is not retried */
	fake_fault(&f->fk, 403, 1, "DELETE", "meta.json");
	CHECK_ERR(tc_backend_delete(f->be, "t/b/meta.json"), TC_ERROR);
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_RETRIES_TOTAL, "DELETE", NULL) == 0);
	tc_strlist_dispose(&l);
}

static void retries(void)
{
	run(retries_body, NULL, NULL);
}

/*
 * A chunk whose answer is lost (the session has the bytes) and one that
 * fails before the session sees it: both resume from what the session
 * reports, without sending a byte twice or at the wrong offset.
 */
static void resumable_resume_body(fx *f)
{
	tc_append *a = NULL;
	tc_buf got = TC_BUF_INIT;
	uint64_t rng = 7;
	size_t n = 5 * (size_t)TC_GCS_CHUNK_QUANTUM + 1234;
	uint8_t *data = malloc(n);

	fill(data, n, &rng);
	/* chunks only, not the status queries that follow */
	fake_fault_min(&f->fk, -1, 1, "PUT", "upload_id", 1);
	fake_fault_min(&f->fk, 503, 1, "PUT", "upload_id", 1);
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b/data"));
	for (size_t off = 0; off < n; off += 100000)
		CHECK_OK(tc_backend_append(a, data + off, n - off < 100000 ? n - off : 100000));
	CHECK_OK(tc_backend_append_commit(a));
	CHECK_OK(tc_backend_read(&got, f->be, "t/b/data"));
	CHECK_EQ_U64(got.len, n);
	CHECK(got.len == n && memcmp(got.ptr, data, n) == 0);
	/* each failure asked the session what it had, and went on from there */
	CHECK(fake_stat(&f->fk, "requests.upload_status") == 2);
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_RETRIES_TOTAL, "PUT", NULL) == 2);
	/* a whole-object write larger than a chunk takes the same path */
	tc_buf_clear(&got);
	CHECK_OK(tc_backend_write(f->be, "t/b/index", data, n - 1000));
	CHECK_OK(tc_backend_read(&got, f->be, "t/b/index"));
	CHECK(got.len == n - 1000 && memcmp(got.ptr, data, n - 1000) == 0);
	CHECK(fake_stat(&f->fk, "requests.upload_resumable_start") == 2);
	free(data);
	tc_buf_dispose(&got);
}

static void resumable_resume(void)
{
	run(resumable_resume_body, NULL, NULL);
}

/* object_metadata and object_cache_control land on every object, small or chunked. */
static void object_metadata_body(fx *f)
{
	uint8_t *big = calloc(1, 600000);
	tc_buf b = TC_BUF_INIT;
	char path[256];

	CHECK_OK(tc_suite_put(f->be, "t/b/meta.json", "m"));
	CHECK_OK(tc_backend_write(f->be, "t/b/data", big, 600000));
	CHECK(fake_stat(&f->fk, "requests.upload_multipart") == 1);
	CHECK(fake_stat(&f->fk, "requests.upload_chunk") == 2);
	for (int i = 0; i < 2; i++) {
		cJSON *res, *m;
		snprintf(path, sizeof(path), "/_fake/object?bucket=%s&name=t%%2Fb%%2F%s&meta=1",
			 f->bucket, i ? "data" : "meta.json");
		tc_buf_clear(&b);
		CHECK(fake_call(&f->fk, "GET", path, NULL, &b) == 200);
		res = cJSON_Parse((const char *)b.ptr);
		CHECK_STR(cJSON_GetObjectItem(res, "cacheControl")->valuestring, "no-store");
		m = cJSON_GetObjectItem(res, "metadata");
		CHECK_STR(cJSON_GetObjectItem(m, "team")->valuestring, "tracing");
		CHECK_STR(cJSON_GetObjectItem(m, "env")->valuestring, "te\"st");
		cJSON_Delete(res);
	}
	free(big);
	tc_buf_dispose(&b);
}

static void object_metadata(void)
{
	static const char *const md[] = { "team", "tracing", "env", "te\"st" };
	tc_gcs_options o;
	memset(&o, 0, sizeof(o));
	o.chunk_size = 300000; /* rounded up to 512 KiB */
	o.cache_control = "no-store";
	o.metadata = md;
	o.nmetadata = 2;
	run(object_metadata_body, NULL, &o);
}

/* More names than one page holds: followed through pageToken, pages of at most 1000. */
/* 1003 blocks list in exactly two pages (pageToken). */
static void list_two_pages_body(fx *f)
{
	char key[64];
	tc_strlist l = TC_STRLIST_INIT;

	for (int i = 0; i < 1003; i++) {
		snprintf(key, sizeof(key), "t/b%04d/meta.json", i);
		CHECK_OK(tc_suite_put(f->be, key, "m"));
	}
	CHECK_OK(tc_suite_put(f->be, "t/b0000/data", "d"));
	CHECK_OK(tc_backend_list(&l, f->be, "t/"));
	CHECK_EQ_U64(l.n, 1003);
	CHECK_STR(l.items[1002], "b1002");
	CHECK(fake_stat(&f->fk, "requests.list") == 2);
	tc_strlist_dispose(&l);
}

static void list_two_pages(void)
{
	run(list_two_pages_body, NULL, NULL);
}

/* A multi-call rewrite (large objects) is followed through its rewriteToken. */
static void rewrite_steps_body(fx *f)
{
	char s[4096];

	CHECK(fake_call(&f->fk, "POST", "/_fake/faults", "{\"rewrite_steps\": 3}", NULL) == 200);
	CHECK_OK(tc_suite_put(f->be, "t/b/meta.json", "{\"m\":1}"));
	CHECK_OK(tc_backend_mark_compacted(f->be, "t", "b"));
	CHECK_OK(tc_suite_get(s, f->be, "t/b/meta.compacted.json"));
	CHECK_STR(s, "{\"m\":1}");
	CHECK_ERR(tc_suite_get(s, f->be, "t/b/meta.json"), TC_ENOTFOUND);
	CHECK(fake_stat(&f->fk, "requests.rewrite") == 3);
}

static void rewrite_steps(void)
{
	run(rewrite_steps_body, NULL, NULL);
}

/* Names that need escaping in paths, query values and JSON. */
WITH_FX(encoded_keys)
static void encoded_keys(fx *f)
{
	static const char *tenants[] = { "a b", "plus+sign", "pct%41", "amp&eq=q?h#",
					 "caf\xc3\xa9", "dollar$(x)*'!", "q\"uote\\" };
	char key[256], s[4096];
	tc_strlist l = TC_STRLIST_INIT;
	size_t n = sizeof(tenants) / sizeof(tenants[0]);

	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%s/blk %s/meta.json", tenants[i], tenants[i]);
		CHECK_OK(tc_suite_put(f->be, key, tenants[i]));
		CHECK_OK(tc_suite_get(s, f->be, key));
		CHECK_STR(s, tenants[i]);
		snprintf(key, sizeof(key), "blk %s", tenants[i]);
		CHECK_OK(tc_backend_mark_compacted(f->be, tenants[i], key));
		snprintf(key, sizeof(key), "%s/blk %s/meta.compacted.json", tenants[i], tenants[i]);
		CHECK_OK(tc_suite_get(s, f->be, key));
		CHECK_STR(s, tenants[i]);
		snprintf(key, sizeof(key), "%s/", tenants[i]);
		tc_strlist_clear(&l);
		CHECK_OK(tc_backend_list(&l, f->be, key));
		CHECK(l.n == 1);
		snprintf(key, sizeof(key), "blk %s", tenants[i]);
		if (l.n == 1)
			CHECK_STR(l.items[0], key);
		CHECK_OK(tc_backend_clear_block(f->be, tenants[i], key));
		snprintf(key, sizeof(key), "%s/", tenants[i]);
		CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, key, 0));
		CHECK_STR(s, "");
	}
	tc_strlist_dispose(&l);
}

/* A missing bucket is an error naming it (not an empty bucket); a missing object is not. */
static void missing_bucket_body(fx *f)
{
	tc_gcs_options o;
	tc_backend *be = NULL;
	tc_strlist l = TC_STRLIST_INIT;

	o = opts(f);
	o.bucket = "no-such-bucket";
	CHECK_OK(tc_backend_gcs_new(&be, &o, NULL));
	CHECK_ERR(tc_backend_list(&l, be, ""), TC_ERROR);
	CHECK_ERRMSG("bucket no-such-bucket not found");
	CHECK_OK(tc_backend_delete(f->be, "t/b/nothing"));
	tc_backend_free(be);
	tc_strlist_dispose(&l);
}

static void missing_bucket(void)
{
	run(missing_bucket_body, NULL, NULL);
}

/* A key the token endpoint refuses: the OAuth2 error in the message, nothing of the key. */
static void wrong_key_body(fx *f)
{
	tc_gcs_options o;
	tc_backend *be = NULL;
	char s[4096], *other = NULL, cmd[1024];
	tc_buf pem = TC_BUF_INIT;
	cJSON *k;

	/* the same account, signed with another key */
	snprintf(cmd, sizeof(cmd), "openssl genrsa -out %s/other.pem 2048 2>/dev/null",
		 f->fk.dir);
	CHECK(system(cmd) == 0);
	snprintf(cmd, sizeof(cmd), "%s/other.pem", f->fk.dir);
	CHECK_OK(tc_test_read_file(&pem, cmd));
	CHECK_OK(tc_buf_cstr(&pem));
	k = cJSON_Parse(f->key);
	cJSON_ReplaceItemInObject(k, "private_key", cJSON_CreateString((char *)pem.ptr));
	other = cJSON_Print(k);
	cJSON_Delete(k);
	o = opts(f);
	o.credentials_json = other;
	o.max_retries = 0;
	CHECK_OK(tc_backend_gcs_new(&be, &o, NULL));
	CHECK_ERR(tc_suite_get(s, be, "t/b/meta.json"), TC_ERROR);
	CHECK_ERRMSG("400 invalid_grant");
	CHECK_ERRMSG("signature");
	CHECK(strstr(tc_error_last(), "PRIVATE") == NULL);
	tc_backend_free(be);
	/* the fake saw it (and would have refused our good key the same way) */
	CHECK(fake_stat(&f->fk, "violations") == 1);
	CHECK(truncate(f->fk.violations, 0) == 0); /* that one was the point */
	free(other);
	tc_buf_dispose(&pem);
}

static void wrong_key(void)
{
	run(wrong_key_body, NULL, NULL);
}

/* An emulator without auth: no credentials, no token request. */
static void anonymous_emulator(void)
{
	fake fk;
	tc_gcs_options o;
	tc_backend *be = NULL;
	char s[4096];

	CHECK_OK(fake_start(&fk, 0, NULL));
	CHECK_OK(make_bucket(&fk, "emu"));
	memset(&o, 0, sizeof(o));
	o.bucket = "emu";
	o.endpoint = fk.endpoint;
	CHECK_OK(tc_backend_gcs_new(&be, &o, NULL));
	CHECK_OK(tc_suite_put(be, "t/b/meta.json", "anon"));
	CHECK_OK(tc_suite_get(s, be, "t/b/meta.json"));
	CHECK_STR(s, "anon");
	CHECK(fake_stat(&fk, "requests.token") == 0);
	tc_backend_free(be);
	fake_stop(&fk);
}

/* Bad options are refused before any request. */
static void bad_options(void)
{
	tc_gcs_options o;
	tc_backend *be = NULL;

	memset(&o, 0, sizeof(o));
	CHECK_ERR(tc_backend_gcs_new(&be, &o, NULL), TC_EINVALID);
	CHECK_ERRMSG("bucket_name");
	o.bucket = "Bad_Bucket";
	CHECK_ERR(tc_backend_gcs_new(&be, &o, NULL), TC_EINVALID);
	o.bucket = "ok-bucket";
	o.endpoint = "storage.googleapis.com";
	CHECK_ERR(tc_backend_gcs_new(&be, &o, NULL), TC_EINVALID);
	CHECK_ERRMSG("http(s) URL");
	o.endpoint = "https://h/storage/v1/?x";
	CHECK_ERR(tc_backend_gcs_new(&be, &o, NULL), TC_EINVALID);
	o.endpoint = NULL;
	o.credentials_json = "{}";
	CHECK_ERR(tc_backend_gcs_new(&be, &o, NULL), TC_EINVALID);
	o.credentials_json = NULL;
	CHECK_OK(tc_backend_gcs_new(&be, &o, NULL));
	CHECK_STR(tc_backend_name(be), "gcs");
	tc_backend_free(be);
}

/* tc_backend_cancel ends a backoff sleep at once. */
static void cancel_backoff_body(fx *f)
{
	char s[4096];
	uint64_t t0;

	CHECK_OK(tc_suite_put(f->be, "t/b/meta.json", "m"));
	fake_fault(&f->fk, 503, 1000, "GET", "alt=media");
	tc_backend_cancel(f->be);
	t0 = tc_mono_ns();
	CHECK_ERR(tc_suite_get(s, f->be, "t/b/meta.json"), TC_ECANCELED);
	CHECK_ERRMSG("canceled");
	CHECK(tc_mono_ns() - t0 < 1000000000ULL);
}

static void cancel_backoff(void)
{
	tc_gcs_options o;
	memset(&o, 0, sizeof(o));
	o.max_retries = 50;
	o.chunk_size = TC_GCS_CHUNK_QUANTUM;
	run(cancel_backoff_body, NULL, &o);
}

/* The config rows: Tempo's gcs keys, the map, hedging accepted, nothing secret written. */
static void config_rows(void)
{
	static const char yaml[] =
		"storage:\n"
		"  trace:\n"
		"    backend: gcs\n"
		"    gcs:\n"
		"      bucket_name: tempo\n"
		"      chunk_buffer_size: 5_000_000\n"
		"      endpoint: https://gcs.example:4443/storage/v1/\n"
		"      insecure: true\n"
		"      hedge_requests_at: 500ms\n"
		"      hedge_requests_up_to: 3\n"
		"      object_cache_control: no-cache\n"
		"      object_metadata: {team: tracing, \"a b\": \"c: d\"}\n";
	tc_config c;
	tc_buf out = TC_BUF_INIT;

	CHECK_OK(tc_config_load_string(&c, yaml, strlen(yaml), "t.yaml"));
	CHECK_STR(c.storage.backend, "gcs");
	CHECK_STR(c.storage.gcs.bucket_name, "tempo");
	CHECK_EQ_U64(c.storage.gcs.chunk_buffer_size, 5000000);
	CHECK(c.storage.gcs.insecure == 1);
	CHECK_STR(c.storage.gcs.object_cache_control, "no-cache");
	CHECK(c.storage.gcs.object_metadata.n == 4);
	CHECK_STR(c.storage.gcs.object_metadata.items[2], "a b");
	CHECK_STR(c.storage.gcs.object_metadata.items[3], "c: d");
	CHECK_OK(tc_cli_backend_check(&c));
	/* written back, and that reads back the same */
	CHECK_OK(tc_config_write_yaml(&out, &c, 1));
	CHECK_OK(tc_buf_cstr(&out));
	CHECK(strstr((char *)out.ptr, "object_metadata: {\"team\": \"tracing\", \"a b\": \"c: d\"}"));
	CHECK(strstr((char *)out.ptr, "hedge") == NULL);
	tc_config_dispose(&c);
	CHECK_OK(tc_config_load_string(&c, (char *)out.ptr, out.len, "written.yaml"));
	CHECK(c.storage.gcs.object_metadata.n == 4);
	tc_config_dispose(&c);
	tc_buf_dispose(&out);
	/* a map that is not one, and a flag */
	CHECK_ERR(tc_config_load_string(&c, "storage: {trace: {gcs: {object_metadata: [a]}}}\n", 47,
					"m.yaml"),
		  TC_EINVALID);
	CHECK_ERRMSG("storage.trace.gcs.object_metadata: want a mapping");
	CHECK_OK(tc_config_default(&c));
	CHECK(c.storage.gcs.chunk_buffer_size == 10485760);
	CHECK_OK(tc_config_set(&c, "storage.trace.gcs.object_metadata", "k=v,x=y=z"));
	CHECK(c.storage.gcs.object_metadata.n == 4);
	CHECK_STR(c.storage.gcs.object_metadata.items[3], "y=z");
	CHECK_ERR(tc_config_set(&c, "storage.trace.gcs.object_metadata", "novalue"), TC_EINVALID);
	tc_config_dispose(&c);
}

/* backend_open: gcs is a backend now; what it needs, and a backend from the config. */
static void open_from_config_body(fx *f)
{
	tc_config cfg;
	tc_backend *be = NULL;
	char path[700], s[4096];
	int err;

	unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
	CHECK_OK(tc_config_default(&cfg));
	CHECK_OK(tc_config_set(&cfg, "storage.trace.backend", "gcs"));
	CHECK_ERR(tc_cli_backend_check(&cfg), TC_EINVALID);
	CHECK_ERRMSG("storage.trace.gcs.bucket_name");
	CHECK_OK(tc_config_set(&cfg, "storage.trace.gcs.bucket_name", f->bucket));
	CHECK_ERR(tc_cli_backend_open(&be, &cfg, NULL), TC_EINVALID);
	CHECK_ERRMSG("GOOGLE_APPLICATION_CREDENTIALS");
	CHECK_OK(tc_config_set(&cfg, "storage.trace.gcs.endpoint", f->fk.endpoint));
	snprintf(path, sizeof(path), "%s/sa.json", f->fk.dir);
	CHECK_OK(tc_test_write_file(path, f->key, strlen(f->key)));
	setenv("GOOGLE_APPLICATION_CREDENTIALS", path, 1);
	err = tc_cli_backend_open(&be, &cfg, NULL);
	CHECK_MSG(err == 0, "open: %s", tc_error_last());
	if (err == 0) {
		CHECK_STR(tc_backend_name(be), "gcs");
		CHECK_OK(tc_suite_put(be, "t/b/meta.json", "cfg"));
		CHECK_OK(tc_suite_get(s, be, "t/b/meta.json"));
		CHECK_STR(s, "cfg");
		CHECK(fake_stat(&f->fk, "tokens_issued") == 1);
		tc_backend_free(be);
	}
	setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/sa.json", 1);
	CHECK_ERR(tc_cli_backend_open(&be, &cfg, NULL), TC_EINVALID);
	CHECK_ERRMSG("/nonexistent/sa.json");
	unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
	tc_config_dispose(&cfg);
}

static void open_from_config(void)
{
	run(open_from_config_body, NULL, NULL);
}

TC_TEST_MAIN(T(jwt_openssl_verify), T(bad_keys), T(bad_options), T(config_rows),
	     T(gcs_write_read), T(gcs_not_found), T(gcs_read_range), T(gcs_stat_object),
	     T(gcs_list), T(gcs_delete_object), T(gcs_append_commit), T(gcs_append_abort),
	     T(gcs_mark_compacted), T(gcs_clear_block), T(gcs_hostile_keys),
	     T(gcs_concurrent_writers), T(gcs_list_semantics), T(gcs_long_listing),
	     T(gcs_overwrite), T(gcs_all_chars), T(gcs_list_blocks), T(gcs_encoded_keys), T(token_refresh),
	     T(token_refused_refetched), T(retries), T(resumable_resume), T(object_metadata),
	     T(list_two_pages), T(rewrite_steps), T(missing_bucket), T(wrong_key),
	     T(anonymous_emulator), T(cancel_backoff), T(open_from_config))
