/*
 * A tenant's blocks as the poller sees them: every block prefix that is a
 * valid UUID, with meta.json (live) or else meta.compacted.json (compacted,
 * compactedTime from its modification time, as Tempo reads it).
 */
#ifndef TC_COMPACTOR_BLOCKLIST_H
#define TC_COMPACTOR_BLOCKLIST_H

#include <stddef.h>

#include "encoding/meta.h"
#include "src/backend/backend.h"

typedef struct tc_blocklist {
	tc_meta *live;
	size_t n_live;
	tc_meta *compacted;
	size_t n_compacted;
	size_t skipped;       /* prefixes skipped: bad names, unreadable metas, other formats */
	tc_strlist partial;   /* block IDs with neither meta: being written, or left by a crash */
	tc_strlist quarantined; /* live blocks with a nocompact.json marker */
} tc_blocklist;

#define TC_BLOCKLIST_INIT { NULL, 0, NULL, 0, 0, TC_STRLIST_INIT, TC_STRLIST_INIT }

/* The marker that keeps a block the compactor failed to read out of every later selection. */
#define TC_QUARANTINE_MARKER "nocompact.json"

/*
 * Writes the marker (reason, time, error) into the block's directory. The
 * block stays live and readable; only compaction skips it.
 */
int tc_blocklist_quarantine(tc_backend *be, const char *tenant, const char *block, const char *reason,
			    const char *error);
/* Removes the marker; TC_ENOTFOUND if the block is not quarantined. */
int tc_blocklist_unquarantine(tc_backend *be, const char *tenant, const char *block);
/* 1 if the tenant's live block is quarantined in bl. */
int tc_blocklist_is_quarantined(const tc_blocklist *bl, const char *block);
/* Leaves only the live blocks compaction may take (not quarantined), in order. */
void tc_blocklist_drop_quarantined(tc_blocklist *bl);

/*
 * Lists and reads the tenant's blocks. A name that is not a UUID, a meta
 * that fails to parse or belongs elsewhere, or a non-v2 block is logged
 * and skipped (it never stops the other blocks from being seen); listing
 * errors fail the call. Both lists are sorted by startTime (stable).
 */
int tc_blocklist_read_tenant(tc_blocklist *out, tc_backend *be, const char *tenant);
/* The same with `concurrency` meta reads in flight (storage.trace.blocklist_poll_concurrency). */
int tc_blocklist_read_tenant_n(tc_blocklist *out, tc_backend *be, const char *tenant, size_t concurrency);
#define TC_BLOCKLIST_DEFAULT_CONCURRENCY 8

/* Reads one block's meta.json (live) or meta.compacted.json; TC_ENOTFOUND if neither. */
int tc_blocklist_read_meta(tc_meta *out, tc_backend *be, const char *tenant, const char *block);

/*
 * Newest modification time (unix ns) of the objects under the block's
 * prefix, 0 if none: how long a partial block has been left alone.
 */
int tc_blocklist_newest_mtime(int64_t *out, tc_backend *be, const char *tenant, const char *block);

/*
 * One block's read for a poll: block and objects (the listing's TC_BLOCK_*
 * flags, which spare requests for objects the listing did not show) in;
 * rc (TC_OK, TC_ENOTFOUND for a partial block, < 0 with err), meta and
 * quarantined out.
 */
typedef struct tc_meta_read {
	const char *block;
	uint8_t objects;
	int rc;
	int quarantined;
	tc_meta meta;
	char err[512];
} tc_meta_read;

/* Reads n blocks' metas, `concurrency` at a time. */
void tc_blocklist_read_metas(tc_meta_read *r, size_t n, tc_backend *be, const char *tenant, size_t concurrency);

/* Valid tenant names under the root, sorted; invalid ones logged and skipped. */
int tc_blocklist_tenants(tc_strlist *out, tc_backend *be);

void tc_blocklist_dispose(tc_blocklist *bl);

#endif
