/*
 * Bloom filters: rebuild every fixture bloom-N from the block's IDs and
 * compare bytes; test IDs against the files Tempo wrote. IDs come from the
 * uncompressed "none" sets (no codec needed); the other sets hold the same
 * traces (their blooms are identical), which is checked before relying on it.
 */
#include "tests/test.h"

#include <stdlib.h>

#include "src/util/array.h"
#include "encoding/bloom.h"
#include "encoding/hash.h"
#include "src/util/fnv.h"
#include "encoding/index.h"
#include "encoding/meta.h"
#include "tests/unit/fixture_blocks.h"

/* Block parameters the fixtures were written with (tests/data/README.md). */
#define FIX_FP 0.01
#define FIX_SHARD_SIZE 100000

typedef struct id_set {
	size_t n;
	uint8_t (*ids)[TC_ID_LEN];
} id_set;

static int read_meta(tc_meta *m, const char *dir)
{
	tc_buf b = TC_BUF_INIT;
	int r = fixture_read(&b, dir, fixture_has(dir, "meta.json") ? "meta.json" : "meta.compacted.json");
	if (r == 0)
		r = tc_meta_parse(m, (const char *)b.ptr, b.len, &(tc_where){ dir, 0 });
	tc_buf_dispose(&b);
	return r;
}

static int is_none_set(const char *dir)
{
	return strstr(dir, "/tempo-v2/none/") || strstr(dir, "/tempo-v2/none-tempo-compacted/");
}

/* Walks an uncompressed data file: every page, every object. */
static int collect_ids(id_set *out, const char *dir)
{
	tc_buf data = TC_BUF_INIT;
	size_t off = 0, cap = 0;
	int r;

	out->n = 0;
	out->ids = NULL;
	if ((r = fixture_read(&data, dir, "data")) < 0)
		return r;
	while (off < data.len) {
		const uint8_t *payload;
		size_t page_len, payload_len, pos = 0;
		tc_where w = { dir, off };
		tc_object o;

		if ((r = tc_page_parse(&page_len, &payload, &payload_len, data.ptr + off,
				       data.len - off, &w)) < 0)
			goto cleanup;
		while ((r = tc_object_next(&o, payload, payload_len, &pos, &w)) == 1) {
			if ((r = tc_array_reserve(out->ids, cap, out->n + 1, 0)) < 0)
				goto cleanup;
			memcpy(out->ids[out->n++], o.id, TC_ID_LEN);
		}
		if (r < 0)
			goto cleanup;
		off += page_len;
	}
	r = TC_OK;
cleanup:
	tc_buf_dispose(&data);
	return r;
}

static void check_none_block(const char *dir)
{
	id_set s;
	tc_meta m;
	tc_bloom *b = NULL;
	tc_buf file = TC_BUF_INIT, ours = TC_BUF_INIT;

	CHECK_OK(read_meta(&m, dir));
	CHECK_OK(collect_ids(&s, dir));
	CHECK_EQ_U64(s.n, m.total_objects);
	CHECK(memcmp(s.ids[0], m.min_id, TC_ID_LEN) == 0);
	CHECK(memcmp(s.ids[s.n - 1], m.max_id, TC_ID_LEN) == 0);
	/*
	 * Tempo sized the filter for totalObjects (ingester) or for the sum of
	 * the inputs' totalObjects (compactor: 4 x 150); both give one shard.
	 */
	CHECK_OK(tc_bloom_new(&b, m.level ? 600 : (uint64_t)m.total_objects, FIX_FP, FIX_SHARD_SIZE));
	CHECK_EQ_U64(tc_bloom_shard_count(b), m.bloom_shards);
	for (size_t i = 0; i < s.n; i++)
		tc_bloom_add(b, s.ids[i], TC_ID_LEN);
	for (uint16_t sh = 0; sh < m.bloom_shards; sh++) {
		char name[32];
		snprintf(name, sizeof(name), "bloom-%u", (unsigned)sh);
		CHECK_OK(fixture_read(&file, dir, name));
		tc_buf_clear(&ours);
		CHECK_OK(tc_bloom_write_shard(&ours, b, sh));
		CHECK_MSG(ours.len == file.len && memcmp(ours.ptr, file.ptr, file.len) == 0,
			  "%s/%s: our bloom differs from Tempo's", dir, name);
	}
	/* Every ID is found in the file Tempo wrote. */
	for (size_t i = 0; i < s.n; i++) {
		char name[32];
		int present = 0;
		tc_where w = { dir, 0 };
		uint16_t sh = tc_bloom_shard_of(s.ids[i], TC_ID_LEN, m.bloom_shards);

		snprintf(name, sizeof(name), "bloom-%u", (unsigned)sh);
		CHECK_OK(fixture_read(&file, dir, name));
		CHECK_OK(tc_bloom_file_test(&present, file.ptr, file.len, s.ids[i], TC_ID_LEN, &w));
		CHECK_MSG(present, "%s: ID %zu not in its bloom", dir, i);
	}
	tc_bloom_free(b);
	free(s.ids);
	tc_buf_dispose(&file);
	tc_buf_dispose(&ours);
}

