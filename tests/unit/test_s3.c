/*
 * The S3 backend against a real S3 server (a one-node Ceph RGW in CI):
 * the conformance checks of test_backend.c, then what only S3 has —
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
#include "test.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "src/backend/backend.h"
#include "src/backend/open.h"
#include "src/compactor/blocklist.h"
#include "src/compactor/compact.h"
#include "src/compactor/selector.h"
#include "src/config/config.h"
#include "src/backend/s3.h"
#include "src/http/metrics.h"
#include "src/util/ids.h"

typedef struct fx {
	tc_backend *be;
	tc_metrics *m;
	char bucket[64];
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
#define CONFORM(name) WITH_FX(name, NULL, 0)

static int put(tc_backend *be, const char *key, const char *s)
{
	return tc_backend_write(be, key, s, strlen(s));
}

static int get(char *out, tc_backend *be, const char *key)
{
	tc_buf b = TC_BUF_INIT;
	int err = tc_backend_read(&b, be, key);
	out[0] = '\0';
	if (err == 0) {
		size_t n = b.len < 4095 ? b.len : 4095;
		if (n)
			memcpy(out, b.ptr, n);
		out[n] = '\0';
	}
	tc_buf_dispose(&b);
	return err;
}

static void list_join(char *out, size_t outsz, const tc_strlist *l)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < l->n && o < outsz; i++)
		o += (size_t)snprintf(out + o, outsz - o, "%s%s", i ? "," : "", l->items[i]);
}

static int list_str(char *out, size_t outsz, tc_backend *be, const char *prefix, int objects)
{
	tc_strlist l = TC_STRLIST_INIT;
	int err = objects ? tc_backend_list_objects(&l, be, prefix) : tc_backend_list(&l, be, prefix);
	out[0] = '\0';
	if (err == 0)
		list_join(out, outsz, &l);
	tc_strlist_dispose(&l);
	return err;
}

static int64_t now_ns(void)
{
	tc_time t = tc_time_now();
	return t.sec * 1000000000LL + t.nsec;
}

static int64_t time_ns(const tc_time *t)
{
	return t->sec * 1000000000LL + t->nsec;
}

static void fill(uint8_t *p, size_t n, uint64_t *rng)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)tc_test_rand(rng);
}

/* ---- conformance (as tests/unit/test_backend.c) ---- */

CONFORM(write_read)
static void write_read(fx *f)
{
	char s[4096];
	tc_buf small;

	CHECK_OK(put(f->be, "t1/b1/meta.json", "{\"a\":1}"));
	CHECK_OK(get(s, f->be, "t1/b1/meta.json"));
	CHECK_STR(s, "{\"a\":1}");
	CHECK_OK(put(f->be, "t1/b1/meta.json", "xy"));
	CHECK_OK(get(s, f->be, "t1/b1/meta.json"));
	CHECK_STR(s, "xy");
	CHECK_OK(tc_backend_write(f->be, "t1/empty", NULL, 0));
	CHECK_OK(get(s, f->be, "t1/empty"));
	CHECK_STR(s, "");
	{
		tc_buf b = TC_BUF_INIT;
		CHECK_OK(tc_buf_puts(&b, "pre-"));
		CHECK_OK(tc_backend_read(&b, f->be, "t1/b1/meta.json"));
		CHECK(b.len == 6 && memcmp(b.ptr, "pre-xy", 6) == 0);
		tc_buf_dispose(&b);
	}
	CHECK_OK(put(f->be, "t1/big", "0123456789"));
	tc_buf_init(&small, 4);
	CHECK_ERR(tc_backend_read(&small, f->be, "t1/big"), TC_ELIMIT);
	CHECK_ERRMSG("t1/big");
	CHECK(small.len == 0);
	tc_buf_dispose(&small);
	CHECK_OK(put(f->be, "t1/index.json.gz", "idx"));
	CHECK_OK(put(f->be, "t1/b1/sub/deeper/x", "deep"));
	CHECK_OK(get(s, f->be, "t1/b1/sub/deeper/x"));
	CHECK_STR(s, "deep");
	/* every request was timed */
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "PUT", "200") >= 6);
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "GET", "200") >= 4);
}

