/*
 * The YAML config and the per-tenant overrides file: the input is given to
 * both loaders. A config that loads must write as YAML, load back and write
 * again to the same text.
 */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "src/config/config.h"
#include "src/config/overrides.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tc_config c, c2;
	tc_buf a = TC_BUF_INIT, b = TC_BUF_INIT;
	int r;

	r = tc_overrides_check((const char *)data, size, "fuzz/overrides.yaml");
	FUZZ_ASSERT(r == TC_OK || r == TC_EINVALID || r == TC_ELIMIT, "overrides return code");

	r = tc_config_load_string(&c, (const char *)data, size, "fuzz/config.yaml");
	FUZZ_ASSERT(r == TC_OK || r == TC_EINVALID || r == TC_ELIMIT, "config return code");
	if (r != TC_OK)
		return 0;
	FUZZ_ASSERT(tc_config_write_yaml(&a, &c, 0) == TC_OK, "config write");
	r = tc_config_load_string(&c2, (const char *)a.ptr, a.len, "fuzz/config.yaml (rewritten)");
	if (r != TC_OK)
		fprintf(stderr, "rewritten config:\n%.*s\n", (int)a.len, (const char *)a.ptr);
	FUZZ_ASSERT(r == TC_OK, "a written config loads");
	FUZZ_ASSERT(tc_config_write_yaml(&b, &c2, 0) == TC_OK, "config rewrite");
	if (a.len != b.len || memcmp(a.ptr, b.ptr, a.len) != 0)
		fprintf(stderr, "first:\n%.*s\nsecond:\n%.*s\n", (int)a.len, (const char *)a.ptr,
			(int)b.len, (const char *)b.ptr);
	FUZZ_ASSERT(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0, "config write is stable");
	tc_config_dispose(&c);
	tc_config_dispose(&c2);
	tc_buf_dispose(&a);
	tc_buf_dispose(&b);
	return 0;
}
