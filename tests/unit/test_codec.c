#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <xxhash.h>
#include <zstd.h>

#include "encoding/codec.h"
#include "tests/test.h"

static const tc_encoding writable[] = {
	TC_ENC_NONE, TC_ENC_GZIP, TC_ENC_LZ4_64K, TC_ENC_LZ4_256K,
	TC_ENC_LZ4_1M, TC_ENC_LZ4, TC_ENC_SNAPPY, TC_ENC_ZSTD,
};
#define N_WRITABLE (sizeof(writable) / sizeof(writable[0]))

static const tc_where test_where = { "tenant/block/data", 1000 };

static void fill_random(tc_buf *b, size_t n, uint64_t seed)
{
	uint8_t *p;
	if (tc_buf_grow_by(b, &p, n) < 0)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (i % 8 == 0)
			seed = tc_test_rand(&seed) ^ seed;
		p[i] = (uint8_t)(seed >> (8 * (i % 8)));
	}
}

/* Text-like data: repeated words with varying numbers, compresses well. */
static void fill_compressible(tc_buf *b, size_t n)
{
	static const char *const words[] = { "span", "trace", "service.name", "http.method",
					     "GET", "frontend", "db.statement", "SELECT" };
	uint64_t st = 42;
	while (b->len < n) {
		uint64_t r = tc_test_rand(&st);
		if (tc_buf_printf(b, "%s=%u;", words[r % 8], (unsigned)(r >> 32) % 1000) < 0)
			abort();
	}
	b->len = n;
}

static void test_names(void)
{
	static const struct { const char *name; tc_encoding enc; } names[] = {
		{ "none", TC_ENC_NONE }, { "gzip", TC_ENC_GZIP }, { "lz4-64k", TC_ENC_LZ4_64K },
		{ "lz4-256k", TC_ENC_LZ4_256K }, { "lz4-1M", TC_ENC_LZ4_1M }, { "lz4", TC_ENC_LZ4 },
		{ "snappy", TC_ENC_SNAPPY }, { "zstd", TC_ENC_ZSTD }, { "s2", TC_ENC_S2 },
	};
	tc_encoding e;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK_OK(tc_encoding_from_name(&e, names[i].name));
		CHECK_EQ_U64(e, names[i].enc);
		CHECK_STR(tc_encoding_name(names[i].enc), names[i].name);
		CHECK_EQ_U64(tc_encoding_can_write(names[i].enc), names[i].enc != TC_ENC_S2);
	}
	CHECK_EQ_U64(TC_ENC_ZSTD, 7);
	CHECK_OK(tc_encoding_from_name(&e, "LZ4-1m"));
	CHECK_EQ_U64(e, TC_ENC_LZ4_1M);
	CHECK_OK(tc_encoding_from_name(&e, "ZStd"));
	CHECK_EQ_U64(e, TC_ENC_ZSTD);
	CHECK_ERR(tc_encoding_from_name(&e, "lz4-4M"), TC_EINVALID);
	CHECK_ERRMSG("lz4-4M");
	CHECK_ERR(tc_encoding_from_name(&e, ""), TC_EINVALID);
	CHECK_ERR(tc_encoding_from_name(&e, "snappy "), TC_EINVALID);
	CHECK_ERR(tc_encoding_from_name(&e, NULL), TC_EINVALID);
	CHECK_STR(tc_encoding_name((tc_encoding)9), "unsupported");
	CHECK_EQ_U64(tc_encoding_can_write((tc_encoding)9), 0);
}

static void round_trip_one(tc_codec *c, const tc_buf *in, const char *what)
{
	tc_buf z = TC_BUF_INIT, back = TC_BUF_INIT;

	/* Append after existing bytes: both calls must only append. */
	CHECK_OK(tc_buf_puts(&z, "pre"));
	CHECK_OK(tc_codec_compress(&z, c, in->ptr, in->len));
	tc_buf_init(&back, in->len + 2); /* the exact size fits */
	CHECK_OK(tc_buf_puts(&back, "xy"));
	CHECK_OK(tc_codec_decompress(&back, c, z.ptr + 3, z.len - 3, &test_where));
	CHECK_MSG(back.len == in->len + 2 && memcmp(back.ptr, "xy", 2) == 0 &&
		  (in->len == 0 || memcmp(back.ptr + 2, in->ptr, in->len) == 0),
		  "%s round trip of %s (%zu bytes) differs", tc_encoding_name(tc_codec_encoding(c)),
		  what, in->len);
	tc_buf_dispose(&z);
	tc_buf_dispose(&back);
}