CONFORM(not_found)
static void not_found(fx *f)
{
	tc_buf b = TC_BUF_INIT;
	tc_stat st;
	uint8_t x[4];

	CHECK_ERR(tc_backend_read(&b, f->be, "t/b/data"), TC_ENOTFOUND);
	CHECK_ERRMSG("t/b/data");
	CHECK_ERR(tc_backend_read_range(x, f->be, "t/b/data", 0, 4), TC_ENOTFOUND);
	CHECK_ERR(tc_backend_read_range(x, f->be, "t/b/data", 0, 0), TC_ENOTFOUND);
	CHECK_ERR(tc_backend_stat(&st, f->be, "t/b/data"), TC_ENOTFOUND);
	CHECK_OK(put(f->be, "t/b/meta.json", "m"));
	CHECK_ERR(tc_backend_read(&b, f->be, "t/b/data"), TC_ENOTFOUND);
	CHECK_ERRMSG("t/b/data");
	CHECK_ERR(tc_backend_read(&b, f->be, "t/b"), TC_ENOTFOUND);
	CHECK_ERR(tc_backend_stat(&st, f->be, "t/b"), TC_ENOTFOUND);
	CHECK_ERR(tc_backend_read(&b, f->be, "t/b/meta.json/x"), TC_ENOTFOUND);
	CHECK(b.len == 0);
	tc_buf_dispose(&b);
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "GET", "404") >= 3);
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_RETRIES_TOTAL, "GET", NULL) == 0);
}

CONFORM(read_range)
static void read_range(fx *f)
{
	uint8_t data[256], out[64];

	for (int i = 0; i < 256; i++)
		data[i] = (uint8_t)i;
	CHECK_OK(tc_backend_write(f->be, "t/b/data", data, sizeof(data)));
	CHECK_OK(tc_backend_read_range(out, f->be, "t/b/data", 10, 20));
	CHECK(memcmp(out, data + 10, 20) == 0);
	CHECK_OK(tc_backend_read_range(out, f->be, "t/b/data", 0, 1));
	CHECK(out[0] == 0);
	CHECK_OK(tc_backend_read_range(out, f->be, "t/b/data", 246, 10));
	CHECK(memcmp(out, data + 246, 10) == 0);
	CHECK_OK(tc_backend_read_range(out, f->be, "t/b/data", 256, 0));
	CHECK_ERR(tc_backend_read_range(out, f->be, "t/b/data", 250, 10), TC_ECORRUPT);
	CHECK_ERRMSG("t/b/data");
	CHECK_ERRMSG("offset 250");
	CHECK_ERR(tc_backend_read_range(out, f->be, "t/b/data", 1000, 1), TC_ECORRUPT);
	CHECK_ERRMSG("offset 1000");
	CHECK_ERR(tc_backend_read_range(out, f->be, "t/b/data", 257, 0), TC_ECORRUPT);
	CHECK_ERR(tc_backend_read_range(out, f->be, "t/b/data", UINT64_MAX - 2, 8), TC_ECORRUPT);
	/* an empty object has no byte 0 */
	CHECK_OK(tc_backend_write(f->be, "t/b/empty", NULL, 0));
	CHECK_ERR(tc_backend_read_range(out, f->be, "t/b/empty", 0, 1), TC_ECORRUPT);
	CHECK_OK(tc_backend_read_range(out, f->be, "t/b/empty", 0, 0));
}

CONFORM(stat_object)
static void stat_object(fx *f)
{
	tc_stat st;
	int64_t before = now_ns(), after;

	CHECK_OK(put(f->be, "t/b/index", "12345"));
	after = now_ns();
	CHECK_OK(tc_backend_stat(&st, f->be, "t/b/index"));
	CHECK_EQ_U64(st.size, 5);
	/* Last-Modified has one-second precision */
	CHECK(time_ns(&st.mtime) >= before - 2000000000LL);
	CHECK(time_ns(&st.mtime) <= after + 1000000000LL);
	CHECK(st.mtime.nsec >= 0 && st.mtime.nsec < 1000000000);
	CHECK_OK(tc_backend_write(f->be, "t/b/index", NULL, 0));
	CHECK_OK(tc_backend_stat(&st, f->be, "t/b/index"));
	CHECK_EQ_U64(st.size, 0);
}

