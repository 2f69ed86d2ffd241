/*
 * The ring value (src/ring/desc.h): Tempo's exact bytes, unknown fields kept,
 * damage refused, membership edits, health, auto-forget and ownership.
 *
 * The golden bytes below were written out by hand from the wire format
 * (docs/RING.md#worked-example), then checked against Tempo's own code: a
 * Go 1.19 program calling proto.Marshal on a ring.Desc with the gogo
 * generated ring.pb.go and snappy.Encode (github.com/golang/snappy), both
 * from Tempo v1.5.0's vendor/ tree, printed the same protobuf bytes and the
 * snappy values GO_SNAPPY_* below.
 */
#include "tests/test.h"

#include <stdlib.h>

#include <snappy-c.h>

#include "src/ring/desc.h"
#include "src/util/fnv.h"

static const tc_where KEY = { "collectors/compactor", 0 };

/*
 * ring.Desc with two instances, in instance ID order (one of the two orders
 * Go's map iteration gives; the other is GO_SNAPPY_TWO below).
 */
static const uint8_t GOLDEN[] = {
	/* Desc.ingesters (field 1, wire type 2 = tag 0x0a), entry of 61 bytes */
	0x0a, 0x3d,
	/*   entry.key (field 1, tag 0x0a), 17 bytes: "tempo-compactor-0" */
	0x0a, 0x11, 't', 'e', 'm', 'p', 'o', '-', 'c', 'o', 'm', 'p', 'a', 'c', 't', 'o', 'r',
	'-', '0',
	/*   entry.value (field 2, tag 0x12): InstanceDesc of 40 bytes */
	0x12, 0x28,
	/*     addr (field 1, tag 0x0a), 13 bytes: "10.0.0.5:9095" */
	0x0a, 0x0d, '1', '0', '.', '0', '.', '0', '.', '5', ':', '9', '0', '9', '5',
	/*     timestamp (field 2, varint, tag 0x10): 1700000000 = 0x6553f100,
	 *     7 bits at a time from the low end: 0x00 0x62 0x4f 0x2a 0x06 */
	0x10, 0x80, 0xe2, 0xcf, 0xaa, 0x06,
	/*     state ACTIVE = 0: the proto3 default, not written */
	/*     tokens (field 6, packed, tag 0x32), 11 bytes of varints:
	 *     5 | 300 = ac 02 | 70000 = f0 a2 04 | 4294967295 = ff ff ff ff 0f */
	0x32, 0x0b, 0x05, 0xac, 0x02, 0xf0, 0xa2, 0x04, 0xff, 0xff, 0xff, 0xff, 0x0f,
	/*     zone "": not written */
	/*     registered_timestamp (field 8, varint, tag 0x40): 1699999000 = 0x6553ed18 */
	0x40, 0x98, 0xda, 0xcf, 0xaa, 0x06,
	/* Desc.ingesters, entry of 59 bytes */
	0x0a, 0x3b,
	/*   key, 17 bytes: "tempo-compactor-1" */
	0x0a, 0x11, 't', 'e', 'm', 'p', 'o', '-', 'c', 'o', 'm', 'p', 'a', 'c', 't', 'o', 'r',
	'-', '1',
	/*   value: InstanceDesc of 38 bytes */
	0x12, 0x26,
	/*     addr, 13 bytes: "10.0.0.6:9095" */
	0x0a, 0x0d, '1', '0', '.', '0', '.', '0', '.', '6', ':', '9', '0', '9', '5',
	/*     timestamp 1700000003 */
	0x10, 0x83, 0xe2, 0xcf, 0xaa, 0x06,
	/*     state (field 3, tag 0x18): LEAVING = 1 */
	0x18, 0x01,
	/*     tokens, 7 bytes: 1000 = e8 07 | 2000000000 = 80 a8 d6 b9 07 */
	0x32, 0x07, 0xe8, 0x07, 0x80, 0xa8, 0xd6, 0xb9, 0x07,
	/*     registered_timestamp 1699999500 */
	0x40, 0x8c, 0xde, 0xcf, 0xaa, 0x06,
};
#define ENTRY0_LEN 63 /* GOLDEN's first entry: 2 + 61 bytes */

/*
 * snappy.Encode of the same Desc in the other entry order, as Go printed
 * it: varint 124 (0x7c), a 28-byte literal (tag 0x6c = 27 << 2), then
 * literals and copies. libsnappy picks other copies for the same input, so
 * only the decompressed bytes are compared with ours.
 */
static const uint8_t GO_SNAPPY_TWO[] = {
	0x7c, 0x6c, 0x0a, 0x3b, 0x0a, 0x11, 0x74, 0x65, 0x6d, 0x70, 0x6f, 0x2d, 0x63, 0x6f, 0x6d,
	0x70, 0x61, 0x63, 0x74, 0x6f, 0x72, 0x2d, 0x31, 0x12, 0x26, 0x0a, 0x0d, 0x31, 0x30, 0x2e,
	0x01, 0x02, 0x80, 0x36, 0x3a, 0x39, 0x30, 0x39, 0x35, 0x10, 0x83, 0xe2, 0xcf, 0xaa, 0x06,
	0x18, 0x01, 0x32, 0x07, 0xe8, 0x07, 0x80, 0xa8, 0xd6, 0xb9, 0x07, 0x40, 0x8c, 0xde, 0xcf,
	0xaa, 0x06, 0x0a, 0x3d, 0x0a, 0x11, 0x3e, 0x3d, 0x00, 0x08, 0x30, 0x12, 0x28, 0x15, 0x3d,
	0x00, 0x35, 0x09, 0x3d, 0x00, 0x80, 0x01, 0x3d, 0x48, 0x32, 0x0b, 0x05, 0xac, 0x02, 0xf0,
	0xa2, 0x04, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x40, 0x98, 0xda, 0xcf, 0xaa, 0x06,
};

/* snappy.Encode of a Desc holding only tempo-compactor-0 (GOLDEN's first entry). */
static const uint8_t GO_SNAPPY_ONE[] = {
	0x3f, 0x6c, 0x0a, 0x3d, 0x0a, 0x11, 0x74, 0x65, 0x6d, 0x70, 0x6f, 0x2d, 0x63, 0x6f, 0x6d,
	0x70, 0x61, 0x63, 0x74, 0x6f, 0x72, 0x2d, 0x30, 0x12, 0x28, 0x0a, 0x0d, 0x31, 0x30, 0x2e,
	0x01, 0x02, 0x78, 0x35, 0x3a, 0x39, 0x30, 0x39, 0x35, 0x10, 0x80, 0xe2, 0xcf, 0xaa, 0x06,
	0x32, 0x0b, 0x05, 0xac, 0x02, 0xf0, 0xa2, 0x04, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x40, 0x98,
	0xda, 0xcf, 0xaa, 0x06,
};

