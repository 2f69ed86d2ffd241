/*
 * Snappy framing format (google/snappy framing_format.txt), written the way
 * github.com/golang/snappy's NewBufferedWriter frames it, which Tempo 1.5
 * uses for "snappy" pages. The framing is ours (libsnappy has none); each
 * chunk's block is compressed and decompressed by libsnappy. libsnappy finds
 * other matches than Go's encoder, so compressed chunks need not be Tempo's
 * bytes; any snappy reader decodes them the same.
 */
#include <string.h>

#include <isa-l/crc.h>
#include <snappy-c.h>

#include "encoding/codec_impl.h"

#define SNAPPY_MAX_BLOCK 65536 /* uncompressed bytes per chunk, the format's limit */

enum {
	CHUNK_COMPRESSED = 0x00,
	CHUNK_UNCOMPRESSED = 0x01,
	CHUNK_STREAM_ID = 0xff,
};

static const uint8_t magic_chunk[10] = { 0xff, 0x06, 0x00, 0x00, 's', 'N', 'a', 'P', 'p', 'Y' };
static const uint8_t s2_magic_body[6] = { 'S', '2', 's', 'T', 'w', 'O' };

static uint32_t masked_crc(const uint8_t *p, size_t n)
{
	/* ISA-L's crc32_iscsi leaves the initial and final inversion to the caller. */
	uint32_t c = ~crc32_iscsi((unsigned char *)p, (int)n, 0xffffffffu);
	return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

static void put_chunk_header(uint8_t *h, uint8_t type, size_t body_len, uint32_t crc)
{
	size_t chunk_len = 4 + body_len;

	h[0] = type;
	h[1] = (uint8_t)chunk_len;
	h[2] = (uint8_t)(chunk_len >> 8);
	h[3] = (uint8_t)(chunk_len >> 16);
	tc_put_u32le(h + 4, crc);
}

int tc_codec_snappy_compress(tc_buf *out, const uint8_t *src, size_t len)
{
	int err;

	/* Go writes nothing at all, not even the stream identifier, for no input. */
	if (len == 0)
		return TC_OK;
	if ((err = tc_buf_put(out, magic_chunk, sizeof(magic_chunk))) < 0)
		return err;
	while (len > 0) {
		size_t n = len < SNAPPY_MAX_BLOCK ? len : SNAPPY_MAX_BLOCK;
		size_t clen = snappy_max_compressed_length(n);
		uint32_t crc = masked_crc(src, n);
		uint8_t *h;

		if ((err = tc_buf_reserve(out, 8 + clen)) < 0)
			return err;
		h = out->ptr + out->len;
		if (snappy_compress((const char *)src, n, (char *)h + 8, &clen) != SNAPPY_OK) {
			tc_error_set("snappy: cannot compress a chunk of %zu bytes", n);
			return TC_ERROR;
		}
		if (clen < n - n / 8) {
			put_chunk_header(h, CHUNK_COMPRESSED, clen, crc);
			out->len += 8 + clen;
		} else {
			/* As Go's writer: keep the raw bytes unless compression saves 12.5%. */
			put_chunk_header(h, CHUNK_UNCOMPRESSED, n, crc);
			memcpy(h + 8, src, n);
			out->len += 8 + n;
		}
		src += n;
		len -= n;
	}
	return TC_OK;
}

/* Reserves n bytes of output under the cap. */
static int out_room(tc_buf *out, size_t n, const tc_where *w)
{
	size_t room;
	int err;

	if ((err = tc_codec_out_room(out, n, &room)) < 0)
		return err;
	return room < n ? tc_codec_limit(out, w, "snappy") : TC_OK;
}

/* A chunk body is a masked CRC-32C of the uncompressed data, then the data. */
static int decode_uncompressed(tc_buf *out, const uint8_t *body, size_t blen,
			       const tc_where *w, size_t pos)
{
	size_t n = blen - 4;
	int err;

	if (blen < 4)
		return tc_codec_corrupt(w, pos, "snappy: short uncompressed chunk");
	if (n > SNAPPY_MAX_BLOCK)
		return tc_codec_corrupt(w, pos, "snappy: chunk of %zu bytes exceeds 65536", n);
	if (masked_crc(body + 4, n) != tc_get_u32le(body))
		return tc_codec_corrupt(w, pos, "snappy: chunk checksum mismatch");
	if ((err = out_room(out, n, w)) < 0)
		return err;
	/* An empty chunk is valid, and the output may not be allocated yet. */
	if (n)
		memcpy(out->ptr + out->len, body + 4, n);
	out->len += n;
	return TC_OK;
}

static int decode_compressed(tc_buf *out, const uint8_t *body, size_t blen,
			     const tc_where *w, size_t pos)
{
	const char *blk = (const char *)body + 4;
	char empty, *dst;
	size_t n;
	int err;

	if (blen < 4)
		return tc_codec_corrupt(w, pos, "snappy: short compressed chunk");
	if (snappy_uncompressed_length(blk, blen - 4, &n) != SNAPPY_OK)
		return tc_codec_corrupt(w, pos, "snappy: bad block length");
	if (n > SNAPPY_MAX_BLOCK)
		return tc_codec_corrupt(w, pos, "snappy: chunk of %zu bytes exceeds 65536", n);
	if ((err = out_room(out, n, w)) < 0)
		return err;
	/*
	 * A block that decodes to nothing still has to be checked, but nothing
	 * was reserved for it and out->ptr may be NULL: decode into a dummy.
	 */
	dst = n ? (char *)out->ptr + out->len : &empty;
	if (snappy_uncompress(blk, blen - 4, dst, &n) != SNAPPY_OK)
		return tc_codec_corrupt(w, pos, "snappy: corrupt compressed block");
	if (masked_crc((const uint8_t *)dst, n) != tc_get_u32le(body))
		return tc_codec_corrupt(w, pos, "snappy: chunk checksum mismatch");
	out->len += n;
	return TC_OK;
}

static int check_stream_id(const uint8_t *body, size_t blen, const tc_where *w, size_t pos)
{
	if (blen == 6 && memcmp(body, s2_magic_body, 6) == 0)
		return tc_codec_corrupt(w, pos, "snappy: stream is s2, not snappy");
	if (blen != 6 || memcmp(body, magic_chunk + 4, 6) != 0)
		return tc_codec_corrupt(w, pos, "snappy: bad stream identifier");
	return TC_OK;
}

/* Decodes the chunk at src (4-byte header, blen body) into c->s_chunk. */
static int decode_chunk(tc_codec *c, const uint8_t *src, size_t blen, const tc_where *w, size_t pos)
{
	const uint8_t *body = src + 4;
	uint8_t type = src[0];

	tc_buf_clear(&c->s_chunk);
	c->s_chunk.cap = SNAPPY_MAX_BLOCK;
	c->s_chunk_pos = 0;
	if (!c->s_seen_id && type != CHUNK_STREAM_ID)
		return tc_codec_corrupt(w, pos, "snappy: missing stream identifier");
	switch (type) {
	case CHUNK_STREAM_ID:
		c->s_seen_id = 1;
		return check_stream_id(body, blen, w, pos);
	case CHUNK_COMPRESSED:
		return decode_compressed(&c->s_chunk, body, blen, w, pos);
	case CHUNK_UNCOMPRESSED:
		return decode_uncompressed(&c->s_chunk, body, blen, w, pos);
	default:
		/* 0x80-0xfe are skippable; 0x02-0x7f are reserved and must not be skipped. */
		return type < 0x80 ? tc_codec_corrupt(w, pos, "snappy: unsupported chunk type 0x%02x", type)
				   : TC_OK;
	}
}

int tc_codec_snappy_read(tc_codec_io *io, tc_codec *c, const tc_where *w)
{
	size_t used = 0, produced = 0;
	int err = 0;

	for (;;) {
		size_t pending = c->s_chunk.len - c->s_chunk_pos, left = io->src_len - used, blen, pos;

		if (pending) {
			size_t n = pending < io->dst_cap - produced ? pending : io->dst_cap - produced;
			memcpy(io->dst + produced, c->s_chunk.ptr + c->s_chunk_pos, n);
			c->s_chunk_pos += n;
			produced += n;
			if (n < pending)
				break; /* dst is full */
		}
		if (left == 0) {
			err = io->src_end;
			break;
		}
		/* A chunk is decoded whole: wait for all of it. */
		pos = (size_t)c->s_in + used;
		if (left < 4) {
			if (io->src_end)
				err = tc_codec_corrupt(w, pos, "snappy: truncated chunk header");
			break;
		}
		blen = (size_t)io->src[used + 1] | (size_t)io->src[used + 2] << 8 |
		       (size_t)io->src[used + 3] << 16;
		if (blen > left - 4) {
			if (io->src_end)
				err = tc_codec_corrupt(w, pos, "snappy: chunk of %zu bytes truncated to %zu",
						       blen, left - 4);
			break;
		}
		if ((err = decode_chunk(c, io->src + used, blen, w, pos)) < 0)
			break;
		used += 4 + blen;
	}
	io->used = used;
	io->produced = produced;
	c->s_in += used;
	return err;
}
