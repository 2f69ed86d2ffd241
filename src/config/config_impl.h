/*
 * Inside src/config/: the row table that config.c defines and that loading
 * (config_load.c) and writing (config_write.c) walk. Not for other modules.
 */
#ifndef TC_CONFIG_CONFIG_IMPL_H
#define TC_CONFIG_CONFIG_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "src/config/config.h"
#include "src/util/strlist.h"

/*
 * CT_LIST: a YAML sequence of strings; from a flag or a default, comma-separated.
 * CT_MAP: a YAML mapping of strings to strings, stored as a tc_strlist of
 * name, value, name, value...; from a flag or a default "k=v,k2=v2".
 */
enum cfg_type { CT_DURATION, CT_U32, CT_U64, CT_BOOL, CT_STRING, CT_FLOAT, CT_ENCODING, CT_LIST,
		CT_MAP };

enum {
	CF_SECRET = 1,          /* redacted by tc_config_write_yaml */
	CF_ZERO_IS_DEFAULT = 2, /* Tempo replaces 0 (or "") by the default; so do we */
	CF_NONEMPTY = 4,
	CF_NOSTORE = 8,         /* accepted and checked, but no field (block.version) */
	CF_HOSTNAME = 16,       /* the default is this host's name (Tempo's instance_id) */
	CF_OPEN01 = 32,         /* float strictly between 0 and 1 */
	CF_ZERO_OK = 64,        /* 0 allowed even below min */
	CF_IGNORED = 128,       /* a Tempo key we accept and check but do not act on; not written */
	CF_UNSUPPORTED = 256,   /* a value outside choices is "not supported" (Tempo has it, we don't) */
};

/* Longest dotted key path. */
#define PATH_MAX_LEN 256

/* Most items in a list key: config lists are a handful of names. */
#define LIST_MAX 256

typedef struct cfg_row {
	const char *key;  /* dotted YAML path */
	enum cfg_type type;
	const char *def;  /* default, as a user would write it */
	size_t off;       /* into tc_config */
	const char *doc;
	uint64_t min, max; /* integers and durations (ns); max 0 = the type's */
	const char *choices; /* strings: allowed values, '|'-separated */
	unsigned flags;
} cfg_row;


/* The table, in tc_config_write_yaml's order. */
const cfg_row *tc_config_rows(size_t *n);
/* The row key sets (an alias's target included); NULL when none. */
const cfg_row *tc_config_row_find(const char *key);
/* Whether key names a mapping that holds rows ("storage.trace.s3"). */
int tc_config_row_is_section(const char *key);
/* Whether the row has a field in tc_config (not CF_NOSTORE or CF_IGNORED). */
int tc_config_row_stores(const cfg_row *r);
/* Parses s as r's type, checks it and stores it in c; messages start with where. */
int tc_config_row_set(tc_config *c, const cfg_row *r, const char *where, const char *s);
/* Adds one list item, checked; the caller installs the list when all are in. */
int tc_config_list_add(tc_strlist *l, const char *where, const char *item);
/* Replaces *dst by l (taken over). */
void tc_config_list_install(tc_strlist *dst, tc_strlist *l);

static inline void *field(tc_config *c, const cfg_row *r)
{
	return (char *)c + r->off;
}

static inline const void *cfield(const tc_config *c, const cfg_row *r)
{
	return (const char *)c + r->off;
}

#endif