static void test_none_blooms_identical(void)
{
	const fixture_blocks *fb = fixture_blocks_all();
	size_t checked = 0;

	for (size_t i = 0; i < fb->n; i++) {
		int before = tc_test_failures;
		if (!is_none_set(fb->dir[i]))
			continue;
		check_none_block(fb->dir[i]);
		CHECK_MSG(tc_test_failures == before, "block %s failed", fb->dir[i]);
		checked++;
	}
	CHECK_EQ_U64(checked, 5);
}

/* The none block with the same ID range and object count, whose IDs we can read. */
static const char *matching_none(const tc_meta *m)
{
	const fixture_blocks *fb = fixture_blocks_all();

	for (size_t i = 0; i < fb->n; i++) {
		tc_meta n;
		if (!is_none_set(fb->dir[i]) || read_meta(&n, fb->dir[i]) < 0)
			continue;
		if (n.total_objects == m->total_objects && n.level == m->level &&
		    memcmp(n.min_id, m->min_id, TC_ID_LEN) == 0 &&
		    memcmp(n.max_id, m->max_id, TC_ID_LEN) == 0)
			return fb->dir[i];
	}
	return NULL;
}

static void check_compressed_block(const char *dir, size_t *checked)
{
	tc_meta m;
	id_set s;
	const char *none;
	tc_buf file = TC_BUF_INIT, idx = TC_BUF_INIT;
	tc_record *recs;
	tc_bloom *b = NULL;
	size_t per, found = 0;

	CHECK_OK(read_meta(&m, dir));
	none = matching_none(&m);
	if (!none) {
		fprintf(stderr, "note: %s has no matching none block, skipped\n", dir);
		return;
	}
	CHECK_OK(collect_ids(&s, none));
	/* Same traces? Every index record ID of this block must be one of them. */
	CHECK_OK(fixture_read(&idx, dir, "index"));
	per = tc_index_records_per_page(m.index_page_size);
	recs = calloc(m.total_records, sizeof(*recs));
	CHECK(recs && per);
	for (size_t done = 0, pg = 0; done < m.total_records; pg++) {
		size_t cnt = m.total_records - done < per ? m.total_records - done : per;
		tc_where w = { dir, pg * (uint64_t)m.index_page_size };
		CHECK(idx.len >= (pg + 1) * (size_t)m.index_page_size);
		CHECK_OK(tc_index_page_parse(recs + done, cnt, idx.ptr + pg * m.index_page_size,
					     m.index_page_size, &w));
		done += cnt;
	}
	for (size_t r = 0; r < m.total_records; r++)
		for (size_t i = 0; i < s.n; i++)
			if (memcmp(recs[r].id, s.ids[i], TC_ID_LEN) == 0) {
				found++;
				break;
			}
	free(recs);
	if (found != m.total_records) {
		fprintf(stderr, "note: %s holds other traces than %s, skipped\n", dir, none);
		goto cleanup;
	}
	for (size_t i = 0; i < s.n; i++) {
		char name[32];
		int present = 0;
		tc_where w = { dir, 0 };

		snprintf(name, sizeof(name), "bloom-%u",
			 (unsigned)tc_bloom_shard_of(s.ids[i], TC_ID_LEN, m.bloom_shards));
		CHECK_OK(fixture_read(&file, dir, name));
		CHECK_OK(tc_bloom_file_test(&present, file.ptr, file.len, s.ids[i], TC_ID_LEN, &w));
		CHECK_MSG(present, "%s: ID %zu of %s not in its bloom", dir, i, none);
	}
	/* Same IDs, same parameters: our filter equals this block's too. */
	CHECK_OK(tc_bloom_new(&b, m.level ? 600 : (uint64_t)m.total_objects, FIX_FP, FIX_SHARD_SIZE));
	CHECK_EQ_U64(tc_bloom_shard_count(b), m.bloom_shards);
	for (size_t i = 0; i < s.n; i++)
		tc_bloom_add(b, s.ids[i], TC_ID_LEN);
	for (uint16_t sh = 0; sh < m.bloom_shards; sh++) {
		char name[32];
		snprintf(name, sizeof(name), "bloom-%u", (unsigned)sh);
		CHECK_OK(fixture_read(&file, dir, name));
		tc_buf_clear(&idx);
		CHECK_OK(tc_bloom_write_shard(&idx, b, sh));
		CHECK_MSG(idx.len == file.len && memcmp(idx.ptr, file.ptr, file.len) == 0,
			  "%s/%s: our bloom differs from Tempo's", dir, name);
	}
	(*checked)++;
cleanup:
	tc_bloom_free(b);
	free(s.ids);
	tc_buf_dispose(&file);
	tc_buf_dispose(&idx);
}

