/*
 * Loading a config file: YAML through yamlnode's bounded parser, every key
 * checked against our rows, then Tempo 1.5's other keys (accepted and
 * ignored), the rest refused with file:line.
 */
#include "src/config/config.h"

#include <stdlib.h>
#include <string.h>

#include "src/config/config_impl.h"
#include "src/config/envsubst.h"
#include "src/config/tempo_keys.h"
#include "src/config/yamlnode.h"
#include "src/util/error.h"
#include "src/util/utf8.h"



/* The first problems of a file are all reported; past this many, the rest are counted. */
#define MAX_PROBLEMS 8

typedef struct load_ctx {
	tc_config *c;
	yaml_document_t *doc;
	const char *name;
	tc_buf problems; /* one line each, for the message of a failed load */
	size_t n_problems;
} load_ctx;


/* Joins parent and key into out; TC_EINVALID (with message) if too long. */
static int join_path(char *out, const char *parent, const char *key, const load_ctx *lc,
		     const yaml_node_t *at)
{
	int n = *parent ? snprintf(out, PATH_MAX_LEN, "%s.%s", parent, key)
			: snprintf(out, PATH_MAX_LEN, "%s", key);

	if (n < 0 || n >= PATH_MAX_LEN) {
		tc_error_set("%s:%lu: %s.%s...: unknown key", lc->name, tc_cfgyaml_line(at),
			     tc_utf8_printable(parent, PATH_MAX_LEN), tc_utf8_printable(key, 32));
		return TC_EINVALID;
	}
	return TC_OK;
}

/* The row a key sets, or the key itself, to find repeats (aliases included). */
static const char *canonical(const char *path)
{
	const cfg_row *r = tc_config_row_find(path);
	return r ? r->key : path;
}

static int check_repeat(const load_ctx *lc, const char *parent, yaml_node_pair_t *begin,
			yaml_node_pair_t *cur, const char *path)
{
	const char *mine = canonical(path);
	char other[PATH_MAX_LEN];

	for (yaml_node_pair_t *p = begin; p < cur; p++) {
		yaml_node_t *k = yaml_document_get_node(lc->doc, p->key);
		const char *ks = tc_cfgyaml_scalar(k);

		if (!ks || join_path(other, parent, ks, lc, k) < 0)
			continue;
		if (!strcmp(canonical(other), mine)) {
			tc_error_set("%s:%lu: %s: already set at line %lu", lc->name,
				     tc_cfgyaml_line(yaml_document_get_node(lc->doc, cur->key)),
				     tc_utf8_printable(path, PATH_MAX_LEN), tc_cfgyaml_line(k));
			return TC_EINVALID;
		}
	}
	return TC_OK;
}

static int load_mapping(load_ctx *lc, const char *parent, yaml_node_t *map);

static int tempo_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const tc_tempo_key *)elem)->path);
}

static const tc_tempo_key *tempo_key_find(const char *path)
{
	return bsearch(path, tc_tempo_keys, tc_tempo_keys_n, sizeof(tc_tempo_keys[0]),
		       tempo_key_cmp);
}

/* Appends key and "file:line" to two parallel lists. */
static int note(tc_strlist *keys, tc_strlist *at, const load_ctx *lc, const char *key,
		const yaml_node_t *n)
{
	char where[TC_CFGYAML_NAME_SIZE + 32];

	snprintf(where, sizeof(where), "%s:%lu", lc->name, tc_cfgyaml_line(n));
	if (tc_strlist_add(keys, key) < 0 || tc_strlist_add(at, where) < 0) {
		tc_error_set("%s: out of memory", where);
		return TC_ERROR;
	}
	return TC_OK;
}

/*
 * A key of Tempo 1.5 we have no row for: its value must have the shape
 * Tempo's struct gives it (yaml.v2 refuses a mapping for a string, and so
 * on); a struct is walked key by key, so a typo inside one is still caught.
 */
