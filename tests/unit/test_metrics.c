#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "tests/test.h"

#include "src/metrics/metrics.h"

/* Renders m into a NUL-terminated string owned by the caller (NULL on failure). */
static char *render(tc_metrics *m)
{
	tc_buf b = TC_BUF_INIT;

	if (tc_metrics_render(&b, m) < 0 || tc_buf_cstr(&b) < 0) {
		tc_buf_dispose(&b);
		return NULL;
	}
	return (char *)tc_buf_detach(&b, NULL);
}

static void test_fresh_render(void)
{
	tc_metrics *m = NULL;
	char *s;

	CHECK_OK(tc_metrics_new(&m));
	s = render(m);
	tc_metrics_free(m);
	CHECK(s != NULL);
	/* Label-less families show a zero series before first use, like Go's client. */
	CHECK_MSG(strstr(s, "# HELP tempodb_compaction_errors_total Total number of errors occurring "
			    "during compaction.\n"
			    "# TYPE tempodb_compaction_errors_total counter\n"
			    "tempodb_compaction_errors_total 0\n") != NULL, "%s", s);
	CHECK_MSG(strstr(s, "# TYPE tempodb_retention_duration_seconds histogram\n"
			    "tempodb_retention_duration_seconds_bucket{le=\"0.25\"} 0\n"
			    "tempodb_retention_duration_seconds_bucket{le=\"0.5\"} 0\n"
			    "tempodb_retention_duration_seconds_bucket{le=\"1\"} 0\n"
			    "tempodb_retention_duration_seconds_bucket{le=\"2\"} 0\n"
			    "tempodb_retention_duration_seconds_bucket{le=\"4\"} 0\n"
			    "tempodb_retention_duration_seconds_bucket{le=\"8\"} 0\n"
			    "tempodb_retention_duration_seconds_bucket{le=\"+Inf\"} 0\n"
			    "tempodb_retention_duration_seconds_sum 0\n"
			    "tempodb_retention_duration_seconds_count 0\n") != NULL, "%s", s);
	CHECK(strstr(s, "tempodb_retention_errors_total 0\n") != NULL);
	CHECK(strstr(s, "tempodb_retention_marked_for_deletion_total 0\n") != NULL);
	CHECK(strstr(s, "tempodb_retention_deleted_total 0\n") != NULL);
	CHECK(strstr(s, "tracecompactor_overrides_reload_errors_total 0\n") != NULL);
	CHECK(strstr(s, "tempodb_blocklist_poll_duration_seconds_bucket{le=\"0\"} 0\n") != NULL);
	CHECK(strstr(s, "tempodb_blocklist_poll_duration_seconds_bucket{le=\"240\"} 0\n") != NULL);
	CHECK(strstr(s, "tracecompactor_compaction_duration_seconds_bucket{le=\"3600\"} 0\n"));
	/* Labelled families say nothing, not even HELP, until a series exists. */
	CHECK(strstr(s, "tempodb_blocklist_length") == NULL);
	CHECK(strstr(s, "tempodb_compaction_blocks_total") == NULL);
	CHECK(strstr(s, "tracecompactor_build_info") == NULL);
	/* Process metrics from /proc. */
	CHECK(strstr(s, "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ")
	      != NULL);
	CHECK(strstr(s, "\nprocess_max_resident_memory_bytes ") != NULL);
	CHECK(strstr(s, "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ") != NULL);
	CHECK(strstr(s, "\nprocess_start_time_seconds ") != NULL);
	free(s);
}

static void test_process_values(void)
{
	tc_metrics *m = NULL;
	char *s, *p;
	double rss, start;

	CHECK_OK(tc_metrics_new(&m));
	s = render(m);
	tc_metrics_free(m);
	CHECK(s != NULL);
	p = strstr(s, "\nprocess_resident_memory_bytes ");
	CHECK(p != NULL);
	rss = strtod(p + strlen("\nprocess_resident_memory_bytes "), NULL);
	p = strstr(s, "\nprocess_start_time_seconds ");
	CHECK(p != NULL);
	start = strtod(p + strlen("\nprocess_start_time_seconds "), NULL);
	free(s);
	CHECK_MSG(rss > 1e5 && rss < 1e11, "rss %g", rss);
	CHECK_MSG(start > 1.5e9 && start < 1e10, "start %g", start);
}

