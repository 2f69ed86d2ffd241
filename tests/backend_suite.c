#include "tests/backend_suite.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/test.h"
#include "src/util/ids.h"

void tc_suite_run(tc_suite_fx *f, void (*check)(tc_suite_fx *f), void (*extra)(void *ctx),
		  void *ctx)
{
	int failures = tc_test_failures;

	check(f);
	if (extra && tc_test_failures == failures)
		extra(ctx);
}

int tc_suite_put(tc_backend *be, const char *key, const char *s)
{
	return tc_backend_write(be, key, s, strlen(s));
}

int tc_suite_get(char *out, tc_backend *be, const char *key)
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

void tc_suite_list_join(char *out, size_t outsz, const tc_strlist *l)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < l->n && o < outsz; i++)
		o += (size_t)snprintf(out + o, outsz - o, "%s%s", i ? "," : "", l->items[i]);
}

int tc_suite_list_str(char *out, size_t outsz, tc_backend *be, const char *prefix, int objects)
{
	tc_strlist l = TC_STRLIST_INIT;
	int err = objects ? tc_backend_list_objects(&l, be, prefix)
			  : tc_backend_list(&l, be, prefix);
	out[0] = '\0';
	if (err == 0)
		tc_suite_list_join(out, outsz, &l);
	tc_strlist_dispose(&l);
	return err;
}

int64_t tc_suite_now_ns(void)
{
	tc_time t = tc_time_now();
	return t.sec * 1000000000LL + t.nsec;
}

int64_t tc_suite_time_ns(const tc_time *t)
{
	return t->sec * 1000000000LL + t->nsec;
}

void tc_suite_write_read(tc_suite_fx *f)
{
	char s[4096];
	tc_buf small;

	CHECK_OK(tc_suite_put(f->be, "t1/b1/meta.json", "{\"a\":1}"));
	CHECK_OK(tc_suite_get(s, f->be, "t1/b1/meta.json"));
	CHECK_STR(s, "{\"a\":1}");
	/* replace: the new whole object, nothing of the old left */
	CHECK_OK(tc_suite_put(f->be, "t1/b1/meta.json", "xy"));
	CHECK_OK(tc_suite_get(s, f->be, "t1/b1/meta.json"));
	CHECK_STR(s, "xy");
	/* empty objects exist */
	CHECK_OK(tc_backend_write(f->be, "t1/empty", NULL, 0));
	CHECK_OK(tc_suite_get(s, f->be, "t1/empty"));
	CHECK_STR(s, "");
	/* read appends to what the buffer holds */
	{
		tc_buf b = TC_BUF_INIT;
		CHECK_OK(tc_buf_puts(&b, "pre-"));
		CHECK_OK(tc_backend_read(&b, f->be, "t1/b1/meta.json"));
		CHECK(b.len == 6 && memcmp(b.ptr, "pre-xy", 6) == 0);
		tc_buf_dispose(&b);
	}
	/* the buffer's cap bounds what a read may allocate */
	CHECK_OK(tc_suite_put(f->be, "t1/big", "0123456789"));
	tc_buf_init(&small, 4);
	CHECK_ERR(tc_backend_read(&small, f->be, "t1/big"), TC_ELIMIT);
	CHECK_ERRMSG("t1/big");
	CHECK(small.len == 0);
	tc_buf_dispose(&small);
	/* keys at the tenant level and deep keys */
	CHECK_OK(tc_suite_put(f->be, "t1/index.json.gz", "idx"));
	CHECK_OK(tc_suite_put(f->be, "t1/b1/sub/deeper/x", "deep"));
	CHECK_OK(tc_suite_get(s, f->be, "t1/b1/sub/deeper/x"));
	CHECK_STR(s, "deep");
}

void tc_suite_not_found(tc_suite_fx *f)
{
	tc_buf b = TC_BUF_INIT;
	tc_stat st;
	uint8_t x[4];

	CHECK_ERR(tc_backend_read(&b, f->be, "t/b/data"), TC_ENOTFOUND);
	CHECK_ERRMSG("t/b/data");
	CHECK_ERR(tc_backend_read_range(x, f->be, "t/b/data", 0, 4), TC_ENOTFOUND);
	CHECK_ERR(tc_backend_read_range(x, f->be, "t/b/data", 0, 0), TC_ENOTFOUND);
	CHECK_ERR(tc_backend_stat(&st, f->be, "t/b/data"), TC_ENOTFOUND);
	CHECK_OK(tc_suite_put(f->be, "t/b/meta.json", "m"));
	CHECK_ERR(tc_backend_read(&b, f->be, "t/b/data"), TC_ENOTFOUND);
	CHECK_ERRMSG("t/b/data");
	/* a "directory" is not an object */
	CHECK_ERR(tc_backend_read(&b, f->be, "t/b"), TC_ENOTFOUND);
	CHECK_ERR(tc_backend_stat(&st, f->be, "t/b"), TC_ENOTFOUND);
	/* below an object */
	CHECK_ERR(tc_backend_read(&b, f->be, "t/b/meta.json/x"), TC_ENOTFOUND);
	CHECK(b.len == 0);
	tc_buf_dispose(&b);
}

