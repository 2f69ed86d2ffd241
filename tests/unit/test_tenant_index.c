/* <tenant>/index.json.gz: parse Tempo's, write it back, parse again; reject garbage. */
#include "tests/test.h"

#include <stdlib.h>
#include <zlib.h>

#include "encoding/tenant_index.h"

#define ZSTD_INDEX "tempo-v2/zstd-tempo-compacted/blocks/single-tenant/index.json.gz"

static const char META_A[] =
	"{\"format\":\"v2\",\"blockID\":\"bd0e9980-3783-4776-ae16-4ecb3f67945d\","
	"\"minID\":\"AEAky2WkmqPVYmtnGzESPQ==\",\"maxID\":\"/vHu9g2dKQ5ezU25s4m0sw==\","
	"\"tenantID\":\"single-tenant\",\"startTime\":\"2026-11-25T05:25:31Z\","
	"\"endTime\":\"2026-11-25T03:25:37Z\",\"totalObjects\":150,\"size\":130640,"
	"\"compactionLevel\":0,\"encoding\":\"zstd\",\"indexPageSize\":256000,\"totalRecords\":1,"
	"\"dataEncoding\":\"v2\",\"bloomShards\":1,\"footerSize\":0}";

/* Decompresses with plain zlib, independent of the code under test. */
static int gunzip_all(tc_buf *out, const uint8_t *gz, size_t len)
{
	z_stream zs;
	uint8_t tmp[65536];
	int zr;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return -1;
	zs.next_in = (Bytef *)gz;
	zs.avail_in = (uInt)len;
	do {
		zs.next_out = tmp;
		zs.avail_out = sizeof(tmp);
		zr = inflate(&zs, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			inflateEnd(&zs);
			return -1;
		}
		tc_buf_put(out, tmp, sizeof(tmp) - zs.avail_out);
	} while (zr != Z_STREAM_END);
	inflateEnd(&zs);
	return 0;
}

static int same_meta(const tc_meta *a, const tc_meta *b)
{
	tc_buf x = TC_BUF_INIT, y = TC_BUF_INIT;
	int same = tc_meta_write(&x, a, 1) == 0 && tc_meta_write(&y, b, 1) == 0 &&
		   x.len == y.len && memcmp(x.ptr, y.ptr, x.len) == 0 &&
		   a->compacted == b->compacted;
	tc_buf_dispose(&x);
	tc_buf_dispose(&y);
	return same;
}

static void test_fixture_roundtrip(void)
{
	tc_buf gz = TC_BUF_INIT, ours = TC_BUF_INIT, json = TC_BUF_INIT, ours_json = TC_BUF_INIT;
	tc_tenant_index ti, again;

	CHECK_OK(tc_test_read_file(&gz, tc_test_data(ZSTD_INDEX)));
	CHECK_OK(tc_tenant_index_parse(&ti, gz.ptr, gz.len, &(tc_where){ "single-tenant/index.json.gz", 0 }));
	CHECK_EQ_U64(ti.n_live, 4);
	CHECK_EQ_U64(ti.n_compacted, 0);
	CHECK_EQ_U64(ti.created_at.sec, 1795584331);
	CHECK_EQ_U64(ti.created_at.nsec, 174019812);
	CHECK_STR(ti.live[0].block_id, "bd0e9980-3783-4776-ae16-4ecb3f67945d");
	CHECK_STR(ti.live[3].block_id, "a9699e76-e822-4d13-850a-655048c517e4");
	CHECK(ti.live[2].encoding == TC_ENC_ZSTD);
	CHECK_EQ_U64(ti.live[2].size, 140893);

	CHECK_OK(tc_tenant_index_write(&ours, &ti.created_at, ti.live, ti.n_live, ti.compacted,
				       ti.n_compacted));
	/* gzip header as Tempo writes it: FNAME index.json, MTIME quirk, OS 0xff */
	CHECK(ours.len > 21 && memcmp(ours.ptr, "\x1f\x8b\x08\x08\x00\x09\x6e\x88\x00\xff"
					       "index.json\0", 21) == 0);
	/* the JSON inside is Tempo's, byte for byte (same input order, all startTimes equal) */
	CHECK(gunzip_all(&json, gz.ptr, gz.len) == 0);
	CHECK(gunzip_all(&ours_json, ours.ptr, ours.len) == 0);
	CHECK_MSG(json.len == ours_json.len && memcmp(json.ptr, ours_json.ptr, json.len) == 0,
		  "JSON differs:\n  tempo: %.*s\n  ours:  %.*s", (int)json.len, (char *)json.ptr,
		  (int)ours_json.len, (char *)ours_json.ptr);

	CHECK_OK(tc_tenant_index_parse(&again, ours.ptr, ours.len, &(tc_where){ "again", 0 }));
	CHECK_EQ_U64(again.n_live, ti.n_live);
	CHECK_EQ_U64(again.n_compacted, ti.n_compacted);
	CHECK(tc_time_cmp(&again.created_at, &ti.created_at) == 0);
	for (size_t i = 0; i < ti.n_live; i++)
		CHECK(same_meta(&again.live[i], &ti.live[i]));
	tc_tenant_index_dispose(&ti);
	tc_tenant_index_dispose(&again);
	tc_buf_dispose(&gz);
	tc_buf_dispose(&ours);
	tc_buf_dispose(&json);
	tc_buf_dispose(&ours_json);
}

