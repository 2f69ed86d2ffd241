/*
 * The S3 backend against a real S3 server (a one-node Ceph RGW in CI):
 * the conformance suite of tests/backend_suite.c, then what only S3 has —
 * multipart uploads across several parts, aborted uploads that leave
 * nothing billed, signature and credential errors carrying S3's error
 * code, a missing bucket, key prefixes, keys that need URL encoding,
 * listings longer than one page, DeleteObjects batches, virtual-host
 * addressing.
 *
 * The server comes from the environment: TC_S3_ENDPOINT ("127.0.0.1:17480",
 * required: without it every test fails), TC_S3_ACCESS_KEY and
 * TC_S3_SECRET_KEY (default TCKEY / TCSECRET). Each test works in buckets
 * of its own.
 */
#include "tests/test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tests/backend_suite.h"
#include "src/backend/backend.h"
#include "src/cli/backend_open.h"
#include "src/compactor/blocklist.h"
#include "src/compactor/compact.h"
#include "src/compactor/selector.h"
#include "src/config/config.h"
#include "src/backend/s3.h"
#include "src/metrics/metrics.h"
#include "src/util/ids.h"
#include "src/util/log.h"

typedef struct fx {
	tc_backend *be;
	tc_metrics *m;
	char bucket[64];
	tc_suite_fx s;
} fx;

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

static const char *endpoint(void)
{
	return getenv("TC_S3_ENDPOINT");
}

/* A bucket name no earlier run used. */
static void bucket_name(char out[64])
{
	static atomic_int seq;
	snprintf(out, 64, "tc-%ld-%d-%d", (long)time(NULL) % 100000000, (int)getpid(),
		 atomic_fetch_add(&seq, 1));
}

static tc_s3_options opts(const char *bucket)
{
	tc_s3_options o;
	memset(&o, 0, sizeof(o));
	o.bucket = bucket;
	o.endpoint = endpoint();
	o.access_key = env_or("TC_S3_ACCESS_KEY", "TCKEY");
	o.secret_key = env_or("TC_S3_SECRET_KEY", "TCSECRET");
	o.insecure = 1;
	o.forcepathstyle = 1;
	o.max_retries = 2;
	return o;
}

/*
 * S3 has no utimes: let the meta grow old enough to tell its time from the
 * time of marking (a fixed sleep: two more Last-Modified seconds must pass).
 */
static int wait_old(void *ctx, const char *key)
{
	(void)ctx;
	(void)key;
	sleep(2);
	return 1;
}

/* A backend on a fresh bucket, with metrics. */
static int fx_new(fx *f, const char *prefix, uint64_t part_size)
{
	tc_s3_options o;
	int err;

	memset(f, 0, sizeof(*f));
	if (!endpoint()) {
		tc_error_set("TC_S3_ENDPOINT is not set: the S3 tests need an S3 server "
			     "(scripts/rgw.sh start DIR PORT, then TC_S3_ENDPOINT=127.0.0.1:PORT)");
		return TC_EINVALID;
	}
	bucket_name(f->bucket);
	o = opts(f->bucket);
	o.prefix = prefix;
	o.part_size = part_size;
	if ((err = tc_metrics_new(&f->m)) < 0 || (err = tc_backend_s3_new(&f->be, &o, f->m)) < 0)
		return err;
	f->s = (tc_suite_fx){
		.be = f->be,
		.ctx = f,
		.backdate = wait_old,
		/* Last-Modified has one-second precision */
		.mtime_slack_s = 2,
		/* under part_size: nothing is visible or pending before commit */
		.append_visible_before_commit = 0,
		.concurrent_objects = 15,
		.block_versions_known = 1,
	};
	return tc_backend_s3_create_bucket(f->be);
}

static void fx_free(fx *f)
{
	tc_backend_free(f->be);
	tc_metrics_free(f->m);
}

#define WITH_FX(name, prefix, part)                                                \
	static void name(fx *f);                                                   \
	static void s3_##name(void)                                                \
	{                                                                          \
		fx f;                                                              \
		int r = fx_new(&f, prefix, part);                                  \
		if (r < 0)                                                         \
			fx_free(&f);                                               \
		CHECK_MSG(r == 0, "s3 backend: %s", tc_error_last());              \
		CHECK_STR(tc_backend_name(f.be), "s3");                            \
		name(&f);                                                          \
		fx_free(&f);                                                       \
	}
#define CONFORM(name, extra)                                                       \
	static void s3_##name(void)                                                \
	{                                                                          \
		fx f;                                                              \
		int r = fx_new(&f, NULL, 0);                                       \
		if (r < 0)                                                         \
			fx_free(&f);                                               \
		CHECK_MSG(r == 0, "s3 backend: %s", tc_error_last());              \
		CHECK_STR(tc_backend_name(f.be), "s3");                            \
		tc_suite_run(&f.s, tc_suite_##name, extra, &f);                    \
		fx_free(&f);                                                       \
	}

static void fill(uint8_t *p, size_t n, uint64_t *rng)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)tc_test_rand(rng);
}


/*
 * ---- conformance (tests/backend_suite.c) ----
 * s3_<name> runs tc_suite_<name>, then the S3-only checks below, if any.
 */

/* Every request was timed. */
static void write_read_timed(void *ctx)
{
	fx *f = ctx;

	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "PUT", "200") >= 6);
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "GET", "200") >= 4);
}

/* A 404 is timed and never retried. */
static void not_found_not_retried(void *ctx)
{
	fx *f = ctx;

	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "GET", "404") >= 3);
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_RETRIES_TOTAL, "GET", NULL) == 0);
}

/* No multipart upload is left pending. */
static void append_commit_no_uploads(void *ctx)
{
	fx *f = ctx;
	tc_strlist pending = TC_STRLIST_INIT;

	CHECK_OK(tc_backend_s3_pending_uploads(&pending, f->be, ""));
	CHECK_MSG(pending.n == 0, "%zu multipart uploads pending", pending.n);
	tc_strlist_dispose(&pending);
}

/* One POST ?delete did it. */
static void clear_block_one_post(void *ctx)
{
	fx *f = ctx;

	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "POST", "200") == 1);
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "DELETE", "204") == 0);
}

/* No request was sent for any refused key (the one PUT made the bucket). */
static void hostile_keys_no_requests(void *ctx)
{
	fx *f = ctx;

	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "PUT", "200") == 1);
}

CONFORM(write_read, write_read_timed)
CONFORM(not_found, not_found_not_retried)
CONFORM(read_range, NULL)
CONFORM(stat_object, NULL)
CONFORM(list, NULL)
CONFORM(delete_object, NULL)
CONFORM(append_commit, append_commit_no_uploads)
CONFORM(append_abort, NULL)
CONFORM(mark_compacted, NULL)
CONFORM(clear_block, clear_block_one_post)
CONFORM(hostile_keys, hostile_keys_no_requests)
CONFORM(concurrent_writers, NULL)

/* Keys that need URL encoding in paths, copy sources, listings and Delete bodies. */
WITH_FX(encoded_keys, NULL, 0)
static void encoded_keys(fx *f)
{
	static const char *tenants[] = { "a b", "plus+sign", "pct%41", "amp&eq=q?h#",
					 "caf\xc3\xa9", "dollar$(x)*'!" };
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
		CHECK_STR(l.items[0], key);
		snprintf(key, sizeof(key), "%s/blk %s/", tenants[i], tenants[i]);
		CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, key, 1));
		CHECK_STR(s, "meta.compacted.json");
	}
	tc_strlist_clear(&l);
	CHECK_OK(tc_backend_list(&l, f->be, ""));
	CHECK(l.n == n);
	for (size_t i = 0; i < n; i++)
		CHECK_MSG(tc_strlist_contains(&l, tenants[i]), "tenant \"%s\" not listed", tenants[i]);
	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "blk %s", tenants[i]);
		CHECK_OK(tc_backend_clear_block(f->be, tenants[i], key));
	}
	tc_strlist_clear(&l);
	CHECK_OK(tc_backend_list(&l, f->be, ""));
	CHECK(l.n == 0);
	tc_strlist_dispose(&l);
}


/* ---- S3 specifics ---- */

#define MIB ((size_t)1 << 20)

