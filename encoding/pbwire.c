#include "encoding/pbwire.h"

#include "src/util/error.h"
#include "src/util/utf8.h"

/* Go's stack grows where ours does not: nesting past this is refused. */
#define TC_PB_MAX_DEPTH 100

static int get_varint(uint64_t *v, const uint8_t *buf, size_t len, size_t *pos, const char **why)
{
	uint64_t x = 0;
	size_t i = *pos;

	for (unsigned shift = 0;; shift += 7) {
		if (shift >= 64) {
			*why = "varint longer than 10 bytes";
			return TC_ECORRUPT;
		}
		if (i >= len) {
			*why = "truncated varint";
			return TC_ECORRUPT;
		}
		x |= (uint64_t)(buf[i] & 0x7f) << shift;
		if (buf[i++] < 0x80)
			break;
	}
	*v = x;
	*pos = i;
	return TC_OK;
}

/* Skips the body of a group whose start tag ended at *pos (gogo's skip loop). */
static int skip_group(const uint8_t *buf, size_t len, size_t *pos, const char **why)
{
	size_t depth = 1;
	uint64_t tag, v;
	int err;

	while (depth > 0) {
		if (*pos >= len) {
			*why = "unterminated group";
			return TC_ECORRUPT;
		}
		if ((err = get_varint(&tag, buf, len, pos, why)) < 0)
			return err;
		switch (tag & 7) {
		case TC_PB_VARINT:
			if ((err = get_varint(&v, buf, len, pos, why)) < 0)
				return err;
			break;
		case TC_PB_FIXED64:
		case TC_PB_FIXED32: {
			size_t n = (tag & 7) == TC_PB_FIXED64 ? 8 : 4;
			if (len - *pos < n) {
				*why = "truncated fixed-width value";
				return TC_ECORRUPT;
			}
			*pos += n;
			break;
		}
		case TC_PB_LEN:
			if ((err = get_varint(&v, buf, len, pos, why)) < 0)
				return err;
			if (v > len - *pos) {
				*why = "length runs past the end of the message";
				return TC_ECORRUPT;
			}
			*pos += (size_t)v;
			break;
		case TC_PB_SGROUP:
			depth++;
			break;
		case TC_PB_EGROUP:
			depth--;
			break;
		default:
			*why = "illegal wire type";
			return TC_ECORRUPT;
		}
	}
	return TC_OK;
}

int tc_pb_next(tc_pb_field *f, const uint8_t *buf, size_t len, size_t *pos, const char **why)
{
	size_t p = *pos;
	uint64_t tag, v;
	int err;

	if (p >= len)
		return 0;
	f->start = p;
	if ((err = get_varint(&tag, buf, len, &p, why)) < 0)
		goto bad;
	/* gogo: fieldNum := int32(wire >> 3); fieldNum <= 0 is an illegal tag */
	if ((int32_t)(uint32_t)(tag >> 3) <= 0) {
		*why = "illegal tag (field number 0 or out of range)";
		err = TC_ECORRUPT;
		goto bad;
	}
	f->num = (uint32_t)(tag >> 3);
	f->wt = (uint8_t)(tag & 7);
	f->val = 0;
	f->data = NULL;
	f->len = 0;
	switch (f->wt) {
	case TC_PB_VARINT:
		if ((err = get_varint(&f->val, buf, len, &p, why)) < 0)
			goto bad;
		break;
	case TC_PB_FIXED64:
		if (len - p < 8) {
			*why = "truncated fixed64";
			err = TC_ECORRUPT;
			goto bad;
		}
		f->val = tc_get_u64le(buf + p);
		p += 8;
		break;
	case TC_PB_FIXED32:
		if (len - p < 4) {
			*why = "truncated fixed32";
			err = TC_ECORRUPT;
			goto bad;
		}
		f->val = tc_get_u32le(buf + p);
		p += 4;
		break;
	case TC_PB_LEN:
		if ((err = get_varint(&v, buf, len, &p, why)) < 0)
			goto bad;
		if (v > len - p) {
			*why = "length runs past the end of the message";
			err = TC_ECORRUPT;
			goto bad;
		}
		f->data = buf + p;
		f->len = (size_t)v;
		p += (size_t)v;
		break;
	case TC_PB_SGROUP: {
		size_t body = p;
		if ((err = skip_group(buf, len, &p, why)) < 0)
			goto bad;
		f->data = buf + body;
		f->len = p - body;
		break;
	}
	case TC_PB_EGROUP:
		*why = "end-group tag outside a group";
		err = TC_ECORRUPT;
		goto bad;
	default:
		*why = "illegal wire type";
		err = TC_ECORRUPT;
		goto bad;
	}
	f->end = p;
	*pos = p;
	return 1;
bad:
	*pos = p;
	return err;
}

