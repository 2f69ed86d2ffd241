/* index: read every fixture index page by page and rebuild it byte for byte. */
#include "tests/test.h"

#include <stdlib.h>

#include "encoding/index.h"
#include "encoding/meta.h"
#include "tests/unit/fixture_blocks.h"

static int read_meta(tc_meta *m, const char *dir)
{
	tc_buf b = TC_BUF_INIT;
	int r = fixture_read(&b, dir, fixture_has(dir, "meta.json") ? "meta.json" : "meta.compacted.json");
	if (r == 0)
		r = tc_meta_parse(m, (const char *)b.ptr, b.len, &(tc_where){ dir, 0 });
	tc_buf_dispose(&b);
	return r;
}

/* Parses the whole index of n records into recs, page by page as a reader does. */
static int parse_index(tc_record *recs, size_t n, const uint8_t *file, size_t len,
		       uint32_t page_size, const char *key)
{
	size_t per = tc_index_records_per_page(page_size);
	size_t pages = tc_index_page_count(n, page_size);

	if (per == 0 || len < pages * (size_t)page_size) {
		tc_error_set("%s: index of %zu bytes is too short", key, len);
		return TC_ECORRUPT;
	}
	for (size_t pg = 0, done = 0; pg < pages; pg++) {
		size_t cnt = n - done < per ? n - done : per;
		tc_where w = { key, (uint64_t)pg * page_size };
		int r = tc_index_page_parse(recs + done, cnt, file + pg * (size_t)page_size,
					    page_size, &w);
		if (r < 0)
			return r;
		done += cnt;
	}
	return TC_OK;
}

static void check_block(const char *dir)
{
	tc_buf idx = TC_BUF_INIT, out = TC_BUF_INIT;
	tc_record *recs = NULL;
	uint64_t off = 0;
	tc_meta m;

	CHECK_OK(read_meta(&m, dir));
	CHECK_OK(fixture_read(&idx, dir, "index"));
	CHECK(m.total_records > 0);
	CHECK_EQ_U64(idx.len, tc_index_page_count(m.total_records, m.index_page_size) *
				      (uint64_t)m.index_page_size);
	recs = calloc(m.total_records, sizeof(*recs));
	CHECK(recs);
	CHECK_OK(parse_index(recs, m.total_records, idx.ptr, idx.len, m.index_page_size, dir));
	/* Records describe contiguous pages covering the data file; the last ID is maxID. */
	for (size_t i = 0; i < m.total_records; i++) {
		CHECK_EQ_U64(recs[i].start, off);
		CHECK(recs[i].length > TC_PAGE_HEADER_LEN);
		off += recs[i].length;
		if (i)
			CHECK(memcmp(recs[i - 1].id, recs[i].id, TC_ID_LEN) < 0);
	}
	CHECK_EQ_U64(off, m.size);
	CHECK(memcmp(recs[m.total_records - 1].id, m.max_id, TC_ID_LEN) == 0);
	/* One record more than the meta says lands on zero padding. */
	if (m.total_records % tc_index_records_per_page(m.index_page_size) != 0) {
		size_t last = (m.total_records - 1) / tc_index_records_per_page(m.index_page_size);
		size_t in_last = m.total_records - last * tc_index_records_per_page(m.index_page_size);
		tc_where w = { dir, last * (uint64_t)m.index_page_size };
		tc_record *tmp = calloc(in_last + 1, sizeof(*tmp));
		CHECK(tmp);
		CHECK_ERR(tc_index_page_parse(tmp, in_last + 1,
					      idx.ptr + last * (size_t)m.index_page_size,
					      m.index_page_size, &w), TC_ECORRUPT);
		free(tmp);
	}
	CHECK_OK(tc_index_write(&out, recs, m.total_records, m.index_page_size));
	CHECK_MSG(out.len == idx.len && memcmp(out.ptr, idx.ptr, idx.len) == 0,
		  "%s: rebuilt index differs from Tempo's", dir);
	free(recs);
	tc_buf_dispose(&idx);
	tc_buf_dispose(&out);
}

static void test_fixture_indexes(void)
{
	const fixture_blocks *fb = fixture_blocks_all();
	size_t checked = 0;

	for (size_t i = 0; i < fb->n; i++) {
		int before = tc_test_failures;
		check_block(fb->dir[i]);
		CHECK_MSG(tc_test_failures == before, "block %s failed", fb->dir[i]);
		checked++;
	}
	CHECK_EQ_U64(checked, 26);
}

/* docs/FORMAT.md#the-fake-block: Tempo's fake block, one 1000-byte page with two records. */
static void test_fake_worked_example(void)
{
	const char *dir = tc_test_data(
		"tempo-v2/tempo-repo-fake/blocks/fake/4cd3c468-6398-481b-b5ec-de56d1048427");
	tc_buf idx = TC_BUF_INIT;
	tc_record r[2];
	tc_where w = { "fake/4cd3c468/index", 0 };

	CHECK_OK(fixture_read(&idx, dir, "index"));
	CHECK_EQ_U64(tc_index_records_per_page(1000), 35);
	CHECK_EQ_U64(tc_get_u64le(idx.ptr + 6), 0x8225cdc5ec7a0856ULL);
	CHECK_OK(tc_index_page_parse(r, 2, idx.ptr, idx.len, &w));
	CHECK_EQ_U64(r[0].id[0], 0x5b);
	CHECK_EQ_U64(r[0].start, 0);
	CHECK_EQ_U64(r[0].length, 533);
	CHECK_EQ_U64(r[1].start, 533);
	CHECK_EQ_U64(r[1].length, 590);
	tc_buf_dispose(&idx);
}

