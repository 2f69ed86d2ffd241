/*
 * Data pages and objects: the input is read as a data file (a run of page
 * frames, each payload walked as objects), and also as one bare payload.
 */
#include <string.h>

#include "encoding/page.h"
#include "tests/fuzz/fuzz.h"

static void walk_objects(const uint8_t *payload, size_t len, const tc_where *w)
{
	size_t pos = 0, prev = 0;
	tc_object o;
	int r;

	while ((r = tc_object_next(&o, payload, len, &pos, w)) == 1) {
		FUZZ_ASSERT(pos > prev && pos <= len, "object iteration must advance inside the page");
		FUZZ_ASSERT(o.id_len == TC_ID_LEN, "object ID length");
		FUZZ_ASSERT(o.body + o.body_len <= payload + len, "object body inside the page");
		prev = pos;
	}
	FUZZ_ASSERT(r == 0 || r == TC_ECORRUPT, "tc_object_next return code");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tc_where w = { "fuzz/data", 0 };
	size_t off = 0;

	while (off < size) {
		size_t page_len, payload_len;
		const uint8_t *payload;

		w.off = off;
		if (tc_page_parse(&page_len, &payload, &payload_len, data + off, size - off, &w) < 0)
			break;
		FUZZ_ASSERT(page_len >= TC_PAGE_HEADER_LEN && page_len <= size - off,
			    "page length inside the file");
		walk_objects(payload, payload_len, &w);
		off += page_len;
	}
	w.off = 0;
	walk_objects(data, size, &w);
	return 0;
}