static void test_round_trip(void)
{
	tc_buf empty = TC_BUF_INIT, small = TC_BUF_INIT, rnd = TC_BUF_INIT, txt = TC_BUF_INIT;
	tc_buf odd = TC_BUF_INIT, zeros = TC_BUF_INIT;

	CHECK_OK(tc_buf_puts(&small, "hello, tempo"));
	fill_random(&rnd, 1 << 20, 7);
	fill_compressible(&txt, (1 << 20) + 12345);
	fill_compressible(&odd, 3 * 65536 + 16); /* snappy: a 16-byte last chunk */
	CHECK_OK(tc_buf_grow_by(&zeros, NULL, (5 << 20) + 3)); /* long matches, > 1 lz4 block */
	for (size_t i = 0; i < N_WRITABLE; i++) {
		tc_codec *c;
		tc_buf z = TC_BUF_INIT;

		CHECK_OK(tc_codec_new(&c, writable[i]));
		CHECK_EQ_U64(tc_codec_encoding(c), writable[i]);
		/* Twice each: contexts are reused between pages. */
		for (int rep = 0; rep < 2; rep++) {
			round_trip_one(c, &empty, "empty");
			round_trip_one(c, &small, "small");
			round_trip_one(c, &rnd, "random");
			round_trip_one(c, &txt, "compressible");
			round_trip_one(c, &odd, "compressible-odd");
			round_trip_one(c, &zeros, "zeros");
		}
		if (tc_test_failures) {
			tc_codec_free(c);
			return;
		}
		CHECK_OK(tc_codec_compress(&z, c, txt.ptr, txt.len));
		if (writable[i] != TC_ENC_NONE)
			CHECK_MSG(z.len < txt.len / 2, "%s: compressible input gave %zu of %zu bytes",
				  tc_encoding_name(writable[i]), z.len, txt.len);
		else
			CHECK_EQ_U64(z.len, txt.len);
		tc_buf_dispose(&z);
		tc_codec_free(c);
	}
	tc_buf_dispose(&small);
	tc_buf_dispose(&rnd);
	tc_buf_dispose(&txt);
	tc_buf_dispose(&odd);
	tc_buf_dispose(&zeros);
}

/* Golang/snappy framing: stream id, <=64 KiB chunks, raw chunks if they don't shrink. */
static void test_snappy_framing(void)
{
	tc_codec *c;
	tc_buf in = TC_BUF_INIT, z = TC_BUF_INIT, back = TC_BUF_INIT;
	size_t pos, chunks = 0;

	CHECK_OK(tc_codec_new(&c, TC_ENC_SNAPPY));
	/* Go writes nothing for an empty stream. */
	CHECK_OK(tc_codec_compress(&z, c, NULL, 0));
	CHECK_EQ_U64(z.len, 0);

	fill_random(&in, 2 * 65536 + 5, 3);
	CHECK_OK(tc_codec_compress(&z, c, in.ptr, in.len));
	CHECK(z.len == 10 + 3 * 8 + in.len);
	CHECK(memcmp(z.ptr, "\xff\x06\x00\x00sNaPpY", 10) == 0);
	for (pos = 10; pos < z.len; chunks++) {
		size_t clen = z.ptr[pos + 1] | (z.ptr[pos + 2] << 8) | ((size_t)z.ptr[pos + 3] << 16);
		CHECK_EQ_U64(z.ptr[pos], 0x01);
		CHECK_EQ_U64(clen, 4 + (chunks < 2 ? 65536 : 5));
		pos += 4 + clen;
	}
	CHECK_EQ_U64(chunks, 3);

	/* A short chunk that compression can't shrink by 12.5% is stored raw. */
	tc_buf_clear(&z);
	CHECK_OK(tc_codec_compress(&z, c, (const uint8_t *)"hello, tempo", 12));
	CHECK_EQ_U64(z.len, 10 + 8 + 12);
	CHECK_EQ_U64(z.ptr[10], 0x01);

	/* Concatenated streams, padding and skippable chunks decode. */
	tc_buf_clear(&z);
	tc_buf_clear(&in);
	fill_compressible(&in, 70000);
	CHECK_OK(tc_codec_compress(&z, c, in.ptr, in.len));
	CHECK_EQ_U64(z.ptr[10], 0x00);
	CHECK_OK(tc_buf_put(&z, "\xfe\x02\x00\x00\x00\x00", 6));
	CHECK_OK(tc_buf_put(&z, "\x80\x01\x00\x00\x07", 5));
	CHECK_OK(tc_codec_compress(&z, c, in.ptr, in.len));
	CHECK_OK(tc_codec_decompress(&back, c, z.ptr, z.len, &test_where));
	CHECK_EQ_U64(back.len, 2 * in.len);
	CHECK(memcmp(back.ptr, in.ptr, in.len) == 0 && memcmp(back.ptr + in.len, in.ptr, in.len) == 0);

	/* A reserved unskippable chunk type is corrupt. */
	tc_buf_clear(&back);
	CHECK_ERR(tc_codec_decompress(&back, c, (const uint8_t *)"\xff\x06\x00\x00sNaPpY\x02\x00\x00\x00",
				      14, &test_where), TC_ECORRUPT);
	CHECK_ERRMSG("tenant/block/data at offset 1010");
	/* Data before the stream identifier is corrupt. */
	CHECK_ERR(tc_codec_decompress(&back, c, z.ptr + 10, z.len - 10, &test_where), TC_ECORRUPT);
	CHECK_ERRMSG("stream identifier");
	CHECK_EQ_U64(back.len, 0);

	tc_codec_free(c);
	tc_buf_dispose(&in);
	tc_buf_dispose(&z);
	tc_buf_dispose(&back);
}

