/*
 * The index file: fixed-size pages of 28-byte records, each page checksummed
 * with xxHash64 over everything after its 14-byte header (docs/FORMAT.md#index-pages).
 */
#ifndef TC_ENCODING_INDEX_H
#define TC_ENCODING_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"
#include "src/util/error.h"
#include "encoding/page.h"

#define TC_RECORD_LEN 28
#define TC_INDEX_PAGE_HEADER_LEN 14
#define TC_INDEX_PAGE_MIN (TC_INDEX_PAGE_HEADER_LEN + TC_RECORD_LEN)
#define TC_INDEX_PAGE_MAX (64u << 20)

/* One data page: its largest ID, offset and whole length in the data file. */
typedef struct tc_record {
	uint8_t id[TC_ID_LEN];
	uint64_t start;
	uint32_t length;
} tc_record;

/* Records per index page: floor((page_size - 14) / 28); 0 if too small. */
size_t tc_index_records_per_page(uint32_t page_size);
/* Number of index pages for n records. */
size_t tc_index_page_count(size_t n_records, uint32_t page_size);

/*
 * Verifies one index page (length field, header length 8, checksum) and
 * copies its first n records to out. An all-zero record among them is
 * TC_ECORRUPT. w names the index key and the page's offset.
 */
int tc_index_page_parse(tc_record *out, size_t n, const uint8_t *page, size_t page_size,
			const tc_where *w);

/* Appends the whole index file for n records, zero-padded pages. */
int tc_index_write(tc_buf *out, const tc_record *recs, size_t n, uint32_t page_size);

#endif
