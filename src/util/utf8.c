#include "src/util/utf8.h"

#include <string.h>

#include "src/util/error.h"

size_t tc_utf8_seq(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint8_t c = s[0];
	size_t len;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, v = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, v = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, v = c & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

int tc_utf8_put_valid(tc_buf *out, const uint8_t *s, size_t n)
{
	static const uint8_t repl[3] = { 0xef, 0xbf, 0xbd };
	size_t i = 0, len;
	uint32_t cp;
	int r = TC_OK;

	while (i < n && r == TC_OK) {
		len = tc_utf8_seq(s + i, n - i, &cp);
		r = len ? tc_buf_put(out, s + i, len) : tc_buf_put(out, repl, sizeof(repl));
		i += len ? len : 1;
	}
	return r;
}

int tc_json_put_string(tc_buf *b, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *s = (const uint8_t *)str;
	size_t n = strlen(str);
	char esc[8];
	int r;

	if ((r = tc_buf_putc(b, '"')) < 0)
		return r;
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		uint32_t cp;
		size_t len;

		if (c < 0x80) {
			i++;
			if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
				r = tc_buf_putc(b, c);
			} else if (c == '"' || c == '\\') {
				esc[0] = '\\', esc[1] = (char)c;
				r = tc_buf_put(b, esc, 2);
			} else if (c == '\n' || c == '\r' || c == '\t') {
				esc[0] = '\\', esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
				r = tc_buf_put(b, esc, 2);
			} else {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4], esc[5] = hex[c & 15];
				r = tc_buf_put(b, esc, 6);
			}
		} else if ((len = tc_utf8_seq(s + i, n - i, &cp)) == 0) {
			i++;
			r = tc_buf_puts(b, "\\ufffd");
		} else if (cp == 0x2028 || cp == 0x2029) {
			i += len;
			r = tc_buf_puts(b, cp == 0x2028 ? "\\u2028" : "\\u2029");
		} else {
			r = tc_buf_put(b, s + i, len);
			i += len;
		}
		if (r < 0)
			return r;
	}
	return tc_buf_putc(b, '"');
}

/*
 * Code points that reorder, hide or break the text around them on display:
 * C1 controls, bidi marks and overrides, zero widths, line and paragraph
 * separators, the BOM.
 */
static int invisible_control(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff;
}

static char *escape(char *out, size_t size, const char *str, size_t max, int quotes)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *s = (const uint8_t *)str;
	size_t o = 0, i = 0, n = strnlen(str, max);
	/* A character that max cuts in two is left out, not shown as bytes. */
	size_t avail = n + strnlen(str + n, 3);

	while (i < n) {
		char esc[8];
		const uint8_t *put = (const uint8_t *)esc;
		size_t len = 2, step = 1;
		uint32_t cp;
		uint8_t c = s[i];

		if (quotes && (c == '\\' || c == '"')) {
			esc[0] = '\\', esc[1] = (char)c;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			esc[0] = '\\', esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		} else if (c >= 0x20 && c < 0x7f) {
			put = s + i, len = 1;
		} else if ((step = tc_utf8_seq(s + i, avail - i, &cp)) != 0 && i + step > n) {
			break;
		} else if (step == 0 || cp < 0x80) {
			/* C0 controls, DEL, and bytes that are not UTF-8 */
			step = 1;
			esc[0] = '\\', esc[1] = 'x', esc[2] = hex[c >> 4], esc[3] = hex[c & 15];
			len = 4;
		} else if (invisible_control(cp)) {
			esc[0] = '\\', esc[1] = 'u';
			for (int k = 0; k < 4; k++)
				esc[2 + k] = hex[(cp >> (12 - 4 * k)) & 15];
			len = 6;
		} else {
			put = s + i, len = step;
		}
		if (o + len >= size)
			break;
		memcpy(out + o, put, len);
		o += len;
		i += step;
	}
	if (size)
		out[o] = '\0';
	return out;
}

char *tc_utf8_escape(char *out, size_t size, const char *str, size_t max)
{
	return escape(out, size, str, max, 1);
}

char *tc_utf8_escape_controls(char *out, size_t size, const char *str, size_t max)
{
	return escape(out, size, str, max, 0);
}

#define PRINTABLE_SLOTS 8
#define PRINTABLE_SIZE (256 * 4 + 1)

const char *tc_utf8_printable(const char *s, size_t max)
{
	static _Thread_local char ring[PRINTABLE_SLOTS][PRINTABLE_SIZE];
	static _Thread_local unsigned next;

	return tc_utf8_escape(ring[next++ % PRINTABLE_SLOTS], PRINTABLE_SIZE, s ? s : "", max);
}
