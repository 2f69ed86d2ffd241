/*
 * meta.json. A meta that parses must write, parse back and write again to
 * the same bytes (with and without compactedTime): what we write we must be
 * able to read, and a rewrite must not drift.
 */
#include <string.h>

#include "encoding/meta.h"
#include "tests/fuzz/fuzz.h"

static void round_trip(const tc_meta *m, int with_ct)
{
	tc_buf a = TC_BUF_INIT, b = TC_BUF_INIT;
	tc_meta m2;
	int r;

	r = tc_meta_write(&a, m, with_ct);
	FUZZ_ASSERT(r == TC_OK, "a parsed meta writes");
	r = tc_meta_parse(&m2, (const char *)a.ptr, a.len, &(tc_where){ "fuzz/meta.json (rewritten)", 0 });
	if (r != TC_OK)
		fprintf(stderr, "rewritten meta: %.*s\n", (int)a.len, (const char *)a.ptr);
	FUZZ_ASSERT(r == TC_OK, "a written meta parses");
	FUZZ_ASSERT(tc_meta_write(&b, &m2, with_ct) == TC_OK, "rewrite");
	if (a.len != b.len || memcmp(a.ptr, b.ptr, a.len) != 0)
		fprintf(stderr, "first:  %.*s\nsecond: %.*s\n", (int)a.len, (const char *)a.ptr,
			(int)b.len, (const char *)b.ptr);
	FUZZ_ASSERT(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0, "meta write is stable");
	tc_buf_dispose(&a);
	tc_buf_dispose(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tc_meta m;
	int r;

	r = tc_meta_parse(&m, (const char *)data, size, &(tc_where){ "fuzz/meta.json", 0 });
	FUZZ_ASSERT(fuzz_expected_rc(r) && r != TC_ENOTFOUND, "meta parse return code");
	if (r != TC_OK)
		return 0;
	round_trip(&m, 0);
	round_trip(&m, 1);
	return 0;
}
