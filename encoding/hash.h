/* xxHash64 as the format uses it (FNV is src/util/fnv.h; MurmurHash3 comes from libmurmurhash). */
#ifndef TC_ENCODING_HASH_H
#define TC_ENCODING_HASH_H

#include <stddef.h>
#include <stdint.h>

/* xxHash64 with seed 0, as index page checksums use. */
uint64_t tc_xxh64(const uint8_t *p, size_t n);

#endif
