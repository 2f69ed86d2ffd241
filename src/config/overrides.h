/*
 * Per-tenant overrides in Tempo's file shape:
 *   overrides:
 *     "tenant-a": { block_retention: 48h, max_bytes_per_trace: 1000000 }
 *     "*":        { block_retention: 72h }
 * A tenant's value comes from its own entry, else "*", else the config's
 * overrides defaults. Reloads swap in a whole new table; a file that fails
 * to parse leaves the last good table in place. Safe for concurrent readers.
 */
#ifndef TC_CONFIG_OVERRIDES_H
#define TC_CONFIG_OVERRIDES_H

#include <stddef.h>
#include <stdint.h>

#include "src/config/config.h"

typedef struct tc_overrides tc_overrides;

/* Loads the file named by cfg->overrides.per_tenant_override_config, if any. */
int tc_overrides_new(tc_overrides **out, const tc_config *cfg);
/* Re-reads the file; on error the previous table stays and the error is returned. */
int tc_overrides_reload(tc_overrides *o);
/* Parses a file's content without installing it (for tests and validation). */
int tc_overrides_check(const char *yaml, size_t len, const char *name);

/* Effective block retention: tenant, "*", overrides default, compactor default. */
int64_t tc_overrides_block_retention_ns(tc_overrides *o, const char *tenant);

/* Where a tenant's effective value comes from. */
typedef enum tc_overrides_source {
	TC_OVERRIDES_FROM_TENANT,    /* the tenant's own entry in the file */
	TC_OVERRIDES_FROM_WILDCARD,  /* the file's "*" entry */
	TC_OVERRIDES_FROM_DEFAULTS,  /* the config's overrides: section */
	TC_OVERRIDES_FROM_COMPACTOR, /* compactor.compaction.block_retention: the entry taken sets none */
} tc_overrides_source;

/* The same value as tc_overrides_block_retention_ns, and *from where it came from. */
int64_t tc_overrides_block_retention_from(tc_overrides *o, const char *tenant, tc_overrides_source *from);
/* Appends the names of the file's entries ("*" included), sorted as the table is. */
int tc_overrides_entries(tc_strlist *out, tc_overrides *o);
/* Effective max_bytes_per_trace (0 = unlimited). */
uint64_t tc_overrides_max_bytes_per_trace(tc_overrides *o, const char *tenant);
/* Number of successful loads so far (for metrics and tests). */
uint64_t tc_overrides_generation(tc_overrides *o);
void tc_overrides_free(tc_overrides *o);

#endif
