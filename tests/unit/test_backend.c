/*
 * One conformance suite run against the local and the in-memory backend,
 * plus the local backend's filesystem specifics (symlinks, temp files,
 * in-place appends, nothing created outside the root).
 */
#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/backend/backend.h"
#include "src/backend/backend_impl.h"
#include "src/util/ids.h"

typedef struct fx {
	tc_backend *be;
	char root[1024]; /* local only: the backend root ("" for mem) */
	char outer[1024]; /* local only: the temp dir holding root */
} fx;

static int fx_local(fx *f)
{
	const char *tmp = tc_test_tmpdir();
	memset(f, 0, sizeof(*f));
	snprintf(f->outer, sizeof(f->outer), "%s", tmp);
	/* a root that does not exist yet: the backend creates it */
	snprintf(f->root, sizeof(f->root), "%s/store/root", tmp);
	return tc_backend_local_new(&f->be, f->root);
}

static int fx_mem(fx *f)
{
	memset(f, 0, sizeof(*f));
	return tc_backend_mem_new(&f->be);
}

/* Declares conformance test `name` and its local_/mem_ runners. */
#define CONFORM(name)                                                              \
	static void name(fx *f);                                                   \
	static void local_##name(void)                                             \
	{                                                                          \
		fx f;                                                              \
		int r = fx_local(&f);                                              \
		CHECK_MSG(r == 0, "local_new: %s", tc_error_last());               \
		CHECK_STR(tc_backend_name(f.be), "local");                         \
		name(&f);                                                          \
		tc_backend_free(f.be);                                             \
	}                                                                          \
	static void mem_##name(void)                                               \
	{                                                                          \
		fx f;                                                              \
		int r = fx_mem(&f);                                                \
		CHECK_MSG(r == 0, "mem_new: %s", tc_error_last());                 \
		CHECK_STR(tc_backend_name(f.be), "mem");                           \
		name(&f);                                                          \
		tc_backend_free(f.be);                                             \
	}

static int is_local(const fx *f)
{
	return f->root[0] != '\0';
}

static int put(tc_backend *be, const char *key, const char *s)
{
	return tc_backend_write(be, key, s, strlen(s));
}

/* Reads key as a string into out (size 4096); returns the backend's code. */
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

/* ---- conformance ---- */

