/*
 * The conformance suite of tests/backend_suite.c run against the local and
 * the in-memory backend, plus the local backend's filesystem specifics
 * (symlinks, temp files, in-place appends, nothing created outside the root).
 */
#include "tests/test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/backend_suite.h"
#include "src/backend/backend.h"
#include "src/backend/backend_impl.h"
#include "src/util/ids.h"

typedef struct fx {
	tc_backend *be;
	tc_suite_fx s;
	char root[1024]; /* local only: the backend root */
	char outer[1024]; /* local only: the temp dir holding root */
} fx;

/* Backdates the meta so that "mtime is now" cannot pass by accident. */
static int local_backdate(void *ctx, const char *key)
{
	fx *f = ctx;
	char path[8192];
	struct timespec ts[2] = { { 1500000000, 0 }, { 1500000000, 0 } };
	tc_stat st;

	snprintf(path, sizeof(path), "%s/%s", f->root, key);
	if (utimensat(AT_FDCWD, path, ts, 0) != 0)
		return -1;
	if (tc_backend_stat(&st, f->be, key) != 0 || st.mtime.sec != 1500000000)
		return -1;
	return 1;
}

static int fx_local(fx *f)
{
	const char *tmp = tc_test_tmpdir();
	int err;

	memset(f, 0, sizeof(*f));
	snprintf(f->outer, sizeof(f->outer), "%s", tmp);
	/* a root that does not exist yet: tc_backend_local_create makes it and its parent */
	snprintf(f->root, sizeof(f->root), "%s/store/root", tmp);
	err = tc_backend_local_create(&f->be, f->root);
	f->s = (tc_suite_fx){
		.be = f->be,
		.ctx = f,
		.backdate = local_backdate,
		/* file systems may round mtimes to their tick: allow a second */
		.mtime_slack_s = 1,
		/* like Tempo's local backend, appends go to the final file */
		.append_visible_before_commit = 1,
		.concurrent_objects = 40,
	};
	return err;
}

static int fx_mem(fx *f)
{
	int err;

	memset(f, 0, sizeof(*f));
	err = tc_backend_mem_new(&f->be);
	f->s = (tc_suite_fx){
		.be = f->be,
		.ctx = f,
		.backdate = NULL, /* the memory store has no way to set an mtime */
		.block_versions_known = 1,
		.mtime_slack_s = 1,
		.append_visible_before_commit = 0,
		.concurrent_objects = 40,
	};
	return err;
}

/*
 * local_<name> and mem_<name> run tc_suite_<name>; local_extra (may be NULL)
 * then checks the local backend's files.
 */
