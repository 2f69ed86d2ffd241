/*
 * Streaming block reader (docs/COMPACTOR.md#reading-inputs). Index pages are read one at a
 * time; data is read in range reads of consecutive whole pages up to
 * chunk_size_bytes, and a page is decompressed whole only if it fits in a
 * chunk's worth of bytes (else through page_stream's window), so memory is
 * bounded by about two chunks plus the largest object asked for whole,
 * whatever the block or page size.
 *
 * Everything read is cross-checked because a compactor that trusts a bad
 * block rewrites the damage into a new one and deletes the original.
 */
#include "encoding/block_reader.h"

#include <stdlib.h>
#include <string.h>

#include "src/util/array.h"
#include "encoding/page_stream.h"

#define PIECE_MAX (1u << 20) /* range reads of a page larger than a chunk */

struct tc_block_reader {
	tc_backend *be;
	tc_meta meta;
	size_t chunk_size;
	tc_page_limits limits;
	char key_data[TC_KEY_MAX];
	char key_index[TC_KEY_MAX]; /* for messages; tc_block_read_index_page reads it */
	size_t defer_over;

	/* The index page currently loaded. */
	size_t rpp;
	size_t ipage_no; /* SIZE_MAX: none */
	tc_record *ipage_recs;

	size_t next_rec; /* next record not yet in a chunk */
	uint8_t prev_rec_id[TC_ID_LEN];
	uint64_t expect_off;

	/* Current chunk: its records and raw bytes (none for a page larger than a chunk). */
	tc_record *crecs;
	size_t crecs_cap, cn, ci;
	tc_buf chunk;
	size_t chunk_pos;
	int chunk_big;

	/* Current page. */
	tc_page_stream *ps;
	tc_page_cap cap;
	tc_where page_w;
	const tc_record *page_rec;
	size_t page_objects;
	uint64_t obj_at;    /* page position of the current object */
	uint64_t body_left; /* unread bytes of a deferred body */
	uint8_t defer_id[TC_ID_LEN];

	uint8_t first_id[TC_ID_LEN];
	uint8_t last_id[TC_ID_LEN];
	int64_t objects;
	uint64_t pages_read, bytes_read;
	int started, state; /* state: 0 running, 1 done, <0 sticky error */
};

static int load_index_page(tc_block_reader *r, size_t page_no)
{
	size_t n;
	int rc = tc_block_read_index_page(r->ipage_recs, &n, r->be, &r->meta, page_no);

	if (rc == TC_OK)
		r->ipage_no = page_no;
	return rc;
}

static int get_record(const tc_record **out, tc_block_reader *r, size_t i)
{
	size_t page_no = i / r->rpp;
	int rc;

	if (page_no != r->ipage_no && (rc = load_index_page(r, page_no)) < 0)
		return rc;
	*out = &r->ipage_recs[i % r->rpp];
	return TC_OK;
}

/* Validates record i against the data so far and the meta's size. */
static int check_record(tc_block_reader *r, const tc_record *rec, size_t i)
{
	tc_where w = { r->key_index, (uint64_t)(i / r->rpp) * r->meta.index_page_size };

	if (rec->start != r->expect_off) {
		tc_error_set_at(&w, "record %zu starts at data offset %llu, expected %llu (pages must be contiguous)",
				i, (unsigned long long)rec->start, (unsigned long long)r->expect_off);
		return TC_ECORRUPT;
	}
	if (rec->length < TC_PAGE_HEADER_LEN || rec->start + rec->length > r->meta.size) {
		tc_error_set_at(&w, "record %zu (offset %llu, length %u) runs past the data size %llu in meta.json",
				i, (unsigned long long)rec->start, rec->length,
				(unsigned long long)r->meta.size);
		return TC_ECORRUPT;
	}
	if (rec->length > r->limits.max_page_bytes) {
		tc_error_set_at(&w, "record %zu: page length %u exceeds the %llu-byte page limit "
				"(storage.trace.block.max_page_bytes)", i, rec->length,
				(unsigned long long)r->limits.max_page_bytes);
		return TC_ELIMIT;
	}
	if (i > 0 && memcmp(rec->id, r->prev_rec_id, TC_ID_LEN) <= 0) {
		tc_error_set_at(&w, "record %zu: page ID is not above the previous record's ID", i);
		return TC_ECORRUPT;
	}
	memcpy(r->prev_rec_id, rec->id, TC_ID_LEN);
	r->expect_off += rec->length;
	return TC_OK;
}