CONFORM(write_read)
static void write_read(fx *f)
{
	char s[4096];
	tc_buf small;

	CHECK_OK(put(f->be, "t1/b1/meta.json", "{\"a\":1}"));
	CHECK_OK(get(s, f->be, "t1/b1/meta.json"));
	CHECK_STR(s, "{\"a\":1}");
	/* replace: the new whole object, nothing of the old left */
	CHECK_OK(put(f->be, "t1/b1/meta.json", "xy"));
	CHECK_OK(get(s, f->be, "t1/b1/meta.json"));
	CHECK_STR(s, "xy");
	/* empty objects exist */
	CHECK_OK(tc_backend_write(f->be, "t1/empty", NULL, 0));
	CHECK_OK(get(s, f->be, "t1/empty"));
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
	CHECK_OK(put(f->be, "t1/big", "0123456789"));
	tc_buf_init(&small, 4);
	CHECK_ERR(tc_backend_read(&small, f->be, "t1/big"), TC_ELIMIT);
	CHECK_ERRMSG("t1/big");
	tc_buf_dispose(&small);
	/* keys at the tenant level and deep keys */
	CHECK_OK(put(f->be, "t1/index.json.gz", "idx"));
	CHECK_OK(put(f->be, "t1/b1/sub/deeper/x", "deep"));
	CHECK_OK(get(s, f->be, "t1/b1/sub/deeper/x"));
	CHECK_STR(s, "deep");
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
	CHECK_ERR(tc_backend_stat(&st, f->be, "t/b/data"), TC_ENOTFOUND);
	CHECK_OK(put(f->be, "t/b/meta.json", "m"));
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
	CHECK_OK(tc_backend_read_range(out, f->be, "t/b/data", 246, 10)); /* up to the end */
	CHECK(memcmp(out, data + 246, 10) == 0);
	CHECK_OK(tc_backend_read_range(out, f->be, "t/b/data", 256, 0));
	/* past the end: corrupt, naming key and offset */
	CHECK_ERR(tc_backend_read_range(out, f->be, "t/b/data", 250, 10), TC_ECORRUPT);
	CHECK_ERRMSG("t/b/data");
	CHECK_ERRMSG("offset 250");
	CHECK_ERR(tc_backend_read_range(out, f->be, "t/b/data", 1000, 1), TC_ECORRUPT);
	CHECK_ERRMSG("offset 1000");
	CHECK_ERR(tc_backend_read_range(out, f->be, "t/b/data", UINT64_MAX - 2, 8), TC_ECORRUPT);
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
	/* file systems may round mtimes to their tick: allow a second */
	CHECK(time_ns(&st.mtime) >= before - 1000000000LL);
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
	CHECK_OK(put(f->be, "t1/b-c/x", "x")); /* sorts before "b1" as a key but after "b" */
	CHECK_OK(put(f->be, "t1/b/x", "x"));
	CHECK_OK(put(f->be, "t1/index.json.gz", "i"));
	CHECK_OK(put(f->be, "t2/b9/meta.compacted.json", "c"));
	CHECK_OK(put(f->be, "top-level-object", "o"));

	CHECK_OK(list_str(s, sizeof(s), f->be, "", 0));
	CHECK_STR(s, "t1,t2");
	CHECK_OK(list_str(s, sizeof(s), f->be, "t1/", 0));
	CHECK_STR(s, "b,b-c,b1,b2");
	CHECK_OK(list_str(s, sizeof(s), f->be, "t1", 0)); /* trailing '/' optional */
	CHECK_STR(s, "b,b-c,b1,b2");
	CHECK_OK(list_str(s, sizeof(s), f->be, "t1/b1/", 0));
	CHECK_STR(s, "");
	CHECK_OK(list_str(s, sizeof(s), f->be, "t1/b1/", 1));
	CHECK_STR(s, "bloom-0,data,meta.json");
	CHECK_OK(list_str(s, sizeof(s), f->be, "t1/", 1));
	CHECK_STR(s, "index.json.gz");
	CHECK_OK(list_str(s, sizeof(s), f->be, "", 1));
	CHECK_STR(s, "top-level-object");
	/* a missing prefix lists nothing, as on an object store */
	CHECK_OK(list_str(s, sizeof(s), f->be, "nope/", 0));
	CHECK_STR(s, "");
	CHECK_OK(list_str(s, sizeof(s), f->be, "nope/x/", 1));
	CHECK_STR(s, "");
	/* results are appended to the list, the new part sorted */
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
	/* missing keys and missing directories are fine */
	CHECK_OK(tc_backend_delete(f->be, "t/b/data"));
	CHECK_OK(tc_backend_delete(f->be, "no/such/dir/key"));
	CHECK_OK(list_str(s, sizeof(s), f->be, "t/b/", 1));
	CHECK_STR(s, "index");
	/* deleting the last object leaves the rest alone */
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
	/* abort without any data, and of NULL */
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b/data"));
	tc_backend_append_abort(a);
	tc_backend_append_abort(NULL);
	CHECK_OK(list_str(s, sizeof(s), f->be, "t/b/", 1));
	CHECK_STR(s, "meta.json");
	/* an abort in a fresh block leaves no object behind */
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/new/data"));
	CHECK_OK(tc_backend_append(a, "x", 1));
	tc_backend_append_abort(a);
	CHECK_OK(list_str(s, sizeof(s), f->be, "t/new/", 1));
	CHECK_STR(s, "");
}

/* Backdates the meta so that "mtime is now" cannot pass by accident. */
static int backdate(fx *f, const char *key)
{
	char path[8192];
	struct timespec ts[2] = { { 1500000000, 0 }, { 1500000000, 0 } };
	tc_stat st;

	if (!is_local(f))
		return 0; /* the memory store has no way to set an mtime */
	snprintf(path, sizeof(path), "%s/%s", f->root, key);
	if (utimensat(AT_FDCWD, path, ts, 0) != 0)
		return -1;
	if (tc_backend_stat(&st, f->be, key) != 0 || st.mtime.sec != 1500000000)
		return -1;
	return 0;
}

