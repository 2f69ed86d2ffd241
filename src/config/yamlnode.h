/*
 * Internal to src/config: the libyaml document helpers and scalar parsers
 * shared by config.c and overrides.c. Not part of any public interface.
 */
#ifndef TC_CONFIG_YAMLNODE_H
#define TC_CONFIG_YAMLNODE_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "src/util/buf.h"

/* Config and overrides files are small; anything bigger is a mistake. */
#define TC_CFGYAML_MAX_FILE ((size_t)16 << 20)

/* Reads a whole file, NUL-terminated, at most TC_CFGYAML_MAX_FILE bytes. */
int tc_cfgyaml_read_file(tc_buf *out, const char *path);

/*
 * Parses exactly one YAML document. *has_root is 0 for an empty stream.
 * Syntax errors are TC_EINVALID with "<name>:<line>: invalid YAML: ...".
 * The document must be deleted by the caller on success.
 */
int tc_cfgyaml_load(yaml_document_t *doc, int *has_root, const char *yaml, size_t len,
		    const char *name);

/* 1-based line of a node. */
static inline unsigned long tc_cfgyaml_line(const yaml_node_t *n)
{
	return (unsigned long)n->start_mark.line + 1;
}

/* The scalar's text if it is a scalar without embedded NULs, else NULL. */
const char *tc_cfgyaml_scalar(const yaml_node_t *n);
/* Whether n is YAML null (a plain ~, null, Null, NULL or empty scalar). */
int tc_cfgyaml_is_null(const yaml_node_t *n);
/* "a mapping", "a sequence" or "a scalar", for messages. */
const char *tc_cfgyaml_kind(const yaml_node_t *n);

/*
 * Scalar parsers. They set no message: on failure they return TC_EINVALID
 * and *why (a static phrase) says what is wrong, for the caller's message.
 */
int tc_cfgyaml_parse_uint(uint64_t *out, const char *s, const char **why);
/*
 * One syntax for the config and the overrides file (Tempo reads Go's in the
 * one, Prometheus's in the other): tc_duration_parse's superset of both.
 * Negative is refused.
 */
int tc_cfgyaml_parse_duration(int64_t *out, const char *s, const char **why);
int tc_cfgyaml_parse_bool(int *out, const char *s, const char **why);
int tc_cfgyaml_parse_float(double *out, const char *s, const char **why);

#endif
