/*
 * Encoding names and the tc_codec handle: owns the reusable library contexts
 * and dispatches to one file per compression family (codec_*.c).
 */
#include "codec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec_impl.h"

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

int tc_codec_decompress(tc_buf *out, tc_codec *c, const uint8_t *src, size_t len, const tc_where *w)
{
	size_t start = out->len;
	int err;

	switch (c->enc) {
	case TC_ENC_NONE:
		if (len > tc_codec_out_cap(out) || out->len > tc_codec_out_cap(out) - len)
			err = tc_codec_limit(out, w, "none");
		else
			err = tc_buf_put(out, src, len);
		break;
	case TC_ENC_GZIP:
		err = tc_codec_gzip_decompress(out, c, src, len, w);
		break;
	case TC_ENC_LZ4_64K:
	case TC_ENC_LZ4_256K:
	case TC_ENC_LZ4_1M:
	case TC_ENC_LZ4:
		err = tc_codec_lz4_decompress(out, c, src, len, w);
		break;
	case TC_ENC_SNAPPY:
		err = tc_codec_snappy_decompress(out, src, len, w);
		break;
	case TC_ENC_ZSTD:
		err = tc_codec_zstd_decompress(out, c, src, len, w);
		break;
	default:
		tc_error_set_at(w, "unsupported encoding %s", tc_encoding_name(c->enc));
		err = TC_EUNSUPPORTED;
		break;
	}
	if (err < 0)
		out->len = start;
	return err;
}

void tc_codec_free(tc_codec *c)
{
	if (!c)
		return;
	ZSTD_freeCCtx(c->zc);
	ZSTD_freeDCtx(c->zd);
	free(c->lz4_table);
	if (c->ld)
		LZ4F_freeDecompressionContext(c->ld);
	tc_codec_gzip_free(c);
	free(c);
}
