/*
 * Object storage, as the compactor sees it: keys "<tenant>/<block>/<name>"
 * and "<tenant>/<name>", whole-object and ranged reads, whole-object writes,
 * a streamed append for the data file, one-level listings, and the two
 * block-level operations whose mechanics differ per store (mark compacted,
 * clear). The compactor never knows which store it talks to.
 *
 * Every function is safe to call from several threads on one tc_backend.
 * Missing keys give TC_ENOTFOUND; any other failure TC_ERROR with a message
 * naming the key.
 */
#ifndef TC_BACKEND_H
#define TC_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"
#include "src/util/strlist.h"
#include "src/util/timeutil.h"

typedef struct tc_backend tc_backend;
typedef struct tc_append tc_append;

typedef struct tc_stat {
	uint64_t size;
	tc_time mtime; /* last modification, as the store reports it */
} tc_stat;

/* Appends the whole object to out (respecting out's cap). */
int tc_backend_read(tc_buf *out, tc_backend *be, const char *key);
/* Reads exactly len bytes at off; a shorter object is TC_ECORRUPT. */
int tc_backend_read_range(uint8_t *out, tc_backend *be, const char *key, uint64_t off, size_t len);
/* Creates or replaces an object; readers see the old or the new whole object. */
int tc_backend_write(tc_backend *be, const char *key, const void *data, size_t len);

/*
 * A streamed upload. The object becomes visible at commit (S3: multipart
 * complete) or grows in place (local); abort removes what was written.
 */
int tc_backend_append_open(tc_append **out, tc_backend *be, const char *key);
int tc_backend_append(tc_append *a, const void *data, size_t len);
/* Commits and frees a, even on failure. */
int tc_backend_append_commit(tc_append *a);
/* Discards and frees a; a may be NULL. */
void tc_backend_append_abort(tc_append *a);

/*
 * Names one level below prefix ("" for tenants, "<tenant>/" for blocks):
 * sub-directories / common prefixes only, never plain objects.
 */
int tc_backend_list(tc_strlist *out, tc_backend *be, const char *prefix);
/* Names of the objects directly under prefix ("<tenant>/<block>/"). */
int tc_backend_list_objects(tc_strlist *out, tc_backend *be, const char *prefix);
int tc_backend_stat(tc_stat *out, tc_backend *be, const char *key);
/*
 * A tenant's block prefixes as one poll sees them (docs/STORAGE.md#block-listing):
 * names sorted; per block a version that changes whenever the block's
 * metas or quarantine marker appear, go or are rewritten (0: unknown, read
 * the block), and which of those objects exist when the listing shows it
 * (TC_BLOCK_KNOWN set) - S3 lists them, local only sees the directory.
 */
#define TC_BLOCK_HAS_META 1u      /* meta.json */
#define TC_BLOCK_HAS_COMPACTED 2u /* meta.compacted.json */
#define TC_BLOCK_HAS_NOCOMPACT 4u /* nocompact.json (quarantined) */
#define TC_BLOCK_KNOWN 0x80u      /* the flags above are filled in */

typedef struct tc_block_list {
	tc_strlist names;  /* block prefixes (any name: the caller validates), sorted */
	uint64_t *version; /* parallel to names */
	uint8_t *objects;  /* parallel to names: TC_BLOCK_* */
	size_t cap;
} tc_block_list;

#define TC_BLOCK_LIST_INIT { TC_STRLIST_INIT, NULL, NULL, 0 }

int tc_backend_list_blocks(tc_block_list *out, tc_backend *be, const char *tenant);
/* For implementers: appends one block (names must come in sorted order). */
int tc_block_list_add(tc_block_list *l, const char *name, size_t len, uint64_t version, uint8_t objects);
void tc_block_list_dispose(tc_block_list *l);

/* Deletes one object; a missing key is not an error. */
int tc_backend_delete(tc_backend *be, const char *key);

/*
 * meta.json -> meta.compacted.json. Afterwards the compacted meta's mtime
 * (its compactedTime) is the time of marking.
 */
int tc_backend_mark_compacted(tc_backend *be, const char *tenant, const char *block);
/* Removes every object of the block (and, on local, its directory). */
int tc_backend_clear_block(tc_backend *be, const char *tenant, const char *block);

/*
 * Aborts streamed uploads a killed writer left open (S3 multipart uploads
 * started before started_before), so nothing stays stored and billed
 * without an object. Backends without such state do nothing.
 */
int tc_backend_abort_stale_uploads(size_t *aborted, tc_backend *be, const tc_time *started_before);

/*
 * Makes the backend's operations in flight, and every later one, end with
 * TC_ECANCELED as soon as they can: a listing between pages, a retry's
 * backoff sleep, a request waiting on the network. For a shutdown that
 * must not wait on a store that lists endlessly or does not answer; there
 * is no undoing it. Backends whose operations are local and bounded
 * (local, mem) ignore it. Safe to call from any thread, more than once.
 */
void tc_backend_cancel(tc_backend *be);

const char *tc_backend_name(const tc_backend *be);
void tc_backend_free(tc_backend *be);

/*
 * The backends. The local backend opens an existing directory: a root that
 * does not exist is TC_ENOTFOUND ("path ... does not exist"), so a mistyped
 * path is an error and never a new, empty bucket. tc_backend_local_create
 * first creates root and its missing parents, for callers that set up a
 * bucket on purpose (gen, storage.trace.local.create). Either way, writes
 * create the tenant and block directories below the root as they need them.
 */
int tc_backend_local_new(tc_backend **out, const char *root);
int tc_backend_local_create(tc_backend **out, const char *root);
int tc_backend_mem_new(tc_backend **out);

#endif
