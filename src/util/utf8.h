/*
 * UTF-8 as Go reads it (utf8.DecodeRune: no overlongs, no surrogates,
 * nothing past U+10FFFF), for the places that must show bytes the way a
 * Go program would: meta.json strings, JSON output, protobuf strings.
 */
#ifndef TC_UTIL_UTF8_H
#define TC_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"

/* Length of the valid sequence at s (n bytes left, n > 0) and its code point; 0 if invalid. */
size_t tc_utf8_seq(const uint8_t *s, size_t n, uint32_t *cp);

/* Appends s with every byte that is not part of a valid sequence replaced by U+FFFD. */
int tc_utf8_put_valid(tc_buf *out, const uint8_t *s, size_t n);

/*
 * Appends str as a JSON string the way Go's encoding/json writes it (HTML
 * escaping on): <, >, & and U+2028/2029 as \u escapes, control bytes as
 * \n \r \t or \u00xx, invalid UTF-8 as \ufffd.
 */
int tc_json_put_string(tc_buf *b, const char *str);

/*
 * For messages that echo a name or value read from a file or the command
 * line: writes the first max bytes of s (fewer at a NUL) to out so that
 * every byte shows and none acts on a terminal or splits a log line.
 * \ and " become \\ and \", tab, CR and LF \t \r \n, other C0 controls and
 * DEL \xNN, bytes that are not UTF-8 \xNN, and the C1 controls, U+2028/2029,
 * the bidirectional controls, zero widths and the BOM \uNNNN; the rest of
 * UTF-8 is kept. out
 * (size > 0) is always NUL-terminated; what does not fit is cut at a whole
 * character. Returns out.
 */
char *tc_utf8_escape(char *out, size_t size, const char *s, size_t max);

/*
 * tc_utf8_escape for a whole message that quotes names itself (an HTTP
 * error body): \ and " are kept as they are.
 */
char *tc_utf8_escape_controls(char *out, size_t size, const char *s, size_t max);

/*
 * tc_utf8_escape into a per-thread ring of small buffers, for printf
 * arguments: valid for the next seven calls on the same thread. Up to 256
 * bytes of s always fit.
 */
const char *tc_utf8_printable(const char *s, size_t max);

#endif