static int load_tempo_key(load_ctx *lc, const tc_tempo_key *tk, const char *where,
			  yaml_node_t *key, yaml_node_t *val)
{
	tc_config_source *src = &lc->c->src;
	int is_null = tc_cfgyaml_is_null(val);

	switch (tk->kind) {
	case TC_TK_SECTION:
		if (!is_null && val->type != YAML_MAPPING_NODE)
			break;
		if (!is_null)
			return load_mapping(lc, tk->path, val);
		return note(&src->ignored_keys, &src->ignored_at, lc, tk->path, key);
	case TC_TK_MAP:
		if (!is_null && val->type != YAML_MAPPING_NODE)
			break;
		return note(&src->ignored_keys, &src->ignored_at, lc, tk->path, key);
	case TC_TK_SEQ:
		if (!is_null && val->type != YAML_SEQUENCE_NODE) {
			tc_error_set("%s: want a sequence, got %s", where, tc_cfgyaml_kind(val));
			return TC_EINVALID;
		}
		return note(&src->ignored_keys, &src->ignored_at, lc, tk->path, key);
	case TC_TK_SCALAR:
		if (!tc_cfgyaml_scalar(val)) {
			tc_error_set("%s: want a single value, got %s", where,
				     tc_cfgyaml_kind(val));
			return TC_EINVALID;
		}
		return note(&src->ignored_keys, &src->ignored_at, lc, tk->path, key);
	}
	tc_error_set("%s: want a mapping, got %s", where, tc_cfgyaml_kind(val));
	return TC_EINVALID;
}

/* A list key: a YAML sequence of strings (null: the empty list). */
static int load_list(const load_ctx *lc, const cfg_row *r, const char *path, const char *where,
		     yaml_node_t *val)
{
	tc_strlist l = TC_STRLIST_INIT;
	int error = TC_OK;

	if (tc_cfgyaml_is_null(val))
		return tc_config_row_set(lc->c, r, where, "");
	if (val->type != YAML_SEQUENCE_NODE) {
		tc_error_set("%s: want a sequence of strings, got %s", where, tc_cfgyaml_kind(val));
		return TC_EINVALID;
	}
	for (yaml_node_item_t *it = val->data.sequence.items.start;
	     it < val->data.sequence.items.top && error >= 0; it++) {
		yaml_node_t *item = yaml_document_get_node(lc->doc, *it);
		char iwhere[PATH_MAX_LEN + 300];
		const char *s = tc_cfgyaml_scalar(item);

		snprintf(iwhere, sizeof(iwhere), "%s:%lu: %s[%ld]", lc->name, tc_cfgyaml_line(item),
			 path, (long)(it - val->data.sequence.items.start));
		if (!s) {
			tc_error_set("%s: want a string, got %s", iwhere, tc_cfgyaml_kind(item));
			error = TC_EINVALID;
		} else {
			error = tc_config_list_add(&l, iwhere, tc_cfgyaml_is_null(item) ? "" : s);
		}
	}
	if (error >= 0 && tc_config_row_stores(r))
		tc_config_list_install((tc_strlist *)field(lc->c, r), &l);
	tc_strlist_dispose(&l);
	return error;
}

static int map_has(const tc_strlist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i += 2)
		if (!strcmp(l->items[i], name))
			return 1;
	return 0;
}

