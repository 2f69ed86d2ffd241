/*
 * Internal to src/config: every key path of Tempo 1.5's config file, as its
 * yaml struct tags define them (generated: docs/CONFIG.md). config.c accepts
 * the ones it has no row for and ignores them, so a deployment's tempo.yaml
 * loads; a path in neither is a typo and is refused.
 */
#ifndef TC_CONFIG_TEMPO_KEYS_H
#define TC_CONFIG_TEMPO_KEYS_H

#include <stddef.h>

enum tc_tempo_key_kind {
	TC_TK_SECTION, /* a struct: a mapping whose keys are in the table too */
	TC_TK_SCALAR,
	TC_TK_SEQ,     /* a sequence; its items are not checked */
	TC_TK_MAP,     /* a free-form mapping (Go map or interface): any keys */
};

typedef struct tc_tempo_key {
	const char *path; /* dotted, from the top: "storage.trace.wal.path" */
	enum tc_tempo_key_kind kind;
} tc_tempo_key;

extern const tc_tempo_key tc_tempo_keys[];
extern const size_t tc_tempo_keys_n;

#endif