void tc_suite_read_range(tc_suite_fx *f)
{
	uint8_t data[256], out[64];

	for (int i = 0; i < 256; i++)
		data[i] = (uint8_t)i;
	CHECK_OK(tc_backend_write(f->be, "t/b/data", data, sizeof(data)));
	CHECK_OK(tc_backend_read_range(out, f->be, "t/b/data", 10, 20));
	CHECK(memcmp(out, data + 10, 20) == 0);
	CHECK_OK(tc_backend_read_range(out, f->be, "t/b/data", 0, 1));
	CHECK(out[0] == 0);
	CHECK_OK(tc_backend_read_range(out, f->be, "t/b/data", 246, 10)); /* up to the end */
	CHECK(memcmp(out, data + 246, 10) == 0);
	/* an empty range is fine at the end, not past it */
	CHECK_OK(tc_backend_read_range(out, f->be, "t/b/data", 256, 0));
	CHECK_ERR(tc_backend_read_range(out, f->be, "t/b/data", 257, 0), TC_ECORRUPT);
	CHECK_OK(tc_backend_read_range(out, f->be, "t/b/data", 256, 0));
	/* past the end: corrupt, naming key and offset */
	CHECK_ERR(tc_backend_read_range(out, f->be, "t/b/data", 250, 10), TC_ECORRUPT);
	CHECK_ERRMSG("t/b/data");
	CHECK_ERRMSG("offset 250");
	CHECK_ERR(tc_backend_read_range(out, f->be, "t/b/data", 1000, 1), TC_ECORRUPT);
	CHECK_ERRMSG("offset 1000");
	CHECK_ERR(tc_backend_read_range(out, f->be, "t/b/data", UINT64_MAX - 2, 8), TC_ECORRUPT);
	CHECK_ERR(tc_backend_read_range(out, f->be, "t/b/data", 256, 1), TC_ECORRUPT);
	CHECK_ERR(tc_backend_read_range(out, f->be, "t/b/data", 255, 2), TC_ECORRUPT);
	CHECK_OK(tc_backend_read_range(out, f->be, "t/b/data", 255, 1));
	CHECK(out[0] == 255);
	/* an empty object has no byte 0 */
	CHECK_OK(tc_backend_write(f->be, "t/b/empty", NULL, 0));
	CHECK_ERR(tc_backend_read_range(out, f->be, "t/b/empty", 0, 1), TC_ECORRUPT);
	CHECK_OK(tc_backend_read_range(out, f->be, "t/b/empty", 0, 0));
}

void tc_suite_stat_object(tc_suite_fx *f)
{
	tc_stat st;
	int64_t before = tc_suite_now_ns(), after;

	CHECK_OK(tc_suite_put(f->be, "t/b/index", "12345"));
	after = tc_suite_now_ns();
	CHECK_OK(tc_backend_stat(&st, f->be, "t/b/index"));
	CHECK_EQ_U64(st.size, 5);
	/* a stored mtime is rounded to the store's precision: allow that, and a second */
	CHECK(tc_suite_time_ns(&st.mtime) >= before - f->mtime_slack_s * 1000000000LL);
	CHECK(tc_suite_time_ns(&st.mtime) <= after + 1000000000LL);
	CHECK(st.mtime.nsec >= 0 && st.mtime.nsec < 1000000000);
	CHECK_OK(tc_backend_write(f->be, "t/b/index", NULL, 0));
	CHECK_OK(tc_backend_stat(&st, f->be, "t/b/index"));
	CHECK_EQ_U64(st.size, 0);
}

void tc_suite_list(tc_suite_fx *f)
{
	char s[4096];
	tc_strlist l = TC_STRLIST_INIT;

	CHECK_OK(tc_suite_put(f->be, "t1/b2/meta.json", "m"));
	CHECK_OK(tc_suite_put(f->be, "t1/b1/meta.json", "m"));
	CHECK_OK(tc_suite_put(f->be, "t1/b1/data", "d"));
	CHECK_OK(tc_suite_put(f->be, "t1/b1/bloom-0", "b"));
	/* "b-c" sorts before "b1" as a key but after "b" */
	CHECK_OK(tc_suite_put(f->be, "t1/b-c/x", "x"));
	CHECK_OK(tc_suite_put(f->be, "t1/b/x", "x"));
	CHECK_OK(tc_suite_put(f->be, "t1/index.json.gz", "i"));
	CHECK_OK(tc_suite_put(f->be, "t2/b9/meta.compacted.json", "c"));
	CHECK_OK(tc_suite_put(f->be, "top-level-object", "o"));

	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "", 0));
	CHECK_STR(s, "t1,t2");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t1/", 0));
	CHECK_STR(s, "b,b-c,b1,b2");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t1", 0)); /* trailing '/' optional */
	CHECK_STR(s, "b,b-c,b1,b2");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t1/b1/", 0));
	CHECK_STR(s, "");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t1/b1/", 1));
	CHECK_STR(s, "bloom-0,data,meta.json");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t1/", 1));
	CHECK_STR(s, "index.json.gz");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "", 1));
	CHECK_STR(s, "top-level-object");
	/* a missing prefix lists nothing, as on an object store */
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "nope/", 0));
	CHECK_STR(s, "");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "nope/x/", 1));
	CHECK_STR(s, "");
	/* results are appended to the list, the new part sorted */
	CHECK_OK(tc_strlist_add(&l, "zzz"));
	CHECK_OK(tc_backend_list(&l, f->be, "t2/"));
	CHECK(l.n == 2);
	CHECK_STR(l.items[0], "zzz");
	CHECK_STR(l.items[1], "b9");
	tc_strlist_dispose(&l);
}