static void test_corruption(void)
{
	const char *dir = tc_test_data(
		"tempo-v2/tempo-repo-fake/blocks/fake/4cd3c468-6398-481b-b5ec-de56d1048427");
	tc_buf idx = TC_BUF_INIT;
	tc_record r[3];
	tc_where w = { "fake/4cd3c468/index", 0 };

	CHECK_OK(fixture_read(&idx, dir, "index"));
	/* a flipped bit anywhere after the header, padding included */
	for (size_t at = 14; at < idx.len; at += 97) {
		idx.ptr[at] ^= 0x04;
		CHECK_ERR(tc_index_page_parse(r, 2, idx.ptr, idx.len, &w), TC_ECORRUPT);
		CHECK_ERRMSG("fake/4cd3c468/index at offset 0");
		CHECK_ERRMSG("checksum");
		idx.ptr[at] ^= 0x04;
	}
	/* a flipped checksum byte */
	idx.ptr[9] ^= 0x80;
	CHECK_ERR(tc_index_page_parse(r, 2, idx.ptr, idx.len, &w), TC_ECORRUPT);
	idx.ptr[9] ^= 0x80;
	/* page length field: too large, too small */
	tc_put_u32le(idx.ptr, 1001);
	CHECK_ERR(tc_index_page_parse(r, 2, idx.ptr, idx.len, &w), TC_ECORRUPT);
	CHECK_ERRMSG("length 1001");
	tc_put_u32le(idx.ptr, UINT32_MAX);
	CHECK_ERR(tc_index_page_parse(r, 2, idx.ptr, idx.len, &w), TC_ECORRUPT);
	tc_put_u32le(idx.ptr, 999);
	CHECK_ERR(tc_index_page_parse(r, 2, idx.ptr, idx.len, &w), TC_ECORRUPT);
	tc_put_u32le(idx.ptr, 1000);
	/* header length other than 8 */
	idx.ptr[4] = 0;
	CHECK_ERR(tc_index_page_parse(r, 2, idx.ptr, idx.len, &w), TC_ECORRUPT);
	idx.ptr[4] = 8;
	/* meta claims 3 records: the third is zero padding */
	CHECK_ERR(tc_index_page_parse(r, 3, idx.ptr, idx.len, &w), TC_ECORRUPT);
	CHECK_ERRMSG("at offset 70"); /* 14 + 2 * 28 */
	CHECK_OK(tc_index_page_parse(r, 2, idx.ptr, idx.len, &w));
	/* more records than a page holds is the caller's mistake */
	CHECK_ERR(tc_index_page_parse(r, 36, idx.ptr, idx.len, &w), TC_EINVALID);
	tc_buf_dispose(&idx);
}

static void test_multi_page(void)
{
	tc_record recs[10], back[10];
	tc_buf out = TC_BUF_INIT;
	const uint32_t ps = 100; /* 3 records a page, 2 bytes of padding */

	for (int i = 0; i < 10; i++) {
		memset(recs[i].id, 0, TC_ID_LEN);
		recs[i].id[15] = (uint8_t)(i + 1);
		recs[i].start = (uint64_t)i * 1000 + 0x100000000ULL;
		recs[i].length = 1000;
	}
	CHECK_EQ_U64(tc_index_records_per_page(ps), 3);
	CHECK_EQ_U64(tc_index_page_count(10, ps), 4);
	CHECK_EQ_U64(tc_index_page_count(9, ps), 3);
	CHECK_EQ_U64(tc_index_page_count(0, ps), 0);
	CHECK_OK(tc_index_write(&out, recs, 10, ps));
	CHECK_EQ_U64(out.len, 400);
	CHECK_OK(parse_index(back, 10, out.ptr, out.len, ps, "t/b/index"));
	for (int i = 0; i < 10; i++) {
		CHECK(memcmp(back[i].id, recs[i].id, TC_ID_LEN) == 0);
		CHECK_EQ_U64(back[i].start, recs[i].start);
		CHECK_EQ_U64(back[i].length, recs[i].length);
	}
	/* last page: one record then zeros */
	for (size_t at = 300 + 14 + 28; at < 400; at++)
		CHECK(out.ptr[at] == 0);
	/* an error in the third page names its offset */
	out.ptr[250] ^= 1;
	CHECK_ERR(parse_index(back, 10, out.ptr, out.len, ps, "t/b/index"), TC_ECORRUPT);
	CHECK_ERRMSG("t/b/index at offset 200");
	tc_buf_dispose(&out);
}

static void test_write_limits(void)
{
	tc_buf out = TC_BUF_INIT;
	tc_record r;

	memset(&r, 1, sizeof(r));
	CHECK_EQ_U64(tc_index_records_per_page(41), 0);
	CHECK_EQ_U64(tc_index_records_per_page(42), 1);
	CHECK_EQ_U64(tc_index_records_per_page(256000), 9142);
	CHECK_ERR(tc_index_write(&out, &r, 1, 41), TC_EINVALID);
	CHECK_OK(tc_index_write(&out, &r, 0, 256000));
	CHECK_EQ_U64(out.len, 0);
	CHECK_OK(tc_index_write(&out, &r, 1, 42));
	CHECK_EQ_U64(out.len, 42);
	/* a capped buffer refuses instead of growing */
	tc_buf_dispose(&out);
	tc_buf_init(&out, 1000);
	CHECK_ERR(tc_index_write(&out, &r, 1, 256000), TC_ELIMIT);
	tc_buf_dispose(&out);
}

TC_TEST_MAIN(T(test_fixture_indexes), T(test_fake_worked_example), T(test_corruption),
	     T(test_multi_page), T(test_write_limits))