/* Concatenated streams (gzip members, zstd and lz4 frames) decode as one. */
static void test_concatenated(void)
{
	static const tc_encoding encs[] = { TC_ENC_GZIP, TC_ENC_ZSTD, TC_ENC_LZ4_64K };
	tc_buf a = TC_BUF_INIT, b = TC_BUF_INIT;

	fill_compressible(&a, 100000);
	fill_random(&b, 3000, 11);
	for (size_t i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
		tc_codec *c;
		tc_buf z = TC_BUF_INIT, back = TC_BUF_INIT;

		CHECK_OK(tc_codec_new(&c, encs[i]));
		CHECK_OK(tc_codec_compress(&z, c, a.ptr, a.len));
		CHECK_OK(tc_codec_compress(&z, c, b.ptr, b.len));
		CHECK_OK(tc_codec_decompress(&back, c, z.ptr, z.len, &test_where));
		CHECK_EQ_U64(back.len, a.len + b.len);
		CHECK(memcmp(back.ptr, a.ptr, a.len) == 0);
		CHECK(memcmp(back.ptr + a.len, b.ptr, b.len) == 0);
		tc_codec_free(c);
		tc_buf_dispose(&z);
		tc_buf_dispose(&back);
	}
	tc_buf_dispose(&a);
	tc_buf_dispose(&b);
}

static void expect_corrupt(tc_codec *c, const uint8_t *p, size_t n, const char *what)
{
	tc_buf back = TC_BUF_INIT;
	int r;

	tc_error_clear();
	r = tc_codec_decompress(&back, c, p, n, &test_where);
	CHECK_MSG(r == TC_ECORRUPT, "%s %s: got %d (%s), want corrupt",
		  tc_encoding_name(tc_codec_encoding(c)), what, r, tc_error_last());
	CHECK_ERRMSG("tenant/block/data at offset ");
	CHECK_EQ_U64(back.len, 0);
	tc_buf_dispose(&back);
}

static void test_corrupt(void)
{
	tc_buf in = TC_BUF_INIT;

	fill_compressible(&in, 200000);
	for (size_t i = 1; i < N_WRITABLE; i++) {
		tc_codec *c;
		tc_buf z = TC_BUF_INIT;
		tc_encoding enc = writable[i];
		int lz4 = enc >= TC_ENC_LZ4_64K && enc <= TC_ENC_LZ4;

		CHECK_OK(tc_codec_new(&c, enc));
		CHECK_OK(tc_codec_compress(&z, c, in.ptr, in.len));
		expect_corrupt(c, z.ptr, z.len - 1, "truncated by 1");
		expect_corrupt(c, z.ptr, z.len / 2, "truncated to half");
		expect_corrupt(c, z.ptr, 3, "truncated to 3 bytes");
		if (tc_test_failures)
			return;
		/* lz4 frames carry no content checksum: flip a header byte instead. */
		z.ptr[lz4 ? 5 : z.len / 2] ^= 0x10;
		expect_corrupt(c, z.ptr, z.len, "flipped byte");
		z.ptr[lz4 ? 5 : z.len / 2] ^= 0x10;
		/* Trailing garbage after a complete stream. */
		CHECK_OK(tc_buf_put(&z, "garbage!", 8));
		expect_corrupt(c, z.ptr, z.len, "trailing garbage");
		tc_codec_free(c);
		tc_buf_dispose(&z);
	}
	tc_buf_dispose(&in);
}

