/*
 * Writes decompression bombs for the tests (docs/FORMAT.md#decompression-caps):
 * a page of a few kilobytes that decompresses to gigabytes, compressed as
 * it is generated so the tool itself never holds it.
 *
 *   tc_mkbomb block ROOT TENANT ENC BYTES OBJ [LIKE_META]
 *	One v2 block in the local bucket ROOT: a single data page of BYTES
 *	decompressed bytes, objects of OBJ bytes with ascending IDs (OBJ 0:
 *	one object of all BYTES), each body a valid v2 body (a TraceBytes
 *	whose only field is an unknown one of zeros, which readers skip), and
 *	the meta, index and bloom that go with it. Times and level come from
 *	LIKE_META (a meta.json) so the block joins those of a compaction
 *	window. Prints "block=ID last=HEXID compressed=N objects=N".
 *   tc_mkbomb codec FILE ENC BYTES
 *	BYTES zeros compressed as one stream, behind a byte naming the
 *	encoding (the fuzz_codec input layout).
 *   tc_mkbomb fuzzblock FILE ENC BYTES OBJ
 *	The block as fuzz_block reads it: flags 2 (an all-ones bloom),
 *	meta.json, index, data.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include "encoding/bloom.h"
#include "encoding/codec.h"
#include "encoding/index.h"
#include "encoding/meta.h"
#include "encoding/page.h"
#include "src/util/ids.h"

#define PIECE (1u << 20)
#define SNAPPY_CHUNK 65536
#define INDEX_PAGE 1000 /* small enough for fuzz_block's u16 length */

typedef struct sink {
	tc_encoding enc;
	tc_buf out; /* the compressed stream */
	ZSTD_CCtx *zc;
	z_stream z;
	LZ4F_cctx *lc;
	LZ4F_preferences_t lp;
	tc_codec *codec; /* none and snappy: whole chunks through our codec */
	uint8_t chunk[SNAPPY_CHUNK];
	size_t chunk_len;
	int snappy_started;
} sink;

static void die(const char *what)
{
	fprintf(stderr, "tc_mkbomb: %s: %s\n", what, tc_error_last());
	exit(1);
}

static void need(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "tc_mkbomb: %s\n", what);
		exit(1);
	}
}

static LZ4F_preferences_t lz4_prefs(tc_encoding enc)
{
	LZ4F_preferences_t p;

	memset(&p, 0, sizeof(p));
	p.frameInfo.blockSizeID = enc == TC_ENC_LZ4_64K    ? LZ4F_max64KB
				  : enc == TC_ENC_LZ4_256K ? LZ4F_max256KB
				  : enc == TC_ENC_LZ4_1M   ? LZ4F_max1MB
							   : LZ4F_max4MB;
	p.frameInfo.blockMode = LZ4F_blockIndependent;
	return p;
}

static void sink_open(sink *s, tc_encoding enc)
{
	memset(s, 0, sizeof(*s));
	s->enc = enc;
	tc_buf_init(&s->out, 0);
	switch (enc) {
	case TC_ENC_ZSTD:
		/* No content size, as Tempo writes large pages: only counting can stop it. */
		s->zc = ZSTD_createCCtx();
		need(s->zc && !ZSTD_isError(ZSTD_CCtx_setParameter(s->zc, ZSTD_c_checksumFlag, 1)),
		     "zstd context");
		break;
	case TC_ENC_GZIP:
		need(deflateInit2(&s->z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) == Z_OK, "deflateInit2");
		break;
	case TC_ENC_LZ4_64K:
	case TC_ENC_LZ4_256K:
	case TC_ENC_LZ4_1M:
	case TC_ENC_LZ4: {
		size_t n;
		s->lp = lz4_prefs(enc);
		need(!LZ4F_isError(LZ4F_createCompressionContext(&s->lc, LZ4F_VERSION)), "lz4 context");
		if (tc_buf_reserve(&s->out, LZ4F_HEADER_SIZE_MAX) < 0)
			die("lz4");
		n = LZ4F_compressBegin(s->lc, s->out.ptr, LZ4F_HEADER_SIZE_MAX, &s->lp);
		need(!LZ4F_isError(n), "lz4 begin");
		s->out.len += n;
		break;
	}
	case TC_ENC_NONE:
	case TC_ENC_SNAPPY:
		if (tc_codec_new(&s->codec, enc) < 0)
			die("codec");
		break;
	default:
		need(0, "cannot write that encoding");
	}
}

