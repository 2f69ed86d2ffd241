#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/test.h"

#include "src/config/overrides.h"

#define NS_S 1000000000LL
#define NS_H (3600 * NS_S)

static const char *src_path(const char *rel)
{
	static char buf[4096];
	const char *root = getenv("TC_SRC");

	snprintf(buf, sizeof(buf), "%s/%s", root && *root ? root : ".", rel);
	return buf;
}

/* One directory for the whole program: tc_test_tmpdir() makes a new one per call. */
static const char *tmp(void)
{
	static const char *dir;

	if (!dir)
		dir = tc_test_tmpdir();
	return dir;
}

/* Writes yaml to <tmp>/<name> and returns the path (static buffer). */
static const char *write_tmp(const char *name, const char *yaml)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", tmp(), name);
	if (tc_test_write_file(path, yaml, strlen(yaml)) < 0)
		return NULL;
	return path;
}

/* A config whose overrides file is path (may be NULL). */
static int config_with(tc_config *c, const char *path)
{
	int r = tc_config_default(c);

	if (r >= 0 && path)
		r = tc_config_set(c, "overrides.per_tenant_override_config", path);
	return r;
}

static const char tenants_yaml[] = "overrides:\n"
				   "  tenant-a:\n"
				   "    block_retention: 48h\n"
				   "    max_bytes_per_trace: 1000\n"
				   "  tenant-b:\n"
				   "    block_retention: 2w\n"
				   "  \"*\":\n"
				   "    block_retention: 72h\n"
				   "    max_bytes_per_trace: 7000\n";

static void test_no_file_uses_config(void)
{
	tc_config c;
	tc_overrides *o;

	CHECK_OK(config_with(&c, NULL));
	CHECK_OK(tc_overrides_new(&o, &c));
	/* overrides.block_retention 0 => the compactor's. */
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "t1"), 336 * NS_H);
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, "t1"), 5000000);
	CHECK_EQ_U64(tc_overrides_generation(o), 0);
	CHECK_OK(tc_overrides_reload(o));
	CHECK_EQ_U64(tc_overrides_generation(o), 0);
	tc_overrides_free(o);

	CHECK_OK(tc_config_set(&c, "overrides.block_retention", "24h"));
	CHECK_OK(tc_config_set(&c, "overrides.max_bytes_per_trace", "0"));
	CHECK_OK(tc_overrides_new(&o, &c));
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "t1"), 24 * NS_H);
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, "t1"), 0);
	tc_overrides_free(o);
	tc_config_dispose(&c);
	tc_overrides_free(NULL);
}

static void test_lookup_order(void)
{
	tc_config c;
	tc_overrides *o;
	const char *path = write_tmp("order.yaml", tenants_yaml);

	CHECK(path != NULL);
	CHECK_OK(config_with(&c, path));
	CHECK_OK(tc_overrides_new(&o, &c));
	tc_config_dispose(&c);
	CHECK_EQ_U64(tc_overrides_generation(o), 1);
	/* Own entry. */
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "tenant-a"), 48 * NS_H);
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, "tenant-a"), 1000);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "tenant-b"), 14 * 24 * NS_H);
	/* Entries are taken whole, as in Tempo: tenant-b's missing limit is 0 (unlimited). */
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, "tenant-b"), 0);
	/* Anyone else: "*". */
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "tenant-c"), 72 * NS_H);
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, "tenant-c"), 7000);
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, "tenant-a2"), 7000);
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, ""), 7000);
	tc_overrides_free(o);
}

static void test_without_wildcard_uses_defaults(void)
{
	tc_config c;
	tc_overrides *o;
	const char *path = write_tmp("nowild.yaml", "overrides:\n"
						    "  tenant-a:\n"
						    "    max_bytes_per_trace: 10\n"
						    "  tenant-b:\n"
						    "  tenant-c: {}\n");

	CHECK(path != NULL);
	CHECK_OK(config_with(&c, path));
	CHECK_OK(tc_config_set(&c, "compactor.compaction.block_retention", "100h"));
	CHECK_OK(tc_config_set(&c, "overrides.max_bytes_per_trace", "123"));
	CHECK_OK(tc_overrides_new(&o, &c));
	tc_config_dispose(&c);
	/* tenant-a's retention 0 => the compactor's retention. */
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "tenant-a"), 100 * NS_H);
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, "tenant-a"), 10);
	/* A tenant listed without limits counts as not listed. */
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, "tenant-b"), 123);
	/* An empty entry is an entry: all zero. */
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, "tenant-c"), 0);
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, "other"), 123);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "other"), 100 * NS_H);
	tc_overrides_free(o);
}

