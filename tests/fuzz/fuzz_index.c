/*
 * Index pages. The whole input is one index page (page size = input size,
 * every record asked for). A second pass repairs the length, header length
 * and xxHash64 checksum in a copy, so the fuzzer also reaches the record
 * checks behind the checksum, which it could never forge.
 */
#include <string.h>

#include "encoding/hash.h"
#include "encoding/index.h"
#include "tests/fuzz/fuzz.h"

static void parse(const uint8_t *page, size_t size)
{
	tc_where w = { "fuzz/index", 0 };
	size_t per = size <= TC_INDEX_PAGE_MAX ? tc_index_records_per_page((uint32_t)size) : 0;
	tc_record *recs = calloc(per ? per : 1, sizeof(*recs));
	int r;

	if (!recs)
		abort();
	r = tc_index_page_parse(recs, per, page, size, &w);
	FUZZ_ASSERT(r == TC_OK || r == TC_ECORRUPT || r == TC_EINVALID, "index parse return code");
	if (r == TC_OK && per) {
		/* The records we parsed must write back to the same bytes (the
		 * tail past the last whole record is padding and not compared). */
		tc_buf out = TC_BUF_INIT;
		size_t rec_bytes = per * TC_RECORD_LEN;
		FUZZ_ASSERT(tc_index_write(&out, recs, per, (uint32_t)size) == TC_OK, "index write");
		FUZZ_ASSERT(out.len == size &&
				    memcmp(out.ptr + TC_INDEX_PAGE_HEADER_LEN,
					   page + TC_INDEX_PAGE_HEADER_LEN, rec_bytes) == 0,
			    "index page round trip");
		tc_buf_dispose(&out);
	}
	free(recs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *fixed;

	parse(data, size);
	if (size < TC_INDEX_PAGE_HEADER_LEN || size > TC_INDEX_PAGE_MAX)
		return 0;
	fixed = fuzz_dup(data, size);
	tc_put_u32le(fixed, (uint32_t)size);
	fixed[4] = 8;
	fixed[5] = 0;
	tc_put_u64le(fixed + 6, tc_xxh64(fixed + TC_INDEX_PAGE_HEADER_LEN,
					 size - TC_INDEX_PAGE_HEADER_LEN));
	parse(fixed, size);
	free(fixed);
	return 0;
}