void tc_suite_delete_object(tc_suite_fx *f)
{
	char s[4096];

	CHECK_OK(tc_suite_put(f->be, "t/b/data", "d"));
	CHECK_OK(tc_suite_put(f->be, "t/b/index", "i"));
	CHECK_OK(tc_backend_delete(f->be, "t/b/data"));
	CHECK_ERR(tc_suite_get(s, f->be, "t/b/data"), TC_ENOTFOUND);
	CHECK_OK(tc_suite_get(s, f->be, "t/b/index"));
	CHECK_STR(s, "i");
	/* missing keys and missing directories are fine */
	CHECK_OK(tc_backend_delete(f->be, "t/b/data"));
	CHECK_OK(tc_backend_delete(f->be, "no/such/dir/key"));
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t/b/", 1));
	CHECK_STR(s, "index");
	/* deleting the last object leaves the rest alone */
	CHECK_OK(tc_backend_delete(f->be, "t/b/index"));
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t/b/", 1));
	CHECK_STR(s, "");
}

void tc_suite_append_commit(tc_suite_fx *f)
{
	tc_append *a = NULL;
	tc_buf got = TC_BUF_INIT, want = TC_BUF_INIT;
	uint64_t rng = 42;
	tc_stat st;

	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b/data"));
	CHECK(a != NULL);
	for (int i = 0; i < 40; i++) {
		size_t n = (size_t)(tc_test_rand(&rng) % 70000);
		uint8_t *p;
		CHECK_OK(tc_buf_grow_by(&want, &p, n));
		for (size_t j = 0; j < n; j++)
			p[j] = (uint8_t)tc_test_rand(&rng);
		CHECK_OK(tc_backend_append(a, p, n));
	}
	CHECK_OK(tc_backend_append(a, NULL, 0));
	if (f->append_visible_before_commit)
		CHECK_OK(tc_backend_stat(&st, f->be, "t/b/data"));
	else
		CHECK_ERR(tc_backend_stat(&st, f->be, "t/b/data"), TC_ENOTFOUND);
	CHECK_OK(tc_backend_append_commit(a));
	CHECK_OK(tc_backend_read(&got, f->be, "t/b/data"));
	CHECK_EQ_U64(got.len, want.len);
	CHECK(memcmp(got.ptr, want.ptr, want.len) == 0);
	CHECK_OK(tc_backend_stat(&st, f->be, "t/b/data"));
	CHECK_EQ_U64(st.size, want.len);

	/* a second stream to the same key replaces the object */
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b/data"));
	CHECK_OK(tc_backend_append(a, "abc", 3));
	CHECK_OK(tc_backend_append(a, "def", 3));
	CHECK_OK(tc_backend_append_commit(a));
	tc_buf_clear(&got);
	CHECK_OK(tc_backend_read(&got, f->be, "t/b/data"));
	CHECK(got.len == 6 && memcmp(got.ptr, "abcdef", 6) == 0);

	/* an empty stream commits an empty object */
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b2/data"));
	CHECK_OK(tc_backend_append_commit(a));
	CHECK_OK(tc_backend_stat(&st, f->be, "t/b2/data"));
	CHECK_EQ_U64(st.size, 0);
	tc_buf_dispose(&got);
	tc_buf_dispose(&want);
}

void tc_suite_append_abort(tc_suite_fx *f)
{
	tc_append *a = NULL;
	char s[4096];

	CHECK_OK(tc_suite_put(f->be, "t/b/meta.json", "m"));
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b/data"));
	CHECK_OK(tc_backend_append(a, "partial", 7));
	tc_backend_append_abort(a);
	CHECK_ERR(tc_suite_get(s, f->be, "t/b/data"), TC_ENOTFOUND);
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t/b/", 1));
	CHECK_STR(s, "meta.json");
	/* abort without any data, and of NULL */
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b/data"));
	tc_backend_append_abort(a);
	tc_backend_append_abort(NULL);
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t/b/", 1));
	CHECK_STR(s, "meta.json");
	/* an abort in a fresh block leaves no object behind */
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/new/data"));
	CHECK_OK(tc_backend_append(a, "x", 1));
	tc_backend_append_abort(a);
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t/new/", 1));
	CHECK_STR(s, "");
}