static void test_wildcard_only(void)
{
	tc_config c;
	tc_overrides *o;
	const char *path = write_tmp("wild.yaml", "overrides:\n  '*': {block_retention: 1d}\n");

	CHECK(path != NULL);
	CHECK_OK(config_with(&c, path));
	CHECK_OK(tc_overrides_new(&o, &c));
	tc_config_dispose(&c);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "anyone"), 24 * NS_H);
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, "anyone"), 0);
	tc_overrides_free(o);
}

static void test_reload(void)
{
	tc_config c;
	tc_overrides *o;
	const char *path = write_tmp("reload.yaml", tenants_yaml);
	int r;

	CHECK(path != NULL);
	CHECK_OK(config_with(&c, path));
	CHECK_OK(tc_overrides_new(&o, &c));
	tc_config_dispose(&c);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "tenant-a"), 48 * NS_H);

	/* A broken file: error names file and line, the old table stays. */
	CHECK(write_tmp("reload.yaml", "overrides:\n"
				       "  tenant-a:\n"
				       "    block_retention: 1h\n"
				       "    block_retention: forever\n") != NULL);
	if ((r = tc_overrides_reload(o)) != TC_EINVALID) {
		tc_test_fail(__FILE__, __LINE__, "reload of a broken file returned %d (%s)", r,
			     tc_error_last());
		tc_overrides_free(o);
		return;
	}
	CHECK_ERRMSG("reload.yaml:4: overrides.tenant-a.block_retention");
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "tenant-a"), 48 * NS_H);
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, "zzz"), 7000);
	CHECK_EQ_U64(tc_overrides_generation(o), 1);

	CHECK(write_tmp("reload.yaml", "overrides:\n  tenant-a: {block_retention: [1h\n") != NULL);
	CHECK_ERR(tc_overrides_reload(o), TC_EINVALID);
	CHECK_ERRMSG("reload.yaml:");
	CHECK_ERRMSG("invalid YAML");
	CHECK(write_tmp("reload.yaml", "") != NULL);
	CHECK_ERR(tc_overrides_reload(o), TC_EINVALID);
	CHECK_ERRMSG("reload.yaml:1:");
	CHECK(unlink(path) == 0);
	CHECK_ERR(tc_overrides_reload(o), TC_ENOTFOUND);
	CHECK_ERRMSG("reload.yaml");
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "tenant-a"), 48 * NS_H);
	CHECK_EQ_U64(tc_overrides_generation(o), 1);

	/* A good file replaces the whole table. */
	CHECK(write_tmp("reload.yaml", "overrides:\n  tenant-a: {block_retention: 5h}\n") != NULL);
	CHECK_OK(tc_overrides_reload(o));
	CHECK_EQ_U64(tc_overrides_generation(o), 2);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "tenant-a"), 5 * NS_H);
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, "zzz"), 5000000);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "zzz"), 336 * NS_H);
	tc_overrides_free(o);
}

static void test_new_fails_on_bad_file(void)
{
	tc_config c;
	tc_overrides *o = (tc_overrides *)&c;
	char path[4096];

	snprintf(path, sizeof(path), "%s/absent.yaml", tmp());
	CHECK_OK(config_with(&c, path));
	CHECK_ERR(tc_overrides_new(&o, &c), TC_ENOTFOUND);
	CHECK(o == NULL);
	tc_config_dispose(&c);

	CHECK_OK(config_with(&c, write_tmp("bad.yaml", "overrides:\n  t: {max_bytes_per_trace: -1}\n")));
	CHECK_ERR(tc_overrides_new(&o, &c), TC_EINVALID);
	CHECK_ERRMSG("bad.yaml:2: overrides.t.max_bytes_per_trace: must not be negative");
	tc_config_dispose(&c);
}

