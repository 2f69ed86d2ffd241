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

/*
 * Limits on the config and the overrides file, which is re-read every
 * period: they bound the time and memory a hostile or broken file can cost
 * (README "Security and robustness"). Our config has under 200 nodes and
 * nests 6 deep; an overrides file of 25,000 tenants with four limits each
 * has 250,000 nodes in about 2 MiB and nests 4 deep.
 */
#define TC_CFGYAML_MAX_FILE ((size_t)4 << 20)
#define TC_CFGYAML_MAX_DEPTH 64
/* Scalars, collections and aliases; about 300 bytes of memory each at most. */
#define TC_CFGYAML_MAX_NODES 250000
#define TC_CFGYAML_MAX_ANCHORS 256

/*
 * Reads a whole regular file, NUL-terminated, at most TC_CFGYAML_MAX_FILE
 * bytes. It is opened without blocking and anything but a regular file (a
 * FIFO, a device, a directory) is refused with TC_EINVALID, so no open or
 * read can wait for a writer. A missing file is TC_ENOTFOUND, a larger one
 * TC_ELIMIT. Messages show path escaped.
 */
int tc_cfgyaml_read_file(tc_buf *out, const char *path);

/*
 * Parses exactly one YAML document, refusing it as soon as it nests deeper
 * than TC_CFGYAML_MAX_DEPTH collections or holds more than
 * TC_CFGYAML_MAX_NODES nodes (TC_ELIMIT, "<name>:<line>: too deeply nested
 * (limit 64)" / "too many nodes (limit N)"). An alias is a reference to its
 * anchor's node, never a copy, and counts as one node; an alias inside the
 * collection it names is refused, so the tree has no cycles. *has_root is 0
 * for an empty stream. Syntax errors are TC_EINVALID with
 * "<name>:<line>: invalid YAML: ...". name is shown as given (callers pass
 * it through tc_cfgyaml_shown_name). The document must be deleted by the
 * caller on success.
 */
int tc_cfgyaml_load(yaml_document_t *doc, int *has_root, const char *yaml, size_t len,
		    const char *name);

/* A file name as messages show it: control characters escaped, cut to fit. */
#define TC_CFGYAML_NAME_SIZE 1024
void tc_cfgyaml_shown_name(char out[TC_CFGYAML_NAME_SIZE], const char *name);

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
