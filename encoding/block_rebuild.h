/*
 * A block's index and bloom filter made again from its data file alone, as
 * tempo-cli 1.5's `gen index` and `gen bloom` do: the data file is walked
 * page by page from the frame headers, without the index. For a block our
 * writer or Tempo's wrote, the bytes come out as they were written
 * (docs/FORMAT.md#index-pages, #bloom-filters).
 */
#ifndef TC_ENCODING_BLOCK_REBUILD_H
#define TC_ENCODING_BLOCK_REBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "src/backend/backend.h"
#include "src/util/buf.h"
#include "encoding/index.h"
#include "encoding/meta.h"
#include "encoding/page.h"

/* Called with every object's ID, in data order. */
typedef void (*tc_block_scan_fn)(void *ctx, const uint8_t id[TC_ID_LEN]);

/*
 * Walks the data file of the block m describes: one record per page (its
 * last ID, offset and length) into *recs (free() it), *n_recs of them,
 * and *objects. Every page must hold objects in strictly ascending ID
 * order and the pages must cover the file exactly; pages decompress
 * within limits (NULL: the defaults). A data file whose size differs from
 * the meta's is TC_ECORRUPT. each may be NULL.
 */
int tc_block_scan_data(tc_record **recs, size_t *n_recs, uint64_t *objects, tc_backend *be, const tc_meta *m,
		       const tc_page_limits *limits, tc_block_scan_fn each, void *ctx);

/*
 * The index file for the block (indexPageSize from the meta). The data
 * must hold totalRecords pages and totalObjects objects (else TC_ECORRUPT:
 * the meta and the data disagree, and an index made anyway would not
 * serve the meta).
 */
int tc_block_rebuild_index(tc_buf *out, tc_backend *be, const tc_meta *m, const tc_page_limits *limits);

/*
 * The bloom shards for the block at false-positive rate fp in shards of
 * shard_size_bytes, sized as the writer sized them: for totalObjects
 * objects, or for as many as give the meta's bloomShards (a compaction
 * sizes its output for its inputs' objects, duplicates included): *shards (n_shards buffers; tc_block_rebuild_bloom_free)
 * hold the bloom-<i> files. Settings that give a shard count other than the
 * meta's bloomShards are TC_EINVALID ("use the writer's settings", as
 * tempo-cli says); a data file with another object count TC_ECORRUPT.
 */
int tc_block_rebuild_bloom(tc_buf **shards, uint16_t *n_shards, tc_backend *be, const tc_meta *m,
			   const tc_page_limits *limits, double fp, uint32_t shard_size_bytes);
void tc_block_rebuild_bloom_free(tc_buf *shards, uint16_t n_shards);

#endif