CONFORM(list)
static void list(fx *f)
{
	char s[4096];
	tc_strlist l = TC_STRLIST_INIT;

	CHECK_OK(put(f->be, "t1/b2/meta.json", "m"));
	CHECK_OK(put(f->be, "t1/b1/meta.json", "m"));
	CHECK_OK(put(f->be, "t1/b1/data", "d"));
	CHECK_OK(put(f->be, "t1/b1/bloom-0", "b"));
	CHECK_OK(put(f->be, "t1/b-c/x", "x"));
	CHECK_OK(put(f->be, "t1/b/x", "x"));
	CHECK_OK(put(f->be, "t1/index.json.gz", "i"));
	CHECK_OK(put(f->be, "t2/b9/meta.compacted.json", "c"));
	CHECK_OK(put(f->be, "top-level-object", "o"));

	CHECK_OK(list_str(s, sizeof(s), f->be, "", 0));
	CHECK_STR(s, "t1,t2");
	CHECK_OK(list_str(s, sizeof(s), f->be, "t1/", 0));
	CHECK_STR(s, "b,b-c,b1,b2");
	CHECK_OK(list_str(s, sizeof(s), f->be, "t1", 0));
	CHECK_STR(s, "b,b-c,b1,b2");
	CHECK_OK(list_str(s, sizeof(s), f->be, "t1/b1/", 0));
	CHECK_STR(s, "");
	CHECK_OK(list_str(s, sizeof(s), f->be, "t1/b1/", 1));
	CHECK_STR(s, "bloom-0,data,meta.json");
	CHECK_OK(list_str(s, sizeof(s), f->be, "t1/", 1));
	CHECK_STR(s, "index.json.gz");
	CHECK_OK(list_str(s, sizeof(s), f->be, "", 1));
	CHECK_STR(s, "top-level-object");
	CHECK_OK(list_str(s, sizeof(s), f->be, "nope/", 0));
	CHECK_STR(s, "");
	CHECK_OK(list_str(s, sizeof(s), f->be, "nope/x/", 1));
	CHECK_STR(s, "");
	CHECK_OK(tc_strlist_add(&l, "zzz"));
	CHECK_OK(tc_backend_list(&l, f->be, "t2/"));
	CHECK(l.n == 2);
	CHECK_STR(l.items[0], "zzz");
	CHECK_STR(l.items[1], "b9");
	tc_strlist_dispose(&l);
}

CONFORM(delete_object)
static void delete_object(fx *f)
{
	char s[4096];

	CHECK_OK(put(f->be, "t/b/data", "d"));
	CHECK_OK(put(f->be, "t/b/index", "i"));
	CHECK_OK(tc_backend_delete(f->be, "t/b/data"));
	CHECK_ERR(get(s, f->be, "t/b/data"), TC_ENOTFOUND);
	CHECK_OK(get(s, f->be, "t/b/index"));
	CHECK_STR(s, "i");
	CHECK_OK(tc_backend_delete(f->be, "t/b/data"));
	CHECK_OK(tc_backend_delete(f->be, "no/such/dir/key"));
	CHECK_OK(list_str(s, sizeof(s), f->be, "t/b/", 1));
	CHECK_STR(s, "index");
	CHECK_OK(tc_backend_delete(f->be, "t/b/index"));
	CHECK_OK(list_str(s, sizeof(s), f->be, "t/b/", 1));
	CHECK_STR(s, "");
}

CONFORM(append_commit)
static void append_commit(fx *f)
{
	tc_append *a = NULL;
	tc_buf got = TC_BUF_INIT, want = TC_BUF_INIT;
	uint64_t rng = 42;
	tc_stat st;
	tc_strlist pending = TC_STRLIST_INIT;

	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b/data"));
	CHECK(a != NULL);
	for (int i = 0; i < 40; i++) {
		size_t n = (size_t)(tc_test_rand(&rng) % 70000);
		uint8_t *p;
		CHECK_OK(tc_buf_grow_by(&want, &p, n));
		fill(p, n, &rng);
		CHECK_OK(tc_backend_append(a, p, n));
	}
	CHECK_OK(tc_backend_append(a, NULL, 0));
	/* under part_size: nothing is visible or pending before commit */
	CHECK_ERR(tc_backend_stat(&st, f->be, "t/b/data"), TC_ENOTFOUND);
	CHECK_OK(tc_backend_append_commit(a));
	CHECK_OK(tc_backend_read(&got, f->be, "t/b/data"));
	CHECK_EQ_U64(got.len, want.len);
	CHECK(memcmp(got.ptr, want.ptr, want.len) == 0);
	CHECK_OK(tc_backend_stat(&st, f->be, "t/b/data"));
	CHECK_EQ_U64(st.size, want.len);

	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b/data"));
	CHECK_OK(tc_backend_append(a, "abc", 3));
	CHECK_OK(tc_backend_append(a, "def", 3));
	CHECK_OK(tc_backend_append_commit(a));
	tc_buf_clear(&got);
	CHECK_OK(tc_backend_read(&got, f->be, "t/b/data"));
	CHECK(got.len == 6 && memcmp(got.ptr, "abcdef", 6) == 0);

	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b2/data"));
	CHECK_OK(tc_backend_append_commit(a));
	CHECK_OK(tc_backend_stat(&st, f->be, "t/b2/data"));
	CHECK_EQ_U64(st.size, 0);
	CHECK_OK(tc_backend_s3_pending_uploads(&pending, f->be, ""));
	CHECK(pending.n == 0);
	tc_buf_dispose(&got);
	tc_buf_dispose(&want);
}

