/*
 * Page compression: every data page payload is one self-contained stream in
 * the block's encoding (docs/FORMAT.md#page-compression). A tc_codec holds the reusable
 * library contexts for one encoding; use one per thread.
 */
#ifndef TC_ENCODING_CODEC_H
#define TC_ENCODING_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"
#include "src/util/error.h"

/* Numeric values are Tempo's backend.Encoding ids. */
typedef enum tc_encoding {
	TC_ENC_NONE = 0,
	TC_ENC_GZIP = 1,
	TC_ENC_LZ4_64K = 2,
	TC_ENC_LZ4_256K = 3,
	TC_ENC_LZ4_1M = 4,
	TC_ENC_LZ4 = 5, /* 4 MiB blocks */
	TC_ENC_SNAPPY = 6,
	TC_ENC_ZSTD = 7,
	TC_ENC_S2 = 8,
} tc_encoding;

#define TC_ENC_COUNT 9

/* Tempo's names, matched case-insensitively; TC_EINVALID for unknown names. */
int tc_encoding_from_name(tc_encoding *out, const char *name);
const char *tc_encoding_name(tc_encoding enc);
/* Whether we can write pages in this encoding (all but s2). */
int tc_encoding_can_write(tc_encoding enc);

typedef struct tc_codec tc_codec;

int tc_codec_new(tc_codec **out, tc_encoding enc);
tc_encoding tc_codec_encoding(const tc_codec *c);

/*
 * Appends one complete compressed stream holding src to out, in the format
 * Tempo 1.5 writes for this encoding.
 */
int tc_codec_compress(tc_buf *out, tc_codec *c, const uint8_t *src, size_t len);

/*
 * The most bytes one stream on c may decompress to, for every stream from
 * now on, whole-buffer or streamed (docs/FORMAT.md#decompression-caps).
 * Output is counted as it is produced, so nothing is allocated or decoded
 * past the cap whatever sizes the stream declares; one more byte is
 * TC_ELIMIT with a message naming w's key and offset, the cap and why (a
 * short note saying what set it, copied; may be NULL). 0: no limit (the
 * default).
 */
void tc_codec_set_limit(tc_codec *c, uint64_t bytes, const char *why);

/*
 * Appends the decompressed content of the stream(s) in src to out. The
 * output may not grow past out->cap nor the codec's limit (TC_ELIMIT),
 * and grows as it is produced. Corrupt input is
 * TC_ECORRUPT with a message starting with w's key and offset; s2 streams
 * are TC_EUNSUPPORTED ("unsupported encoding s2").
 */
int tc_codec_decompress(tc_buf *out, tc_codec *c, const uint8_t *src, size_t len, const tc_where *w);

/*
 * Streaming decompression, for pages too large to hold decompressed. One
 * call moves bytes from src to dst; the caller refills src (keeping what
 * was not used: snappy needs a whole chunk at once) and drains dst.
 */
typedef struct tc_codec_io {
	const uint8_t *src;
	size_t src_len;
	int src_end;     /* src holds the rest of the stream */
	uint8_t *dst;
	size_t dst_cap;  /* > 0 */
	size_t used;     /* out: bytes of src consumed */
	size_t produced; /* out: bytes written to dst */
} tc_codec_io;

/*
 * Starts a new stream on c (the whole-buffer calls also use c's contexts);
 * TC_EUNSUPPORTED naming w for an encoding we cannot read (s2).
 */
int tc_codec_stream_begin(tc_codec *c, const tc_where *w);
/*
 * Returns 1 once the stream is complete (nothing more will be produced), 0
 * when it wants more input or output room, TC_ECORRUPT naming w's key and
 * w->off plus the stream position (truncation only once src_end is set),
 * TC_ELIMIT once the stream would pass the codec's limit.
 * A call that neither used nor produced anything wants more contiguous
 * input than src holds.
 */
int tc_codec_stream_read(tc_codec_io *io, tc_codec *c, const tc_where *w);

void tc_codec_free(tc_codec *c);

#endif
