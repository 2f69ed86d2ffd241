#include "src/config/yamlnode.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/util/error.h"
#include "src/util/timeutil.h"
#include "src/util/utf8.h"

void tc_cfgyaml_shown_name(char out[TC_CFGYAML_NAME_SIZE], const char *name)
{
	tc_utf8_escape(out, TC_CFGYAML_NAME_SIZE, name, SIZE_MAX);
}

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device"
	       : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "a special file";
}

int tc_cfgyaml_read_file(tc_buf *out, const char *path)
{
	char shown[TC_CFGYAML_NAME_SIZE];
	struct stat st;
	int fd, error = TC_OK;

	tc_cfgyaml_shown_name(shown, path);
	tc_buf_init(out, TC_CFGYAML_MAX_FILE + 1);
	/*
	 * O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	 * writer for ever (for the overrides, on the thread that takes SIGTERM).
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		tc_error_set_os("%s: cannot open", shown);
		return e == ENOENT ? TC_ENOTFOUND : TC_ERROR;
	}
	if (fstat(fd, &st) < 0) {
		tc_error_set_os("%s: cannot stat", shown);
		error = TC_ERROR;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		tc_error_set("%s: not a regular file (%s)", shown, file_kind(st.st_mode));
		error = TC_EINVALID;
		goto cleanup;
	}
	if ((uint64_t)st.st_size > TC_CFGYAML_MAX_FILE)
		goto too_large;
	/* The size can change while we read: the loop stops at the cap either way. */
	for (;;) {
		/* Room for one byte past the cap, to tell a file of exactly the cap from a larger one. */
		size_t want = TC_CFGYAML_MAX_FILE + 1 - out->len;
		ssize_t n;

		if (tc_buf_reserve(out, want < 65536 ? want : 65536) < 0) {
			tc_error_set("%s: out of memory", shown);
			error = TC_ERROR;
			goto cleanup;
		}
		n = read(fd, out->ptr + out->len, out->asize - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tc_error_set_os("%s: read failed", shown);
			error = TC_ERROR;
			goto cleanup;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (out->len > TC_CFGYAML_MAX_FILE)
			goto too_large;
	}
	if (tc_buf_cstr(out) < 0) {
		tc_error_set("%s: out of memory", shown);
		error = TC_ERROR;
	}
	goto cleanup;
too_large:
	tc_error_set("%s: file too large (limit %zu bytes)", shown, TC_CFGYAML_MAX_FILE);
	error = TC_ELIMIT;
cleanup:
	close(fd);
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

/*
 * The document is built from libyaml's events rather than by
 * yaml_parser_load, so the limits stop a hostile file while it is parsed:
 * libyaml's cost per token grows with the nesting depth, so 100,000 open
 * brackets would take it tens of seconds, and a tree of millions of tiny
 * nodes over a GB.
 */
typedef struct tree_anchor {
	char *name;
	int id;
} tree_anchor;

typedef struct tree {
	yaml_document_t *doc;
	const char *name;
	size_t nodes;
	size_t depth;
	int open[TC_CFGYAML_MAX_DEPTH];         /* the collections being filled */
	int key[TC_CFGYAML_MAX_DEPTH];          /* an open mapping's key awaiting its value */
	char *open_anchor[TC_CFGYAML_MAX_DEPTH]; /* registered when the collection ends */
	tree_anchor anchors[TC_CFGYAML_MAX_ANCHORS];
	size_t n_anchors;
} tree;

static int tree_oom(const tree *t)
{
	tc_error_set("%s: out of memory building the YAML tree", t->name);
	return TC_ERROR;
}

static unsigned long ev_line(const yaml_event_t *ev)
{
	return (unsigned long)ev->start_mark.line + 1;
}

/* Counts one more node; refuses the one past the limit. */
static int tree_count(tree *t, const yaml_event_t *ev)
{
	if (++t->nodes > TC_CFGYAML_MAX_NODES) {
		tc_error_set("%s:%lu: too many nodes (limit %d)", t->name, ev_line(ev),
			     TC_CFGYAML_MAX_NODES);
		return TC_ELIMIT;
	}
	return TC_OK;
}

/* Takes over name; a later anchor of the same name wins, as in YAML 1.2 and Go's yaml.v2. */
static int tree_anchor_add(tree *t, char *name, int id, const yaml_event_t *ev)
{
	for (size_t i = 0; i < t->n_anchors; i++) {
		if (!strcmp(t->anchors[i].name, name)) {
			free(name);
			t->anchors[i].id = id;
			return TC_OK;
		}
	}
	if (t->n_anchors == TC_CFGYAML_MAX_ANCHORS) {
		free(name);
		tc_error_set("%s:%lu: too many anchors (limit %d)", t->name, ev_line(ev),
			     TC_CFGYAML_MAX_ANCHORS);
		return TC_ELIMIT;
	}
	t->anchors[t->n_anchors].name = name;
	t->anchors[t->n_anchors++].id = id;
	return TC_OK;
}

static int tree_alias(int *id, tree *t, const yaml_event_t *ev)
{
	const char *a = (const char *)ev->data.alias.anchor;

	for (size_t i = 0; i < t->n_anchors; i++) {
		if (!strcmp(t->anchors[i].name, a)) {
			*id = t->anchors[i].id;
			return TC_OK;
		}
	}
	for (size_t d = 0; d < t->depth; d++) {
		if (t->open_anchor[d] && !strcmp(t->open_anchor[d], a)) {
			tc_error_set("%s:%lu: invalid YAML: alias *%s inside the collection it names",
				     t->name, ev_line(ev), tc_utf8_printable(a, 64));
			return TC_EINVALID;
		}
	}
	tc_error_set("%s:%lu: invalid YAML: alias *%s names no anchor before it", t->name,
		     ev_line(ev), tc_utf8_printable(a, 64));
	return TC_EINVALID;
}

/* Hangs node id under the innermost open collection (the root has none). */
static int tree_attach(tree *t, int id)
{
	yaml_node_t *parent;
	size_t d;
	int ok;

	if (t->depth == 0)
		return TC_OK;
	d = t->depth - 1;
	parent = yaml_document_get_node(t->doc, t->open[d]);
	if (parent->type == YAML_SEQUENCE_NODE) {
		ok = yaml_document_append_sequence_item(t->doc, t->open[d], id);
	} else if (!t->key[d]) {
		t->key[d] = id;
		ok = 1;
	} else {
		ok = yaml_document_append_mapping_pair(t->doc, t->open[d], t->key[d], id);
		t->key[d] = 0;
	}
	return ok ? TC_OK : tree_oom(t);
}

static void tree_mark(tree *t, int id, const yaml_event_t *ev)
{
	yaml_node_t *n = yaml_document_get_node(t->doc, id);

	n->start_mark = ev->start_mark;
	n->end_mark = ev->end_mark;
}

static int tree_open(tree *t, yaml_event_t *ev)
{
	int seq = ev->type == YAML_SEQUENCE_START_EVENT, id, error;
	yaml_char_t **anchor = seq ? &ev->data.sequence_start.anchor
				   : &ev->data.mapping_start.anchor;

	if ((error = tree_count(t, ev)) < 0)
		return error;
	if (t->depth == TC_CFGYAML_MAX_DEPTH) {
		tc_error_set("%s:%lu: too deeply nested (limit %d)", t->name, ev_line(ev),
			     TC_CFGYAML_MAX_DEPTH);
		return TC_ELIMIT;
	}
	id = seq ? yaml_document_add_sequence(t->doc, ev->data.sequence_start.tag,
					      ev->data.sequence_start.style)
		 : yaml_document_add_mapping(t->doc, ev->data.mapping_start.tag,
					     ev->data.mapping_start.style);
	if (!id)
		return tree_oom(t);
	tree_mark(t, id, ev);
	if ((error = tree_attach(t, id)) < 0)
		return error;
	t->open[t->depth] = id;
	t->key[t->depth] = 0;
	t->open_anchor[t->depth] = (char *)*anchor;
	*anchor = NULL; /* taken over */
	t->depth++;
	return TC_OK;
}

static int tree_close(tree *t, const yaml_event_t *ev)
{
	size_t d = --t->depth;
	yaml_node_t *n = yaml_document_get_node(t->doc, t->open[d]);
	char *anchor = t->open_anchor[d];

	n->end_mark = ev->end_mark;
	t->open_anchor[d] = NULL;
	return anchor ? tree_anchor_add(t, anchor, t->open[d], ev) : TC_OK;
}

/* Adds the node of one event; *done is 1 at the end of the document, 2 at the end of the stream. */
static int tree_event(tree *t, yaml_event_t *ev, int *done)
{
	int id, error;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if ((error = tree_count(t, ev)) < 0)
			return error;
		if (ev->data.scalar.length > INT32_MAX)
			return tree_oom(t);
		id = yaml_document_add_scalar(t->doc, ev->data.scalar.tag, ev->data.scalar.value,
					      (int)ev->data.scalar.length, ev->data.scalar.style);
		if (!id)
			return tree_oom(t);
		tree_mark(t, id, ev);
		if (ev->data.scalar.anchor) {
			char *a = (char *)ev->data.scalar.anchor;
			ev->data.scalar.anchor = NULL;
			if ((error = tree_anchor_add(t, a, id, ev)) < 0)
				return error;
		}
		return tree_attach(t, id);
	case YAML_ALIAS_EVENT:
		if ((error = tree_count(t, ev)) < 0 || (error = tree_alias(&id, t, ev)) < 0)
			return error;
		return tree_attach(t, id);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return tree_open(t, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return tree_close(t, ev);
	case YAML_DOCUMENT_END_EVENT:
		*done = 1;
		return TC_OK;
	case YAML_STREAM_END_EVENT:
		*done = 2;
		return TC_OK;
	default:
		return TC_OK;
	}
}

static void tree_dispose(tree *t)
{
	for (size_t i = 0; i < t->n_anchors; i++)
		free(t->anchors[i].name);
	for (size_t d = 0; d < t->depth; d++)
		free(t->open_anchor[d]);
}

/* After the first document: anything but the end of the stream is a second one. */
static int check_single_document(yaml_parser_t *parser, const char *name)
{
	yaml_event_t ev;
	int error = TC_OK;

	for (int i = 0; i < 2; i++) {
		if (!yaml_parser_parse(parser, &ev)) {
			set_parser_error(parser, name);
			return TC_EINVALID;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return TC_OK;
		}
		/* The line of the second document's root, not of its "---". */
		if (ev.type != YAML_DOCUMENT_START_EVENT) {
			tc_error_set("%s:%lu: only one YAML document is allowed", name, ev_line(&ev));
			error = TC_EINVALID;
			i = 2;
		}
		yaml_event_delete(&ev);
	}
	return error;
}

int tc_cfgyaml_load(yaml_document_t *doc, int *has_root, const char *yaml, size_t len,
		    const char *name)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	tree t = { .doc = doc, .name = name };
	int done = 0, error = TC_OK;

	*has_root = 0;
	memset(doc, 0, sizeof(*doc));
	if (memchr(yaml, '\0', len)) {
		tc_error_set("%s: invalid YAML: contains a NUL byte", name);
		return TC_EINVALID;
	}
	if (!yaml_parser_initialize(&parser)) {
		tc_error_set("%s: out of memory", name);
		return TC_ERROR;
	}
	if (!yaml_document_initialize(doc, NULL, NULL, NULL, 1, 1)) {
		yaml_parser_delete(&parser);
		tc_error_set("%s: out of memory", name);
		return TC_ERROR;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	while (!done && error >= 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			set_parser_error(&parser, name);
			error = TC_EINVALID;
			break;
		}
		error = tree_event(&t, &ev, &done);
		yaml_event_delete(&ev);
	}
	if (error >= 0 && done == 1)
		error = check_single_document(&parser, name);
	tree_dispose(&t);
	yaml_parser_delete(&parser);
	if (error < 0) {
		yaml_document_delete(doc);
		return error;
	}
	*has_root = yaml_document_get_root_node(doc) != NULL;
	return TC_OK;
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