/* One snappy chunk, through our codec; its stream identifier only once. */
static void snappy_flush(sink *s)
{
	size_t start = s->out.len;

	if (!s->chunk_len)
		return;
	if (tc_codec_compress(&s->out, s->codec, s->chunk, s->chunk_len) < 0)
		die("snappy");
	if (s->snappy_started) {
		memmove(s->out.ptr + start, s->out.ptr + start + 10, s->out.len - start - 10);
		s->out.len -= 10;
	}
	s->snappy_started = 1;
	s->chunk_len = 0;
}

static void sink_put(sink *s, const uint8_t *p, size_t n, int end)
{
	switch (s->enc) {
	case TC_ENC_ZSTD: {
		ZSTD_inBuffer in = { p, n, 0 };
		size_t left;
		do {
			if (tc_buf_reserve(&s->out, ZSTD_CStreamOutSize()) < 0)
				die("zstd");
			ZSTD_outBuffer ob = { s->out.ptr + s->out.len, ZSTD_CStreamOutSize(), 0 };
			left = ZSTD_compressStream2(s->zc, &ob, &in, end ? ZSTD_e_end : ZSTD_e_continue);
			need(!ZSTD_isError(left), "zstd compress");
			s->out.len += ob.pos;
		} while (in.pos < in.size || (end && left));
		break;
	}
	case TC_ENC_GZIP: {
		int zr;
		s->z.next_in = (Bytef *)p;
		s->z.avail_in = (uInt)n;
		do {
			if (tc_buf_reserve(&s->out, 65536) < 0)
				die("gzip");
			s->z.next_out = s->out.ptr + s->out.len;
			s->z.avail_out = 65536;
			zr = deflate(&s->z, end ? Z_FINISH : Z_NO_FLUSH);
			need(zr == Z_OK || zr == Z_STREAM_END || zr == Z_BUF_ERROR, "deflate");
			s->out.len += 65536 - s->z.avail_out;
		} while (s->z.avail_in || (end && zr != Z_STREAM_END));
		break;
	}
	case TC_ENC_NONE:
	case TC_ENC_SNAPPY:
		while (n) {
			size_t k = SNAPPY_CHUNK - s->chunk_len < n ? SNAPPY_CHUNK - s->chunk_len : n;
			memcpy(s->chunk + s->chunk_len, p, k);
			s->chunk_len += k;
			p += k;
			n -= k;
			if (s->chunk_len == SNAPPY_CHUNK)
				snappy_flush(s);
		}
		if (end)
			snappy_flush(s);
		break;
	default: { /* lz4 */
		size_t bound = LZ4F_compressBound(n, &s->lp) + 16, r;
		if (tc_buf_reserve(&s->out, bound) < 0)
			die("lz4");
		r = n ? LZ4F_compressUpdate(s->lc, s->out.ptr + s->out.len, bound, p, n, NULL) : 0;
		need(!LZ4F_isError(r), "lz4 compress");
		s->out.len += r;
		if (end) {
			bound = LZ4F_compressBound(0, &s->lp) + 16;
			if (tc_buf_reserve(&s->out, bound) < 0)
				die("lz4");
			r = LZ4F_compressEnd(s->lc, s->out.ptr + s->out.len, bound, NULL);
			need(!LZ4F_isError(r), "lz4 end");
			s->out.len += r;
		}
	}
	}
}

static void sink_close(sink *s)
{
	ZSTD_freeCCtx(s->zc);
	if (s->enc == TC_ENC_GZIP)
		deflateEnd(&s->z);
	if (s->lc)
		LZ4F_freeCompressionContext(s->lc);
	tc_codec_free(s->codec);
}

static const uint8_t zeros[PIECE];

static void put_zeros(sink *s, uint64_t n)
{
	while (n) {
		size_t k = n < PIECE ? (size_t)n : PIECE;
		sink_put(s, zeros, k, 0);
		n -= k;
	}
}

static size_t varint(uint8_t *p, uint64_t v)
{
	size_t i = 0;
	for (; v >= 0x80; v >>= 7)
		p[i++] = (uint8_t)(v | 0x80);
	p[i++] = (uint8_t)v;
	return i;
}

static void object_id(uint8_t id[TC_ID_LEN], uint64_t i)
{
	memset(id, 0, TC_ID_LEN);
	id[0] = 0x42; /* away from the all-zero ID */
	for (int k = 0; k < 8; k++)
		id[15 - k] = (uint8_t)((i + 1) >> (8 * k));
}

/*
 * One object of `total` bytes: header, ID, then a v2 body whose TraceBytes
 * holds only field 2 (unknown, skipped by every reader) of zeros.
 */
