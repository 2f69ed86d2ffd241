/*
 * What the S3 and etcd clients share (src/util/curl.h): the handle pool,
 * which failures are retried, and the backoff between attempts
 * (tc_backoff_ms, src/util/timeutil.h).
 */
#include "tests/test.h"

#include "src/util/curl.h"
#include "src/util/timeutil.h"

/* A handle given back is the next one taken, with its options reset. */
static void test_pool_reuses_handles(void)
{
	tc_curl_pool *p = NULL;
	CURL *a, *b, *c;

	CHECK_OK(tc_curl_pool_new(&p, 4));
	CHECK((a = tc_curl_pool_get(p)) != NULL);
	CHECK((b = tc_curl_pool_get(p)) != NULL);
	CHECK(a != b);
	curl_easy_setopt(a, CURLOPT_PROTOCOLS_STR, "ftp");
	tc_curl_pool_put(p, a);
	c = tc_curl_pool_get(p);
	CHECK(c == a);
	/* "ftp only" is gone: the attempt gets as far as connecting (nothing listens on port 1) */
	curl_easy_setopt(c, CURLOPT_URL, "http://127.0.0.1:1/");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	CHECK_MSG(curl_easy_perform(c) == CURLE_COULDNT_CONNECT, "the handle kept its options");
	tc_curl_pool_put(p, c);
	tc_curl_pool_put(p, b);
	/* last in, first out */
	CHECK(tc_curl_pool_get(p) == b);
	CHECK(tc_curl_pool_get(p) == a);
	curl_easy_cleanup(a);
	curl_easy_cleanup(b);
	tc_curl_pool_free(p);
	tc_curl_pool_free(NULL);
}

/* Past max, a handle given back is closed, not kept: the pool never holds more than max. */
static void test_pool_keeps_at_most_max(void)
{
	tc_curl_pool *p = NULL;
	CURL *h[3], *again;

	CHECK_OK(tc_curl_pool_new(&p, 2));
	for (int i = 0; i < 3; i++)
		CHECK((h[i] = tc_curl_pool_get(p)) != NULL);
	for (int i = 0; i < 3; i++)
		tc_curl_pool_put(p, h[i]);
	/* h[2] went back to a full pool; the two kept come out newest first */
	CHECK(tc_curl_pool_get(p) == h[1]);
	CHECK(tc_curl_pool_get(p) == h[0]);
	CHECK((again = tc_curl_pool_get(p)) != NULL);
	CHECK(again != h[0] && again != h[1]);
	curl_easy_cleanup(again);
	curl_easy_cleanup(h[0]);
	curl_easy_cleanup(h[1]);
	tc_curl_pool_free(p);
}

static void test_transient(void)
{
	CHECK(tc_curl_transient(CURLE_COULDNT_CONNECT));
	CHECK(tc_curl_transient(CURLE_COULDNT_RESOLVE_HOST));
	CHECK(tc_curl_transient(CURLE_OPERATION_TIMEDOUT));
	CHECK(tc_curl_transient(CURLE_GOT_NOTHING));
	CHECK(tc_curl_transient(CURLE_RECV_ERROR));
	CHECK(!tc_curl_transient(CURLE_OK));
	CHECK(!tc_curl_transient(CURLE_URL_MALFORMAT));
	CHECK(!tc_curl_transient(CURLE_SSL_CACERT_BADFILE));
	CHECK(!tc_curl_transient(CURLE_UNSUPPORTED_PROTOCOL));
}

/* Doubling from base up to max, each wait drawn from [d/2, d], and not all the same. */
static void test_backoff(void)
{
	atomic_uint_fast64_t rng;
	static const struct {
		unsigned base, max, round, d;
	} cases[] = {
		{ 100, 10000, 0, 100 },  { 100, 10000, 1, 200 },    { 100, 10000, 6, 6400 },
		{ 100, 10000, 7, 10000 }, { 100, 10000, 40, 10000 }, { 50, 1000, 4, 800 },
		{ 50, 1000, 5, 1000 },    { 50, 1000, 1000, 1000 },  { 1, 1001, 10, 1001 },
	};

	atomic_init(&rng, 12345);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned lo = cases[i].d, hi = 0, d = cases[i].d;
		for (int k = 0; k < 200; k++) {
			unsigned ms = tc_backoff_ms(&rng, cases[i].round, cases[i].base, cases[i].max);
			CHECK_MSG(ms >= d / 2 && ms <= d, "case %zu: %u not in [%u, %u]", i, ms,
				  d / 2, d);
			lo = ms < lo ? ms : lo;
			hi = ms > hi ? ms : hi;
		}
		CHECK_MSG(lo < hi, "case %zu: no jitter (always %u)", i, lo);
	}
}

TC_TEST_MAIN(T(test_pool_reuses_handles), T(test_pool_keeps_at_most_max), T(test_transient),
	     T(test_backoff))