static void test_counter_labels(void)
{
	tc_metrics *m = NULL;
	char *s;

	CHECK_OK(tc_metrics_new(&m));
	tc_metrics_add(m, TC_M_COMPACTION_BLOCKS_TOTAL, 2, "1", NULL);
	tc_metrics_add(m, TC_M_COMPACTION_BLOCKS_TOTAL, 3, "0", NULL);
	tc_metrics_add(m, TC_M_COMPACTION_BLOCKS_TOTAL, 0.5, "1", NULL);
	tc_metrics_add(m, TC_M_COMPACTION_ERRORS_TOTAL, 1, NULL, NULL);
	tc_metrics_add(m, TC_M_COMPACTION_BLOCKS_TOTAL, -1, "0", NULL); /* counters never go down */
	CHECK(tc_metrics_get(m, TC_M_COMPACTION_BLOCKS_TOTAL, "0", NULL) == 3);
	CHECK(tc_metrics_get(m, TC_M_COMPACTION_BLOCKS_TOTAL, "1", NULL) == 2.5);
	CHECK(tc_metrics_get(m, TC_M_COMPACTION_BLOCKS_TOTAL, "2", NULL) == 0);
	CHECK(tc_metrics_get(m, TC_M_COMPACTION_ERRORS_TOTAL, NULL, NULL) == 1);
	s = render(m);
	tc_metrics_free(m);
	CHECK(s != NULL);
	CHECK_MSG(strstr(s, "# HELP tempodb_compaction_blocks_total Total number of blocks compacted.\n"
			    "# TYPE tempodb_compaction_blocks_total counter\n"
			    "tempodb_compaction_blocks_total{level=\"0\"} 3\n"
			    "tempodb_compaction_blocks_total{level=\"1\"} 2.5\n"
			    "# HELP") != NULL, "%s", s);
	CHECK(strstr(s, "\ntempodb_compaction_errors_total 1\n") != NULL);
	free(s);
}

/* Two labels print sorted by label name, series sorted by those values (Go's order). */
static void test_two_labels_sorted(void)
{
	tc_metrics *m = NULL;
	char *s;

	CHECK_OK(tc_metrics_new(&m));
	tc_metrics_set(m, TC_M_BACKEND_OBJECTS_TOTAL, 7, "b", "live");
	tc_metrics_set(m, TC_M_BACKEND_OBJECTS_TOTAL, 5, "a", "live");
	tc_metrics_set(m, TC_M_BACKEND_OBJECTS_TOTAL, 9, "a", "compacted");
	tc_metrics_set(m, TC_M_BACKEND_OBJECTS_TOTAL, 6, "a", "live"); /* gauges overwrite */
	tc_metrics_set(m, TC_M_BUILD_INFO, 1, "1.2.3", "abc123");
	CHECK(tc_metrics_get(m, TC_M_BACKEND_OBJECTS_TOTAL, "a", "live") == 6);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_OBJECTS_TOTAL, "live", "a") == 0);
	s = render(m);
	tc_metrics_free(m);
	CHECK(s != NULL);
	CHECK_MSG(strstr(s, "# TYPE tempodb_backend_objects_total gauge\n"
			    "tempodb_backend_objects_total{status=\"compacted\",tenant=\"a\"} 9\n"
			    "tempodb_backend_objects_total{status=\"live\",tenant=\"a\"} 6\n"
			    "tempodb_backend_objects_total{status=\"live\",tenant=\"b\"} 7\n")
		  != NULL, "%s", s);
	CHECK_MSG(strstr(s, "\ntracecompactor_build_info{revision=\"abc123\",version=\"1.2.3\"} 1\n"),
		  "%s", s);
	free(s);
}