/* 12 MiB through 5 MiB parts: three parts, read back byte for byte. */
WITH_FX(multipart, NULL, 5 * MIB)
static void multipart(fx *f)
{
	size_t total = 12 * MIB, off = 0;
	uint8_t *want = malloc(total);
	uint64_t rng = 7;
	tc_append *a = NULL;
	tc_buf got = TC_BUF_INIT;
	tc_strlist pending = TC_STRLIST_INIT;
	tc_stat st;
	uint8_t range[100];

	CHECK(want != NULL);
	fill(want, total, &rng);
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b/data"));
	while (off < total) {
		size_t n = 700000 + (size_t)(tc_test_rand(&rng) % 900000);
		if (n > total - off)
			n = total - off;
		CHECK_OK(tc_backend_append(a, want + off, n));
		off += n;
	}
	/* past part_size a multipart upload is running, but nothing is visible */
	CHECK_OK(tc_backend_s3_pending_uploads(&pending, f->be, "t/"));
	CHECK(pending.n == 1);
	CHECK_STR(pending.items[0], "t/b/data");
	CHECK_ERR(tc_backend_stat(&st, f->be, "t/b/data"), TC_ENOTFOUND);
	CHECK_OK(tc_backend_append_commit(a));
	CHECK_OK(tc_backend_read(&got, f->be, "t/b/data"));
	CHECK_EQ_U64(got.len, total);
	CHECK(memcmp(got.ptr, want, total) == 0);
	CHECK_OK(tc_backend_stat(&st, f->be, "t/b/data"));
	CHECK_EQ_U64(st.size, total);
	/* a range across the first part boundary */
	CHECK_OK(tc_backend_read_range(range, f->be, "t/b/data", 5 * MIB - 50, 100));
	CHECK(memcmp(range, want + 5 * MIB - 50, 100) == 0);
	tc_strlist_clear(&pending);
	CHECK_OK(tc_backend_s3_pending_uploads(&pending, f->be, ""));
	CHECK(pending.n == 0);
	/* bucket, initiate, 3 parts, complete */
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "PUT", "200") == 4);
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "POST", "200") == 2);
	/* exactly part_size + 1 bytes: a part and a 1-byte last part */
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b2/data"));
	CHECK_OK(tc_backend_append(a, want, 5 * MIB + 1));
	CHECK_OK(tc_backend_append_commit(a));
	tc_buf_clear(&got);
	CHECK_OK(tc_backend_read(&got, f->be, "t/b2/data"));
	CHECK(got.len == 5 * MIB + 1 && memcmp(got.ptr, want, got.len) == 0);
	/* exactly part_size: one plain PUT */
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b3/data"));
	CHECK_OK(tc_backend_append(a, want, 5 * MIB));
	CHECK_OK(tc_backend_append_commit(a));
	CHECK_OK(tc_backend_stat(&st, f->be, "t/b3/data"));
	CHECK_EQ_U64(st.size, 5 * MIB);
	free(want);
	tc_buf_dispose(&got);
	tc_strlist_dispose(&pending);
}

/* An aborted multipart upload leaves no upload (nothing billed) and no object. */
WITH_FX(multipart_abort, NULL, 5 * MIB)
static void multipart_abort(fx *f)
{
	size_t total = 11 * MIB;
	uint8_t *data = calloc(1, total);
	tc_append *a = NULL;
	tc_strlist pending = TC_STRLIST_INIT;
	tc_stat st;

	CHECK(data != NULL);
	CHECK_OK(tc_suite_put(f->be, "t/b/meta.json", "m"));
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b/data"));
	CHECK_OK(tc_backend_append(a, data, total));
	CHECK_OK(tc_backend_s3_pending_uploads(&pending, f->be, ""));
	CHECK(pending.n == 1);
	tc_backend_append_abort(a);
	tc_strlist_clear(&pending);
	CHECK_OK(tc_backend_s3_pending_uploads(&pending, f->be, ""));
	CHECK_MSG(pending.n == 0, "%zu multipart uploads left after abort", pending.n);
	CHECK_ERR(tc_backend_stat(&st, f->be, "t/b/data"), TC_ENOTFOUND);
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "DELETE", "204") == 1);
	free(data);
	tc_strlist_dispose(&pending);
}

/* An upload a killed writer left open is aborted once it is older than the cut-off. */
WITH_FX(stale_upload_aborted, NULL, 5 * MIB)
static void stale_upload_aborted(fx *f)
{
	size_t total = 6 * MIB, n = 99;
	uint8_t *data = calloc(1, total);
	tc_append *a = NULL;
	tc_strlist pending = TC_STRLIST_INIT;
	tc_time past = tc_time_from_unix(1000000000, 0), future = tc_time_now();

	CHECK(data != NULL);
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b/data"));
	CHECK_OK(tc_backend_append(a, data, total));
	/* not older than a cut-off in the past: kept */
	CHECK_OK(tc_backend_abort_stale_uploads(&n, f->be, &past));
	CHECK_EQ_U64(n, 0);
	future.sec += 3600;
	CHECK_OK(tc_backend_abort_stale_uploads(&n, f->be, &future));
	CHECK_EQ_U64(n, 1);
	CHECK_OK(tc_backend_s3_pending_uploads(&pending, f->be, ""));
	CHECK_MSG(pending.n == 0, "%zu multipart uploads left", pending.n);
	tc_backend_append_abort(a); /* the writer's own abort now finds nothing: no error */
	free(data);
	tc_strlist_dispose(&pending);
}

/* Wrong secret: SignatureDoesNotMatch, no retry, nothing written. */
WITH_FX(wrong_secret, NULL, 5 * MIB)
static void wrong_secret(fx *f)
{
	tc_s3_options o = opts(f->bucket);
	tc_backend *bad = NULL;
	tc_metrics *m = NULL;
	tc_buf b = TC_BUF_INIT;
	tc_append *a = NULL;
	tc_strlist l = TC_STRLIST_INIT;
	uint8_t *big = calloc(1, 6 * MIB);

	o.secret_key = "definitely-not-the-secret";
	o.part_size = 5 * MIB;
	CHECK(big != NULL);
	CHECK_OK(tc_metrics_new(&m));
	CHECK_OK(tc_backend_s3_new(&bad, &o, m));
	CHECK_ERR(tc_suite_put(bad, "t/b/meta.json", "x"), TC_ERROR);
	CHECK_ERRMSG("SignatureDoesNotMatch");
	CHECK_ERRMSG("403");
	CHECK_ERRMSG("t/b/meta.json");
	CHECK(strstr(tc_error_last(), o.secret_key) == NULL);
	CHECK_ERR(tc_backend_read(&b, bad, "t/b/meta.json"), TC_ERROR); /* not "not found" */
	CHECK_ERRMSG("SignatureDoesNotMatch");
	CHECK_ERR(tc_backend_list(&l, bad, ""), TC_ERROR);
	CHECK_ERRMSG("SignatureDoesNotMatch");
	CHECK_OK(tc_backend_append_open(&a, bad, "t/b/data"));
	CHECK_ERR(tc_backend_append(a, big, 6 * MIB), TC_ERROR);
	CHECK_ERRMSG("SignatureDoesNotMatch");
	CHECK_ERR(tc_backend_append_commit(a), TC_ERROR);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_RETRIES_TOTAL, "PUT", NULL) == 0);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "PUT", "403") == 1);
	/* nothing was written */
	CHECK_OK(tc_backend_list(&l, f->be, ""));
	CHECK(l.n == 0);
	CHECK_OK(tc_backend_list_objects(&l, f->be, ""));
	CHECK(l.n == 0);
	CHECK_OK(tc_backend_s3_pending_uploads(&l, f->be, ""));
	CHECK(l.n == 0);

	/* an unknown access key */
	tc_backend_free(bad);
	o.access_key = "NOSUCHKEY";
	CHECK_OK(tc_backend_s3_new(&bad, &o, NULL));
	CHECK_ERR(tc_suite_put(bad, "t/b/meta.json", "x"), TC_ERROR);
	CHECK_ERRMSG("InvalidAccessKeyId");
	tc_backend_free(bad);
	tc_metrics_free(m);
	tc_buf_dispose(&b);
	tc_strlist_dispose(&l);
	free(big);
}