CONFORM(append_abort)
static void append_abort(fx *f)
{
	tc_append *a = NULL;
	char s[4096];

	CHECK_OK(put(f->be, "t/b/meta.json", "m"));
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b/data"));
	CHECK_OK(tc_backend_append(a, "partial", 7));
	tc_backend_append_abort(a);
	CHECK_ERR(get(s, f->be, "t/b/data"), TC_ENOTFOUND);
	CHECK_OK(list_str(s, sizeof(s), f->be, "t/b/", 1));
	CHECK_STR(s, "meta.json");
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b/data"));
	tc_backend_append_abort(a);
	tc_backend_append_abort(NULL);
	CHECK_OK(list_str(s, sizeof(s), f->be, "t/b/", 1));
	CHECK_STR(s, "meta.json");
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/new/data"));
	CHECK_OK(tc_backend_append(a, "x", 1));
	tc_backend_append_abort(a);
	CHECK_OK(list_str(s, sizeof(s), f->be, "t/new/", 1));
	CHECK_STR(s, "");
}

CONFORM(mark_compacted)
static void mark_compacted(fx *f)
{
	const char *meta = "{\"format\":\"v2\",\"blockID\":\"b\"}";
	char s[4096];
	tc_stat st, orig;
	int64_t before, after;

	CHECK_OK(put(f->be, "t/b/meta.json", meta));
	CHECK_OK(put(f->be, "t/b/data", "d"));
	CHECK_OK(tc_backend_stat(&orig, f->be, "t/b/meta.json"));
	/* S3 has no utimes: let the meta grow old enough to tell the times apart */
	sleep(2);
	before = now_ns();
	CHECK_OK(tc_backend_mark_compacted(f->be, "t", "b"));
	after = now_ns();
	CHECK_ERR(get(s, f->be, "t/b/meta.json"), TC_ENOTFOUND);
	CHECK_OK(get(s, f->be, "t/b/meta.compacted.json"));
	CHECK_STR(s, meta);
	CHECK_OK(tc_backend_stat(&st, f->be, "t/b/meta.compacted.json"));
	CHECK_MSG(time_ns(&st.mtime) >= before - 1000000000LL &&
			  time_ns(&st.mtime) <= after + 1000000000LL,
		  "compacted time %lld not the time of marking (meta written %lld)",
		  (long long)st.mtime.sec, (long long)orig.mtime.sec);
	CHECK(st.mtime.sec > orig.mtime.sec);
	CHECK_OK(list_str(s, sizeof(s), f->be, "t/b/", 1));
	CHECK_STR(s, "data,meta.compacted.json");
	CHECK_ERR(tc_backend_mark_compacted(f->be, "t", "b"), TC_ENOTFOUND);
	CHECK_ERRMSG("t/b/meta.json");
	CHECK_ERR(tc_backend_mark_compacted(f->be, "t", "nope"), TC_ENOTFOUND);
	CHECK_ERR(tc_backend_mark_compacted(f->be, "nope", "b"), TC_ENOTFOUND);
	CHECK_OK(put(f->be, "t/b/meta.json", "new"));
	CHECK_OK(tc_backend_mark_compacted(f->be, "t", "b"));
	CHECK_OK(get(s, f->be, "t/b/meta.compacted.json"));
	CHECK_STR(s, "new");
}

CONFORM(clear_block)
static void clear_block(fx *f)
{
	char s[4096];

	CHECK_OK(put(f->be, "t/b1/meta.compacted.json", "m"));
	CHECK_OK(put(f->be, "t/b1/data", "d"));
	CHECK_OK(put(f->be, "t/b1/index", "i"));
	CHECK_OK(put(f->be, "t/b1/bloom-0", "b"));
	CHECK_OK(put(f->be, "t/b1/nested/x", "n"));
	CHECK_OK(put(f->be, "t/b10/meta.json", "m"));
	CHECK_OK(put(f->be, "t/b2/meta.json", "m"));
	CHECK_OK(tc_backend_clear_block(f->be, "t", "b1"));
	CHECK_OK(list_str(s, sizeof(s), f->be, "t/b1/", 1));
	CHECK_STR(s, "");
	CHECK_OK(list_str(s, sizeof(s), f->be, "t/b1/", 0));
	CHECK_STR(s, "");
	CHECK_OK(list_str(s, sizeof(s), f->be, "t/", 0));
	CHECK_STR(s, "b10,b2");
	CHECK_OK(get(s, f->be, "t/b10/meta.json"));
	CHECK_OK(tc_backend_clear_block(f->be, "t", "b1"));
	CHECK_OK(tc_backend_clear_block(f->be, "nope", "b1"));
	/* one POST ?delete did it */
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "POST", "200") == 1);
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "DELETE", "204") == 0);
}

