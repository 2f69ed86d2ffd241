/*
 * See page_stream.h. The window is one buffer: consumed bytes are dropped
 * by moving the rest to the front before more is decoded, so it never holds
 * more than the largest peek plus one decoding step.
 */
#include "encoding/page_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/ids.h"
#include "encoding/page.h"

#define STEP (256u << 10) /* bytes decoded per step into the window */

struct tc_page_stream {
	tc_page_stream_opts o;
	tc_codec *codec;
	tc_where w;
	char key[TC_KEY_MAX];

	uint64_t cap; /* the page's decompressed cap */
	tc_buf win; /* whole page, or the window */
	size_t pos; /* next unconsumed byte in win */
	uint64_t base; /* page position of win.ptr[0] */
	int dec_done;

	/* Compressed input not yet decoded. */
	const uint8_t *in;
	size_t in_len;
	tc_buf src;   /* pieces read from storage */
	tc_backend *be;
	uint64_t comp_off, comp_left; /* the rest of the page in storage */
	uint64_t *bytes_read;
};

int tc_page_stream_new(tc_page_stream **out, tc_encoding enc, const tc_page_stream_opts *o)
{
	tc_page_stream *ps = calloc(1, sizeof(*ps));
	int rc;

	*out = NULL;
	if (!ps) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	ps->o = *o;
	if (ps->o.piece < 16)
		ps->o.piece = 16;
	tc_buf_init(&ps->win, 0);
	tc_buf_init(&ps->src, 0);
	if ((rc = tc_codec_new(&ps->codec, enc)) < 0) {
		tc_page_stream_free(ps);
		return rc;
	}
	*out = ps;
	return TC_OK;
}

void tc_page_stream_free(tc_page_stream *ps)
{
	if (!ps)
		return;
	tc_codec_free(ps->codec);
	tc_buf_dispose(&ps->win);
	tc_buf_dispose(&ps->src);
	free(ps);
}

static void reset(tc_page_stream *ps, const tc_page_cap *cap, const tc_where *w)
{
	snprintf(ps->key, sizeof(ps->key), "%s", w && w->key ? w->key : "");
	ps->cap = cap->bytes;
	tc_codec_set_limit(ps->codec, cap->bytes, cap->why);
	ps->w.key = ps->key;
	ps->w.off = w ? w->off : 0;
	tc_buf_clear(&ps->win);
	ps->pos = 0;
	ps->base = 0;
	ps->dec_done = 0;
	ps->in = NULL;
	ps->in_len = 0;
	ps->comp_left = 0;
}

static size_t buf_cap(uint64_t cap)
{
	return cap < SIZE_MAX ? (size_t)cap : SIZE_MAX;
}

static int start_window(tc_page_stream *ps, const uint8_t *in, size_t len)
{
	tc_buf_clear(&ps->win);
	ps->win.cap = buf_cap(ps->cap);
	ps->in = in;
	ps->in_len = len;
	return tc_codec_stream_begin(ps->codec, &ps->w);
}

int tc_page_stream_open_mem(tc_page_stream *ps, const uint8_t *payload, size_t len,
			    const tc_page_cap *cap, const tc_where *w)
{
	int inline_only = (uint64_t)ps->o.inline_page >= cap->bytes;
	int rc;

	reset(ps, cap, w);
	/* The codec stops at the page's cap, the buffer at what we hold whole. */
	ps->win.cap = inline_only ? buf_cap(ps->cap) : ps->o.inline_page;
	rc = tc_codec_decompress(&ps->win, ps->codec, payload, len, &ps->w);
	/*
	 * Larger than a page we hold whole: decode it again, through the window
	 * (a stream over the page's cap fails there too, at the cap).
	 */
	if (rc == TC_ELIMIT && !inline_only)
		return start_window(ps, payload, len);
	if (rc == TC_OK)
		ps->dec_done = 1;
	return rc;
}

/* Keeps the unused input and appends the next piece of the page. */
static int read_piece(tc_page_stream *ps)
{
	size_t n = ps->comp_left < ps->o.piece ? (size_t)ps->comp_left : ps->o.piece;
	size_t keep = ps->in_len;
	uint8_t *dst;
	int rc;

	if (keep && ps->in != ps->src.ptr)
		memmove(ps->src.ptr, ps->in, keep);
	ps->src.len = keep;
	if ((rc = tc_buf_grow_by(&ps->src, &dst, n)) < 0 ||
	    (rc = tc_backend_read_range(dst, ps->be, ps->key, ps->comp_off, n)) < 0)
		return rc;
	ps->comp_off += n;
	ps->comp_left -= n;
	*ps->bytes_read += n;
	ps->in = ps->src.ptr;
	ps->in_len = ps->src.len;
	return TC_OK;
}