static const uint32_t TOKENS0[] = { 5, 300, 70000, 4294967295u };
static const uint32_t TOKENS1[] = { 1000, 2000000000 };

/* ---- helpers ---- */

static int compress(tc_buf *out, const uint8_t *p, size_t n)
{
	size_t clen = snappy_max_compressed_length(n);

	tc_buf_clear(out);
	if (tc_buf_reserve(out, clen) < 0 ||
	    snappy_compress((const char *)p, n, (char *)out->ptr, &clen) != SNAPPY_OK)
		return -1;
	out->len = clen;
	return 0;
}

static int uncompress(tc_buf *out, const uint8_t *p, size_t n)
{
	size_t len;

	tc_buf_clear(out);
	if (snappy_uncompressed_length((const char *)p, n, &len) != SNAPPY_OK ||
	    tc_buf_reserve(out, len + 1) < 0 ||
	    snappy_uncompress((const char *)p, n, (char *)out->ptr, &len) != SNAPPY_OK)
		return -1;
	out->len = len;
	return 0;
}

/* Decodes raw protobuf bytes (compressing them first). */
static int decode_raw(tc_ring_desc **d, const uint8_t *p, size_t n)
{
	tc_buf c = TC_BUF_INIT;
	int rc = compress(&c, p, n) < 0 ? TC_ERROR : tc_ring_desc_decode(d, c.ptr, c.len, &KEY);

	tc_buf_dispose(&c);
	return rc;
}

/* The protobuf bytes of d's encoding. */
static int encode_raw(tc_buf *raw, const tc_ring_desc *d)
{
	tc_buf c = TC_BUF_INIT;
	int rc = tc_ring_desc_encode(&c, d);

	if (rc == TC_OK && uncompress(raw, c.ptr, c.len) < 0)
		rc = TC_ERROR;
	tc_buf_dispose(&c);
	return rc;
}

static int same(const tc_buf *b, const uint8_t *p, size_t n)
{
	if (b->len == n && memcmp(b->ptr, p, n) == 0)
		return 1;
	fprintf(stderr, "got  (%zu):", b->len);
	for (size_t i = 0; i < b->len; i++)
		fprintf(stderr, " %02x", b->ptr[i]);
	fprintf(stderr, "\nwant (%zu):", n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "\n");
	return 0;
}

/* The two GOLDEN instances, built through the API. */
static int build_golden(tc_ring_desc **out)
{
	tc_ring_desc *d;
	int rc;

	if ((rc = tc_ring_desc_new(&d)) < 0)
		return rc;
	/* Registered first, heartbeat later: set() keeps the registration time. */
	if ((rc = tc_ring_desc_set(d, "tempo-compactor-1", "10.0.0.6:9095", TC_RING_ACTIVE,
				   1699999500, TOKENS1, 2)) < 0 ||
	    (rc = tc_ring_desc_set(d, "tempo-compactor-0", "10.0.0.5:9095", TC_RING_ACTIVE,
				   1699999000, TOKENS0, 4)) < 0 ||
	    (rc = tc_ring_desc_set(d, "tempo-compactor-0", "10.0.0.5:9095", TC_RING_ACTIVE,
				   1700000000, NULL, 0)) < 0 ||
	    (rc = tc_ring_desc_set(d, "tempo-compactor-1", "10.0.0.6:9095", TC_RING_LEAVING,
				   1700000003, NULL, 0)) < 0) {
		tc_ring_desc_free(d);
		return rc;
	}
	*out = d;
	return TC_OK;
}

/* FNV-1a 32 written out independently of src/util/fnv.c, in 64-bit arithmetic. */
static uint32_t ref_fnv1a(const char *s)
{
	uint64_t h = 2166136261u;

	for (; *s; s++)
		h = ((h ^ (uint8_t)*s) * 16777619u) & 0xffffffffu;
	return (uint32_t)h;
}

/* ---- codec ---- */

static void test_state_names(void)
{
	CHECK_STR(tc_ring_state_name(TC_RING_ACTIVE), "ACTIVE");
	CHECK_STR(tc_ring_state_name(TC_RING_LEAVING), "LEAVING");
	CHECK_STR(tc_ring_state_name(TC_RING_PENDING), "PENDING");
	CHECK_STR(tc_ring_state_name(TC_RING_JOINING), "JOINING");
	CHECK_STR(tc_ring_state_name(TC_RING_LEFT), "LEFT");
	CHECK_STR(tc_ring_state_name(9), "UNKNOWN");
}

/* Our encoding of the golden ring is Tempo's bytes. */
static void test_golden_encode(void)
{
	tc_ring_desc *d = NULL;
	tc_buf raw = TC_BUF_INIT;

	CHECK_OK(build_golden(&d));
	CHECK_OK(encode_raw(&raw, d));
	CHECK(same(&raw, GOLDEN, sizeof(GOLDEN)));
	tc_ring_desc_free(d);
	tc_buf_dispose(&raw);
}

static void check_golden_instances(const tc_ring_desc *d)
{
	tc_ring_instance i;

	CHECK_EQ_U64(tc_ring_desc_count(d), 2);
	tc_ring_desc_at(&i, d, 0);
	CHECK_STR(i.id, "tempo-compactor-0");
	CHECK_STR(i.addr, "10.0.0.5:9095");
	CHECK_EQ_U64(i.timestamp, 1700000000);
	CHECK_EQ_U64(i.state, TC_RING_ACTIVE);
	CHECK_EQ_U64(i.n_tokens, 4);
	CHECK(memcmp(i.tokens, TOKENS0, sizeof(TOKENS0)) == 0);
	CHECK_STR(i.zone, "");
	CHECK_EQ_U64(i.registered_timestamp, 1699999000);
	tc_ring_desc_at(&i, d, 1);
	CHECK_STR(i.id, "tempo-compactor-1");
	CHECK_STR(i.addr, "10.0.0.6:9095");
	CHECK_EQ_U64(i.timestamp, 1700000003);
	CHECK_EQ_U64(i.state, TC_RING_LEAVING);
	CHECK_EQ_U64(i.n_tokens, 2);
	CHECK(memcmp(i.tokens, TOKENS1, sizeof(TOKENS1)) == 0);
	CHECK_EQ_U64(i.registered_timestamp, 1699999500);
}