static const char *hostile[] = {
	"../x", "../../etc/passwd", "a/../../x", "a//b", "/abs", "/", "a/./b", "./a", "a/.",
	"a/..", "..", ".", "", "a/", "a/b/", "t/b/da\nta", "t/\x1b[31m", "t\tb", "t/b\x7f",
};

CONFORM(hostile_keys)
static void hostile_keys(fx *f)
{
	char long_key[601];
	tc_buf b = TC_BUF_INIT;
	tc_strlist l = TC_STRLIST_INIT;
	tc_append *a = NULL;
	tc_stat st;
	uint8_t x[1];

	memset(long_key, 'a', 600);
	for (int i = 100; i < 600; i += 100)
		long_key[i] = '/';
	long_key[600] = '\0';
	for (size_t i = 0; i <= sizeof(hostile) / sizeof(hostile[0]); i++) {
		const char *k = i < sizeof(hostile) / sizeof(hostile[0]) ? hostile[i] : long_key;
		CHECK_ERR(tc_backend_write(f->be, k, "x", 1), TC_EINVALID);
		CHECK_ERRMSG("invalid key");
		CHECK_ERR(tc_backend_read(&b, f->be, k), TC_EINVALID);
		CHECK_ERR(tc_backend_read_range(x, f->be, k, 0, 1), TC_EINVALID);
		CHECK_ERR(tc_backend_stat(&st, f->be, k), TC_EINVALID);
		CHECK_ERR(tc_backend_delete(f->be, k), TC_EINVALID);
		CHECK_ERR(tc_backend_append_open(&a, f->be, k), TC_EINVALID);
		CHECK(a == NULL);
	}
	CHECK_ERR(tc_backend_list(&l, f->be, "../"), TC_EINVALID);
	CHECK_ERR(tc_backend_list(&l, f->be, "a//"), TC_EINVALID);
	CHECK_ERR(tc_backend_list_objects(&l, f->be, "t/./"), TC_EINVALID);
	CHECK_ERR(tc_backend_mark_compacted(f->be, "..", "b"), TC_EINVALID);
	CHECK_ERR(tc_backend_mark_compacted(f->be, "t", "../b"), TC_EINVALID);
	CHECK_ERR(tc_backend_clear_block(f->be, "t", ""), TC_EINVALID);
	CHECK_ERR(tc_backend_clear_block(f->be, "t", "b/../.."), TC_EINVALID);
	/* nothing was created anywhere in the bucket */
	CHECK_OK(tc_backend_list(&l, f->be, ""));
	CHECK(l.n == 0);
	CHECK_OK(tc_backend_list_objects(&l, f->be, ""));
	CHECK(l.n == 0);
	/* and no request was sent for any of them */
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "PUT", "200") == 1);
	tc_buf_dispose(&b);
	tc_strlist_dispose(&l);
}

