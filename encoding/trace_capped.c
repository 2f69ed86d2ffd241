/*
 * The size-capped combine (tc_combiner_run_capped). A trace past
 * max_bytes_per_trace may be far larger than memory should hold (one object
 * of 50 MB per block is normal for a runaway trace), so each input is read
 * once through a tc_body_source and pruned on the fly into a copy holding
 * only the spans that are new and still fit; the pruned copies, together
 * at most max_bytes, are then merged by tc_combiner_run.
 *
 * A pruned copy is a valid body: the input's v2 start/end, then one Trace
 * whose batches and libraries are the input's own (their other fields
 * copied as they came, in gogo's order around the children) with only the
 * kept spans. Fields of TraceBytes and Trace other than the batches are
 * dropped, as Tempo's re-marshal drops them.
 */
#include "encoding/trace.h"

#include <stdlib.h>
#include <string.h>

#include "encoding/pbwire.h"
#include "encoding/span_set.h"

#define GAP 11 /* a tag byte and the longest varint, before a container's content */
/*
 * Kept below max_bytes: out->len counts every open container's whole gap,
 * so it only overstates the pruned bodies; merging them can lengthen the
 * one Trace length varint by a few bytes.
 */
#define SLACK 16

/* The fields of a container other than its children, split around them. */
typedef struct others {
	tc_buf below, above;
} others;

typedef struct cap {
	tc_body_source *s;
	uint64_t at; /* body offset, for messages */
	tc_buf *out;
	size_t budget;
	size_t pending; /* bytes of others waiting in open containers */
	int first, final, full;
	tc_span_set *set;
	size_t input;
	uint64_t kept, deduped, discarded;
	others rs, ils;
	const tc_where *w;
} cap;

static int corrupt(const cap *k, const char *what, const char *why)
{
	tc_error_set_at(k->w, "input %zu, body byte %llu: bad %s: %s", k->input,
			(unsigned long long)k->at, what, why);
	return TC_ECORRUPT;
}

static int rd(const uint8_t **p, cap *k, size_t n)
{
	int rc = n ? k->s->read(p, n, k->s->ctx) : TC_OK;
	k->at += n;
	return rc;
}

static int sk(cap *k, uint64_t n)
{
	int rc = n ? k->s->skip(n, k->s->ctx) : TC_OK;
	k->at += n;
	return rc;
}

/* A varint inside a message with *rem bytes left; raw (may be NULL) gets its bytes. */
static int varint(uint64_t *v, cap *k, uint64_t *rem, tc_buf *raw, const char *what)
{
	*v = 0;
	for (int i = 0; i < 10; i++) {
		const uint8_t *p;
		int rc;
		if (*rem == 0)
			return corrupt(k, what, "truncated varint");
		if ((rc = rd(&p, k, 1)) < 0)
			return rc;
		(*rem)--;
		if (raw && (rc = tc_buf_putc(raw, *p)) < 0)
			return rc;
		*v |= (uint64_t)(*p & 0x7f) << (7 * i);
		if (!(*p & 0x80))
			return TC_OK;
	}
	return corrupt(k, what, "varint longer than 10 bytes");
}

static int read_tag(uint32_t *num, int *wt, cap *k, uint64_t *rem, tc_buf *raw, int in_group,
		    const char *what)
{
	uint64_t t;
	int rc = varint(&t, k, rem, raw, what);

	if (rc < 0)
		return rc;
	*num = (uint32_t)(t >> 3);
	*wt = (int)(t & 7);
	/* As tc_pb_next (gogo: int32(wire >> 3) <= 0 is illegal); gogo's skip checks no numbers in groups. */
	if (!in_group && (int32_t)*num <= 0)
		return corrupt(k, what, "illegal tag (field number 0 or out of range)");
	if (*wt > TC_PB_FIXED32)
		return corrupt(k, what, "bad wire type");
	return TC_OK;
}

/*
 * Consumes the value of a field whose tag was read: into raw if given (else
 * skipped). Groups are consumed as a unit, as gogo's skip does.
 */