/* Reads the next run of whole pages (at least one, up to chunk_size bytes). */
static int load_chunk(tc_block_reader *r)
{
	uint64_t total = 0, start = r->expect_off;
	int rc;

	r->cn = r->ci = 0;
	r->chunk_big = 0;
	while (r->next_rec < r->meta.total_records) {
		const tc_record *rec;
		if ((rc = get_record(&rec, r, r->next_rec)) < 0)
			return rc;
		if (r->cn > 0 && total + rec->length > r->chunk_size)
			break;
		if ((rc = check_record(r, rec, r->next_rec)) < 0)
			return rc;
		/* A chunk holds at most the records the meta announces. */
		if ((rc = tc_array_reserve(r->crecs, r->crecs_cap, r->cn + 1, r->meta.total_records)) < 0)
			return rc;
		r->crecs[r->cn++] = *rec;
		total += rec->length;
		r->next_rec++;
		/* A page larger than a chunk is read piece by piece as it is consumed. */
		if (total > r->chunk_size) {
			r->chunk_big = 1;
			return TC_OK;
		}
	}
	tc_buf_clear(&r->chunk);
	if ((rc = tc_buf_grow_by(&r->chunk, NULL, (size_t)total)) < 0)
		return rc;
	rc = tc_backend_read_range(r->chunk.ptr, r->be, r->key_data, start, (size_t)total);
	if (rc < 0)
		return rc;
	r->chunk_pos = 0;
	r->bytes_read += total;
	return TC_OK;
}

static int load_page(tc_block_reader *r)
{
	const tc_record *rec = &r->crecs[r->ci++];
	const uint8_t *payload;
	size_t page_len, plen;
	int rc;

	r->page_w.key = r->key_data;
	r->page_w.off = rec->start;
	r->body_left = 0;
	tc_page_cap_of(&r->cap, &r->limits, rec->length);
	if (r->chunk_big) {
		rc = tc_page_stream_open_range(r->ps, r->be, rec->length, &r->cap, &r->bytes_read,
					       &r->page_w);
	} else {
		rc = tc_page_parse(&page_len, &payload, &plen, r->chunk.ptr + r->chunk_pos,
				   r->chunk.len - r->chunk_pos, &r->page_w);
		if (rc < 0)
			return rc;
		if (page_len != rec->length) {
			tc_error_set_at(&r->page_w, "page length %zu disagrees with its index record (%u)",
					page_len, rec->length);
			return TC_ECORRUPT;
		}
		r->chunk_pos += page_len;
		rc = tc_page_stream_open_mem(r->ps, payload, plen, &r->cap, &r->page_w);
	}
	if (rc < 0)
		return rc;
	r->page_rec = rec;
	r->page_objects = 0;
	r->pages_read++;
	return TC_OK;
}

/* Moves past n bytes of the deferred body. */
static int skip_body(tc_block_reader *r, uint64_t n)
{
	while (n > 0) {
		const uint8_t *p;
		size_t avail, want = n < 65536 ? (size_t)n : 65536;
		int rc = tc_page_stream_peek(&p, &avail, r->ps, want);
		if (rc < 0)
			return rc;
		if (avail == 0) {
			tc_error_set_at(&r->page_w, "object at page position %llu: body runs past the end "
					"of the page", (unsigned long long)r->obj_at);
			return TC_ECORRUPT;
		}
		tc_page_stream_consume(r->ps, avail);
		r->body_left -= avail;
		n -= avail;
	}
	return TC_OK;
}

/* The next object of the page: 1, or 0 at its end. */
static int page_object(tc_object *out, tc_block_reader *r)
{
	const uint8_t *p;
	size_t avail, body_len;
	uint32_t total;
	int defer, rc;

	if (r->body_left && (rc = skip_body(r, r->body_left)) < 0)
		return rc;
	r->obj_at = tc_page_stream_pos(r->ps);
	if ((rc = tc_page_stream_peek(&p, &avail, r->ps, TC_OBJECT_HEADER_LEN)) < 0)
		return rc;
	if (avail == 0)
		return 0;
	if ((rc = tc_object_header(&total, p, avail, r->obj_at, &r->page_w)) < 0)
		return rc;
	if ((rc = tc_page_cap_check_object(&r->cap, r->obj_at, total, &r->page_w)) < 0)
		return rc;
	body_len = (size_t)total - TC_OBJECT_HEADER_LEN - TC_ID_LEN;
	/* A body too large to hold is handed out piece by piece (tc_block_reader_body). */
	defer = r->defer_over && body_len > r->defer_over;
	if (defer) {
		if ((rc = tc_page_stream_peek(&p, &avail, r->ps, TC_OBJECT_HEADER_LEN + TC_ID_LEN)) < 0)
			return rc;
		total = TC_OBJECT_HEADER_LEN + TC_ID_LEN;
	} else if ((rc = tc_page_stream_peek(&p, &avail, r->ps, total)) < 0) {
		return rc;
	}
	if (avail < total) {
		tc_error_set_at(&r->page_w, "object at page position %llu: length %u runs past the end "
				"of the page", (unsigned long long)r->obj_at,
				(unsigned)(tc_get_u32le(p)));
		return TC_ECORRUPT;
	}
	out->id_len = TC_ID_LEN;
	out->body_len = body_len;
	if (defer) {
		memcpy(r->defer_id, p + TC_OBJECT_HEADER_LEN, TC_ID_LEN);
		out->id = r->defer_id;
		out->body = NULL;
		r->body_left = body_len;
	} else {
		out->id = p + TC_OBJECT_HEADER_LEN;
		out->body = out->id + TC_ID_LEN;
	}
	tc_page_stream_consume(r->ps, total);
	return 1;
}

