/*
 * Encoding names and the tc_codec handle: owns the reusable library contexts
 * and dispatches to one file per compression family (codec_*.c).
 */
#include "encoding/codec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "encoding/codec_impl.h"

/* Indexed by tc_encoding; spelled as Tempo's backend.Encoding.String(). */
static const char *const enc_names[TC_ENC_COUNT] = {
	"none", "gzip", "lz4-64k", "lz4-256k", "lz4-1M", "lz4", "snappy", "zstd", "s2",
};

int tc_encoding_from_name(tc_encoding *out, const char *name)
{
	if (name) {
		for (int i = 0; i < TC_ENC_COUNT; i++) {
			if (strcasecmp(name, enc_names[i]) == 0) {
				*out = (tc_encoding)i;
				return TC_OK;
			}
		}
	}
	tc_error_set("invalid encoding: %s, supported: none, gzip, lz4-64k, lz4-256k, lz4-1M, "
		     "lz4, snappy, zstd, s2", name ? name : "(null)");
	return TC_EINVALID;
}

const char *tc_encoding_name(tc_encoding enc)
{
	if ((int)enc < 0 || (int)enc >= TC_ENC_COUNT)
		return "unsupported";
	return enc_names[enc];
}

int tc_encoding_can_write(tc_encoding enc)
{
	return (int)enc >= 0 && (int)enc < TC_ENC_COUNT && enc != TC_ENC_S2;
}

size_t tc_codec_out_cap(const tc_buf *out)
{
	return out->cap ? out->cap : TC_BUF_DEFAULT_CAP;
}

int tc_codec_out_room(tc_buf *out, size_t want, size_t *room)
{
	size_t cap = tc_codec_out_cap(out);
	size_t left = out->len < cap ? cap - out->len : 0;
	size_t n = want < left ? want : left;

	*room = n;
	return n ? tc_buf_reserve(out, n) : TC_OK;
}

int tc_codec_limit(tc_buf *out, const tc_where *w, const char *what)
{
	tc_error_set_at(w, "%s output exceeds the limit of %zu bytes", what, tc_codec_out_cap(out));
	return TC_ELIMIT;
}

int tc_codec_over_limit(const tc_codec *c, const tc_where *w, uint64_t declared)
{
	const char *name = tc_encoding_name(c->enc);

	if (declared)
		tc_error_set_at(w, "%s: stream declares %llu decompressed bytes, more than the cap of "
				"%llu (%s)", name, (unsigned long long)declared,
				(unsigned long long)c->limit, c->limit_why);
	else
		tc_error_set_at(w, "%s: decompresses to more than the cap of %llu bytes (%s)", name,
				(unsigned long long)c->limit, c->limit_why);
	return TC_ELIMIT;
}

void tc_codec_set_limit(tc_codec *c, uint64_t bytes, const char *why)
{
	c->limit = bytes ? bytes : UINT64_MAX;
	snprintf(c->limit_why, sizeof(c->limit_why), "%s", why ? why : "the caller's limit");
}

int tc_codec_corrupt(const tc_where *w, size_t pos, const char *fmt, ...)
{
	tc_where at = { w ? w->key : NULL, (w ? w->off : 0) + pos };
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tc_error_set_at(&at, "%s", msg);
	return TC_ECORRUPT;
}

int tc_codec_new(tc_codec **out, tc_encoding enc)
{
	tc_codec *c;

	*out = NULL;
	if ((int)enc < 0 || (int)enc >= TC_ENC_COUNT) {
		tc_error_set("invalid encoding id %d", (int)enc);
		return TC_EINVALID;
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		tc_error_set("out of memory allocating a codec");
		return TC_ERROR;
	}
	c->enc = enc;
	tc_codec_set_limit(c, 0, NULL);
	switch (enc) {
	case TC_ENC_ZSTD:
		c->zc = ZSTD_createCCtx();
		c->zd = ZSTD_createDCtx();
		if (!c->zc || !c->zd)
			goto nomem;
		/* klauspost zstd SpeedDefault is its "level 3" equivalent, with checksums. */
		if (ZSTD_isError(ZSTD_CCtx_setParameter(c->zc, ZSTD_c_compressionLevel, 3)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(c->zc, ZSTD_c_checksumFlag, 1)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(c->zc, ZSTD_c_contentSizeFlag, 1))) {
			tc_error_set("zstd: cannot set compression parameters");
			tc_codec_free(c);
			return TC_ERROR;
		}
		break;
	case TC_ENC_LZ4_64K:
	case TC_ENC_LZ4_256K:
	case TC_ENC_LZ4_1M:
	case TC_ENC_LZ4:
		if (LZ4F_isError(LZ4F_createDecompressionContext(&c->ld, LZ4F_VERSION)))
			goto nomem;
		break;
	default:
		break;
	}
	*out = c;
	return TC_OK;
nomem:
	tc_codec_free(c);
	tc_error_set("out of memory creating a %s codec", enc_names[enc]);
	return TC_ERROR;
}

tc_encoding tc_codec_encoding(const tc_codec *c)
{
	return c->enc;
}

int tc_codec_compress(tc_buf *out, tc_codec *c, const uint8_t *src, size_t len)
{
	size_t start = out->len;
	int err;

	switch (c->enc) {
	case TC_ENC_NONE:
		err = tc_buf_put(out, src, len);
		break;
	case TC_ENC_GZIP:
		err = tc_codec_gzip_compress(out, c, src, len);
		break;
	case TC_ENC_LZ4_64K:
	case TC_ENC_LZ4_256K:
	case TC_ENC_LZ4_1M:
	case TC_ENC_LZ4:
		err = tc_codec_lz4_compress(out, c, src, len);
		break;
	case TC_ENC_SNAPPY:
		err = tc_codec_snappy_compress(out, src, len);
		break;
	case TC_ENC_ZSTD:
		err = tc_codec_zstd_compress(out, c, src, len);
		break;
	default:
		tc_error_set("cannot write pages in encoding %s", tc_encoding_name(c->enc));
		err = TC_EUNSUPPORTED;
		break;
	}
	if (err < 0)
		out->len = start;
	return err;
}