/* Field tables: wire type and submessage type per known field number. */
typedef struct field_desc {
	uint32_t num;
	uint8_t wt;
	tc_pb_msg sub;
	uint8_t flags; /* F_STR, F_ONE */
} field_desc;

#define SCALAR TC_PB_MSG_COUNT
#define F_STR 1 /* a proto3 string (UTF-8), not bytes */
#define F_ONE 2 /* a singular submessage: more occurrences merge into one */
#define STR SCALAR, F_STR

static const field_desc f_tracebytes[] = { { 1, TC_PB_LEN, SCALAR, 0 } };
static const field_desc f_trace[] = { { 1, TC_PB_LEN, TC_PB_MSG_RESOURCE_SPANS, 0 } };
static const field_desc f_rs[] = {
	{ 1, TC_PB_LEN, TC_PB_MSG_RESOURCE, F_ONE },
	{ 2, TC_PB_LEN, TC_PB_MSG_ILS, 0 },
};
static const field_desc f_ils[] = {
	{ 1, TC_PB_LEN, TC_PB_MSG_INSTR_LIBRARY, F_ONE },
	{ 2, TC_PB_LEN, TC_PB_MSG_SPAN, 0 },
};
static const field_desc f_span[] = {
	{ 1, TC_PB_LEN, SCALAR, 0 },     { 2, TC_PB_LEN, SCALAR, 0 },
	{ 3, TC_PB_LEN, STR },        { 4, TC_PB_LEN, SCALAR, 0 },
	{ 5, TC_PB_LEN, STR },        { 6, TC_PB_VARINT, SCALAR, 0 },
	{ 7, TC_PB_FIXED64, SCALAR, 0 }, { 8, TC_PB_FIXED64, SCALAR, 0 },
	{ 9, TC_PB_LEN, TC_PB_MSG_KEY_VALUE, 0 }, { 10, TC_PB_VARINT, SCALAR, 0 },
	{ 11, TC_PB_LEN, TC_PB_MSG_EVENT, 0 },    { 12, TC_PB_VARINT, SCALAR, 0 },
	{ 13, TC_PB_LEN, TC_PB_MSG_LINK, 0 },     { 14, TC_PB_VARINT, SCALAR, 0 },
	{ 15, TC_PB_LEN, TC_PB_MSG_STATUS, F_ONE },
};
static const field_desc f_resource[] = {
	{ 1, TC_PB_LEN, TC_PB_MSG_KEY_VALUE, 0 },
	{ 2, TC_PB_VARINT, SCALAR, 0 },
};
static const field_desc f_il[] = { { 1, TC_PB_LEN, STR }, { 2, TC_PB_LEN, STR } };
static const field_desc f_kv[] = {
	{ 1, TC_PB_LEN, STR },
	{ 2, TC_PB_LEN, TC_PB_MSG_ANY_VALUE, F_ONE },
};
static const field_desc f_any[] = {
	{ 1, TC_PB_LEN, STR },     { 2, TC_PB_VARINT, SCALAR, 0 },
	{ 3, TC_PB_VARINT, SCALAR, 0 },  { 4, TC_PB_FIXED64, SCALAR, 0 },
	{ 5, TC_PB_LEN, TC_PB_MSG_ARRAY_VALUE, F_ONE },
	{ 6, TC_PB_LEN, TC_PB_MSG_KV_LIST, F_ONE },
};
static const field_desc f_array[] = { { 1, TC_PB_LEN, TC_PB_MSG_ANY_VALUE, 0 } };
static const field_desc f_kvlist[] = { { 1, TC_PB_LEN, TC_PB_MSG_KEY_VALUE, 0 } };
static const field_desc f_event[] = {
	{ 1, TC_PB_FIXED64, SCALAR, 0 },
	{ 2, TC_PB_LEN, STR },
	{ 3, TC_PB_LEN, TC_PB_MSG_KEY_VALUE, 0 },
	{ 4, TC_PB_VARINT, SCALAR, 0 },
};
static const field_desc f_link[] = {
	{ 1, TC_PB_LEN, SCALAR, 0 }, { 2, TC_PB_LEN, SCALAR, 0 }, { 3, TC_PB_LEN, STR },
	{ 4, TC_PB_LEN, TC_PB_MSG_KEY_VALUE, 0 },
	{ 5, TC_PB_VARINT, SCALAR, 0 },
};
static const field_desc f_status[] = {
	{ 1, TC_PB_VARINT, SCALAR, 0 },
	{ 2, TC_PB_LEN, STR },
	{ 3, TC_PB_VARINT, SCALAR, 0 },
};