void tc_suite_mark_compacted(tc_suite_fx *f)
{
	const char *meta = "{\"format\":\"v2\",\"blockID\":\"b\"}";
	char s[4096];
	tc_stat st, orig;
	int64_t before, after;
	int aged;

	CHECK_OK(tc_suite_put(f->be, "t/b/meta.json", meta));
	CHECK_OK(tc_suite_put(f->be, "t/b/data", "d"));
	aged = f->backdate ? f->backdate(f->ctx, "t/b/meta.json") : 0;
	CHECK_MSG(aged >= 0, "backdating t/b/meta.json failed");
	CHECK_OK(tc_backend_stat(&orig, f->be, "t/b/meta.json"));
	before = tc_suite_now_ns();
	CHECK_OK(tc_backend_mark_compacted(f->be, "t", "b"));
	after = tc_suite_now_ns();
	CHECK_ERR(tc_suite_get(s, f->be, "t/b/meta.json"), TC_ENOTFOUND);
	CHECK_OK(tc_suite_get(s, f->be, "t/b/meta.compacted.json"));
	CHECK_STR(s, meta);
	CHECK_OK(tc_backend_stat(&st, f->be, "t/b/meta.compacted.json"));
	CHECK_MSG(tc_suite_time_ns(&st.mtime) >= before - 1000000000LL &&
			  tc_suite_time_ns(&st.mtime) <= after + 1000000000LL,
		  "compacted time %lld not the time of marking (meta written %lld)",
		  (long long)st.mtime.sec, (long long)orig.mtime.sec);
	if (aged)
		CHECK(st.mtime.sec > orig.mtime.sec);
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t/b/", 1));
	CHECK_STR(s, "data,meta.compacted.json");
	/* again: the meta is gone */
	CHECK_ERR(tc_backend_mark_compacted(f->be, "t", "b"), TC_ENOTFOUND);
	CHECK_ERRMSG("t/b/meta.json");
	CHECK_ERR(tc_backend_mark_compacted(f->be, "t", "nope"), TC_ENOTFOUND);
	CHECK_ERR(tc_backend_mark_compacted(f->be, "nope", "b"), TC_ENOTFOUND);
	/* an older compacted meta is replaced */
	CHECK_OK(tc_suite_put(f->be, "t/b/meta.json", "new"));
	CHECK_OK(tc_backend_mark_compacted(f->be, "t", "b"));
	CHECK_OK(tc_suite_get(s, f->be, "t/b/meta.compacted.json"));
	CHECK_STR(s, "new");
}

void tc_suite_clear_block(tc_suite_fx *f)
{
	char s[4096];

	CHECK_OK(tc_suite_put(f->be, "t/b1/meta.compacted.json", "m"));
	CHECK_OK(tc_suite_put(f->be, "t/b1/data", "d"));
	CHECK_OK(tc_suite_put(f->be, "t/b1/index", "i"));
	CHECK_OK(tc_suite_put(f->be, "t/b1/bloom-0", "b"));
	CHECK_OK(tc_suite_put(f->be, "t/b1/nested/x", "n"));
	CHECK_OK(tc_suite_put(f->be, "t/b10/meta.json", "m")); /* shares the prefix "t/b1" */
	CHECK_OK(tc_suite_put(f->be, "t/b2/meta.json", "m"));
	CHECK_OK(tc_backend_clear_block(f->be, "t", "b1"));
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t/b1/", 1));
	CHECK_STR(s, "");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t/b1/", 0));
	CHECK_STR(s, "");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t/", 0));
	CHECK_STR(s, "b10,b2");
	CHECK_OK(tc_suite_get(s, f->be, "t/b10/meta.json"));
	/* clearing a missing block or tenant is fine */
	CHECK_OK(tc_backend_clear_block(f->be, "t", "b1"));
	CHECK_OK(tc_backend_clear_block(f->be, "nope", "b1"));
}

const char *const tc_suite_hostile[] = {
	"../x", "../../etc/passwd", "a/../../x", "a//b", "/abs", "/", "a/./b", "./a", "a/.",
	"a/..", "..", ".", "", "a/", "a/b/", "t/b/da\nta", "t/\x1b[31m", "t\tb", "t/b\x7f",
};
const size_t tc_suite_n_hostile = sizeof(tc_suite_hostile) / sizeof(tc_suite_hostile[0]);