static int field_value(cap *k, int wt, uint64_t *rem, tc_buf *raw, const char *what)
{
	const uint8_t *p;
	uint64_t n;
	int rc;

	switch (wt) {
	case TC_PB_VARINT:
		return varint(&n, k, rem, raw, what);
	case TC_PB_LEN:
		if ((rc = varint(&n, k, rem, raw, what)) < 0)
			return rc;
		break;
	case TC_PB_FIXED64:
		n = 8;
		break;
	case TC_PB_FIXED32:
		n = 4;
		break;
	case TC_PB_SGROUP:
		/* Nesting is counted, not recursed: a body may nest groups millions deep. */
		for (n = 1; n > 0;) {
			uint32_t inum;
			int iwt;
			if ((rc = read_tag(&inum, &iwt, k, rem, raw, 1, what)) < 0)
				return rc;
			if (iwt == TC_PB_EGROUP) /* gogo's skip does not match the numbers either */
				n--;
			else if (iwt == TC_PB_SGROUP)
				n++;
			else if ((rc = field_value(k, iwt, rem, raw, what)) < 0)
				return rc;
		}
		return TC_OK;
	default:
		return corrupt(k, what, "unexpected end of group");
	}
	if (n > *rem)
		return corrupt(k, what, "field runs past the end of its message");
	*rem -= n;
	if (!raw)
		return sk(k, n);
	if ((rc = rd(&p, k, (size_t)n)) < 0)
		return rc;
	return tc_buf_put(raw, p, (size_t)n);
}

/* Output containers: content is written after a gap that close() fills with the tag and length. */

static int open_container(size_t *mark, cap *k)
{
	*mark = k->out->len;
	return tc_buf_grow_by(k->out, NULL, GAP);
}

static int close_container(cap *k, size_t mark, uint8_t tag, const others *o)
{
	tc_buf *out = k->out;
	size_t children = out->len - mark - GAP;
	size_t below = o ? o->below.len : 0, above = o ? o->above.len : 0;
	size_t total = below + children + above, v = tc_pb_varint_size(total);
	size_t dst = mark + 1 + v + below, end = mark + 1 + v + total;
	int rc;

	if (end > out->len && (rc = tc_buf_reserve(out, end - out->len)) < 0)
		return rc;
	memmove(out->ptr + dst, out->ptr + mark + GAP, children);
	out->ptr[mark] = tag;
	tc_pb_encode_varint(out->ptr + mark + 1, total);
	if (below)
		memcpy(out->ptr + mark + 1 + v, o->below.ptr, below);
	if (above)
		memcpy(out->ptr + dst + children, o->above.ptr, above);
	out->len = end;
	return TC_OK;
}

/* A span field of len bytes: kept, dropped as a duplicate, or discarded for the cap. */
static int span(cap *k, uint64_t len, size_t *kept)
{
	size_t fs = tc_pb_len_field_size(2, (size_t)len), bad;
	const uint8_t *p;
	tc_span_ident id;
	const char *why;
	int rc;

	if (len > k->budget) { /* could never fit: not even read */
		k->discarded++;
		k->full = 1;
		return sk(k, len);
	}
	if ((rc = rd(&p, k, (size_t)len)) < 0)
		return rc;
	if (tc_span_ident_read(&id, p, (size_t)len, &bad, &why) < 0)
		return corrupt(k, "Span", why);
	if (!k->first && tc_span_set_has(k->set, id.token)) {
		k->deduped++;
		return TC_OK;
	}
	/*
	 * Only kept spans are remembered, so the set is bounded by the cap,
	 * not by the trace: a later copy of a discarded span is counted as
	 * discarded again (Tempo counts every discarded copy too).
	 */
	if (k->full || k->out->len + fs + k->pending > k->budget) {
		k->discarded++;
		k->full = 1;
		return TC_OK;
	}
	if (tc_pb_check(TC_PB_MSG_SPAN, p, (size_t)len, &bad, &why) < 0)
		return corrupt(k, "Span", why);
	if ((k->first || !k->final) && (rc = tc_span_set_add(k->set, id.token)) < 0)
		return rc;
	if ((rc = tc_pb_put_len_field(k->out, 2, p, (size_t)len)) < 0)
		return rc;
	k->kept++;
	(*kept)++;
	return TC_OK;
}