#define TABLE(t) { t, sizeof(t) / sizeof(t[0]) }
static const struct {
	const field_desc *f;
	size_t n;
} tables[TC_PB_MSG_COUNT] = {
	[TC_PB_MSG_TRACEBYTES] = TABLE(f_tracebytes),
	[TC_PB_MSG_TRACE] = TABLE(f_trace),
	[TC_PB_MSG_RESOURCE_SPANS] = TABLE(f_rs),
	[TC_PB_MSG_ILS] = TABLE(f_ils),
	[TC_PB_MSG_SPAN] = TABLE(f_span),
	[TC_PB_MSG_RESOURCE] = TABLE(f_resource),
	[TC_PB_MSG_INSTR_LIBRARY] = TABLE(f_il),
	[TC_PB_MSG_KEY_VALUE] = TABLE(f_kv),
	[TC_PB_MSG_ANY_VALUE] = TABLE(f_any),
	[TC_PB_MSG_ARRAY_VALUE] = TABLE(f_array),
	[TC_PB_MSG_KV_LIST] = TABLE(f_kvlist),
	[TC_PB_MSG_EVENT] = TABLE(f_event),
	[TC_PB_MSG_LINK] = TABLE(f_link),
	[TC_PB_MSG_STATUS] = TABLE(f_status),
};

static inline const field_desc *find_field(tc_pb_msg msg, uint32_t num)
{
	if (msg >= TC_PB_MSG_COUNT)
		return NULL;
	/* Every table lists fields 1..n in order: a direct look-up, the scan only a safety net. */
	if (num >= 1 && num <= tables[msg].n && tables[msg].f[num - 1].num == num)
		return &tables[msg].f[num - 1];
	for (size_t i = 0; i < tables[msg].n; i++)
		if (tables[msg].f[i].num == num)
			return &tables[msg].f[i];
	return NULL;
}

int tc_pb_field_type(tc_pb_msg msg, uint32_t num, tc_pb_msg *sub)
{
	const field_desc *d = find_field(msg, num);

	if (sub)
		*sub = d ? d->sub : SCALAR;
	return d ? d->wt : -1;
}

/*
 * A string field whose bytes are not UTF-8: gogo keeps them, protobuf-c
 * refuses the message, and Go's JSON encoder shows each bad byte as U+FFFD.
 * Written that way, the strict decoder reads what Tempo would show.
 */
static int put_string_field(tc_buf *out, uint32_t num, const uint8_t *p, size_t len)
{
	tc_buf fixed = TC_BUF_INIT;
	size_t i = 0, n;
	uint32_t cp;
	int r;

	while (i < len && (n = tc_utf8_seq(p + i, len - i, &cp)) > 0)
		i += n;
	if (i == len)
		return tc_pb_put_len_field(out, num, p, len);
	tc_buf_init(&fixed, out->cap);
	if ((r = tc_utf8_put_valid(&fixed, p, len)) == TC_OK)
		r = tc_pb_put_len_field(out, num, fixed.ptr, fixed.len);
	tc_buf_dispose(&fixed);
	return r;
}

/*
 * tc_pb_next for the fields almost every body is made of: a one-byte tag,
 * then a one-byte varint, a fixed value, or a length of up to two bytes
 * that stays inside the message. Anything else goes to tc_pb_next, so what
 * is accepted and every message stay exactly its. Only num, wt, data, len
 * and start are set (check() needs no values).
 */