void tc_suite_hostile_keys(tc_suite_fx *f)
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
	for (size_t i = 0; i <= tc_suite_n_hostile; i++) {
		const char *k = i < tc_suite_n_hostile ? tc_suite_hostile[i] : long_key;
		CHECK_ERR(tc_backend_write(f->be, k, "x", 1), TC_EINVALID);
		CHECK_ERRMSG("invalid key");
		if (i < 4)
			CHECK_ERRMSG(k); /* the message names the key */
		CHECK_ERR(tc_backend_read(&b, f->be, k), TC_EINVALID);
		CHECK_ERR(tc_backend_read_range(x, f->be, k, 0, 1), TC_EINVALID);
		CHECK_ERR(tc_backend_stat(&st, f->be, k), TC_EINVALID);
		CHECK_ERR(tc_backend_delete(f->be, k), TC_EINVALID);
		CHECK_ERR(tc_backend_append_open(&a, f->be, k), TC_EINVALID);
		CHECK(a == NULL);
	}
	/* control characters are shown escaped, never raw */
	CHECK_ERR(tc_backend_write(f->be, "t/b/da\nta", "x", 1), TC_EINVALID);
	CHECK_ERRMSG("t/b/da\\x0ata");
	CHECK_ERR(tc_backend_list(&l, f->be, "../"), TC_EINVALID);
	CHECK_ERR(tc_backend_list(&l, f->be, "/"), TC_EINVALID);
	CHECK_ERR(tc_backend_list(&l, f->be, "a//"), TC_EINVALID);
	CHECK_ERR(tc_backend_list(&l, f->be, "t/../"), TC_EINVALID);
	CHECK_ERR(tc_backend_list_objects(&l, f->be, "../"), TC_EINVALID);
	CHECK_ERR(tc_backend_list_objects(&l, f->be, "t/./"), TC_EINVALID);
	CHECK(l.n == 0);
	CHECK_ERR(tc_backend_mark_compacted(f->be, "..", "b"), TC_EINVALID);
	CHECK_ERR(tc_backend_mark_compacted(f->be, "t", "../b"), TC_EINVALID);
	CHECK_ERR(tc_backend_mark_compacted(f->be, "t/x", "b"), TC_EINVALID);
	CHECK_ERR(tc_backend_mark_compacted(f->be, "", "b"), TC_EINVALID);
	CHECK_ERR(tc_backend_clear_block(f->be, "..", ".."), TC_EINVALID);
	CHECK_ERR(tc_backend_clear_block(f->be, "t", "."), TC_EINVALID);
	CHECK_ERR(tc_backend_clear_block(f->be, "t", ""), TC_EINVALID);
	CHECK_ERR(tc_backend_clear_block(f->be, "t", "b/../.."), TC_EINVALID);
	/* nothing was created anywhere */
	CHECK_OK(tc_backend_list(&l, f->be, ""));
	CHECK(l.n == 0);
	CHECK_OK(tc_backend_list_objects(&l, f->be, ""));
	CHECK(l.n == 0);
	tc_buf_dispose(&b);
	tc_strlist_dispose(&l);
}

/* ---- concurrency ---- */

typedef struct worker {
	tc_backend *be;
	int id, n_objects;
	atomic_int *failures;
} worker;

#define N_THREADS 4
#define SHARED_UNIT 3000

/* The shared key always holds one writer's whole object: id+1 units of 'A'+id. */
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

	if (!shared) {
		atomic_fetch_add(w->failures, 1);
		return NULL;
	}
	memset(shared, 'A' + w->id, slen);
	for (int i = 0; i < w->n_objects; i++) {
		tc_append *a = NULL;
		snprintf(key, sizeof(key), "t/b%d/obj%d", w->id, i);
		snprintf(val, sizeof(val), "w%d-%d", w->id, i);
		if (tc_suite_put(w->be, key, val) != 0)
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

void tc_suite_concurrent_writers(tc_suite_fx *f)
{
	pthread_t th[N_THREADS];
	worker w[N_THREADS];
	atomic_int failures = 0;
	char key[128], want[64], s[4096];
	tc_buf b = TC_BUF_INIT;
	tc_strlist l = TC_STRLIST_INIT;

	for (int i = 0; i < N_THREADS; i++) {
		w[i] = (worker){ f->be, i, f->concurrent_objects, &failures };
		CHECK(pthread_create(&th[i], NULL, worker_run, &w[i]) == 0);
	}
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(th[i], NULL);
	CHECK(atomic_load(&failures) == 0);
	for (int id = 0; id < N_THREADS; id++)
		for (int i = 0; i < f->concurrent_objects; i++) {
			snprintf(key, sizeof(key), "t/b%d/obj%d", id, i);
			snprintf(want, sizeof(want), "w%d-%d", id, i);
			CHECK_OK(tc_suite_get(s, f->be, key));
			CHECK_STR(s, want);
			snprintf(key, sizeof(key), "t/s%d/data%d", id, i);
			strcat(want, "!");
			CHECK_OK(tc_suite_get(s, f->be, key));
			CHECK_STR(s, want);
		}
	CHECK_OK(tc_backend_read(&b, f->be, "t/shared/meta.json"));
	CHECK(shared_ok(&b));
	/* no temp objects left behind, and none visible */
	CHECK_OK(tc_backend_list_objects(&l, f->be, "t/shared/"));
	CHECK(l.n == 1);
	tc_buf_dispose(&b);
	tc_strlist_dispose(&l);
}

/* ---- listings, overwrites, names ---- */

void tc_suite_list_semantics(tc_suite_fx *f)
{
	char s[4096];

	CHECK_OK(tc_suite_put(f->be, "t1/b1/meta.json", "m"));
	CHECK_OK(tc_suite_put(f->be, "t1/b1/sub/deep/x", "x"));
	CHECK_OK(tc_suite_put(f->be, "t1/b10/meta.json", "m"));
	CHECK_OK(tc_suite_put(f->be, "t10/b1/meta.json", "m"));
	CHECK_OK(tc_suite_put(f->be, "t1x", "o"));
	CHECK_OK(tc_suite_put(f->be, "t1/b1x", "o"));
	/* a prefix is a whole segment: t1 is not t10's, b1 is not b10's */
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "", 0));
	CHECK_STR(s, "t1,t10");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "", 1));
	CHECK_STR(s, "t1x");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t1/", 0));
	CHECK_STR(s, "b1,b10");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t1/", 1));
	CHECK_STR(s, "b1x");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t1/b1", 1));
	CHECK_STR(s, "meta.json");
	/* the delimiter: a nested name is one level, never an object here */
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t1/b1/", 0));
	CHECK_STR(s, "sub");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t1/b1/sub/", 0));
	CHECK_STR(s, "deep");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t1/b1/sub/deep/", 1));
	CHECK_STR(s, "x");
	/* an object's name as a prefix lists nothing */
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t1/b1/meta.json/", 1));
	CHECK_STR(s, "");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t1x/", 0));
	CHECK_STR(s, "");
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
		if (tc_suite_put(w->be, key, "x") != 0)
			atomic_fetch_add(w->failures, 1);
	}
	return NULL;
}

