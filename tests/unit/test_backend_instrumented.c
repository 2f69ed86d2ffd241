/*
 * The instrumenting decorator: the backend it wraps still passes the
 * conformance suite through it, and each call is one observation of
 * tempodb_backend_request_duration_seconds with the method and status the
 * call would have on S3.
 */
#include "tests/test.h"

#include "tests/backend_suite.h"
#include "src/backend/backend.h"
#include "src/backend/instrumented.h"
#include "src/metrics/metrics.h"

#define M TC_M_BACKEND_REQUEST_DURATION_SECONDS

static void open_wrapped(tc_backend **be, tc_metrics **m)
{
	tc_backend *mem = NULL;

	CHECK_OK(tc_metrics_new(m));
	CHECK_OK(tc_backend_mem_new(&mem));
	CHECK_OK(tc_backend_instrumented_new(be, mem, *m));
}

static void run_suite(void (*check)(tc_suite_fx *f))
{
	tc_backend *be = NULL;
	tc_metrics *m = NULL;
	tc_suite_fx f;

	open_wrapped(&be, &m);
	f = (tc_suite_fx){ .be = be, .mtime_slack_s = 1, .concurrent_objects = 20 };
	tc_suite_run(&f, check, NULL, NULL);
	tc_backend_free(be);
	tc_metrics_free(m);
}

static void conformance(void)
{
	void (*checks[])(tc_suite_fx *) = {
		tc_suite_write_read, tc_suite_not_found, tc_suite_read_range,
		tc_suite_stat_object, tc_suite_list, tc_suite_delete_object,
		tc_suite_append_commit, tc_suite_append_abort, tc_suite_mark_compacted,
		tc_suite_clear_block, tc_suite_hostile_keys, tc_suite_concurrent_writers,
	};

	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		run_suite(checks[i]);
}

static void observations(void)
{
	tc_backend *be = NULL;
	tc_metrics *m = NULL;
	tc_append *a = NULL;
	tc_strlist l = TC_STRLIST_INIT;
	tc_buf b = TC_BUF_INIT;
	tc_buf small = TC_BUF_INIT;
	tc_stat st;
	uint8_t two[2];

	open_wrapped(&be, &m);
	CHECK_STR(tc_backend_name(be), "mem");
	/* retries exist at 0 from the start, for a backend that never retries */
	CHECK(tc_metrics_get(m, TC_M_BACKEND_RETRIES_TOTAL, "GET", NULL) == 0);
	CHECK_OK(tc_backend_write(be, "t/b/meta.json", "{}", 2));
	CHECK_OK(tc_backend_read(&b, be, "t/b/meta.json"));
	CHECK_OK(tc_backend_read_range(two, be, "t/b/meta.json", 0, 2));
	CHECK_ERR(tc_backend_read(&b, be, "t/b/missing"), TC_ENOTFOUND);
	tc_buf_init(&small, 1);
	CHECK(tc_backend_read(&small, be, "t/b/meta.json") < 0); /* over the cap: a failure */
	CHECK_OK(tc_backend_stat(&st, be, "t/b/meta.json"));
	CHECK_OK(tc_backend_list(&l, be, "t/"));
	tc_strlist_dispose(&l);
	CHECK_OK(tc_backend_list_objects(&l, be, "t/b/"));
	tc_strlist_dispose(&l);
	CHECK_OK(tc_backend_append_open(&a, be, "t/b/data"));
	CHECK_OK(tc_backend_append(a, "xy", 2));
	CHECK_OK(tc_backend_append_commit(a));
	CHECK_OK(tc_backend_append_open(&a, be, "t/b/data2"));
	tc_backend_append_abort(a);
	CHECK_OK(tc_backend_mark_compacted(be, "t", "b"));
	CHECK_OK(tc_backend_delete(be, "t/b/data"));
	CHECK_OK(tc_backend_clear_block(be, "t", "b"));

	CHECK(tc_metrics_get(m, M, "GET", "200") == 4);  /* read, range, 2 lists */
	CHECK(tc_metrics_get(m, M, "GET", "404") == 1);
	CHECK(tc_metrics_get(m, M, "GET", "500") == 1);
	CHECK(tc_metrics_get(m, M, "HEAD", "200") == 1);
	CHECK(tc_metrics_get(m, M, "PUT", "200") == 3);  /* write, append, mark */
	CHECK(tc_metrics_get(m, M, "POST", "200") == 3); /* 2 opens, commit */
	CHECK(tc_metrics_get(m, M, "DELETE", "200") == 3); /* abort, delete, clear */
	tc_buf_dispose(&b);
	tc_buf_dispose(&small);
	tc_backend_free(be);
	tc_metrics_free(m);
}

TC_TEST_MAIN(T(conformance), T(observations))
