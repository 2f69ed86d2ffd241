/*
 * Data pages and the objects inside them (docs/FORMAT.md#data-pages, #objects).
 *   page:   u32 totalLength | u16 headerLength (0) | compressed payload
 *   object: u32 objTotal | u32 idLen | id | body       (inside a payload)
 */
#ifndef TC_ENCODING_PAGE_H
#define TC_ENCODING_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"
#include "src/util/error.h"

#define TC_ID_LEN 16
#define TC_PAGE_HEADER_LEN 6
#define TC_OBJECT_HEADER_LEN 8

typedef struct tc_object {
	const uint8_t *id;
	size_t id_len;
	const uint8_t *body;
	size_t body_len;
} tc_object;

/*
 * Checks the 6-byte frame header at p (avail bytes, at least the header):
 * header length 0, totalLength at least the header. The page itself may
 * be elsewhere (read later); *total is totalLength.
 */
int tc_page_header_parse(uint32_t *total, const uint8_t *p, size_t avail, const tc_where *w);
/*
 * Parses the frame of the data page at the start of p (avail bytes). On
 * success *page_len is totalLength and payload points into p. A length
 * beyond avail, a header length other than 0, or a length below the header
 * size is TC_ECORRUPT naming w.
 */
int tc_page_parse(size_t *page_len, const uint8_t **payload, size_t *payload_len,
		  const uint8_t *p, size_t avail, const tc_where *w);
/* Appends a page frame around payload. */
int tc_page_write(tc_buf *out, const uint8_t *payload, size_t len);
/* Writes the 6-byte frame header for a payload of len bytes into hdr. */
int tc_page_header(uint8_t hdr[TC_PAGE_HEADER_LEN], size_t payload_len);

/*
 * Checks the header of the object at p (avail bytes; at is its page
 * position, for messages): at least 8 bytes, idLen 16, objTotal large
 * enough for them. *total is objTotal; whether it fits is the caller's.
 */
int tc_object_header(uint32_t *total, const uint8_t *p, size_t avail, uint64_t at, const tc_where *w);
/*
 * Reads the object at *pos in a decompressed payload and advances *pos.
 * Returns 1 with *out set, 0 at the end of the buffer, TC_ECORRUPT when a
 * length runs past the buffer, idLen is not 16, or objTotal is too small.
 * w->off is the offset of the page; messages add the position in it.
 */
int tc_object_next(tc_object *out, const uint8_t *buf, size_t len, size_t *pos, const tc_where *w);
/* Appends an object record. */
int tc_object_write(tc_buf *out, const uint8_t *id, size_t id_len, const uint8_t *body, size_t body_len);
/*
 * What a reader lets one data page decompress to
 * (docs/FORMAT.md#decompression-caps). Pages are cut once they pass
 * index_downsample_bytes, so a page holds at most that plus one object,
 * and objects are bounded by max_bytes_per_trace; a page larger than that
 * (a limit lowered after it was written, a Tempo writer configured
 * otherwise) still passes while it decompresses to at most max_page_ratio
 * bytes per byte it takes in the data file. max_page_bytes bounds both.
 */
typedef struct tc_page_limits {
	uint64_t index_downsample_bytes; /* the writers' page cut threshold */
	uint64_t max_bytes_per_trace;    /* the tenant's; 0 = unlimited */
	uint64_t max_page_ratio;         /* 0 = no ratio allowance */
	uint64_t max_page_bytes;         /* hard cap */
} tc_page_limits;

#define TC_DEFAULT_MAX_PAGE_BYTES ((uint64_t)1 << 30)
#define TC_DEFAULT_MAX_PAGE_RATIO 16

/* The config's defaults (storage.trace.block.*, overrides.max_bytes_per_trace). */
void tc_page_limits_default(tc_page_limits *l);

typedef struct tc_page_cap {
	uint64_t bytes;
	char why[160]; /* which term set it, with its inputs, for messages */
} tc_page_cap;

/*
 * The cap of one page of page_len bytes (its index record's length, frame
 * header included):
 *   min(max_page_bytes, max(index_downsample_bytes + 1.25 x max_bytes_per_trace,
 *                           max_page_ratio x page_len))
 * where max_bytes_per_trace 0 (unlimited) leaves max_page_bytes alone.
 * Saturates instead of overflowing.
 */
void tc_page_cap_of(tc_page_cap *out, const tc_page_limits *l, uint64_t page_len);
/*
 * TC_ELIMIT naming w (the page) when the object at page position at, whose
 * header claims total bytes, would end past the cap: checked before
 * anything is decoded for it.
 */
int tc_page_cap_check_object(const tc_page_cap *cap, uint64_t at, uint32_t total, const tc_where *w);

/* The encoded size of an object. */
static inline size_t tc_object_size(size_t id_len, size_t body_len)
{
	return TC_OBJECT_HEADER_LEN + id_len + body_len;
}

#endif
