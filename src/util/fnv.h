/*
 * Go's hash/fnv, byte for byte: Tempo hashes with FNV-1 for bloom shards
 * and span tokens, and its ring hashes job keys with FNV-1a.
 */
#ifndef TC_UTIL_FNV_H
#define TC_UTIL_FNV_H

#include <stddef.h>
#include <stdint.h>

/* Go hash/fnv New32 (FNV-1, not 1a): bloom shard choice. */
uint32_t tc_fnv1_32(const uint8_t *p, size_t n);
/* Go hash/fnv New32a: sharding ring keys. */
uint32_t tc_fnv1a_32(const uint8_t *p, size_t n);
/* Go hash/fnv New64 (FNV-1) continued from h; start with TC_FNV64_INIT. */
#define TC_FNV64_INIT 0xcbf29ce484222325ULL
uint64_t tc_fnv1_64_update(uint64_t h, const uint8_t *p, size_t n);

#endif