static inline int next_fast(tc_pb_field *f, const uint8_t *buf, size_t len, size_t *pos,
			    const char **why)
{
	size_t p = *pos, left = len - p, n;
	uint8_t tag;

	if (p >= len)
		return 0;
	tag = buf[p];
	if (tag >= 0x80 || tag < 8 || left < 2)
		return tc_pb_next(f, buf, len, pos, why);
	f->start = p;
	f->num = tag >> 3;
	f->wt = tag & 7;
	switch (f->wt) {
	case TC_PB_LEN:
		if (buf[p + 1] < 0x80) {
			n = buf[p + 1];
			p += 2;
		} else if (left >= 3 && buf[p + 2] < 0x80) {
			n = (size_t)(buf[p + 1] & 0x7f) | (size_t)buf[p + 2] << 7;
			p += 3;
		} else {
			break;
		}
		if (n > len - p)
			break;
		f->data = buf + p;
		f->len = n;
		*pos = p + n;
		return 1;
	case TC_PB_VARINT:
		if (buf[p + 1] >= 0x80)
			break;
		*pos = p + 2;
		return 1;
	case TC_PB_FIXED64:
	case TC_PB_FIXED32:
		n = f->wt == TC_PB_FIXED64 ? 8 : 4;
		if (left - 1 < n)
			break;
		*pos = p + 1 + n;
		return 1;
	default:
		break;
	}
	return tc_pb_next(f, buf, len, pos, why);
}

static int check(tc_pb_msg msg, const uint8_t *p, size_t len, size_t base, int depth,
		 size_t *bad_off, const char **why)
{
	tc_pb_field f;
	size_t pos = 0;
	int r;

	if (depth > TC_PB_MAX_DEPTH) {
		*why = "messages nested too deeply";
		*bad_off = base;
		return TC_ECORRUPT;
	}
	while ((r = next_fast(&f, p, len, &pos, why)) > 0) {
		const field_desc *d = find_field(msg, f.num);
		tc_pb_msg sub;
		if (!d)
			continue;
		sub = d->sub;
		if (d->wt != f.wt) {
			*why = "known field has the wrong wire type";
			*bad_off = base + f.start;
			return TC_ECORRUPT;
		}
		if (sub != SCALAR) {
			r = check(sub, f.data, f.len, base + (size_t)(f.data - p), depth + 1, bad_off,
				  why);
			if (r < 0)
				return r;
		}
	}
	if (r < 0)
		*bad_off = base + pos;
	return r;
}

/*
 * How deep a message sits below its Trace. The depth limit counts from the
 * Trace, so a span or resource checked on its own (by the combiner) is
 * refused exactly when it would be as part of its whole trace (by inspect).
 */
static int depth_in_trace(tc_pb_msg msg)
{
	switch (msg) {
	case TC_PB_MSG_RESOURCE_SPANS:
		return 1;
	case TC_PB_MSG_RESOURCE:
	case TC_PB_MSG_ILS:
		return 2;
	case TC_PB_MSG_INSTR_LIBRARY:
	case TC_PB_MSG_SPAN:
		return 3;
	default:
		return 0;
	}
}

int tc_pb_check(tc_pb_msg msg, const uint8_t *p, size_t len, size_t *bad_off, const char **why)
{
	return check(msg, p, len, 0, depth_in_trace(msg), bad_off, why);
}

static int canonical(tc_buf *out, tc_pb_msg msg, const uint8_t *p, size_t len, int depth);

/*
 * A singular submessage that occurs more than once: protobuf merges the
 * occurrences, which is the same as parsing their concatenation (gogo's
 * Unmarshal does exactly that). protobuf-c's own merge fails on some of
 * them (two empty ones), so they are written once, merged, where the first
 * occurrence was.
 */
static int put_merged(tc_buf *out, tc_pb_msg sub, uint32_t num, const uint8_t *p, size_t len,
		      size_t from, int depth)
{
	tc_buf cat = TC_BUF_INIT, inner = TC_BUF_INIT;
	tc_pb_field f;
	const char *why;
	int r = TC_OK;

	tc_buf_init(&cat, out->cap);
	tc_buf_init(&inner, out->cap);
	while (r == TC_OK && tc_pb_next(&f, p, len, &from, &why) > 0)
		if (f.num == num && f.wt == TC_PB_LEN)
			r = tc_buf_put(&cat, f.data, f.len);
	if (r == TC_OK && (r = canonical(&inner, sub, cat.ptr, cat.len, depth + 1)) >= 0)
		r = tc_pb_put_len_field(out, num, inner.ptr, inner.len);
	tc_buf_dispose(&cat);
	tc_buf_dispose(&inner);
	return r;
}

/* Whether an AnyValue holds at most one known field (the usual case). */
static int any_single(const uint8_t *p, size_t len)
{
	tc_pb_field f;
	size_t pos = 0, n = 0;
	const char *why;

	while (tc_pb_next(&f, p, len, &pos, &why) > 0)
		n += find_field(TC_PB_MSG_ANY_VALUE, f.num) != NULL;
	return n <= 1;
}