/* Every single-byte change and every truncation fails cleanly or decodes (lz4). */
static void test_mutations(void)
{
	tc_buf in = TC_BUF_INIT;

	fill_compressible(&in, 700);
	fill_random(&in, 100, 9);
	for (size_t i = 1; i < N_WRITABLE; i++) {
		tc_codec *c;
		tc_buf z = TC_BUF_INIT, back;

		CHECK_OK(tc_codec_new(&c, writable[i]));
		CHECK_OK(tc_codec_compress(&z, c, in.ptr, in.len));
		for (size_t pos = 0; pos < z.len; pos++) {
			int ok_len;
			for (int bit = 0; bit < 8; bit += 3) {
				int r;
				z.ptr[pos] ^= (uint8_t)(1u << bit);
				tc_buf_init(&back, 4096);
				r = tc_codec_decompress(&back, c, z.ptr, z.len, &test_where);
				CHECK_MSG(r == TC_OK || r == TC_ECORRUPT || r == TC_ELIMIT,
					  "%s: flip at %zu gave %d", tc_encoding_name(writable[i]), pos, r);
				if (r < 0)
					CHECK_ERRMSG("tenant/block/data at offset ");
				tc_buf_dispose(&back);
				z.ptr[pos] ^= (uint8_t)(1u << bit);
			}
			/* Empty, or (snappy) a stream identifier alone, is a valid empty stream. */
			ok_len = (pos == 0 && writable[i] != TC_ENC_GZIP) ||
				 (pos == 10 && writable[i] == TC_ENC_SNAPPY);
			tc_buf_init(&back, 4096);
			CHECK_ERR(tc_codec_decompress(&back, c, z.ptr, pos, &test_where),
				  ok_len ? TC_OK : TC_ECORRUPT);
			tc_buf_dispose(&back);
		}
		tc_codec_free(c);
		tc_buf_dispose(&z);
	}
	tc_buf_dispose(&in);
}

static void test_snappy_bad_crc(void)
{
	tc_codec *c;
	tc_buf in = TC_BUF_INIT, z = TC_BUF_INIT, back = TC_BUF_INIT;

	CHECK_OK(tc_codec_new(&c, TC_ENC_SNAPPY));
	for (int compressible = 0; compressible < 2; compressible++) {
		tc_buf_clear(&in);
		tc_buf_clear(&z);
		if (compressible)
			fill_compressible(&in, 1000);
		else
			fill_random(&in, 1000, 5);
		CHECK_OK(tc_codec_compress(&z, c, in.ptr, in.len));
		CHECK_EQ_U64(z.ptr[10], compressible ? 0x00 : 0x01);
		z.ptr[10 + 4 + 2] ^= 0x01; /* the chunk's CRC */
		CHECK_ERR(tc_codec_decompress(&back, c, z.ptr, z.len, &test_where), TC_ECORRUPT);
		CHECK_ERRMSG("tenant/block/data at offset 1010");
		CHECK_ERRMSG("checksum");
		CHECK_EQ_U64(back.len, 0);
	}
	tc_codec_free(c);
	tc_buf_dispose(&in);
	tc_buf_dispose(&z);
	tc_buf_dispose(&back);
}

static void test_output_cap(void)
{
	tc_buf in = TC_BUF_INIT;

	fill_compressible(&in, 300000);
	for (size_t i = 0; i < N_WRITABLE; i++) {
		tc_codec *c;
		tc_buf z = TC_BUF_INIT, back;

		CHECK_OK(tc_codec_new(&c, writable[i]));
		CHECK_OK(tc_codec_compress(&z, c, in.ptr, in.len));

		tc_buf_init(&back, in.len - 1);
		CHECK_ERR(tc_codec_decompress(&back, c, z.ptr, z.len, &test_where), TC_ELIMIT);
		CHECK_ERRMSG("tenant/block/data");
		CHECK_EQ_U64(back.len, 0);
		tc_buf_dispose(&back);

		/* A cap already mostly used by earlier content. */
		tc_buf_init(&back, in.len + 9);
		CHECK_OK(tc_buf_puts(&back, "0123456789"));
		CHECK_ERR(tc_codec_decompress(&back, c, z.ptr, z.len, &test_where), TC_ELIMIT);
		CHECK_EQ_U64(back.len, 10);
		tc_buf_dispose(&back);

		tc_buf_init(&back, in.len);
		CHECK_OK(tc_codec_decompress(&back, c, z.ptr, z.len, &test_where));
		CHECK(back.len == in.len && memcmp(back.ptr, in.ptr, in.len) == 0);
		tc_buf_dispose(&back);

		tc_codec_free(c);
		tc_buf_dispose(&z);
	}
	tc_buf_dispose(&in);
}

