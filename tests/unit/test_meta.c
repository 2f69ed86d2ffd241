/* meta.json: parse every Tempo fixture and write it back byte for byte; reject bad metas. */
#include "tests/test.h"

#include <stdlib.h>

#include "encoding/meta.h"
#include "tests/unit/fixture_blocks.h"

/* tempo-repo-fake's meta.json: nanosecond times, -04:00 offset, no footerSize. */
static const char FAKE[] =
	"{\"format\":\"v2\",\"blockID\":\"4cd3c468-6398-481b-b5ec-de56d1048427\","
	"\"minID\":\"DNsk4E5XjX83fAylAA31WA==\",\"maxID\":\"1I7LNJ1HAVAjfYmGE4Id/A==\","
	"\"tenantID\":\"fake\",\"startTime\":\"2021-08-25T14:42:40.361155676-04:00\","
	"\"endTime\":\"2021-08-25T14:52:40.361156374-04:00\",\"totalObjects\":10,\"size\":1123,"
	"\"compactionLevel\":0,\"encoding\":\"snappy\",\"indexPageSize\":1000,\"totalRecords\":2,"
	"\"dataEncoding\":\"foo\",\"bloomShards\":1}";

static char edited[4096];

/* FAKE with the first occurrence of `from` replaced by `to`. */
static const char *fake_with(const char *from, const char *to)
{
	const char *at = strstr(FAKE, from);
	if (!at) {
		fprintf(stderr, "test bug: \"%s\" not in FAKE\n", from);
		exit(2);
	}
	snprintf(edited, sizeof(edited), "%.*s%s%s", (int)(at - FAKE), FAKE, to, at + strlen(from));
	return edited;
}

static int parse_str(tc_meta *m, const char *json, const char *what)
{
	return tc_meta_parse(m, json, strlen(json), &(tc_where){ what, 0 });
}

static void roundtrip_file(const char *dir, const char *name, int *count)
{
	tc_buf in = TC_BUF_INIT, out = TC_BUF_INIT;
	char what[1200];
	tc_meta m;
	int with_ct;

	if (!fixture_has(dir, name))
		return;
	snprintf(what, sizeof(what), "%s/%s", dir, name);
	CHECK_OK(fixture_read(&in, dir, name));
	CHECK_OK(tc_meta_parse(&m, (const char *)in.ptr, in.len, &(tc_where){ what, 0 }));
	with_ct = tc_buf_cstr(&in) == TC_OK && strstr((const char *)in.ptr, "\"compactedTime\"");
	CHECK_OK(tc_meta_write(&out, &m, with_ct));
	CHECK_MSG(out.len == in.len && memcmp(out.ptr, in.ptr, in.len) == 0,
		  "%s: rewritten meta differs:\n  file: %.*s\n  ours: %.*s", what, (int)in.len,
		  (const char *)in.ptr, (int)out.len, (const char *)out.ptr);
	(*count)++;
	tc_buf_dispose(&in);
	tc_buf_dispose(&out);
}

static void test_fixture_roundtrip(void)
{
	const fixture_blocks *fb = fixture_blocks_all();
	int count = 0;

	for (size_t i = 0; i < fb->n; i++) {
		int before = tc_test_failures;
		roundtrip_file(fb->dir[i], "meta.json", &count);
		roundtrip_file(fb->dir[i], "meta.compacted.json", &count);
		CHECK(tc_test_failures == before);
	}
	/* 5 sets x 4 blocks, 5 compacted blocks, the repo fake */
	CHECK_EQ_U64(count, 26);
}