/* Every fixture tenant index parses. */
static void test_all_fixture_indexes(void)
{
	static const char *const sets[] = { "zstd", "snappy", "none", "gzip", "lz4-1M" };
	for (size_t i = 0; i < 5; i++) {
		char rel[256];
		tc_buf gz = TC_BUF_INIT;
		tc_tenant_index ti;

		snprintf(rel, sizeof(rel),
			 "tempo-v2/%s-tempo-compacted/blocks/single-tenant/index.json.gz",
			 sets[i]);
		CHECK_OK(tc_test_read_file(&gz, tc_test_data(rel)));
		CHECK_OK(tc_tenant_index_parse(&ti, gz.ptr, gz.len, &(tc_where){ rel, 0 }));
		CHECK_EQ_U64(ti.n_live, 4);
		tc_tenant_index_dispose(&ti);
		tc_buf_dispose(&gz);
	}
}

static void test_sort_and_compacted(void)
{
	tc_meta live[3], comp[2];
	tc_time now = tc_time_from_unix(1800000000, 5);
	tc_buf gz = TC_BUF_INIT, json = TC_BUF_INIT;
	tc_tenant_index ti;

	for (int i = 0; i < 3; i++)
		CHECK_OK(tc_meta_parse(&live[i], META_A, strlen(META_A), NULL));
	live[0].start.sec += 100; /* sorts last */
	live[1].total_objects = 1;  /* ties keep their order: 1 before 2 */
	live[2].total_objects = 2;
	for (int i = 0; i < 2; i++) {
		CHECK_OK(tc_meta_parse(&comp[i], META_A, strlen(META_A), NULL));
		comp[i].compacted = 1;
		comp[i].compacted_time = tc_time_from_unix(1800000000 + i, 0);
	}
	comp[0].start.sec += 1;
	CHECK_OK(tc_tenant_index_write(&gz, &now, live, 3, comp, 2));
	CHECK(gunzip_all(&json, gz.ptr, gz.len) == 0);
	CHECK_OK(tc_buf_cstr(&json));
	CHECK(strncmp((char *)json.ptr, "{\"created_at\":\"2027-01-15T08:00:00.000000005Z\","
				       "\"meta\":[{", 56) == 0);
	CHECK(strstr((char *)json.ptr, "\"footerSize\":0,\"compactedTime\":\"2027-01-15T08:00:01Z\"}"));
	CHECK(strstr((char *)json.ptr, "}],\"compacted\":[{") != NULL);
	CHECK_OK(tc_tenant_index_parse(&ti, gz.ptr, gz.len, &(tc_where){ "t", 0 }));
	CHECK_EQ_U64(ti.n_live, 3);
	CHECK_EQ_U64(ti.live[0].total_objects, 1);
	CHECK_EQ_U64(ti.live[1].total_objects, 2);
	CHECK_EQ_U64(ti.live[2].start.sec, live[0].start.sec);
	CHECK(!ti.live[0].compacted);
	CHECK_EQ_U64(ti.n_compacted, 2);
	CHECK(ti.compacted[0].compacted && ti.compacted[1].compacted);
	CHECK_EQ_U64(ti.compacted[0].compacted_time.sec, 1800000001); /* comp[1] first */
	CHECK_EQ_U64(ti.compacted[1].compacted_time.sec, 1800000000);
	tc_tenant_index_dispose(&ti);
	tc_buf_clear(&gz);
	tc_buf_clear(&json);
	/* empty lists are [] */
	CHECK_OK(tc_tenant_index_write(&gz, &now, NULL, 0, NULL, 0));
	CHECK(gunzip_all(&json, gz.ptr, gz.len) == 0);
	{
		static const char want[] = "{\"created_at\":\"2027-01-15T08:00:00.000000005Z\","
					   "\"meta\":[],\"compacted\":[]}";
		CHECK(json.len == strlen(want) && memcmp(json.ptr, want, json.len) == 0);
	}
	CHECK_OK(tc_tenant_index_parse(&ti, gz.ptr, gz.len, &(tc_where){ "t", 0 }));
	CHECK(ti.n_live == 0 && ti.n_compacted == 0);
	tc_tenant_index_dispose(&ti);
	tc_buf_dispose(&gz);
	tc_buf_dispose(&json);
}

