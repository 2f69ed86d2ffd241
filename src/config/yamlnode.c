#include "src/config/yamlnode.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "src/util/error.h"
#include "src/util/timeutil.h"

int tc_cfgyaml_read_file(tc_buf *out, const char *path)
{
	int fd, error = TC_OK;

	tc_buf_init(out, TC_CFGYAML_MAX_FILE + 1);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		tc_error_set_os("%s: cannot open", path);
		return e == ENOENT ? TC_ENOTFOUND : TC_ERROR;
	}
	for (;;) {
		ssize_t n;

		if (tc_buf_reserve(out, 4096) < 0) {
			tc_error_set("%s: file larger than %zu bytes", path, TC_CFGYAML_MAX_FILE);
			error = TC_ELIMIT;
			break;
		}
		n = read(fd, out->ptr + out->len, out->asize - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tc_error_set_os("%s: read failed", path);
			error = TC_ERROR;
			break;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (out->len > TC_CFGYAML_MAX_FILE) {
			tc_error_set("%s: file larger than %zu bytes", path, TC_CFGYAML_MAX_FILE);
			error = TC_ELIMIT;
			break;
		}
	}
	close(fd);
	if (error == TC_OK && tc_buf_cstr(out) < 0) {
		tc_error_set("%s: out of memory", path);
		error = TC_ERROR;
	}
	if (error < 0)
		tc_buf_dispose(out);
	return error;
}

static void set_parser_error(const yaml_parser_t *p, const char *name)
{
	const yaml_mark_t *m = p->problem ? &p->problem_mark : &p->context_mark;

	if (p->error == YAML_MEMORY_ERROR) {
		tc_error_set("%s: out of memory parsing YAML", name);
		return;
	}
	if (p->context)
		tc_error_set("%s:%lu: invalid YAML: %s %s", name, (unsigned long)m->line + 1,
			     p->problem ? p->problem : "syntax error", p->context);
	else
		tc_error_set("%s:%lu: invalid YAML: %s", name, (unsigned long)m->line + 1,
			     p->problem ? p->problem : "syntax error");
}

int tc_cfgyaml_load(yaml_document_t *doc, int *has_root, const char *yaml, size_t len,
		    const char *name)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	int error = TC_OK;

	*has_root = 0;
	if (memchr(yaml, '\0', len)) {
		tc_error_set("%s: invalid YAML: contains a NUL byte", name);
		return TC_EINVALID;
	}
	if (!yaml_parser_initialize(&parser)) {
		tc_error_set("%s: out of memory", name);
		return TC_ERROR;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, doc)) {
		set_parser_error(&parser, name);
		yaml_parser_delete(&parser);
		return TC_EINVALID;
	}
	*has_root = yaml_document_get_root_node(doc) != NULL;
	if (*has_root) {
		/* A second document would be silently ignored otherwise. */
		if (!yaml_parser_load(&parser, &extra)) {
			set_parser_error(&parser, name);
			error = TC_EINVALID;
		} else {
			yaml_node_t *r = yaml_document_get_root_node(&extra);
			if (r) {
				tc_error_set("%s:%lu: only one YAML document is allowed", name,
					     tc_cfgyaml_line(r));
				error = TC_EINVALID;
			}
			yaml_document_delete(&extra);
		}
	}
	yaml_parser_delete(&parser);
	if (error < 0)
		yaml_document_delete(doc);
	return error;
}

const char *tc_cfgyaml_scalar(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return NULL;
	return (const char *)n->data.scalar.value;
}

int tc_cfgyaml_is_null(const yaml_node_t *n)
{
	const char *s;

	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	s = (const char *)n->data.scalar.value;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

const char *tc_cfgyaml_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	default:
		return "a scalar";
	}
}

int tc_cfgyaml_parse_uint(uint64_t *out, const char *s, const char **why)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p == '+')
		p++;
	if (*s == '-' && s[1] >= '0' && s[1] <= '9') {
		*why = "must not be negative";
		return TC_EINVALID;
	}
	if (!*p) {
		*why = "want an unsigned integer";
		return TC_EINVALID;
	}
	for (; *p; p++) {
		if (*p == '_' && p > s && p[1])
			continue; /* YAML 1.1 digit separators, as Go's yaml.v2 accepts */
		if (*p < '0' || *p > '9') {
			*why = "want an unsigned integer";
			return TC_EINVALID;
		}
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) {
			*why = "number too large";
			return TC_EINVALID;
		}
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return TC_OK;
}

int tc_cfgyaml_parse_duration(int64_t *out, const char *s, const char **why)
{
	int64_t v;

	if (tc_duration_parse(&v, s) < 0) {
		*why = "want a duration such as 300ms, 30s, 1h30m, 14d or 2w";
		return TC_EINVALID;
	}
	if (v < 0) {
		*why = "must not be negative";
		return TC_EINVALID;
	}
	*out = v;
	return TC_OK;
}

int tc_cfgyaml_parse_bool(int *out, const char *s, const char **why)
{
	static const char *const yes[] = { "true", "yes", "on", "y" };
	static const char *const no[] = { "false", "no", "off", "n" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = 1;
			return TC_OK;
		}
		if (!strcasecmp(s, no[i])) {
			*out = 0;
			return TC_OK;
		}
	}
	*why = "want true or false";
	return TC_EINVALID;
}

int tc_cfgyaml_parse_float(double *out, const char *s, const char **why)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno == ERANGE || !isfinite(v)) {
		*why = "want a number";
		return TC_EINVALID;
	}
	*out = v;
	return TC_OK;
}