static int end_of_page(tc_block_reader *r)
{
	if (r->page_objects == 0) {
		tc_error_set_at(&r->page_w, "data page holds no objects");
		return TC_ECORRUPT;
	}
	if (memcmp(r->last_id, r->page_rec->id, TC_ID_LEN) != 0) {
		tc_error_set_at(&r->page_w, "the page's last ID differs from its index record's ID");
		return TC_ECORRUPT;
	}
	r->page_rec = NULL;
	return TC_OK;
}

static int end_of_block(tc_block_reader *r)
{
	const tc_meta *m = &r->meta;
	char what[TC_KEY_MAX];

	tc_key_block(what, sizeof(what), m->tenant, m->block_id, "meta.json");
	if (r->objects != m->total_objects) {
		tc_error_set("%s: totalObjects is %lld but the data holds %lld objects", what,
			     (long long)m->total_objects, (long long)r->objects);
		return TC_ECORRUPT;
	}
	if (r->expect_off != m->size) {
		tc_error_set("%s: size is %llu but the index covers %llu bytes", what,
			     (unsigned long long)m->size, (unsigned long long)r->expect_off);
		return TC_ECORRUPT;
	}
	if (r->objects > 0 && ((m->min_id_len == TC_ID_LEN && memcmp(m->min_id, r->first_id, TC_ID_LEN)) ||
			       (m->max_id_len == TC_ID_LEN && memcmp(m->max_id, r->last_id, TC_ID_LEN)))) {
		tc_error_set("%s: minID/maxID disagree with the first/last object of the data", what);
		return TC_ECORRUPT;
	}
	return TC_OK;
}

/* Checks the data file's real size once, so a truncated file fails before any read. */
static int start(tc_block_reader *r)
{
	tc_stat st;
	int rc = tc_backend_stat(&st, r->be, r->key_data);

	if (rc < 0)
		return rc;
	if (st.size != r->meta.size) {
		tc_error_set("%s: file is %llu bytes but meta.json says size %llu", r->key_data,
			     (unsigned long long)st.size, (unsigned long long)r->meta.size);
		return TC_ECORRUPT;
	}
	r->started = 1;
	return TC_OK;
}

static int next_object(tc_object *out, tc_block_reader *r)
{
	int rc;

	if (!r->started && (rc = start(r)) < 0)
		return rc;
	for (;;) {
		if (r->page_rec) {
			rc = page_object(out, r);
			if (rc < 0)
				return rc;
			if (rc == 1)
				break;
			if ((rc = end_of_page(r)) < 0)
				return rc;
			continue;
		}
		if (r->ci < r->cn) {
			if ((rc = load_page(r)) < 0)
				return rc;
			continue;
		}
		if (r->next_rec < r->meta.total_records) {
			if ((rc = load_chunk(r)) < 0)
				return rc;
			continue;
		}
		if ((rc = end_of_block(r)) < 0)
			return rc;
		return 0;
	}
	if (out->body_len == 0) {
		tc_error_set_at(&r->page_w, "object at page position %llu has an empty body",
				(unsigned long long)r->obj_at);
		return TC_ECORRUPT;
	}
	if (r->objects > 0 && memcmp(out->id, r->last_id, TC_ID_LEN) <= 0) {
		tc_error_set_at(&r->page_w, "object IDs out of order at page position %llu",
				(unsigned long long)r->obj_at);
		return TC_ECORRUPT;
	}
	if (r->objects == 0)
		memcpy(r->first_id, out->id, TC_ID_LEN);
	memcpy(r->last_id, out->id, TC_ID_LEN);
	r->objects++;
	r->page_objects++;
	return 1;
}

int tc_block_reader_next(tc_object *out, tc_block_reader *r)
{
	int rc;

	if (r->state != 0)
		return r->state > 0 ? 0 : r->state;
	rc = next_object(out, r);
	if (rc < 0)
		r->state = rc;
	else if (rc == 0)
		r->state = 1;
	return rc;
}