static void test_fake_values(void)
{
	static const uint8_t min_id[16] = { 0x0c, 0xdb, 0x24, 0xe0, 0x4e, 0x57, 0x8d, 0x7f,
					    0x37, 0x7c, 0x0c, 0xa5, 0x00, 0x0d, 0xf5, 0x58 };
	tc_meta m;
	tc_buf out = TC_BUF_INIT;

	CHECK_OK(parse_str(&m, FAKE, "fake/meta.json"));
	CHECK_STR(m.format, "v2");
	CHECK_STR(m.block_id, "4cd3c468-6398-481b-b5ec-de56d1048427");
	CHECK_STR(m.tenant, "fake");
	CHECK_EQ_U64(m.min_id_len, 16);
	CHECK(memcmp(m.min_id, min_id, 16) == 0);
	CHECK_EQ_U64(m.max_id[0], 0xd4);
	CHECK_EQ_U64(m.start.sec, 1629916960); /* 18:42:40Z */
	CHECK_EQ_U64(m.start.nsec, 361155676);
	CHECK_EQ_U64((uint64_t)(int64_t)m.start.off_min, (uint64_t)(int64_t)-240);
	CHECK_EQ_U64(m.total_objects, 10);
	CHECK_EQ_U64(m.size, 1123);
	CHECK(m.encoding == TC_ENC_SNAPPY);
	CHECK_EQ_U64(m.index_page_size, 1000);
	CHECK_EQ_U64(m.total_records, 2);
	CHECK_STR(m.data_encoding, "foo");
	CHECK_EQ_U64(m.bloom_shards, 1);
	CHECK(!m.has_footer_size);
	CHECK(!m.compacted);
	/* A meta we build writes footerSize like Tempo 1.5 does. */
	m.has_footer_size = 1;
	CHECK_OK(tc_meta_write(&out, &m, 0));
	CHECK_OK(tc_buf_cstr(&out));
	CHECK(strstr((char *)out.ptr, ",\"bloomShards\":1,\"footerSize\":0}") != NULL);
	tc_buf_dispose(&out);
}

static void test_compacted_time(void)
{
	tc_meta m;
	tc_buf out = TC_BUF_INIT;
	char want[4096];

	/* CompactedBlockMeta: every BlockMeta key, then compactedTime. */
	snprintf(want, sizeof(want), "%.*s,\"compactedTime\":\"2026-11-25T05:25:31.5Z\"}",
		 (int)strlen(FAKE) - 1, FAKE);
	CHECK_OK(parse_str(&m, want, "meta.compacted.json"));
	CHECK_EQ_U64(m.compacted_time.sec, 1795584331);
	CHECK_EQ_U64(m.compacted_time.nsec, 500000000);
	CHECK_OK(tc_meta_write(&out, &m, 1));
	CHECK(out.len == strlen(want) && memcmp(out.ptr, want, out.len) == 0);
	tc_buf_clear(&out);
	/* without the flag the key is left out */
	CHECK_OK(tc_meta_write(&out, &m, 0));
	CHECK(out.len == strlen(FAKE) && memcmp(out.ptr, FAKE, out.len) == 0);
	tc_buf_dispose(&out);
}

/* Go's encoding/json: case-insensitive keys, last duplicate wins, unknown keys ignored. */
static void test_go_json_semantics(void)
{
	tc_meta m;
	tc_buf out = TC_BUF_INIT;

	CHECK_OK(parse_str(&m, fake_with("\"tenantID\":\"fake\"",
					 "\"TENANTID\":\"x\",\"tenantID\":\"fake\",\"extra\":[1,{}]"),
			   "meta"));
	CHECK_STR(m.tenant, "fake");
	CHECK_OK(parse_str(&m, fake_with("\"size\":1123", "\"size\":1123,\"Size\":2000"), "meta"));
	CHECK_EQ_U64(m.size, 2000);
	/* an escaped backslash before u0000 is just text */
	CHECK_OK(parse_str(&m, fake_with("\"foo\"", "\"a\\\\u0000\""), "meta"));
	CHECK_STR(m.data_encoding, "a\\u0000");
	/* whitespace around and between tokens is fine */
	CHECK_OK(parse_str(&m, fake_with("{", " \n{ "), "meta"));
	/* uppercase UUIDs are written back lowercase, as uuid.UUID marshals them */
	CHECK_OK(parse_str(&m, fake_with("4cd3c468-6398-481b-b5ec-de56d1048427",
					 "4CD3C468-6398-481B-B5EC-DE56D1048427"), "meta"));
	CHECK_STR(m.block_id, "4cd3c468-6398-481b-b5ec-de56d1048427");
	/* null minID is Go's nil slice; an empty string the empty one */
	CHECK_OK(parse_str(&m, fake_with("\"DNsk4E5XjX83fAylAA31WA==\"", "null"), "meta"));
	CHECK_EQ_U64(m.min_id_len, 0);
	CHECK_OK(parse_str(&m, fake_with("\"DNsk4E5XjX83fAylAA31WA==\"", "\"\""), "meta"));
	CHECK_EQ_U64(m.min_id_len, 0);
	CHECK_OK(tc_meta_write(&out, &m, 0));
	CHECK_OK(tc_buf_cstr(&out));
	CHECK(strstr((char *)out.ptr, "\"minID\":\"\",") != NULL);
	/* a missing time is Go's zero time */
	CHECK_OK(parse_str(&m, fake_with("\"startTime\":\"2021-08-25T14:42:40.361155676-04:00\",",
					 ""), "meta"));
	tc_buf_clear(&out);
	CHECK_OK(tc_meta_write(&out, &m, 0));
	CHECK_OK(tc_buf_cstr(&out));
	CHECK(strstr((char *)out.ptr, "\"startTime\":\"0001-01-01T00:00:00Z\"") != NULL);
	/* encoding names match case-insensitively and are written canonically */
	CHECK_OK(parse_str(&m, fake_with("\"snappy\"", "\"LZ4-1m\""), "meta"));
	CHECK(m.encoding == TC_ENC_LZ4_1M);
	tc_buf_dispose(&out);
}

