/* Data page and object framing (docs/FORMAT.md#data-pages, #objects). */
#include "tests/test.h"

#include "encoding/page.h"

static const tc_where W = { "t/b/data", 4096 };

static void put32(uint8_t *p, uint32_t v)
{
	tc_put_u32le(p, v);
}

static void test_page_roundtrip(void)
{
	tc_buf b = TC_BUF_INIT;
	const uint8_t payload[] = "hello page";
	const uint8_t *pl;
	size_t page_len, pl_len;
	uint8_t hdr[TC_PAGE_HEADER_LEN];

	CHECK_OK(tc_page_write(&b, payload, 10));
	CHECK_EQ_U64(b.len, 16);
	CHECK(memcmp(b.ptr, "\x10\x00\x00\x00\x00\x00hello page", 16) == 0);
	CHECK_OK(tc_page_parse(&page_len, &pl, &pl_len, b.ptr, b.len, &W));
	CHECK_EQ_U64(page_len, 16);
	CHECK_EQ_U64(pl_len, 10);
	CHECK(pl == b.ptr + 6);
	/* A page followed by more bytes: only its own length is taken. */
	CHECK_OK(tc_buf_put(&b, "xyz", 3));
	CHECK_OK(tc_page_parse(&page_len, &pl, &pl_len, b.ptr, b.len, &W));
	CHECK_EQ_U64(page_len, 16);
	/* Empty payload is a valid frame. */
	CHECK_OK(tc_page_header(hdr, 0));
	CHECK(memcmp(hdr, "\x06\x00\x00\x00\x00\x00", 6) == 0);
	CHECK_OK(tc_page_parse(&page_len, &pl, &pl_len, hdr, 6, &W));
	CHECK_EQ_U64(pl_len, 0);
	tc_buf_dispose(&b);
}

static void test_page_errors(void)
{
	uint8_t p[32] = { 0 };
	const uint8_t *pl;
	size_t page_len, pl_len;

	/* length beyond what is available */
	put32(p, 33);
	CHECK_ERR(tc_page_parse(&page_len, &pl, &pl_len, p, 32, &W), TC_ECORRUPT);
	CHECK_ERRMSG("t/b/data at offset 4096");
	/* 4 GiB - 1 length */
	put32(p, UINT32_MAX);
	CHECK_ERR(tc_page_parse(&page_len, &pl, &pl_len, p, 32, &W), TC_ECORRUPT);
	/* below the header size */
	put32(p, 5);
	CHECK_ERR(tc_page_parse(&page_len, &pl, &pl_len, p, 32, &W), TC_ECORRUPT);
	put32(p, 0);
	CHECK_ERR(tc_page_parse(&page_len, &pl, &pl_len, p, 32, &W), TC_ECORRUPT);
	/* data pages have header length 0 */
	put32(p, 20);
	p[4] = 8;
	CHECK_ERR(tc_page_parse(&page_len, &pl, &pl_len, p, 32, &W), TC_ECORRUPT);
	CHECK_ERRMSG("header length");
	p[4] = 0;
	/* truncated header */
	CHECK_ERR(tc_page_parse(&page_len, &pl, &pl_len, p, 5, &W), TC_ECORRUPT);
	CHECK_ERR(tc_page_parse(&page_len, &pl, &pl_len, p, 0, &W), TC_ECORRUPT);
	CHECK_OK(tc_page_parse(&page_len, &pl, &pl_len, p, 20, &W));
	CHECK_EQ_U64(pl_len, 14);
}

static void test_object_roundtrip(void)
{
	tc_buf b = TC_BUF_INIT;
	uint8_t id1[16], id2[16];
	tc_object o;
	size_t pos = 0;

	memset(id1, 0x11, 16);
	memset(id2, 0x22, 16);
	CHECK_OK(tc_object_write(&b, id1, 16, (const uint8_t *)"body", 4));
	CHECK_OK(tc_object_write(&b, id2, 16, NULL, 0)); /* empty body */
	CHECK_EQ_U64(b.len, tc_object_size(16, 4) + tc_object_size(16, 0));
	CHECK_EQ_U64(tc_get_u32le(b.ptr), 28);
	CHECK_EQ_U64(tc_get_u32le(b.ptr + 4), 16);
	CHECK_EQ_U64(tc_object_next(&o, b.ptr, b.len, &pos, &W), 1);
	CHECK(memcmp(o.id, id1, 16) == 0 && o.id_len == 16);
	CHECK(o.body_len == 4 && memcmp(o.body, "body", 4) == 0);
	CHECK_EQ_U64(pos, 28);
	CHECK_EQ_U64(tc_object_next(&o, b.ptr, b.len, &pos, &W), 1);
	CHECK(memcmp(o.id, id2, 16) == 0);
	CHECK_EQ_U64(o.body_len, 0);
	CHECK_EQ_U64(tc_object_next(&o, b.ptr, b.len, &pos, &W), 0);
	CHECK_EQ_U64(tc_object_next(&o, b.ptr, b.len, &pos, &W), 0);
	/* empty buffer: end at once */
	pos = 0;
	CHECK_EQ_U64(tc_object_next(&o, b.ptr, 0, &pos, &W), 0);
	tc_buf_dispose(&b);
}

