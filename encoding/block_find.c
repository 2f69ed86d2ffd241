/*
 * Random access into a block, the way a Tempo querier does it: meta ID
 * range, bloom shard, binary search over index records, one data page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding/block_reader.h"
#include "encoding/bloom.h"
#include "encoding/codec.h"
#include "encoding/page_stream.h"

#define COPY_PIECE 65536 /* bytes of a body copied or skipped at once */

int tc_block_read_index_page(tc_record *out, size_t *n, tc_backend *be, const tc_meta *m, size_t page_no)
{
	uint32_t psize = m->index_page_size;
	size_t rpp = tc_index_records_per_page(psize);
	char key[TC_KEY_MAX];
	uint8_t *buf;
	int rc;

	if (rpp == 0 || page_no * rpp >= m->total_records) {
		tc_error_set("block %s: no index page %zu", m->block_id, page_no);
		return TC_EINVALID;
	}
	if ((rc = tc_key_block(key, sizeof(key), m->tenant, m->block_id, "index")) < 0)
		return rc;
	*n = m->total_records - page_no * rpp;
	if (*n > rpp)
		*n = rpp;
	buf = malloc(psize);
	if (!buf) {
		tc_error_set("%s: out of memory", key);
		return TC_ERROR;
	}
	rc = tc_backend_read_range(buf, be, key, (uint64_t)page_no * psize, psize);
	if (rc == TC_OK) {
		tc_where w = { key, (uint64_t)page_no * psize };
		rc = tc_index_page_parse(out, *n, buf, psize, &w);
	}
	free(buf);
	return rc;
}

static int check_index_params(const tc_meta *m)
{
	if (m->index_page_size < TC_INDEX_PAGE_MIN || m->index_page_size > TC_INDEX_PAGE_MAX) {
		tc_error_set("block %s: indexPageSize %u is out of range", m->block_id, m->index_page_size);
		return TC_ECORRUPT;
	}
	return TC_OK;
}

int tc_block_read_index(tc_record **out, tc_backend *be, const tc_meta *meta)
{
	size_t rpp, pages, n = meta->total_records, got;
	tc_record *recs = NULL;
	int rc;

	*out = NULL;
	if ((rc = check_index_params(meta)) < 0)
		return rc;
	if (n == 0)
		return TC_OK;
	rpp = tc_index_records_per_page(meta->index_page_size);
	pages = tc_index_page_count(n, meta->index_page_size);
	recs = calloc(n, sizeof(*recs));
	if (!recs) {
		tc_error_set("block %s: out of memory for %zu index records", meta->block_id, n);
		return TC_ERROR;
	}
	for (size_t p = 0; p < pages; p++) {
		if ((rc = tc_block_read_index_page(recs + p * rpp, &got, be, meta, p)) < 0) {
			free(recs);
			return rc;
		}
	}
	*out = recs;
	return TC_OK;
}

static int bloom_says_present(int *present, tc_backend *be, const tc_meta *m, const uint8_t *id)
{
	char name[16], key[TC_KEY_MAX];
	uint16_t shard = tc_bloom_shard_of(id, TC_ID_LEN, m->bloom_shards);
	tc_buf file = TC_BUF_INIT;
	int rc;

	snprintf(name, sizeof(name), "bloom-%u", (unsigned)shard);
	if ((rc = tc_key_block(key, sizeof(key), m->tenant, m->block_id, name)) < 0)
		return rc;
	tc_buf_init(&file, 64u << 20);
	rc = tc_backend_read(&file, be, key);
	if (rc == TC_OK) {
		tc_where w = { key, 0 };
		rc = tc_bloom_file_test(present, file.ptr, file.len, id, TC_ID_LEN, &w);
	}
	tc_buf_dispose(&file);
	return rc;
}