CONFORM(mark_compacted)
static void mark_compacted(fx *f)
{
	const char *meta = "{\"format\":\"v2\",\"blockID\":\"b\"}";
	char s[4096];
	tc_stat st;
	int64_t before, after;

	CHECK_OK(put(f->be, "t/b/meta.json", meta));
	CHECK_OK(put(f->be, "t/b/data", "d"));
	CHECK(backdate(f, "t/b/meta.json") == 0);
	before = now_ns();
	CHECK_OK(tc_backend_mark_compacted(f->be, "t", "b"));
	after = now_ns();
	CHECK_ERR(get(s, f->be, "t/b/meta.json"), TC_ENOTFOUND);
	CHECK_OK(get(s, f->be, "t/b/meta.compacted.json"));
	CHECK_STR(s, meta);
	CHECK_OK(tc_backend_stat(&st, f->be, "t/b/meta.compacted.json"));
	CHECK_MSG(time_ns(&st.mtime) >= before - 1000000000LL &&
			  time_ns(&st.mtime) <= after + 1000000000LL,
		  "compacted time %lld not the time of marking", (long long)st.mtime.sec);
	CHECK_OK(list_str(s, sizeof(s), f->be, "t/b/", 1));
	CHECK_STR(s, "data,meta.compacted.json");
	/* again: the meta is gone */
	CHECK_ERR(tc_backend_mark_compacted(f->be, "t", "b"), TC_ENOTFOUND);
	CHECK_ERRMSG("t/b/meta.json");
	CHECK_ERR(tc_backend_mark_compacted(f->be, "t", "nope"), TC_ENOTFOUND);
	CHECK_ERR(tc_backend_mark_compacted(f->be, "nope", "b"), TC_ENOTFOUND);
	/* an older compacted meta is replaced */
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
	CHECK_OK(put(f->be, "t/b10/meta.json", "m")); /* shares the prefix "t/b1" */
	CHECK_OK(put(f->be, "t/b2/meta.json", "m"));
	CHECK_OK(tc_backend_clear_block(f->be, "t", "b1"));
	CHECK_OK(list_str(s, sizeof(s), f->be, "t/b1/", 1));
	CHECK_STR(s, "");
	CHECK_OK(list_str(s, sizeof(s), f->be, "t/", 0));
	CHECK_STR(s, "b10,b2");
	CHECK_OK(get(s, f->be, "t/b10/meta.json"));
	if (is_local(f)) {
		char path[8192];
		struct stat st;
		snprintf(path, sizeof(path), "%s/t/b1", f->root);
		CHECK_MSG(lstat(path, &st) != 0 && errno == ENOENT, "%s still exists", path);
	}
	/* clearing a missing block or tenant is fine */
	CHECK_OK(tc_backend_clear_block(f->be, "t", "b1"));
	CHECK_OK(tc_backend_clear_block(f->be, "nope", "b1"));
}

static const char *hostile[] = {
	"../x", "../../etc/passwd", "a/../../x", "a//b", "/abs", "/", "a/./b", "./a", "a/.",
	"a/..", "..", ".", "", "a/", "a/b/", "t/b/da\nta", "t/\x1b[31m", "t\tb", "t/b\x7f",
};

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

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
	if (is_local(f)) {
		char store[8192];
		snprintf(store, sizeof(store), "%s/store", f->outer);
		CHECK(count_entries(f->outer) == 1); /* only "store" */
		CHECK(count_entries(store) == 1);     /* only "root" */
		CHECK(count_entries(f->root) == 0);
	}
	tc_buf_dispose(&b);
	tc_strlist_dispose(&l);
}

/* ---- concurrency ---- */

typedef struct worker {
	tc_backend *be;
	int id;
	atomic_int *failures;
} worker;

#define N_THREADS 4
#define N_OBJECTS 40
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
	tc_strlist l = TC_STRLIST_INIT;

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
	/* no temp files left behind, and none visible */
	CHECK_OK(tc_backend_list_objects(&l, f->be, "t/shared/"));
	CHECK(l.n == 1);
	if (is_local(f)) {
		char dir[8192];
		snprintf(dir, sizeof(dir), "%s/t/shared", f->root);
		CHECK(count_entries(dir) == 1);
	}
	tc_buf_dispose(&b);
	tc_strlist_dispose(&l);
}

/* ---- key rules ---- */