/* Keys that need URL encoding in paths, copy sources, listings and Delete bodies. */
CONFORM(encoded_keys)
static void encoded_keys(fx *f)
{
	static const char *tenants[] = { "a b", "plus+sign", "pct%41", "amp&eq=q?h#",
					 "caf\xc3\xa9", "dollar$(x)*'!" };
	char key[256], s[4096];
	tc_strlist l = TC_STRLIST_INIT;
	size_t n = sizeof(tenants) / sizeof(tenants[0]);

	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%s/blk %s/meta.json", tenants[i], tenants[i]);
		CHECK_OK(put(f->be, key, tenants[i]));
		CHECK_OK(get(s, f->be, key));
		CHECK_STR(s, tenants[i]);
		snprintf(key, sizeof(key), "blk %s", tenants[i]);
		CHECK_OK(tc_backend_mark_compacted(f->be, tenants[i], key));
		snprintf(key, sizeof(key), "%s/blk %s/meta.compacted.json", tenants[i], tenants[i]);
		CHECK_OK(get(s, f->be, key));
		CHECK_STR(s, tenants[i]);
		snprintf(key, sizeof(key), "%s/", tenants[i]);
		tc_strlist_clear(&l);
		CHECK_OK(tc_backend_list(&l, f->be, key));
		CHECK(l.n == 1);
		snprintf(key, sizeof(key), "blk %s", tenants[i]);
		CHECK_STR(l.items[0], key);
		snprintf(key, sizeof(key), "%s/blk %s/", tenants[i], tenants[i]);
		CHECK_OK(list_str(s, sizeof(s), f->be, key, 1));
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

/* ---- concurrency ---- */

typedef struct worker {
	tc_backend *be;
	int id;
	atomic_int *failures;
} worker;

#define N_THREADS 4
#define N_OBJECTS 15
#define SHARED_UNIT 3000

static int shared_ok(const tc_buf *b)
{
	size_t id;
	if (b->len == 0 || b->ptr[0] < 'A' || b->ptr[0] >= 'A' + N_THREADS)
		return 0;
	id = (size_t)(b->ptr[0] - 'A');
	if (b->len != (id + 1) * SHARED_UNIT)
		return 0;
	for (size_t i = 0; i < b->len; i++)
		if (b->ptr[i] != b->ptr[0])
			return 0;
	return 1;
}

static void *worker_run(void *arg)
{
	worker *w = arg;
	char key[128], val[64];
	size_t slen = (size_t)(w->id + 1) * SHARED_UNIT;
	uint8_t *shared = malloc(slen);
	tc_buf b = TC_BUF_INIT;

	memset(shared, 'A' + w->id, slen);
	for (int i = 0; i < N_OBJECTS; i++) {
		tc_append *a = NULL;
		snprintf(key, sizeof(key), "t/b%d/obj%d", w->id, i);
		snprintf(val, sizeof(val), "w%d-%d", w->id, i);
		if (put(w->be, key, val) != 0)
			atomic_fetch_add(w->failures, 1);
		if (tc_backend_write(w->be, "t/shared/meta.json", shared, slen) != 0)
			atomic_fetch_add(w->failures, 1);
		tc_buf_clear(&b);
		if (tc_backend_read(&b, w->be, "t/shared/meta.json") != 0 || !shared_ok(&b))
			atomic_fetch_add(w->failures, 1);
		snprintf(key, sizeof(key), "t/s%d/data%d", w->id, i);
		if (tc_backend_append_open(&a, w->be, key) != 0 ||
		    tc_backend_append(a, val, strlen(val)) != 0 ||
		    tc_backend_append(a, "!", 1) != 0 || tc_backend_append_commit(a) != 0)
			atomic_fetch_add(w->failures, 1);
	}
	tc_buf_dispose(&b);
	free(shared);
	return NULL;
}

CONFORM(concurrent_writers)
static void concurrent_writers(fx *f)
{
	pthread_t th[N_THREADS];
	worker w[N_THREADS];
	atomic_int failures = 0;
	char key[128], want[64], s[4096];
	tc_buf b = TC_BUF_INIT;

	for (int i = 0; i < N_THREADS; i++) {
		w[i] = (worker){ f->be, i, &failures };
		CHECK(pthread_create(&th[i], NULL, worker_run, &w[i]) == 0);
	}
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(th[i], NULL);
	CHECK(atomic_load(&failures) == 0);
	for (int id = 0; id < N_THREADS; id++)
		for (int i = 0; i < N_OBJECTS; i++) {
			snprintf(key, sizeof(key), "t/b%d/obj%d", id, i);
			snprintf(want, sizeof(want), "w%d-%d", id, i);
			CHECK_OK(get(s, f->be, key));
			CHECK_STR(s, want);
			snprintf(key, sizeof(key), "t/s%d/data%d", id, i);
			strcat(want, "!");
			CHECK_OK(get(s, f->be, key));
			CHECK_STR(s, want);
		}
	CHECK_OK(tc_backend_read(&b, f->be, "t/shared/meta.json"));
	CHECK(shared_ok(&b));
	tc_buf_dispose(&b);
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
	CHECK_OK(put(f->be, "t/b/meta.json", "m"));
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
	CHECK_ERR(put(bad, "t/b/meta.json", "x"), TC_ERROR);
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
	CHECK_ERR(put(bad, "t/b/meta.json", "x"), TC_ERROR);
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
	CHECK_ERR(put(be, "t/b/meta.json", "x"), TC_ERROR);
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

	CHECK_OK(put(f->be, "t/b/meta.json", "m"));
	CHECK_OK(tc_backend_mark_compacted(f->be, "t", "b"));
	CHECK_OK(tc_backend_s3_new(&root, &o, NULL));
	CHECK_OK(put(root, "outside/b/meta.json", "o"));
	CHECK_OK(get(s, root, "tempo/traces/t/b/meta.compacted.json"));
	CHECK_STR(s, "m");
	CHECK_OK(list_str(s, sizeof(s), root, "", 0));
	CHECK_STR(s, "outside,tempo");
	CHECK_OK(list_str(s, sizeof(s), f->be, "", 0));
	CHECK_STR(s, "t");
	CHECK_OK(list_str(s, sizeof(s), f->be, "t/b/", 1));
	CHECK_STR(s, "meta.compacted.json");
	CHECK_OK(tc_backend_clear_block(f->be, "t", "b"));
	CHECK_OK(list_str(s, sizeof(s), root, "", 0));
	CHECK_STR(s, "outside");
	tc_backend_free(root);
}

typedef struct filler {
	tc_backend *be;
	int from, to;
	const char *fmt;
	atomic_int *failures;
} filler;

static void *fill_run(void *arg)
{
	filler *w = arg;
	char key[128];
	for (int i = w->from; i < w->to; i++) {
		snprintf(key, sizeof(key), w->fmt, i);
		if (put(w->be, key, "x") != 0)
			atomic_fetch_add(w->failures, 1);
	}
	return NULL;
}

static int fill_keys(tc_backend *be, const char *fmt, int n)
{
	pthread_t th[8];
	filler w[8];
	atomic_int failures = 0;

	for (int i = 0; i < 8; i++) {
		w[i] = (filler){ be, n * i / 8, n * (i + 1) / 8, fmt, &failures };
		if (pthread_create(&th[i], NULL, fill_run, &w[i]) != 0)
			return -1;
	}
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	return atomic_load(&failures) ? -1 : 0;
}

/* More than one page of ListObjectsV2 (1000 entries) and of DeleteObjects. */
CONFORM(long_listings)
static void long_listings(fx *f)
{
	tc_strlist l = TC_STRLIST_INIT;
	enum { N = 1010 };

	CHECK(fill_keys(f->be, "t/b%04d/meta.json", N) == 0);
	CHECK(fill_keys(f->be, "t/big/o%04d", N) == 0);
	CHECK_OK(tc_backend_list(&l, f->be, "t/"));
	CHECK_EQ_U64(l.n, N + 1);
	CHECK_STR(l.items[0], "b0000");
	CHECK_STR(l.items[N - 1], "b1009");
	CHECK_STR(l.items[N], "big");
	tc_strlist_clear(&l);
	CHECK_OK(tc_backend_list_objects(&l, f->be, "t/big/"));
	CHECK_EQ_U64(l.n, N);
	tc_strlist_clear(&l);
	CHECK_OK(tc_backend_clear_block(f->be, "t", "big"));
	CHECK_OK(tc_backend_list_objects(&l, f->be, "t/big/"));
	CHECK_EQ_U64(l.n, 0);
	/* two DeleteObjects batches */
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "POST", "200") == 2);
	tc_strlist_dispose(&l);
}

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
	CHECK_OK(put(vh, "t/b/meta.json", "vh"));
	CHECK_OK(get(s, f->be, "t/b/meta.json"));
	CHECK_STR(s, "vh");
	CHECK_OK(list_str(s, sizeof(s), vh, "t/", 0));
	CHECK_STR(s, "b");
	CHECK_OK(tc_backend_mark_compacted(vh, "t", "b"));
	CHECK_OK(tc_backend_clear_block(vh, "t", "b"));
	CHECK_OK(list_str(s, sizeof(s), f->be, "", 0));
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
		 F_TRUNCATED };

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

