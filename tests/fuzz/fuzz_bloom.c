/*
 * bloom-N files. Byte 0 is the ID length (0..255, so IDs past the 128-byte
 * stack buffer are covered), then the ID, then the bloom file. Each ID is
 * also added to a fresh filter whose shard file must then report it present
 * (no false negatives).
 */
#include "encoding/bloom.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tc_where w = { "fuzz/bloom-0", 0 };
	fuzz_in in = { data, size };
	size_t id_len, file_len;
	const uint8_t *id;
	uint8_t *file;
	tc_bloom *b = NULL;
	tc_buf shard = TC_BUF_INIT;
	int present, r;

	id_len = fuzz_u8(&in);
	id = fuzz_take(&in, id_len, &id_len);
	file = fuzz_dup(in.p, in.left);
	file_len = in.left;

	r = tc_bloom_file_test(&present, file, file_len, id, id_len, &w);
	FUZZ_ASSERT(r == TC_OK || r == TC_ECORRUPT, "bloom test return code");
	FUZZ_ASSERT(present == 0 || present == 1, "present is a boolean");
	if (r < 0)
		FUZZ_ASSERT(present == 0, "a failed test reports absent");
	free(file);

	FUZZ_ASSERT(tc_bloom_new(&b, 1, 0.01, 64) == TC_OK, "bloom new");
	tc_bloom_add(b, id, id_len);
	FUZZ_ASSERT(tc_bloom_write_shard(&shard, b, 0) == TC_OK, "bloom write");
	r = tc_bloom_file_test(&present, shard.ptr, shard.len, id, id_len, &w);
	FUZZ_ASSERT(r == TC_OK && present == 1, "an added ID is present");
	tc_buf_dispose(&shard);
	tc_bloom_free(b);
	return 0;
}
