/*
 * <tenant>/index.json.gz. Byte 0 bit 0 clear: the rest is the gzipped file
 * as stored. Set: the rest is the JSON, gzipped here first, so the fuzzer
 * explores the JSON rather than mostly failing inflate. An index that parses
 * must write and parse back to the same lists, and rewrite to the same bytes.
 */
#include <string.h>

#include "encoding/codec.h"
#include "encoding/tenant_index.h"
#include "tests/fuzz/fuzz.h"

static tc_codec *gz;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tc_buf in = TC_BUF_INIT, a = TC_BUF_INIT, b = TC_BUF_INIT;
	tc_tenant_index ti, ti2;
	int r;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if (!gz && tc_codec_new(&gz, TC_ENC_GZIP) < 0)
			abort();
		FUZZ_ASSERT(tc_codec_compress(&in, gz, data + 1, size - 1) == TC_OK, "gzip");
	} else {
		FUZZ_ASSERT(tc_buf_put(&in, data + 1, size - 1) == TC_OK, "copy");
	}
	r = tc_tenant_index_parse(&ti, in.ptr, in.len, &(tc_where){ "fuzz/index.json.gz", 0 });
	FUZZ_ASSERT(r == TC_OK || r == TC_ECORRUPT || r == TC_EUNSUPPORTED || r == TC_ELIMIT ||
		    r == TC_EINVALID, "tenant index parse return code");
	tc_buf_dispose(&in);
	if (r != TC_OK)
		return 0;

	r = tc_tenant_index_write(&a, &ti.created_at, ti.live, ti.n_live, ti.compacted,
				  ti.n_compacted);
	FUZZ_ASSERT(r == TC_OK, "a parsed tenant index writes");
	r = tc_tenant_index_parse(&ti2, a.ptr, a.len, &(tc_where){ "fuzz/index.json.gz (rewritten)", 0 });
	FUZZ_ASSERT(r == TC_OK, "a written tenant index parses");
	FUZZ_ASSERT(ti2.n_live == ti.n_live && ti2.n_compacted == ti.n_compacted,
		    "tenant index lists survive a round trip");
	r = tc_tenant_index_write(&b, &ti2.created_at, ti2.live, ti2.n_live, ti2.compacted,
				  ti2.n_compacted);
	FUZZ_ASSERT(r == TC_OK && a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0,
		    "tenant index write is stable");
	tc_tenant_index_dispose(&ti);
	tc_tenant_index_dispose(&ti2);
	tc_buf_dispose(&a);
	tc_buf_dispose(&b);
	return 0;
}