/* The index of the first record whose ID is >= id, or total_records. */
static int search_records(size_t *out, tc_record *page, tc_backend *be, const tc_meta *m,
			  const uint8_t *id)
{
	size_t rpp = tc_index_records_per_page(m->index_page_size);
	size_t lo = 0, hi = m->total_records, loaded = SIZE_MAX, got;
	int rc;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (mid / rpp != loaded) {
			if ((rc = tc_block_read_index_page(page, &got, be, m, mid / rpp)) < 0)
				return rc;
			loaded = mid / rpp;
		}
		if (memcmp(page[mid % rpp].id, id, TC_ID_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < m->total_records && lo / rpp != loaded &&
	    (rc = tc_block_read_index_page(page, &got, be, m, lo / rpp)) < 0)
		return rc;
	*out = lo;
	return TC_OK;
}

/* The next n bytes of the page into out (out NULL: skipped), piece by piece. */
static int copy_bytes(tc_buf *out, tc_page_stream *ps, uint64_t n, uint64_t at, const tc_where *w)
{
	while (n > 0) {
		const uint8_t *p;
		size_t avail, want = n < COPY_PIECE ? (size_t)n : COPY_PIECE;
		int rc = tc_page_stream_peek(&p, &avail, ps, want);
		if (rc < 0)
			return rc;
		if (avail == 0) {
			tc_error_set_at(w, "object at page position %llu runs past the end of the page",
					(unsigned long long)at);
			return TC_ECORRUPT;
		}
		if (out && (rc = tc_buf_put(out, p, avail)) < 0)
			return rc;
		tc_page_stream_consume(ps, avail);
		n -= avail;
	}
	return TC_OK;
}

/*
 * Walks the page's objects up to id, through the page stream: only the
 * wanted body is kept, the others are skipped as they are decoded, and
 * every object header is held to the page's cap before its body is read.
 */
static int scan_page(tc_buf *out, tc_page_stream *ps, const tc_page_cap *cap, const uint8_t *id,
		     const tc_where *w)
{
	for (;;) {
		uint64_t at = tc_page_stream_pos(ps);
		const uint8_t *p;
		size_t avail;
		uint32_t total;
		int match, rc;

		if ((rc = tc_page_stream_peek(&p, &avail, ps, TC_OBJECT_HEADER_LEN + TC_ID_LEN)) < 0)
			return rc;
		if (avail == 0)
			return TC_ENOTFOUND;
		if ((rc = tc_object_header(&total, p, avail, at, w)) < 0 ||
		    (rc = tc_page_cap_check_object(cap, at, total, w)) < 0)
			return rc;
		if (avail < TC_OBJECT_HEADER_LEN + TC_ID_LEN) {
			tc_error_set_at(w, "object at page position %llu runs past the end of the page",
					(unsigned long long)at);
			return TC_ECORRUPT;
		}
		match = memcmp(p + TC_OBJECT_HEADER_LEN, id, TC_ID_LEN) == 0;
		tc_page_stream_consume(ps, TC_OBJECT_HEADER_LEN + TC_ID_LEN);
		if ((rc = copy_bytes(match ? out : NULL, ps, total - TC_OBJECT_HEADER_LEN - TC_ID_LEN, at, w)) < 0)
			return rc;
		if (match)
			return TC_OK;
	}
}

static int find_in_page(tc_buf *out, tc_backend *be, const tc_meta *m, const tc_record *rec,
			const uint8_t *id, const tc_page_limits *limits)
{
	/* Pages up to a chunk are decoded whole, as the block reader does; larger ones through a window. */
	const tc_page_stream_opts pso = { TC_DEFAULT_CHUNK_SIZE_BYTES, COPY_PIECE };
	tc_page_stream *ps = NULL;
	tc_page_cap cap;
	char key[TC_KEY_MAX];
	uint8_t *raw = NULL;
	const uint8_t *payload;
	size_t page_len, plen, start = out->len;
	int rc;

	if ((rc = tc_key_block(key, sizeof(key), m->tenant, m->block_id, "data")) < 0)
		return rc;
	tc_where w = { key, rec->start };
	if (rec->length < TC_PAGE_HEADER_LEN || rec->start > m->size || rec->length > m->size - rec->start) {
		tc_error_set_at(&w, "index record length %u is not a plausible page", rec->length);
		return TC_ECORRUPT;
	}
	if (rec->length > limits->max_page_bytes) {
		tc_error_set_at(&w, "page length %u exceeds the %llu-byte page limit "
				"(storage.trace.block.max_page_bytes)", rec->length,
				(unsigned long long)limits->max_page_bytes);
		return TC_ELIMIT;
	}
	raw = malloc(rec->length);
	if (!raw) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	if ((rc = tc_backend_read_range(raw, be, key, rec->start, rec->length)) < 0 ||
	    (rc = tc_page_parse(&page_len, &payload, &plen, raw, rec->length, &w)) < 0)
		goto cleanup;
	if (page_len != rec->length) {
		tc_error_set_at(&w, "page length %zu disagrees with its index record (%u)", page_len,
				rec->length);
		rc = TC_ECORRUPT;
		goto cleanup;
	}
	tc_page_cap_of(&cap, limits, rec->length);
	if ((rc = tc_page_stream_new(&ps, m->encoding, &pso)) < 0 ||
	    (rc = tc_page_stream_open_mem(ps, payload, plen, &cap, &w)) < 0)
		goto cleanup;
	rc = scan_page(out, ps, &cap, id, &w);
	if (rc == TC_ENOTFOUND)
		tc_error_set("trace not found in block %s", m->block_id);
cleanup:
	if (rc < 0)
		out->len = start;
	free(raw);
	tc_page_stream_free(ps);
	return rc;
}

int tc_block_find(tc_buf *out, tc_backend *be, const tc_meta *meta, const uint8_t id[TC_ID_LEN],
		  const tc_page_limits *limits)
{
	tc_page_limits defaults;
	tc_record *page = NULL;
	size_t idx;
	int present = 0, rc;

	if (meta->total_objects == 0 || meta->total_records == 0 ||
	    (meta->min_id_len == TC_ID_LEN && memcmp(id, meta->min_id, TC_ID_LEN) < 0) ||
	    (meta->max_id_len == TC_ID_LEN && memcmp(id, meta->max_id, TC_ID_LEN) > 0))
		goto not_found;
	if ((rc = check_index_params(meta)) < 0 ||
	    (rc = bloom_says_present(&present, be, meta, id)) < 0)
		return rc;
	if (!present)
		goto not_found;
	page = calloc(tc_index_records_per_page(meta->index_page_size), sizeof(*page));
	if (!page) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	rc = search_records(&idx, page, be, meta, id);
	if (rc == TC_OK && idx < meta->total_records) {
		size_t rpp = tc_index_records_per_page(meta->index_page_size);
		if (!limits) {
			tc_page_limits_default(&defaults);
			limits = &defaults;
		}
		rc = find_in_page(out, be, meta, &page[idx % rpp], id, limits);
	} else if (rc == TC_OK) {
		rc = TC_ENOTFOUND;
	}
	free(page);
	if (rc != TC_ENOTFOUND)
		return rc;
not_found:
	tc_error_set("trace not found in block %s", meta->block_id);
	return TC_ENOTFOUND;
}