/* A missing bucket is an error, never "not found". */
static void missing_bucket(void)
{
	tc_s3_options o;
	tc_backend *be = NULL;
	tc_buf b = TC_BUF_INIT;
	tc_strlist l = TC_STRLIST_INIT;
	char bucket[64];

	CHECK_MSG(endpoint() != NULL, "TC_S3_ENDPOINT is not set");
	bucket_name(bucket);
	o = opts(bucket);
	CHECK_OK(tc_backend_s3_new(&be, &o, NULL));
	CHECK_ERR(tc_suite_put(be, "t/b/meta.json", "x"), TC_ERROR);
	CHECK_ERRMSG("NoSuchBucket");
	CHECK_ERR(tc_backend_read(&b, be, "t/b/meta.json"), TC_ERROR);
	CHECK_ERRMSG("NoSuchBucket");
	CHECK_ERR(tc_backend_list(&l, be, ""), TC_ERROR);
	CHECK_ERRMSG("NoSuchBucket");
	CHECK_ERR(tc_backend_mark_compacted(be, "t", "b"), TC_ERROR);
	CHECK_ERRMSG("NoSuchBucket");
	tc_backend_free(be);
	tc_buf_dispose(&b);
	tc_strlist_dispose(&l);
}

/* A prefix puts every key below it and hides everything else. */
WITH_FX(prefix, "/tempo/traces/", 0)
static void prefix(fx *f)
{
	tc_s3_options o = opts(f->bucket);
	tc_backend *root = NULL;
	char s[4096];

	CHECK_OK(tc_suite_put(f->be, "t/b/meta.json", "m"));
	CHECK_OK(tc_backend_mark_compacted(f->be, "t", "b"));
	CHECK_OK(tc_backend_s3_new(&root, &o, NULL));
	CHECK_OK(tc_suite_put(root, "outside/b/meta.json", "o"));
	CHECK_OK(tc_suite_get(s, root, "tempo/traces/t/b/meta.compacted.json"));
	CHECK_STR(s, "m");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), root, "", 0));
	CHECK_STR(s, "outside,tempo");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "", 0));
	CHECK_STR(s, "t");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t/b/", 1));
	CHECK_STR(s, "meta.compacted.json");
	CHECK_OK(tc_backend_clear_block(f->be, "t", "b"));
	CHECK_OK(tc_suite_list_str(s, sizeof(s), root, "", 0));
	CHECK_STR(s, "outside");
	tc_backend_free(root);
}

/* clear_block of 1010 objects: two DeleteObjects batches. */
static void two_delete_batches(void *ctx)
{
	fx *f = ctx;

	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "POST", "200") == 2);
}

CONFORM(long_listing, two_delete_batches)
CONFORM(list_semantics, NULL)
CONFORM(overwrite, NULL)
CONFORM(all_chars, NULL)
CONFORM(list_blocks, NULL)

/* Virtual-host addressing ("<bucket>.<endpoint>"), as on AWS. */
WITH_FX(virtual_host, NULL, 0)
static void virtual_host(fx *f)
{
	tc_s3_options o = opts(f->bucket);
	char ep[256], s[4096];
	const char *colon = strrchr(endpoint(), ':');
	tc_backend *vh = NULL;

	/* RGW is set up with "rgw dns name = localhost"; *.localhost is loopback */
	snprintf(ep, sizeof(ep), "localhost%s", colon ? colon : "");
	o.endpoint = ep;
	o.forcepathstyle = 0;
	o.virtual_host = 1;
	CHECK_OK(tc_backend_s3_new(&vh, &o, NULL));
	CHECK_OK(tc_suite_put(vh, "t/b/meta.json", "vh"));
	CHECK_OK(tc_suite_get(s, f->be, "t/b/meta.json"));
	CHECK_STR(s, "vh");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), vh, "t/", 0));
	CHECK_STR(s, "b");
	CHECK_OK(tc_backend_mark_compacted(vh, "t", "b"));
	CHECK_OK(tc_backend_clear_block(vh, "t", "b"));
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "", 0));
	CHECK_STR(s, "");
	tc_backend_free(vh);
}

static void bad_options(void)
{
	tc_s3_options o = opts("bucket");
	tc_backend *be = (tc_backend *)1;

	o.endpoint = "127.0.0.1:1";
	o.bucket = "";
	CHECK_ERR(tc_backend_s3_new(&be, &o, NULL), TC_EINVALID);
	CHECK(be == NULL);
	CHECK_ERRMSG("bucket");
	o.bucket = "b/x";
	CHECK_ERR(tc_backend_s3_new(&be, &o, NULL), TC_EINVALID);
	o.bucket = "bucket";
	o.endpoint = "http://127.0.0.1:1";
	CHECK_ERR(tc_backend_s3_new(&be, &o, NULL), TC_EINVALID);
	CHECK_ERRMSG("endpoint");
	o.endpoint = "127.0.0.1:1";
	o.part_size = 1 << 20;
	CHECK_ERR(tc_backend_s3_new(&be, &o, NULL), TC_EINVALID);
	CHECK_ERRMSG("part_size");
	o.part_size = 0;
	o.prefix = "a/../b";
	CHECK_ERR(tc_backend_s3_new(&be, &o, NULL), TC_EINVALID);
	o.prefix = NULL;
	o.secret_key = "";
	CHECK_ERR(tc_backend_s3_new(&be, &o, NULL), TC_EINVALID);
	CHECK_ERRMSG("secret_key");
}

/* Retries are counted per method; every method's series exists at 0 once the backend does. */
static void retries_exported_at_zero(void)
{
	static const char *const methods[] = { "DELETE", "GET", "HEAD", "POST", "PUT" };
	tc_s3_options o = opts("bucket");
	tc_backend *be = NULL;
	tc_metrics *m = NULL;
	tc_buf b = TC_BUF_INIT;
	char want[128];

	o.endpoint = "127.0.0.1:1"; /* creating the backend sends nothing */
	CHECK_OK(tc_metrics_new(&m));
	CHECK_OK(tc_backend_s3_new(&be, &o, m));
	CHECK_OK(tc_metrics_render(&b, m));
	CHECK_OK(tc_buf_cstr(&b));
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		snprintf(want, sizeof(want), "\ntracecompactor_backend_retries_total{operation=\"%s\"} 0\n",
			 methods[i]);
		CHECK_MSG(strstr((char *)b.ptr, want) != NULL, "missing %s in\n%s", want + 1, (char *)b.ptr);
	}
	tc_buf_dispose(&b);
	tc_backend_free(be);
	tc_metrics_free(m);
}

/* Nothing listens: connection errors are retried, then reported. */
static void connection_refused(void)
{
	tc_s3_options o = opts("bucket");
	tc_backend *be = NULL;
	tc_metrics *m = NULL;
	tc_buf b = TC_BUF_INIT;

	o.endpoint = "127.0.0.1:1";
	o.max_retries = 2;
	CHECK_OK(tc_metrics_new(&m));
	CHECK_OK(tc_backend_s3_new(&be, &o, m));
	CHECK_ERR(tc_backend_read(&b, be, "t/b/meta.json"), TC_ERROR);
	CHECK_ERRMSG("t/b/meta.json");
	CHECK_ERRMSG("onnect");
	CHECK(tc_metrics_get(m, TC_M_BACKEND_RETRIES_TOTAL, "GET", NULL) == 2);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "GET", "0") == 3);
	tc_backend_free(be);
	tc_metrics_free(m);
	tc_buf_dispose(&b);
}


/* ---- a fake S3 for what a healthy RGW never does ---- */

enum fake_mode { F_SLOWDOWN, F_429, F_500, F_403, F_COPY_ERR, F_NO_MULTIDEL, F_RANGE_IGNORED,
		 F_TRUNCATED, F_IGNORES_PREFIX, F_UPLOADS_GONE, F_HUGE_LISTING, F_BAD_XML,
		 F_SAME_TOKEN, F_EMPTY_TOKEN, F_CYCLE, F_ENDLESS, F_BAD_KEYS, F_ENTITIES, F_DOCTYPE,
		 F_TOO_MANY, F_UPLOADS_LOOP };

typedef struct fake {
	struct MHD_Daemon *d;
	int mode;
	atomic_int errors_left; /* F_SLOWDOWN/F_429: error replies before success */
	atomic_int n_total, n_get, n_put, n_post, n_delete;
	char endpoint[64];
} fake;