/* A backend on the fake server, 2 retries. */
static int fake_backend(tc_backend **be, tc_metrics **m, fake *f)
{
	tc_s3_options o;

	memset(&o, 0, sizeof(o));
	o.bucket = "bucket";
	o.endpoint = f->endpoint;
	o.access_key = "AK";
	o.secret_key = "SK";
	o.insecure = 1;
	o.forcepathstyle = 1;
	o.max_retries = 2;
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
	CHECK_OK(get(s, be, "t/b/meta.json"));
	CHECK_STR(s, "hello");
	CHECK(atomic_load(&f->n_get) == 3);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_RETRIES_TOTAL, "GET", NULL) == 2);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "GET", "503") == 2);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "GET", "200") == 1);
	/* one more error than retries: the error, with S3's code */
	atomic_store(&f->errors_left, 3);
	CHECK_ERR(get(s, be, "t/b/meta.json"), TC_ERROR);
	CHECK_ERRMSG("503 SlowDown");
	CHECK_ERRMSG("t/b/meta.json");
	CHECK(atomic_load(&f->n_get) == 6);
}

WITH_FAKE(retries_429, F_429)
static void retries_429(fake *f, tc_backend *be, tc_metrics *m)
{
	atomic_store(&f->errors_left, 1);
	CHECK_OK(put(be, "t/b/meta.json", "x"));
	CHECK(atomic_load(&f->n_put) == 2);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_RETRIES_TOTAL, "PUT", NULL) == 1);
}

