#include "encoding/page.h"

#include <stdio.h>

int tc_page_header_parse(uint32_t *total, const uint8_t *p, size_t avail, const tc_where *w)
{
	uint16_t hdr_len;

	if (avail < TC_PAGE_HEADER_LEN) {
		tc_error_set_at(w, "truncated data page header: %zu bytes left, need %d", avail,
				TC_PAGE_HEADER_LEN);
		return TC_ECORRUPT;
	}
	*total = tc_get_u32le(p);
	hdr_len = tc_get_u16le(p + 4);
	if (hdr_len != 0) {
		tc_error_set_at(w, "data page header length %u, want 0", (unsigned)hdr_len);
		return TC_ECORRUPT;
	}
	if (*total < TC_PAGE_HEADER_LEN) {
		tc_error_set_at(w, "data page length %u is below the header size %d", (unsigned)*total,
				TC_PAGE_HEADER_LEN);
		return TC_ECORRUPT;
	}
	return TC_OK;
}

int tc_page_parse(size_t *page_len, const uint8_t **payload, size_t *payload_len,
		  const uint8_t *p, size_t avail, const tc_where *w)
{
	uint32_t total;
	int rc;

	if ((rc = tc_page_header_parse(&total, p, avail, w)) < 0)
		return rc;
	if ((uint64_t)total > (uint64_t)avail) {
		tc_error_set_at(w, "data page length %u runs past the %zu bytes left", (unsigned)total,
				avail);
		return TC_ECORRUPT;
	}
	*page_len = total;
	*payload = p + TC_PAGE_HEADER_LEN;
	*payload_len = (size_t)total - TC_PAGE_HEADER_LEN;
	return TC_OK;
}

int tc_page_header(uint8_t hdr[TC_PAGE_HEADER_LEN], size_t payload_len)
{
	if (payload_len > (size_t)UINT32_MAX - TC_PAGE_HEADER_LEN) {
		tc_error_set("data page payload of %zu bytes does not fit a 32-bit page length",
			     payload_len);
		return TC_ELIMIT;
	}
	tc_put_u32le(hdr, (uint32_t)(payload_len + TC_PAGE_HEADER_LEN));
	hdr[4] = 0;
	hdr[5] = 0;
	return TC_OK;
}

int tc_page_write(tc_buf *out, const uint8_t *payload, size_t len)
{
	uint8_t hdr[TC_PAGE_HEADER_LEN];
	int r;

	if ((r = tc_page_header(hdr, len)) < 0)
		return r;
	if ((r = tc_buf_reserve(out, TC_PAGE_HEADER_LEN + len)) < 0)
		return r;
	if ((r = tc_buf_put(out, hdr, sizeof(hdr))) < 0)
		return r;
	return tc_buf_put(out, payload, len);
}

int tc_object_header(uint32_t *total, const uint8_t *p, size_t avail, uint64_t at, const tc_where *w)
{
	uint32_t id_len;

	if (avail < TC_OBJECT_HEADER_LEN) {
		tc_error_set_at(w, "truncated object header at page position %llu: %zu bytes left",
				(unsigned long long)at, avail);
		return TC_ECORRUPT;
	}
	*total = tc_get_u32le(p);
	id_len = tc_get_u32le(p + 4);
	if (*total < TC_OBJECT_HEADER_LEN + TC_ID_LEN) {
		tc_error_set_at(w, "object at page position %llu: length %u is too small for a "
				"%d-byte header and a %d-byte ID", (unsigned long long)at, (unsigned)*total,
				TC_OBJECT_HEADER_LEN, TC_ID_LEN);
		return TC_ECORRUPT;
	}
	if (id_len != TC_ID_LEN) {
		tc_error_set_at(w, "object at page position %llu: ID length %u, want %d",
				(unsigned long long)at, (unsigned)id_len, TC_ID_LEN);
		return TC_ECORRUPT;
	}
	return TC_OK;
}