static enum MHD_Result fake_reply(struct MHD_Connection *c, unsigned status, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
								  MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Last-Modified", "Wed, 12 Oct 2022 17:50:00 GMT");
	MHD_add_response_header(r, "ETag", "\"0123\"");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* 200 bytes, so a token or name is longer than any message shows */
#define FAKE_LONG "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define S3_ERR(code, msg) "<?xml version=\"1.0\"?><Error><Code>" code "</Code><Message>" msg \
			  "</Message></Error>"

static enum MHD_Result fake_handler(void *cls, struct MHD_Connection *c, const char *url,
				    const char *method, const char *version, const char *upload,
				    size_t *upload_size, void **ctx)
{
	static int marker;
	fake *f = cls;
	int get = !strcmp(method, "GET");

	(void)url;
	(void)version;
	(void)upload;
	if (!*ctx) {
		*ctx = &marker;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	atomic_fetch_add(&f->n_total, 1);
	atomic_fetch_add(get ? &f->n_get : !strcmp(method, "PUT") ? &f->n_put
				      : !strcmp(method, "POST")  ? &f->n_post
				      : &f->n_delete, 1);
	switch (f->mode) {
	case F_SLOWDOWN:
		if (atomic_fetch_sub(&f->errors_left, 1) > 0)
			return fake_reply(c, 503, S3_ERR("SlowDown", "Please reduce your request rate."));
		return fake_reply(c, 200, "hello");
	case F_429:
		if (atomic_fetch_sub(&f->errors_left, 1) > 0)
			return fake_reply(c, 429, "");
		return fake_reply(c, 200, "hello");
	case F_500:
		return fake_reply(c, 500, S3_ERR("InternalError", "We encountered an internal error.\nPlease try again."));
	case F_403:
		return fake_reply(c, 403, S3_ERR("AccessDenied", "Access Denied"));
	case F_COPY_ERR:
		if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-amz-copy-source"))
			return fake_reply(c, 200, S3_ERR("InternalError", "copy failed"));
		return fake_reply(c, 204, "");
	case F_NO_MULTIDEL:
		if (get)
			return fake_reply(c, 200,
					  "<ListBucketResult><IsTruncated>false</IsTruncated>"
					  "<Contents><Key>t/b/data</Key></Contents>"
					  "<Contents><Key>t/b/index</Key></Contents>"
					  "<Contents><Key>t/b/meta.json</Key></Contents>"
					  "</ListBucketResult>");
		if (!strcmp(method, "POST"))
			return fake_reply(c, 501, S3_ERR("NotImplemented", "A header you provided implies functionality that is not implemented"));
		return fake_reply(c, 204, "");
	case F_RANGE_IGNORED:
		return fake_reply(c, 200, "0123456789");
	case F_TRUNCATED:
		return fake_reply(c, 200, "<ListBucketResult><IsTruncated>true</IsTruncated>"
					  "<CommonPrefixes><Prefix>t/</Prefix></CommonPrefixes>"
					  "</ListBucketResult>");
	case F_IGNORES_PREFIX: /* lists the whole bucket whatever the prefix; no DeleteObjects */
		if (get)
			return fake_reply(c, 200,
					  "<ListBucketResult><IsTruncated>false</IsTruncated>"
					  "<Contents><Key>t/b/data</Key></Contents>"
					  "<Contents><Key>t/other/meta.json</Key></Contents>"
					  "<Contents><Key>u/b/data</Key></Contents>"
					  "</ListBucketResult>");
		if (!strcmp(method, "POST"))
			return fake_reply(c, 501, S3_ERR("NotImplemented", "no DeleteObjects"));
		return fake_reply(c, 204, "");
	case F_UPLOADS_GONE: /* two old uploads, one without an ID; aborting says NoSuchUpload */
		if (get)
			return fake_reply(c, 200,
					  "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
					  "<Upload><Key>t/b/data</Key><UploadId>u1</UploadId>"
					  "<Initiated>2020-01-01T00:00:00.000Z</Initiated></Upload>"
					  "<Upload><Key>t/c/data</Key>"
					  "<Initiated>2020-01-01T00:00:00.000Z</Initiated></Upload>"
					  "</ListMultipartUploadsResult>");
		return fake_reply(c, 404, S3_ERR("NoSuchUpload", "The specified upload does not exist."));
	case F_BAD_XML: /* a listing whose third line breaks off inside a tag */
		return fake_reply(c, 200, "<ListBucketResult><IsTruncated>false</IsTruncated>\n"
					  "<Contents><Key>t/b/data</Key></Contents>\n"
					  "<Contents><Key>t/b/index</Key></Contents\n"
					  "</ListBucketResult>");
	case F_SAME_TOKEN: /* truncated forever, always naming the same (hostile-looking) token */
		return fake_reply(c, 200, "<ListBucketResult><IsTruncated>true</IsTruncated>"
					  "<CommonPrefixes><Prefix>t/</Prefix></CommonPrefixes>"
					  "<NextContinuationToken>loop&#9;tok&#10;\x7f" FAKE_LONG
					  "</NextContinuationToken></ListBucketResult>");
	case F_EMPTY_TOKEN:
		return fake_reply(c, 200, "<ListBucketResult><IsTruncated>true</IsTruncated>"
					  "<CommonPrefixes><Prefix>t/</Prefix></CommonPrefixes>"
					  "<NextContinuationToken></NextContinuationToken>"
					  "</ListBucketResult>");
	case F_CYCLE: { /* A, B, A, B, ...: no two tokens in a row are equal */
		const char *tok = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
							      "continuation-token");
		return fake_reply(c, 200, tok && !strcmp(tok, "A")
					  ? "<ListBucketResult><IsTruncated>true</IsTruncated>"
					    "<NextContinuationToken>B</NextContinuationToken></ListBucketResult>"
					  : "<ListBucketResult><IsTruncated>true</IsTruncated>"
					    "<NextContinuationToken>A</NextContinuationToken></ListBucketResult>");
	}
	case F_ENDLESS: { /* a new token and a new name on every page, forever */
		const char *tok = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
							      "continuation-token");
		long n = tok ? strtol(tok + 1, NULL, 10) : 0;
		char body[256];
		snprintf(body, sizeof(body), "<ListBucketResult><IsTruncated>true</IsTruncated>"
					     "<CommonPrefixes><Prefix>t%ld/</Prefix></CommonPrefixes>"
					     "<NextContinuationToken>p%ld</NextContinuationToken>"
					     "</ListBucketResult>", n, n + 1);
		return fake_reply(c, 200, body);
	}
	case F_BAD_KEYS: /* two pages of names, some of which cannot be keys; then uploads */
		if (!MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "list-type"))
			return fake_reply(c, 200,
					  "<ListMultipartUploadsResult><EncodingType>url</EncodingType>"
					  "<IsTruncated>false</IsTruncated>"
					  "<Upload><Key>t/a%00b/data</Key><UploadId>u1</UploadId>"
					  "<Initiated>2020-01-01T00:00:00.000Z</Initiated></Upload>"
					  "<Upload><Key>t/b/data</Key><UploadId>u2</UploadId>"
					  "<Initiated>2020-01-01T00:00:00.000Z</Initiated></Upload>"
					  "</ListMultipartUploadsResult>");
		if (!MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "continuation-token"))
			return fake_reply(c, 200,
					  "<ListBucketResult><EncodingType>url</EncodingType>"
					  "<IsTruncated>true</IsTruncated>"
					  "<CommonPrefixes><Prefix>a%00b/</Prefix></CommonPrefixes>"
					  "<CommonPrefixes><Prefix>good/</Prefix></CommonPrefixes>"
					  "<CommonPrefixes><Prefix>bad%zz/</Prefix></CommonPrefixes>"
					  "<CommonPrefixes><Prefix>%FF%FE/</Prefix></CommonPrefixes>"
					  "<CommonPrefixes><Prefix>a%00b/</Prefix></CommonPrefixes>"
					  "<CommonPrefixes><Prefix>ok%2D2/</Prefix></CommonPrefixes>"
					  "<CommonPrefixes><Prefix>ctl%1B[31m/</Prefix></CommonPrefixes>"
					  "<CommonPrefixes><Prefix>sp+ace/</Prefix></CommonPrefixes>"
					  "<NextContinuationToken>p2</NextContinuationToken>"
					  "</ListBucketResult>");
		return fake_reply(c, 200, "<ListBucketResult><EncodingType>url</EncodingType>"
					  "<IsTruncated>false</IsTruncated>"
					  "<CommonPrefixes><Prefix>a%00b/</Prefix></CommonPrefixes>"
					  "<CommonPrefixes><Prefix>more/</Prefix></CommonPrefixes>"
					  "</ListBucketResult>");
	case F_ENTITIES: /* billion laughs */
		return fake_reply(c, 200,
				  "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
				  " <!ENTITY lol \"lol\">\n"
				  " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
				  " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
				  " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
				  " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
				  " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
				  " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
				  " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
				  " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
				  " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
				  "]>\n<ListBucketResult><IsTruncated>false</IsTruncated>"
				  "<CommonPrefixes><Prefix>&lol9;/</Prefix></CommonPrefixes>"
				  "</ListBucketResult>");
	case F_DOCTYPE: /* a DOCTYPE without any declaration: refused all the same */
		return fake_reply(c, 200, "<!DOCTYPE ListBucketResult><ListBucketResult>"
					  "<IsTruncated>false</IsTruncated>"
					  "<CommonPrefixes><Prefix>t/</Prefix></CommonPrefixes>"
					  "</ListBucketResult>");
	case F_TOO_MANY: { /* one name more than the max-keys we ask for */
		static char *many;
		if (!many && (many = malloc(1002 * 64 + 128))) {
			size_t o = (size_t)sprintf(many, "<ListBucketResult><IsTruncated>false</IsTruncated>");
			for (int i = 0; i < 1001; i++)
				o += (size_t)sprintf(many + o, "<CommonPrefixes><Prefix>t%d/</Prefix>"
							       "</CommonPrefixes>", i);
			sprintf(many + o, "</ListBucketResult>");
		}
		return fake_reply(c, 200, many ? many : "");
	}
	case F_UPLOADS_LOOP: /* uploads listed truncated forever, always from the same markers */
		return fake_reply(c, 200, "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated>"
					  "<NextKeyMarker>t/b/data</NextKeyMarker>"
					  "<NextUploadIdMarker>u1</NextUploadIdMarker>"
					  "</ListMultipartUploadsResult>");
	case F_HUGE_LISTING: { /* a 200 whose document does not fit TC_S3_XML_MAX */
		static char *big;
		size_t n = ((size_t)17 << 20);
		if (!big && (big = malloc(n + 1))) {
			memset(big, ' ', n);
			memcpy(big, "<ListBucketResult>", 18);
			big[n] = '\0';
		}
		return fake_reply(c, 200, big ? big : "");
	}
	}
	return MHD_NO;
}

