#include "src/config/envsubst.h"

#include <stdlib.h>
#include <string.h>

#include "src/config/yamlnode.h"
#include "src/util/error.h"
#include "src/util/utf8.h"

/* Nested ${...} in defaults; a config has one or two. */
#define MAX_NESTING 32

typedef struct subst {
	const char *p, *end;
	const char *start; /* of the text, for line numbers */
	const char *name;
	tc_buf *out;
} subst;

static unsigned long line_at(const subst *s, const char *at)
{
	unsigned long line = 1;

	for (const char *q = s->start; q < at; q++)
		line += *q == '\n';
	return line;
}

static int fail(const subst *s, const char *at, const char *why)
{
	char text[48];
	size_t n = 0;

	while (at + n < s->end && at[n] != '\n' && at[n] != '\0' && n < sizeof(text) - 1)
		n++;
	memcpy(text, at, n);
	text[n] = '\0';
	tc_error_set("%s:%lu: -config.expand-env: %s at \"%s\"", s->name, line_at(s, at), why,
		     tc_utf8_printable(text, 40));
	return TC_EINVALID;
}

static int put(subst *s, const char *p, size_t n)
{
	if (s->out->len + n > TC_CFGYAML_MAX_FILE) {
		tc_error_set("%s: -config.expand-env: the expanded config is larger than %zu bytes",
			     s->name, TC_CFGYAML_MAX_FILE);
		return TC_ELIMIT;
	}
	return tc_buf_put(s->out, p, n);
}

/* envsubst's identifier runes: letters, digits, '_' (any non-ASCII byte stands for a letter). */
static int ident_char(unsigned char c)
{
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static int reference(subst *s, int depth);

/*
 * The default of ${VAR:-...}: text up to the closing brace, taken as it is,
 * and nested references. Appended to out.
 */
static int default_text(subst *s, int depth)
{
	while (s->p < s->end && *s->p != '}') {
		int error;

		if (*s->p == '$' && s->p + 1 < s->end && s->p[1] == '{') {
			s->p += 2;
			error = reference(s, depth + 1);
		} else {
			const char *q = s->p;
			while (q < s->end && *q != '}' && !(*q == '$' && q + 1 < s->end && q[1] == '{'))
				q++;
			error = put(s, s->p, (size_t)(q - s->p));
			s->p = q;
		}
		if (error < 0)
			return error;
	}
	return TC_OK;
}

/* After "${": the variable, an optional default, the closing brace. */
static int reference(subst *s, int depth)
{
	const char *at = s->p - 2, *nb = s->p;
	char var[256];
	const char *val;
	tc_buf def = TC_BUF_INIT;
	tc_buf *saved = s->out;
	int error;

	if (depth >= MAX_NESTING) {
		tc_error_set("%s:%lu: -config.expand-env: more than %d nested ${...}", s->name,
			     line_at(s, at), MAX_NESTING);
		return TC_ELIMIT;
	}
	if (s->p < s->end && *s->p == '#')
		return fail(s, at, "${#VAR} (length) is not supported");
	while (s->p < s->end && ident_char((unsigned char)*s->p))
		s->p++;
	if (s->p == nb)
		return fail(s, at, "unable to parse variable name");
	if ((size_t)(s->p - nb) >= sizeof(var))
		return fail(s, at, "variable name too long");
	memcpy(var, nb, (size_t)(s->p - nb));
	var[s->p - nb] = '\0';
	val = getenv(var);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return val ? put(s, val, strlen(val)) : TC_OK;
	}
	if (s->p >= s->end)
		return fail(s, at, "missing closing brace");
	if (*s->p == '=') {
		s->p++;
	} else if (*s->p == ':' && s->p + 1 < s->end && s->p[1] && strchr("=-?+", s->p[1])) {
		s->p += 2;
	} else if (*s->p && strchr(":,^/#%", *s->p)) {
		return fail(s, at, "envsubst's string functions are not supported (only ${VAR} "
			    "and ${VAR:-default})");
	} else {
		return fail(s, at, "missing closing brace");
	}
	/* The default is expanded whether or not it is used, as envsubst does. */
	s->out = &def;
	error = default_text(s, depth);
	s->out = saved;
	if (error >= 0 && s->p >= s->end)
		error = fail(s, at, "unable to parse substitution within function");
	if (error >= 0) {
		s->p++; /* the closing brace */
		if (val && *val)
			error = put(s, val, strlen(val));
		else if (def.len)
			error = put(s, (const char *)def.ptr, def.len);
	}
	tc_buf_dispose(&def);
	return error;
}

int tc_envsubst(tc_buf *out, const char *in, size_t len, const char *name)
{
	subst s = { in, in + len, in, name, out };
	int error = TC_OK;

	while (s.p < s.end && error >= 0) {
		const char *q = s.p;

		if (*q == '$' && q + 1 < s.end && q[1] == '{') {
			s.p += 2;
			error = reference(&s, 0);
		} else if ((*q == '$' && q + 1 < s.end && q[1] == '$') ||
			   (*q == '\\' && q + 1 < s.end && (q[1] == '\\' || q[1] == '/'))) {
			/* An escape: the second character, as text. */
			error = put(&s, q + 1, 1);
			s.p += 2;
		} else {
			while (q < s.end && *q != '$' && *q != '\\')
				q++;
			if (q == s.p)
				q++;
			error = put(&s, s.p, (size_t)(q - s.p));
			s.p = q;
		}
	}
	return error;
}
