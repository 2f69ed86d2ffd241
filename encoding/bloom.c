#include "encoding/bloom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <murmurhash.h>

#include "src/util/fnv.h"

#define BLOOM_HEADER_LEN 24
#define BLOOM_MAX_K 256 /* k = 7 at fp 0.01, ~30 at 1e-9; more is not a real filter */
#define BLOOM_STACK_ID 128

struct tc_bloom {
	uint16_t shards;
	uint64_t m;     /* bits per shard */
	uint64_t k;
	size_t words;   /* 64-bit words per shard */
	uint64_t *bits; /* shards * words */
};

/* willf/bitset: words needed for m bits. */
static uint64_t words_for(uint64_t m)
{
	return m / 64 + (m % 64 != 0);
}

/*
 * willf/bloom baseHashes: MurmurHash3 x64_128 (seed 0) of the ID, then of the
 * ID followed by one 0x01 byte (the Go hasher keeps streaming after Sum128).
 */
static void base_hashes(uint64_t h[4], const uint8_t *id, size_t id_len)
{
	uint8_t stack[BLOOM_STACK_ID];
	uint8_t *tmp = stack;

	if (id_len >= sizeof(stack)) {
		tmp = malloc(id_len + 1);
		if (!tmp)
			abort(); /* trace IDs are 16 bytes; a huge one is a caller bug */
	}
	if (id_len)
		memcpy(tmp, id, id_len);
	tmp[id_len] = 1;
	lmmh_x64_128(tmp, (unsigned)id_len, 0, h);
	lmmh_x64_128(tmp, (unsigned)id_len + 1, 0, h + 2);
	if (tmp != stack)
		free(tmp);
}

/* willf/bloom location(): the i-th of k bit positions, before "mod m". */
static uint64_t location(const uint64_t h[4], uint64_t i)
{
	return h[i % 2] + i * h[2 + ((i + (i % 2)) % 4) / 2];
}

/* Tempo's sizing: total bits and k for n objects (EstimateParameters), shards of the given size. */
static void sizing(double *k, double *shards, uint64_t estimated, double fp, uint32_t shard_size_bytes)
{
	/*
	 * Go's EstimateParameters with n = 0 yields k = uint(NaN), a filter
	 * nobody can query; size an empty block's filter for one object.
	 */
	double n = (double)(estimated ? estimated : 1);
	double m_total = ceil(-1 * n * log(fp) / (log(2) * log(2)));

	*k = ceil(log(2) * m_total / n);
	*shards = ceil(m_total / ((double)shard_size_bytes * 8.0));
	if (!(*shards >= 1))
		*shards = 1;
	if (*shards > TC_BLOOM_MAX_SHARDS)
		*shards = TC_BLOOM_MAX_SHARDS;
	if (!(*k >= 1))
		*k = 1;
}

uint16_t tc_bloom_shards_for(uint64_t estimated, double fp, uint32_t shard_size_bytes)
{
	double k, shards;

	if (!(fp > 0 && fp < 1) || shard_size_bytes == 0)
		return 0;
	sizing(&k, &shards, estimated, fp, shard_size_bytes);
	return (uint16_t)shards;
}

int tc_bloom_new(tc_bloom **out, uint64_t estimated, double fp, uint32_t shard_size_bytes)
{
	tc_bloom *b;
	double k, shards;
	uint64_t words;

	*out = NULL;
	if (!(fp > 0 && fp < 1) || shard_size_bytes == 0) {
		tc_error_set("bloom filter needs 0 < false positive rate < 1 and a shard size > 0 "
			     "(got %g, %u)", fp, (unsigned)shard_size_bytes);
		return TC_EINVALID;
	}
	sizing(&k, &shards, estimated, fp, shard_size_bytes);
	if (k > BLOOM_MAX_K) {
		tc_error_set("bloom filter false positive rate %g needs %.0f hash functions", fp, k);
		return TC_EINVALID;
	}

	b = calloc(1, sizeof(*b));
	if (!b) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	b->shards = (uint16_t)shards;
	b->m = (uint64_t)shard_size_bytes * 8;
	b->k = (uint64_t)k;
	words = words_for(b->m);
	if (words > SIZE_MAX / sizeof(uint64_t) / b->shards) {
		free(b);
		tc_error_set("bloom filter of %u shards of %u bytes is too large", (unsigned)shards,
			     (unsigned)shard_size_bytes);
		return TC_ELIMIT;
	}
	b->words = (size_t)words;
	b->bits = calloc(b->words * b->shards, sizeof(uint64_t));
	if (!b->bits) {
		free(b);
		tc_error_set("out of memory allocating a bloom filter of %u shards of %u bytes",
			     (unsigned)shards, (unsigned)shard_size_bytes);
		return TC_ERROR;
	}
	*out = b;
	return TC_OK;
}

