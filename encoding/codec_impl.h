/*
 * Shared between the codec family files (codec_*.c); not part of the public
 * interface. codec.c owns the struct and dispatches to the family functions.
 */
#ifndef TC_ENCODING_CODEC_IMPL_H
#define TC_ENCODING_CODEC_IMPL_H

#ifndef ZLIB_CONST
#define ZLIB_CONST /* const next_in */
#endif
#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include "encoding/codec.h"

struct tc_codec {
	tc_encoding enc;
	ZSTD_CCtx *zc;
	ZSTD_DCtx *zd;
	LZ4F_dctx *ld;
	int ld_dirty;   /* ld stopped mid-frame: recreate it before reuse */
	z_stream def;   /* raw deflate, for writing gzip members */
	z_stream inf;   /* gzip inflate */
	int def_ready;
	int inf_ready;

	uint64_t limit;     /* most bytes a stream may produce; UINT64_MAX: none */
	char limit_why[160];

	/* The stream tc_codec_stream_read is in. */
	uint64_t s_in;      /* compressed bytes consumed so far */
	uint64_t s_out;     /* bytes produced so far */
	int s_between;      /* gzip: at a member boundary */
	int s_seen_id;      /* snappy: stream identifier seen */
	tc_buf s_chunk;     /* snappy: a decoded chunk not yet handed out */
	size_t s_chunk_pos;
};

/* The most bytes out may hold (its cap, or the buffer default). */
size_t tc_codec_out_cap(const tc_buf *out);

/*
 * Makes room for decompressed output: *room is set to min(want, bytes left
 * under the cap), which is 0 when the cap is reached.
 */
int tc_codec_out_room(tc_buf *out, size_t want, size_t *room);

/* TC_ELIMIT with a message naming w, for output that would pass the cap. */
int tc_codec_limit(tc_buf *out, const tc_where *w, const char *what);

/*
 * TC_ELIMIT with a message naming w and the codec's limit, for a stream
 * that would produce more than it, or (declared > 0) declares so.
 */
int tc_codec_over_limit(const tc_codec *c, const tc_where *w, uint64_t declared);

/* TC_ECORRUPT with a message naming w's key and w->off + pos. */
int tc_codec_corrupt(const tc_where *w, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int tc_codec_snappy_compress(tc_buf *out, const uint8_t *src, size_t len);
int tc_codec_snappy_read(tc_codec_io *io, tc_codec *c, const tc_where *w);

int tc_codec_gzip_compress(tc_buf *out, tc_codec *c, const uint8_t *src, size_t len);
int tc_codec_gzip_begin(tc_codec *c);
int tc_codec_gzip_read(tc_codec_io *io, tc_codec *c, const tc_where *w);

int tc_codec_zstd_compress(tc_buf *out, tc_codec *c, const uint8_t *src, size_t len);
/* One frame that declares its size, decoded in one call: 1 done, 0 not such a frame. */
int tc_codec_zstd_oneshot(tc_buf *out, tc_codec *c, const uint8_t *src, size_t len,
			  const tc_where *w);
int tc_codec_zstd_read(tc_codec_io *io, tc_codec *c, const tc_where *w);

int tc_codec_lz4_compress(tc_buf *out, tc_codec *c, const uint8_t *src, size_t len);
int tc_codec_lz4_begin(tc_codec *c);
int tc_codec_lz4_read(tc_codec_io *io, tc_codec *c, const tc_where *w);

void tc_codec_gzip_free(tc_codec *c);

#endif