/* Four labels (tempo_build_info) print sorted by name, whatever order they are declared in. */
static void test_four_labels(void)
{
	static const char *const v1[] = { "1.2.3", "abc123", "main", "gcc 12" };
	static const char *const v2[] = { "1.2.3", "abc123", "dev", "gcc 12" };
	tc_metrics *m = NULL;
	char *s;

	CHECK_OK(tc_metrics_new(&m));
	tc_metrics_setv(m, TC_M_BUILD_INFO_TEMPO, 1, v1);
	tc_metrics_setv(m, TC_M_BUILD_INFO_TEMPO, 2, v2);
	tc_metrics_setv(m, TC_M_BUILD_INFO_TEMPO, 1, v2); /* the same series again */
	s = render(m);
	tc_metrics_free(m);
	CHECK(s != NULL);
	CHECK_MSG(strstr(s, "# TYPE tempo_build_info gauge\n"
			    "tempo_build_info{branch=\"dev\",goversion=\"gcc 12\",revision=\"abc123\","
			    "version=\"1.2.3\"} 1\n"
			    "tempo_build_info{branch=\"main\",goversion=\"gcc 12\",revision=\"abc123\","
			    "version=\"1.2.3\"} 1\n# HELP") != NULL, "%s", s);
	free(s);
}

static void test_histogram(void)
{
	tc_metrics *m = NULL;
	char *s;

	CHECK_OK(tc_metrics_new(&m));
	/* Exact binary values so the sum prints exactly; 0.02 sits on a bound (le is inclusive). */
	tc_metrics_observe(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, 0.00390625, "GET", "200");
	tc_metrics_observe(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, 0.02, "GET", "200");
	tc_metrics_observe(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, 0.5, "GET", "200");
	tc_metrics_observe(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, 10, "GET", "200");
	tc_metrics_observe(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, 1, "PUT", "500");
	tc_metrics_observe(m, TC_M_POLL_DURATION_SECONDS, 60, NULL, NULL);
	tc_metrics_observe(m, TC_M_POLL_DURATION_SECONDS, 0, NULL, NULL);
	tc_metrics_observe(m, TC_M_POLL_DURATION_SECONDS, 1000, NULL, NULL);
	/* Counter/gauge calls on a histogram are ignored. */
	tc_metrics_add(m, TC_M_POLL_DURATION_SECONDS, 5, NULL, NULL);
	tc_metrics_set(m, TC_M_POLL_DURATION_SECONDS, 5, NULL, NULL);
	tc_metrics_observe(m, TC_M_COMPACTION_ERRORS_TOTAL, 5, NULL, NULL);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "GET", "200") == 4);
	CHECK(tc_metrics_get(m, TC_M_POLL_DURATION_SECONDS, NULL, NULL) == 3);
	CHECK(tc_metrics_get(m, TC_M_COMPACTION_ERRORS_TOTAL, NULL, NULL) == 0);
	s = render(m);
	tc_metrics_free(m);
	CHECK(s != NULL);