/* Streams z through c into dst steps of `step` bytes; *rc is the last return code. */
static size_t stream_all(int *rc, tc_codec *c, const uint8_t *z, size_t zlen, size_t step)
{
	static uint8_t dst[65536];
	tc_codec_io io = { z, zlen, 1, dst, step, 0, 0 };
	size_t total = 0;

	if ((*rc = tc_codec_stream_begin(c, &test_where)) < 0)
		return 0;
	do {
		*rc = tc_codec_stream_read(&io, c, &test_where);
		total += io.produced;
		io.src += io.used;
		io.src_len -= io.used;
	} while (*rc == 0 && (io.used || io.produced));
	return total;
}

/* docs/FORMAT.md#decompression-caps: the codec's own limit, whole-buffer and streamed. */
static void test_limit(void)
{
	tc_buf in = TC_BUF_INIT;

	fill_compressible(&in, 300000);
	for (size_t i = 0; i < N_WRITABLE; i++) {
		const char *name = tc_encoding_name(writable[i]);
		tc_codec *c;
		tc_buf z = TC_BUF_INIT, back = TC_BUF_INIT;
		size_t got;
		int rc;

		CHECK_OK(tc_codec_new(&c, writable[i]));
		CHECK_OK(tc_codec_compress(&z, c, in.ptr, in.len));

		tc_codec_set_limit(c, in.len - 1, "the test's cap");
		CHECK_ERR(tc_codec_decompress(&back, c, z.ptr, z.len, &test_where), TC_ELIMIT);
		CHECK_ERRMSG("tenant/block/data at offset 1000: ");
		CHECK_ERRMSG(" the cap of 299999 ");
		CHECK_ERRMSG("(the test's cap)");
		CHECK_EQ_U64(back.len, 0);
		/* Our zstd frames declare their size: refused before decoding. */
		got = stream_all(&rc, c, z.ptr, z.len, 4096);
		CHECK_MSG(rc == TC_ELIMIT && got == (writable[i] == TC_ENC_ZSTD ? 0 : in.len - 1),
			  "%s: rc %d, %zu bytes", name, rc, got);
		CHECK_ERRMSG("(the test's cap)");

		/* Exactly at the limit is within it, both ways. */
		tc_codec_set_limit(c, in.len, "the test's cap");
		CHECK_OK(tc_codec_decompress(&back, c, z.ptr, z.len, &test_where));
		CHECK(back.len == in.len && memcmp(back.ptr, in.ptr, in.len) == 0);
		got = stream_all(&rc, c, z.ptr, z.len, 4096);
		CHECK_MSG(rc == 1 && got == in.len, "%s: rc %d, %zu bytes", name, rc, got);

		tc_codec_set_limit(c, 0, NULL);
		tc_buf_clear(&back);
		CHECK_OK(tc_codec_decompress(&back, c, z.ptr, z.len, &test_where));
		CHECK_EQ_U64(back.len, in.len);
		tc_codec_free(c);
		tc_buf_dispose(&z);
		tc_buf_dispose(&back);
	}
	tc_buf_dispose(&in);
}

/*
 * Decompression bombs, 32 MiB of zeros in every compressing codec (and a
 * zstd frame without a content size, as Tempo writes large pages): refused
 * at a 1 MiB limit, with the output grown only as far as it was produced
 * (a frame that declares its size, before anything is allocated), and the
 * codec usable afterwards.
 */
static void test_bombs(void)
{
	const size_t n = (size_t)32 << 20, limit = (size_t)1 << 20;
	uint8_t *zeros = calloc(1, n);
	tc_buf good = TC_BUF_INIT;

	CHECK(zeros != NULL);
	fill_compressible(&good, 5000);
	for (size_t i = 0; i <= N_WRITABLE; i++) {
		tc_encoding enc = i < N_WRITABLE ? writable[i] : TC_ENC_ZSTD;
		int sized = i < N_WRITABLE; /* the last round: zstd without a content size */
		tc_codec *c;
		tc_buf z = TC_BUF_INIT, back = TC_BUF_INIT, gz = TC_BUF_INIT;
		size_t got;
		int rc;

		if (enc == TC_ENC_NONE)
			continue;
		CHECK_OK(tc_codec_new(&c, enc));
		if (sized) {
			CHECK_OK(tc_codec_compress(&z, c, zeros, n));
		} else {
			ZSTD_CCtx *zc = ZSTD_createCCtx();
			CHECK(zc && !ZSTD_isError(ZSTD_CCtx_setParameter(zc, ZSTD_c_contentSizeFlag, 0)));
			CHECK_OK(tc_buf_reserve(&z, ZSTD_compressBound(n)));
			z.len = ZSTD_compress2(zc, z.ptr, ZSTD_compressBound(n), zeros, n);
			ZSTD_freeCCtx(zc);
			CHECK(!ZSTD_isError(z.len));
		}
		CHECK_MSG(z.len * 20 < n, "%s: %zu compressed bytes is no bomb", tc_encoding_name(enc), z.len);

		tc_codec_set_limit(c, limit, "bomb test");
		CHECK_ERR(tc_codec_decompress(&back, c, z.ptr, z.len, &test_where), TC_ELIMIT);
		CHECK_ERRMSG("the cap of 1048576");
		CHECK_EQ_U64(back.len, 0);
		if (enc == TC_ENC_ZSTD && sized) {
			CHECK_ERRMSG("declares 33554432 decompressed bytes");
			CHECK_EQ_U64(back.asize, 0);
		} else {
			CHECK_MSG(back.asize <= 2 * limit + 65536, "%s: %zu bytes allocated",
				  tc_encoding_name(enc), back.asize);
		}
		got = stream_all(&rc, c, z.ptr, z.len, 65536);
		CHECK_MSG(rc == TC_ELIMIT && got <= limit, "%s: rc %d after %zu bytes", tc_encoding_name(enc),
			  rc, got);

		/* The same codec reads a good stream afterwards. */
		CHECK_OK(tc_codec_compress(&gz, c, good.ptr, good.len));
		tc_buf_clear(&back);
		CHECK_OK(tc_codec_decompress(&back, c, gz.ptr, gz.len, &test_where));
		CHECK(back.len == good.len && memcmp(back.ptr, good.ptr, good.len) == 0);
		tc_codec_free(c);
		tc_buf_dispose(&z);
		tc_buf_dispose(&gz);
		tc_buf_dispose(&back);
	}
	tc_buf_dispose(&good);
	free(zeros);
}