/* The error must name the line and contain want. */
static int check_fails(const char *yaml, const char *want)
{
	int r = tc_overrides_check(yaml, strlen(yaml), "ov.yaml");

	if (r != TC_EINVALID) {
		tc_test_fail(__FILE__, __LINE__, "check of <<%s>> returned %d (%s)", yaml, r,
			     tc_error_last());
		return 0;
	}
	if (!strstr(tc_error_last(), want)) {
		tc_test_fail(__FILE__, __LINE__, "check of <<%s>>: \"%s\" lacks \"%s\"", yaml,
			     tc_error_last(), want);
		return 0;
	}
	return 1;
}

static void test_check_errors(void)
{
	/* Tempo 1.5 reads only the "overrides:" key; a bare tenant map is an error. */
	CHECK(check_fails("tenant-a:\n  block_retention: 1h\n",
			  "ov.yaml:1: tenant-a: unknown key (the tenants go under \"overrides:\")"));
	CHECK(check_fails("overrides:\n  t:\n    block_retention: 1h\n    max_bytes: 5\n",
			  "ov.yaml:4: overrides.t.max_bytes: unknown key"));
	CHECK(check_fails("overrides:\n  t:\n    block_retention: -1h\n",
			  "ov.yaml:3: overrides.t.block_retention: must not be negative"));
	CHECK(check_fails("overrides:\n  t:\n    max_bytes_per_trace: lots\n",
			  "ov.yaml:3: overrides.t.max_bytes_per_trace: want an unsigned integer"));
	CHECK(check_fails("overrides:\n  t: {}\n  t: {}\n",
			  "ov.yaml:3: overrides.t: tenant already listed at line 2"));
	CHECK(check_fails("overrides:\n  t: 5\n", "ov.yaml:2: overrides.t: want a mapping"));
	CHECK(check_fails("overrides: [a]\n", "ov.yaml:1: overrides: want a mapping of tenants"));
	CHECK(check_fails("overrides:\n  t:\n    block_retention: [1h]\n",
			  "ov.yaml:3: overrides.t.block_retention: want a single value"));
	CHECK(check_fails("", "ov.yaml:1: overrides file is empty"));
	CHECK(check_fails("overrides: {\n", "ov.yaml:2: invalid YAML"));
	CHECK(check_fails("- a\n", "ov.yaml:1: want a mapping"));
	CHECK(check_fails("overrides: {}\noverrides: {}\n", "ov.yaml:2: overrides: already set"));
}

static void test_check_accepts_tempo_files(void)
{
	static const char tempo[] =
		"overrides:\n"
		"  \"1\":\n"
		"    ingestion_rate_strategy: local\n"
		"    ingestion_rate_limit_bytes: 15000000\n"
		"    ingestion_burst_size_bytes: 20000000\n"
		"    max_traces_per_user: 10000\n"
		"    max_global_traces_per_user: 0\n"
		"    max_bytes_per_trace: 50000\n"
		"    max_search_bytes_per_trace: 0\n"
		"    search_tags_allow_list: [a, b]\n"
		"    metrics_generator_processors: [service-graphs, span-metrics]\n"
		"    block_retention: 0s\n"
		"    max_search_duration: 0s\n"
		"  \"2\":\n"
		"    block_retention: 1y2w3d4h5m6s7ms\n";
	tc_config c;
	tc_overrides *o;
	const char *path;

	CHECK_OK(tc_overrides_check(tempo, strlen(tempo), "tempo.yaml"));
	CHECK_OK(tc_overrides_check("overrides:\n", 11, "null.yaml"));
	CHECK_OK(tc_overrides_check("overrides: {}\n", 14, "empty.yaml"));
	path = write_tmp("tempo.yaml", tempo);
	CHECK(path != NULL);
	CHECK_OK(config_with(&c, path));
	CHECK_OK(tc_overrides_new(&o, &c));
	tc_config_dispose(&c);
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, "1"), 50000);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "1"), 336 * NS_H);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "2"),
		     ((365 + 14 + 3) * 24 + 4) * NS_H + 5 * 60 * NS_S + 6 * NS_S + 7000000);
	tc_overrides_free(o);
	CHECK(check_fails("overrides:\n  t: {block_retention: 1x}\n", "block_retention"));
}

/*
 * The overrides file takes the main config's (Go) durations too: one
 * superset for both files, so "1h30m" and "1.5h" work here as "2w" does.
 */