/* Writes "x" to fmt % i for i in [0, n), from 8 threads. */
static int fill_keys(tc_backend *be, const char *fmt, int n)
{
	pthread_t th[8];
	filler w[8];
	atomic_int failures = 0;
	int started = 0;

	for (; started < 8; started++) {
		w[started] = (filler){ be, n * started / 8, n * (started + 1) / 8, fmt, &failures };
		if (pthread_create(&th[started], NULL, fill_run, &w[started]) != 0)
			break;
	}
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	return started < 8 || atomic_load(&failures) ? -1 : 0;
}

void tc_suite_long_listing(tc_suite_fx *f)
{
	tc_strlist l = TC_STRLIST_INIT;
	enum { N = 1010 };

	CHECK(fill_keys(f->be, "t/b%04d/meta.json", N) == 0);
	CHECK(fill_keys(f->be, "t/big/o%04d", N) == 0);
	CHECK_OK(tc_backend_list(&l, f->be, "t/"));
	CHECK_EQ_U64(l.n, N + 1);
	if (l.n == N + 1) {
		CHECK_STR(l.items[0], "b0000");
		CHECK_STR(l.items[N - 1], "b1009");
		CHECK_STR(l.items[N], "big");
	}
	tc_strlist_clear(&l);
	CHECK_OK(tc_backend_list_objects(&l, f->be, "t/big/"));
	CHECK_EQ_U64(l.n, N);
	if (l.n == N) {
		CHECK_STR(l.items[0], "o0000");
		CHECK_STR(l.items[N - 1], "o1009");
	}
	tc_strlist_clear(&l);
	CHECK_OK(tc_backend_clear_block(f->be, "t", "big"));
	CHECK_OK(tc_backend_list_objects(&l, f->be, "t/big/"));
	CHECK_EQ_U64(l.n, 0);
	CHECK_OK(tc_backend_list(&l, f->be, "t/"));
	CHECK_EQ_U64(l.n, N);
	tc_strlist_dispose(&l);
}

void tc_suite_overwrite(tc_suite_fx *f)
{
	uint8_t big[70000];
	tc_append *a = NULL;
	tc_stat st;
	char s[4096];

	memset(big, 'B', sizeof(big));
	CHECK_OK(tc_backend_write(f->be, "t/b/index", big, sizeof(big)));
	CHECK_OK(tc_suite_put(f->be, "t/b/index", "small"));
	CHECK_OK(tc_suite_get(s, f->be, "t/b/index"));
	CHECK_STR(s, "small");
	CHECK_OK(tc_backend_stat(&st, f->be, "t/b/index"));
	CHECK_EQ_U64(st.size, 5);
	CHECK_OK(tc_backend_write(f->be, "t/b/index", big, sizeof(big)));
	CHECK_OK(tc_backend_stat(&st, f->be, "t/b/index"));
	CHECK_EQ_U64(st.size, sizeof(big));
	/* a stream replaces a written object, and the other way round */
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b/index"));
	CHECK_OK(tc_backend_append(a, "str", 3));
	CHECK_OK(tc_backend_append(a, "eam", 3));
	CHECK_OK(tc_backend_append_commit(a));
	CHECK_OK(tc_suite_get(s, f->be, "t/b/index"));
	CHECK_STR(s, "stream");
	CHECK_OK(tc_suite_put(f->be, "t/b/index", "w"));
	CHECK_OK(tc_suite_get(s, f->be, "t/b/index"));
	CHECK_STR(s, "w");
	/*
	 * an aborted stream leaves the object it would have replaced (local,
	 * appending in place, removes what it wrote instead)
	 */
	if (!f->append_visible_before_commit) {
		CHECK_OK(tc_backend_append_open(&a, f->be, "t/b/index"));
		CHECK_OK(tc_backend_append(a, big, sizeof(big)));
		tc_backend_append_abort(a);
		CHECK_OK(tc_suite_get(s, f->be, "t/b/index"));
		CHECK_STR(s, "w");
		CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t/b/", 1));
		CHECK_STR(s, "index");
	}
}