static int fake_start(fake *f, int mode)
{
	const union MHD_DaemonInfo *info;

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				fake_handler, f, MHD_OPTION_END);
	if (!f->d || !(info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT)))
		return -1;
	snprintf(f->endpoint, sizeof(f->endpoint), "127.0.0.1:%u", (unsigned)info->port);
	return 0;
}

static tc_s3_options fake_opts(const char *endpoint_)
{
	tc_s3_options o;

	memset(&o, 0, sizeof(o));
	o.bucket = "bucket";
	o.endpoint = endpoint_;
	o.access_key = "AK";
	o.secret_key = "SK";
	o.insecure = 1;
	o.forcepathstyle = 1;
	o.max_retries = 2;
	return o;
}

/* A backend on the fake server, 2 retries. */
static int fake_backend(tc_backend **be, tc_metrics **m, fake *f)
{
	tc_s3_options o = fake_opts(f->endpoint);

	if (tc_metrics_new(m) < 0)
		return -1;
	return tc_backend_s3_new(be, &o, *m);
}

#define WITH_FAKE(name, mode)                                                      \
	static void name(fake *f, tc_backend *be, tc_metrics *m);                  \
	static void fake_##name(void)                                              \
	{                                                                          \
		fake f;                                                            \
		tc_backend *be = NULL;                                             \
		tc_metrics *m = NULL;                                              \
		int r = fake_start(&f, mode);                                      \
		if (r == 0)                                                        \
			r = fake_backend(&be, &m, &f);                             \
		if (r == 0)                                                        \
			name(&f, be, m);                                           \
		tc_backend_free(be);                                               \
		tc_metrics_free(m);                                                \
		if (f.d)                                                           \
			MHD_stop_daemon(f.d);                                      \
		CHECK_MSG(r == 0, "fake server: %s", tc_error_last());             \
	}

/* 503 SlowDown twice, then the object: two retries, counted. */
WITH_FAKE(retries_slowdown, F_SLOWDOWN)
static void retries_slowdown(fake *f, tc_backend *be, tc_metrics *m)
{
	char s[4096];

	atomic_store(&f->errors_left, 2);
	CHECK_OK(tc_suite_get(s, be, "t/b/meta.json"));
	CHECK_STR(s, "hello");
	CHECK(atomic_load(&f->n_get) == 3);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_RETRIES_TOTAL, "GET", NULL) == 2);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "GET", "503") == 2);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "GET", "200") == 1);
	/* one more error than retries: the error, with S3's code */
	atomic_store(&f->errors_left, 3);
	CHECK_ERR(tc_suite_get(s, be, "t/b/meta.json"), TC_ERROR);
	CHECK_ERRMSG("503 SlowDown");
	CHECK_ERRMSG("t/b/meta.json");
	CHECK(atomic_load(&f->n_get) == 6);
}

WITH_FAKE(retries_429, F_429)
static void retries_429(fake *f, tc_backend *be, tc_metrics *m)
{
	atomic_store(&f->errors_left, 1);
	CHECK_OK(tc_suite_put(be, "t/b/meta.json", "x"));
	CHECK(atomic_load(&f->n_put) == 2);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_RETRIES_TOTAL, "PUT", NULL) == 1);
}

/* 500s are retried max_retries times; the message is cleaned of control characters. */
WITH_FAKE(retries_exhausted, F_500)
static void retries_exhausted(fake *f, tc_backend *be, tc_metrics *m)
{
	tc_stat st;

	CHECK_ERR(tc_suite_put(be, "t/b/meta.json", "x"), TC_ERROR);
	CHECK_ERRMSG("s3 PUT t/b/meta.json: 500 InternalError: We encountered an internal error.");
	CHECK_ERRMSG("after 3 attempts");
	CHECK(strchr(tc_error_last(), '\n') == NULL);
	CHECK(atomic_load(&f->n_put) == 3);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_RETRIES_TOTAL, "PUT", NULL) == 2);
	/* HEAD has no body: the status alone */
	CHECK_ERR(tc_backend_stat(&st, be, "t/b/meta.json"), TC_ERROR);
	CHECK_ERRMSG("500");
}

/* Client errors are final. */
WITH_FAKE(no_retry_403, F_403)
static void no_retry_403(fake *f, tc_backend *be, tc_metrics *m)
{
	char s[4096];

	CHECK_ERR(tc_suite_get(s, be, "t/b/meta.json"), TC_ERROR);
	CHECK_ERRMSG("403 AccessDenied: Access Denied");
	CHECK(atomic_load(&f->n_total) == 1);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_RETRIES_TOTAL, "GET", NULL) == 0);
}

/* A copy that fails inside its 200 response must not delete meta.json. */
WITH_FAKE(copy_error_in_200, F_COPY_ERR)
static void copy_error_in_200(fake *f, tc_backend *be, tc_metrics *m)
{
	(void)m;
	CHECK_ERR(tc_backend_mark_compacted(be, "t", "b"), TC_ERROR);
	CHECK_ERRMSG("InternalError");
	CHECK_ERRMSG("t/b/meta.compacted.json");
	CHECK(atomic_load(&f->n_delete) == 0);
}

