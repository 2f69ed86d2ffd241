/*
 * For implementers of a backend (and test decorators) only: the vtable and
 * the instance header every backend embeds as its first member.
 */
#ifndef TC_BACKEND_IMPL_H
#define TC_BACKEND_IMPL_H

#include "src/backend/backend.h"

typedef struct tc_backend_ops {
	const char *name;
	int (*read)(tc_buf *out, tc_backend *be, const char *key);
	int (*read_range)(uint8_t *out, tc_backend *be, const char *key, uint64_t off, size_t len);
	int (*write)(tc_backend *be, const char *key, const void *data, size_t len);
	int (*append_open)(tc_append **out, tc_backend *be, const char *key);
	int (*append)(tc_append *a, const void *data, size_t len);
	int (*append_commit)(tc_append *a);
	void (*append_abort)(tc_append *a);
	int (*list)(tc_strlist *out, tc_backend *be, const char *prefix);
	int (*list_objects)(tc_strlist *out, tc_backend *be, const char *prefix);
	int (*stat)(tc_stat *out, tc_backend *be, const char *key);
	/* Optional (NULL: one listing plus nothing known per block): see tc_backend_list_blocks. */
	int (*list_blocks)(tc_block_list *out, tc_backend *be, const char *tenant);
	int (*del)(tc_backend *be, const char *key);
	int (*mark_compacted)(tc_backend *be, const char *tenant, const char *block);
	int (*clear_block)(tc_backend *be, const char *tenant, const char *block);
	/* Optional (NULL: nothing to do): see tc_backend_abort_stale_uploads. */
	int (*abort_stale_uploads)(size_t *aborted, tc_backend *be, const tc_time *started_before);
	/* Optional (NULL: nothing to cancel): see tc_backend_cancel. */
	void (*cancel)(tc_backend *be);
	void (*free)(tc_backend *be);
} tc_backend_ops;

struct tc_backend {
	const tc_backend_ops *ops;
};

/* Every append handle starts with its backend. */
struct tc_append {
	tc_backend *be;
};

/*
 * Rejects keys that could leave the bucket: empty segments, ".", "..",
 * a leading "/", NUL-free but control characters, or > TC_KEY_MAX bytes.
 */
int tc_backend_key_check(const char *key);

/* The TC_BLOCK_HAS_* flag an object name directly under a block stands for, else 0. */
uint8_t tc_block_object_flag(const char *name);

#endif