static void test_compressed_sets_present(void)
{
	const fixture_blocks *fb = fixture_blocks_all();
	size_t checked = 0;

	for (size_t i = 0; i < fb->n; i++) {
		int before = tc_test_failures;
		if (is_none_set(fb->dir[i]) || strstr(fb->dir[i], "tempo-repo-fake"))
			continue;
		check_compressed_block(fb->dir[i], &checked);
		CHECK_MSG(tc_test_failures == before, "block %s failed", fb->dir[i]);
	}
	/* zstd, snappy, gzip, lz4-1M: 4 blocks + 1 compacted each */
	CHECK_EQ_U64(checked, 20);
}

/* docs/FORMAT.md#bloom-filters and #the-fake-block. */
static void test_worked_example(void)
{
	static const uint8_t id[16] = { 0x0c, 0xdb, 0x24, 0xe0, 0x4e, 0x57, 0x8d, 0x7f,
					0x37, 0x7c, 0x0c, 0xa5, 0x00, 0x0d, 0xf5, 0x58 };
	const char *dir = tc_test_data(
		"tempo-v2/tempo-repo-fake/blocks/fake/4cd3c468-6398-481b-b5ec-de56d1048427");
	tc_buf file = TC_BUF_INIT, ours = TC_BUF_INIT;
	tc_where w = { "fake/bloom-0", 0 };
	tc_bloom *b = NULL;
	int present = 0;

	CHECK_EQ_U64(tc_fnv1_32(id, 16), 0x252d3179);
	CHECK_EQ_U64(tc_bloom_shard_of(id, 16, 1), 0);
	CHECK_OK(fixture_read(&file, dir, "bloom-0"));
	CHECK_EQ_U64(file.len, 10024);
	CHECK_OK(tc_bloom_file_test(&present, file.ptr, file.len, id, 16, &w));
	CHECK(present);
	CHECK_EQ_U64(file.ptr[4852], 0x08);
	/* The same ID alone in a filter of the fake's shape sets exactly its 7 bits. */
	CHECK_OK(tc_bloom_new(&b, 10, FIX_FP, 10000));
	CHECK_EQ_U64(tc_bloom_shard_count(b), 1);
	tc_bloom_add(b, id, 16);
	CHECK_OK(tc_bloom_write_shard(&ours, b, 0));
	CHECK_EQ_U64(ours.len, 10024);
	CHECK(memcmp(ours.ptr, file.ptr, 24) == 0);
	{
		static const unsigned bits[7] = { 38619, 75591, 55175, 50238, 74775, 77087, 56671 };
		size_t set = 0;
		for (size_t i = 24; i < ours.len; i++)
			set += (size_t)__builtin_popcount(ours.ptr[i]);
		CHECK_EQ_U64(set, 7);
		for (int i = 0; i < 7; i++) {
			unsigned bit = bits[i];
			size_t byte = 24 + 8 * (bit >> 6) + 7 - ((bit & 63) >> 3);
			CHECK(ours.ptr[byte] & (1u << (bit & 7)));
		}
	}
	CHECK_ERR(tc_bloom_write_shard(&ours, b, 1), TC_EINVALID);
	tc_bloom_free(b);
	tc_buf_dispose(&file);
	tc_buf_dispose(&ours);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void test_corrupt_header(void)
{
	const char *dir = tc_test_data(
		"tempo-v2/tempo-repo-fake/blocks/fake/4cd3c468-6398-481b-b5ec-de56d1048427");
	tc_buf f = TC_BUF_INIT;
	tc_where w = { "fake/4cd3c468/bloom-0", 0 };
	uint8_t id[16] = { 1 };
	int present = 1;

	CHECK_OK(fixture_read(&f, dir, "bloom-0"));
	/* absurd m, same in both fields */
	put_be64(f.ptr, UINT64_MAX);
	put_be64(f.ptr + 16, UINT64_MAX);
	CHECK_ERR(tc_bloom_file_test(&present, f.ptr, f.len, id, 16, &w), TC_ECORRUPT);
	CHECK_ERRMSG("fake/4cd3c468/bloom-0");
	CHECK(!present);
	/* m larger than the file */
	put_be64(f.ptr, 80064);
	put_be64(f.ptr + 16, 80064);
	CHECK_ERR(tc_bloom_file_test(&present, f.ptr, f.len, id, 16, &w), TC_ECORRUPT);
	put_be64(f.ptr, 0);
	put_be64(f.ptr + 16, 0);
	CHECK_ERR(tc_bloom_file_test(&present, f.ptr, f.len, id, 16, &w), TC_ECORRUPT);
	/* m and bitset length disagree */
	put_be64(f.ptr, 80000);
	put_be64(f.ptr + 16, 79999);
	CHECK_ERR(tc_bloom_file_test(&present, f.ptr, f.len, id, 16, &w), TC_ECORRUPT);
	put_be64(f.ptr + 16, 80000);
	/* k = 0 and absurd k */
	put_be64(f.ptr + 8, 0);
	CHECK_ERR(tc_bloom_file_test(&present, f.ptr, f.len, id, 16, &w), TC_ECORRUPT);
	put_be64(f.ptr + 8, (uint64_t)1 << 63);
	CHECK_ERR(tc_bloom_file_test(&present, f.ptr, f.len, id, 16, &w), TC_ECORRUPT);
	put_be64(f.ptr + 8, 7);
	/* truncated */
	CHECK_ERR(tc_bloom_file_test(&present, f.ptr, f.len - 1, id, 16, &w), TC_ECORRUPT);
	CHECK_ERR(tc_bloom_file_test(&present, f.ptr, 23, id, 16, &w), TC_ECORRUPT);
	CHECK_OK(tc_bloom_file_test(&present, f.ptr, f.len, id, 16, &w));
	tc_buf_dispose(&f);
}

static void test_shard_formula(void)
{
	/* docs/FORMAT.md#shard-count examples, S = 102400 */
	static const struct { uint64_t n; uint16_t shards; } cases[] = {
		{ 600, 1 }, { 85467, 2 }, { 1000000, 12 }, { 6000000, 71 }, { 0, 1 },
		{ 1000000000, 1000 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tc_bloom *b = NULL;
		CHECK_OK(tc_bloom_new(&b, cases[i].n, 0.01, 102400));
		CHECK_MSG(tc_bloom_shard_count(b) == cases[i].shards, "n=%llu: %u shards, want %u",
			  (unsigned long long)cases[i].n, tc_bloom_shard_count(b), cases[i].shards);
		tc_bloom_free(b);
	}
	/* legacy blocks without bloomShards use 10 */
	{
		uint8_t id[16] = { 9, 8, 7 };
		CHECK_EQ_U64(tc_bloom_shard_of(id, 16, 0), tc_fnv1_32(id, 16) % 10);
	}
	{
		tc_bloom *b = NULL;
		CHECK_ERR(tc_bloom_new(&b, 10, 0, 100), TC_EINVALID);
		CHECK_ERR(tc_bloom_new(&b, 10, 1, 100), TC_EINVALID);
		CHECK_ERR(tc_bloom_new(&b, 10, 0.01, 0), TC_EINVALID);
		CHECK(b == NULL);
	}
	tc_bloom_free(NULL);
}

static void test_hashes(void)
{
	/* Go hash/fnv test vectors */
	CHECK_EQ_U64(tc_fnv1_32((const uint8_t *)"", 0), 0x811c9dc5);
	CHECK_EQ_U64(tc_fnv1_32((const uint8_t *)"a", 1), 0x050c5d7e);
	CHECK_EQ_U64(tc_fnv1_32((const uint8_t *)"ab", 2), 0x70772d38);
	CHECK_EQ_U64(tc_fnv1a_32((const uint8_t *)"a", 1), 0xe40c292c);
	CHECK_EQ_U64(tc_fnv1a_32((const uint8_t *)"abc", 3), 0x1a47e90b);
	CHECK_EQ_U64(tc_fnv1_64_update(TC_FNV64_INIT, (const uint8_t *)"a", 1), 0xaf63bd4c8601b7beULL);
	CHECK_EQ_U64(tc_fnv1_64_update(tc_fnv1_64_update(TC_FNV64_INIT, (const uint8_t *)"a", 1),
				       (const uint8_t *)"bc", 2),
		     tc_fnv1_64_update(TC_FNV64_INIT, (const uint8_t *)"abc", 3));
	CHECK_EQ_U64(tc_fnv1_64_update(TC_FNV64_INIT, (const uint8_t *)"abc", 3), 0xd8dcca186bafadcbULL);
	CHECK_EQ_U64(tc_xxh64((const uint8_t *)"", 0), 0xef46db3751d8e999ULL);
}

TC_TEST_MAIN(T(test_hashes), T(test_worked_example), T(test_shard_formula),
	     T(test_corrupt_header), T(test_none_blooms_identical), T(test_compressed_sets_present))