/* A store without DeleteObjects: one DELETE per key, and the refusal is remembered. */
WITH_FAKE(no_multi_delete, F_NO_MULTIDEL)
static void no_multi_delete(fake *f, tc_backend *be, tc_metrics *m)
{
	(void)m;
	CHECK_OK(tc_backend_clear_block(be, "t", "b"));
	CHECK(atomic_load(&f->n_post) == 1);
	CHECK(atomic_load(&f->n_delete) == 3);
	CHECK_OK(tc_backend_clear_block(be, "t", "b"));
	CHECK(atomic_load(&f->n_post) == 1);
	CHECK(atomic_load(&f->n_delete) == 6);
}

/* A store that ignores Range must not hand back the wrong bytes. */
WITH_FAKE(range_ignored, F_RANGE_IGNORED)
static void range_ignored(fake *f, tc_backend *be, tc_metrics *m)
{
	uint8_t out[16];

	(void)f;
	(void)m;
	CHECK(tc_backend_read_range(out, be, "t/b/data", 2, 3) < 0);
	CHECK_ERRMSG("Range");
	CHECK(tc_backend_read_range(out, be, "t/b/data", 0, 3) < 0);
	CHECK_OK(tc_backend_read_range(out, be, "t/b/data", 0, 10));
	CHECK(memcmp(out, "0123456789", 10) == 0);
}

WITH_FAKE(truncated_listing, F_TRUNCATED)
static void truncated_listing(fake *f, tc_backend *be, tc_metrics *m)
{
	tc_strlist l = TC_STRLIST_INIT;

	(void)f;
	(void)m;
	CHECK_ERR(tc_backend_list(&l, be, ""), TC_ECORRUPT);
	CHECK_ERRMSG("NextContinuationToken");
	CHECK(l.n == 0);
}


/* storage.trace.backend: s3 through the factory; keys from the environment. */
static void open_from_config(void)
{
	tc_config cfg;
	tc_backend *be = NULL;
	char bucket[64], s[4096];
	int err;

	CHECK_MSG(endpoint() != NULL, "TC_S3_ENDPOINT is not set");
	bucket_name(bucket);
	CHECK_OK(tc_config_default(&cfg));
	CHECK_OK(tc_config_set(&cfg, "storage.trace.backend", "s3"));
	CHECK_ERR(tc_cli_backend_open(&be, &cfg, NULL), TC_EINVALID);
	CHECK_ERRMSG("storage.trace.s3.bucket");
	CHECK_OK(tc_config_set(&cfg, "storage.trace.s3.bucket", bucket));
	CHECK_ERR(tc_cli_backend_open(&be, &cfg, NULL), TC_EINVALID);
	CHECK_ERRMSG("endpoint");
	CHECK_OK(tc_config_set(&cfg, "storage.trace.s3.endpoint", endpoint()));
	CHECK_OK(tc_config_set(&cfg, "storage.trace.s3.insecure", "true"));
	CHECK_OK(tc_config_set(&cfg, "storage.trace.s3.forcepathstyle", "true"));
	CHECK_OK(tc_config_set(&cfg, "storage.trace.s3.prefix", "pfx"));
	setenv("AWS_ACCESS_KEY_ID", env_or("TC_S3_ACCESS_KEY", "TCKEY"), 1);
	setenv("AWS_SECRET_ACCESS_KEY", env_or("TC_S3_SECRET_KEY", "TCSECRET"), 1);
	unsetenv("AWS_SESSION_TOKEN");
	err = tc_cli_backend_open(&be, &cfg, NULL);
	CHECK_MSG(err == 0, "open: %s", tc_error_last());
	CHECK_STR(tc_backend_name(be), "s3");
	CHECK_OK(tc_backend_s3_create_bucket(be));
	CHECK_OK(tc_suite_put(be, "t/b/meta.json", "cfg"));
	CHECK_OK(tc_suite_get(s, be, "t/b/meta.json"));
	CHECK_STR(s, "cfg");
	tc_backend_free(be);
	/* keys in the config win over the environment */
	CHECK_OK(tc_config_set(&cfg, "storage.trace.s3.access_key", env_or("TC_S3_ACCESS_KEY", "TCKEY")));
	CHECK_OK(tc_config_set(&cfg, "storage.trace.s3.secret_key", "wrong"));
	CHECK_OK(tc_cli_backend_open(&be, &cfg, NULL));
	CHECK_ERR(tc_suite_get(s, be, "t/b/meta.json"), TC_ERROR);
	CHECK_ERRMSG("SignatureDoesNotMatch");
	tc_backend_free(be);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	tc_config_dispose(&cfg);
}


/* Copies every object of tenant (blocks and tenant-level files) from src to dst. */
static int copy_tenant(tc_backend *dst, tc_backend *src, const char *tenant)
{
	tc_strlist blocks = TC_STRLIST_INIT, objs = TC_STRLIST_INIT;
	tc_buf b = TC_BUF_INIT;
	char p[512], key[1024];
	int err;

	snprintf(p, sizeof(p), "%s/", tenant);
	if ((err = tc_backend_list(&blocks, src, p)) < 0)
		goto cleanup;
	for (size_t i = 0; i <= blocks.n && err == TC_OK; i++) {
		if (i < blocks.n)
			snprintf(p, sizeof(p), "%s/%s/", tenant, blocks.items[i]);
		else
			snprintf(p, sizeof(p), "%s/", tenant);
		tc_strlist_clear(&objs);
		if ((err = tc_backend_list_objects(&objs, src, p)) < 0)
			break;
		for (size_t j = 0; j < objs.n && err == TC_OK; j++) {
			snprintf(key, sizeof(key), "%s%s", p, objs.items[j]);
			tc_buf_clear(&b);
			if ((err = tc_backend_read(&b, src, key)) == TC_OK)
				err = tc_backend_write(dst, key, b.ptr, b.len);
		}
	}
cleanup:
	tc_strlist_dispose(&blocks);
	tc_strlist_dispose(&objs);
	tc_buf_dispose(&b);
	return err;
}

/* A compaction job end to end on S3: Tempo's fixture blocks in, one block out. */
WITH_FX(compact_on_s3, NULL, 0)
static void compact_on_s3(fx *f)
{
	tc_backend *src = NULL, *ref = NULL;
	tc_blocklist bl = TC_BLOCKLIST_INIT, after = TC_BLOCKLIST_INIT, rbl = TC_BLOCKLIST_INIT;
	tc_selector *sel = NULL;
	tc_selector_opts so = { 3600LL * 1000000000LL, 6000000, 100ULL << 30, tc_time_now() };
	const tc_meta **group;
	size_t n;
	char hash[TC_SELECTOR_HASH_MAX];
	tc_compact_result res;
	tc_compact_opts co;
	tc_strlist pending = TC_STRLIST_INIT;
	int64_t before;

	/* the fixtures are only read */
	CHECK_OK(tc_backend_local_new(&src, tc_test_data("tempo-v2/zstd/blocks")));
	CHECK_OK(tc_backend_local_new(&ref, tc_test_data("tempo-v2/zstd-tempo-compacted/blocks")));
	CHECK_OK(copy_tenant(f->be, src, "single-tenant"));
	CHECK_OK(tc_blocklist_read_tenant(&bl, f->be, "single-tenant"));
	CHECK_OK(tc_blocklist_read_tenant(&rbl, ref, "single-tenant"));
	CHECK_EQ_U64(bl.n_live, 4);
	CHECK_EQ_U64(rbl.n_live, 1);
	/* "Now" two days after the fixtures, not the clock: their window is inactive whenever this runs. */
	so.now = tc_time_from_unix(bl.live[bl.n_live - 1].end.sec + 48 * 3600, 0);
	CHECK_OK(tc_selector_new(&sel, bl.live, bl.n_live, &so));
	CHECK_EQ_U64(tc_selector_next(&group, &n, hash, sel), 1);
	CHECK_EQ_U64(n, 4);
	memset(&co, 0, sizeof(co));
	tc_block_config_default(&co.block);
	co.block.encoding = rbl.live[0].encoding;
	co.block.bloom_shard_size_bytes = 100000;
	co.flush_size_bytes = 16384; /* many appends */
	before = tc_suite_now_ns();
	CHECK_OK(tc_compact_blocks(&res, f->be, group, n, &co));
	CHECK_EQ_U64(res.marked, 4);
	CHECK_OK(tc_blocklist_read_tenant(&after, f->be, "single-tenant"));
	CHECK_EQ_U64(after.n_live, 1);
	CHECK_EQ_U64(after.n_compacted, 4);
	CHECK_EQ_U64(after.live[0].total_objects, rbl.live[0].total_objects);
	CHECK(!memcmp(after.live[0].min_id, rbl.live[0].min_id, TC_ID_LEN));
	CHECK(!memcmp(after.live[0].max_id, rbl.live[0].max_id, TC_ID_LEN));
	/* compactedTime is the copy's Last-Modified: the time of marking */
	for (size_t i = 0; i < after.n_compacted; i++)
		CHECK(tc_suite_time_ns(&after.compacted[i].compacted_time) >=
		      before - 1000000000LL);
	CHECK_OK(tc_backend_s3_pending_uploads(&pending, f->be, ""));
	CHECK(pending.n == 0);
	CHECK_EQ_U64(tc_test_inspect_live_blocks(__FILE__, __LINE__, f->be), 1); /* read back through S3 */
	tc_selector_free(sel);
	tc_blocklist_dispose(&bl);
	tc_blocklist_dispose(&after);
	tc_blocklist_dispose(&rbl);
	tc_backend_free(src);
	tc_backend_free(ref);
}