/* Strings are escaped like encoding/json (HTML-safe, Go 1.19). */
static void test_string_escaping(void)
{
	tc_meta m;
	tc_buf out = TC_BUF_INIT;
	const char *want = "\"dataEncoding\":\"a\\u003cb\\u003ec\\u0026d\\\"e\\\\f\\n\\t\\u0001"
			   "\\u0008\\u000c\x7f\xc3\xa9\\ufffd\\u2028\"";

	CHECK_OK(parse_str(&m, FAKE, "meta"));
	strcpy(m.data_encoding, "a<b>c&d\"e\\f\n\t\x01\b\f\x7f\xc3\xa9\xff\xe2\x80\xa8");
	CHECK_OK(tc_meta_write(&out, &m, 0));
	CHECK_OK(tc_buf_cstr(&out));
	CHECK_MSG(strstr((char *)out.ptr, want) != NULL, "got %s", (char *)out.ptr);
	/* and the escaped form parses back */
	CHECK_OK(tc_meta_parse(&m, (char *)out.ptr, out.len, NULL));
	CHECK_STR(m.data_encoding, "a<b>c&d\"e\\f\n\t\x01\b\f\x7f\xc3\xa9\xef\xbf\xbd\xe2\x80\xa8");
	/* invalid UTF-8 read from JSON becomes U+FFFD, as Go's decoder does */
	CHECK_OK(parse_str(&m, fake_with("\"foo\"", "\"f\xffo\xc3\""), "meta"));
	CHECK_STR(m.data_encoding, "f\xef\xbf\xbdo\xef\xbf\xbd");
	tc_buf_dispose(&out);
}

static void expect_err(const char *json, int code, const char *needle)
{
	tc_meta m;
	int r = parse_str(&m, json, "t1/blk/meta.json");
	CHECK_MSG(r == code, "parse returned %d, want %d, for %s (%s)", r, code, json,
		  tc_error_last());
	CHECK_ERRMSG("t1/blk/meta.json");
	if (needle)
		CHECK_ERRMSG(needle);
}

#define EXPECT_ERR(json, code, needle)                                                     \
	do {                                                                               \
		int _f = tc_test_failures;                                                 \
		expect_err((json), (code), (needle));                                      \
		if (tc_test_failures != _f)                                                \
			return;                                                            \
	} while (0)