/*
 * AnyValue is one oneof: the last member wins, and a message member merges
 * only with the occurrences since another member last appeared (gogo makes
 * a new one then). Only the winner is written.
 */
static int canonical_any(tc_buf *out, const uint8_t *p, size_t len, int depth)
{
	tc_pb_field f, last = { 0 };
	size_t pos = 0, run = 0;
	const char *why;
	int r;

	while ((r = tc_pb_next(&f, p, len, &pos, &why)) > 0) {
		const field_desc *d = find_field(TC_PB_MSG_ANY_VALUE, f.num);
		if (!d)
			continue;
		if (d->wt != f.wt)
			return TC_ECORRUPT;
		if (f.num != last.num)
			run = f.start; /* a new member: earlier occurrences no longer count */
		last = f;
	}
	if (r < 0 || last.num == 0)
		return r;
	if (last.num == 5 || last.num == 6)
		return put_merged(out, last.num == 5 ? TC_PB_MSG_ARRAY_VALUE : TC_PB_MSG_KV_LIST, last.num,
				  p, len, run, depth);
	return canonical(out, TC_PB_MSG_ANY_VALUE, p + last.start, last.end - last.start, depth);
}

static int canonical(tc_buf *out, tc_pb_msg msg, const uint8_t *p, size_t len, int depth)
{
	tc_pb_field f;
	size_t pos = 0;
	const char *why;
	uint32_t merged = 0; /* singular submessages already written, by field number */
	int r;

	if (depth > TC_PB_MAX_DEPTH)
		return TC_ECORRUPT;
	if (msg == TC_PB_MSG_ANY_VALUE && !any_single(p, len))
		return canonical_any(out, p, len, depth);
	while ((r = tc_pb_next(&f, p, len, &pos, &why)) > 0) {
		const field_desc *d = find_field(msg, f.num);
		tc_pb_msg sub = d ? d->sub : SCALAR;
		int wt = d ? d->wt : -1;
		uint8_t fixed[8];

		if (wt < 0)
			continue; /* unknown: the strict decoders would keep or choke on it */
		if (wt != f.wt)
			return TC_ECORRUPT;
		if ((d->flags & F_ONE) && f.num < 32) {
			if (!(merged & (1u << f.num))) {
				merged |= 1u << f.num;
				r = put_merged(out, sub, f.num, p, len, f.start, depth);
			}
		} else if (wt == TC_PB_LEN && sub != SCALAR) {
			tc_buf inner = TC_BUF_INIT;

			tc_buf_init(&inner, out->cap);
			if ((r = canonical(&inner, sub, f.data, f.len, depth + 1)) >= 0)
				r = tc_pb_put_len_field(out, f.num, inner.ptr, inner.len);
			tc_buf_dispose(&inner);
		} else if (wt == TC_PB_LEN && (d->flags & F_STR)) {
			r = put_string_field(out, f.num, f.data, f.len);
		} else if (wt == TC_PB_LEN) {
			r = tc_pb_put_len_field(out, f.num, f.data, f.len);
		} else if ((r = tc_pb_put_varint(out, (uint64_t)f.num << 3 | f.wt)) >= 0) {
			if (wt == TC_PB_VARINT) {
				r = tc_pb_put_varint(out, f.val);
			} else {
				tc_put_u64le(fixed, f.val);
				r = tc_buf_put(out, fixed, wt == TC_PB_FIXED64 ? 8 : 4);
			}
		}
		if (r < 0)
			return r;
	}
	return r;
}

int tc_pb_canonical(tc_buf *out, tc_pb_msg msg, const uint8_t *p, size_t len)
{
	size_t mark = out->len;
	int r = canonical(out, msg, p, len, 0);

	if (r < 0)
		out->len = mark;
	return r;
}

size_t tc_pb_encode_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

int tc_pb_put_varint(tc_buf *b, uint64_t v)
{
	uint8_t t[10];
	return tc_buf_put(b, t, tc_pb_encode_varint(t, v));
}

int tc_pb_put_len_field(tc_buf *b, uint32_t num, const uint8_t *data, size_t len)
{
	uint8_t t[20];
	size_t n = tc_pb_encode_varint(t, (uint64_t)num << 3 | TC_PB_LEN);
	int err;

	n += tc_pb_encode_varint(t + n, len);
	if ((err = tc_buf_put(b, t, n)) < 0)
		return err;
	return tc_buf_put(b, data, len);
}
