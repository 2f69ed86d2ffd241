#include "encoding/index.h"

#include <string.h>

#include "encoding/hash.h"

#define INDEX_HEADER_FIELDS_LEN 8 /* the xxHash64 checksum */

size_t tc_index_records_per_page(uint32_t page_size)
{
	if (page_size < TC_INDEX_PAGE_MIN)
		return 0;
	return (page_size - TC_INDEX_PAGE_HEADER_LEN) / TC_RECORD_LEN;
}

size_t tc_index_page_count(size_t n_records, uint32_t page_size)
{
	size_t per = tc_index_records_per_page(page_size);

	if (per == 0)
		return 0;
	return n_records / per + (n_records % per != 0);
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

int tc_index_page_parse(tc_record *out, size_t n, const uint8_t *page, size_t page_size,
			const tc_where *w)
{
	size_t per;
	uint32_t total;
	uint16_t hdr_len;
	uint64_t want, got;

	if (page_size < TC_INDEX_PAGE_MIN || page_size > TC_INDEX_PAGE_MAX) {
		tc_error_set_at(w, "index page size %zu outside [%d, %u]", page_size,
				TC_INDEX_PAGE_MIN, TC_INDEX_PAGE_MAX);
		return TC_EINVALID;
	}
	per = tc_index_records_per_page((uint32_t)page_size);
	if (n > per) {
		tc_error_set_at(w, "asked for %zu records from an index page that holds %zu", n, per);
		return TC_EINVALID;
	}
	total = tc_get_u32le(page);
	hdr_len = tc_get_u16le(page + 4);
	if (total != page_size) {
		tc_error_set_at(w, "index page length %u, want the page size %zu", (unsigned)total,
				page_size);
		return TC_ECORRUPT;
	}
	if (hdr_len != INDEX_HEADER_FIELDS_LEN) {
		tc_error_set_at(w, "index page header length %u, want %d", (unsigned)hdr_len,
				INDEX_HEADER_FIELDS_LEN);
		return TC_ECORRUPT;
	}
	want = tc_get_u64le(page + 6);
	got = tc_xxh64(page + TC_INDEX_PAGE_HEADER_LEN, page_size - TC_INDEX_PAGE_HEADER_LEN);
	if (want != got) {
		tc_error_set_at(w, "index page checksum mismatch: stored %016llx, computed %016llx",
				(unsigned long long)want, (unsigned long long)got);
		return TC_ECORRUPT;
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *r = page + TC_INDEX_PAGE_HEADER_LEN + i * TC_RECORD_LEN;

		if (all_zero(r, TC_RECORD_LEN)) {
			tc_where rw = { w ? w->key : NULL,
					(w ? w->off : 0) + (uint64_t)(r - page) };
			tc_error_set_at(&rw, "index record %zu of the page is all zeros "
					"(fewer records than the meta says)", i);
			return TC_ECORRUPT;
		}
		memcpy(out[i].id, r, TC_ID_LEN);
		out[i].start = tc_get_u64le(r + TC_ID_LEN);
		out[i].length = tc_get_u32le(r + TC_ID_LEN + 8);
	}
	return TC_OK;
}

int tc_index_write(tc_buf *out, const tc_record *recs, size_t n, uint32_t page_size)
{
	size_t per = tc_index_records_per_page(page_size);
	size_t pages, done = 0;
	uint8_t *base;
	int r;

	if (per == 0 || page_size > TC_INDEX_PAGE_MAX) {
		tc_error_set("index page size %u outside [%d, %u]", (unsigned)page_size,
			     TC_INDEX_PAGE_MIN, TC_INDEX_PAGE_MAX);
		return TC_EINVALID;
	}
	pages = tc_index_page_count(n, page_size);
	if (pages > SIZE_MAX / page_size) {
		tc_error_set("index of %zu records is too large", n);
		return TC_ELIMIT;
	}
	if ((r = tc_buf_grow_by(out, &base, pages * (size_t)page_size)) < 0)
		return r;
	for (size_t pg = 0; pg < pages; pg++) {
		uint8_t *page = base + pg * (size_t)page_size;
		size_t cnt = n - done < per ? n - done : per;

		for (size_t i = 0; i < cnt; i++) {
			uint8_t *rec = page + TC_INDEX_PAGE_HEADER_LEN + i * TC_RECORD_LEN;
			const tc_record *src = &recs[done + i];

			memcpy(rec, src->id, TC_ID_LEN);
			tc_put_u64le(rec + TC_ID_LEN, src->start);
			tc_put_u32le(rec + TC_ID_LEN + 8, src->length);
		}
		done += cnt;
		tc_put_u32le(page, page_size);
		page[4] = INDEX_HEADER_FIELDS_LEN;
		page[5] = 0;
		tc_put_u64le(page + 6, tc_xxh64(page + TC_INDEX_PAGE_HEADER_LEN,
						page_size - TC_INDEX_PAGE_HEADER_LEN));
	}
	return TC_OK;
}
