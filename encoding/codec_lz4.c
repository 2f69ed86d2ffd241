/*
 * LZ4 frame pages, laid out as Tempo's pierrec/lz4 v4 writer lays them out:
 * independent blocks of the encoding's maximum size, no block or content
 * checksum, no content size, "fast" level. liblz4's frame API writes and
 * reads them; its block compressor finds other matches than pierrec's, so
 * blocks need not be Tempo's bytes, but the frame header is.
 */
#include "encoding/codec_impl.h"

static LZ4F_blockSizeID_t block_size_id(tc_encoding enc)
{
	switch (enc) {
	case TC_ENC_LZ4_64K: return LZ4F_max64KB;
	case TC_ENC_LZ4_256K: return LZ4F_max256KB;
	case TC_ENC_LZ4_1M: return LZ4F_max1MB;
	default: return LZ4F_max4MB;
	}
}

int tc_codec_lz4_compress(tc_buf *out, tc_codec *c, const uint8_t *src, size_t len)
{
	/* FLG 0x60 (version 1, independent blocks, nothing optional), BD 0x40-0x70. */
	const LZ4F_preferences_t prefs = {
		.frameInfo = { .blockSizeID = block_size_id(c->enc),
			       .blockMode = LZ4F_blockIndependent,
			       .contentChecksumFlag = LZ4F_noContentChecksum,
			       .frameType = LZ4F_frame,
			       .blockChecksumFlag = LZ4F_noBlockChecksum },
		.compressionLevel = 0, /* LZ4_compress_fast, acceleration 1: pierrec's Fast */
		.autoFlush = 1,        /* blocks go straight to out, no staging buffer */
	};
	/*
	 * Not LZ4F_compressFrame: it shrinks the block size to fit small input,
	 * which changes BD from Tempo's. Worst case: header, every block stored
	 * raw behind a 4-byte size, end mark.
	 */
	size_t bsize = (size_t)1 << (8 + 2 * prefs.frameInfo.blockSizeID); /* id 4..7: 64K..4M */
	size_t cap = LZ4F_HEADER_SIZE_MAX + (len / bsize + 1) * 4 + len + 4, n, r;
	LZ4F_cctx *cc;
	uint8_t *dst;
	int err;

	if ((err = tc_buf_reserve(out, cap)) < 0)
		return err;
	/*
	 * A context per page: codec.c owns tc_codec's lifetime and has no lz4
	 * compression context to free; this costs one small allocation a page.
	 */
	if (LZ4F_isError(LZ4F_createCompressionContext(&cc, LZ4F_VERSION))) {
		tc_error_set("out of memory creating an lz4 compression context");
		return TC_ERROR;
	}
	dst = out->ptr + out->len;
	/*
	 * pierrec writes the header on the first Write, so its empty page would be
	 * just an end mark, which no reader accepts; we write a whole empty frame.
	 * Tempo never writes empty pages.
	 */
	n = r = LZ4F_compressBegin(cc, dst, cap, &prefs);
	if (!LZ4F_isError(r) && len > 0)
		n += r = LZ4F_compressUpdate(cc, dst + n, cap - n, src, len, NULL);
	if (!LZ4F_isError(r))
		n += r = LZ4F_compressEnd(cc, dst + n, cap - n, NULL);
	LZ4F_freeCompressionContext(cc);
	if (LZ4F_isError(r)) {
		tc_error_set("lz4: cannot compress %zu bytes: %s", len, LZ4F_getErrorName(r));
		return TC_ERROR;
	}
	out->len += n;
	return TC_OK;
}

int tc_codec_lz4_begin(tc_codec *c)
{
	/*
	 * LZ4F_resetDecompressionContext (liblz4 1.9.4) keeps the remaining
	 * content size of a frame that declared one, so after a stream that
	 * stopped mid-frame (corrupt, truncated, over the cap) the next good
	 * frame without a content size fails with "frameSize_wrong". Only a
	 * fresh context is clean; one that ended cleanly is only reset, so its
	 * block buffers are reused.
	 */
	if (c->ld_dirty) {
		LZ4F_dctx *fresh;

		if (LZ4F_isError(LZ4F_createDecompressionContext(&fresh, LZ4F_VERSION))) {
			tc_error_set("out of memory creating an lz4 decompression context");
			return TC_ERROR;
		}
		LZ4F_freeDecompressionContext(c->ld);
		c->ld = fresh;
		c->ld_dirty = 0;
	}
	LZ4F_resetDecompressionContext(c->ld);
	c->ld_dirty = 1;
	return TC_OK;
}

int tc_codec_lz4_read(tc_codec_io *io, tc_codec *c, const tc_where *w)
{
	size_t in_n = io->src_len, out_n = io->dst_cap, hint;

	/* pierrec's reader returns an empty page for an empty stream. */
	if (c->s_in == 0 && io->src_len == 0 && io->src_end) {
		c->ld_dirty = 0;
		return 1;
	}
	hint = LZ4F_decompress(c->ld, io->dst, &out_n, io->src, &in_n, NULL);
	if (LZ4F_isError(hint))
		return tc_codec_corrupt(w, (size_t)c->s_in, "lz4: %s", LZ4F_getErrorName(hint));
	io->used = in_n;
	io->produced = out_n;
	c->s_in += in_n;
	if (!io->src_end || in_n < io->src_len)
		return 0;
	/* All input is in: done at a frame's end; short output means lz4 wants more. */
	if (hint == 0) {
		c->ld_dirty = 0;
		return 1;
	}
	if (out_n < io->dst_cap)
		return tc_codec_corrupt(w, (size_t)c->s_in, "lz4: truncated frame");
	return 0;
}