int tc_codec_stream_begin(tc_codec *c, const tc_where *w)
{
	c->s_in = 0;
	c->s_out = 0;
	c->s_between = 0;
	c->s_seen_id = 0;
	tc_buf_clear(&c->s_chunk);
	c->s_chunk_pos = 0;
	switch (c->enc) {
	case TC_ENC_GZIP:
		return tc_codec_gzip_begin(c);
	case TC_ENC_LZ4_64K:
	case TC_ENC_LZ4_256K:
	case TC_ENC_LZ4_1M:
	case TC_ENC_LZ4:
		return tc_codec_lz4_begin(c);
	case TC_ENC_ZSTD:
		ZSTD_DCtx_reset(c->zd, ZSTD_reset_session_only);
		return TC_OK;
	case TC_ENC_NONE:
	case TC_ENC_SNAPPY:
		return TC_OK;
	default:
		tc_error_set_at(w, "unsupported encoding %s", tc_encoding_name(c->enc));
		return TC_EUNSUPPORTED;
	}
}

static int none_read(tc_codec_io *io)
{
	size_t n = io->src_len < io->dst_cap ? io->src_len : io->dst_cap;

	if (n)
		memcpy(io->dst, io->src, n);
	io->used = io->produced = n;
	return io->src_end && n == io->src_len;
}

static int family_read(tc_codec_io *io, tc_codec *c, const tc_where *w)
{
	switch (c->enc) {
	case TC_ENC_NONE:
		return none_read(io);
	case TC_ENC_GZIP:
		return tc_codec_gzip_read(io, c, w);
	case TC_ENC_LZ4_64K:
	case TC_ENC_LZ4_256K:
	case TC_ENC_LZ4_1M:
	case TC_ENC_LZ4:
		return tc_codec_lz4_read(io, c, w);
	case TC_ENC_SNAPPY:
		return tc_codec_snappy_read(io, c, w);
	case TC_ENC_ZSTD:
		return tc_codec_zstd_read(io, c, w);
	default:
		tc_error_set_at(w, "unsupported encoding %s", tc_encoding_name(c->enc));
		return TC_EUNSUPPORTED;
	}
}

/*
 * The limit is applied here, for every family: dst is cut to what is left
 * under it, and at the limit a one-byte probe tells whether the stream has
 * more to give (over the limit) or only input left to check (a checksum,
 * an end mark).
 */
int tc_codec_stream_read(tc_codec_io *io, tc_codec *c, const tc_where *w)
{
	uint64_t left = c->limit - c->s_out;
	uint8_t *dst = io->dst, probe;
	size_t dst_cap = io->dst_cap;
	int r;

	io->used = io->produced = 0;
	if (left == 0) {
		io->dst = &probe;
		io->dst_cap = 1;
	} else if ((uint64_t)io->dst_cap > left) {
		io->dst_cap = (size_t)left;
	}
	r = family_read(io, c, w);
	io->dst = dst;
	io->dst_cap = dst_cap;
	if (r < 0)
		return r;
	if (left == 0 && io->produced) {
		io->produced = 0;
		return tc_codec_over_limit(c, w, 0);
	}
	c->s_out += io->produced;
	return r;
}

/* The whole stream into out, through the streaming reader. */
static int decompress_all(tc_buf *out, tc_codec *c, const uint8_t *src, size_t len, const tc_where *w)
{
	tc_codec_io io = { src, len, 1, NULL, 0, 0, 0 };
	uint8_t probe;
	size_t room;
	int r;

	/* Before out is touched: an unsupported encoding leaves it as it was. */
	if ((r = tc_codec_stream_begin(c, w)) < 0)
		return r;
	for (;;) {
		if ((r = tc_codec_out_room(out, 65536, &room)) < 0)
			return r;
		/* At the cap, a one-byte probe tells whether more output follows. */
		io.dst = room ? out->ptr + out->len : &probe;
		io.dst_cap = room ? room : 1;
		if ((r = tc_codec_stream_read(&io, c, w)) < 0)
			return r;
		if (!room && io.produced)
			return tc_codec_limit(out, w, tc_encoding_name(c->enc));
		out->len += io.produced;
		if (io.used) { /* src may be NULL for an empty stream */
			io.src += io.used;
			io.src_len -= io.used;
		}
		if (r == 1)
			return TC_OK;
		if (io.used == 0 && io.produced == 0)
			return tc_codec_corrupt(w, len - io.src_len, "%s: stream makes no progress",
						tc_encoding_name(c->enc));
	}
}

int tc_codec_decompress(tc_buf *out, tc_codec *c, const uint8_t *src, size_t len, const tc_where *w)
{
	size_t start = out->len;
	int err = 0;

	if (c->enc == TC_ENC_ZSTD)
		err = tc_codec_zstd_oneshot(out, c, src, len, w);
	if (err == 0)
		err = decompress_all(out, c, src, len, w);
	if (err < 0)
		out->len = start;
	return err < 0 ? err : TC_OK;
}

void tc_codec_free(tc_codec *c)
{
	if (!c)
		return;
	ZSTD_freeCCtx(c->zc);
	ZSTD_freeDCtx(c->zd);
	if (c->ld)
		LZ4F_freeDecompressionContext(c->ld);
	tc_codec_gzip_free(c);
	tc_buf_dispose(&c->s_chunk);
	free(c);
}