static void test_object_errors(void)
{
	uint8_t p[64] = { 0 };
	tc_object o;
	size_t pos;

	/* objTotal runs past the buffer */
	put32(p, 41);
	put32(p + 4, 16);
	pos = 0;
	CHECK_ERR(tc_object_next(&o, p, 40, &pos, &W), TC_ECORRUPT);
	CHECK_ERRMSG("t/b/data at offset 4096");
	CHECK_ERRMSG("position 0");
	CHECK_EQ_U64(pos, 0);
	/* 4 GiB length */
	put32(p, UINT32_MAX);
	CHECK_ERR(tc_object_next(&o, p, 64, &pos, &W), TC_ECORRUPT);
	/* zero-length object must not loop forever */
	put32(p, 0);
	CHECK_ERR(tc_object_next(&o, p, 64, &pos, &W), TC_ECORRUPT);
	/* too small for header + 16-byte ID */
	put32(p, 23);
	CHECK_ERR(tc_object_next(&o, p, 64, &pos, &W), TC_ECORRUPT);
	/* idLen != 16 */
	put32(p, 32);
	put32(p + 4, 8);
	CHECK_ERR(tc_object_next(&o, p, 64, &pos, &W), TC_ECORRUPT);
	CHECK_ERRMSG("ID length 8");
	put32(p + 4, UINT32_MAX);
	CHECK_ERR(tc_object_next(&o, p, 64, &pos, &W), TC_ECORRUPT);
	/* a good object, then a truncated header: the error names its position */
	put32(p, 32);
	put32(p + 4, 16);
	CHECK_EQ_U64(tc_object_next(&o, p, 37, &pos, &W), 1);
	CHECK_EQ_U64(pos, 32);
	CHECK_ERR(tc_object_next(&o, p, 37, &pos, &W), TC_ECORRUPT);
	CHECK_ERRMSG("position 32");
	/* a position past the end is an error, not an end */
	pos = 50;
	CHECK_ERR(tc_object_next(&o, p, 40, &pos, &W), TC_ECORRUPT);
}

static void test_limits(void)
{
	uint8_t hdr[TC_PAGE_HEADER_LEN];
	tc_buf b = TC_BUF_INIT;

	CHECK_OK(tc_page_header(hdr, (size_t)UINT32_MAX - 6));
	CHECK_EQ_U64(tc_get_u32le(hdr), UINT32_MAX);
	CHECK_ERR(tc_page_header(hdr, (size_t)UINT32_MAX - 5), TC_ELIMIT);
	/* an object too large for its u32 length is refused before copying */
	CHECK_ERR(tc_object_write(&b, hdr, 16, hdr, (size_t)UINT32_MAX), TC_ELIMIT);
	CHECK_EQ_U64(b.len, 0);
	tc_buf_dispose(&b);
}

/* docs/FORMAT.md#decompression-caps: each term of the formula, and where it saturates. */
static void test_page_cap(void)
{
	tc_page_limits l;
	tc_page_cap c;

	tc_page_limits_default(&l);
	CHECK_EQ_U64(l.index_downsample_bytes, 1048576);
	CHECK_EQ_U64(l.max_bytes_per_trace, 5000000);
	CHECK_EQ_U64(l.max_page_ratio, 16);
	CHECK_EQ_U64(l.max_page_bytes, (uint64_t)1 << 30);

	/* A 48 KB page: the writers' limits, 1048576 + 5000000 + 1250000. */
	tc_page_cap_of(&c, &l, 48000);
	CHECK_EQ_U64(c.bytes, 7298576);
	CHECK_STR(c.why, "storage.trace.block.index_downsample_bytes 1048576 + 1.25 x max_bytes_per_trace 5000000");
	/* Up to where the ratio takes over, the floor holds; then 16 bytes per page byte. */
	tc_page_cap_of(&c, &l, 7298576 / 16);
	CHECK_EQ_U64(c.bytes, 7298576);
	tc_page_cap_of(&c, &l, 7298576 / 16 + 1);
	CHECK_EQ_U64(c.bytes, 16 * (7298576 / 16 + 1));
	tc_page_cap_of(&c, &l, 2000000);
	CHECK_EQ_U64(c.bytes, 32000000);
	CHECK_STR(c.why, "storage.trace.block.max_page_ratio 16 x the page's 2000000 bytes");
	/* The hard cap bounds both terms. */
	tc_page_cap_of(&c, &l, 100000000);
	CHECK_EQ_U64(c.bytes, (uint64_t)1 << 30);
	CHECK_STR(c.why, "storage.trace.block.max_page_bytes");

	/* Unlimited traces: only the hard cap. */
	l.max_bytes_per_trace = 0;
	tc_page_cap_of(&c, &l, 48000);
	CHECK_EQ_U64(c.bytes, (uint64_t)1 << 30);
	CHECK_STR(c.why, "storage.trace.block.max_page_bytes");

	/* Other limits move the floor; no ratio allowance leaves it alone. */
	l.max_bytes_per_trace = 200;
	l.index_downsample_bytes = 4096;
	l.max_page_ratio = 0;
	tc_page_cap_of(&c, &l, 1u << 30);
	CHECK_EQ_U64(c.bytes, 4096 + 250);

	/* No overflow: every sum and product saturates, then the hard cap applies. */
	l.max_bytes_per_trace = UINT64_MAX;
	l.index_downsample_bytes = UINT64_MAX;
	l.max_page_bytes = UINT64_MAX - 1;
	tc_page_cap_of(&c, &l, 48000);
	CHECK_EQ_U64(c.bytes, UINT64_MAX - 1);
	l.max_bytes_per_trace = 1;
	l.index_downsample_bytes = 0;
	l.max_page_ratio = UINT64_MAX / 2;
	tc_page_cap_of(&c, &l, 3);
	CHECK_EQ_U64(c.bytes, UINT64_MAX - 1);
	CHECK_STR(c.why, "storage.trace.block.max_page_bytes");
}

TC_TEST_MAIN(T(test_page_roundtrip), T(test_page_errors), T(test_object_roundtrip),
	     T(test_object_errors), T(test_limits), T(test_page_cap))