#define R "tempodb_backend_request_duration_seconds"
	CHECK_MSG(strstr(s, "# HELP " R " Time spent doing backend storage requests.\n"
			    "# TYPE " R " histogram\n"
			    R "_bucket{operation=\"GET\",status_code=\"200\",le=\"0.005\"} 1\n"
			    R "_bucket{operation=\"GET\",status_code=\"200\",le=\"0.02\"} 2\n"
			    R "_bucket{operation=\"GET\",status_code=\"200\",le=\"0.08\"} 2\n"
			    R "_bucket{operation=\"GET\",status_code=\"200\",le=\"0.32\"} 2\n"
			    R "_bucket{operation=\"GET\",status_code=\"200\",le=\"1.28\"} 3\n"
			    R "_bucket{operation=\"GET\",status_code=\"200\",le=\"5.12\"} 3\n"
			    R "_bucket{operation=\"GET\",status_code=\"200\",le=\"+Inf\"} 4\n"
			    R "_sum{operation=\"GET\",status_code=\"200\"} 10.52390625\n"
			    R "_count{operation=\"GET\",status_code=\"200\"} 4\n"
			    R "_bucket{operation=\"PUT\",status_code=\"500\",le=\"0.005\"} 0\n")
		  != NULL, "%s", s);
	CHECK(strstr(s, R "_bucket{operation=\"PUT\",status_code=\"500\",le=\"1.28\"} 1\n"));
	CHECK(strstr(s, R "_count{operation=\"PUT\",status_code=\"500\"} 1\n"));
#undef R
#define P "tempodb_blocklist_poll_duration_seconds"
	CHECK_MSG(strstr(s, P "_bucket{le=\"0\"} 1\n"
			    P "_bucket{le=\"60\"} 2\n"
			    P "_bucket{le=\"120\"} 2\n"
			    P "_bucket{le=\"180\"} 2\n"
			    P "_bucket{le=\"240\"} 2\n"
			    P "_bucket{le=\"+Inf\"} 3\n"
			    P "_sum 1060\n"
			    P "_count 3\n") != NULL, "%s", s);
#undef P
	free(s);
}

static void test_escaping(void)
{
	tc_metrics *m = NULL;
	char *s;

	CHECK_OK(tc_metrics_new(&m));
	tc_metrics_add(m, TC_M_DISCARDED_SPANS_TOTAL, 3, "a\"b\\c\nd", "t-1");
	tc_metrics_add(m, TC_M_DISCARDED_SPANS_TOTAL, 1, "", "");
	CHECK(tc_metrics_get(m, TC_M_DISCARDED_SPANS_TOTAL, "a\"b\\c\nd", "t-1") == 3);
	s = render(m);
	tc_metrics_free(m);
	CHECK(s != NULL);
	CHECK_MSG(strstr(s, "# TYPE tempo_discarded_spans_total counter\n"
			    "tempo_discarded_spans_total{reason=\"\",tenant=\"\"} 1\n"
			    "tempo_discarded_spans_total{reason=\"a\\\"b\\\\c\\nd\",tenant=\"t-1\"} 3\n")
		  != NULL, "%s", s);
	free(s);
}

static void test_forget(void)
{
	tc_metrics *m = NULL;
	char *s;

	CHECK_OK(tc_metrics_new(&m));
	tc_metrics_set(m, TC_M_BACKEND_BYTES_TOTAL, 1, "t1", "live");
	tc_metrics_set(m, TC_M_BACKEND_BYTES_TOTAL, 2, "t1", "compacted");
	tc_metrics_set(m, TC_M_BACKEND_BYTES_TOTAL, 3, "t2", "live");
	tc_metrics_set(m, TC_M_BLOCKLIST_LENGTH, 4, "t1", NULL);
	tc_metrics_add(m, TC_M_COMPACTION_ERRORS_TOTAL, 1, NULL, NULL);
	tc_metrics_forget(m, TC_M_BACKEND_BYTES_TOTAL, "t1");
	tc_metrics_forget(m, TC_M_BACKEND_BYTES_TOTAL, "live"); /* first label only */
	tc_metrics_forget(m, TC_M_COMPACTION_ERRORS_TOTAL, NULL); /* no labels: nothing to drop */
	CHECK(tc_metrics_get(m, TC_M_BACKEND_BYTES_TOTAL, "t1", "live") == 0);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_BYTES_TOTAL, "t1", "compacted") == 0);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_BYTES_TOTAL, "t2", "live") == 3);
	CHECK(tc_metrics_get(m, TC_M_BLOCKLIST_LENGTH, "t1", NULL) == 4);
	CHECK(tc_metrics_get(m, TC_M_COMPACTION_ERRORS_TOTAL, NULL, NULL) == 1);
	s = render(m);
	CHECK(s != NULL);
	CHECK_MSG(strstr(s, "# TYPE tempodb_backend_bytes_total gauge\n"
			    "tempodb_backend_bytes_total{status=\"live\",tenant=\"t2\"} 3\n# HELP")
		  != NULL, "%s", s);
	CHECK(strstr(s, "t1") != NULL); /* blocklist_length keeps its t1 */
	free(s);

	/* A family whose last series went away disappears, HELP and all. */
	tc_metrics_forget(m, TC_M_BACKEND_BYTES_TOTAL, "t2");
	tc_metrics_forget(m, TC_M_BLOCKLIST_LENGTH, "t1");
	s = render(m);
	CHECK(s != NULL);
	CHECK(strstr(s, "tempodb_backend_bytes_total") == NULL);
	CHECK(strstr(s, "tempodb_blocklist_length") == NULL);
	free(s);
	/* And comes back on next use. */
	tc_metrics_set(m, TC_M_BLOCKLIST_LENGTH, 0, "t1", NULL);
	s = render(m);
	tc_metrics_free(m);
	CHECK(s != NULL);
	CHECK(strstr(s, "\ntempodb_blocklist_length{tenant=\"t1\"} 0\n") != NULL);
	free(s);
}