static void test_s2(void)
{
	static const uint8_t s2[] = { 0xff, 0x06, 0x00, 0x00, 'S', '2', 's', 'T', 'w', 'O',
				      0x01, 0x09, 0x00, 0x00, 0, 0, 0, 0, 'a', 'b', 'c', 'd', 'e' };
	tc_codec *c, *snappy;
	tc_buf out = TC_BUF_INIT;

	CHECK_OK(tc_codec_new(&c, TC_ENC_S2));
	CHECK_ERR(tc_codec_decompress(&out, c, s2, sizeof(s2), &test_where), TC_EUNSUPPORTED);
	CHECK_ERRMSG("unsupported encoding s2");
	CHECK_ERR(tc_codec_compress(&out, c, s2, sizeof(s2)), TC_EUNSUPPORTED);
	CHECK_EQ_U64(out.len, 0);
	tc_codec_free(c);

	/* An s2 stream in a snappy block is corrupt, not silently misread. */
	CHECK_OK(tc_codec_new(&snappy, TC_ENC_SNAPPY));
	CHECK_ERR(tc_codec_decompress(&out, snappy, s2, sizeof(s2), &test_where), TC_ECORRUPT);
	CHECK_EQ_U64(out.len, 0);
	tc_buf_dispose(&out);
	tc_codec_free(snappy);
	CHECK_ERR(tc_codec_new(&c, (tc_encoding)9), TC_EINVALID);
	tc_codec_free(NULL);
}

/* --- Tempo-written fixture blocks --- */

typedef struct fixture_stats {
	size_t pages, objects, identical;
} fixture_stats;

/* A decompressed page is a run of objects: u32 total | u32 idLen(16) | id | body. */
static void check_objects(const tc_buf *page, const char *key)
{
	size_t pos = 0;
	const uint8_t *prev = NULL;

	while (pos < page->len) {
		uint32_t total, idlen;
		CHECK_MSG(page->len - pos >= 8, "%s: object header truncated at %zu", key, pos);
		total = tc_get_u32le(page->ptr + pos);
		idlen = tc_get_u32le(page->ptr + pos + 4);
		CHECK_MSG(idlen == 16, "%s: idLen %u at %zu", key, idlen, pos);
		CHECK_MSG(total >= 8 + idlen && total <= page->len - pos,
			  "%s: object of %u bytes at %zu overruns page of %zu", key, total, pos,
			  page->len);
		if (prev)
			CHECK_MSG(memcmp(prev, page->ptr + pos + 8, 16) < 0,
				  "%s: IDs not ascending at %zu", key, pos);
		prev = page->ptr + pos + 8;
		pos += total;
	}
	CHECK_EQ_U64(pos, page->len);
}