/* Go's snappy value, in Go's other map order, reads back and re-encodes in ID order. */
static void test_golden_decode_go(void)
{
	tc_ring_desc *d = NULL;
	tc_buf raw = TC_BUF_INIT;
	int failures = tc_test_failures;

	CHECK_OK(tc_ring_desc_decode(&d, GO_SNAPPY_TWO, sizeof(GO_SNAPPY_TWO), &KEY));
	check_golden_instances(d);
	CHECK(tc_test_failures == failures);
	CHECK_OK(encode_raw(&raw, d));
	CHECK(same(&raw, GOLDEN, sizeof(GOLDEN)));
	tc_ring_desc_free(d);
	d = NULL;

	/* One instance: Go's value decompresses to GOLDEN's first entry, which we write back. */
	CHECK_OK(tc_ring_desc_decode(&d, GO_SNAPPY_ONE, sizeof(GO_SNAPPY_ONE), &KEY));
	CHECK_EQ_U64(tc_ring_desc_count(d), 1);
	CHECK_OK(encode_raw(&raw, d));
	CHECK(same(&raw, GOLDEN, ENTRY0_LEN));
	tc_ring_desc_free(d);
	tc_buf_dispose(&raw);
}

/* Hand-written GOLDEN, compressed by libsnappy, decodes to the same instances. */
static void test_golden_decode_raw(void)
{
	tc_ring_desc *d = NULL;
	int failures = tc_test_failures;

	CHECK_OK(decode_raw(&d, GOLDEN, sizeof(GOLDEN)));
	check_golden_instances(d);
	CHECK(tc_test_failures == failures);
	tc_ring_desc_free(d);
}

static void test_empty(void)
{
	tc_ring_desc *d = NULL;
	tc_buf c = TC_BUF_INIT;

	CHECK_OK(tc_ring_desc_decode(&d, NULL, 0, &KEY));
	CHECK_EQ_U64(tc_ring_desc_count(d), 0);
	CHECK_OK(tc_ring_desc_encode(&c, d));
	/* Go: snappy.Encode of zero bytes is the varint 0. */
	CHECK(c.len == 1 && c.ptr[0] == 0);
	tc_ring_desc_free(d);
	d = NULL;
	CHECK_OK(tc_ring_desc_decode(&d, c.ptr, c.len, &KEY));
	CHECK_EQ_U64(tc_ring_desc_count(d), 0);
	tc_ring_desc_free(d);
	tc_buf_dispose(&c);
}

/* Several instances with every kind of field: encode, decode, encode is stable. */
static void test_round_trip_several(void)
{
	static const char *ids[] = { "zeta", "alpha", "compactor-7", "beta", "a" };
	tc_ring_desc *d = NULL, *d2 = NULL;
	tc_buf a = TC_BUF_INIT, b = TC_BUF_INIT;
	tc_ring_instance i;

	CHECK_OK(tc_ring_desc_new(&d));
	for (size_t k = 0; k < 5; k++) {
		uint32_t *tokens = NULL;
		char addr[32];
		snprintf(addr, sizeof(addr), "10.0.0.%zu:3200", k);
		CHECK_OK(tc_ring_desc_new_tokens(&tokens, TC_RING_TOKENS, d));
		int rc = tc_ring_desc_set(d, ids[k], addr, (tc_ring_state)k, 1700000000 + (int64_t)k,
					  tokens, TC_RING_TOKENS);
		free(tokens);
		CHECK_OK(rc);
	}
	CHECK_OK(tc_ring_desc_encode(&a, d));
	CHECK_OK(tc_ring_desc_decode(&d2, a.ptr, a.len, &KEY));
	CHECK_OK(tc_ring_desc_encode(&b, d2));
	CHECK(same(&b, a.ptr, a.len));
	CHECK_EQ_U64(tc_ring_desc_count(d2), 5);
	tc_ring_desc_at(&i, d2, 0);
	CHECK_STR(i.id, "a");
	tc_ring_desc_at(&i, d2, 4);
	CHECK_STR(i.id, "zeta");
	CHECK_EQ_U64(i.state, 0);
	CHECK_EQ_U64(i.n_tokens, TC_RING_TOKENS);
	tc_ring_desc_at(&i, d2, 3);
	CHECK_STR(i.id, "compactor-7");
	CHECK_STR(i.addr, "10.0.0.2:3200");
	CHECK_EQ_U64(i.state, TC_RING_PENDING);
	CHECK_EQ_U64(i.timestamp, 1700000002);
	tc_ring_desc_free(d);
	tc_ring_desc_free(d2);
	tc_buf_dispose(&a);
	tc_buf_dispose(&b);
}

/*
 * A ring written by something newer than us: Desc field 3, a map entry
 * field 3, InstanceDesc field 9 and a zone. All survive decode -> encode
 * byte for byte, and a heartbeat of that instance too.
 */
static const uint8_t UNKNOWN[] = {
	/* Desc.ingesters, entry of 30 bytes */
	0x0a, 0x1e,
	/*   key "x" */
	0x0a, 0x01, 'x',
	/*   value: InstanceDesc of 23 bytes */
	0x12, 0x17,
	/*     addr "x:1" */
	0x0a, 0x03, 'x', ':', '1',
	/*     timestamp 100 */
	0x10, 0x64,
	/*     tokens 7 */
	0x32, 0x01, 0x07,
	/*     zone (field 7, tag 0x3a) "z1" */
	0x3a, 0x02, 'z', '1',
	/*     registered_timestamp 90 */
	0x40, 0x5a,
	/*     unknown field 9, wire type 2 (tag 0x4a): "new" */
	0x4a, 0x03, 'n', 'e', 'w',
	/*     unknown field 10, varint (tag 0x50): 1 */
	0x50, 0x01,
	/*   unknown entry field 3, varint (tag 0x18): 5 */
	0x18, 0x05,
	/* unknown Desc field 3, varint (tag 0x18): 7 */
	0x18, 0x07,
	/* unknown Desc field 4, fixed32 (tag 0x25) */
	0x25, 0x01, 0x02, 0x03, 0x04,
};