/* A touched series shows 0 before its first event; touching again never resets it. */
static void test_touch(void)
{
	tc_metrics *m = NULL;
	char *s;

	CHECK_OK(tc_metrics_new(&m));
	tc_metrics_touch(m, TC_M_COMPACTION_SPANS_DISCARDED_TOTAL, "t1", NULL);
	tc_metrics_touch(m, TC_M_DISCARDED_SPANS_TOTAL, "trace_too_large_to_compact", "t1");
	tc_metrics_touch(m, TC_M_BACKEND_RETRIES_TOTAL, "GET", NULL);
	tc_metrics_touch(m, TC_M_BLOCKLIST_LENGTH, "t1", NULL);
	tc_metrics_touch(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "GET", "200");
	s = render(m);
	CHECK(s != NULL);
	CHECK_MSG(strstr(s, "# TYPE tempodb_compaction_spans_discarded_total counter\n"
			    "tempodb_compaction_spans_discarded_total{tenant=\"t1\"} 0\n") != NULL, "%s", s);
	CHECK(strstr(s, "\ntempo_discarded_spans_total{reason=\"trace_too_large_to_compact\","
			"tenant=\"t1\"} 0\n") != NULL);
	CHECK(strstr(s, "\ntracecompactor_backend_retries_total{operation=\"GET\"} 0\n") != NULL);
	CHECK(strstr(s, "\ntempodb_blocklist_length{tenant=\"t1\"} 0\n") != NULL);
	CHECK(strstr(s, "\ntempodb_backend_request_duration_seconds_count{operation=\"GET\","
			"status_code=\"200\"} 0\n") != NULL);
	free(s);
	tc_metrics_add(m, TC_M_COMPACTION_SPANS_DISCARDED_TOTAL, 5, "t1", NULL);
	tc_metrics_set(m, TC_M_BLOCKLIST_LENGTH, 7, "t1", NULL);
	tc_metrics_observe(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, 0.5, "GET", "200");
	tc_metrics_touch(m, TC_M_COMPACTION_SPANS_DISCARDED_TOTAL, "t1", NULL);
	tc_metrics_touch(m, TC_M_BLOCKLIST_LENGTH, "t1", NULL);
	tc_metrics_touch(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "GET", "200");
	tc_metrics_touch(m, TC_M_COUNT, "t1", NULL); /* ignored, like the other updates */
	tc_metrics_touch(NULL, TC_M_BLOCKLIST_LENGTH, "t1", NULL);
	CHECK(tc_metrics_get(m, TC_M_COMPACTION_SPANS_DISCARDED_TOTAL, "t1", NULL) == 5);
	CHECK(tc_metrics_get(m, TC_M_BLOCKLIST_LENGTH, "t1", NULL) == 7);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "GET", "200") == 1);
	tc_metrics_free(m);
}

