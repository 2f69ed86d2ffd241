/*
 * Whole-block verification: what `tracecompactor inspect` checks, for a
 * block in any backend. Everything the block reader checks
 * (docs/COMPACTOR.md#reading-inputs), the index file's length against the
 * meta, every ID against its bloom shard, and every body walked down to its
 * leaves (tc_trace_validate). The compaction job checks each object it
 * passes through unchanged with tc_block_check_object, the same body check,
 * so a block we write always passes (docs/COMPACTOR.md#validating-the-output).
 */
#ifndef TC_ENCODING_BLOCK_VERIFY_H
#define TC_ENCODING_BLOCK_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "src/backend/backend.h"
#include "encoding/block_reader.h"
#include "encoding/meta.h"

typedef struct tc_block_verify_stats {
	uint64_t objects;
	uint64_t spans;  /* 0 for an opaque data encoding */
	uint64_t pages;  /* data pages read */
	uint16_t bloom_shards;
} tc_block_verify_stats;

/* Called for each object once it has passed; a value < 0 stops the walk with that code. */
typedef int (*tc_block_verify_fn)(void *ctx, const tc_object *o);

/*
 * Verifies the block meta describes (m as read from its meta.json), reading
 * it with ro (NULL: the defaults, page caps included). TC_OK, or the first
 * failure with a message naming the file and, where there is one, the
 * offset. each (may be NULL) sees every object in ID order.
 */
int tc_block_verify(tc_block_verify_stats *out, tc_backend *be, const tc_meta *m, const tc_block_read_opts *ro,
		    tc_block_verify_fn each, void *ctx);

/*
 * Checks the body of o, the object the last tc_block_reader_next of r
 * returned (its body whole: a deferred one read by the caller), as inspect
 * does. TC_ECORRUPT names the block's data key, the page's offset, the
 * object's position in the page and its trace ID in hex. *spans (may be
 * NULL: no count, a little faster) receives the span count. Opaque data
 * encodings are only checked for a non-empty body: nothing else about them
 * is known.
 */
int tc_block_check_object(size_t *spans, const tc_block_reader *r, const tc_object *o);

#endif
