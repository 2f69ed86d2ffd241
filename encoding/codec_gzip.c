/*
 * gzip pages via zlib. Writing emits one member with the exact header Go's
 * gzip.Writer produces for a zero Header (MTIME of Go's zero time, OS 0xff);
 * reading accepts any gzip, including several members back to back.
 */
#include <limits.h>
#include <stdint.h>

#include "encoding/codec_impl.h"

#define GZIP_STEP 65536

static const uint8_t go_gzip_header[10] = {
	0x1f, 0x8b, 0x08, 0x00, 0x00, 0x09, 0x6e, 0x88, 0x00, 0xff,
};

static int zlib_failed(const char *what, int ret)
{
	tc_error_set("zlib %s failed (%d)", what, ret);
	return TC_ERROR;
}

/* Feeds the next slice of the input; zlib counts input in uInt. */
static void feed(z_stream *z, const uint8_t **p, size_t *left)
{
	if (z->avail_in == 0 && *left > 0) {
		size_t n = *left < UINT_MAX ? *left : UINT_MAX;
		z->next_in = *p;
		z->avail_in = (uInt)n;
		*p += n;
		*left -= n;
	}
}

int tc_codec_gzip_compress(tc_buf *out, tc_codec *c, const uint8_t *src, size_t len)
{
	uLong crc = crc32_z(0, src, len);
	const uint8_t *p = src;
	size_t left = len;
	int ret, err;

	if (!c->def_ready) {
		/* Raw deflate: the header and trailer are ours, to match Go's bytes. */
		ret = deflateInit2(&c->def, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
				   Z_DEFAULT_STRATEGY);
		if (ret != Z_OK)
			return zlib_failed("deflateInit2", ret);
		c->def_ready = 1;
	} else if ((ret = deflateReset(&c->def)) != Z_OK) {
		return zlib_failed("deflateReset", ret);
	}
	if ((err = tc_buf_put(out, go_gzip_header, sizeof(go_gzip_header))) < 0)
		return err;
	c->def.avail_in = 0;
	for (;;) {
		feed(&c->def, &p, &left);
		if ((err = tc_buf_reserve(out, GZIP_STEP)) < 0)
			return err;
		c->def.next_out = out->ptr + out->len;
		c->def.avail_out = GZIP_STEP;
		ret = deflate(&c->def, left == 0 ? Z_FINISH : Z_NO_FLUSH);
		out->len += GZIP_STEP - c->def.avail_out;
		if (ret == Z_STREAM_END)
			break;
		if (ret != Z_OK && ret != Z_BUF_ERROR)
			return zlib_failed("deflate", ret);
	}
	if ((err = tc_buf_put_u32le(out, (uint32_t)crc)) < 0)
		return err;
	return tc_buf_put_u32le(out, (uint32_t)len); /* ISIZE is the length mod 2^32 */
}

int tc_codec_gzip_read(tc_codec_io *io, tc_codec *c, const tc_where *w)
{
	uInt in_n = io->src_len < UINT_MAX ? (uInt)io->src_len : UINT_MAX;
	uInt out_n = io->dst_cap < UINT_MAX ? (uInt)io->dst_cap : UINT_MAX;
	int ret;

	if (c->s_in == 0 && io->src_len == 0 && io->src_end)
		return tc_codec_corrupt(w, 0, "gzip: empty stream"); /* as Go's reader: no header */
	/* Between members, the end of input is the end of the stream. */
	if (c->s_between && io->src_len == 0 && io->src_end)
		return 1;
	c->inf.next_in = io->src;
	c->inf.avail_in = in_n;
	c->inf.next_out = io->dst;
	c->inf.avail_out = out_n;
	ret = inflate(&c->inf, Z_NO_FLUSH);
	io->used = in_n - c->inf.avail_in;
	io->produced = out_n - c->inf.avail_out;
	if (io->used)
		c->s_between = 0;
	if (ret == Z_MEM_ERROR)
		return zlib_failed("inflate", ret);
	if (ret != Z_OK && ret != Z_BUF_ERROR && ret != Z_STREAM_END)
		return tc_codec_corrupt(w, (size_t)c->s_in + io->used, "gzip: %s",
					c->inf.msg ? c->inf.msg : "corrupt stream");
	c->s_in += io->used;
	if (ret == Z_STREAM_END) {
		/* Another member may follow. */
		if ((ret = inflateReset(&c->inf)) != Z_OK)
			return zlib_failed("inflateReset", ret);
		c->s_between = 1;
		return io->src_end && io->used == io->src_len ? 1 : 0;
	}
	if (io->src_end && io->used == io->src_len && c->inf.avail_out > 0)
		return tc_codec_corrupt(w, (size_t)c->s_in, "gzip: truncated stream");
	return 0;
}

int tc_codec_gzip_begin(tc_codec *c)
{
	int ret;

	if (!c->inf_ready) {
		if ((ret = inflateInit2(&c->inf, 16 + 15)) != Z_OK)
			return zlib_failed("inflateInit2", ret);
		c->inf_ready = 1;
	} else if ((ret = inflateReset(&c->inf)) != Z_OK) {
		return zlib_failed("inflateReset", ret);
	}
	return TC_OK;
}

void tc_codec_gzip_free(tc_codec *c)
{
	if (c->def_ready)
		deflateEnd(&c->def);
	if (c->inf_ready)
		inflateEnd(&c->inf);
	c->def_ready = c->inf_ready = 0;
}
