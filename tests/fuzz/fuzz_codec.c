/*
 * Page decompression. Byte 0 picks the encoding (mod TC_ENC_COUNT) and, in
 * its quotient's low bit, a codec limit of 512 KiB; the rest is a compressed
 * payload, decompressed into a buffer capped at 1 MiB so bombs end in
 * TC_ELIMIT (docs/FORMAT.md#decompression-caps). The codec handles are kept across inputs, as the
 * block reader reuses one per block, so state left behind by a failed
 * stream is exercised too. For writable encodings the payload is also
 * compressed and must decompress back to itself.
 */
#include <string.h>

#include "encoding/codec.h"
#include "tests/fuzz/fuzz.h"

#define OUT_CAP ((size_t)1 << 20)

static tc_codec *codecs[TC_ENC_COUNT];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tc_where w = { "fuzz/data", 6 };
	tc_buf out, comp = TC_BUF_INIT, back;
	tc_encoding enc;
	size_t limit;
	int r;

	if (size < 1)
		return 0;
	enc = (tc_encoding)(data[0] % TC_ENC_COUNT);
	limit = (data[0] / TC_ENC_COUNT) & 1 ? OUT_CAP / 2 : 0;
	data++;
	size--;
	if (!codecs[enc] && tc_codec_new(&codecs[enc], enc) < 0)
		abort();

	tc_buf_init(&out, OUT_CAP);
	tc_codec_set_limit(codecs[enc], limit, "fuzz");
	r = tc_codec_decompress(&out, codecs[enc], data, size, &w);
	FUZZ_ASSERT(r == TC_OK || r == TC_ECORRUPT || r == TC_ELIMIT ||
		    (r == TC_EUNSUPPORTED && enc == TC_ENC_S2), "decompress return code");
	FUZZ_ASSERT(out.len <= OUT_CAP && (!limit || out.len <= limit), "decompressed output within its cap");
	FUZZ_ASSERT(out.asize <= 2 * OUT_CAP + 1, "output grown only as far as produced");
	tc_codec_set_limit(codecs[enc], 0, NULL);
	if (r < 0)
		FUZZ_ASSERT(out.len == 0, "a failed decompression leaves the output as it was");
	tc_buf_dispose(&out);

	if (tc_encoding_can_write(enc)) {
		r = tc_codec_compress(&comp, codecs[enc], data, size);
		FUZZ_ASSERT(r == TC_OK, "compress");
		tc_buf_init(&back, size + 1);
		r = tc_codec_decompress(&back, codecs[enc], comp.ptr, comp.len, &w);
		FUZZ_ASSERT(r == TC_OK, "decompress what we compressed");
		FUZZ_ASSERT(back.len == size && (size == 0 || memcmp(back.ptr, data, size) == 0),
			    "compression round trip");
		tc_buf_dispose(&back);
		tc_buf_dispose(&comp);
	}
	return 0;
}