int tc_object_next(tc_object *out, const uint8_t *buf, size_t len, size_t *pos, const tc_where *w)
{
	size_t at = *pos, left;
	uint32_t total;
	int rc;

	if (at == len)
		return 0;
	if (at > len) {
		tc_error_set_at(w, "object position %zu is past the %zu-byte page", at, len);
		return TC_ECORRUPT;
	}
	left = len - at;
	if ((rc = tc_object_header(&total, buf + at, left, at, w)) < 0)
		return rc;
	if ((uint64_t)total > (uint64_t)left) {
		tc_error_set_at(w, "object at page position %zu: length %u runs past the %zu bytes "
				"left in the page", at, (unsigned)total, left);
		return TC_ECORRUPT;
	}
	out->id = buf + at + TC_OBJECT_HEADER_LEN;
	out->id_len = TC_ID_LEN;
	out->body = out->id + TC_ID_LEN;
	out->body_len = (size_t)total - TC_OBJECT_HEADER_LEN - TC_ID_LEN;
	*pos = at + total;
	return 1;
}

int tc_object_write(tc_buf *out, const uint8_t *id, size_t id_len, const uint8_t *body, size_t body_len)
{
	size_t total;
	int r;

	if (id_len > (size_t)UINT32_MAX - TC_OBJECT_HEADER_LEN ||
	    body_len > (size_t)UINT32_MAX - TC_OBJECT_HEADER_LEN - id_len) {
		tc_error_set("object of %zu bytes does not fit a 32-bit object length", body_len);
		return TC_ELIMIT;
	}
	total = tc_object_size(id_len, body_len);
	if ((r = tc_buf_reserve(out, total)) < 0)
		return r;
	if ((r = tc_buf_put_u32le(out, (uint32_t)total)) < 0 ||
	    (r = tc_buf_put_u32le(out, (uint32_t)id_len)) < 0 ||
	    (r = tc_buf_put(out, id, id_len)) < 0 || (r = tc_buf_put(out, body, body_len)) < 0)
		return r;
	return TC_OK;
}

void tc_page_limits_default(tc_page_limits *l)
{
	l->index_downsample_bytes = 1048576;
	l->max_bytes_per_trace = 5000000;
	l->max_page_ratio = TC_DEFAULT_MAX_PAGE_RATIO;
	l->max_page_bytes = TC_DEFAULT_MAX_PAGE_BYTES;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

void tc_page_cap_of(tc_page_cap *out, const tc_page_limits *l, uint64_t page_len)
{
	uint64_t t = l->max_bytes_per_trace;
	/* Tempo's ingester counts pushed bytes, not the framing it adds around them: slack. */
	uint64_t by_config = t ? sat_add(l->index_downsample_bytes, sat_add(t, t / 4)) : UINT64_MAX;
	uint64_t by_ratio = sat_mul(l->max_page_ratio, page_len);

	if (by_config >= by_ratio) {
		out->bytes = by_config;
		snprintf(out->why, sizeof(out->why), "storage.trace.block.index_downsample_bytes "
			 "%llu + 1.25 x max_bytes_per_trace %llu", (unsigned long long)l->index_downsample_bytes,
			 (unsigned long long)t);
	} else {
		out->bytes = by_ratio;
		snprintf(out->why, sizeof(out->why), "storage.trace.block.max_page_ratio %llu x "
			 "the page's %llu bytes",
			 (unsigned long long)l->max_page_ratio, (unsigned long long)page_len);
	}
	if (out->bytes > l->max_page_bytes) {
		out->bytes = l->max_page_bytes;
		snprintf(out->why, sizeof(out->why), "storage.trace.block.max_page_bytes");
	}
}

int tc_page_cap_check_object(const tc_page_cap *cap, uint64_t at, uint32_t total, const tc_where *w)
{
	if (at <= cap->bytes && total <= cap->bytes - at)
		return TC_OK;
	tc_error_set_at(w, "object at page position %llu claims %u bytes, past the page's cap of %llu "
			"decompressed bytes (%s)", (unsigned long long)at, (unsigned)total,
			(unsigned long long)cap->bytes, cap->why);
	return TC_ELIMIT;
}