static void put_object(sink *s, uint64_t i, uint64_t total)
{
	uint8_t h[TC_OBJECT_HEADER_LEN + TC_ID_LEN + 8 + 1 + 10];
	uint64_t body = total - TC_OBJECT_HEADER_LEN - TC_ID_LEN, pad = 0;
	size_t n = 0, vl;

	tc_put_u32le(h, (uint32_t)total);
	tc_put_u32le(h + 4, TC_ID_LEN);
	object_id(h + 8, i);
	n = TC_OBJECT_HEADER_LEN + TC_ID_LEN;
	tc_put_u32le(h + n, 1700000000);
	tc_put_u32le(h + n + 4, 1700000060);
	n += 8;
	for (vl = 1; vl <= 10; vl++) {
		uint8_t tmp[10];
		pad = body - 8 - 1 - vl;
		if (varint(tmp, pad) == vl)
			break;
	}
	h[n++] = 0x12;
	n += varint(h + n, pad);
	sink_put(s, h, n, 0);
	put_zeros(s, pad);
}

static tc_encoding encoding_arg(const char *name)
{
	tc_encoding e;
	if (tc_encoding_from_name(&e, name) < 0)
		die(name);
	return e;
}

static uint64_t size_arg(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t mul = *end == 'K' ? 1u << 10 : *end == 'M' ? 1u << 20 : *end == 'G' ? 1u << 30 : 1;
	return (uint64_t)v * mul;
}

typedef struct bomb {
	tc_meta meta;
	tc_buf data, index, bloom, meta_json;
	char last_hex[2 * TC_ID_LEN + 1];
} bomb;

static void make_block(bomb *b, const char *tenant, tc_encoding enc, uint64_t bytes, uint64_t obj,
		       const tc_meta *like)
{
	uint64_t count = obj ? bytes / obj : 1, last = obj ? obj + bytes % obj : bytes;
	uint8_t hdr[TC_PAGE_HEADER_LEN], id[TC_ID_LEN];
	tc_record rec;
	tc_bloom *bl;
	tc_uuid u;
	sink s;

	need(count >= 1 && (obj == 0 || obj > 64) && bytes <= UINT32_MAX * count, "bad sizes");
	sink_open(&s, enc);
	for (uint64_t i = 0; i < count; i++)
		put_object(&s, i, i + 1 < count ? obj : last);
	sink_put(&s, NULL, 0, 1);

	tc_buf_init(&b->data, 0);
	if (tc_page_header(hdr, s.out.len) < 0 || tc_buf_put(&b->data, hdr, sizeof(hdr)) < 0 ||
	    tc_buf_put(&b->data, s.out.ptr, s.out.len) < 0)
		die("page");
	sink_close(&s);
	tc_buf_dispose(&s.out);

	memset(&b->meta, 0, sizeof(b->meta));
	snprintf(b->meta.format, sizeof(b->meta.format), "v2");
	if (tc_uuid_v4(&u) < 0)
		die("uuid");
	tc_uuid_format(b->meta.block_id, &u);
	snprintf(b->meta.tenant, sizeof(b->meta.tenant), "%s", tenant);
	object_id(b->meta.min_id, 0);
	object_id(b->meta.max_id, count - 1);
	b->meta.min_id_len = b->meta.max_id_len = TC_ID_LEN;
	b->meta.start = like ? like->start : tc_time_from_unix(1700000000, 0);
	b->meta.end = like ? like->end : tc_time_from_unix(1700000060, 0);
	b->meta.level = like ? like->level : 0;
	b->meta.total_objects = (int64_t)count;
	b->meta.size = b->data.len;
	b->meta.encoding = enc;
	b->meta.index_page_size = INDEX_PAGE;
	b->meta.total_records = 1;
	snprintf(b->meta.data_encoding, sizeof(b->meta.data_encoding), "v2");
	b->meta.has_footer_size = 1;

	memcpy(rec.id, b->meta.max_id, TC_ID_LEN);
	rec.start = 0;
	rec.length = (uint32_t)b->data.len;
	tc_buf_init(&b->index, 0);
	if (tc_index_write(&b->index, &rec, 1, INDEX_PAGE) < 0)
		die("index");
	if (tc_bloom_new(&bl, count, 0.01, 102400) < 0)
		die("bloom");
	for (uint64_t i = 0; i < count; i++) {
		object_id(id, i);
		tc_bloom_add(bl, id, TC_ID_LEN);
	}
	need(tc_bloom_shard_count(bl) == 1, "one bloom shard");
	b->meta.bloom_shards = 1;
	tc_buf_init(&b->bloom, 0);
	if (tc_bloom_write_shard(&b->bloom, bl, 0) < 0)
		die("bloom");
	tc_bloom_free(bl);
	tc_buf_init(&b->meta_json, 0);
	if (tc_meta_write(&b->meta_json, &b->meta, 0) < 0)
		die("meta");
	tc_hex_encode(b->last_hex, b->meta.max_id, TC_ID_LEN);
}

