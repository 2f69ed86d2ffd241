/*
 * Retention's decision for every block of a tenant (docs/COMPACTOR.md#retention)
 * as a pure function of a blocklist snapshot, the tenant's effective
 * retention and the time. The retention loop acts on exactly this plan;
 * `tracecompactor retention --dry-run` and the bucket page print it, so
 * what they show is what the loop does.
 */
#ifndef TC_COMPACTOR_RETENTION_H
#define TC_COMPACTOR_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "src/compactor/blocklist.h"
#include "src/config/config.h"
#include "src/config/overrides.h"

/* Where a retention value comes from, for explaining it. */
typedef enum tc_retention_source {
	TC_RETENTION_FROM_TENANT,    /* the tenant's entry in the overrides file */
	TC_RETENTION_FROM_WILDCARD,  /* the overrides file's "*" entry */
	TC_RETENTION_FROM_DEFAULTS,  /* the config's overrides.block_retention */
	TC_RETENTION_FROM_GLOBAL,    /* compactor.compaction.(compacted_)block_retention */
	TC_RETENTION_FROM_FLAG,      /* a command-line flag */
} tc_retention_source;

/* A tenant's effective retention. */
typedef struct tc_retention {
	int64_t block_ns;     /* live blocks ending before now - block_ns are marked compacted; <= 0: never */
	tc_retention_source block_from;
	int64_t compacted_ns; /* compacted blocks marked before now - compacted_ns are deleted */
	tc_retention_source compacted_from;
} tc_retention;

typedef enum tc_retention_action {
	TC_RETENTION_KEEP,
	TC_RETENTION_MARK_COMPACTED, /* a live block past block_retention */
	TC_RETENTION_DELETE,         /* a compacted block past compacted_block_retention */
} tc_retention_action;

typedef struct tc_retention_decision {
	const tc_meta *meta;        /* into the blocklist planned over */
	tc_retention_action action;
	tc_time at;                 /* what the rule looks at: endTime (live) or compactedTime */
	int64_t retention_ns;       /* the rule's value: block_ns or compacted_ns */
	tc_retention_source from;   /* and where it comes from */
	tc_time cutoff;             /* now - retention_ns: `at` before it and the block goes */
	tc_time until;              /* at + retention_ns: when a kept block goes */
	int forever;                /* kept for good: a live block with block_ns <= 0 */
} tc_retention_decision;

/* The tenant's retention from the config and its overrides (ov may be NULL: no file). */
void tc_retention_effective(tc_retention *out, const tc_config *cfg, tc_overrides *ov, const char *tenant);

/*
 * One decision per block of bl: the live blocks in bl's order, then the
 * compacted ones. *out (free() it) points into bl, which must outlive it.
 * A block goes when its time is strictly before the cut-off, as in Tempo.
 */
int tc_retention_plan(tc_retention_decision **out, size_t *n, const tc_blocklist *bl, const tc_retention *r,
		      const tc_time *now);

/* "keep", "mark-compacted", "delete". */
const char *tc_retention_action_name(tc_retention_action a);
/* "tenant-override", "wildcard-override", "overrides-default", "global", "flag". */
const char *tc_retention_source_name(tc_retention_source s);

/* Logs one line per tenant entry of the overrides file with its effective retention (level=info). */
void tc_retention_log_overrides(const tc_config *cfg, tc_overrides *ov);

#endif
