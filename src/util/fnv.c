#include "src/util/fnv.h"

#define FNV32_OFFSET 0x811c9dc5u
#define FNV32_PRIME 0x01000193u
#define FNV64_PRIME 0x100000001b3ULL

uint32_t tc_fnv1_32(const uint8_t *p, size_t n)
{
	uint32_t h = FNV32_OFFSET;

	for (size_t i = 0; i < n; i++) {
		h *= FNV32_PRIME;
		h ^= p[i];
	}
	return h;
}

uint32_t tc_fnv1a_32(const uint8_t *p, size_t n)
{
	uint32_t h = FNV32_OFFSET;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= FNV32_PRIME;
	}
	return h;
}

uint64_t tc_fnv1_64_update(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h *= FNV64_PRIME;
		h ^= p[i];
	}
	return h;
}