/* clear_block deletes only the block's keys, even when the store lists more. */
WITH_FAKE(ignores_prefix, F_IGNORES_PREFIX)
static void ignores_prefix(fake *f, tc_backend *be, tc_metrics *m)
{
	(void)m;
	CHECK_OK(tc_backend_clear_block(be, "t", "b"));
	CHECK(atomic_load(&f->n_delete) == 1);
}

/* An upload gone by the time it is aborted is not an error; one without an ID is left alone. */
WITH_FAKE(uploads_gone, F_UPLOADS_GONE)
static void uploads_gone(fake *f, tc_backend *be, tc_metrics *m)
{
	tc_time now = tc_time_now();
	size_t aborted = 0;

	(void)m;
	CHECK_OK(tc_backend_abort_stale_uploads(&aborted, be, &now));
	CHECK(atomic_load(&f->n_delete) == 1);
}

/* A 200 whose document was cut at the cap is an error, not a shorter listing. */
WITH_FAKE(huge_listing, F_HUGE_LISTING)
static void huge_listing(fake *f, tc_backend *be, tc_metrics *m)
{
	tc_strlist l = TC_STRLIST_INIT;

	(void)f;
	(void)m;
	CHECK_ERR(tc_backend_list(&l, be, ""), TC_ELIMIT);
	CHECK_ERRMSG("response body larger than");
	tc_strlist_dispose(&l);
}

/* A listing that is not well-formed XML: the message names the request and where it broke. */
WITH_FAKE(bad_xml_listing, F_BAD_XML)
static void bad_xml_listing(fake *f, tc_backend *be, tc_metrics *m)
{
	tc_strlist l = TC_STRLIST_INIT;

	(void)f;
	(void)m;
	CHECK_ERR(tc_backend_list(&l, be, "t"), TC_ECORRUPT);
	CHECK_ERRMSG("s3 ListObjectsV2 prefix \"t/\" page 1: response is not a ListBucketResult "
		     "document (not well-formed XML at line 4, column ");
	CHECK(l.n == 0);
}

/* ---- listings that would never end, names that cannot be keys, entity bombs ---- */

/* The same token forever: refused on the second page, the token named, escaped and cut. */
WITH_FAKE(same_token, F_SAME_TOKEN)
static void same_token(fake *f, tc_backend *be, tc_metrics *m)
{
	tc_strlist l = TC_STRLIST_INIT;

	(void)m;
	CHECK_ERR(tc_backend_list(&l, be, ""), TC_ECORRUPT);
	CHECK_ERRMSG("s3 ListObjectsV2 prefix \"\" page 2: NextContinuationToken \"loop\\x09tok\\x0a\\x7fxxx");
	CHECK_ERRMSG("xxx...\" was already returned by page 1");
	CHECK(strpbrk(tc_error_last(), "\t\n\x7f") == NULL);
	CHECK(strlen(tc_error_last()) < 400);
	CHECK(atomic_load(&f->n_get) == 2);
	CHECK(l.n == 0);
}

WITH_FAKE(empty_token, F_EMPTY_TOKEN)
static void empty_token(fake *f, tc_backend *be, tc_metrics *m)
{
	tc_strlist l = TC_STRLIST_INIT;

	(void)m;
	CHECK_ERR(tc_backend_list(&l, be, "t"), TC_ECORRUPT);
	CHECK_ERRMSG("s3 ListObjectsV2 prefix \"t/\" page 1: IsTruncated=true but "
		     "NextContinuationToken is missing or empty");
	CHECK(atomic_load(&f->n_get) == 1);
}

/* A, B, A: a cycle is caught, not only a repeat of the previous token. */
WITH_FAKE(token_cycle, F_CYCLE)
static void token_cycle(fake *f, tc_backend *be, tc_metrics *m)
{
	tc_strlist l = TC_STRLIST_INIT;

	(void)m;
	CHECK_ERR(tc_backend_list(&l, be, ""), TC_ECORRUPT);
	CHECK_ERRMSG("page 3: NextContinuationToken \"A\" was already returned by page 1");
	CHECK(atomic_load(&f->n_get) == 3);
}

/* A new token every page: max_list_pages pages, then TC_ELIMIT; memory stays what they held. */
static void page_cap(void)
{
	fake f;
	tc_backend *be = NULL;
	tc_strlist l = TC_STRLIST_INIT;
	tc_s3_options o;

	CHECK(fake_start(&f, F_ENDLESS) == 0);
	o = fake_opts(f.endpoint);
	o.max_list_pages = 5;
	CHECK_OK(tc_backend_s3_new(&be, &o, NULL));
	CHECK_ERR(tc_backend_list(&l, be, ""), TC_ELIMIT);
	CHECK_ERRMSG("page 5: still truncated after 5 pages (storage.trace.s3.max_list_pages)");
	CHECK(atomic_load(&f.n_get) == 5);
	CHECK(l.n == 0);
	tc_backend_free(be);
	MHD_stop_daemon(f.d);
}

WITH_FAKE(uploads_loop, F_UPLOADS_LOOP)
static void uploads_loop(fake *f, tc_backend *be, tc_metrics *m)
{
	tc_strlist l = TC_STRLIST_INIT;

	(void)m;
	CHECK_ERR(tc_backend_s3_pending_uploads(&l, be, ""), TC_ECORRUPT);
	CHECK_ERRMSG("s3 ListMultipartUploads prefix \"\" page 2: NextKeyMarker \"t/b/data\" was "
		     "already returned by page 1");
	CHECK(atomic_load(&f->n_get) == 2);
	tc_strlist_dispose(&l);
}

WITH_FAKE(too_many_names, F_TOO_MANY)
static void too_many_names(fake *f, tc_backend *be, tc_metrics *m)
{
	tc_strlist l = TC_STRLIST_INIT;

	(void)f;
	(void)m;
	CHECK_ERR(tc_backend_list(&l, be, ""), TC_ECORRUPT);
	CHECK_ERRMSG("page 1: more than 1000 entries in one page");
	CHECK(l.n == 0);
}

