/*
 * The backend conformance suite: what every tc_backend must do, run by
 * tests/unit/test_backend.c (local, mem), tests/unit/test_s3.c (RGW),
 * tests/unit/test_azure.c (Azurite) and tests/unit/test_gcs.c (the fake
 * GCS of tests/fake_gcs.py).
 * A check is a void function on a fixture whose fields describe where the
 * backends may differ; a backend's own extra assertions stay in its test
 * file and run after the shared check (tc_suite_run).
 */
#ifndef TC_BACKEND_SUITE_H
#define TC_BACKEND_SUITE_H

#include <stddef.h>
#include <stdint.h>

#include "src/backend/backend.h"
#include "src/util/strlist.h"
#include "src/util/timeutil.h"

typedef struct tc_suite_fx {
	tc_backend *be;
	void *ctx; /* passed to the hooks */
	/*
	 * Makes key's mtime more than a second older than now, so that "the
	 * compacted meta has the time of marking" cannot pass by accident: sets
	 * it (local) or waits (S3). Returns 1 if it did, 0 if the backend has
	 * no way to (mem), < 0 on error. NULL is "no way".
	 */
	int (*backdate)(void *ctx, const char *key);
	/* how far before the write a stored mtime may be (its precision) */
	int mtime_slack_s;
	/* an append stream's object exists before commit (local appends in place) */
	int append_visible_before_commit;
	/* keys with '\\' are refused (TC_EINVALID): Azure turns it into '/' */
	int backslash_refused;
	/*
	 * list_blocks stamps every listed block (version != 0, TC_BLOCK_KNOWN)
	 * at once: the object stores and mem; local waits out a 2 s window
	 */
	int block_versions_known;
	/* objects each of the concurrent writers writes */
	int concurrent_objects;
} tc_suite_fx;

/*
 * Runs check on f, then extra (may be NULL) only if check passed, so one
 * failure is reported once.
 */
void tc_suite_run(tc_suite_fx *f, void (*check)(tc_suite_fx *f), void (*extra)(void *ctx),
		  void *ctx);

void tc_suite_write_read(tc_suite_fx *f);
void tc_suite_not_found(tc_suite_fx *f);
void tc_suite_read_range(tc_suite_fx *f);
void tc_suite_stat_object(tc_suite_fx *f);
void tc_suite_list(tc_suite_fx *f);
void tc_suite_delete_object(tc_suite_fx *f);
void tc_suite_append_commit(tc_suite_fx *f);
void tc_suite_append_abort(tc_suite_fx *f);
void tc_suite_mark_compacted(tc_suite_fx *f);
void tc_suite_clear_block(tc_suite_fx *f);
void tc_suite_hostile_keys(tc_suite_fx *f);
void tc_suite_concurrent_writers(tc_suite_fx *f);
/* Listings: prefixes that share a stem, nested names, the delimiter, the root. */
void tc_suite_list_semantics(tc_suite_fx *f);
/* More names than one page of an object store's listing (1000), listed and cleared. */
void tc_suite_long_listing(tc_suite_fx *f);
/* Replacing objects by larger and smaller ones, by write and by append. */
void tc_suite_overwrite(tc_suite_fx *f);
/* Tenants, blocks and names with every character a key may hold. */
void tc_suite_all_chars(tc_suite_fx *f);

/*
 * tc_backend_list_blocks: versions stay while a tenant is unchanged and
 * change with its metas and marker (0, "unknown", always allowed); the
 * tenant index is no block; deleted blocks go.
 */
void tc_suite_list_blocks(tc_suite_fx *f);

/* Keys every backend refuses (the suite adds one longer than TC_KEY_MAX). */
extern const char *const tc_suite_hostile[];
extern const size_t tc_suite_n_hostile;

/* Writes the string s to key. */
int tc_suite_put(tc_backend *be, const char *key, const char *s);
/* Reads key as a string into out (size 4096); returns the backend's code. */
int tc_suite_get(char *out, tc_backend *be, const char *key);
/* Joins l with commas into out. */
void tc_suite_list_join(char *out, size_t outsz, const tc_strlist *l);
/* Lists prefix (objects or, objects == 0, child prefixes) joined with commas. */
int tc_suite_list_str(char *out, size_t outsz, tc_backend *be, const char *prefix, int objects);
int64_t tc_suite_now_ns(void);
int64_t tc_suite_time_ns(const tc_time *t);

#endif