static void bomb_dispose(bomb *b)
{
	tc_buf_dispose(&b->data);
	tc_buf_dispose(&b->index);
	tc_buf_dispose(&b->bloom);
	tc_buf_dispose(&b->meta_json);
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	need(f && fwrite(p, 1, n, f) == n && fclose(f) == 0, path);
}

static void read_like(tc_meta *m, const char *path)
{
	char buf[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	need(f != NULL, path);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (tc_meta_parse(m, buf, n, &(tc_where){ path, 0 }) < 0)
		die(path);
}

int main(int argc, char **argv)
{
	bomb b;
	char path[4096];

	if (argc >= 7 && !strcmp(argv[1], "block")) {
		tc_meta like;
		if (argc > 7)
			read_like(&like, argv[7]);
		make_block(&b, argv[3], encoding_arg(argv[4]), size_arg(argv[5]), size_arg(argv[6]),
			   argc > 7 ? &like : NULL);
		snprintf(path, sizeof(path), "%s/%s", argv[2], argv[3]);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/%s/%s", argv[2], argv[3], b.meta.block_id);
		need(mkdir(path, 0755) == 0, path);
		snprintf(path, sizeof(path), "%s/%s/%s/data", argv[2], argv[3], b.meta.block_id);
		write_file(path, b.data.ptr, b.data.len);
		snprintf(path, sizeof(path), "%s/%s/%s/index", argv[2], argv[3], b.meta.block_id);
		write_file(path, b.index.ptr, b.index.len);
		snprintf(path, sizeof(path), "%s/%s/%s/bloom-0", argv[2], argv[3], b.meta.block_id);
		write_file(path, b.bloom.ptr, b.bloom.len);
		snprintf(path, sizeof(path), "%s/%s/%s/meta.json", argv[2], argv[3], b.meta.block_id);
		write_file(path, b.meta_json.ptr, b.meta_json.len);
		printf("block=%s last=%s compressed=%zu objects=%lld\n", b.meta.block_id, b.last_hex,
		       b.data.len, (long long)b.meta.total_objects);
		bomb_dispose(&b);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "codec")) {
		tc_encoding enc = encoding_arg(argv[3]);
		uint8_t e = (uint8_t)enc;
		sink s;
		FILE *f;
		sink_open(&s, enc);
		put_zeros(&s, size_arg(argv[4]));
		sink_put(&s, NULL, 0, 1);
		f = fopen(argv[2], "wb");
		need(f && fwrite(&e, 1, 1, f) == 1 && fwrite(s.out.ptr, 1, s.out.len, f) == s.out.len &&
			     fclose(f) == 0, argv[2]);
		sink_close(&s);
		tc_buf_dispose(&s.out);
		return 0;
	}
	if (argc == 6 && !strcmp(argv[1], "fuzzblock")) {
		uint8_t flags = 2, len[2];
		FILE *f;
		make_block(&b, "bomb", encoding_arg(argv[3]), size_arg(argv[4]), size_arg(argv[5]), NULL);
		f = fopen(argv[2], "wb");
		need(f != NULL, argv[2]);
		fwrite(&flags, 1, 1, f);
		len[0] = (uint8_t)b.meta_json.len;
		len[1] = (uint8_t)(b.meta_json.len >> 8);
		fwrite(len, 1, 2, f);
		fwrite(b.meta_json.ptr, 1, b.meta_json.len, f);
		len[0] = (uint8_t)b.index.len;
		len[1] = (uint8_t)(b.index.len >> 8);
		fwrite(len, 1, 2, f);
		fwrite(b.index.ptr, 1, b.index.len, f);
		need(fwrite(b.data.ptr, 1, b.data.len, f) == b.data.len && fclose(f) == 0, argv[2]);
		bomb_dispose(&b);
		return 0;
	}
	fprintf(stderr, "usage: tc_mkbomb block ROOT TENANT ENC BYTES OBJ [LIKE_META]\n"
			"       tc_mkbomb codec FILE ENC BYTES\n"
			"       tc_mkbomb fuzzblock FILE ENC BYTES OBJ\n");
	return 2;
}
