/*
 * The kv conformance suite of tests/kv_suite.c run against the in-memory
 * store, plus what only it promises: one store shared by several users.
 */
#include "tests/test.h"

#include "src/ring/kv.h"
#include "tests/kv_suite.h"

static int fx_mem(tc_kv_suite_fx *f, const char *check)
{
	memset(f, 0, sizeof(*f));
	tc_kv_suite_prefix(f, "tc-test/", check);
	f->threads = 8;
	f->increments = 2000;
	return tc_kv_mem_new(&f->kv);
}

#define CONFORM(name)                                                              \
	static void mem_##name(void)                                               \
	{                                                                          \
		tc_kv_suite_fx f;                                                  \
		int r = fx_mem(&f, #name);                                         \
		CHECK_MSG(r == 0, "mem_new: %s", tc_error_last());                 \
		CHECK_STR(tc_kv_name(f.kv), "memory");                             \
		tc_kv_suite_##name(&f);                                            \
		tc_kv_free(f.kv);                                                  \
	}

TC_KV_SUITE_CHECKS(CONFORM)

/* Two users of one store see each other's writes and leases. */
static void mem_shared(void)
{
	tc_kv *kv = NULL;
	tc_kv_value v = TC_KV_VALUE_INIT;
	int64_t lease = 0, rev = 0;

	CHECK_OK(tc_kv_mem_new(&kv));
	tc_kv *a = kv, *b = kv;
	CHECK_OK(tc_kv_lease_grant(&lease, a, 30));
	CHECK_OK(tc_kv_create(&rev, a, "collectors/compactor-jobs/x", "a", 1, lease));
	CHECK_ERR(tc_kv_create(&rev, b, "collectors/compactor-jobs/x", "b", 1, 0), TC_ECONFLICT);
	CHECK_OK(tc_kv_lease_keepalive(NULL, b, lease));
	CHECK_OK(tc_kv_lease_revoke(b, lease));
	CHECK_OK(tc_kv_get(&v, a, "collectors/compactor-jobs/x"));
	CHECK_EQ_U64(v.version, 0);
	tc_kv_value_dispose(&v);
	tc_kv_free(kv);
	tc_kv_free(NULL);
}

#define CASE(name) T(mem_##name),
TC_TEST_MAIN(TC_KV_SUITE_CHECKS(CASE) T(mem_shared))