/* Another field of a container: kept in o, below or above the children. */
static int other_field(cap *k, tc_pb_msg msg, const char *what, uint32_t num, int wt, uint64_t *rem,
		       others *o)
{
	tc_buf *raw = num < 2 ? &o->below : &o->above;
	size_t start = raw->len, bad;
	const uint8_t *p;
	const char *why;
	tc_pb_msg sub = TC_PB_MSG_COUNT;
	int t = tc_pb_field_type(msg, num, &sub), rc;
	uint64_t n;

	if (t >= 0 && t != wt)
		return corrupt(k, what, "known field has the wrong wire type");
	if ((rc = tc_pb_put_varint(raw, (uint64_t)num << 3 | (uint64_t)wt)) < 0)
		return rc;
	if (wt != TC_PB_LEN || sub == TC_PB_MSG_COUNT) {
		if ((rc = field_value(k, wt, rem, raw, what)) < 0)
			return rc;
		k->pending += raw->len - start;
		return TC_OK;
	}
	/* A known submessage (resource, library) is checked as Unmarshal would. */
	if ((rc = varint(&n, k, rem, raw, what)) < 0)
		return rc;
	if (n > *rem)
		return corrupt(k, what, "field runs past the end of its message");
	*rem -= n;
	if (n > k->budget) { /* cannot be kept: neither can anything under it */
		raw->len = start;
		k->full = 1;
		return sk(k, n);
	}
	if ((rc = rd(&p, k, (size_t)n)) < 0)
		return rc;
	if (tc_pb_check(sub, p, (size_t)n, &bad, &why) < 0)
		return corrupt(k, what, why);
	if ((rc = tc_buf_put(raw, p, (size_t)n)) < 0)
		return rc;
	k->pending += raw->len - start;
	return TC_OK;
}

/*
 * A ResourceSpans (is_rs) or InstrumentationLibrarySpans of len bytes,
 * written to out only if something under it is kept, or if it is the first
 * input's and had no children at all (Tempo keeps the first input's empty
 * containers).
 */
static int container(cap *k, int is_rs, uint64_t len, size_t *kept_up)
{
	others *o = is_rs ? &k->rs : &k->ils;
	tc_pb_msg msg = is_rs ? TC_PB_MSG_RESOURCE_SPANS : TC_PB_MSG_ILS;
	const char *what = is_rs ? "ResourceSpans" : "InstrumentationLibrarySpans";
	size_t mark, kept = 0, children = 0, pending0 = k->pending;
	uint64_t rem = len, n;
	int rc;

	tc_buf_clear(&o->below);
	tc_buf_clear(&o->above);
	if ((rc = open_container(&mark, k)) < 0)
		return rc;
	while (rem > 0) {
		uint32_t num;
		int wt;
		if ((rc = read_tag(&num, &wt, k, &rem, NULL, 0, what)) < 0)
			return rc;
		if (num != 2) {
			if ((rc = other_field(k, msg, what, num, wt, &rem, o)) < 0)
				return rc;
			continue;
		}
		if (wt != TC_PB_LEN)
			return corrupt(k, what, "known field has the wrong wire type");
		if ((rc = varint(&n, k, &rem, NULL, what)) < 0)
			return rc;
		if (n > rem)
			return corrupt(k, what, "field runs past the end of its message");
		rem -= n;
		children++;
		if ((rc = is_rs ? container(k, 0, n, &kept) : span(k, n, &kept)) < 0)
			return rc;
	}
	k->pending = pending0;
	/*
	 * Fields after the children (schema_url, unknown ones) were not counted
	 * when the spans were taken: if they no longer fit, they go rather than
	 * the spans.
	 */
	if (kept > 0 && k->out->len + o->below.len + o->above.len > k->budget &&
	    k->out->len + o->below.len <= k->budget)
		tc_buf_clear(&o->above);
	if (!(kept > 0 || (k->first && children == 0 && !k->full)) ||
	    k->out->len + o->below.len + o->above.len > k->budget) {
		k->out->len = mark;
		k->discarded += kept; /* spans whose container does not fit */
		k->kept -= kept;
		return TC_OK;
	}
	*kept_up += kept;
	return close_container(k, mark, is_rs ? 0x0a : 0x12, o);
}