int tc_block_reader_open(tc_block_reader **out, tc_backend *be, const tc_meta *meta,
			 const tc_block_read_opts *opts)
{
	tc_page_stream_opts pso;
	tc_block_reader *r;
	int rc;

	*out = NULL;
	if (meta->index_page_size < TC_INDEX_PAGE_MIN || meta->index_page_size > TC_INDEX_PAGE_MAX) {
		tc_error_set("block %s: indexPageSize %u is out of range", meta->block_id,
			     meta->index_page_size);
		return TC_ECORRUPT;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	r->be = be;
	r->meta = *meta;
	r->chunk_size = opts && opts->chunk_size_bytes ? opts->chunk_size_bytes : TC_DEFAULT_CHUNK_SIZE_BYTES;
	if (opts && opts->limits)
		r->limits = *opts->limits;
	else
		tc_page_limits_default(&r->limits);
	r->rpp = tc_index_records_per_page(meta->index_page_size);
	r->ipage_no = SIZE_MAX;
	r->defer_over = opts ? opts->defer_objects_over : 0;
	tc_buf_init(&r->chunk, 0);
	pso.inline_page = r->chunk_size;
	pso.piece = r->chunk_size < PIECE_MAX ? r->chunk_size : PIECE_MAX;
	if ((rc = tc_key_block(r->key_data, sizeof(r->key_data), meta->tenant, meta->block_id, "data")) < 0 ||
	    (rc = tc_key_block(r->key_index, sizeof(r->key_index), meta->tenant, meta->block_id, "index")) < 0 ||
	    (rc = tc_page_stream_new(&r->ps, meta->encoding, &pso)) < 0)
		goto fail;
	r->ipage_recs = calloc(r->rpp, sizeof(tc_record));
	if (!r->ipage_recs) {
		tc_error_set("out of memory");
		rc = TC_ERROR;
		goto fail;
	}
	*out = r;
	return TC_OK;
fail:
	tc_block_reader_free(r);
	return rc;
}

void tc_page_limits_from(tc_page_limits *out, const tc_block_config *block, uint64_t max_bytes_per_trace)
{
	out->index_downsample_bytes = block->index_downsample_bytes;
	out->max_bytes_per_trace = max_bytes_per_trace;
	/* 0 (a config built by hand) is the default. */
	out->max_page_ratio = block->max_page_ratio ? block->max_page_ratio : TC_DEFAULT_MAX_PAGE_RATIO;
	out->max_page_bytes = block->max_page_bytes ? block->max_page_bytes : TC_DEFAULT_MAX_PAGE_BYTES;
}

int tc_block_reader_body(const uint8_t **p, tc_block_reader *r, size_t n)
{
	size_t avail;
	int rc;

	if (n > r->body_left) {
		tc_error_set("%s: read of %zu bytes past the %llu left of a deferred body", r->key_data, n,
			     (unsigned long long)r->body_left);
		return TC_EINVALID;
	}
	if ((rc = tc_page_stream_peek(p, &avail, r->ps, n)) < 0)
		goto fail;
	if (avail < n) {
		tc_error_set_at(&r->page_w, "object at page position %llu: body runs past the end of "
				"the page", (unsigned long long)r->obj_at);
		rc = TC_ECORRUPT;
		goto fail;
	}
	tc_page_stream_consume(r->ps, n);
	r->body_left -= n;
	return TC_OK;
fail:
	r->state = rc;
	return rc;
}

int tc_block_reader_body_skip(tc_block_reader *r, uint64_t n)
{
	int rc;

	if (n > r->body_left) {
		tc_error_set("%s: skip of %llu bytes past the %llu left of a deferred body", r->key_data,
			     (unsigned long long)n, (unsigned long long)r->body_left);
		return TC_EINVALID;
	}
	if ((rc = skip_body(r, n)) < 0)
		r->state = rc;
	return rc;
}

uint64_t tc_block_reader_body_left(const tc_block_reader *r)
{
	return r->body_left;
}

const tc_meta *tc_block_reader_meta(const tc_block_reader *r)
{
	return &r->meta;
}

void tc_block_reader_where(tc_where *page, uint64_t *obj_at, const tc_block_reader *r)
{
	*page = r->page_w;
	*obj_at = r->obj_at;
}

void tc_block_reader_progress(uint64_t *pages, uint64_t *bytes, const tc_block_reader *r)
{
	*pages = r->pages_read;
	*bytes = r->bytes_read;
}

void tc_block_reader_free(tc_block_reader *r)
{
	if (!r)
		return;
	tc_page_stream_free(r->ps);
	free(r->ipage_recs);
	free(r->crecs);
	tc_buf_dispose(&r->chunk);
	free(r);
}