static void test_durations_superset(void)
{
	static const char yaml[] = "overrides:\n"
				   "  a: {block_retention: 1h30m}\n"
				   "  b: {block_retention: 2w}\n"
				   "  c: {block_retention: 1.5h}\n"
				   "  d: {block_retention: 1d12h}\n"
				   "  e: {block_retention: 1d1w}\n"
				   "  f: {block_retention: 300ms}\n";
	tc_config c;
	tc_overrides *o;
	const char *path = write_tmp("superset.yaml", yaml);

	CHECK(path != NULL);
	CHECK_OK(config_with(&c, path));
	CHECK_OK(tc_overrides_new(&o, &c));
	tc_config_dispose(&c);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "a"), 90 * 60 * NS_S);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "b"), 14 * 24 * NS_H);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "c"), 90 * 60 * NS_S);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "d"), 36 * NS_H);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "e"), 8 * 24 * NS_H);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "f"), 300000000);
	tc_overrides_free(o);
	CHECK(check_fails("overrides:\n  t: {block_retention: -1h}\n", "must not be negative"));
	CHECK(check_fails("overrides:\n  t: {block_retention: 293y}\n", "want a duration"));
	CHECK(check_fails("overrides:\n  t: {block_retention: h}\n", "want a duration"));
}

static void test_shipped_example(void)
{
	tc_config c;
	tc_overrides *o;
	tc_buf b = TC_BUF_INIT;
	const char *path = src_path("configs/overrides.yaml");

	CHECK_OK(tc_test_read_file(&b, path));
	if (tc_overrides_check((const char *)b.ptr, b.len, path) < 0) {
		tc_test_fail(__FILE__, __LINE__, "check: %s", tc_error_last());
		tc_buf_dispose(&b);
		return;
	}
	tc_buf_dispose(&b);
	CHECK_OK(config_with(&c, path));
	CHECK_OK(tc_overrides_new(&o, &c));
	tc_config_dispose(&c);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "tenant-a"), 48 * NS_H);
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, "tenant-a"), 1000000);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "tenant-b"), 30 * 24 * NS_H);
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, "tenant-b"), 0);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "x"), 72 * NS_H);
	tc_overrides_free(o);
}

/* Readers on several threads while the table is swapped see old or new, nothing else. */
typedef struct reader_arg {
	tc_overrides *o;
	atomic_int *stop;
	int bad;
} reader_arg;

static void *reader(void *p)
{
	reader_arg *a = p;

	while (!atomic_load(a->stop)) {
		int64_t r = tc_overrides_block_retention_ns(a->o, "tenant-a");
		uint64_t m = tc_overrides_max_bytes_per_trace(a->o, "other");
		if ((r != 1 * NS_H && r != 2 * NS_H) || (m != 11 && m != 22))
			a->bad++;
	}
	return NULL;
}

static void test_concurrent_readers(void)
{
	static const char v1[] = "overrides:\n  tenant-a: {block_retention: 1h}\n"
				 "  '*': {max_bytes_per_trace: 11}\n";
	static const char v2[] = "overrides:\n  tenant-a: {block_retention: 2h}\n"
				 "  '*': {max_bytes_per_trace: 22}\n";
	tc_config c;
	tc_overrides *o;
	pthread_t th[4];
	reader_arg args[4];
	atomic_int stop = 0;
	int bad = 0, reload_errors = 0;

	CHECK_OK(config_with(&c, write_tmp("conc.yaml", v1)));
	CHECK_OK(tc_overrides_new(&o, &c));
	tc_config_dispose(&c);
	for (int i = 0; i < 4; i++) {
		args[i] = (reader_arg){ o, &stop, 0 };
		CHECK(pthread_create(&th[i], NULL, reader, &args[i]) == 0);
	}
	for (int i = 0; i < 200; i++) {
		if (!write_tmp("conc.yaml", i % 2 ? v1 : v2) || tc_overrides_reload(o) < 0)
			reload_errors++;
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		bad += args[i].bad;
	}
	CHECK_EQ_U64(reload_errors, 0);
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(tc_overrides_generation(o), 201);
	tc_overrides_free(o);
}