/* 500s are retried max_retries times; the message is cleaned of control characters. */
WITH_FAKE(retries_exhausted, F_500)
static void retries_exhausted(fake *f, tc_backend *be, tc_metrics *m)
{
	tc_stat st;

	CHECK_ERR(put(be, "t/b/meta.json", "x"), TC_ERROR);
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

	CHECK_ERR(get(s, be, "t/b/meta.json"), TC_ERROR);
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
	CHECK_ERR(tc_backend_open(&be, &cfg, NULL), TC_EINVALID);
	CHECK_ERRMSG("storage.trace.s3.bucket");
	CHECK_OK(tc_config_set(&cfg, "storage.trace.s3.bucket", bucket));
	CHECK_ERR(tc_backend_open(&be, &cfg, NULL), TC_EINVALID);
	CHECK_ERRMSG("endpoint");
	CHECK_OK(tc_config_set(&cfg, "storage.trace.s3.endpoint", endpoint()));
	CHECK_OK(tc_config_set(&cfg, "storage.trace.s3.insecure", "true"));
	CHECK_OK(tc_config_set(&cfg, "storage.trace.s3.forcepathstyle", "true"));
	CHECK_OK(tc_config_set(&cfg, "storage.trace.s3.prefix", "pfx"));
	setenv("AWS_ACCESS_KEY_ID", env_or("TC_S3_ACCESS_KEY", "TCKEY"), 1);
	setenv("AWS_SECRET_ACCESS_KEY", env_or("TC_S3_SECRET_KEY", "TCSECRET"), 1);
	unsetenv("AWS_SESSION_TOKEN");
	err = tc_backend_open(&be, &cfg, NULL);
	CHECK_MSG(err == 0, "open: %s", tc_error_last());
	CHECK_STR(tc_backend_name(be), "s3");
	CHECK_OK(tc_backend_s3_create_bucket(be));
	CHECK_OK(put(be, "t/b/meta.json", "cfg"));
	CHECK_OK(get(s, be, "t/b/meta.json"));
	CHECK_STR(s, "cfg");
	tc_backend_free(be);
	/* keys in the config win over the environment */
	CHECK_OK(tc_config_set(&cfg, "storage.trace.s3.access_key", env_or("TC_S3_ACCESS_KEY", "TCKEY")));
	CHECK_OK(tc_config_set(&cfg, "storage.trace.s3.secret_key", "wrong"));
	CHECK_OK(tc_backend_open(&be, &cfg, NULL));
	CHECK_ERR(get(s, be, "t/b/meta.json"), TC_ERROR);
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
	CHECK_OK(tc_backend_local_new(&src, tc_test_shared("fixtures/tempo-v2/zstd/blocks")));
	CHECK_OK(tc_backend_local_new(&ref, tc_test_shared("fixtures/tempo-v2/zstd-tempo-compacted/blocks")));
	CHECK_OK(copy_tenant(f->be, src, "single-tenant"));
	CHECK_OK(tc_blocklist_read_tenant(&bl, f->be, "single-tenant"));
	CHECK_OK(tc_blocklist_read_tenant(&rbl, ref, "single-tenant"));
	CHECK_EQ_U64(bl.n_live, 4);
	CHECK_EQ_U64(rbl.n_live, 1);
	CHECK_OK(tc_selector_new(&sel, bl.live, bl.n_live, &so));
	CHECK_EQ_U64(tc_selector_next(&group, &n, hash, sel), 1);
	CHECK_EQ_U64(n, 4);
	memset(&co, 0, sizeof(co));
	tc_block_config_default(&co.block);
	co.block.encoding = rbl.live[0].encoding;
	co.block.bloom_shard_size_bytes = 100000;
	co.flush_size_bytes = 16384; /* many appends */
	before = now_ns();
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
		CHECK(time_ns(&after.compacted[i].compacted_time) >= before - 1000000000LL);
	CHECK_OK(tc_backend_s3_pending_uploads(&pending, f->be, ""));
	CHECK(pending.n == 0);
	tc_selector_free(sel);
	tc_blocklist_dispose(&bl);
	tc_blocklist_dispose(&after);
	tc_blocklist_dispose(&rbl);
	tc_backend_free(src);
	tc_backend_free(ref);
}

TC_TEST_MAIN(T(bad_options), T(connection_refused), T(fake_retries_slowdown), T(fake_retries_429),
	     T(fake_retries_exhausted), T(fake_no_retry_403), T(fake_copy_error_in_200),
	     T(fake_no_multi_delete), T(fake_range_ignored), T(fake_truncated_listing), T(s3_write_read), T(s3_not_found),
	     T(s3_read_range), T(s3_stat_object), T(s3_list), T(s3_delete_object),
	     T(s3_append_commit), T(s3_append_abort), T(s3_mark_compacted), T(s3_clear_block),
	     T(s3_hostile_keys), T(s3_encoded_keys), T(s3_concurrent_writers), T(s3_multipart),
	     T(s3_multipart_abort), T(s3_wrong_secret), T(missing_bucket), T(s3_prefix),
	     T(s3_long_listings), T(s3_virtual_host), T(open_from_config), T(s3_compact_on_s3))
