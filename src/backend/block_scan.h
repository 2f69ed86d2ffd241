/*
 * For the object-store backends only: folds one recursive listing of a
 * tenant, key by key in listing order, into a tc_block_list
 * (docs/STORAGE.md#block-listing). A block's keys come together in such a
 * listing, so only the block being gone through is held.
 */
#ifndef TC_BACKEND_BLOCK_SCAN_H
#define TC_BACKEND_BLOCK_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "src/backend/backend_impl.h"
#include "src/util/ids.h"

typedef struct tc_block_scan {
	tc_block_list *out;
	size_t plen;     /* of the listed prefix, "<tenant>/" (and any backend prefix) */
	char name[TC_KEY_MAX + 1];
	size_t name_len; /* 0: none yet */
	uint64_t h;
	uint8_t objects;
} tc_block_scan;

/* plen: the length of the listed prefix every key given starts with. */
void tc_block_scan_init(tc_block_scan *b, tc_block_list *out, size_t plen);
/*
 * One listed key and its stamp (what changes when the object is written
 * again, e.g. "<ETag> <Last-Modified> <Size>"; "" when unknown). Keys
 * directly under the tenant (index.json.gz) are passed over.
 */
int tc_block_scan_key(tc_block_scan *b, const char *key, const char *stamp);
/* Adds the block being gone through, if any: after the last page. */
int tc_block_scan_flush(tc_block_scan *b);

#endif