/* Repeats unit n times after prefix, then suffix; NULL on failure. */
static char *gen(const char *prefix, const char *unit, size_t n, const char *suffix)
{
	tc_buf b = TC_BUF_INIT;
	int r = tc_buf_puts(&b, prefix);

	for (size_t i = 0; i < n && r >= 0; i++)
		r = tc_buf_puts(&b, unit);
	if (r < 0 || tc_buf_puts(&b, suffix) < 0 || tc_buf_cstr(&b) < 0) {
		tc_buf_dispose(&b);
		return NULL;
	}
	return (char *)tc_buf_detach(&b, NULL);
}

/* A billion laughs under a Tempo key we accept and ignore. */
static char *laughs(void)
{
	tc_buf b = TC_BUF_INIT;
	int r = tc_buf_puts(&b, "overrides:\n  a0: {search_tags_allow_list: &a0 [x, x, x, x, x, x, "
				"x, x, x, x]}\n");

	for (int i = 1; i < 10 && r >= 0; i++) {
		r = tc_buf_printf(&b, "  a%d: {search_tags_allow_list: &a%d [", i, i);
		for (int j = 0; j < 10 && r >= 0; j++)
			r = tc_buf_printf(&b, "%s*a%d", j ? ", " : "", i - 1);
		if (r >= 0)
			r = tc_buf_puts(&b, "]}\n");
	}
	if (r < 0 || tc_buf_cstr(&b) < 0) {
		tc_buf_dispose(&b);
		return NULL;
	}
	return (char *)tc_buf_detach(&b, NULL);
}

/* yaml (freed here) must be refused by tc_overrides_check with code and a message containing want. */
static int check_refused(char *yaml, int code, const char *want)
{
	int r, ok = 1;

	if (!yaml) {
		tc_test_fail(__FILE__, __LINE__, "out of memory generating YAML");
		return 0;
	}
	r = tc_overrides_check(yaml, strlen(yaml), "ov.yaml");
	if (r != code || !strstr(tc_error_last(), want)) {
		tc_test_fail(__FILE__, __LINE__, "check of %.40s... returned %d (%s), want %d with \"%s\"",
			     yaml, r, tc_error_last(), code, want);
		ok = 0;
	}
	free(yaml);
	return ok;
}

/* The file re-read every period is bounded like the config. */
static void test_hostile_files(void)
{
	char *y;

	CHECK(check_refused(gen("overrides:\n  t: ", "[", 100000, "\n"), TC_ELIMIT,
			    "ov.yaml:2: too deeply nested (limit 64)"));
	CHECK(check_refused(gen("overrides:\n  t: {search_tags_allow_list: [", "a,", 2000000, "a]}\n"),
			    TC_ELIMIT, "ov.yaml:2: too many nodes (limit 250000)"));
	/* Aliases stay references: the bomb loads as the 200 nodes it is. */
	y = laughs();
	CHECK(y != NULL);
	CHECK_OK(tc_overrides_check(y, strlen(y), "ov.yaml"));
	free(y);
	/* An alias is allowed where the anchor is already complete. */
	CHECK_OK(tc_overrides_check("overrides:\n  '*': &l {block_retention: 1h}\n  t: *l\n", 43,
				    "ov.yaml"));
	CHECK(check_refused(strdup("overrides: &o\n  t: *o\n"), TC_EINVALID,
			    "ov.yaml:2: invalid YAML: alias *o inside the collection it names"));
}

/* Tenants are checked for repeats sorted, not pair by pair: the lines named stay right. */
static void test_many_tenants(void)
{
	tc_buf b = TC_BUF_INIT;
	int r = tc_buf_puts(&b, "overrides:\n  '*': &l {block_retention: 1h}\n");

	for (int i = 0; i < 100000 && r >= 0; i++)
		r = tc_buf_printf(&b, "  t%d: %s\n", i, i % 2 ? "*l" : "~");
	/* Line 3 is t0, so tN is on line N + 3. */
	CHECK(r >= 0 && tc_buf_puts(&b, "  t77777: {}\n  t5: {}\n") >= 0 && tc_buf_cstr(&b) >= 0);
	CHECK(check_refused((char *)tc_buf_detach(&b, NULL), TC_EINVALID,
			    "ov.yaml:100003: overrides.t77777: tenant already listed at line 77780"));
}

