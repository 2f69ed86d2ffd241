/*
 * The decompressed bytes of one data page, for the block reader. A page
 * whose compressed bytes are in memory and whose content fits inline_page
 * is decompressed whole; a larger one (or one read from storage piece by
 * piece because it is larger than a chunk) is decompressed through a
 * window that only grows to what the caller asks to see at once. Either
 * way the caller sees the same peek/consume interface, so a 50 MB object
 * can be walked without ever holding it.
 */
#ifndef TC_ENCODING_PAGE_STREAM_H
#define TC_ENCODING_PAGE_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "src/backend/backend.h"
#include "encoding/codec.h"
#include "encoding/page.h"

typedef struct tc_page_stream tc_page_stream;

typedef struct tc_page_stream_opts {
	size_t inline_page; /* largest page decompressed whole */
	size_t piece;       /* range read size for pages read piece by piece */
} tc_page_stream_opts;

int tc_page_stream_new(tc_page_stream **out, tc_encoding enc, const tc_page_stream_opts *o);

/*
 * A page whose compressed payload is in memory (valid while the page is
 * read), decompressing to at most cap->bytes (TC_ELIMIT naming w and the
 * cap past it, whether whole or through the window).
 */
int tc_page_stream_open_mem(tc_page_stream *ps, const uint8_t *payload, size_t len,
			    const tc_page_cap *cap, const tc_where *w);
/*
 * A page of page_len bytes at w->off in w->key, read in pieces as it is
 * consumed; its header is checked against page_len here. *bytes_read grows
 * by every byte read. Capped as tc_page_stream_open_mem.
 */
int tc_page_stream_open_range(tc_page_stream *ps, tc_backend *be, uint64_t page_len,
			      const tc_page_cap *cap, uint64_t *bytes_read, const tc_where *w);

/*
 * Makes the next n bytes contiguous at *p. *avail is n, or less at the end
 * of the page (0: the page is done and all its input was used). *p is valid
 * until the next call. The window grows with what is decoded, at most
 * doubling a step, never straight to n.
 */
int tc_page_stream_peek(const uint8_t **p, size_t *avail, tc_page_stream *ps, size_t n);
/* Consumes n bytes of what the last peek made available. */
void tc_page_stream_consume(tc_page_stream *ps, size_t n);
/* The position of the next byte in the decompressed page. */
uint64_t tc_page_stream_pos(const tc_page_stream *ps);

void tc_page_stream_free(tc_page_stream *ps);

#endif