static void test_errors(void)
{
	EXPECT_ERR("", TC_ECORRUPT, NULL);
	EXPECT_ERR("not json", TC_ECORRUPT, NULL);
	EXPECT_ERR("{\"format\":\"v2\"", TC_ECORRUPT, NULL);
	EXPECT_ERR("[]", TC_ECORRUPT, NULL);
	EXPECT_ERR(fake_with("}", "} x"), TC_ECORRUPT, NULL);
	/* wrong types */
	EXPECT_ERR(fake_with("\"totalObjects\":10", "\"totalObjects\":\"10\""), TC_ECORRUPT,
		   "totalObjects");
	EXPECT_ERR(fake_with("\"tenantID\":\"fake\"", "\"tenantID\":5"), TC_ECORRUPT, "tenantID");
	EXPECT_ERR(fake_with("\"size\":1123", "\"size\":true"), TC_ECORRUPT, "size");
	EXPECT_ERR(fake_with("\"size\":1123", "\"size\":1123.5"), TC_ECORRUPT, "size");
	/* out of range / implausible */
	EXPECT_ERR(fake_with("\"totalObjects\":10", "\"totalObjects\":2147483648"), TC_ECORRUPT,
		   "totalObjects");
	EXPECT_ERR(fake_with("\"totalObjects\":10", "\"totalObjects\":-1"), TC_ECORRUPT,
		   "totalObjects");
	EXPECT_ERR(fake_with("\"bloomShards\":1", "\"bloomShards\":5000"), TC_ECORRUPT,
		   "bloomShards");
	EXPECT_ERR(fake_with("\"bloomShards\":1", "\"bloomShards\":1001"), TC_ECORRUPT,
		   "bloomShards");
	EXPECT_ERR(fake_with("\"compactionLevel\":0", "\"compactionLevel\":256"), TC_ECORRUPT,
		   "compactionLevel");
	EXPECT_ERR(fake_with("\"indexPageSize\":1000", "\"indexPageSize\":41"), TC_ECORRUPT,
		   "indexPageSize");
	EXPECT_ERR(fake_with("\"indexPageSize\":1000", "\"indexPageSize\":67108865"), TC_ECORRUPT,
		   "indexPageSize");
	EXPECT_ERR(fake_with("\"totalRecords\":2", "\"totalRecords\":188"), TC_ECORRUPT,
		   "totalRecords");
	EXPECT_ERR(fake_with("\"size\":1123", "\"size\":1e300"), TC_ECORRUPT, "size");
	/* IDs */
	EXPECT_ERR(fake_with("DNsk4E5XjX83fAylAA31WA==", "DNsk4E5XjX83fAylAA31WA"), TC_ECORRUPT,
		   "minID");
	EXPECT_ERR(fake_with("DNsk4E5XjX83fAylAA31WA==", "DNsk4E5XjX83fAylAA31W!=="), TC_ECORRUPT,
		   "minID");
	EXPECT_ERR(fake_with("1I7LNJ1HAVAjfYmGE4Id/A==", "1I7LNJ1HAVAjfYmGE4Id"), TC_ECORRUPT,
		   "maxID");
	EXPECT_ERR(fake_with("1I7LNJ1HAVAjfYmGE4Id/A==", "1I7LNJ1HAVAjfYmGE4Id/A==AAAA"),
		   TC_ECORRUPT, "maxID");
	EXPECT_ERR(fake_with("4cd3c468-6398-481b-b5ec-de56d1048427", "../../etc"), TC_ECORRUPT,
		   "blockID");
	/* encoding, format, times */
	EXPECT_ERR(fake_with("\"snappy\"", "\"brotli\""), TC_ECORRUPT, "brotli");
	EXPECT_ERR(fake_with("\"snappy\"", "null"), TC_ECORRUPT, "encoding");
	EXPECT_ERR(fake_with("\"format\":\"v2\"", "\"format\":\"vParquet\""), TC_EUNSUPPORTED,
		   "vParquet");
	EXPECT_ERR(fake_with("\"format\":\"v2\",", ""), TC_ECORRUPT, "format");
	EXPECT_ERR(fake_with("2021-08-25T14:42:40.361155676-04:00", "2021-08-25 14:42:40"),
		   TC_ECORRUPT, "startTime");
	EXPECT_ERR(fake_with("\"format\":\"v2\"", "\"format\":\"vParquet\",\"indexPageSize\":0"),
		   TC_EUNSUPPORTED, "vParquet");
	EXPECT_ERR(fake_with("\"format\":\"v2\"", "\"format\":\"v3\""), TC_EUNSUPPORTED, "v3");
	EXPECT_ERR(fake_with("\"format\":\"v2\"", "\"format\":2"), TC_ECORRUPT, "format");
	/* a NUL would silently shorten the tenant: refused, raw or escaped */
	EXPECT_ERR(fake_with("\"tenantID\":\"fake\"", "\"tenantID\":\"fake\\u0000x\""),
		   TC_ECORRUPT, NULL);
	EXPECT_ERR(fake_with("\"tenantID\":\"fake\"", "\"tenantID\":\"fake\x01\""),
		   TC_ECORRUPT, NULL);
	EXPECT_ERR(fake_with("\"dataEncoding\":\"foo\"",
			     "\"dataEncoding\":\"0123456789012345678901234567890123\""),
		   TC_ECORRUPT, "dataEncoding");
}

