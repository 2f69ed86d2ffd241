/*
 * The time-window selector, table-driven from docs/COMPACTOR.md#block-selector: which
 * groups are chosen, in which order, with which hash, and what is left.
 */
#include "src/compactor/selector.h"
#include "tests/test.h"

#define H 3600LL
static const int64_t NOW = 1000 * H + 1800; /* half past hour 1000 */

typedef struct blk {
	const char *id;     /* short name, padded into a UUID */
	int64_t end_hour;   /* end time = this hour + 10 min */
	int level;
	int64_t objects;
	uint64_t size;
	const char *data_enc;
} blk;

static tc_meta make(const blk *b)
{
	tc_meta m;
	memset(&m, 0, sizeof(m));
	snprintf(m.format, sizeof(m.format), "v2");
	snprintf(m.block_id, sizeof(m.block_id), "00000000-0000-0000-0000-%12s", b->id);
	for (char *p = m.block_id; *p; p++)
		if (*p == ' ')
			*p = '0';
	snprintf(m.tenant, sizeof(m.tenant), "t");
	m.end = tc_time_from_unix(b->end_hour * H + 600, 0);
	m.start = m.end;
	m.level = (uint8_t)b->level;
	m.total_objects = b->objects;
	m.size = b->size;
	snprintf(m.data_encoding, sizeof(m.data_encoding), "%s", b->data_enc ? b->data_enc : "v2");
	return m;
}

/* Runs the selector and renders its groups as "a,b|c,d#hash;..." with short IDs. */
static void run(char *out, size_t outsz, const blk *blocks, size_t n, uint64_t max_objects, uint64_t max_bytes)
{
	tc_meta metas[32];
	tc_selector *s;
	tc_selector_opts o = { H * 1000000000LL, max_objects, max_bytes, tc_time_from_unix(NOW, 0) };
	const tc_meta **g;
	size_t k;
	char hash[TC_SELECTOR_HASH_MAX];

	for (size_t i = 0; i < n; i++)
		metas[i] = make(&blocks[i]);
	out[0] = '\0';
	if (tc_selector_new(&s, metas, n, &o) < 0)
		return;
	while (tc_selector_next(&g, &k, hash, s) == 1) {
		for (size_t i = 0; i < k; i++) {
			const char *id = g[i]->block_id + 24;
			while (*id == '0' && id[1])
				id++;
			snprintf(out + strlen(out), outsz - strlen(out), "%s%s", i ? "," : "", id);
		}
		snprintf(out + strlen(out), outsz - strlen(out), "#%s;", hash);
	}
	tc_selector_free(s);
}

#define BIG 6000000, 100ULL << 30

static void groups_within_one_active_window(void)
{
	char got[512];
	blk b[] = { { "1", 999, 0, 10, 1, 0 }, { "2", 999, 0, 5, 1, 0 }, { "3", 999, 0, 7, 1, 0 } };
	run(got, sizeof(got), b, 3, BIG);
	/* smallest first, one group, hash tenant-level-window */
	CHECK_STR(got, "2,3,1#t-0-999;");
}

static void at_most_four_and_at_least_two(void)
{
	char got[512];
	blk b[] = { { "1", 999, 0, 1, 1, 0 }, { "2", 999, 0, 2, 1, 0 }, { "3", 999, 0, 3, 1, 0 },
		    { "4", 999, 0, 4, 1, 0 }, { "5", 999, 0, 5, 1, 0 } };
	run(got, sizeof(got), b, 5, BIG);
	CHECK_STR(got, "1,2,3,4#t-0-999;"); /* the fifth alone is not a group */
}

static void levels_and_windows_do_not_mix_when_active(void)
{
	char got[512];
	blk b[] = { { "1", 999, 1, 1, 1, 0 }, { "2", 999, 0, 1, 1, 0 }, { "3", 998, 0, 1, 1, 0 },
		    { "4", 999, 1, 2, 1, 0 }, { "5", 998, 0, 2, 1, 0 }, { "6", 999, 0, 3, 1, 0 } };
	run(got, sizeof(got), b, 6, BIG);
	/* "A-0-...1" (newest, level 0) first, then A-0 age 2, then A-1 */
	CHECK_STR(got, "2,6#t-0-999;3,5#t-0-998;1,4#t-1-999;");
}

static void inactive_windows_mix_levels_and_cutover_is_skipped(void)
{
	char got[512];
	/* active window = window(now - 24h) = 976: skipped; 970 inactive; 990 active */
	blk b[] = { { "1", 976, 0, 1, 1, 0 }, { "2", 976, 0, 1, 1, 0 }, { "3", 970, 2, 1, 1, 0 },
		    { "4", 970, 0, 9, 1, 0 }, { "5", 970, 1, 1, 1, 0 } };
	run(got, sizeof(got), b, 5, BIG);
	CHECK_STR(got, "4,5,3#t-970;");
}

static void object_and_byte_limits(void)
{
	char got[512];
	blk b[] = { { "1", 999, 0, 40, 10, 0 }, { "2", 999, 0, 50, 10, 0 }, { "3", 999, 0, 60, 10, 0 } };
	run(got, sizeof(got), b, 3, 100, 100);
	CHECK_STR(got, "1,2#t-0-999;");
	run(got, sizeof(got), b, 3, 1000, 15);
	CHECK_STR(got, ""); /* no two fit: nothing, and no endless loop */
}

static void data_encodings_do_not_mix(void)
{
	char got[512];
	blk b[] = { { "1", 999, 0, 1, 1, "v1" }, { "2", 999, 0, 2, 1, "v2" }, { "3", 999, 0, 3, 1, "v2" } };
	run(got, sizeof(got), b, 3, BIG);
	CHECK_STR(got, "2,3#t-0-999;");
}

static void future_blocks_sort_first(void)
{
	char got[512];
	/* age -1: Go prints "-000000000000001", which sorts before "0000..." */
	blk b[] = { { "1", 999, 0, 1, 1, 0 }, { "2", 999, 0, 1, 1, 0 }, { "3", 1001, 0, 1, 1, 0 },
		    { "4", 1001, 0, 1, 1, 0 } };
	run(got, sizeof(got), b, 4, BIG);
	CHECK_STR(got, "3,4#t-0-1001;1,2#t-0-999;");
}

static void outstanding_counts_remaining_inputs(void)
{
	tc_meta metas[5];
	blk b[] = { { "1", 999, 0, 1, 1, 0 }, { "2", 999, 0, 2, 1, 0 }, { "3", 998, 0, 3, 1, 0 },
		    { "4", 998, 0, 4, 1, 0 }, { "5", 997, 0, 5, 1, 0 } };
	tc_selector *s;
	tc_selector_opts o = { H * 1000000000LL, BIG, tc_time_from_unix(NOW, 0) };
	for (int i = 0; i < 5; i++)
		metas[i] = make(&b[i]);
	CHECK_OK(tc_selector_new(&s, metas, 5, &o));
	CHECK_EQ_U64(tc_selector_outstanding(s), 4);
	tc_selector_free(s);
}

TC_TEST_MAIN(T(groups_within_one_active_window), T(at_most_four_and_at_least_two),
	     T(levels_and_windows_do_not_mix_when_active), T(inactive_windows_mix_levels_and_cutover_is_skipped),
	     T(object_and_byte_limits), T(data_encodings_do_not_mix), T(future_blocks_sort_first),
	     T(outstanding_counts_remaining_inputs))