#define CONFORM(name, local_extra)                                                 \
	static void local_##name(void)                                             \
	{                                                                          \
		fx f;                                                              \
		int r = fx_local(&f);                                              \
		CHECK_MSG(r == 0, "local_new: %s", tc_error_last());               \
		CHECK_STR(tc_backend_name(f.be), "local");                         \
		tc_suite_run(&f.s, tc_suite_##name, local_extra, &f);              \
		tc_backend_free(f.be);                                             \
	}                                                                          \
	static void mem_##name(void)                                               \
	{                                                                          \
		fx f;                                                              \
		int r = fx_mem(&f);                                                \
		CHECK_MSG(r == 0, "mem_new: %s", tc_error_last());                 \
		CHECK_STR(tc_backend_name(f.be), "mem");                           \
		tc_suite_run(&f.s, tc_suite_##name, NULL, &f);                     \
		tc_backend_free(f.be);                                             \
	}

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

/* ---- conformance ---- */

/* The cleared block's directory is gone too. */
static void clear_block_dir(void *ctx)
{
	fx *f = ctx;
	char path[8192];
	struct stat st;

	snprintf(path, sizeof(path), "%s/t/b1", f->root);
	CHECK_MSG(lstat(path, &st) != 0 && errno == ENOENT, "%s still exists", path);
}

/* Refused keys created nothing on disk, inside the root or outside it. */
static void hostile_keys_disk(void *ctx)
{
	fx *f = ctx;
	char store[8192];

	snprintf(store, sizeof(store), "%s/store", f->outer);
	CHECK(count_entries(f->outer) == 1); /* only "store" */
	CHECK(count_entries(store) == 1);     /* only "root" */
	CHECK(count_entries(f->root) == 0);
}

/* No temp files left behind. */
static void concurrent_writers_disk(void *ctx)
{
	fx *f = ctx;
	char dir[8192];

	snprintf(dir, sizeof(dir), "%s/t/shared", f->root);
	CHECK(count_entries(dir) == 1);
}

CONFORM(write_read, NULL)
CONFORM(not_found, NULL)
CONFORM(read_range, NULL)
CONFORM(stat_object, NULL)
CONFORM(list, NULL)
CONFORM(delete_object, NULL)
CONFORM(append_commit, NULL)
CONFORM(append_abort, NULL)
CONFORM(mark_compacted, NULL)
CONFORM(clear_block, clear_block_dir)
CONFORM(hostile_keys, hostile_keys_disk)
CONFORM(concurrent_writers, concurrent_writers_disk)
CONFORM(list_semantics, NULL)
CONFORM(long_listing, NULL)
CONFORM(overwrite, NULL)
CONFORM(all_chars, NULL)
CONFORM(list_blocks, NULL)

/* ---- key rules ---- */

static void key_check_rules(void)
{
	char k[600];

	CHECK_OK(tc_backend_key_check("a"));
	CHECK_OK(tc_backend_key_check("t/b/meta.json"));
	CHECK_OK(tc_backend_key_check("t/..a/a..b/.hidden"));
	CHECK_OK(tc_backend_key_check("t/b/caf\xc3\xa9")); /* UTF-8 is not a control character */
	for (size_t i = 0; i < tc_suite_n_hostile; i++)
		CHECK_MSG(tc_backend_key_check(tc_suite_hostile[i]) == TC_EINVALID,
			  "accepted key #%zu", i);
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
	CHECK_OK(tc_suite_put(f.be, "t/b/meta.json", "m"));
	snprintf(path, sizeof(path), "%s/t/b/data", f.root);
	snprintf(s, sizeof(s), "%s/secret", outside);
	CHECK(symlink(s, path) == 0);
	CHECK(tc_backend_read(&b, f.be, "t/b/data") < 0);
	CHECK(tc_backend_read_range(x, f.be, "t/b/data", 0, 1) < 0);
	CHECK(tc_backend_stat(&st, f.be, "t/b/data") < 0);
	CHECK(tc_backend_append_open(&a, f.be, "t/b/data") < 0);
	CHECK(b.len == 0);
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f.be, "t/b/", 1));
	CHECK_STR(s, "meta.json");
	/* a symlinked meta is not renamed or touched */
	CHECK_OK(tc_backend_delete(f.be, "t/b/meta.json"));
	snprintf(path, sizeof(path), "%s/t/b/meta.json", f.root);
	snprintf(s, sizeof(s), "%s/secret", outside);
	CHECK(symlink(s, path) == 0);
	CHECK(tc_backend_mark_compacted(f.be, "t", "b") < 0);
	/* writes replace a symlink rather than writing through it */
	CHECK_OK(tc_suite_put(f.be, "t/b/data", "own"));
	CHECK(lstat(s, &sb) == 0 && sb.st_size == 6);
	/* clearing the block removes the links, never their targets */
	CHECK_OK(tc_backend_clear_block(f.be, "t", "b"));
	CHECK(lstat(s, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 6);
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f.be, "t/", 0));
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
	CHECK_OK(tc_suite_put(f.be, "t/b/data", "old contents"));
	/* like Tempo's local backend: the final file is truncated and grows */
	CHECK_OK(tc_backend_append_open(&a, f.be, "t/b/data"));
	CHECK_OK(tc_backend_stat(&st, f.be, "t/b/data"));
	CHECK_EQ_U64(st.size, 0);
	CHECK_OK(tc_backend_append(a, "abc", 3));
	CHECK_OK(tc_backend_stat(&st, f.be, "t/b/data"));
	CHECK_EQ_U64(st.size, 3);
	CHECK_OK(tc_backend_append_commit(a));
	CHECK_OK(tc_suite_get(s, f.be, "t/b/data"));
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
	CHECK_OK(tc_suite_put(f.be, "t/b/meta.json", "m"));
	/* a leftover temp file and a hidden dir are not listed */
	snprintf(path, sizeof(path), "%s/t/b/.tc-tmp.1.1", f.root);
	CHECK_OK(tc_test_write_file(path, "junk", 4));
	snprintf(path, sizeof(path), "%s/t/.hidden", f.root);
	CHECK(mkdir(path, 0755) == 0);
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f.be, "t/b/", 1));
	CHECK_STR(s, "meta.json");
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f.be, "t/", 0));
	CHECK_STR(s, "b");
	/* a FIFO is not an object and must not hang a reader */
	snprintf(path, sizeof(path), "%s/t/b/data", f.root);
	CHECK(mkfifo(path, 0644) == 0);
	CHECK_ERR(tc_backend_read(&b, f.be, "t/b/data"), TC_ERROR);
	CHECK_ERR(tc_backend_stat(&st, f.be, "t/b/data"), TC_ERROR);
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f.be, "t/b/", 1));
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

