/*
 * The ring value (src/ring/desc.h). Byte 0, bit 0: set, the rest is a bare
 * protobuf ring.Desc, which the target snappy-compresses first (so the
 * fuzzer explores protobuf, not snappy); clear, the rest is a kv value as
 * stored. A value that decodes must encode, decode and encode again to the
 * same bytes; adding an instance and removing it again must give back those
 * bytes (other entries travel unchanged); ownership shares of a ring with
 * tokens sum to exactly 1, and our owner agrees with Tempo's wherever
 * Tempo's owner is healthy.
 */
#include <snappy-c.h>
#include <string.h>

#include "src/ring/desc.h"
#include "tests/fuzz/fuzz.h"

static const tc_where W = { "fuzz/collectors/compactor", 0 };

static void check_stable(const tc_buf *a)
{
	tc_ring_desc *d = NULL;
	tc_buf b = TC_BUF_INIT;

	FUZZ_ASSERT(tc_ring_desc_decode(&d, a->ptr, a->len, &W) == TC_OK, "what we encode decodes");
	FUZZ_ASSERT(tc_ring_desc_encode(&b, d) == TC_OK, "re-encode");
	FUZZ_ASSERT(a->len == b.len && memcmp(a->ptr, b.ptr, a->len) == 0, "encoding is stable");
	tc_ring_desc_free(d);
	tc_buf_dispose(&b);
}

static void check_edit(tc_ring_desc *d, const tc_buf *before)
{
	static const uint32_t tokens[] = { 1, 0x80000000u };
	tc_ring_instance i;
	tc_buf after = TC_BUF_INIT;

	if (tc_ring_desc_get(&i, d, "fuzz-new") == TC_OK)
		return;
	FUZZ_ASSERT(tc_ring_desc_set(d, "fuzz-new", "f:1", TC_RING_ACTIVE, 1, tokens, 2) == TC_OK,
		    "add an instance");
	FUZZ_ASSERT(tc_ring_desc_remove(d, "fuzz-new") == TC_OK, "remove it");
	FUZZ_ASSERT(tc_ring_desc_encode(&after, d) == TC_OK, "encode after the edit");
	FUZZ_ASSERT(after.len == before->len && memcmp(after.ptr, before->ptr, after.len) == 0,
		    "add + remove leaves the other entries as they were");
	tc_buf_dispose(&after);
}

static void check_ownership(const tc_ring_desc *d)
{
	static const char *keys[] = { "", "foobar", "tenant-0-1700000", "build-tenant-index-1-t" };
	size_t n = tc_ring_desc_count(d), n_tokens = 0;
	int64_t now = 0;
	tc_ring_table *t = NULL;
	double *own = malloc((n ? n : 1) * sizeof(*own)), sum = 0;

	FUZZ_ASSERT(own != NULL, "malloc");
	for (size_t k = 0; k < n; k++) {
		tc_ring_instance i;
		tc_ring_desc_at(&i, d, k);
		n_tokens += i.n_tokens;
		if (k == 0 || i.timestamp > now)
			now = i.timestamp;
	}
	if (now > INT64_MAX / 4 || now < INT64_MIN / 4)
		now = 0; /* keep now - 2 x timeout inside int64 */
	FUZZ_ASSERT(tc_ring_table_new(&t, d, now, 60) == TC_OK, "table");
	tc_ring_table_ownership(own, t);
	for (size_t k = 0; k < n; k++) {
		FUZZ_ASSERT(own[k] >= 0 && own[k] <= 1, "a share is in [0, 1]");
		sum += own[k];
	}
	FUZZ_ASSERT(n_tokens == 0 ? sum == 0 : sum == 1.0, "shares sum to 1");
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		tc_ring_instance a, b;
		int ra = tc_ring_table_owner_tempo(&a, t, keys[k]);
		int rb = tc_ring_table_owner(&b, t, keys[k]);
		FUZZ_ASSERT(ra == TC_OK || ra == TC_ENOTFOUND, "Tempo owner return code");
		FUZZ_ASSERT(rb == TC_OK || rb == TC_ENOTFOUND, "owner return code");
		if (ra == TC_OK)
			FUZZ_ASSERT(rb == TC_OK && strcmp(a.id, b.id) == 0, "owners agree when healthy");
		if (rb == TC_OK)
			FUZZ_ASSERT(tc_ring_instance_healthy(&b, now, 60), "our owner is healthy");
	}
	tc_ring_table_free(t);
	free(own);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tc_ring_desc *d = NULL;
	tc_buf value = TC_BUF_INIT, enc = TC_BUF_INIT;
	uint8_t *copy;
	size_t n;
	int r;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		n = snappy_max_compressed_length(size - 1);
		FUZZ_ASSERT(tc_buf_reserve(&value, n) == TC_OK, "reserve");
		FUZZ_ASSERT(snappy_compress((const char *)data + 1, size - 1, (char *)value.ptr, &n) ==
				    SNAPPY_OK, "snappy_compress");
		value.len = n;
	} else {
		FUZZ_ASSERT(tc_buf_put(&value, data + 1, size - 1) == TC_OK, "copy");
	}
	copy = fuzz_dup(value.ptr, value.len);
	r = tc_ring_desc_decode(&d, copy, value.len, &W);
	free(copy);
	FUZZ_ASSERT(r == TC_OK || r == TC_ECORRUPT || r == TC_ELIMIT, "decode return code");
	FUZZ_ASSERT((r == TC_OK) == (d != NULL), "a desc exactly when decoding succeeds");
	if (r == TC_OK) {
		FUZZ_ASSERT(tc_ring_desc_encode(&enc, d) == TC_OK, "a decoded ring encodes");
		check_stable(&enc);
		check_edit(d, &enc);
		check_ownership(d);
	}
	tc_ring_desc_free(d);
	tc_buf_dispose(&value);
	tc_buf_dispose(&enc);
	return 0;
}
