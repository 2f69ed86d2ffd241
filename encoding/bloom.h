/*
 * Sharded bloom filters, bit-compatible with Tempo 1.5 (willf/bloom v2.0.3):
 * same shard count formula, FNV-1 shard choice, MurmurHash3 bit locations
 * and big-endian serialisation (docs/FORMAT.md#bloom-filters).
 */
#ifndef TC_ENCODING_BLOOM_H
#define TC_ENCODING_BLOOM_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"
#include "src/util/error.h"

#define TC_BLOOM_MAX_SHARDS 1000
#define TC_BLOOM_LEGACY_SHARDS 10

typedef struct tc_bloom tc_bloom;

/*
 * A filter sized for `estimated` objects at false-positive rate fp, with
 * shards of shard_size_bytes each (Tempo's ShardedBloomFilter).
 */
int tc_bloom_new(tc_bloom **out, uint64_t estimated, double fp, uint32_t shard_size_bytes);
uint16_t tc_bloom_shard_count(const tc_bloom *b);
/* The shard count tc_bloom_new would choose (0 for settings it refuses). */
uint16_t tc_bloom_shards_for(uint64_t estimated, double fp, uint32_t shard_size_bytes);
void tc_bloom_add(tc_bloom *b, const uint8_t *id, size_t id_len);
/* Appends shard i's bloom-<i> file bytes to out. */
int tc_bloom_write_shard(tc_buf *out, const tc_bloom *b, uint16_t shard);
void tc_bloom_free(tc_bloom *b);

/* Which shard holds id, for a block with `shards` shards (0 means legacy 10). */
uint16_t tc_bloom_shard_of(const uint8_t *id, size_t id_len, uint16_t shards);

/*
 * The bits per shard (m) and hash count (k) of one serialised bloom-N file,
 * checked as tc_bloom_file_test checks them (TC_ECORRUPT naming w).
 */
int tc_bloom_file_params(uint64_t *m, uint64_t *k, const uint8_t *file, size_t len, const tc_where *w);

/*
 * Tests id against one serialised bloom-N file. Sets *present to 1 when every
 * bit is set. A header whose bit count does not match the file length, or
 * absurd m/k, is TC_ECORRUPT naming w.
 */
int tc_bloom_file_test(int *present, const uint8_t *file, size_t len, const uint8_t *id,
		       size_t id_len, const tc_where *w);

#endif