/* A map key: a YAML mapping of names to single values (null: the empty map). */
static int load_map(const load_ctx *lc, const cfg_row *r, const char *path, const char *where,
		    yaml_node_t *val)
{
	tc_strlist l = TC_STRLIST_INIT;
	int error = TC_OK;

	if (tc_cfgyaml_is_null(val))
		return tc_config_row_set(lc->c, r, where, "");
	if (val->type != YAML_MAPPING_NODE) {
		tc_error_set("%s: want a mapping of names to values, got %s", where,
			     tc_cfgyaml_kind(val));
		return TC_EINVALID;
	}
	for (yaml_node_pair_t *p = val->data.mapping.pairs.start;
	     p < val->data.mapping.pairs.top && error >= 0; p++) {
		yaml_node_t *k = yaml_document_get_node(lc->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(lc->doc, p->value);
		const char *ks = tc_cfgyaml_scalar(k), *vs = tc_cfgyaml_scalar(v);
		char iwhere[PATH_MAX_LEN + 300];

		snprintf(iwhere, sizeof(iwhere), "%s:%lu: %s.%s", lc->name, tc_cfgyaml_line(k), path,
			 ks ? tc_utf8_printable(ks, 64) : "?");
		if (!ks || !vs) {
			tc_error_set("%s: want a name and a single value, got %s", iwhere,
				     tc_cfgyaml_kind(ks ? v : k));
			error = TC_EINVALID;
		} else if (map_has(&l, ks)) {
			tc_error_set("%s: set twice", iwhere);
			error = TC_EINVALID;
		} else if ((error = tc_config_list_add(&l, iwhere, ks)) >= 0) {
			error = tc_strlist_add(&l, tc_cfgyaml_is_null(v) ? "" : vs);
		}
	}
	if (error >= 0 && tc_config_row_stores(r))
		tc_config_list_install((tc_strlist *)field(lc->c, r), &l);
	tc_strlist_dispose(&l);
	return error;
}

/* Sets row r from val and notes where the file set it. */
static int load_row(load_ctx *lc, const cfg_row *r, const char *path, const char *where,
		    yaml_node_t *key, yaml_node_t *val)
{
	const char *s;
	int error;

	if (!(r->flags & CF_IGNORED) &&
	    (error = note(&lc->c->src.keys, &lc->c->src.at, lc, r->key, key)) < 0)
		return error;
	if (r->type == CT_LIST)
		return load_list(lc, r, path, where, val);
	if (r->type == CT_MAP)
		return load_map(lc, r, path, where, val);
	if (tc_cfgyaml_is_null(val)) {
		if (r->type != CT_STRING) {
			tc_error_set("%s: missing value", where);
			return TC_EINVALID;
		}
		return tc_config_row_set(lc->c, r, where, "");
	}
	if (!(s = tc_cfgyaml_scalar(val))) {
		tc_error_set("%s: want a single value, got %s", where, tc_cfgyaml_kind(val));
		return TC_EINVALID;
	}
	return tc_config_row_set(lc->c, r, where, s);
}

static int load_value(load_ctx *lc, const char *path, yaml_node_t *key, yaml_node_t *val)
{
	char where[TC_CFGYAML_NAME_SIZE + PATH_MAX_LEN + 32];
	const cfg_row *r = tc_config_row_find(path);
	const tc_tempo_key *tk;

	snprintf(where, sizeof(where), "%s:%lu: %s", lc->name, tc_cfgyaml_line(val), path);
	if (r)
		return load_row(lc, r, path, where, key, val);
	if (tc_config_row_is_section(path)) {
		if (tc_cfgyaml_is_null(val))
			return TC_OK;
		if (val->type != YAML_MAPPING_NODE) {
			tc_error_set("%s: want a mapping, got %s", where, tc_cfgyaml_kind(val));
			return TC_EINVALID;
		}
		return load_mapping(lc, path, val);
	}
	if ((tk = tempo_key_find(path)) != NULL)
		return load_tempo_key(lc, tk, where, key, val);
	tc_error_set("%s:%lu: %s: unknown key", lc->name, tc_cfgyaml_line(key),
		     tc_utf8_printable(path, PATH_MAX_LEN));
	return TC_EINVALID;
}

/*
 * Keeps the message of a faulty key and lets the load go on, so one run
 * shows every faulty key; anything but a bad value (no memory, a limit)
 * ends the load at once.
 */
static int problem(load_ctx *lc, int error)
{
	if (error != TC_EINVALID)
		return error;
	if (lc->n_problems++ < MAX_PROBLEMS &&
	    tc_buf_printf(&lc->problems, "%s%s", lc->problems.len ? "\n" : "",
			  tc_error_last()) < 0) {
		tc_error_set("%s: out of memory", lc->name);
		return TC_ERROR;
	}
	return TC_OK;
}

static int load_mapping(load_ctx *lc, const char *parent, yaml_node_t *map)
{
	yaml_node_pair_t *begin = map->data.mapping.pairs.start;
	yaml_node_pair_t *end = map->data.mapping.pairs.top;
	char path[PATH_MAX_LEN];
	int error;

	for (yaml_node_pair_t *p = begin; p < end; p++) {
		yaml_node_t *k = yaml_document_get_node(lc->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(lc->doc, p->value);
		const char *ks = tc_cfgyaml_scalar(k);

		if (!ks) {
			tc_error_set("%s:%lu: %s%skeys must be plain names, got %s", lc->name,
				     tc_cfgyaml_line(k), parent, *parent ? ": " : "",
				     tc_cfgyaml_kind(k));
			error = TC_EINVALID;
		} else if (strchr(ks, '.')) {
			/* Dotted names are for the command line; YAML nests. */
			tc_error_set("%s:%lu: %s%s%s: unknown key", lc->name, tc_cfgyaml_line(k),
				     parent, *parent ? "." : "", tc_utf8_printable(ks, 128));
			error = TC_EINVALID;
		} else if ((error = join_path(path, parent, ks, lc, k)) >= 0 &&
			   (error = check_repeat(lc, parent, begin, p, path)) >= 0) {
			error = load_value(lc, path, k, v);
		}
		if (error < 0 && (error = problem(lc, error)) < 0)
			return error;
	}
	return TC_OK;
}

int tc_config_load_string(tc_config *out, const char *yaml, size_t len, const char *path)
{
	char name[TC_CFGYAML_NAME_SIZE];
	yaml_document_t doc;
	tc_config c;
	load_ctx lc = { &c, &doc, name, TC_BUF_INIT, 0 };
	yaml_node_t *root;
	int has_root, error;

	memset(out, 0, sizeof(*out));
	tc_cfgyaml_shown_name(name, path);
	if ((error = tc_config_default(&c)) < 0)
		return error;
	if ((error = tc_cfgyaml_load(&doc, &has_root, yaml, len, name)) < 0) {
		tc_config_dispose(&c);
		return error;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && !tc_cfgyaml_is_null(root)) {
		if (root->type != YAML_MAPPING_NODE) {
			tc_error_set("%s:%lu: the config must be a mapping, got %s", name,
				     tc_cfgyaml_line(root), tc_cfgyaml_kind(root));
			error = TC_EINVALID;
		} else {
			error = load_mapping(&lc, "", root);
		}
	}
	yaml_document_delete(&doc);
	if (error >= 0 && lc.n_problems) {
		if (lc.n_problems > MAX_PROBLEMS)
			tc_error_set("%.*s\n%s: %zu more problems", (int)lc.problems.len,
				     (const char *)lc.problems.ptr, name,
				     lc.n_problems - MAX_PROBLEMS);
		else
			tc_error_set("%.*s", (int)lc.problems.len, (const char *)lc.problems.ptr);
		error = TC_EINVALID;
	}
	tc_buf_dispose(&lc.problems);
	if (error < 0) {
		tc_config_dispose(&c);
		return error;
	}
	*out = c;
	return TC_OK;
}

int tc_config_load_file_ex(tc_config *out, const char *path, unsigned flags)
{
	char name[TC_CFGYAML_NAME_SIZE];
	tc_buf b, x = TC_BUF_INIT;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = tc_cfgyaml_read_file(&b, path)) < 0)
		return error;
	if (flags & TC_CONFIG_EXPAND_ENV) {
		tc_cfgyaml_shown_name(name, path);
		error = tc_envsubst(&x, (const char *)b.ptr, b.len, name);
		tc_buf_dispose(&b);
		if (error < 0) {
			tc_buf_dispose(&x);
			return error;
		}
		b = x;
	}
	error = tc_config_load_string(out, (const char *)b.ptr, b.len, path);
	tc_buf_dispose(&b);
	return error;
}

int tc_config_load_file(tc_config *out, const char *path)
{
	return tc_config_load_file_ex(out, path, 0);
}

const char *tc_config_where(const tc_config *c, const char *key)
{
	const cfg_row *r = tc_config_row_find(key);

	if (!r)
		return NULL;
	/* The last setting wins, as in the file. */
	for (size_t i = c->src.keys.n; i-- > 0;)
		if (!strcmp(c->src.keys.items[i], r->key))
			return c->src.at.items[i];
	return NULL;
}

