/*
 * zstd pages via libzstd, reusing the codec's contexts. Tempo writes frames
 * with and without a content size, so reading streams every frame and never
 * trusts a declared size; concatenated and skippable frames are accepted.
 */
#include <zstd_errors.h>

#include "codec_impl.h"

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

int tc_codec_zstd_decompress(tc_buf *out, tc_codec *c, const uint8_t *src, size_t len,
			     const tc_where *w)
{
	ZSTD_inBuffer in = { src, len, 0 };
	size_t step = ZSTD_DStreamOutSize(), ret = 0, room;
	uint8_t probe;
	int err;

	/* klauspost's reader returns an empty page for an empty stream. */
	if (len == 0)
		return TC_OK;
	ZSTD_DCtx_reset(c->zd, ZSTD_reset_session_only);
	/*
	 * One frame that declares its size (all of ours, Tempo's small pages):
	 * decode in one call straight into the buffer, without the streaming
	 * copy. The size only bounds the buffer, within the cap; zstd checks
	 * that the frame really holds that many bytes.
	 */
	{
		unsigned long long n = ZSTD_getFrameContentSize(src, len);
		size_t cap = out->cap ? out->cap : TC_BUF_DEFAULT_CAP;
		if (n != ZSTD_CONTENTSIZE_UNKNOWN && n != ZSTD_CONTENTSIZE_ERROR &&
		    ZSTD_findFrameCompressedSize(src, len) == len) {
			size_t got;
			if (n > cap - out->len)
				return tc_codec_limit(out, w, "zstd");
			if ((err = tc_buf_reserve(out, (size_t)n)) < 0)
				return err;
			got = ZSTD_decompressDCtx(c->zd, out->ptr + out->len, (size_t)n, src, len);
			if (ZSTD_isError(got))
				return tc_codec_corrupt(w, 0, "zstd: %s", ZSTD_getErrorName(got));
			if (got != n)
				return tc_codec_corrupt(w, 0, "zstd: frame holds %zu bytes, declares %llu", got, n);
			out->len += got;
			return TC_OK;
		}
	}
	for (;;) {
		ZSTD_outBuffer ob;
		size_t before_in = in.pos;

		if ((err = tc_codec_out_room(out, step, &room)) < 0)
			return err;
		/* At the cap, a one-byte probe tells whether more output follows. */
		ob.dst = room ? out->ptr + out->len : &probe;
		ob.size = room ? room : 1;
		ob.pos = 0;
		ret = ZSTD_decompressStream(c->zd, &ob, &in);
		if (ZSTD_isError(ret)) {
			if (ZSTD_getErrorCode(ret) == ZSTD_error_memory_allocation) {
				tc_error_set("zstd: out of memory");
				return TC_ERROR;
			}
			return tc_codec_corrupt(w, in.pos, "zstd: %s", ZSTD_getErrorName(ret));
		}
		if (!room && ob.pos)
			return tc_codec_limit(out, w, "zstd");
		out->len += room ? ob.pos : 0;
		/* Done when all input is in and the last frame ended or nothing is pending. */
		if (in.pos == in.size && (ret == 0 || ob.pos < ob.size))
			break;
		if (ob.pos == 0 && in.pos == before_in)
			return tc_codec_corrupt(w, in.pos, "zstd: stream makes no progress");
	}
	/* Non-zero means the last frame wants more input. */
	if (ret != 0)
		return tc_codec_corrupt(w, len, "zstd: truncated frame");
	return TC_OK;
}