/* Values print as Go's strconv.FormatFloat(v, 'g', -1, 64), as its client writes them. */
static void test_float_format(void)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 0, "0" }, { 1, "1" }, { -3, "-3" }, { 0.1, "0.1" }, { 1234.5, "1234.5" },
		{ 100000, "100000" }, { 999999, "999999" }, { 1e6, "1e+06" },
		{ 123456789, "1.23456789e+08" }, { 1.5e9, "1.5e+09" }, { 0.0001, "0.0001" },
		{ 0.00001234, "1.234e-05" }, { 1.0 / 3, "0.3333333333333333" },
		{ 9007199254740993.0, "9.007199254740992e+15" }, { 1e300, "1e+300" },
		{ INFINITY, "+Inf" }, { -INFINITY, "-Inf" }, { NAN, "NaN" },
	};
	tc_metrics *m = NULL;
	char *s, line[128];

	CHECK_OK(tc_metrics_new(&m));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char tenant[32];
		snprintf(tenant, sizeof(tenant), "t%02zu", i);
		tc_metrics_set(m, TC_M_TENANT_INDEX_AGE_SECONDS, cases[i].v, tenant, NULL);
	}
	s = render(m);
	tc_metrics_free(m);
	CHECK(s != NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line),
			 "\ntempodb_blocklist_tenant_index_age_seconds{tenant=\"t%02zu\"} %s\n", i,
			 cases[i].want);
		if (!strstr(s, line)) {
			tc_test_fail(__FILE__, __LINE__, "missing %s", line + 1);
			free(s);
			return;
		}
	}
	free(s);
}

/* Families in name order, process metrics first (they sort before "tempo"). */
static void test_family_order(void)
{
	tc_metrics *m = NULL;
	char *s, *a, *b, *c, *d;

	CHECK_OK(tc_metrics_new(&m));
	tc_metrics_add(m, TC_M_DISCARDED_SPANS_TOTAL, 1, "r", "t");
	tc_metrics_add(m, TC_M_BACKEND_RETRIES_TOTAL, 1, "GET", NULL);
	s = render(m);
	tc_metrics_free(m);
	CHECK(s != NULL);
	a = strstr(s, "# HELP process_cpu_seconds_total");
	b = strstr(s, "# HELP tempo_discarded_spans_total");
	c = strstr(s, "# HELP tempodb_backend_request_duration_seconds") ?
		    strstr(s, "# HELP tempodb_backend_request_duration_seconds") :
		    strstr(s, "# HELP tempodb_compaction_errors_total");
	d = strstr(s, "# HELP tracecompactor_backend_retries_total");
	CHECK(a && b && c && d);
	CHECK(a < b && b < c && c < d);
	CHECK(strstr(s, "# HELP tempodb_retention_deleted_total") <
	      strstr(s, "# HELP tempodb_retention_duration_seconds"));
	free(s);
}

static void test_null_and_bad_ids(void)
{
	tc_metrics *m = NULL;

	tc_metrics_add(NULL, TC_M_COMPACTION_ERRORS_TOTAL, 1, NULL, NULL);
	tc_metrics_set(NULL, TC_M_BLOCKLIST_LENGTH, 1, "t", NULL);
	tc_metrics_observe(NULL, TC_M_POLL_DURATION_SECONDS, 1, NULL, NULL);
	tc_metrics_forget(NULL, TC_M_BLOCKLIST_LENGTH, "t");
	CHECK(tc_metrics_get(NULL, TC_M_COMPACTION_ERRORS_TOTAL, NULL, NULL) == 0);
	tc_metrics_free(NULL);
	CHECK_OK(tc_metrics_new(&m));
	tc_metrics_add(m, TC_M_COUNT, 1, NULL, NULL);
	tc_metrics_add(m, (tc_metric_id)-1, 1, NULL, NULL);
	CHECK(tc_metrics_get(m, TC_M_COUNT, NULL, NULL) == 0);
	tc_metrics_free(m);
}

