/*
 * Writing the effective config back as YAML (/config, -config.verify), in
 * the rows' order, secrets redacted.
 */
#include "src/config/config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding/codec.h"
#include "src/config/config_impl.h"
#include "src/util/error.h"
#include "src/util/timeutil.h"



/* Decodes one well-formed UTF-8 sequence (no overlongs, no surrogates); 0 if none. */
static size_t utf8_decode(uint32_t *cp, const unsigned char *s)
{
	size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t v;

	if (n == 0 || s[0] > 0xf4)
		return 0;
	v = s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/*
 * A YAML double-quoted scalar that reads back as s. libyaml folds the
 * Unicode line breaks (NEL, LS, PS) inside quotes into spaces and refuses
 * non-printable characters, so those are written as escapes, not raw.
 */
static int put_quoted(tc_buf *out, const char *s)
{
	int error = tc_buf_putc(out, '"');

	while (error >= 0 && s && *s) {
		unsigned char ch = (unsigned char)*s;
		uint32_t cp;
		size_t n;

		if (ch < 0x80) {
			if (ch == '"' || ch == '\\')
				error = tc_buf_printf(out, "\\%c", ch);
			else if (ch < 0x20 || ch == 0x7f)
				error = tc_buf_printf(out, "\\x%02x", ch);
			else
				error = tc_buf_putc(out, ch);
			s++;
		} else if ((n = utf8_decode(&cp, (const unsigned char *)s)) == 0) {
			/* Not UTF-8: no YAML escape stands for a raw byte; keep it. */
			error = tc_buf_putc(out, ch);
			s++;
		} else {
			int printable = (cp >= 0xa0 && cp <= 0xd7ff && cp != 0x2028 && cp != 0x2029) ||
					(cp >= 0xe000 && cp <= 0xfffd && cp != 0xfeff) ||
					cp >= 0x10000;
			if (printable)
				error = tc_buf_put(out, s, n);
			else
				error = tc_buf_printf(out, "\\u%04x", (unsigned)cp);
			s += n;
		}
	}
	return error < 0 ? error : tc_buf_putc(out, '"');
}

static int put_value(tc_buf *out, const tc_config *c, const cfg_row *r, int redact)
{
	char tmp[64];
	const char *s;

	if (r->flags & CF_NOSTORE)
		return put_quoted(out, r->def);
	switch (r->type) {
	case CT_STRING:
		s = *(char *const *)cfield(c, r);
		if (redact && (r->flags & CF_SECRET) && s && *s)
			s = "<redacted>";
		return put_quoted(out, s);
	case CT_LIST: {
		const tc_strlist *l = cfield(c, r);
		int error = tc_buf_putc(out, '[');
		for (size_t i = 0; i < l->n && error >= 0; i++) {
			if (i && (error = tc_buf_puts(out, ", ")) < 0)
				break;
			error = put_quoted(out, l->items[i]);
		}
		return error < 0 ? error : tc_buf_putc(out, ']');
	}
	case CT_MAP: {
		const tc_strlist *l = cfield(c, r);
		int error = tc_buf_putc(out, '{');
		for (size_t i = 0; i + 1 < l->n && error >= 0; i += 2) {
			if (i && (error = tc_buf_puts(out, ", ")) < 0)
				break;
			if ((error = put_quoted(out, l->items[i])) >= 0 &&
			    (error = tc_buf_puts(out, ": ")) >= 0)
				error = put_quoted(out, l->items[i + 1]);
		}
		return error < 0 ? error : tc_buf_putc(out, '}');
	}
	case CT_DURATION:
		tc_duration_format(tmp, sizeof(tmp), *(const int64_t *)cfield(c, r));
		return tc_buf_puts(out, tmp);
	case CT_U32:
		return tc_buf_printf(out, "%" PRIu32, *(const uint32_t *)cfield(c, r));
	case CT_U64:
		return tc_buf_printf(out, "%" PRIu64, *(const uint64_t *)cfield(c, r));
	case CT_BOOL:
		return tc_buf_puts(out, *(const int *)cfield(c, r) ? "true" : "false");
	case CT_FLOAT: {
		double v = *(const double *)cfield(c, r);
		/* Shortest form that reads back the same. */
		for (int prec = 6; prec <= 17; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
			if (strtod(tmp, NULL) == v)
				break;
		}
		return tc_buf_puts(out, tmp);
	}
	case CT_ENCODING:
		return tc_buf_puts(out, tc_encoding_name(*(const tc_encoding *)cfield(c, r)));
	}
	return TC_ERROR;
}

/* Number of leading dotted segments a and b share, leaves excluded. */
static size_t shared_sections(const char *a, const char *b)
{
	size_t n = 0;

	for (size_t i = 0; a[i] && a[i] == b[i]; i++)
		if (a[i] == '.')
			n++;
	return n;
}

int tc_config_write_yaml(tc_buf *out, const tc_config *c, int redact)
{
	const char *prev = "";
	int error = TC_OK;
	size_t nrows;
	const cfg_row *rows = tc_config_rows(&nrows);

	for (size_t i = 0; i < nrows && error >= 0; i++) {
		const char *key = rows[i].key, *seg = key;
		size_t depth = 0, keep = shared_sections(prev, key);

		if (rows[i].flags & CF_IGNORED)
			continue;

		/* Open the sections this row does not share with the previous one. */
		for (const char *dot; (dot = strchr(seg, '.')) != NULL; seg = dot + 1, depth++) {
			if (depth < keep)
				continue;
			error = tc_buf_printf(out, "%*s%.*s:\n", (int)(2 * depth), "",
					      (int)(dot - seg), seg);
			if (error < 0)
				return error;
		}
		if ((error = tc_buf_printf(out, "%*s%s: ", (int)(2 * depth), "", seg)) < 0 ||
		    (error = put_value(out, c, &rows[i], redact)) < 0 ||
		    (error = tc_buf_putc(out, '\n')) < 0)
			return error;
		prev = key;
	}
	return error;
}