void tc_suite_all_chars(tc_suite_fx *f)
{
	/*
	 * every printable ASCII character but '/', and UTF-8 of 2, 3 and 4
	 * bytes; not a leading '.': the local backend's temp files, which
	 * listings hide on every backend
	 */
	static const char *const tenants[] = {
		" !\"#$%&'()*+,-.:;<=>?@[]^_`{|}~",
		"back\\slash",
		"ABCXYZabcxyz0123456789",
		"caf\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x98\x80",
		"a..b...c",
		"v1.2-x.json",
		"a b  c",
		"%41%2F%00+plus",
	};
	const size_t n = sizeof(tenants) / sizeof(tenants[0]);
	char key[TC_KEY_MAX + 1], block[256], s[4096];
	tc_strlist l = TC_STRLIST_INIT;
	uint8_t r[4];

	for (size_t i = 0; i < n; i++) {
		snprintf(block, sizeof(block), "blk %s", tenants[i]);
		snprintf(key, sizeof(key), "%s/%s/meta.json", tenants[i], block);
		if (f->backslash_refused && strchr(key, '\\')) {
			CHECK_ERR(tc_suite_put(f->be, key, "x"), TC_EINVALID);
			CHECK_ERRMSG("'\\'");
			CHECK_ERR(tc_backend_list(&l, f->be, tenants[i]), TC_EINVALID);
			CHECK_ERR(tc_backend_clear_block(f->be, tenants[i], block), TC_EINVALID);
			continue;
		}
		CHECK_MSG(tc_suite_put(f->be, key, tenants[i]) == 0, "write %s: %s", key,
			  tc_error_last());
		CHECK_OK(tc_suite_get(s, f->be, key));
		CHECK_STR(s, tenants[i]);
		snprintf(key, sizeof(key), "%s/%s/%s", tenants[i], block, tenants[i]);
		CHECK_OK(tc_suite_put(f->be, key, "data"));
		CHECK_OK(tc_backend_read_range(r, f->be, key, 1, 3));
		CHECK(memcmp(r, "ata", 3) == 0);
		snprintf(key, sizeof(key), "%s/", tenants[i]);
		tc_strlist_clear(&l);
		CHECK_OK(tc_backend_list(&l, f->be, key));
		CHECK_MSG(l.n == 1 && !strcmp(l.items[0], block), "blocks of \"%s\"", tenants[i]);
		CHECK_OK(tc_backend_mark_compacted(f->be, tenants[i], block));
		snprintf(key, sizeof(key), "%s/%s/", tenants[i], block);
		tc_strlist_clear(&l);
		CHECK_OK(tc_backend_list_objects(&l, f->be, key));
		CHECK_MSG(l.n == 2 && tc_strlist_contains(&l, "meta.compacted.json") &&
				  tc_strlist_contains(&l, tenants[i]),
			  "objects of \"%s\": %zu (%s)", key, l.n, l.n ? l.items[0] : "");
	}
	tc_strlist_clear(&l);
	CHECK_OK(tc_backend_list(&l, f->be, ""));
	CHECK_EQ_U64(l.n, f->backslash_refused ? n - 1 : n);
	for (size_t i = 0; i < n; i++)
		CHECK_MSG(tc_strlist_contains(&l, tenants[i]) ||
				  (f->backslash_refused && strchr(tenants[i], '\\')),
			  "tenant \"%s\" not listed", tenants[i]);
	for (size_t i = 0; i < n; i++) {
		if (f->backslash_refused && strchr(tenants[i], '\\'))
			continue;
		snprintf(block, sizeof(block), "blk %s", tenants[i]);
		CHECK_OK(tc_backend_clear_block(f->be, tenants[i], block));
		/* (local keeps the tenant's directory) */
		snprintf(key, sizeof(key), "%s/", tenants[i]);
		tc_strlist_clear(&l);
		CHECK_OK(tc_backend_list(&l, f->be, key));
		CHECK_EQ_U64(l.n, 0);
	}
	tc_strlist_dispose(&l);
}

/*
 * The version and objects of block name in t's listing: 1 if listed, 0 if
 * not, < 0 if the listing failed (-2: it listed the tenant index or is not
 * sorted).
 */
static int listed(uint64_t *version, uint8_t *objects, tc_backend *be, const char *name)
{
	tc_block_list l = TC_BLOCK_LIST_INIT;
	int r = 0;

	if (tc_backend_list_blocks(&l, be, "t") < 0) {
		fprintf(stderr, "list_blocks: %s\n", tc_error_last());
		return -1;
	}
	for (size_t i = 0; i < l.names.n && r >= 0; i++) {
		if (!strcmp(l.names.items[i], "index.json.gz") ||
		    (i && strcmp(l.names.items[i - 1], l.names.items[i]) >= 0))
			r = -2;
		else if (!strcmp(l.names.items[i], name)) {
			*version = l.version[i];
			*objects = l.objects[i];
			r = 1;
		}
	}
	tc_block_list_dispose(&l);
	return r;
}

