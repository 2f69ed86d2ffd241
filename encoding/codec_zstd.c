/*
 * zstd pages via libzstd, reusing the codec's contexts. Tempo writes frames
 * with and without a content size, so reading streams every frame and never
 * trusts a declared size beyond sizing a buffer; concatenated and skippable
 * frames are accepted.
 */
#include <zstd_errors.h>

#include "encoding/codec_impl.h"

int tc_codec_zstd_compress(tc_buf *out, tc_codec *c, const uint8_t *src, size_t len)
{
	size_t bound = ZSTD_compressBound(len), n;
	int err;

	if (ZSTD_isError(bound)) {
		tc_error_set("zstd: input of %zu bytes is too large", len);
		return TC_ELIMIT;
	}
	if ((err = tc_buf_reserve(out, bound)) < 0)
		return err;
	ZSTD_CCtx_reset(c->zc, ZSTD_reset_session_only);
	n = ZSTD_compress2(c->zc, out->ptr + out->len, bound, src, len);
	if (ZSTD_isError(n)) {
		tc_error_set("zstd: compression failed: %s", ZSTD_getErrorName(n));
		return TC_ERROR;
	}
	out->len += n;
	return TC_OK;
}

/*
 * One frame that declares its size (all of ours, Tempo's small pages):
 * decode in one call straight into the buffer, without the streaming copy
 * out of zstd's window. The declared size is trusted only once it is within
 * both caps, and then only to size the buffer (memory the cap allows
 * anyway); zstd checks that the frame really holds that many bytes.
 */
int tc_codec_zstd_oneshot(tc_buf *out, tc_codec *c, const uint8_t *src, size_t len,
			  const tc_where *w)
{
	unsigned long long n = len ? ZSTD_getFrameContentSize(src, len) : ZSTD_CONTENTSIZE_UNKNOWN;
	size_t cap = tc_codec_out_cap(out), got;
	int err;

	if (n == ZSTD_CONTENTSIZE_UNKNOWN || n == ZSTD_CONTENTSIZE_ERROR ||
	    ZSTD_findFrameCompressedSize(src, len) != len)
		return 0;
	if (n > c->limit)
		return tc_codec_over_limit(c, w, n);
	if (out->len > cap || n > cap - out->len)
		return tc_codec_limit(out, w, "zstd");
	if ((err = tc_buf_reserve(out, (size_t)n)) < 0)
		return err;
	ZSTD_DCtx_reset(c->zd, ZSTD_reset_session_only);
	got = ZSTD_decompressDCtx(c->zd, out->ptr + out->len, (size_t)n, src, len);
	if (ZSTD_isError(got))
		return tc_codec_corrupt(w, 0, "zstd: %s", ZSTD_getErrorName(got));
	if (got != n)
		return tc_codec_corrupt(w, 0, "zstd: frame holds %zu bytes, declares %llu", got, n);
	out->len += got;
	return 1;
}

int tc_codec_zstd_read(tc_codec_io *io, tc_codec *c, const tc_where *w)
{
	ZSTD_inBuffer in = { io->src, io->src_len, 0 };
	ZSTD_outBuffer ob = { io->dst, io->dst_cap, 0 };
	size_t ret;

	/* klauspost's reader returns an empty page for an empty stream. */
	if (c->s_in == 0 && io->src_len == 0 && io->src_end)
		return 1;
	/* A first frame that declares more than the cap fails before any decoding. */
	if (c->s_in == 0) {
		unsigned long long n = ZSTD_getFrameContentSize(io->src, io->src_len);
		if (n != ZSTD_CONTENTSIZE_UNKNOWN && n != ZSTD_CONTENTSIZE_ERROR && n > c->limit)
			return tc_codec_over_limit(c, w, n);
	}
	ret = ZSTD_decompressStream(c->zd, &ob, &in);
	if (ZSTD_isError(ret)) {
		if (ZSTD_getErrorCode(ret) == ZSTD_error_memory_allocation) {
			tc_error_set("zstd: out of memory");
			return TC_ERROR;
		}
		return tc_codec_corrupt(w, (size_t)c->s_in + in.pos, "zstd: %s", ZSTD_getErrorName(ret));
	}
	io->used = in.pos;
	io->produced = ob.pos;
	c->s_in += in.pos;
	if (!io->src_end || in.pos < in.size)
		return 0;
	/* All input is in: done at a frame's end; short output means zstd wants more. */
	if (ret == 0)
		return 1;
	if (ob.pos < ob.size)
		return tc_codec_corrupt(w, (size_t)c->s_in, "zstd: truncated frame");
	return 0;
}
