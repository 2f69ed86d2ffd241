/*
 * What the blocklist poller remembers between polls
 * (docs/COMPACTOR.md#incremental-polling): per tenant, every block's listed
 * version and what reading it found, so that a poll reads only the blocks
 * whose listing changed and takes the others' metas from the store.
 * Used by the poll thread only; not thread-safe.
 */
#ifndef TC_COMPACTOR_POLLCACHE_H
#define TC_COMPACTOR_POLLCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "src/backend/backend.h"
#include "src/compactor/blocklist.h"
#include "src/compactor/store.h"

typedef struct tc_pollcache tc_pollcache;

int tc_pollcache_new(tc_pollcache **out);
void tc_pollcache_free(tc_pollcache *c);
/* Forgets tenants not in tenants (sorted): they left the bucket. */
void tc_pollcache_retain_tenants(tc_pollcache *c, const tc_strlist *tenants);

typedef struct tc_poll_stats {
	size_t listed;  /* block prefixes the listing showed */
	size_t read;    /* blocks whose metas were read */
	size_t reused;  /* blocks taken from the last poll unread */
	int changed;    /* the live or compacted list differs from the last poll's */
	int unchanged;  /* nothing at all changed: out holds the partial blocks only, the store's lists stand */
} tc_poll_stats;

/*
 * Polls one tenant into out, as tc_blocklist_read_tenant_n does (the same
 * lists, order, partial and quarantined blocks, skipped count), from one
 * tc_backend_list_blocks: a block is read only when it is new, its version
 * changed or is unknown, its last read failed, the store no longer holds it,
 * or full is set; the others' metas are copied from the store. A block
 * whose meta cannot be read is left out and read again next time.
 * may_keep: when no block needs reading, none went, and the store's lists
 * are what the last poll installed (tc_store_unchanged), set st->unchanged
 * and build nothing but out->partial: the common case, costing a listing
 * and no copy of the tenant's metas.
 */
int tc_pollcache_read_tenant(tc_blocklist *out, tc_poll_stats *st, tc_pollcache *c, tc_backend *be,
			     tc_store *store, const char *tenant, size_t concurrency, int full, int may_keep);

/* When this replica last wrote the tenant's index (tc_mono_ns), 0 if never or it failed. */
uint64_t tc_pollcache_index_written(tc_pollcache *c, const char *tenant);
void tc_pollcache_set_index_written(tc_pollcache *c, const char *tenant, uint64_t mono_ns);

#endif