static void test_unknown_fields_kept(void)
{
	tc_ring_desc *d = NULL;
	tc_buf raw = TC_BUF_INIT;
	tc_ring_instance i;
	uint8_t want[sizeof(UNKNOWN)];

	CHECK_OK(decode_raw(&d, UNKNOWN, sizeof(UNKNOWN)));
	CHECK_OK(encode_raw(&raw, d));
	CHECK(same(&raw, UNKNOWN, sizeof(UNKNOWN)));
	CHECK_OK(tc_ring_desc_get(&i, d, "x"));
	CHECK_STR(i.zone, "z1");

	/* A heartbeat at 101 changes only the timestamp (0x64 -> 0x65). */
	CHECK_OK(tc_ring_desc_set(d, "x", "x:1", TC_RING_ACTIVE, 101, NULL, 0));
	memcpy(want, UNKNOWN, sizeof(want));
	want[13] = 0x65;
	CHECK_OK(encode_raw(&raw, d));
	CHECK(same(&raw, want, sizeof(want)));

	/* Another instance joining leaves x's entry as it was. */
	CHECK_OK(tc_ring_desc_set(d, "y", "y:1", TC_RING_ACTIVE, 101, TOKENS1, 2));
	CHECK_OK(encode_raw(&raw, d));
	CHECK(raw.len > sizeof(want) && memcmp(raw.ptr, want, 32) == 0);
	CHECK(memcmp(raw.ptr + raw.len - 7, want + 32, 7) == 0); /* the Desc's own unknown fields */
	tc_ring_desc_free(d);
	tc_buf_dispose(&raw);
}

/* As in Go's map decoding, a later entry for the same ID replaces the earlier one. */
static void test_duplicate_id_last_wins(void)
{
	static const uint8_t dup[] = {
		0x0a, 0x08, 0x0a, 0x01, 'b', 0x12, 0x03, 0x0a, 0x01, '1', /* b: addr "1" */
		0x0a, 0x08, 0x0a, 0x01, 'a', 0x12, 0x03, 0x0a, 0x01, '2', /* a: addr "2" */
		0x0a, 0x08, 0x0a, 0x01, 'b', 0x12, 0x03, 0x0a, 0x01, '3', /* b: addr "3" */
		0x0a, 0x03, 0x0a, 0x01, 'c',                              /* c without a value */
	};
	static const uint8_t want[] = {
		0x0a, 0x08, 0x0a, 0x01, 'a', 0x12, 0x03, 0x0a, 0x01, '2',
		0x0a, 0x08, 0x0a, 0x01, 'b', 0x12, 0x03, 0x0a, 0x01, '3',
		0x0a, 0x05, 0x0a, 0x01, 'c', 0x12, 0x00, /* Go writes an empty value too */
	};
	tc_ring_desc *d = NULL;
	tc_buf raw = TC_BUF_INIT;
	tc_ring_instance i;

	CHECK_OK(decode_raw(&d, dup, sizeof(dup)));
	CHECK_EQ_U64(tc_ring_desc_count(d), 3);
	CHECK_OK(tc_ring_desc_get(&i, d, "b"));
	CHECK_STR(i.addr, "3");
	CHECK_OK(tc_ring_desc_get(&i, d, "c"));
	CHECK_STR(i.addr, "");
	CHECK_EQ_U64(i.n_tokens, 0);
	CHECK_OK(encode_raw(&raw, d));
	CHECK(same(&raw, want, sizeof(want)));
	tc_ring_desc_free(d);
	tc_buf_dispose(&raw);
}

static void check_corrupt_raw(const uint8_t *p, size_t n, int code, const char *needle)
{
	tc_ring_desc *d = (tc_ring_desc *)&d; /* must be reset to NULL */

	CHECK_ERR(decode_raw(&d, p, n), code);
	CHECK(d == NULL);
	CHECK_ERRMSG("collectors/compactor");
	CHECK_ERRMSG(needle);
}