static void key_check_rules(void)
{
	char k[600];

	CHECK_OK(tc_backend_key_check("a"));
	CHECK_OK(tc_backend_key_check("t/b/meta.json"));
	CHECK_OK(tc_backend_key_check("t/..a/a..b/.hidden"));
	CHECK_OK(tc_backend_key_check("t/b/caf\xc3\xa9")); /* UTF-8 is not a control character */
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		CHECK_MSG(tc_backend_key_check(hostile[i]) == TC_EINVALID, "accepted key #%zu", i);
	CHECK_ERR(tc_backend_key_check(NULL), TC_EINVALID);
	/* TC_KEY_MAX bytes is fine, one more is not */
	memset(k, 'a', sizeof(k));
	for (int i = 100; i < TC_KEY_MAX; i += 100)
		k[i] = '/';
	k[TC_KEY_MAX] = '\0';
	CHECK_OK(tc_backend_key_check(k));
	k[TC_KEY_MAX] = 'a';
	k[TC_KEY_MAX + 1] = '\0';
	CHECK_ERR(tc_backend_key_check(k), TC_EINVALID);
	CHECK_ERRMSG("512");
}

/* ---- local specifics ---- */

static void local_escape_symlinks(void)
{
	fx f;
	char outside[2048], path[8192], s[4096];
	tc_buf b = TC_BUF_INIT;
	tc_strlist l = TC_STRLIST_INIT;
	tc_stat st;
	struct stat sb;
	uint8_t x[1];
	tc_append *a = NULL;

	CHECK_OK(fx_local(&f));
	snprintf(outside, sizeof(outside), "%s/outside", f.outer);
	CHECK(mkdir(outside, 0755) == 0);
	snprintf(path, sizeof(path), "%s/secret", outside);
	CHECK_OK(tc_test_write_file(path, "secret", 6));

	/* a symlinked tenant directory */
	snprintf(path, sizeof(path), "%s/evil", f.root);
	CHECK(symlink(outside, path) == 0);
	CHECK(tc_backend_read(&b, f.be, "evil/secret") < 0);
	CHECK(b.len == 0);
	CHECK(tc_backend_stat(&st, f.be, "evil/secret") < 0);
	CHECK(tc_backend_write(f.be, "evil/planted", "x", 1) < 0);
	CHECK(tc_backend_append_open(&a, f.be, "evil/planted2") < 0);
	CHECK(tc_backend_list_objects(&l, f.be, "evil/") < 0 || l.n == 0);
	CHECK(tc_backend_mark_compacted(f.be, "evil", "x") < 0);
	CHECK_OK(tc_backend_list(&l, f.be, ""));
	CHECK(l.n == 0); /* listings skip symlinks */
	CHECK(count_entries(outside) == 1);

	/* a symlinked object inside a real block */
	CHECK_OK(put(f.be, "t/b/meta.json", "m"));
	snprintf(path, sizeof(path), "%s/t/b/data", f.root);
	snprintf(s, sizeof(s), "%s/secret", outside);
	CHECK(symlink(s, path) == 0);
	CHECK(tc_backend_read(&b, f.be, "t/b/data") < 0);
	CHECK(tc_backend_read_range(x, f.be, "t/b/data", 0, 1) < 0);
	CHECK(tc_backend_stat(&st, f.be, "t/b/data") < 0);
	CHECK(tc_backend_append_open(&a, f.be, "t/b/data") < 0);
	CHECK(b.len == 0);
	CHECK_OK(list_str(s, sizeof(s), f.be, "t/b/", 1));
	CHECK_STR(s, "meta.json");
	/* a symlinked meta is not renamed or touched */
	CHECK_OK(tc_backend_delete(f.be, "t/b/meta.json"));
	snprintf(path, sizeof(path), "%s/t/b/meta.json", f.root);
	snprintf(s, sizeof(s), "%s/secret", outside);
	CHECK(symlink(s, path) == 0);
	CHECK(tc_backend_mark_compacted(f.be, "t", "b") < 0);
	/* writes replace a symlink rather than writing through it */
	CHECK_OK(put(f.be, "t/b/data", "own"));
	CHECK(lstat(s, &sb) == 0 && sb.st_size == 6);
	/* clearing the block removes the links, never their targets */
	CHECK_OK(tc_backend_clear_block(f.be, "t", "b"));
	CHECK(lstat(s, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 6);
	CHECK_OK(list_str(s, sizeof(s), f.be, "t/", 0));
	CHECK_STR(s, "");
	tc_buf_dispose(&b);
	tc_strlist_dispose(&l);
	tc_backend_free(f.be);
}

static void local_append_in_place(void)
{
	fx f;
	tc_append *a = NULL;
	tc_stat st;
	char s[4096];

	CHECK_OK(fx_local(&f));
	CHECK_OK(put(f.be, "t/b/data", "old contents"));
	/* like Tempo's local backend: the final file is truncated and grows */
	CHECK_OK(tc_backend_append_open(&a, f.be, "t/b/data"));
	CHECK_OK(tc_backend_stat(&st, f.be, "t/b/data"));
	CHECK_EQ_U64(st.size, 0);
	CHECK_OK(tc_backend_append(a, "abc", 3));
	CHECK_OK(tc_backend_stat(&st, f.be, "t/b/data"));
	CHECK_EQ_U64(st.size, 3);
	CHECK_OK(tc_backend_append_commit(a));
	CHECK_OK(get(s, f.be, "t/b/data"));
	CHECK_STR(s, "abc");
	/* abort after a replace removes the file */
	CHECK_OK(tc_backend_append_open(&a, f.be, "t/b/data"));
	CHECK_OK(tc_backend_append(a, "x", 1));
	tc_backend_append_abort(a);
	CHECK_ERR(tc_backend_stat(&st, f.be, "t/b/data"), TC_ENOTFOUND);
	tc_backend_free(f.be);
}

static void local_hidden_and_special(void)
{
	fx f;
	char path[8192], s[4096];
	tc_buf b = TC_BUF_INIT;
	tc_stat st;

	CHECK_OK(fx_local(&f));
	CHECK_OK(put(f.be, "t/b/meta.json", "m"));
	/* a leftover temp file and a hidden dir are not listed */
	snprintf(path, sizeof(path), "%s/t/b/.tc-tmp.1.1", f.root);
	CHECK_OK(tc_test_write_file(path, "junk", 4));
	snprintf(path, sizeof(path), "%s/t/.hidden", f.root);
	CHECK(mkdir(path, 0755) == 0);
	CHECK_OK(list_str(s, sizeof(s), f.be, "t/b/", 1));
	CHECK_STR(s, "meta.json");
	CHECK_OK(list_str(s, sizeof(s), f.be, "t/", 0));
	CHECK_STR(s, "b");
	/* a FIFO is not an object and must not hang a reader */
	snprintf(path, sizeof(path), "%s/t/b/data", f.root);
	CHECK(mkfifo(path, 0644) == 0);
	CHECK_ERR(tc_backend_read(&b, f.be, "t/b/data"), TC_ERROR);
	CHECK_ERR(tc_backend_stat(&st, f.be, "t/b/data"), TC_ERROR);
	CHECK_OK(list_str(s, sizeof(s), f.be, "t/b/", 1));
	CHECK_STR(s, "meta.json");
	/* clear_block removes temp files and special files too */
	CHECK_OK(tc_backend_clear_block(f.be, "t", "b"));
	snprintf(path, sizeof(path), "%s/t", f.root);
	CHECK(count_entries(path) == 1); /* .hidden */
	/* a segment longer than NAME_MAX fails cleanly */
	{
		char k[300];
		memset(k, 'n', sizeof(k));
		memcpy(k, "t/", 2);
		k[299] = '\0';
		CHECK(tc_backend_write(f.be, k, "x", 1) < 0);
	}
	tc_buf_dispose(&b);
	{
		tc_backend *be2 = NULL;
		CHECK_ERR(tc_backend_local_new(&be2, ""), TC_EINVALID);
		snprintf(path, sizeof(path), "%s/t/b-file", f.root);
		CHECK_OK(tc_test_write_file(path, "x", 1));
		CHECK(tc_backend_local_new(&be2, path) < 0);
		CHECK(be2 == NULL);
	}
	tc_backend_free(f.be);
}

TC_TEST_MAIN(T(key_check_rules),
	     T(local_write_read), T(mem_write_read),
	     T(local_not_found), T(mem_not_found),
	     T(local_read_range), T(mem_read_range),
	     T(local_stat_object), T(mem_stat_object),
	     T(local_list), T(mem_list),
	     T(local_delete_object), T(mem_delete_object),
	     T(local_append_commit), T(mem_append_commit),
	     T(local_append_abort), T(mem_append_abort),
	     T(local_mark_compacted), T(mem_mark_compacted),
	     T(local_clear_block), T(mem_clear_block),
	     T(local_hostile_keys), T(mem_hostile_keys),
	     T(local_concurrent_writers), T(mem_concurrent_writers),
	     T(local_escape_symlinks), T(local_append_in_place), T(local_hidden_and_special))
