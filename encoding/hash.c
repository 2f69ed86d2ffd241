#include "encoding/hash.h"

#include <xxhash.h>

uint64_t tc_xxh64(const uint8_t *p, size_t n)
{
	return (uint64_t)XXH64(p, n, 0);
}