static void test_corrupt(void)
{
	tc_ring_desc *d = NULL;
	int failures = tc_test_failures;

	/* Not snappy: the length preamble is an endless varint. */
	static const uint8_t bad_len[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	CHECK_ERR(tc_ring_desc_decode(&d, bad_len, sizeof(bad_len), &KEY), TC_ECORRUPT);
	CHECK_ERRMSG("collectors/compactor");
	CHECK_ERRMSG("snappy");
	/* Snappy preamble says 10 bytes, a literal claims 20, 3 are there. */
	static const uint8_t bad_body[] = { 0x0a, 19 << 2, 'a', 'b', 'c' };
	CHECK_ERR(tc_ring_desc_decode(&d, bad_body, sizeof(bad_body), &KEY), TC_ECORRUPT);
	CHECK_ERRMSG("collectors/compactor");
	CHECK_ERRMSG("corrupt snappy");
	/* The preamble claims 1 GiB. */
	static const uint8_t huge[] = { 0x80, 0x80, 0x80, 0x80, 0x04, 0x00 };
	CHECK_ERR(tc_ring_desc_decode(&d, huge, sizeof(huge), &KEY), TC_ELIMIT);
	CHECK_ERRMSG("collectors/compactor");
	CHECK_ERRMSG("1073741824");
	CHECK(d == NULL);
	/* 60 MiB, within the limit, from 6 bytes: more than snappy can give, refused before allocating. */
	static const uint8_t lie[] = { 0x80, 0x80, 0x80, 0x1e, 0x00, 0x61 };
	CHECK_ERR(tc_ring_desc_decode(&d, lie, sizeof(lie), &KEY), TC_ECORRUPT);
	CHECK_ERRMSG("ring value of 6 bytes cannot decompress to the 62914560 its snappy preamble claims");
	CHECK(d == NULL);

	/* Truncated protobuf: the second entry's length runs past the end. */
	check_corrupt_raw(GOLDEN, sizeof(GOLDEN) - 5, TC_ECORRUPT, "at offset 63");
	/* The last varint cut in the middle: offset of the first entry that fails. */
	check_corrupt_raw(GOLDEN, 60, TC_ECORRUPT, "at offset 0");
	/* A dangling tag byte after a good message. */
	static const uint8_t dangling[] = { 0x0a, 0x00, 0x10 };
	check_corrupt_raw(dangling, sizeof(dangling), TC_ECORRUPT, "at offset 2");
	/* Desc.ingesters as a varint. */
	static const uint8_t wrong_wt[] = { 0x08, 0x01 };
	check_corrupt_raw(wrong_wt, sizeof(wrong_wt), TC_ECORRUPT, "wire type");
	/* Field number 0. */
	static const uint8_t field0[] = { 0x00, 0x01 };
	check_corrupt_raw(field0, sizeof(field0), TC_ECORRUPT, "field number");
	/* A group (wire type 3), which protobuf-c cannot skip. */
	static const uint8_t group[] = { 0x1b, 0x08, 0x01, 0x1c };
	check_corrupt_raw(group, sizeof(group), TC_ECORRUPT, "wire type");
	/* An instance ID with a NUL byte (protobuf-c would cut it to "a"). */
	static const uint8_t nul_id[] = { 0x0a, 0x06, 0x0a, 0x02, 'a', 0, 0x12, 0x00 };
	check_corrupt_raw(nul_id, sizeof(nul_id), TC_ECORRUPT, "NUL");
	/* ... or an address with one. */
	static const uint8_t nul_addr[] = { 0x0a, 0x09, 0x0a, 0x01, 'a', 0x12, 0x04, 0x0a, 0x02, 0, 'b' };
	check_corrupt_raw(nul_addr, sizeof(nul_addr), TC_ECORRUPT, "NUL");
	/* Packed tokens that end inside a varint: protobuf-c's own check. */
	static const uint8_t bad_tokens[] = { 0x0a, 0x09, 0x0a, 0x01, 'a', 0x12, 0x04, 0x32, 0x02, 0x80, 0x80 };
	check_corrupt_raw(bad_tokens, sizeof(bad_tokens), TC_ECORRUPT, "does not parse");
	CHECK(tc_test_failures == failures);
}

static void test_too_many_instances(void)
{
	size_t n = (size_t)TC_RING_MAX_INSTANCES + 1;
	uint8_t *p = malloc(n * 4);
	tc_ring_desc *d = NULL;

	CHECK(p != NULL);
	for (size_t i = 0; i < n; i++)
		memcpy(p + 4 * i, "\x0a\x02\x12\x00", 4); /* entries with no key and an empty value */
	CHECK_ERR(decode_raw(&d, p, n * 4), TC_ELIMIT);
	CHECK_ERRMSG("collectors/compactor");
	/* One fewer is fine (all the same ID "", so one instance). */
	CHECK_OK(decode_raw(&d, p, (n - 1) * 4));
	CHECK_EQ_U64(tc_ring_desc_count(d), 1);
	tc_ring_desc_free(d);
	free(p);
}

/* ---- membership ---- */

static void test_set_get_remove(void)
{
	static const uint32_t unsorted[] = { 30, 10, 20 };
	static const uint32_t sorted[] = { 10, 20, 30 };
	/* An instance registered by a Tempo too old to know registered_timestamp. */
	static const uint8_t old[] = { 0x0a, 0x0a, 0x0a, 0x01, 'o', 0x12, 0x05, 0x0a, 0x01, 'o', 0x10, 0x05 };
	tc_ring_desc *d = NULL;
	tc_ring_instance i;

	CHECK_OK(tc_ring_desc_new(&d));
	CHECK_ERR(tc_ring_desc_set(d, "", "a:1", TC_RING_ACTIVE, 1, NULL, 0), TC_EINVALID);
	CHECK_ERR(tc_ring_desc_get(&i, d, "b"), TC_ENOTFOUND);
	CHECK_OK(tc_ring_desc_set(d, "b", "b:1", TC_RING_JOINING, 100, unsorted, 3));
	CHECK_OK(tc_ring_desc_set(d, "c", "c:1", TC_RING_ACTIVE, 100, NULL, 0));
	CHECK_OK(tc_ring_desc_set(d, "a", "a:1", TC_RING_ACTIVE, 100, NULL, 0));
	CHECK_EQ_U64(tc_ring_desc_count(d), 3);
	tc_ring_desc_at(&i, d, 0);
	CHECK_STR(i.id, "a");
	tc_ring_desc_at(&i, d, 2);
	CHECK_STR(i.id, "c");
	CHECK_OK(tc_ring_desc_get(&i, d, "b"));
	CHECK_EQ_U64(i.n_tokens, 3);
	CHECK(memcmp(i.tokens, sorted, sizeof(sorted)) == 0);
	CHECK_EQ_U64(i.registered_timestamp, 100);
	CHECK_EQ_U64(i.state, TC_RING_JOINING);

	/* An update keeps tokens and registration, changes the rest. */
	CHECK_OK(tc_ring_desc_set(d, "b", "b:2", TC_RING_ACTIVE, 160, NULL, 0));
	CHECK_OK(tc_ring_desc_get(&i, d, "b"));
	CHECK_STR(i.addr, "b:2");
	CHECK_EQ_U64(i.timestamp, 160);
	CHECK_EQ_U64(i.state, TC_RING_ACTIVE);
	CHECK_EQ_U64(i.n_tokens, 3);
	CHECK_EQ_U64(i.registered_timestamp, 100);
	CHECK_OK(tc_ring_desc_set(d, "b", "b:2", TC_RING_ACTIVE, 170, TOKENS1, 2));
	CHECK_OK(tc_ring_desc_get(&i, d, "b"));
	CHECK_EQ_U64(i.n_tokens, 2);
	CHECK_EQ_U64(i.tokens[1], 2000000000);

	CHECK_OK(tc_ring_desc_remove(d, "b"));
	CHECK_OK(tc_ring_desc_remove(d, "b"));
	CHECK_EQ_U64(tc_ring_desc_count(d), 2);
	CHECK_ERR(tc_ring_desc_get(&i, d, "b"), TC_ENOTFOUND);
	CHECK_OK(tc_ring_desc_get(&i, d, "c"));
	tc_ring_desc_free(d);
	d = NULL;

	/* A registration time of 0 means "unknown", not "now": it stays 0. */
	CHECK_OK(decode_raw(&d, old, sizeof(old)));
	CHECK_OK(tc_ring_desc_set(d, "o", "o", TC_RING_ACTIVE, 200, NULL, 0));
	CHECK_OK(tc_ring_desc_get(&i, d, "o"));
	CHECK_EQ_U64(i.registered_timestamp, 0);
	CHECK_EQ_U64(i.timestamp, 200);
	tc_ring_desc_free(d);
}

static void test_new_tokens(void)
{
	tc_ring_desc *d = NULL;
	uint32_t *t = NULL, *held = NULL;
	size_t n_held = (size_t)1 << 22, n = (size_t)1 << 16;

	CHECK_OK(tc_ring_desc_new(&d));
	CHECK_OK(tc_ring_desc_new_tokens(&t, TC_RING_TOKENS, d));
	for (size_t i = 1; i < TC_RING_TOKENS; i++)
		CHECK_MSG(t[i - 1] < t[i], "tokens %zu and %zu not strictly ascending", i - 1, i);
	free(t);
	t = NULL;
	CHECK_OK(tc_ring_desc_new_tokens(&t, 0, d));
	free(t);
	t = NULL;
	CHECK_ERR(tc_ring_desc_new_tokens(&t, ((size_t)1 << 24) + 1, d), TC_EINVALID);

	/*
	 * Two instances hold every multiple of 1024 (one the even ones, one the
	 * odd ones): of 65536 random tokens about 64 would be one of them.
	 */
	held = malloc(n_held / 2 * sizeof(*held));
	CHECK(held != NULL);
	for (int odd = 0; odd < 2; odd++) {
		for (size_t i = 0; i < n_held / 2; i++)
			held[i] = (uint32_t)((2 * i + (size_t)odd) << 10);
		CHECK_OK(tc_ring_desc_set(d, odd ? "odd" : "even", "x:1", TC_RING_ACTIVE, 1, held,
					  n_held / 2));
	}
	free(held);
	CHECK_OK(tc_ring_desc_new_tokens(&t, n, d));
	for (size_t i = 0; i < n; i++) {
		CHECK_MSG(t[i] % 1024 != 0, "token %" PRIu32 " is held by another instance", t[i]);
		CHECK_MSG(i == 0 || t[i - 1] < t[i], "tokens %zu and %zu not strictly ascending", i - 1, i);
	}
	free(t);
	tc_ring_desc_free(d);
}

/* ---- health and auto-forget ---- */

static void test_health(void)
{
	tc_ring_instance i = { "a", "a:1", 1000, TC_RING_ACTIVE, NULL, 0, "", 0 };

	CHECK(tc_ring_instance_healthy(&i, 1060, 60));
	CHECK(!tc_ring_instance_healthy(&i, 1061, 60));
	CHECK(tc_ring_instance_healthy(&i, 900, 60)); /* a heartbeat from the future */
	CHECK(tc_ring_instance_healthy(&i, 1000000, 0)); /* timeout 0: heartbeat not checked */
	i.timestamp = INT64_MIN;
	CHECK(!tc_ring_instance_healthy(&i, 1060, 60));
	i.timestamp = 1000;
	for (int s = 1; s <= 5; s++) {
		i.state = s;
		CHECK_MSG(!tc_ring_instance_healthy(&i, 1000, 60), "state %d counted healthy", s);
		CHECK(!tc_ring_instance_healthy(&i, 1000, 0));
	}
}

static void test_forget_stale(void)
{
	tc_ring_desc *d = NULL;
	tc_ring_instance i;
	size_t removed = 99;

	CHECK_OK(tc_ring_desc_new(&d));
	CHECK_OK(tc_ring_desc_set(d, "edge", "e:1", TC_RING_ACTIVE, 10000 - 120, NULL, 0));
	CHECK_OK(tc_ring_desc_set(d, "gone", "g:1", TC_RING_ACTIVE, 10000 - 121, NULL, 0));
	CHECK_OK(tc_ring_desc_set(d, "gone2", "g:2", TC_RING_LEAVING, 0, NULL, 0));
	CHECK_OK(tc_ring_desc_set(d, "me", "m:1", TC_RING_ACTIVE, 1, NULL, 0));
	CHECK_OK(tc_ring_desc_set(d, "later", "l:1", TC_RING_ACTIVE, 20000, NULL, 0));

	/* Timeout 0 (heartbeats not checked) forgets nobody. */
	CHECK_OK(tc_ring_desc_forget_stale(&removed, d, "me", 10000, 0));
	CHECK_EQ_U64(removed, 0);
	CHECK_EQ_U64(tc_ring_desc_count(d), 5);

	/* Timeout 60: older than 120 s goes, exactly 120 s stays, we stay. */
	CHECK_OK(tc_ring_desc_forget_stale(&removed, d, "me", 10000, 60));
	CHECK_EQ_U64(removed, 2);
	CHECK_EQ_U64(tc_ring_desc_count(d), 3);
	CHECK_OK(tc_ring_desc_get(&i, d, "edge"));
	CHECK_OK(tc_ring_desc_get(&i, d, "me"));
	CHECK_OK(tc_ring_desc_get(&i, d, "later"));
	CHECK_ERR(tc_ring_desc_get(&i, d, "gone"), TC_ENOTFOUND);

	/* One second later the edge goes too; without keep_id so do we. */
	CHECK_OK(tc_ring_desc_forget_stale(NULL, d, NULL, 10001, 60));
	CHECK_EQ_U64(tc_ring_desc_count(d), 1);
	CHECK_OK(tc_ring_desc_get(&i, d, "later"));
	tc_ring_desc_free(d);
}

/* ---- ownership ---- */

/*
 * Three instances, six tokens, sorted:
 *   0x40000000 a | 0x80000000 b | 0xbf9cf968 c | 0xc0000000 a | 0xe8000000 b | 0xf0000000 c
 * 0xbf9cf968 is FNV-1a("foobar"), so "foobar" hashes exactly onto c's token.
 */
static int build_abc(tc_ring_desc **out, int64_t c_heartbeat, tc_ring_state c_state)
{
	static const uint32_t ta[] = { 0xc0000000u, 0x40000000u };
	static const uint32_t tb[] = { 0x80000000u, 0xe8000000u };
	static const uint32_t tcc[] = { 0xbf9cf968u, 0xf0000000u };
	tc_ring_desc *d;
	int rc;

	if ((rc = tc_ring_desc_new(&d)) < 0)
		return rc;
	if ((rc = tc_ring_desc_set(d, "c", "c:9095", c_state, c_heartbeat, tcc, 2)) < 0 ||
	    (rc = tc_ring_desc_set(d, "a", "a:9095", TC_RING_ACTIVE, 1000, ta, 2)) < 0 ||
	    (rc = tc_ring_desc_set(d, "b", "b:9095", TC_RING_ACTIVE, 1000, tb, 2)) < 0) {
		tc_ring_desc_free(d);
		return rc;
	}
	*out = d;
	return TC_OK;
}

typedef struct owner_case {
	const char *key;
	uint32_t hash;       /* FNV-1a 32 of key */
	const char *tempo;   /* Tempo's owner; NULL = nobody */
	const char *ours;    /* our owner; NULL = nobody */
} owner_case;

static void check_owners(const tc_ring_table *t, const owner_case *cases, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		const owner_case *c = &cases[k];
		tc_ring_instance i;
		int rc;

		CHECK_MSG(ref_fnv1a(c->key) == c->hash, "reference FNV-1a(\"%s\") = %08x, table says %08x",
			  c->key, ref_fnv1a(c->key), c->hash);
		CHECK_MSG(tc_fnv1a_32((const uint8_t *)c->key, strlen(c->key)) == c->hash,
			  "tc_fnv1a_32(\"%s\")", c->key);
		rc = tc_ring_table_owner_tempo(&i, t, c->key);
		if (c->tempo) {
			CHECK_MSG(rc == TC_OK && strcmp(i.id, c->tempo) == 0,
				  "Tempo owner of \"%s\": rc %d, %s, want %s", c->key, rc,
				  rc == TC_OK ? i.id : "-", c->tempo);
		} else {
			CHECK_MSG(rc == TC_ENOTFOUND, "Tempo owner of \"%s\": rc %d, want nobody",
				  c->key, rc);
		}
		rc = tc_ring_table_owner(&i, t, c->key);
		if (c->ours) {
			CHECK_MSG(rc == TC_OK && strcmp(i.id, c->ours) == 0,
				  "our owner of \"%s\": rc %d, %s, want %s", c->key, rc,
				  rc == TC_OK ? i.id : "-", c->ours);
			CHECK_STR(i.addr, c->ours[0] == 'a' ? "a:9095" : c->ours[0] == 'b' ? "b:9095" : "c:9095");
		} else {
			CHECK_MSG(rc == TC_ENOTFOUND, "our owner of \"%s\": rc %d, want nobody", c->key, rc);
		}
	}
}

