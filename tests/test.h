/*
 * The unit-test harness: a test is a void function; CHECK* macros record a
 * failure with file:line and return from it. TC_TEST_MAIN runs the listed
 * tests and exits non-zero if any failed.
 */
#ifndef TC_TEST_H
#define TC_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "src/backend/backend.h"
#include "src/util/buf.h"
#include "src/util/error.h"

extern int tc_test_failures;

void tc_test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define CHECK(c)                                                                   \
	do {                                                                       \
		if (!(c)) {                                                        \
			tc_test_fail(__FILE__, __LINE__, "CHECK(%s)", #c);         \
			return;                                                    \
		}                                                                  \
	} while (0)

#define CHECK_MSG(c, ...)                                                          \
	do {                                                                       \
		if (!(c)) {                                                        \
			tc_test_fail(__FILE__, __LINE__, __VA_ARGS__);             \
			return;                                                    \
		}                                                                  \
	} while (0)

/* expr must return >= 0. */
#define CHECK_OK(expr)                                                             \
	do {                                                                       \
		int _r = (expr);                                                   \
		if (_r < 0) {                                                      \
			tc_test_fail(__FILE__, __LINE__, "%s returned %d: %s", #expr, _r, \
				     tc_error_last());                             \
			return;                                                    \
		}                                                                  \
	} while (0)

/* expr must return exactly code. */
#define CHECK_ERR(expr, code)                                                      \
	do {                                                                       \
		int _r = (expr);                                                   \
		if (_r != (code)) {                                                \
			tc_test_fail(__FILE__, __LINE__, "%s returned %d, want %d (%s)", #expr, \
				     _r, (int)(code), tc_error_last());            \
			return;                                                    \
		}                                                                  \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                         \
	do {                                                                       \
		uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);                   \
		if (_a != _b) {                                                    \
			tc_test_fail(__FILE__, __LINE__, "%s == %s: %" PRIu64 " != %" PRIu64, \
				     #a, #b, _a, _b);                              \
			return;                                                    \
		}                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                            \
	do {                                                                       \
		const char *_a = (a), *_b = (b);                                   \
		if (strcmp(_a, _b) != 0) {                                         \
			tc_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, \
				     _a, _b);                                      \
			return;                                                    \
		}                                                                  \
	} while (0)

/* The last error message must contain needle. */
#define CHECK_ERRMSG(needle)                                                       \
	CHECK_MSG(strstr(tc_error_last(), (needle)) != NULL,                       \
		  "error message \"%s\" lacks \"%s\"", tc_error_last(), (needle))

typedef struct tc_test_case {
	const char *name;
	void (*fn)(void);
} tc_test_case;

int tc_test_run(const tc_test_case *cases, size_t n, int argc, char **argv);

#define TC_TEST_MAIN(...)                                                          \
	int main(int argc, char **argv)                                            \
	{                                                                          \
		static const tc_test_case cases[] = { __VA_ARGS__ };               \
		return tc_test_run(cases, sizeof(cases) / sizeof(cases[0]), argc, argv); \
	}
#define T(fn) { #fn, fn }

/*
 * Paths. tc_test_data("tempo-v2/zstd/blocks") resolves under $TC_DATA (the
 * repository's tests/data, set by ctest) and aborts the test program if it
 * does not exist (a missing fixture is a failure, never a skip). The data is
 * never changed in place: copy it (tc_test_copy_tree) first.
 */
const char *tc_test_data(const char *rel);
/* A fresh temporary directory, removed when the test program exits. */
const char *tc_test_tmpdir(void);
/* Copies a directory tree (for fixtures that must not be modified). */
int tc_test_copy_tree(const char *src, const char *dst);
int tc_test_read_file(tc_buf *out, const char *path);
int tc_test_write_file(const char *path, const void *data, size_t len);
/*
 * Runs inspect's checks (tc_block_verify) on every live block of every
 * tenant in the bucket, quarantined blocks excepted:
 * those are kept live on purpose as known bad. Returns how many blocks
 * passed, or -1 after recording a failure that names the block and the
 * caller's file:line. Every test that compacts ends with
 * CHECK_LIVE_BLOCKS_INSPECT(be), so no compaction path can write a block
 * that inspect rejects.
 */
long tc_test_inspect_live_blocks(const char *file, int line, tc_backend *be);
#define CHECK_LIVE_BLOCKS_INSPECT(be)                                              \
	do {                                                                       \
		if (tc_test_inspect_live_blocks(__FILE__, __LINE__, (be)) < 0)     \
			return;                                                    \
	} while (0)

/* Deterministic PRNG for generated test data. */
uint64_t tc_test_rand(uint64_t *state);

#endif