#define THREADS 4
#define ROUNDS 50000

static tc_metrics *shared_m;

static void *hammer(void *arg)
{
	int t = (int)(intptr_t)arg;
	char tenant[32];

	for (int i = 0; i < ROUNDS; i++) {
		tc_metrics_add(shared_m, TC_M_COMPACTION_ERRORS_TOTAL, 1, NULL, NULL);
		tc_metrics_add(shared_m, TC_M_COMPACTION_BLOCKS_TOTAL, 2, (i % 2) ? "1" : "0", NULL);
		tc_metrics_observe(shared_m, TC_M_COMPACTION_DURATION_SECONDS, 2, NULL, NULL);
		/* New series created concurrently with lookups of others. */
		snprintf(tenant, sizeof(tenant), "t%d-%d", t, i % 64);
		tc_metrics_add(shared_m, TC_M_COMPACTION_SPANS_DEDUPED_TOTAL, 1, tenant, NULL);
		if (i % 1000 == 0) {
			tc_buf b = TC_BUF_INIT;
			tc_metrics_render(&b, shared_m);
			tc_buf_dispose(&b);
		}
	}
	return NULL;
}

static void test_concurrent_adds(void)
{
	pthread_t th[THREADS];
	double dedup = 0;
	char tenant[32];
	char *s;

	CHECK_OK(tc_metrics_new(&shared_m));
	for (int t = 0; t < THREADS; t++)
		CHECK(pthread_create(&th[t], NULL, hammer, (void *)(intptr_t)t) == 0);
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	CHECK(tc_metrics_get(shared_m, TC_M_COMPACTION_ERRORS_TOTAL, NULL, NULL) == THREADS * ROUNDS);
	CHECK(tc_metrics_get(shared_m, TC_M_COMPACTION_BLOCKS_TOTAL, "0", NULL) == THREADS * ROUNDS);
	CHECK(tc_metrics_get(shared_m, TC_M_COMPACTION_BLOCKS_TOTAL, "1", NULL) == THREADS * ROUNDS);
	CHECK(tc_metrics_get(shared_m, TC_M_COMPACTION_DURATION_SECONDS, NULL, NULL) ==
	      THREADS * ROUNDS);
	for (int t = 0; t < THREADS; t++)
		for (int i = 0; i < 64; i++) {
			snprintf(tenant, sizeof(tenant), "t%d-%d", t, i);
			dedup += tc_metrics_get(shared_m, TC_M_COMPACTION_SPANS_DEDUPED_TOTAL, tenant,
						NULL);
		}
	CHECK(dedup == THREADS * ROUNDS);
	s = render(shared_m);
	tc_metrics_free(shared_m);
	CHECK(s != NULL);
	CHECK_MSG(strstr(s, "tracecompactor_compaction_duration_seconds_bucket{le=\"1\"} 0\n"
			    "tracecompactor_compaction_duration_seconds_bucket{le=\"5\"} 200000\n")
		  != NULL, "%s", s);
	CHECK(strstr(s, "tracecompactor_compaction_duration_seconds_sum 400000\n") != NULL);
	CHECK(strstr(s, "\ntempodb_compaction_errors_total 200000\n") != NULL);
	free(s);
}

TC_TEST_MAIN(T(test_fresh_render), T(test_process_values), T(test_counter_labels),
	     T(test_two_labels_sorted), T(test_four_labels), T(test_histogram), T(test_escaping), T(test_forget), T(test_touch),
	     T(test_float_format), T(test_family_order), T(test_null_and_bad_ids),
	     T(test_concurrent_adds))
