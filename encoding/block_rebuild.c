/*
 * See block_rebuild.h. The walk trusts nothing but the frame headers: each
 * page is read through page_stream in pieces (so a large page is never
 * held whole) and its objects are stepped over by their lengths.
 */
#include "encoding/block_rebuild.h"

#include <stdlib.h>
#include <string.h>

#include "src/util/array.h"
#include "encoding/bloom.h"
#include "encoding/page_stream.h"

#define PIECE (1u << 20)

typedef struct scan {
	tc_backend *be;
	const tc_meta *m;
	tc_page_stream *ps;
	tc_page_cap cap;
	tc_where w;
	char key[TC_KEY_MAX];
	uint8_t last[TC_ID_LEN];
	uint64_t objects;
	tc_block_scan_fn each;
	void *ctx;
} scan;

/* Steps over n body bytes of the current object. */
static int skip(scan *s, uint64_t n, uint64_t at)
{
	while (n > 0) {
		const uint8_t *p;
		size_t avail;
		int rc = tc_page_stream_peek(&p, &avail, s->ps, n < PIECE ? (size_t)n : PIECE);
		if (rc < 0)
			return rc;
		if (avail == 0) {
			tc_error_set_at(&s->w, "object at page position %llu: body runs past the end of the page",
					(unsigned long long)at);
			return TC_ECORRUPT;
		}
		tc_page_stream_consume(s->ps, avail);
		n -= avail;
	}
	return TC_OK;
}

/* Walks the objects of the page just opened; *count receives how many it held. */
static int page_objects(scan *s, uint64_t *count)
{
	*count = 0;
	for (;;) {
		const uint8_t *p;
		size_t avail;
		uint64_t at = tc_page_stream_pos(s->ps);
		uint32_t total;
		int rc;

		if ((rc = tc_page_stream_peek(&p, &avail, s->ps, TC_OBJECT_HEADER_LEN + TC_ID_LEN)) < 0)
			return rc;
		if (avail == 0)
			return TC_OK;
		if ((rc = tc_object_header(&total, p, avail, at, &s->w)) < 0 ||
		    (rc = tc_page_cap_check_object(&s->cap, at, total, &s->w)) < 0)
			return rc;
		if (avail < TC_OBJECT_HEADER_LEN + TC_ID_LEN) {
			tc_error_set_at(&s->w, "object at page position %llu: ID runs past the end of the page",
					(unsigned long long)at);
			return TC_ECORRUPT;
		}
		p += TC_OBJECT_HEADER_LEN;
		if (s->objects > 0 && memcmp(p, s->last, TC_ID_LEN) <= 0) {
			tc_error_set_at(&s->w, "object IDs out of order at page position %llu",
					(unsigned long long)at);
			return TC_ECORRUPT;
		}
		if (total == TC_OBJECT_HEADER_LEN + TC_ID_LEN) {
			tc_error_set_at(&s->w, "object at page position %llu has an empty body",
					(unsigned long long)at);
			return TC_ECORRUPT;
		}
		memcpy(s->last, p, TC_ID_LEN);
		if (s->each)
			s->each(s->ctx, s->last);
		tc_page_stream_consume(s->ps, TC_OBJECT_HEADER_LEN + TC_ID_LEN);
		if ((rc = skip(s, total - TC_OBJECT_HEADER_LEN - TC_ID_LEN, at)) < 0)
			return rc;
		s->objects++;
		++*count;
	}
}

static int data_size(uint64_t *size, scan *s)
{
	tc_stat st;
	int rc = tc_backend_stat(&st, s->be, s->key);

	if (rc < 0)
		return rc;
	if (st.size != s->m->size) {
		tc_error_set("%s: file is %llu bytes but meta.json says size %llu", s->key,
			     (unsigned long long)st.size, (unsigned long long)s->m->size);
		return TC_ECORRUPT;
	}
	*size = st.size;
	return TC_OK;
}

int tc_block_scan_data(tc_record **recs, size_t *n_recs, uint64_t *objects, tc_backend *be, const tc_meta *m,
		       const tc_page_limits *limits, tc_block_scan_fn each, void *ctx)
{
	tc_page_stream_opts pso = { PIECE, PIECE };
	tc_page_limits deflimits;
	scan s = { .be = be, .m = m, .each = each, .ctx = ctx };
	uint64_t size = 0, off = 0, bytes = 0;
	size_t cap = 0;
	int rc;

	*recs = NULL;
	*n_recs = 0;
	*objects = 0;
	if (!limits) {
		tc_page_limits_default(&deflimits);
		limits = &deflimits;
	}
	if ((rc = tc_key_block(s.key, sizeof(s.key), m->tenant, m->block_id, "data")) < 0 ||
	    (rc = data_size(&size, &s)) < 0 || (rc = tc_page_stream_new(&s.ps, m->encoding, &pso)) < 0)
		goto cleanup;
	s.w.key = s.key;
	while (off < size) {
		uint8_t hdr[TC_PAGE_HEADER_LEN];
		uint32_t page_len;
		uint64_t count;
		s.w.off = off;
		if (size - off < TC_PAGE_HEADER_LEN) {
			tc_error_set_at(&s.w, "%llu bytes left: too few for a page header",
					(unsigned long long)(size - off));
			rc = TC_ECORRUPT;
			goto cleanup;
		}
		if ((rc = tc_backend_read_range(hdr, be, s.key, off, sizeof(hdr))) < 0 ||
		    (rc = tc_page_header_parse(&page_len, hdr, sizeof(hdr), &s.w)) < 0)
			goto cleanup;
		if (page_len > size - off) {
			tc_error_set_at(&s.w, "page length %u runs past the end of the file (%llu bytes)", page_len,
					(unsigned long long)size);
			rc = TC_ECORRUPT;
			goto cleanup;
		}
		tc_page_cap_of(&s.cap, limits, page_len);
		if ((rc = tc_page_stream_open_range(s.ps, be, page_len, &s.cap, &bytes, &s.w)) < 0 ||
		    (rc = page_objects(&s, &count)) < 0)
			goto cleanup;
		if (count == 0) {
			tc_error_set_at(&s.w, "data page holds no objects");
			rc = TC_ECORRUPT;
			goto cleanup;
		}
		/* A page is at least its header: at most size / 6 of them. */
		if ((rc = tc_array_reserve(*recs, cap, *n_recs + 1, (size_t)(size / TC_PAGE_HEADER_LEN))) < 0)
			goto cleanup;
		memcpy((*recs)[*n_recs].id, s.last, TC_ID_LEN);
		(*recs)[*n_recs].start = off;
		(*recs)[*n_recs].length = page_len;
		++*n_recs;
		off += page_len;
	}
	*objects = s.objects;
cleanup:
	tc_page_stream_free(s.ps);
	if (rc < 0) {
		free(*recs);
		*recs = NULL;
		*n_recs = 0;
	}
	return rc;
}