static void test_owner_healthy(void)
{
	/* The first four hashes are the FNV-1a test vectors. */
	static const owner_case cases[] = {
		{ "", 0x811c9dc5u, "c", "c" },         /* -> 0xbf9cf968 */
		{ "a", 0xe40c292cu, "b", "b" },        /* -> 0xe8000000 */
		{ "b", 0xe70c2de5u, "b", "b" },
		{ "foobar", 0xbf9cf968u, "a", "a" },   /* equal to c's token: the next, a's */
		{ "0", 0x350ca8afu, "a", "a" },        /* below the first token */
		{ "tenant-1", 0x4332af8bu, "b", "b" }, /* -> 0x80000000 */
		{ "key-718", 0xec12fa8du, "c", "c" },  /* -> 0xf0000000 */
		{ "x", 0xfd0c5087u, "a", "a" },        /* past the last token: wraps to a's first */
	};
	tc_ring_desc *d = NULL;
	tc_ring_table *t = NULL;

	CHECK_OK(build_abc(&d, 1000, TC_RING_ACTIVE));
	CHECK_OK(tc_ring_table_new(&t, d, 1030, 60));
	check_owners(t, cases, sizeof(cases) / sizeof(cases[0]));
	tc_ring_table_free(t);
	tc_ring_desc_free(d);
}