/*
 * Messages name the object, and the offset of the bad byte (from the
 * where's offset) when the JSON itself is broken; a bad value names its
 * key instead, cJSON keeping no positions.
 */
static void test_error_places(void)
{
	const tc_where w = { "t1/blk/meta.json", 0 }, w100 = { "t1/blk/meta.json", 100 };
	char buf[sizeof(FAKE) + 8];
	size_t ctl;
	tc_meta m;

	CHECK_ERR(tc_meta_parse(&m, "not json", 8, &w), TC_ECORRUPT);
	CHECK_STR(tc_error_last(), "t1/blk/meta.json at offset 0: invalid JSON");
	CHECK_ERR(tc_meta_parse(&m, "{\"format\":\"v2\",]", 16, &w100), TC_ECORRUPT);
	CHECK_STR(tc_error_last(), "t1/blk/meta.json at offset 115: invalid JSON");
	CHECK_ERR(tc_meta_parse(&m, "", 0, &w), TC_ECORRUPT);
	CHECK_STR(tc_error_last(), "t1/blk/meta.json: invalid JSON (empty)");
	snprintf(buf, sizeof(buf), "%s x", FAKE);
	CHECK_ERR(tc_meta_parse(&m, buf, strlen(buf), &w100), TC_ECORRUPT);
	CHECK_MSG(strstr(tc_error_last(), "t1/blk/meta.json at offset ") &&
		  strtoull(tc_error_last() + strlen("t1/blk/meta.json at offset "), NULL, 10) ==
			  100 + strlen(FAKE) + 1 &&
		  strstr(tc_error_last(), ": invalid JSON: data after the top-level value"),
		  "got \"%s\"", tc_error_last());
	snprintf(buf, sizeof(buf), "%s", fake_with("\"tenantID\":\"fake\"", "\"tenantID\":\"f\x01ke\""));
	ctl = (size_t)(strchr(buf, '\x01') - buf);
	CHECK_ERR(tc_meta_parse(&m, buf, strlen(buf), &w), TC_ECORRUPT);
	CHECK_MSG(strtoull(tc_error_last() + strlen("t1/blk/meta.json at offset "), NULL, 10) == ctl &&
		  strstr(tc_error_last(), ": invalid JSON: control byte 0x01"),
		  "got \"%s\", want offset %zu", tc_error_last(), ctl);
	CHECK_ERR(parse_str(&m, fake_with("\"size\":1123", "\"size\":true"), "t1/blk/meta.json"),
		  TC_ECORRUPT);
	CHECK_STR(tc_error_last(), "t1/blk/meta.json: key \"size\": got bool, want number");
	/* No where: the object is called "meta". */
	CHECK_ERR(tc_meta_parse(&m, "[]", 2, NULL), TC_ECORRUPT);
	CHECK_STR(tc_error_last(), "meta: JSON array where an object was expected");
}

static void test_limit(void)
{
	tc_meta m;
	CHECK_ERR(tc_meta_parse(&m, FAKE, TC_META_MAX_BYTES + 1, &(tc_where){ "big", 0 }), TC_ELIMIT);
	CHECK_ERRMSG("big: meta of");
}

static void test_check_location(void)
{
	tc_meta m;

	CHECK_OK(parse_str(&m, FAKE, "meta"));
	CHECK_OK(tc_meta_check_location(&m, "fake", "4cd3c468-6398-481b-b5ec-de56d1048427", "w"));
	CHECK_ERR(tc_meta_check_location(&m, "other", "4cd3c468-6398-481b-b5ec-de56d1048427",
					 "fake/4cd3/meta.json"), TC_ECORRUPT);
	CHECK_ERRMSG("fake/4cd3/meta.json");
	CHECK_ERR(tc_meta_check_location(&m, "fake", "00000000-6398-481b-b5ec-de56d1048427", "w"),
		  TC_ECORRUPT);
}

TC_TEST_MAIN(T(test_fixture_roundtrip), T(test_fake_values), T(test_compacted_time),
	     T(test_go_json_semantics), T(test_string_escaping), T(test_errors), T(test_error_places),
	     T(test_limit),
	     T(test_check_location))