static void check_block(const char *dir, const char *key, tc_encoding enc, fixture_stats *st)
{
	char path[8300];
	tc_buf data = TC_BUF_INIT, page = TC_BUF_INIT, again = TC_BUF_INIT;
	tc_codec *c;
	size_t off = 0, hdr;

	snprintf(path, sizeof(path), "%s/data", dir);
	CHECK_OK(tc_test_read_file(&data, path));
	CHECK_OK(tc_codec_new(&c, enc));
	CHECK(data.len > 0);
	while (off < data.len) {
		uint32_t total;
		tc_where w = { key, 0 };

		CHECK_MSG(data.len - off >= 6, "%s: page header truncated at %zu", key, off);
		total = tc_get_u32le(data.ptr + off);
		CHECK_MSG(total >= 6 && total <= data.len - off, "%s: bad page length %u at %zu",
			  key, total, off);
		CHECK_EQ_U64(tc_get_u16le(data.ptr + off + 4), 0);
		w.off = off + 6;
		tc_buf_clear(&page);
		tc_buf_init(&page, 64 << 20);
		CHECK_OK(tc_codec_decompress(&page, c, data.ptr + off + 6, total - 6, &w));
		CHECK(page.len > 0);
		check_objects(&page, key);
		if (tc_test_failures)
			break;
		st->objects++;

		/* Would we write this page byte for byte as Tempo did? Counted, not required. */
		tc_buf_clear(&again);
		CHECK_OK(tc_codec_compress(&again, c, page.ptr, page.len));
		/* Our framing is Tempo's: snappy stream identifier, lz4 magic/FLG/BD/HC. */
		hdr = enc == TC_ENC_SNAPPY ? 10 : enc >= TC_ENC_LZ4_64K && enc <= TC_ENC_LZ4 ? 7 : 0;
		CHECK_MSG(again.len >= hdr && total - 6 >= hdr &&
			  memcmp(again.ptr, data.ptr + off + 6, hdr) == 0,
			  "%s: page at %zu: our %zu header bytes differ from Tempo's", key, off, hdr);
		if (again.len == total - 6 && memcmp(again.ptr, data.ptr + off + 6, again.len) == 0)
			st->identical++;
		tc_buf_dispose(&page);
		st->pages++;
		off += total;
	}
	tc_codec_free(c);
	tc_buf_dispose(&data);
	tc_buf_dispose(&page);
	tc_buf_dispose(&again);
}

static void check_fixture_set(const char *set, tc_encoding enc, fixture_stats *st)
{
	char rel[512], tenant_dir[4096];
	const char *tenant = strcmp(set, "tempo-repo-fake") == 0 ? "fake" : "single-tenant";
	DIR *d;
	struct dirent *e;
	size_t blocks = 0;

	snprintf(rel, sizeof(rel), "tempo-v2/%s/blocks/%s", set, tenant);
	snprintf(tenant_dir, sizeof(tenant_dir), "%s", tc_test_data(rel));
	CHECK((d = opendir(tenant_dir)) != NULL);
	while ((e = readdir(d)) != NULL) {
		char dir[8192], key[512];
		struct stat sb;
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", tenant_dir, e->d_name);
		if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
			continue; /* index.json.gz */
		snprintf(key, sizeof(key), "%s/%s/data", tenant, e->d_name);
		check_block(dir, key, enc, st);
		blocks++;
		if (tc_test_failures)
			break;
	}
	closedir(d);
	CHECK(blocks > 0);
}

static void test_fixtures(void)
{
	static const struct { const char *set; tc_encoding enc; } sets[] = {
		{ "none", TC_ENC_NONE }, { "gzip", TC_ENC_GZIP }, { "lz4-1M", TC_ENC_LZ4_1M },
		{ "snappy", TC_ENC_SNAPPY }, { "zstd", TC_ENC_ZSTD },
		{ "none-tempo-compacted", TC_ENC_NONE }, { "gzip-tempo-compacted", TC_ENC_GZIP },
		{ "lz4-1M-tempo-compacted", TC_ENC_LZ4_1M },
		{ "snappy-tempo-compacted", TC_ENC_SNAPPY },
		{ "zstd-tempo-compacted", TC_ENC_ZSTD }, { "tempo-repo-fake", TC_ENC_SNAPPY },
	};

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		fixture_stats st = { 0, 0, 0 };
		check_fixture_set(sets[i].set, sets[i].enc, &st);
		if (tc_test_failures)
			return;
		CHECK(st.pages > 0);
		fprintf(stderr, "     %-24s %zu pages decoded, %zu re-encoded byte-identical\n",
			sets[i].set, st.pages, st.identical);
		/*
		 * Only none must be identical: the compressing codecs use the C libraries,
		 * not Tempo's Go compressors, so their pages decode the same but may differ.
		 */
		if (sets[i].enc == TC_ENC_NONE)
			CHECK_MSG(st.identical == st.pages, "%s: only %zu of %zu pages identical",
				  sets[i].set, st.identical, st.pages);
	}
}

/*
 * The LZ4 frame header must be the one pierrec/lz4 writes for each block size,
 * even for input smaller than a block; a block that doesn't shrink is stored raw.
 */