/*
 * Walks a message of len bytes whose only field of interest is field 1
 * (TraceBytes.traces, Trace.batches): each is handed to child, anything
 * else is dropped, as Tempo's re-marshal drops it.
 */
static int walk_field1(cap *k, uint64_t len, const char *what, const char *wrong,
		       int (*child)(cap *, uint64_t))
{
	uint64_t rem = len, n;
	int rc;

	while (rem > 0) {
		uint32_t num;
		int wt;
		if ((rc = read_tag(&num, &wt, k, &rem, NULL, 0, what)) < 0)
			return rc;
		if (num != 1) {
			if ((rc = field_value(k, wt, &rem, NULL, what)) < 0)
				return rc;
			continue;
		}
		if (wt != TC_PB_LEN)
			return corrupt(k, what, wrong);
		if ((rc = varint(&n, k, &rem, NULL, what)) < 0)
			return rc;
		if (n > rem)
			return corrupt(k, what, "field runs past the end of its message");
		rem -= n;
		if ((rc = child(k, n)) < 0)
			return rc;
	}
	return TC_OK;
}

static int batch(cap *k, uint64_t len)
{
	size_t kept = 0;
	return container(k, 1, len, &kept);
}

static int trace_entry(cap *k, uint64_t len)
{
	return walk_field1(k, len, "Trace", "batches has the wrong wire type", batch);
}

/* One input, pruned into a body of a single Trace appended to k->out. */
static int prune_input(cap *k, tc_data_kind kind)
{
	uint64_t rem = k->s->len;
	const uint8_t *p;
	size_t mark;
	int rc;

	if (rem == 0)
		return TC_OK; /* an empty body is an empty trace */
	if (kind == TC_DATA_V2) {
		if (rem < 8) {
			tc_error_set_at(k->w, "input %zu: v2 object body of %llu bytes is too short for "
					"its start/end", k->input, (unsigned long long)rem);
			return TC_ECORRUPT;
		}
		if ((rc = rd(&p, k, 8)) < 0 || (rc = tc_buf_put(k->out, p, 8)) < 0)
			return rc;
		rem -= 8;
	}
	if ((rc = open_container(&mark, k)) < 0 ||
	    (rc = walk_field1(k, rem, "TraceBytes", "traces has the wrong wire type", trace_entry)) < 0)
		return rc;
	return close_container(k, mark, 0x0a, NULL);
}

static int mem_read(const uint8_t **p, size_t n, void *ctx)
{
	tc_body_mem *m = ctx;

	if (n > m->len - m->pos) {
		tc_error_set("read of %zu bytes past the end of a %zu-byte body", n, m->len);
		return TC_EINVALID;
	}
	*p = m->p + m->pos;
	m->pos += n;
	return TC_OK;
}

static int mem_skip(uint64_t n, void *ctx)
{
	const uint8_t *p;
	return n > SIZE_MAX ? TC_EINVALID : mem_read(&p, (size_t)n, ctx);
}

void tc_body_source_mem(tc_body_source *s, tc_body_mem *m, const uint8_t *p, size_t len)
{
	*m = (tc_body_mem){ p, len, 0 };
	*s = (tc_body_source){ mem_read, mem_skip, m, len };
}

/* What pruning left of each input. */
typedef struct pruned {
	size_t off, len;
	int ranged; /* its v2 start/end count for the result's */
} pruned;