static int gzip_str(tc_buf *out, const char *s)
{
	z_stream zs;
	uint8_t tmp[65536];

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	zs.next_in = (Bytef *)s;
	zs.avail_in = (uInt)strlen(s);
	zs.next_out = tmp;
	zs.avail_out = sizeof(tmp);
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		return -1;
	tc_buf_put(out, tmp, sizeof(tmp) - zs.avail_out);
	deflateEnd(&zs);
	return 0;
}

static void expect_json_err(const char *json, int code)
{
	tc_buf gz = TC_BUF_INIT;
	tc_tenant_index ti;

	CHECK(gzip_str(&gz, json) == 0);
	CHECK_ERR(tc_tenant_index_parse(&ti, gz.ptr, gz.len, &(tc_where){ "t9/index.json.gz", 0 }), code);
	CHECK_ERRMSG("t9/index.json.gz");
	CHECK(ti.live == NULL && ti.compacted == NULL);
	tc_buf_dispose(&gz);
}

/* One-shot gzip of src with the writer's parameters, independent of the code under test. */
static int gzip_once(tc_buf *out, const uint8_t *src, size_t len)
{
	z_stream zs;
	gz_header hdr;
	int zr;

	memset(&zs, 0, sizeof(zs));
	memset(&hdr, 0, sizeof(hdr));
	if (deflateInit2(&zs, 5, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	hdr.name = (Bytef *)"index.json";
	hdr.time = 0x886e0900UL;
	hdr.os = 255;
	deflateSetHeader(&zs, &hdr);
	if (tc_buf_reserve(out, deflateBound(&zs, len) + 64) < 0) {
		deflateEnd(&zs);
		return -1;
	}
	zs.next_in = (Bytef *)src;
	zs.avail_in = (uInt)len;
	zs.next_out = out->ptr;
	zs.avail_out = (uInt)(out->cap ? out->cap : deflateBound(&zs, len) + 64);
	zr = deflate(&zs, Z_FINISH);
	out->len = zs.total_out;
	deflateEnd(&zs);
	return zr == Z_STREAM_END ? 0 : -1;
}

/*
 * 3,000 blocks (~1.5 MB of JSON) go through the streaming writer in many
 * chunks: the bytes are those of one gzip of the whole JSON, and it parses
 * back to the same blocks in startTime order.
 */
static void test_streamed_large_index(void)
{
	enum { N = 3000 };
	tc_meta *live = calloc(N, sizeof(*live));
	tc_buf gz = TC_BUF_INIT, json = TC_BUF_INIT, once = TC_BUF_INIT;
	tc_time created = { 1795584331, 174019812, 0 };
	tc_tenant_index ti;

	CHECK(live);
	CHECK_OK(tc_meta_parse(&live[0], META_A, sizeof(META_A) - 1, NULL));
	for (size_t i = 0; i < N; i++) {
		live[i] = live[0];
		snprintf(live[i].block_id, sizeof(live[i].block_id), "00000000-0000-4000-8000-%012zx", i);
		live[i].start.sec += (int64_t)((i * 7919) % N); /* out of order: the writer sorts */
	}
	CHECK_OK(tc_tenant_index_write(&gz, &created, live, N, NULL, 0));
	tc_buf_init(&json, 64u << 20);
	CHECK(gunzip_all(&json, gz.ptr, gz.len) == 0);
	CHECK(json.len > (1u << 20));
	tc_buf_init(&once, 64u << 20);
	CHECK(gzip_once(&once, json.ptr, json.len) == 0);
	CHECK_MSG(once.len == gz.len && memcmp(once.ptr, gz.ptr, gz.len) == 0,
		  "streamed gzip (%zu bytes) differs from one-shot gzip (%zu bytes)", gz.len, once.len);
	CHECK_OK(tc_tenant_index_parse(&ti, gz.ptr, gz.len, NULL));
	CHECK_EQ_U64(ti.n_live, N);
	for (size_t i = 1; i < N; i++)
		CHECK(tc_time_cmp(&ti.live[i - 1].start, &ti.live[i].start) <= 0);
	tc_tenant_index_dispose(&ti);
	tc_buf_dispose(&gz);
	tc_buf_dispose(&json);
	tc_buf_dispose(&once);
	free(live);
}

static void test_errors(void)
{
	const tc_where t9x = { "t9/x", 0 };
	tc_buf gz = TC_BUF_INIT;
	tc_tenant_index ti;
	char bad[2048];

	/* not gzip at all */
	CHECK_ERR(tc_tenant_index_parse(&ti, (const uint8_t *)"{\"meta\":[]}", 11, &t9x),
		  TC_ECORRUPT);
	CHECK_ERRMSG("t9/x at offset ");
	CHECK_ERRMSG(": corrupt gzip stream: ");
	CHECK_ERR(tc_tenant_index_parse(&ti, (const uint8_t *)"", 0, &t9x), TC_ECORRUPT);
	/* truncated and bit-flipped gzip */
	CHECK_OK(tc_test_read_file(&gz, tc_test_data(ZSTD_INDEX)));
	CHECK_ERR(tc_tenant_index_parse(&ti, gz.ptr, gz.len - 10, &t9x), TC_ECORRUPT);
	CHECK_ERR(tc_tenant_index_parse(&ti, gz.ptr, gz.len / 2, &t9x), TC_ECORRUPT);
	gz.ptr[gz.len - 5] ^= 0xff; /* the CRC/ISIZE trailer */
	CHECK_ERR(tc_tenant_index_parse(&ti, gz.ptr, gz.len, &t9x), TC_ECORRUPT);
	gz.ptr[gz.len - 5] ^= 0xff;
	/* trailing garbage after the member: the message names the offset of the junk */
	CHECK_OK(tc_buf_put(&gz, "junk", 4));
	CHECK_ERR(tc_tenant_index_parse(&ti, gz.ptr, gz.len, &(tc_where){ "t9/x", 1000 }), TC_ECORRUPT);
	{
		const char *msg = tc_error_last(), *pre = "t9/x at offset ";
		unsigned long long off = strtoull(msg + strlen(pre), NULL, 10);
		CHECK_MSG(!strncmp(msg, pre, strlen(pre)) && strstr(msg, ": corrupt gzip stream: ") &&
			  off >= 1000 + gz.len - 4 && off <= 1000 + gz.len,
			  "got \"%s\", want an offset in the junk at %zu", msg, 1000 + gz.len - 4);
	}
	tc_buf_dispose(&gz);
	/* garbage JSON inside good gzip */
	expect_json_err("not json", TC_ECORRUPT);
	CHECK_STR(tc_error_last(), "t9/index.json.gz: invalid JSON at byte 0 of the decompressed JSON");
	expect_json_err("{\"meta\":[]} x", TC_ECORRUPT);
	CHECK_STR(tc_error_last(), "t9/index.json.gz: invalid JSON: data after the top-level value at "
		  "byte 12 of the decompressed JSON");
	expect_json_err("", TC_ECORRUPT);
	CHECK_STR(tc_error_last(), "t9/index.json.gz: empty JSON");
	expect_json_err("[1,2]", TC_ECORRUPT);
	expect_json_err("{\"created_at\":5,\"meta\":[],\"compacted\":[]}", TC_ECORRUPT);
	expect_json_err("{\"created_at\":\"2026-11-25T05:25:31Z\",\"meta\":{}}", TC_ECORRUPT);
	expect_json_err("{\"created_at\":\"2026-11-25T05:25:31Z\",\"meta\":[1]}", TC_ECORRUPT);
	snprintf(bad, sizeof(bad), "{\"meta\":[%s,%.*s\"encoding\":\"zip\"}]}", META_A,
		 (int)(strstr(META_A, "\"encoding\"") - META_A), META_A);
	expect_json_err(bad, TC_ECORRUPT);
	CHECK_STR(tc_error_last(), "t9/index.json.gz meta[1]: key \"encoding\": unknown encoding \"zip\"");
	/* concatenated members are one stream, as in Go */
	{
		tc_buf two = TC_BUF_INIT;
		CHECK(gzip_str(&two, "{\"meta\":[") == 0);
		CHECK(gzip_str(&two, META_A) == 0);
		CHECK(gzip_str(&two, "],\"compacted\":null}") == 0);
		CHECK_OK(tc_tenant_index_parse(&ti, two.ptr, two.len, &(tc_where){ "t", 0 }));
		CHECK_EQ_U64(ti.n_live, 1);
		CHECK_EQ_U64(ti.n_compacted, 0);
		tc_tenant_index_dispose(&ti);
		tc_buf_dispose(&two);
	}
}

/*
 * docs/FORMAT.md#decompression-caps: a gzip of 16 KB that inflates to 16 MiB
 * is refused at max(1 MiB, 64 x its length); an index of 20000 distinct
 * metas (8 MB of JSON, gzipped 4-5:1) is not.
 */
static void test_bomb(void)
{
	const size_t n = 16u << 20;
	char *json = malloc(n + 32);
	tc_buf gz = TC_BUF_INIT, big = TC_BUF_INIT;
	tc_meta *metas = calloc(20000, sizeof(*metas));
	tc_tenant_index ti;
	uint64_t seed = 9;

	CHECK(json && metas);
	memcpy(json, "{\"meta\":[", 9);
	memset(json + 9, ' ', n);
	strcpy(json + 9 + n, "]}");
	CHECK(gzip_str(&gz, json) == 0);
	CHECK_MSG(gz.len < 65536, "%zu", gz.len);
	CHECK_ERR(tc_tenant_index_parse(&ti, gz.ptr, gz.len, &(tc_where){ "t9/index.json.gz", 0 }), TC_ELIMIT);
	CHECK_ERRMSG("t9/index.json.gz: decompressed index exceeds 1048576 bytes");

	{
		tc_tenant_index one;
		tc_buf g1 = TC_BUF_INIT;
		char doc[1024];
		snprintf(doc, sizeof(doc), "{\"meta\":[%s]}", META_A);
		CHECK(gzip_str(&g1, doc) == 0);
		CHECK_OK(tc_tenant_index_parse(&one, g1.ptr, g1.len, &(tc_where){ "t", 0 }));
		for (size_t i = 0; i < 20000; i++) {
			metas[i] = one.live[0];
			for (size_t k = 0; k < TC_ID_LEN; k++) {
				metas[i].min_id[k] = (uint8_t)tc_test_rand(&seed);
				metas[i].max_id[k] = (uint8_t)tc_test_rand(&seed);
			}
			snprintf(metas[i].block_id, sizeof(metas[i].block_id), "%08llx-0000-4000-8000-%012llx",
				 (unsigned long long)(tc_test_rand(&seed) & 0xffffffff),
				 (unsigned long long)(tc_test_rand(&seed) & 0xffffffffffffULL));
		}
		tc_tenant_index_dispose(&one);
		tc_buf_dispose(&g1);
	}
	CHECK_OK(tc_tenant_index_write(&big, &(tc_time){ 0 }, metas, 20000, NULL, 0));
	CHECK_OK(tc_tenant_index_parse(&ti, big.ptr, big.len, &(tc_where){ "t", 0 }));
	CHECK_EQ_U64(ti.n_live, 20000);
	tc_tenant_index_dispose(&ti);
	tc_buf_dispose(&gz);
	tc_buf_dispose(&big);
	free(json);
	free(metas);
}

TC_TEST_MAIN(T(test_fixture_roundtrip), T(test_streamed_large_index), T(test_all_fixture_indexes), T(test_sort_and_compacted),
	     T(test_errors), T(test_bomb))