int tc_page_stream_open_range(tc_page_stream *ps, tc_backend *be, uint64_t page_len,
			      const tc_page_cap *cap, uint64_t *bytes_read, const tc_where *w)
{
	uint32_t total;
	int rc;

	reset(ps, cap, w);
	ps->be = be;
	ps->bytes_read = bytes_read;
	ps->comp_off = w->off;
	ps->comp_left = page_len;
	tc_buf_clear(&ps->src);
	if ((rc = read_piece(ps)) < 0)
		return rc;
	if ((rc = tc_page_header_parse(&total, ps->src.ptr, ps->src.len, &ps->w)) < 0)
		return rc;
	if (total != page_len) {
		tc_error_set_at(&ps->w, "page length %u disagrees with its index record (%llu)", total,
				(unsigned long long)page_len);
		return TC_ECORRUPT;
	}
	return start_window(ps, ps->src.ptr + TC_PAGE_HEADER_LEN, ps->src.len - TC_PAGE_HEADER_LEN);
}

/*
 * Decodes one step into the window: STEP bytes, or what the caller wants if
 * more, but no more than the window already holds, so it grows with the
 * bytes decoded rather than to the size an object header claims; never
 * past the cap (at it, the codec probes).
 */
static int decode_step(tc_page_stream *ps, size_t want)
{
	tc_codec_io io;
	size_t grow, room = want > STEP ? want : STEP;
	uint8_t probe, *dst;
	uint64_t done;
	int rc;

	if (ps->pos > 0) {
		memmove(ps->win.ptr, ps->win.ptr + ps->pos, ps->win.len - ps->pos);
		ps->win.len -= ps->pos;
		ps->base += ps->pos;
		ps->pos = 0;
	}
	if (ps->in_len == 0 && ps->comp_left > 0 && (rc = read_piece(ps)) < 0)
		return rc;
	grow = ps->win.len > STEP ? ps->win.len : STEP;
	if (room > grow)
		room = grow;
	done = ps->base + ps->win.len;
	if (done < ps->cap) {
		if (room > ps->cap - done)
			room = (size_t)(ps->cap - done);
		if ((rc = tc_buf_reserve(&ps->win, room)) < 0)
			return rc;
		dst = ps->win.ptr + ps->win.len;
	} else {
		/* At the cap: the codec probes whether more would come, and refuses it. */
		dst = &probe;
		room = 1;
	}
	io = (tc_codec_io){ ps->in, ps->in_len, ps->comp_left == 0, dst, room, 0, 0 };
	if ((rc = tc_codec_stream_read(&io, ps->codec, &ps->w)) < 0)
		return rc;
	if (io.used) { /* in may be NULL for an empty payload */
		ps->in += io.used;
		ps->in_len -= io.used;
	}
	ps->win.len += io.produced;
	if (rc == 1) {
		ps->dec_done = 1;
		return TC_OK;
	}
	if (io.used == 0 && io.produced == 0) {
		/* The codec wants more contiguous input than we hold (a snappy chunk). */
		if (ps->comp_left == 0) {
			tc_error_set_at(&ps->w, "%s: page stream makes no progress",
					tc_encoding_name(tc_codec_encoding(ps->codec)));
			return TC_ECORRUPT;
		}
		return read_piece(ps);
	}
	return TC_OK;
}

int tc_page_stream_peek(const uint8_t **p, size_t *avail, tc_page_stream *ps, size_t n)
{
	int rc;

	while (ps->win.len - ps->pos < n && !ps->dec_done)
		if ((rc = decode_step(ps, n - (ps->win.len - ps->pos))) < 0)
			return rc;
	*avail = ps->win.len - ps->pos < n ? ps->win.len - ps->pos : n;
	*p = ps->win.ptr ? ps->win.ptr + ps->pos : (const uint8_t *)"";
	return TC_OK;
}

void tc_page_stream_consume(tc_page_stream *ps, size_t n)
{
	ps->pos += n;
}

uint64_t tc_page_stream_pos(const tc_page_stream *ps)
{
	return ps->base + ps->pos;
}