static void test_owner_unhealthy(void)
{
	/* c is down: Tempo leaves its ranges unowned; we go on clockwise. */
	static const owner_case cases[] = {
		{ "", 0x811c9dc5u, NULL, "a" },        /* c's 0xbf9cf968 -> a's 0xc0000000 */
		{ "key-718", 0xec12fa8du, NULL, "a" }, /* c's 0xf0000000 -> wraps to a's 0x40000000 */
		{ "foobar", 0xbf9cf968u, "a", "a" },
		{ "a", 0xe40c292cu, "b", "b" },
		{ "x", 0xfd0c5087u, "a", "a" },
	};
	tc_ring_desc *d = NULL;
	tc_ring_table *t = NULL;

	/* Stale heartbeat: 61 s old with a 60 s timeout. */
	CHECK_OK(build_abc(&d, 1000 - 31, TC_RING_ACTIVE));
	CHECK_OK(tc_ring_table_new(&t, d, 1030, 60));
	check_owners(t, cases, sizeof(cases) / sizeof(cases[0]));
	tc_ring_table_free(t);
	tc_ring_desc_free(d);

	/* LEAVING with a fresh heartbeat is unhealthy all the same. */
	CHECK_OK(build_abc(&d, 1030, TC_RING_LEAVING));
	CHECK_OK(tc_ring_table_new(&t, d, 1030, 60));
	check_owners(t, cases, sizeof(cases) / sizeof(cases[0]));
	tc_ring_table_free(t);
	tc_ring_desc_free(d);
}

static void test_owner_nobody(void)
{
	tc_ring_desc *d = NULL;
	tc_ring_table *t = NULL;
	tc_ring_instance i;

	/* Every heartbeat stale. */
	CHECK_OK(build_abc(&d, 1000, TC_RING_ACTIVE));
	CHECK_OK(tc_ring_table_new(&t, d, 5000, 60));
	CHECK_ERR(tc_ring_table_owner_tempo(&i, t, "foobar"), TC_ENOTFOUND);
	CHECK_ERRMSG("unhealthy");
	CHECK_ERR(tc_ring_table_owner(&i, t, "foobar"), TC_ENOTFOUND);
	tc_ring_table_free(t);
	tc_ring_desc_free(d);

	/* No tokens at all: an instance that has not joined yet. */
	CHECK_OK(tc_ring_desc_new(&d));
	CHECK_OK(tc_ring_table_new(&t, d, 5000, 60));
	CHECK_ERR(tc_ring_table_owner_tempo(&i, t, "foobar"), TC_ENOTFOUND);
	CHECK_ERR(tc_ring_table_owner(&i, t, "foobar"), TC_ENOTFOUND);
	tc_ring_table_free(t);
	CHECK_OK(tc_ring_desc_set(d, "a", "a:1", TC_RING_ACTIVE, 5000, NULL, 0));
	CHECK_OK(tc_ring_table_new(&t, d, 5000, 60));
	CHECK_ERR(tc_ring_table_owner(&i, t, "foobar"), TC_ENOTFOUND);
	tc_ring_table_free(t);
	tc_ring_desc_free(d);
}

