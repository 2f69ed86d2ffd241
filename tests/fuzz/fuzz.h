/*
 * Shared by the fuzz targets (libFuzzer entry point LLVMFuzzerTestOneInput)
 * and by regress_main.c, which replays the corpora and crashers under ctest.
 *
 * A target must never call exit() or leak; a broken invariant (a round trip
 * that does not reproduce, output we wrote that we cannot read back) aborts
 * through FUZZ_ASSERT so libFuzzer records the input as a crash.
 */
#ifndef TC_FUZZ_H
#define TC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "src/util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond, what)                                                        \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: fuzz invariant failed: %s (last error: %s)\n", \
				__FILE__, __LINE__, (what), tc_error_last());          \
			abort();                                                       \
		}                                                                      \
	} while (0)

/* Error codes a parser may return for bad input; anything else is a bug. */
static inline int fuzz_expected_rc(int rc)
{
	return rc >= 0 || rc == TC_ECORRUPT || rc == TC_EUNSUPPORTED || rc == TC_ELIMIT ||
	       rc == TC_EINVALID || rc == TC_ENOTFOUND;
}

/* A little reader over the input for targets that split it into fields. */
typedef struct fuzz_in {
	const uint8_t *p;
	size_t left;
} fuzz_in;

static inline uint8_t fuzz_u8(fuzz_in *in)
{
	uint8_t v = 0;
	if (in->left) {
		v = in->p[0];
		in->p++;
		in->left--;
	}
	return v;
}

static inline uint32_t fuzz_u16(fuzz_in *in)
{
	uint32_t v = fuzz_u8(in);
	return v | ((uint32_t)fuzz_u8(in) << 8);
}

/* Takes up to n bytes (fewer if the input runs out). */
static inline const uint8_t *fuzz_take(fuzz_in *in, size_t n, size_t *got)
{
	const uint8_t *p = in->p;
	if (n > in->left)
		n = in->left;
	in->p += n;
	in->left -= n;
	*got = n;
	return p;
}

/*
 * A heap copy of exactly n bytes (NULL-safe for n == 0), so ASan catches a
 * read one past a field that sits inside the larger input.
 */
static inline uint8_t *fuzz_dup(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	if (!c)
		abort();
	for (size_t i = 0; i < n; i++)
		c[i] = p[i];
	return c;
}

#endif
