/*
 * Writes one block from objects given in ascending ID order: pages cut once
 * more than index_downsample_bytes are pending, compressed data appended to
 * the store every flush_size_bytes, then index, bloom shards, and meta.json
 * last, so no reader ever sees a half block.
 */
#ifndef TC_ENCODING_BLOCK_WRITER_H
#define TC_ENCODING_BLOCK_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "src/backend/backend.h"
#include "encoding/codec.h"
#include "encoding/meta.h"

/* storage.trace.block.* */
typedef struct tc_block_config {
	tc_encoding encoding;
	uint32_t index_downsample_bytes;
	uint32_t index_page_size_bytes;
	double bloom_fp;
	uint32_t bloom_shard_size_bytes;
	/* Read side: the page caps (tc_page_limits, docs/FORMAT.md#decompression-caps); 0 = default. */
	uint64_t max_page_bytes;
	uint32_t max_page_ratio;
} tc_block_config;

void tc_block_config_default(tc_block_config *c);

typedef struct tc_block_write_opts {
	tc_block_config block;
	const char *tenant;
	const char *block_id;      /* NULL: a new random UUID */
	const char *data_encoding; /* "v2", "v1", ... */
	uint8_t level;
	tc_time start;
	tc_time end;
	uint64_t estimated_objects; /* sizes the bloom filter */
	size_t flush_size_bytes;    /* 0 = 20 MiB */
	/*
	 * Called once everything but meta.json is stored, right before
	 * meta.json makes the block visible; may be NULL. Anything but TC_OK
	 * is returned by tc_block_writer_finish and leaves the block
	 * unfinished, so freeing the writer deletes it: the last chance for a
	 * caller whose right to publish the block may have lapsed (a
	 * compaction job's lock) to withdraw it.
	 */
	int (*before_commit)(void *ctx);
	void *before_commit_ctx;
} tc_block_write_opts;

typedef struct tc_block_writer tc_block_writer;

int tc_block_writer_new(tc_block_writer **out, tc_backend *be, const tc_block_write_opts *opts);
/* IDs must be 16 bytes and strictly ascending (else TC_EINVALID). */
int tc_block_writer_add(tc_block_writer *w, const uint8_t *id, size_t id_len, const uint8_t *body,
			size_t body_len);
/*
 * Completes the block; *out (may be NULL) receives the meta written. A block
 * with no objects is TC_EINVALID and nothing is left behind.
 */
int tc_block_writer_finish(tc_meta *out, tc_block_writer *w);
/* Aborts an unfinished block (its partial objects are deleted) and frees. */
void tc_block_writer_free(tc_block_writer *w);

#endif