/*
 * A change to block name (made before) must not keep its non-zero
 * version from before (*v); 0 is "unknown" and always allowed. *v becomes
 * the version after, *objects its flags.
 */
static void changed(tc_backend *be, int known, const char *name, uint64_t *v,
		    uint8_t *objects, const char *what)
{
	uint64_t after = 0;

	CHECK_MSG(listed(&after, objects, be, name) == 1, "%s: block %s not listed", what, name);
	CHECK_MSG(!known || (after && (*objects & TC_BLOCK_KNOWN)),
		  "%s: block %s: version %016llx, objects %#x: not stamped", what, name,
		  (unsigned long long)after, *objects);
	CHECK_MSG(!(after && after == *v), "%s: block %s kept version %016llx", what, name,
		  (unsigned long long)after);
	*v = after;
}

/* Flags, when the backend knows them, are exactly want. */
static void flags_are(uint8_t objects, uint8_t want, const char *what)
{
	if (objects & TC_BLOCK_KNOWN)
		CHECK_MSG((objects & ~TC_BLOCK_KNOWN) == want, "%s: flags %#x, want %#x", what,
			  objects, want);
}

void tc_suite_list_blocks(tc_suite_fx *f)
{
	uint64_t v1 = 0, v2 = 0, v3 = 0, again = 0;
	uint8_t o1 = 0, o2 = 0, o3 = 0, o;

	CHECK_OK(tc_suite_put(f->be, "t/index.json.gz", "x"));
	CHECK_OK(tc_suite_put(f->be, "t/b1/meta.json", "m"));
	CHECK_OK(tc_suite_put(f->be, "t/b1/data", "d"));
	CHECK_OK(tc_suite_put(f->be, "t/b2/meta.json", "m"));
	CHECK_OK(tc_suite_put(f->be, "t/b3/meta.compacted.json", "c"));
	CHECK_OK(tc_suite_put(f->be, "u/b4/meta.json", "other tenant"));
	CHECK(1 == listed(&v1, &o1, f->be, "b1"));
	CHECK(1 == listed(&v2, &o2, f->be, "b2"));
	CHECK(1 == listed(&v3, &o3, f->be, "b3"));
	CHECK(0 == listed(&again, &o, f->be, "b4"));
	if (f->block_versions_known) {
		CHECK(v1 && v2 && v3);
		CHECK((o1 & o2 & o3) & TC_BLOCK_KNOWN);
	}
	flags_are(o1, TC_BLOCK_HAS_META, "b1");
	flags_are(o3, TC_BLOCK_HAS_COMPACTED, "b3");
	/* an unchanged tenant lists every known version again */
	CHECK(1 == listed(&again, &o, f->be, "b1"));
	CHECK_MSG(!v1 || again == v1, "b1 unchanged but %016llx became %016llx",
		  (unsigned long long)v1, (unsigned long long)again);
	CHECK(1 == listed(&again, &o, f->be, "b3"));
	CHECK_MSG(!v3 || again == v3, "b3 unchanged but %016llx became %016llx",
		  (unsigned long long)v3, (unsigned long long)again);

	/* meta.json rewritten (other contents, so also another ETag and size) */
	CHECK_OK(tc_suite_put(f->be, "t/b1/meta.json", "m2, rewritten"));
	changed(f->be, f->block_versions_known, "b1", &v1, &o1, "meta.json rewritten");
	/* meta.compacted.json appears next to meta.json */
	CHECK_OK(tc_suite_put(f->be, "t/b2/meta.compacted.json", "c"));
	changed(f->be, f->block_versions_known, "b2", &v2, &o2, "meta.compacted.json written");
	flags_are(o2, TC_BLOCK_HAS_META | TC_BLOCK_HAS_COMPACTED, "b2 both metas");
	/* quarantined, then released */
	CHECK_OK(tc_suite_put(f->be, "t/b3/nocompact.json", "q"));
	changed(f->be, f->block_versions_known, "b3", &v3, &o3, "nocompact.json written");
	flags_are(o3, TC_BLOCK_HAS_COMPACTED | TC_BLOCK_HAS_NOCOMPACT, "b3 quarantined");
	CHECK_OK(tc_backend_delete(f->be, "t/b3/nocompact.json"));
	changed(f->be, f->block_versions_known, "b3", &v3, &o3, "nocompact.json deleted");
	flags_are(o3, TC_BLOCK_HAS_COMPACTED, "b3 released");
	/* deleted blocks are gone, the others stay */
	CHECK_OK(tc_backend_clear_block(f->be, "t", "b1"));
	CHECK(0 == listed(&again, &o, f->be, "b1"));
	CHECK(1 == listed(&again, &o, f->be, "b2"));
	/* a tenant with nothing lists no blocks */
	{
		tc_block_list l = TC_BLOCK_LIST_INIT;
		CHECK_OK(tc_backend_list_blocks(&l, f->be, "empty"));
		CHECK_EQ_U64(l.names.n, 0);
		tc_block_list_dispose(&l);
	}
}