static int prune_all(tc_buf *pr, pruned *pd, cap *k, tc_body_source *src, size_t n, tc_data_kind kind)
{
	int rc;

	for (size_t i = 0; i < n; i++) {
		uint64_t kept0 = k->kept, discarded0 = k->discarded;
		size_t off = pr->len;
		k->s = &src[i];
		k->at = 0;
		k->input = i;
		k->first = i == 0;
		/* v1's Combine compares the index with the body length (a Tempo 1.5 bug) */
		k->final = kind == TC_DATA_V2 ? i == n - 1 : src[i].len > 0 && i == src[i].len - 1;
		if ((rc = prune_input(k, kind)) < 0)
			return rc;
		pd[i] = (pruned){ off, pr->len - off, pr->len > off };
		if (i == 0 || k->kept > kept0)
			continue;
		/*
		 * A later input with nothing new adds no body. Its time range
		 * still counts if it only repeated spans (Tempo merges it), not
		 * if the cap took everything it had.
		 */
		pd[i].len = 0;
		pd[i].ranged = pd[i].ranged && k->discarded == discarded0;
		pr->len = off + (pd[i].ranged && kind == TC_DATA_V2 ? 8 : 0);
	}
	return TC_OK;
}

/* The v2 start/end of the result: min/max over the inputs that count. */
static void set_range(tc_buf *out, size_t at, const tc_buf *pr, const pruned *pd, size_t n)
{
	uint32_t start = UINT32_MAX, end = 0;

	for (size_t i = 0; i < n; i++) {
		if (!pd[i].ranged)
			continue;
		if (tc_get_u32le(pr->ptr + pd[i].off) < start)
			start = tc_get_u32le(pr->ptr + pd[i].off);
		if (tc_get_u32le(pr->ptr + pd[i].off + 4) > end)
			end = tc_get_u32le(pr->ptr + pd[i].off + 4);
	}
	if (out->len >= at + 8 && start != UINT32_MAX) {
		tc_put_u32le(out->ptr + at, start);
		tc_put_u32le(out->ptr + at + 4, end);
	}
}

int tc_combiner_run_capped(tc_buf *out, size_t *failed, tc_combiner *c, tc_body_source *src,
			   size_t n, size_t max_bytes, tc_combine_stats *st, const tc_where *w)
{
	tc_data_kind kind = tc_combiner_kind(c);
	tc_buf pr = TC_BUF_INIT;
	tc_span_set set;
	tc_object *objs = NULL;
	pruned *pd = NULL;
	size_t m = 0, at = out->len;
	int combined = 0, rc;
	cap k;

	if (n == 0 || max_bytes == 0 || kind == TC_DATA_OPAQUE) {
		tc_error_set_at(w, "capped combine needs v1/v2 bodies, inputs and a cap");
		return TC_EINVALID;
	}
	tc_span_set_init(&set);
	memset(&k, 0, sizeof(k));
	k.out = &pr;
	k.budget = max_bytes > SLACK ? max_bytes - SLACK : 0;
	k.set = &set;
	k.w = w;
	objs = calloc(n, sizeof(*objs));
	pd = calloc(n, sizeof(*pd));
	if (!objs || !pd) {
		tc_error_set("out of memory");
		rc = TC_ERROR;
		goto cleanup;
	}
	if ((rc = prune_all(&pr, pd, &k, src, n, kind)) < 0) {
		*failed = k.input;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		if (pd[i].len == 0)
			continue;
		objs[m].body = pr.ptr + pd[i].off;
		objs[m++].body_len = pd[i].len;
	}
	if (m == 0) /* only empty bodies: an empty trace, nothing to write */
		goto stats;
	if ((rc = tc_combiner_run(out, &combined, NULL, c, objs, m, st, w)) < 0)
		goto cleanup;
	if (!combined && (rc = tc_buf_put(out, objs[0].body, objs[0].body_len)) < 0)
		goto cleanup;
	if (kind == TC_DATA_V2)
		set_range(out, at, &pr, pd, n);
stats:
	if (st) {
		st->spans_deduped += k.deduped;
		st->spans_discarded += k.discarded;
		st->traces_truncated += k.discarded > 0;
	}
cleanup:
	tc_buf_dispose(&pr);
	tc_buf_dispose(&k.rs.below);
	tc_buf_dispose(&k.rs.above);
	tc_buf_dispose(&k.ils.below);
	tc_buf_dispose(&k.ils.above);
	tc_span_set_dispose(&set);
	free(objs);
	free(pd);
	return rc;
}
