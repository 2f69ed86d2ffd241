/*
 * Error reporting, libgit2 style: functions return an int (TC_OK, a named
 * code for an expected failure, or TC_ERROR) and the code that detects the
 * failure sets one message naming its cause (file, offset, key). Callers
 * propagate the code unchanged; the top level logs tc_error_last() once.
 * The message is per thread.
 */
#ifndef TC_UTIL_ERROR_H
#define TC_UTIL_ERROR_H

#include <stdint.h>

enum {
	TC_OK = 0,
	TC_ERROR = -1,       /* anything not listed below */
	TC_ENOTFOUND = -2,   /* key, block, tenant or trace does not exist */
	TC_ECORRUPT = -3,    /* bytes read from storage fail validation */
	TC_EUNSUPPORTED = -4,/* valid input we deliberately do not handle */
	TC_ELIMIT = -5,      /* a configured or built-in size limit was hit */
	TC_ECANCELED = -6,   /* shutdown requested while working */
	TC_EINVALID = -7,    /* bad argument, config value or name */
	TC_ECONFLICT = -8    /* a compare-and-swap or create-if-absent lost the race */
};

/* Where bytes came from, for messages: an object key and an offset in it. */
typedef struct tc_where {
	const char *key;
	uint64_t off;
} tc_where;

/* An off for a fault of the object as a whole (a JSON key's value, say): only the key is named. */
#define TC_WHERE_NO_OFFSET UINT64_MAX

void tc_error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Sets "<key> at offset <off>: <fmt...>", or "<key>: <fmt...>" for TC_WHERE_NO_OFFSET; w may be NULL. */
void tc_error_set_at(const tc_where *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Sets fmt followed by ": strerror(errno)". */
void tc_error_set_os(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *tc_error_last(void);
void tc_error_clear(void);
/* A short name for a code, e.g. "corrupt". */
const char *tc_error_code_name(int code);

#endif