static void test_lz4_header(void)
{
	static const struct { tc_encoding enc; uint8_t bd; } encs[] = {
		{ TC_ENC_LZ4_64K, 0x40 }, { TC_ENC_LZ4_256K, 0x50 },
		{ TC_ENC_LZ4_1M, 0x60 }, { TC_ENC_LZ4, 0x70 },
	};
	tc_buf z = TC_BUF_INIT, rnd = TC_BUF_INIT;

	for (size_t i = 0; i < 4; i++) {
		tc_codec *c;
		tc_buf_clear(&z);
		CHECK_OK(tc_codec_new(&c, encs[i].enc));
		CHECK_OK(tc_codec_compress(&z, c, (const uint8_t *)"abc", 3));
		CHECK_EQ_U64(z.len, 7 + 4 + 3 + 4);
		CHECK(memcmp(z.ptr, "\x04\x22\x4d\x18\x60", 5) == 0);
		CHECK_EQ_U64(z.ptr[5], encs[i].bd);
		/* HC: the second byte of XXH32 over FLG and BD. */
		CHECK_EQ_U64(z.ptr[6], (XXH32(z.ptr + 4, 2, 0) >> 8) & 0xff);
		CHECK_EQ_U64(tc_get_u32le(z.ptr + 7), 0x80000000u | 3);
		CHECK(memcmp(z.ptr + z.len - 4, "\0\0\0\0", 4) == 0);
		/* Two full blocks and a short one, random so each is stored raw. */
		tc_buf_clear(&z);
		tc_buf_clear(&rnd);
		fill_random(&rnd, 2 * (65536u << (2 * i)) + 5, 13);
		CHECK_OK(tc_codec_compress(&z, c, rnd.ptr, rnd.len));
		CHECK_EQ_U64(z.len, 7 + 3 * 4 + rnd.len + 4);
		CHECK_EQ_U64(tc_get_u32le(z.ptr + 7), 0x80000000u | (65536u << (2 * i)));
		CHECK_EQ_U64(tc_get_u32le(z.ptr + z.len - 4 - 5 - 4), 0x80000000u | 5);
		tc_codec_free(c);
	}
	tc_buf_dispose(&z);
	tc_buf_dispose(&rnd);
}

static void test_gzip_header(void)
{
	tc_codec *c;
	tc_buf z = TC_BUF_INIT;
	CHECK_OK(tc_codec_new(&c, TC_ENC_GZIP));
	CHECK_OK(tc_codec_compress(&z, c, (const uint8_t *)"abc", 3));
	CHECK(memcmp(z.ptr, "\x1f\x8b\x08\x00\x00\x09\x6e\x88\x00\xff", 10) == 0);
	CHECK_EQ_U64(tc_get_u32le(z.ptr + z.len - 4), 3);
	tc_codec_free(c);
	tc_buf_dispose(&z);
}

/*
 * A codec reused after a stream that stopped inside a frame declaring a
 * content size still reads the next good page (liblz4 1.9.4's reset keeps
 * the old frame's remaining size; found by tests/fuzz/fuzz_codec.c).
 */
static void test_lz4_reuse_after_error(void)
{
	uint8_t bad[4 + 2 + 8 + 1] = { 0x04, 0x22, 0x4d, 0x18, 0x68, 0x40 };
	tc_buf z = TC_BUF_INIT, out = TC_BUF_INIT;
	tc_codec *c;

	tc_put_u64le(bad + 6, 100); /* content size 100, then the stream ends */
	bad[14] = (uint8_t)(XXH32(bad + 4, 10, 0) >> 8);
	CHECK_OK(tc_codec_new(&c, TC_ENC_LZ4_64K));
	CHECK_OK(tc_codec_compress(&z, c, (const uint8_t *)"abc", 3));
	CHECK_ERR(tc_codec_decompress(&out, c, bad, sizeof(bad), &test_where), TC_ECORRUPT);
	CHECK_OK(tc_codec_decompress(&out, c, z.ptr, z.len, &test_where));
	CHECK(out.len == 3 && memcmp(out.ptr, "abc", 3) == 0);
	tc_codec_free(c);
	tc_buf_dispose(&z);
	tc_buf_dispose(&out);
}

TC_TEST_MAIN(T(test_names), T(test_round_trip), T(test_snappy_framing), T(test_concatenated),
	     T(test_corrupt), T(test_mutations), T(test_snappy_bad_crc), T(test_output_cap), T(test_limit),
	     T(test_bombs), T(test_s2),
	     T(test_fixtures), T(test_lz4_header), T(test_gzip_header), T(test_lz4_reuse_after_error))