/* A hash equal to the last token wraps to the first; unsorted tokens as read are sorted. */
static void test_owner_wrap_at_last_token(void)
{
	/* Tokens written unsorted by some older writer: field 6 unpacked, 0xbf9cf968 then 0x10. */
	static const uint8_t raw[] = {
		0x0a, 0x0f, 0x0a, 0x01, 'p', 0x12, 0x0a, 0x10, 0x64,
		0x30, 0xe8, 0xf2, 0xf3, 0xfc, 0x0b, 0x30, 0x10,
		0x0a, 0x0e, 0x0a, 0x01, 'q', 0x12, 0x09, 0x10, 0x64, 0x32, 0x05,
		0x80, 0x80, 0x80, 0x80, 0x04, /* q: packed 0x40000000 */
	};
	tc_ring_desc *d = NULL;
	tc_ring_table *t = NULL;
	tc_ring_instance i;

	CHECK_OK(decode_raw(&d, raw, sizeof(raw)));
	CHECK_OK(tc_ring_desc_get(&i, d, "p"));
	CHECK_EQ_U64(i.n_tokens, 2);
	CHECK_EQ_U64(i.tokens[0], 0xbf9cf968u);
	CHECK_OK(tc_ring_table_new(&t, d, 100, 60));
	/* Sorted: 0x10 p, 0x40000000 q, 0xbf9cf968 p. "foobar" == the last -> wraps to 0x10. */
	CHECK_OK(tc_ring_table_owner_tempo(&i, t, "foobar"));
	CHECK_STR(i.id, "p");
	CHECK_OK(tc_ring_table_owner_tempo(&i, t, "0")); /* 0x350ca8af -> 0x40000000 */
	CHECK_STR(i.id, "q");
	CHECK_OK(tc_ring_table_owner_tempo(&i, t, "tenant-1")); /* 0x4332af8b -> 0xbf9cf968 */
	CHECK_STR(i.id, "p");
	tc_ring_table_free(t);
	tc_ring_desc_free(d);
}

static void test_ownership_shares(void)
{
	tc_ring_desc *d = NULL;
	tc_ring_table *t = NULL;
	double own[4];
	static const uint32_t one[] = { 12345 };
	static const uint32_t dup[] = { 0x80000000u, 0x80000000u };

	/* The abc ring, range by range (previous token up to each token):
	 *   a: 0x40000000 from 0xf0000000 wrapping = 0x50000000; 0xc0000000 - 0xbf9cf968 = 0x00630698
	 *   b: 0x80000000 - 0x40000000 = 0x40000000; 0xe8000000 - 0xc0000000 = 0x28000000
	 *   c: 0xbf9cf968 - 0x80000000 = 0x3f9cf968; 0xf0000000 - 0xe8000000 = 0x08000000
	 * Health does not matter (c is stale here). */
	CHECK_OK(build_abc(&d, 1, TC_RING_ACTIVE));
	CHECK_OK(tc_ring_table_new(&t, d, 1030, 60));
	tc_ring_table_ownership(own, t);
	CHECK(own[0] == (double)0x50630698u / 4294967296.0);
	CHECK(own[1] == (double)0x68000000u / 4294967296.0);
	CHECK(own[2] == (double)0x479cf968u / 4294967296.0);
	CHECK(own[0] + own[1] + own[2] == 1.0);
	tc_ring_table_free(t);

	/* A member with no tokens owns nothing; one token alone owns everything. */
	tc_ring_desc_free(d);
	CHECK_OK(tc_ring_desc_new(&d));
	CHECK_OK(tc_ring_desc_set(d, "empty", "e:1", TC_RING_ACTIVE, 1, NULL, 0));
	CHECK_OK(tc_ring_desc_set(d, "solo", "s:1", TC_RING_ACTIVE, 1, one, 1));
	CHECK_OK(tc_ring_table_new(&t, d, 1, 60));
	tc_ring_table_ownership(own, t);
	CHECK(own[0] == 0.0 && own[1] == 1.0);
	tc_ring_table_free(t);

	/* Two instances on one token: the first in ID order owns it all, as lookups say. */
	CHECK_OK(tc_ring_desc_set(d, "solo", "s:1", TC_RING_ACTIVE, 1, dup, 1));
	CHECK_OK(tc_ring_desc_set(d, "empty", "e:1", TC_RING_ACTIVE, 1, dup + 1, 1));
	CHECK_OK(tc_ring_table_new(&t, d, 1, 60));
	tc_ring_table_ownership(own, t);
	CHECK(own[0] == 1.0 && own[1] == 0.0);
	tc_ring_instance i;
	CHECK_OK(tc_ring_table_owner_tempo(&i, t, "foobar"));
	CHECK_STR(i.id, "empty");
	tc_ring_table_free(t);

	/* Random rings: the shares always sum to exactly 1. */
	tc_ring_desc_free(d);
	CHECK_OK(tc_ring_desc_new(&d));
	for (int k = 0; k < 4; k++) {
		uint32_t *tokens = NULL;
		char id[8];
		snprintf(id, sizeof(id), "r%d", k);
		CHECK_OK(tc_ring_desc_new_tokens(&tokens, TC_RING_TOKENS, d));
		int rc = tc_ring_desc_set(d, id, id, TC_RING_ACTIVE, 1, tokens, TC_RING_TOKENS);
		free(tokens);
		CHECK_OK(rc);
	}
	CHECK_OK(tc_ring_table_new(&t, d, 1, 60));
	tc_ring_table_ownership(own, t);
	CHECK(own[0] + own[1] + own[2] + own[3] == 1.0);
	for (int k = 0; k < 4; k++)
		CHECK_MSG(own[k] > 0.1 && own[k] < 0.4, "512 random tokens own %f", own[k]);
	tc_ring_table_free(t);
	tc_ring_desc_free(d);
}

TC_TEST_MAIN(T(test_state_names), T(test_golden_encode), T(test_golden_decode_go),
	     T(test_golden_decode_raw), T(test_empty), T(test_round_trip_several),
	     T(test_unknown_fields_kept), T(test_duplicate_id_last_wins), T(test_corrupt),
	     T(test_too_many_instances), T(test_set_get_remove), T(test_new_tokens),
	     T(test_health), T(test_forget_stale), T(test_owner_healthy),
	     T(test_owner_unhealthy), T(test_owner_nobody), T(test_owner_wrap_at_last_token),
	     T(test_ownership_shares))