static int check_counts(const tc_meta *m, size_t n_recs, uint64_t objects)
{
	char key[TC_KEY_MAX];

	tc_key_block(key, sizeof(key), m->tenant, m->block_id, "data");
	if (n_recs != m->total_records || objects != (uint64_t)m->total_objects) {
		tc_error_set("%s holds %zu pages and %llu objects but meta.json says totalRecords %u and "
			     "totalObjects %lld", key, n_recs, (unsigned long long)objects, m->total_records,
			     (long long)m->total_objects);
		return TC_ECORRUPT;
	}
	return TC_OK;
}

int tc_block_rebuild_index(tc_buf *out, tc_backend *be, const tc_meta *m, const tc_page_limits *limits)
{
	tc_record *recs = NULL;
	size_t n = 0;
	uint64_t objects = 0;
	int rc;

	if ((rc = tc_block_scan_data(&recs, &n, &objects, be, m, limits, NULL, NULL)) == TC_OK &&
	    (rc = check_counts(m, n, objects)) == TC_OK)
		rc = tc_index_write(out, recs, n, m->index_page_size);
	free(recs);
	return rc;
}

static void add_id(void *ctx, const uint8_t id[TC_ID_LEN])
{
	tc_bloom_add(ctx, id, TC_ID_LEN);
}

/*
 * The object count to size the filter for. A writer sizes it for the
 * objects it expects: a level-0 block for what it holds, a compaction for
 * the sum of its inputs, more than it keeps once duplicates are merged, so
 * the shard count can be higher than totalObjects gives. Only the shard
 * count and k shape the bits, and k hardly depends on the count, so the
 * smallest count that gives the meta's shards reproduces the filter.
 */
static uint64_t bloom_estimate(const tc_meta *m, double fp, uint32_t shard_size_bytes)
{
	uint64_t lo = m->total_objects > 0 ? (uint64_t)m->total_objects : 1, hi;

	if (tc_bloom_shards_for(lo, fp, shard_size_bytes) >= m->bloom_shards)
		return lo;
	hi = lo;
	while (tc_bloom_shards_for(hi, fp, shard_size_bytes) < m->bloom_shards && hi < ((uint64_t)1 << 40))
		hi *= 2;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (tc_bloom_shards_for(mid, fp, shard_size_bytes) < m->bloom_shards)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int tc_block_rebuild_bloom(tc_buf **shards, uint16_t *n_shards, tc_backend *be, const tc_meta *m,
			   const tc_page_limits *limits, double fp, uint32_t shard_size_bytes)
{
	tc_bloom *b = NULL;
	tc_record *recs = NULL;
	size_t n = 0;
	uint64_t objects = 0;
	uint16_t count;
	int rc;

	*shards = NULL;
	*n_shards = 0;
	if ((rc = tc_bloom_new(&b, bloom_estimate(m, fp, shard_size_bytes), fp, shard_size_bytes)) < 0)
		return rc;
	count = tc_bloom_shard_count(b);
	if (count != m->bloom_shards) {
		tc_error_set("bloom filter false positive rate %g and shard size %u give %u shards but the "
			     "block has bloomShards %u: use the settings the block was written with "
			     "(storage.trace.block.bloom_filter_false_positive, bloom_filter_shard_size_bytes)",
			     fp, (unsigned)shard_size_bytes, (unsigned)count, (unsigned)m->bloom_shards);
		rc = TC_EINVALID;
		goto cleanup;
	}
	if ((rc = tc_block_scan_data(&recs, &n, &objects, be, m, limits, add_id, b)) < 0 ||
	    (rc = check_counts(m, n, objects)) < 0)
		goto cleanup;
	if (!(*shards = calloc(count, sizeof(tc_buf)))) {
		tc_error_set("out of memory");
		rc = TC_ERROR;
		goto cleanup;
	}
	*n_shards = count;
	for (uint16_t i = 0; i < count && rc == TC_OK; i++) {
		tc_buf_init(&(*shards)[i], 0);
		rc = tc_bloom_write_shard(&(*shards)[i], b, i);
	}
	if (rc < 0) {
		tc_block_rebuild_bloom_free(*shards, *n_shards);
		*shards = NULL;
		*n_shards = 0;
	}
cleanup:
	free(recs);
	tc_bloom_free(b);
	return rc;
}

void tc_block_rebuild_bloom_free(tc_buf *shards, uint16_t n_shards)
{
	for (uint16_t i = 0; shards && i < n_shards; i++)
		tc_buf_dispose(&shards[i]);
	free(shards);
}
