/* The small hashes of the format; xxHash64 and MurmurHash3 come from their libraries. */
#ifndef TC_ENCODING_HASH_H
#define TC_ENCODING_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Go hash/fnv New32 (FNV-1, not 1a): bloom shard choice. */
uint32_t tc_fnv1_32(const uint8_t *p, size_t n);
/* Go hash/fnv New32a: sharding ring keys. */
uint32_t tc_fnv1a_32(const uint8_t *p, size_t n);
/* Go hash/fnv New64 (FNV-1) continued from h; start with TC_FNV64_INIT. */
#define TC_FNV64_INIT 0xcbf29ce484222325ULL
uint64_t tc_fnv1_64_update(uint64_t h, const uint8_t *p, size_t n);
/* xxHash64 with seed 0, as index page checksums use. */
uint64_t tc_xxh64(const uint8_t *p, size_t n);

#endif