/*
 * A root that does not exist is an error naming it, and nothing is created:
 * a mistyped --path must not become a new, empty bucket. Writes still make
 * the directories they need below an existing root.
 */
static void local_missing_root(void)
{
	const char *tmp = tc_test_tmpdir();
	char root[4096], file[4096];
	tc_backend *be = (tc_backend *)&be;
	struct stat st;

	snprintf(root, sizeof(root), "%s/typo/root", tmp);
	CHECK_ERR(tc_backend_local_new(&be, root), TC_ENOTFOUND);
	CHECK(be == NULL);
	CHECK_ERRMSG("path \"");
	CHECK_ERRMSG(root);
	CHECK_ERRMSG("\" does not exist");
	CHECK(count_entries(tmp) == 0); /* neither root nor its parent */
	/* The path comes from the config: its control characters are shown escaped. */
	snprintf(root, sizeof(root), "%s/typo\x1b[31m/root", tmp);
	CHECK_ERR(tc_backend_local_new(&be, root), TC_ENOTFOUND);
	CHECK_ERRMSG("/typo\\x1b[31m/root\" does not exist");
	CHECK(strchr(tc_error_last(), '\x1b') == NULL);
	/* a file where the root should be */
	snprintf(file, sizeof(file), "%s/file", tmp);
	CHECK_OK(tc_test_write_file(file, "x", 1));
	CHECK_ERR(tc_backend_local_new(&be, file), TC_ERROR);
	CHECK_ERRMSG("is not a directory");
	CHECK_ERR(tc_backend_local_create(&be, file), TC_ERROR);
	CHECK(be == NULL);
	/* opt-in creation, and writes below the root make their directories */
	CHECK_OK(tc_backend_local_create(&be, root));
	CHECK(stat(root, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(count_entries(root) == 0);
	CHECK_OK(tc_suite_put(be, "tenant/block/meta.json", "m"));
	tc_backend_free(be);
	/* and now it exists, the plain constructor opens it */
	CHECK_OK(tc_backend_local_new(&be, root));
	CHECK_OK(tc_backend_stat(&(tc_stat){ 0 }, be, "tenant/block/meta.json"));
	tc_backend_free(be);
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
	     T(local_list_semantics), T(mem_list_semantics),
	     T(local_long_listing), T(mem_long_listing),
	     T(local_overwrite), T(mem_overwrite),
	     T(local_all_chars), T(mem_all_chars), T(local_list_blocks), T(mem_list_blocks),
	     T(local_escape_symlinks), T(local_append_in_place), T(local_hidden_and_special),
	     T(local_missing_root))
