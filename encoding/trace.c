/*
 * Object body framing and checks (docs/FORMAT.md#object-bodies). The combiner is in
 * trace_combine.c.
 */
#include "encoding/trace.h"

#include <string.h>

#include "encoding/pbwire.h"

tc_data_kind tc_data_kind_of(const char *data_encoding)
{
	if (data_encoding && strcmp(data_encoding, "v2") == 0)
		return TC_DATA_V2;
	if (data_encoding && strcmp(data_encoding, "v1") == 0)
		return TC_DATA_V1;
	return TC_DATA_OPAQUE;
}

/*
 * Body framing
 */

int tc_trace_v2_range(uint32_t *start, uint32_t *end, const uint8_t *body, size_t len,
		      const tc_where *w)
{
	if (len < 8) {
		tc_error_set_at(w, "v2 object body of %zu bytes is too short for its start/end", len);
		return TC_ECORRUPT;
	}
	*start = tc_get_u32le(body);
	*end = tc_get_u32le(body + 4);
	return TC_OK;
}

/* The TraceBytes message of a v1/v2 body; an empty v2 body is an empty trace as in Tempo. */
static int body_tracebytes(const uint8_t **tb, size_t *tb_len, tc_data_kind kind,
			   const uint8_t *body, size_t len, const tc_where *w)
{
	if (kind == TC_DATA_V2 && len > 0) {
		uint32_t s, e;
		int err = tc_trace_v2_range(&s, &e, body, len, w);
		if (err < 0)
			return err;
		*tb = body + 8;
		*tb_len = len - 8;
		return TC_OK;
	}
	*tb = body;
	*tb_len = len;
	return TC_OK;
}

/*
 * Calls fn for every serialised Trace in a TraceBytes message after
 * checking it down to the leaves. Offsets in messages are from the start of
 * the body (base).
 */
typedef int (*trace_fn)(void *ctx, const uint8_t *trace, size_t len);

static int each_trace(const uint8_t *body, const uint8_t *tb, size_t tb_len, const tc_where *w,
		      const char *what, trace_fn fn, void *ctx)
{
	tc_pb_field f;
	size_t pos = 0, bad;
	const char *why;
	int r, err;

	while ((r = tc_pb_next(&f, tb, tb_len, &pos, &why)) > 0) {
		if (f.num != 1)
			continue; /* unknown TraceBytes field: skipped, as Unmarshal does */
		if (f.wt != TC_PB_LEN) {
			tc_error_set_at(w, "%sbody byte %zu: TraceBytes.traces has wire type %d",
					what, (size_t)(tb - body) + f.start, f.wt);
			return TC_ECORRUPT;
		}
		if (tc_pb_check(TC_PB_MSG_TRACE, f.data, f.len, &bad, &why) < 0) {
			tc_error_set_at(w, "%sbody byte %zu: bad Trace: %s", what,
					(size_t)(f.data - body) + bad, why);
			return TC_ECORRUPT;
		}
		if (fn && (err = fn(ctx, f.data, f.len)) < 0)
			return err;
	}
	if (r < 0) {
		tc_error_set_at(w, "%sbody byte %zu: bad TraceBytes: %s", what,
				(size_t)(tb - body) + pos, why);
		return TC_ECORRUPT;
	}
	return TC_OK;
}

/* Counts field num in an already checked message, or sums inner() over its occurrences. */
static size_t count_field(const uint8_t *p, size_t len, uint32_t num,
			  size_t (*inner)(const uint8_t *, size_t))
{
	tc_pb_field f;
	size_t pos = 0, n = 0;
	const char *why;

	while (tc_pb_next(&f, p, len, &pos, &why) > 0)
		if (f.num == num)
			n += inner ? inner(f.data, f.len) : 1;
	return n;
}

static size_t count_ils(const uint8_t *p, size_t len) { return count_field(p, len, 2, NULL); }
static size_t count_rs(const uint8_t *p, size_t len) { return count_field(p, len, 2, count_ils); }

static int count_trace(void *ctx, const uint8_t *trace, size_t len)
{
	*(size_t *)ctx += count_field(trace, len, 1, count_rs);
	return TC_OK;
}

int tc_trace_validate(size_t *spans, tc_data_kind kind, const uint8_t *body, size_t len,
		      const tc_where *w)
{
	const uint8_t *tb;
	size_t tb_len, n = 0;
	int err;

	if (spans)
		*spans = 0;
	if (len == 0) {
		tc_error_set_at(w, "empty object body");
		return TC_ECORRUPT;
	}
	if (kind == TC_DATA_OPAQUE)
		return TC_OK;
	if ((err = body_tracebytes(&tb, &tb_len, kind, body, len, w)) < 0)
		return err;
	/* Without a count the walk is the check alone: the compactor's cost per object. */
	if ((err = each_trace(body, tb, tb_len, w, "", spans ? count_trace : NULL, &n)) < 0)
		return err;
	if (spans)
		*spans = n;
	return TC_OK;
}

static int copy_batches(void *ctx, const uint8_t *trace, size_t len)
{
	tc_buf *out = ctx;
	tc_pb_field f;
	size_t pos = 0;
	const char *why;
	int err;

	while (tc_pb_next(&f, trace, len, &pos, &why) > 0)
		if (f.num == 1 && (err = tc_buf_put(out, trace + f.start, f.end - f.start)) < 0)
			return err;
	return TC_OK;
}

int tc_trace_body_to_trace(tc_buf *out, tc_data_kind kind, const uint8_t *body, size_t len,
			   const tc_where *w)
{
	const uint8_t *tb;
	size_t tb_len, start = out->len;
	int err;

	if (kind == TC_DATA_OPAQUE) {
		tc_error_set_at(w, "bodies of an opaque data encoding cannot be decoded");
		return TC_EUNSUPPORTED;
	}
	if ((err = body_tracebytes(&tb, &tb_len, kind, body, len, w)) < 0)
		return err;
	if ((err = each_trace(body, tb, tb_len, w, "", copy_batches, out)) < 0)
		out->len = start;
	return err;
}

int tc_trace_body_from_trace(tc_buf *out, tc_data_kind kind, uint32_t start, uint32_t end,
			     const uint8_t *trace, size_t len)
{
	size_t mark = out->len;
	int err = TC_OK;

	if (kind == TC_DATA_OPAQUE) {
		tc_error_set("cannot build a body for an opaque data encoding");
		return TC_EUNSUPPORTED;
	}
	if (kind == TC_DATA_V2 && ((err = tc_buf_put_u32le(out, start)) < 0 ||
				   (err = tc_buf_put_u32le(out, end)) < 0))
		goto fail;
	if ((err = tc_pb_put_len_field(out, 1, trace, len)) < 0)
		goto fail;
	return TC_OK;
fail:
	out->len = mark;
	return err;
}
