/*
 * The in-memory blocklist every loop works from: per tenant, the live and
 * compacted metas of the last poll plus the changes the loops made since.
 * A poll replaces a tenant's lists and re-applies the local changes that
 * happened after it started, so a compaction that finished during a poll
 * is not forgotten (Tempo keeps them across one poll the same way).
 * Thread-safe.
 */
#ifndef TC_COMPACTOR_STORE_H
#define TC_COMPACTOR_STORE_H

#include <stdint.h>

#include "src/util/strlist.h"
#include "src/compactor/blocklist.h"

typedef struct tc_store tc_store;

int tc_store_new(tc_store **out);
void tc_store_free(tc_store *s);

/* A sequence number to pass to tc_store_replace for a poll starting now. */
uint64_t tc_store_seq(tc_store *s);
/* Installs a tenant's polled lists (taking ownership of bl's arrays). */
int tc_store_replace(tc_store *s, const char *tenant, tc_blocklist *bl, uint64_t poll_seq);
/* Forgets tenants not in the list (they vanished from the bucket). */
void tc_store_retain_tenants(tc_store *s, const tc_strlist *tenants);

/* Sorted tenant names. */
int tc_store_tenants(tc_strlist *out, tc_store *s);
/* A copy of a tenant's lists; TC_ENOTFOUND for an unknown tenant. */
int tc_store_snapshot(tc_blocklist *out, tc_store *s, const char *tenant);

/*
 * For an incremental poll: calls fn(ctx, i, meta) under the store's lock
 * for every blocks[i] (sorted by strcmp) the tenant's lists hold, live or
 * compacted, so the poll copies what it did not re-read instead of keeping
 * a second copy of every meta (docs/COMPACTOR.md#blocklist-poller).
 */
int tc_store_lookup(tc_store *s, const char *tenant, char *const *blocks, size_t n,
		    void (*fn)(void *ctx, size_t i, const tc_meta *m), void *ctx);

/*
 * 1 when the tenant's lists are exactly what the last tc_store_replace
 * installed (no local change since) and hold `blocks` blocks: a poll that
 * found nothing changed may then leave them in place.
 */
int tc_store_unchanged(tc_store *s, const char *tenant, size_t blocks);
/* Calls fn with the tenant's lists under the store's lock (fn only reads, and takes no store call). */
int tc_store_with_lists(tc_store *s, const char *tenant, void (*fn)(void *ctx, const tc_blocklist *bl), void *ctx);

/* Local changes. */
int tc_store_add_live(tc_store *s, const tc_meta *m);
int tc_store_mark_compacted(tc_store *s, const char *tenant, const char *block, const tc_time *when);
int tc_store_remove(tc_store *s, const char *tenant, const char *block);
int tc_store_quarantine(tc_store *s, const char *tenant, const char *block);

#endif
