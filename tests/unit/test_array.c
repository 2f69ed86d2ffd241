/* The growable array helper (src/util/array.h) and tc_buf's use of its sizing. */
#include "tests/test.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/array.h"

typedef struct rec {
	uint64_t a;
	uint32_t b;
	char c[13];
} rec;

static void test_growth_keeps_contents(void)
{
	rec *v = NULL;
	size_t n = 0, cap = 0;

	for (uint32_t i = 0; i < 1000; i++) {
		CHECK_OK(tc_array_reserve(v, cap, n + 1, 0));
		CHECK(cap >= n + 1);
		v[n] = (rec){ (uint64_t)i * 7, i, "" };
		snprintf(v[n].c, sizeof(v[n].c), "r%u", i);
		n++;
	}
	/* Doubling: never more than twice what is held (past the first allocation). */
	CHECK(cap >= 1000 && cap < 2000);
	for (uint32_t i = 0; i < 1000; i++) {
		char want[13];
		snprintf(want, sizeof(want), "r%u", i);
		CHECK_EQ_U64(v[i].a, (uint64_t)i * 7);
		CHECK_EQ_U64(v[i].b, i);
		CHECK_STR(v[i].c, want);
	}
	/* Room already there: nothing moves. */
	rec *before = v;
	CHECK_OK(tc_array_reserve(v, cap, 10, 0));
	CHECK(v == before);
	free(v);
}

static void test_cap_refused(void)
{
	uint32_t *v = NULL, *before;
	size_t cap = 0;

	CHECK_OK(tc_array_reserve(v, cap, 3, 10));
	for (uint32_t i = 0; i < 3; i++)
		v[i] = i + 100;
	/* Doubling stops at the cap rather than allocating past it. */
	CHECK_OK(tc_array_reserve(v, cap, 10, 10));
	CHECK_EQ_U64(cap, 10);
	before = v;
	tc_error_clear();
	CHECK_ERR(tc_array_reserve(v, cap, 11, 10), TC_ELIMIT);
	CHECK_ERRMSG("limit of 10 entries");
	CHECK(v == before);
	CHECK_EQ_U64(cap, 10);
	for (uint32_t i = 0; i < 3; i++)
		CHECK_EQ_U64(v[i], i + 100);
	free(v);
}

static void test_overflow_refused(void)
{
	struct big {
		char b[64];
	} *v = NULL, *before;
	size_t cap = 0;

	CHECK_OK(tc_array_reserve(v, cap, 2, 0));
	memset(v, 'x', 2 * sizeof(*v));
	before = v;
	/* n * 64 does not fit a size_t: refused before any allocation. */
	tc_error_clear();
	CHECK_ERR(tc_array_reserve(v, cap, SIZE_MAX / sizeof(*v) + 1, 0), TC_ELIMIT);
	CHECK_ERRMSG("exceeds the address space");
	CHECK(v == before);
	CHECK_EQ_U64(cap, 16);
	CHECK(v[1].b[63] == 'x');
	CHECK_ERR(tc_array_reserve(v, cap, SIZE_MAX, 0), TC_ELIMIT);
	CHECK(v == before);
	free(v);
}

static void test_next_cap(void)
{
	CHECK_EQ_U64(tc_array_next_cap(0, 1, 16, 0), 16);
	CHECK_EQ_U64(tc_array_next_cap(16, 17, 16, 0), 32);
	CHECK_EQ_U64(tc_array_next_cap(16, 100, 16, 0), 128);
	CHECK_EQ_U64(tc_array_next_cap(0, 100, 16, 50), 50);
	CHECK_EQ_U64(tc_array_next_cap(3, 4, 16, 0), 6);
	/* Doubling would overflow: the need itself. */
	CHECK_EQ_U64(tc_array_next_cap(SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 2, 16, 0), SIZE_MAX / 2 + 2);
	CHECK_EQ_U64(tc_array_next_cap(SIZE_MAX / 2 + 1, SIZE_MAX, 16, 0), SIZE_MAX);
}

/* tc_buf sizes itself the same way: doubling from 256, never past its cap (+1 for the NUL). */
static void test_buf_uses_it(void)
{
	tc_buf b;
	uint8_t chunk[600] = { 0 };

	tc_buf_init(&b, 1000);
	CHECK_OK(tc_buf_put(&b, chunk, 100));
	CHECK_EQ_U64(b.asize, 256);
	CHECK_OK(tc_buf_put(&b, chunk, 500));
	CHECK_EQ_U64(b.asize, 1001);
	CHECK_OK(tc_buf_put(&b, chunk, 400));
	CHECK_ERR(tc_buf_putc(&b, 0), TC_ELIMIT);
	CHECK_EQ_U64(b.len, 1000);
	tc_buf_dispose(&b);
}

typedef struct named {
	const char *key;
	int v;
} named;

static int named_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const named *)elem)->key);
}

/* Found: its index; absent: where it goes to keep the order, first to last. */
static void test_search(void)
{
	static const named v[] = { { "b", 0 }, { "d", 1 }, { "f", 2 }, { "h", 3 }, { "j", 4 } };
	static const struct {
		const char *key;
		int found;
		size_t idx;
	} cases[] = {
		{ "b", 1, 0 }, { "d", 1, 1 }, { "f", 1, 2 }, { "h", 1, 3 }, { "j", 1, 4 },
		{ "a", 0, 0 }, { "c", 0, 1 }, { "e", 0, 2 }, { "i", 0, 4 }, { "k", 0, 5 },
		{ "", 0, 0 },  { "dd", 0, 2 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t idx = 99;
		int found = tc_array_search(&idx, v, 5, sizeof(v[0]), cases[i].key, named_cmp);
		CHECK_MSG(found == cases[i].found && idx == cases[i].idx,
			  "\"%s\": found %d at %zu, want %d at %zu", cases[i].key, found, idx,
			  cases[i].found, cases[i].idx);
	}
	for (size_t n = 0; n <= 5; n++) {
		size_t idx = 99;
		CHECK(!tc_array_search(&idx, n ? v : NULL, n, sizeof(v[0]), "z", named_cmp));
		CHECK_EQ_U64(idx, n);
	}
}

TC_TEST_MAIN(T(test_growth_keeps_contents), T(test_cap_refused), T(test_overflow_refused),
	     T(test_next_cap), T(test_buf_uses_it), T(test_search))
