/*
 * Streams the objects of one block in ID order, page by page: the index is
 * read one index page at a time, data in range reads of whole pages up to
 * chunk_size_bytes; a page larger than that, or one that decompresses to
 * more than that, is read and decompressed piece by piece. Neither a block
 * nor a large page is ever loaded whole.
 *
 * The reader checks everything it passes: index checksums, record/page
 * agreement (contiguous offsets, lengths, record ID = the page's last ID),
 * strictly ascending IDs, object framing, and at the end the meta's
 * totalObjects, size, minID and maxID. Any mismatch is TC_ECORRUPT with a
 * message naming the key and offset.
 */
#ifndef TC_ENCODING_BLOCK_READER_H
#define TC_ENCODING_BLOCK_READER_H

#include <stddef.h>
#include <stdint.h>

#include "src/backend/backend.h"
#include "encoding/block_writer.h"
#include "encoding/index.h"
#include "encoding/meta.h"
#include "encoding/page.h"

#define TC_DEFAULT_CHUNK_SIZE_BYTES (5u << 20)

/* The page limits of a config's storage.trace.block and a tenant's max_bytes_per_trace. */
void tc_page_limits_from(tc_page_limits *out, const tc_block_config *block, uint64_t max_bytes_per_trace);

typedef struct tc_block_read_opts {
	size_t chunk_size_bytes; /* 0 = 5 MiB */
	/*
	 * Each page's decompressed cap (tc_page_cap_of); NULL: the defaults.
	 * An object whose header claims more than is left under it fails at
	 * once; a page that decodes past it fails at the cap.
	 */
	const tc_page_limits *limits;
	/*
	 * 0: every object comes whole. Otherwise objects whose body is larger
	 * come with body NULL (body_len set) and are read with
	 * tc_block_reader_body; what is not read is skipped by the next
	 * tc_block_reader_next.
	 */
	size_t defer_objects_over;
} tc_block_read_opts;

typedef struct tc_block_reader tc_block_reader;

/* meta is copied. Reads nothing yet. */
int tc_block_reader_open(tc_block_reader **out, tc_backend *be, const tc_meta *meta,
			 const tc_block_read_opts *opts);
/*
 * 1 with *out set (valid until the next call), 0 after the last object once
 * the end-of-block checks passed, <0 on error (sticky).
 */
int tc_block_reader_next(tc_object *out, tc_block_reader *r);
/*
 * The next n bytes of the current deferred body, contiguous at *p, valid
 * until the next call on r. TC_ECORRUPT (sticky) if the page ends first.
 */
int tc_block_reader_body(const uint8_t **p, tc_block_reader *r, size_t n);
int tc_block_reader_body_skip(tc_block_reader *r, uint64_t n);
/* Bytes of the current deferred body not yet read or skipped. */
uint64_t tc_block_reader_body_left(const tc_block_reader *r);
const tc_meta *tc_block_reader_meta(const tc_block_reader *r);
/*
 * Where the object the last tc_block_reader_next returned lies, for
 * messages: *page names the data key and the page's offset in it, *obj_at
 * the object's position in the page's decompressed payload.
 */
void tc_block_reader_where(tc_where *page, uint64_t *obj_at, const tc_block_reader *r);
/* Pages and compressed bytes read so far. */
void tc_block_reader_progress(uint64_t *pages, uint64_t *bytes, const tc_block_reader *r);
void tc_block_reader_free(tc_block_reader *r);

/*
 * Reads index page page_no (one range read of indexPageSize bytes), verifies
 * it and copies its records to out, which must hold records-per-page
 * entries; *n receives how many of them the meta says the page holds.
 */
int tc_block_read_index_page(tc_record *out, size_t *n, tc_backend *be, const tc_meta *meta, size_t page_no);

/* Reads every record of the index (checksums verified). */
int tc_block_read_index(tc_record **out, tc_backend *be, const tc_meta *meta);

/*
 * Finds one trace the way a querier does: minID/maxID, the bloom shard, a
 * binary search over index records (reading index pages as needed), one
 * data page, decompressed within its cap under limits (NULL: the
 * defaults). Appends the body to out; TC_ENOTFOUND if absent.
 */
int tc_block_find(tc_buf *out, tc_backend *be, const tc_meta *meta, const uint8_t id[TC_ID_LEN],
		  const tc_page_limits *limits);

#endif