uint16_t tc_bloom_shard_count(const tc_bloom *b)
{
	return b->shards;
}

uint16_t tc_bloom_shard_of(const uint8_t *id, size_t id_len, uint16_t shards)
{
	if (shards == 0)
		shards = TC_BLOOM_LEGACY_SHARDS;
	return (uint16_t)(tc_fnv1_32(id, id_len) % shards);
}

void tc_bloom_add(tc_bloom *b, const uint8_t *id, size_t id_len)
{
	uint64_t h[4];
	uint64_t *set = b->bits + (size_t)tc_bloom_shard_of(id, id_len, b->shards) * b->words;

	base_hashes(h, id, id_len);
	for (uint64_t i = 0; i < b->k; i++) {
		uint64_t bit = location(h, i) % b->m;
		set[bit >> 6] |= (uint64_t)1 << (bit & 63);
	}
}

static void put_u64be(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_u64be(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

int tc_bloom_write_shard(tc_buf *out, const tc_bloom *b, uint16_t shard)
{
	const uint64_t *set;
	uint8_t *p;
	int r;

	if (shard >= b->shards) {
		tc_error_set("bloom shard %u out of range (%u shards)", (unsigned)shard,
			     (unsigned)b->shards);
		return TC_EINVALID;
	}
	if (b->words > (SIZE_MAX - BLOOM_HEADER_LEN) / 8) {
		tc_error_set("bloom shard too large");
		return TC_ELIMIT;
	}
	if ((r = tc_buf_grow_by(out, &p, BLOOM_HEADER_LEN + b->words * 8)) < 0)
		return r;
	put_u64be(p, b->m);
	put_u64be(p + 8, b->k);
	put_u64be(p + 16, b->m);
	set = b->bits + (size_t)shard * b->words;
	for (size_t i = 0; i < b->words; i++)
		put_u64be(p + BLOOM_HEADER_LEN + i * 8, set[i]);
	return TC_OK;
}

void tc_bloom_free(tc_bloom *b)
{
	if (!b)
		return;
	free(b->bits);
	free(b);
}

int tc_bloom_file_params(uint64_t *m_out, uint64_t *k_out, const uint8_t *file, size_t len, const tc_where *w)
{
	uint64_t m, k, nbits, words;

	if (len < BLOOM_HEADER_LEN) {
		tc_error_set_at(w, "bloom filter of %zu bytes is shorter than its %d-byte header",
				len, BLOOM_HEADER_LEN);
		return TC_ECORRUPT;
	}
	m = get_u64be(file);
	k = get_u64be(file + 8);
	nbits = get_u64be(file + 16);
	if (m == 0 || m != nbits) {
		tc_error_set_at(w, "bloom filter header: m %llu, bitset length %llu",
				(unsigned long long)m, (unsigned long long)nbits);
		return TC_ECORRUPT;
	}
	if (k == 0 || k > BLOOM_MAX_K) {
		tc_error_set_at(w, "bloom filter header: k %llu outside [1, %d]",
				(unsigned long long)k, BLOOM_MAX_K);
		return TC_ECORRUPT;
	}
	words = words_for(m);
	if (words != (len - BLOOM_HEADER_LEN) / 8 || (len - BLOOM_HEADER_LEN) % 8 != 0) {
		tc_error_set_at(w, "bloom filter header: m %llu bits needs %llu bytes, file has %zu",
				(unsigned long long)m,
				(unsigned long long)(BLOOM_HEADER_LEN + words * 8), len);
		return TC_ECORRUPT;
	}
	*m_out = m;
	*k_out = k;
	return TC_OK;
}

int tc_bloom_file_test(int *present, const uint8_t *file, size_t len, const uint8_t *id,
		       size_t id_len, const tc_where *w)
{
	uint64_t m, k, h[4];
	int rc;

	*present = 0;
	if ((rc = tc_bloom_file_params(&m, &k, file, len, w)) < 0)
		return rc;
	base_hashes(h, id, id_len);
	for (uint64_t i = 0; i < k; i++) {
		uint64_t bit = location(h, i) % m;
		size_t byte = BLOOM_HEADER_LEN + (size_t)(bit >> 6) * 8 + 7 - ((bit & 63) >> 3);

		if (!(file[byte] & (1u << (bit & 7))))
			return TC_OK;
	}
	*present = 1;
	return TC_OK;
}
