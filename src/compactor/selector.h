/*
 * Tempo's time-window block selector (docs/COMPACTOR.md#block-selector): blocks grouped by
 * the window of their endTime, recent windows and low levels first,
 * contiguous stripes of 2-4 blocks within object and byte limits.
 */
#ifndef TC_COMPACTOR_SELECTOR_H
#define TC_COMPACTOR_SELECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "encoding/meta.h"

#define TC_SELECTOR_MIN_INPUTS 2
#define TC_SELECTOR_MAX_INPUTS 4
#define TC_SELECTOR_HASH_MAX (TC_TENANT_MAX + 64)

typedef struct tc_selector_opts {
	int64_t window_ns;        /* compaction_window */
	uint64_t max_objects;     /* max_compaction_objects */
	uint64_t max_bytes;       /* max_block_bytes */
	tc_time now;
} tc_selector_opts;

typedef struct tc_selector tc_selector;

/*
 * Blocks in the window being cut over are left out. metas are not copied:
 * they must stay as they are until the selector is freed (a 100,000-block
 * tenant's copy was most of a selection's time).
 */
int tc_selector_new(tc_selector **out, const tc_meta *metas, size_t n, const tc_selector_opts *o);

/*
 * The next group to compact: *n (>= 2) metas in merge order, pointers into
 * the caller's metas (the array itself valid until the selector is freed),
 * and the group's ownership hash.
 * Returns 1 with a group, 0 when nothing more is selectable.
 */
int tc_selector_next(const tc_meta ***out, size_t *n, char hash[TC_SELECTOR_HASH_MAX], tc_selector *s);

/*
 * The compaction window a block with this endTime belongs to: endTime's
 * unix seconds / the window's (0 for a window under 1s). The window starts
 * at that number times the window.
 */
int64_t tc_selector_window_of(const tc_time *end, int64_t window_ns);

/* Σ inputs of every group still selectable (consumes the selector). */
size_t tc_selector_outstanding(tc_selector *s);

void tc_selector_free(tc_selector *s);

#endif
