/* tc_strlist_keep_prefix: what a backend's listing keeps of a page. */
#include "tests/test.h"

#include "src/util/strlist.h"

static void keeps_prefix_with_stamps_in_step(void)
{
	tc_strlist names = TC_STRLIST_INIT, stamps = TC_STRLIST_INIT;
	const char *n[] = { "t/a/meta.json", "u/b/meta.json", "t/c/data", "tx/d", "t/" };
	const char *st[] = { "e1", "e2", "e3", "e4", "e5" };

	for (size_t i = 0; i < 5; i++) {
		CHECK_OK(tc_strlist_add(&names, n[i]));
		CHECK_OK(tc_strlist_add(&stamps, st[i]));
	}
	tc_strlist_keep_prefix(&names, &stamps, "t/", 2);
	CHECK_EQ_U64(names.n, 3);
	CHECK_EQ_U64(stamps.n, 3);
	CHECK_STR(names.items[0], "t/a/meta.json");
	CHECK_STR(stamps.items[0], "e1");
	CHECK_STR(names.items[1], "t/c/data");
	CHECK_STR(stamps.items[1], "e3");
	CHECK_STR(names.items[2], "t/");
	CHECK_STR(stamps.items[2], "e5");
	tc_strlist_dispose(&names);
	tc_strlist_dispose(&stamps);
}

/* A parallel list of another length (a listing without stamps) is left alone. */
static void parallel_of_other_length_untouched(void)
{
	tc_strlist names = TC_STRLIST_INIT, other = TC_STRLIST_INIT;

	CHECK_OK(tc_strlist_add(&names, "a/1"));
	CHECK_OK(tc_strlist_add(&names, "b/2"));
	CHECK_OK(tc_strlist_add(&other, "x"));
	tc_strlist_keep_prefix(&names, &other, "b/", 2);
	CHECK_EQ_U64(names.n, 1);
	CHECK_STR(names.items[0], "b/2");
	CHECK_EQ_U64(other.n, 1);
	CHECK_STR(other.items[0], "x");
	tc_strlist_keep_prefix(&names, NULL, "z", 1);
	CHECK_EQ_U64(names.n, 0);
	tc_strlist_dispose(&names);
	tc_strlist_dispose(&other);
}

TC_TEST_MAIN(T(keeps_prefix_with_stamps_in_step), T(parallel_of_other_length_untouched))