/* A reload that hits a limit keeps the last good table, like any other failed reload. */
static void test_reload_bomb_keeps_table(void)
{
	tc_config c;
	tc_overrides *o;
	const char *path = write_tmp("bomb.yaml", tenants_yaml);
	char *y;

	CHECK(path != NULL);
	CHECK_OK(config_with(&c, path));
	CHECK_OK(tc_overrides_new(&o, &c));
	tc_config_dispose(&c);
	y = gen("overrides:\n  t: ", "[", 100000, "\n");
	if (!y || !write_tmp("bomb.yaml", y)) {
		free(y);
		tc_overrides_free(o);
		CHECK(0);
	}
	free(y);
	if (tc_overrides_reload(o) != TC_ELIMIT) {
		tc_overrides_free(o);
		CHECK(0);
	}
	CHECK_ERRMSG("bomb.yaml:2: too deeply nested (limit 64)");
	CHECK_EQ_U64(tc_overrides_generation(o), 1);
	CHECK_EQ_U64(tc_overrides_block_retention_ns(o, "tenant-a"), 48 * NS_H);
	tc_overrides_free(o);
}

/*
 * A FIFO as overrides file would block the opener until some writer came;
 * refused at start, and at a reload (swapped in by rename) with the table kept.
 */
static void test_fifo_refused(void)
{
	tc_config c;
	tc_overrides *o = NULL;
	char fifo[4096], dst[4096];
	const char *path;

	snprintf(fifo, sizeof(fifo), "%s/ov.fifo", tmp());
	CHECK(mkfifo(fifo, 0600) == 0);
	CHECK_OK(config_with(&c, fifo));
	CHECK_ERR(tc_overrides_new(&o, &c), TC_EINVALID);
	CHECK_ERRMSG("ov.fifo: not a regular file (a FIFO)");
	tc_config_dispose(&c);

	path = write_tmp("swapped.yaml", tenants_yaml);
	CHECK(path != NULL);
	snprintf(dst, sizeof(dst), "%s", path);
	CHECK_OK(config_with(&c, dst));
	CHECK_OK(tc_overrides_new(&o, &c));
	tc_config_dispose(&c);
	if (rename(fifo, dst) != 0 || tc_overrides_reload(o) != TC_EINVALID) {
		tc_overrides_free(o);
		CHECK(0);
	}
	CHECK_ERRMSG("swapped.yaml: not a regular file (a FIFO)");
	CHECK_EQ_U64(tc_overrides_generation(o), 1);
	CHECK_EQ_U64(tc_overrides_max_bytes_per_trace(o, "zzz"), 7000);
	tc_overrides_free(o);
}

static void test_messages_escape_controls(void)
{
	CHECK(check_fails("overrides:\n  \"t\\e[31m\": {nope: 1}\n",
			  "ov.yaml:2: overrides.t\\x1b[31m.nope: unknown key"));
	CHECK(check_fails("overrides:\n  t: {\"no\\rpe\": 1}\n", "overrides.t.no\\rpe: unknown key"));
	CHECK(check_fails("overrides:\n  t: {max_bytes_per_trace: \"1\\r\\e[2K\"}\n",
			  "got \"1\\r\\x1b[2K\""));
	CHECK(check_fails("overrides:\n  \"a\\nb\": {}\n  \"a\\nb\": {}\n",
			  "overrides.a\\nb: tenant already listed at line 2"));
	CHECK(check_fails("\"\\u202eoverrides\": {}\n", "ov.yaml:1: \\u202eoverrides: unknown key"));
	CHECK(strpbrk(tc_error_last(), "\r\n\x1b") == NULL);
	CHECK(tc_overrides_check("x: 1\n", 5, "o\x1b[1m.yaml") == TC_EINVALID);
	CHECK_ERRMSG("o\\x1b[1m.yaml:1: x: unknown key");
}

TC_TEST_MAIN(T(test_no_file_uses_config), T(test_lookup_order),
	     T(test_without_wildcard_uses_defaults), T(test_wildcard_only), T(test_reload),
	     T(test_new_fails_on_bad_file), T(test_check_errors), T(test_check_accepts_tempo_files),
	     T(test_shipped_example), T(test_durations_superset), T(test_concurrent_readers),
	     T(test_hostile_files), T(test_many_tenants), T(test_reload_bomb_keeps_table),
	     T(test_fifo_refused), T(test_messages_escape_controls))