static int count_in(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/*
 * Names that cannot be keys are skipped with one warning each (per
 * listing, however often listed), naming them as listed; the rest of the
 * listing, on both pages, is there.
 */
WITH_FAKE(bad_keys_skipped, F_BAD_KEYS)
static void bad_keys_skipped(fake *f, tc_backend *be, tc_metrics *m)
{
	tc_strlist l = TC_STRLIST_INIT;
	tc_buf log = TC_BUF_INIT;
	char logf[4200];
	const char *txt;
	int fd;

	(void)f;
	(void)m;
	snprintf(logf, sizeof(logf), "%s/s3-bad-keys.log", tc_test_tmpdir());
	CHECK((fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	tc_log_set_fd(fd);
	CHECK_OK(tc_backend_list(&l, be, ""));
	CHECK_OK(tc_backend_s3_pending_uploads(&l, be, ""));
	tc_log_set_fd(2);
	close(fd);
	CHECK_EQ_U64(l.n, 5);
	if (l.n == 5) {
		CHECK_STR(l.items[0], "good");
		CHECK_STR(l.items[1], "more");
		CHECK_STR(l.items[2], "ok-2");
		CHECK_STR(l.items[3], "sp ace");
		CHECK_STR(l.items[4], "t/b/data"); /* the upload of t/a%00b/ is skipped, t/b's kept */
	}
	CHECK_OK(tc_test_read_file(&log, logf));
	CHECK_OK(tc_buf_cstr(&log));
	txt = (const char *)log.ptr;
	CHECK_MSG(count_in(txt, "name=a%00b/ reason=\"NUL byte\"") == 1, "log: %s", txt);
	CHECK(count_in(txt, "name=bad%zz/ reason=\"bad URL encoding\"") == 1);
	CHECK(count_in(txt, "name=%FF%FE/ reason=\"invalid UTF-8\"") == 1);
	CHECK(count_in(txt, "name=ctl%1B[31m/ reason=\"control character\"") == 1);
	CHECK(count_in(txt, "request=\"ListObjectsV2 prefix \\\"\\\"\"") == 4);
	CHECK(count_in(txt, "name=t/a%00b/data reason=\"NUL byte\"") == 1);
	CHECK(count_in(txt, "request=\"ListMultipartUploads prefix \\\"\\\"\"") == 1);
	CHECK(strchr(txt, 0x1b) == NULL);
	tc_buf_dispose(&log);
	tc_strlist_dispose(&l);
}

/* A billion-laughs body is refused before any entity is declared, and says so. */
WITH_FAKE(entities_refused, F_ENTITIES)
static void entities_refused(fake *f, tc_backend *be, tc_metrics *m)
{
	tc_strlist l = TC_STRLIST_INIT;

	(void)f;
	(void)m;
	CHECK_ERR(tc_backend_list(&l, be, ""), TC_ECORRUPT);
	CHECK_ERRMSG("s3 ListObjectsV2 prefix \"\" page 1: entity declarations refused");
	CHECK(strstr(tc_error_last(), "not a ListBucketResult") == NULL);
	CHECK(l.n == 0);
	CHECK_ERR(tc_backend_s3_pending_uploads(&l, be, ""), TC_ECORRUPT);
	CHECK_ERRMSG("entity declarations refused");
	tc_strlist_dispose(&l);
}

WITH_FAKE(doctype_refused, F_DOCTYPE)
static void doctype_refused(fake *f, tc_backend *be, tc_metrics *m)
{
	tc_strlist l = TC_STRLIST_INIT;

	(void)f;
	(void)m;
	CHECK_ERR(tc_backend_list(&l, be, ""), TC_ECORRUPT);
	CHECK_ERRMSG("entity declarations refused");
	CHECK(l.n == 0);
}

typedef struct canceler {
	tc_backend *be;
	unsigned ms;
} canceler;

static void *cancel_after(void *arg)
{
	canceler *c = arg;

	usleep(c->ms * 1000u);
	tc_backend_cancel(c->be);
	return NULL;
}

/* A listing that would go on for 100000 pages ends, TC_ECANCELED, soon after tc_backend_cancel. */
WITH_FAKE(cancel_listing, F_ENDLESS)
static void cancel_listing(fake *f, tc_backend *be, tc_metrics *m)
{
	tc_strlist l = TC_STRLIST_INIT;
	canceler cc = { be, 300 };
	pthread_t th;
	uint64_t t0 = tc_mono_ns();
	int n;

	(void)m;
	CHECK(pthread_create(&th, NULL, cancel_after, &cc) == 0);
	CHECK_ERR(tc_backend_list(&l, be, ""), TC_ECANCELED);
	CHECK_ERRMSG("canceled");
	CHECK_MSG(tc_mono_ns() - t0 < 2000000000ULL, "took %llu ms",
		  (unsigned long long)((tc_mono_ns() - t0) / 1000000));
	pthread_join(th, NULL);
	CHECK(atomic_load(&f->n_get) > 1);
	CHECK(l.n == 0);
	/* from now on, nothing is sent */
	n = atomic_load(&f->n_total);
	CHECK_ERR(tc_backend_list(&l, be, ""), TC_ECANCELED);
	CHECK(atomic_load(&f->n_total) == n);
}

/* A retry's backoff sleep ends at the cancel, not seconds later. */
static void cancel_backoff(void)
{
	fake f;
	tc_backend *be = NULL;
	tc_s3_options o;
	canceler cc;
	pthread_t th;
	char s[64];
	uint64_t t0;

	CHECK(fake_start(&f, F_500) == 0);
	o = fake_opts(f.endpoint);
	o.max_retries = 30; /* backoffs of up to 10 s each */
	CHECK_OK(tc_backend_s3_new(&be, &o, NULL));
	cc = (canceler){ be, 1500 }; /* past the first backoffs: 0.1 + 0.2 + 0.4 + 0.8 s at most */
	t0 = tc_mono_ns();
	CHECK(pthread_create(&th, NULL, cancel_after, &cc) == 0);
	CHECK_ERR(tc_suite_get(s, be, "t/b/meta.json"), TC_ECANCELED);
	CHECK_ERRMSG("s3 GET t/b/meta.json: canceled");
	CHECK_MSG(tc_mono_ns() - t0 < 2500000000ULL, "took %llu ms",
		  (unsigned long long)((tc_mono_ns() - t0) / 1000000));
	pthread_join(th, NULL);
	CHECK(atomic_load(&f.n_get) >= 3);
	tc_backend_free(be);
	MHD_stop_daemon(f.d);
}

/* A request the server never answers is aborted at the cancel, not after curl's 30 s. */
static void cancel_in_flight(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	char ep[64], s[64];
	tc_backend *be = NULL;
	tc_s3_options o;
	canceler cc;
	pthread_t th;
	uint64_t t0;

	CHECK(lfd >= 0);
	CHECK(bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(listen(lfd, 8) == 0); /* connections complete in the backlog; nothing answers */
	CHECK(getsockname(lfd, (struct sockaddr *)&a, &alen) == 0);
	snprintf(ep, sizeof(ep), "127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
	o = fake_opts(ep);
	o.max_retries = 0;
	CHECK_OK(tc_backend_s3_new(&be, &o, NULL));
	cc = (canceler){ be, 300 };
	t0 = tc_mono_ns();
	CHECK(pthread_create(&th, NULL, cancel_after, &cc) == 0);
	CHECK_ERR(tc_suite_get(s, be, "t/b/meta.json"), TC_ECANCELED);
	CHECK_ERRMSG("canceled");
	CHECK_MSG(tc_mono_ns() - t0 < 2500000000ULL, "took %llu ms",
		  (unsigned long long)((tc_mono_ns() - t0) / 1000000));
	pthread_join(th, NULL);
	tc_backend_free(be);
	close(lfd);
}

TC_TEST_MAIN(T(bad_options), T(retries_exported_at_zero), T(connection_refused), T(fake_retries_slowdown), T(fake_retries_429),
	     T(fake_ignores_prefix), T(fake_uploads_gone), T(fake_huge_listing),
	     T(fake_bad_xml_listing), T(fake_same_token), T(fake_empty_token), T(fake_token_cycle),
	     T(page_cap), T(fake_uploads_loop), T(fake_too_many_names), T(fake_bad_keys_skipped),
	     T(fake_entities_refused), T(fake_doctype_refused), T(fake_cancel_listing),
	     T(cancel_backoff), T(cancel_in_flight),
	     T(fake_retries_exhausted), T(fake_no_retry_403), T(fake_copy_error_in_200),
	     T(fake_no_multi_delete), T(fake_range_ignored), T(fake_truncated_listing), T(s3_write_read), T(s3_not_found),
	     T(s3_read_range), T(s3_stat_object), T(s3_list), T(s3_delete_object),
	     T(s3_append_commit), T(s3_append_abort), T(s3_mark_compacted), T(s3_clear_block),
	     T(s3_hostile_keys), T(s3_encoded_keys), T(s3_concurrent_writers), T(s3_multipart),
	     T(s3_multipart_abort), T(s3_stale_upload_aborted), T(s3_wrong_secret), T(missing_bucket), T(s3_prefix),
	     T(s3_long_listing), T(s3_list_semantics), T(s3_overwrite), T(s3_all_chars), T(s3_list_blocks), T(s3_virtual_host), T(open_from_config), T(s3_compact_on_s3))
