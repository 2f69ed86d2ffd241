/*
 * k-way merge by trace ID (docs/COMPACTOR.md#merging). Inputs are few (2-4 from the
 * selector), so a linear scan of the heads beats a heap.
 *
 * An object returned by a reader is valid only until that reader's next
 * call, so inputs that contributed to the last result are advanced lazily,
 * at the start of the following tc_merge_next.
 *
 * Objects larger than a chunk come from the readers deferred (body not
 * read). With max_bytes_per_trace set, they and any trace that reaches the
 * cap go through the capped combine, which streams them; without a cap a
 * deferred body is read whole, since nothing may be dropped.
 *
 * Nothing leaves the merge unchecked (docs/COMPACTOR.md#validating-the-output):
 * a body that passes through as it came (one copy, or identical replicas)
 * gets inspect's wire-level walk here; a combined body is built only from
 * parts the combiner checked as it took them, so it is not walked again.
 */
#include "encoding/merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding/block_verify.h"

typedef struct head {
	tc_object obj;
	int live;     /* obj holds the input's current object */
	int done;     /* input exhausted */
	int advance;  /* obj was consumed; fetch the next one before use */
} head;

struct tc_merge {
	tc_block_reader **in;
	size_t n;
	head *heads;
	tc_object *group; /* equal-ID heads, in input order */
	size_t *group_src; /* the input each group entry came from */
	tc_buf *hold;      /* per input: a deferred body read whole (no cap) */
	tc_body_source *src;
	tc_body_mem *mem;
	tc_combiner *combiner;
	tc_data_kind kind;
	size_t max_bytes;
	tc_buf out;
	tc_combine_stats stats;
	int truncated;             /* the last object was cut to max_bytes */
	uint64_t truncated_spans;  /* and lost this many spans */
	int failed_input;
	int state; /* 0 running, 1 done, <0 sticky error */
	char where_key[TC_KEY_MAX];
};

static int fill(tc_merge *m, size_t i)
{
	head *h = &m->heads[i];
	int rc;

	if (h->done || (h->live && !h->advance))
		return TC_OK;
	rc = tc_block_reader_next(&h->obj, m->in[i]);
	h->advance = 0;
	if (rc < 0) {
		m->failed_input = (int)i;
		return rc;
	}
	h->live = rc == 1;
	h->done = rc == 0;
	return TC_OK;
}

static int reader_read(const uint8_t **p, size_t n, void *ctx)
{
	return tc_block_reader_body(p, ctx, n);
}

static int reader_skip(uint64_t n, void *ctx)
{
	return tc_block_reader_body_skip(ctx, n);
}

/* Reads a deferred body whole; only without a cap, where nothing may be dropped. */
static int hold_body(tc_merge *m, size_t j)
{
	size_t i = m->group_src[j], len = m->group[j].body_len;
	tc_buf *h = &m->hold[i];
	int rc;

	tc_buf_clear(h);
	if ((rc = tc_buf_reserve(h, len)) < 0)
		return rc;
	while (h->len < len) {
		const uint8_t *p;
		size_t n = len - h->len < (1u << 20) ? len - h->len : (1u << 20);
		if ((rc = tc_block_reader_body(&p, m->in[i], n)) < 0) {
			m->failed_input = (int)i;
			return rc;
		}
		memcpy(h->ptr + h->len, p, n);
		h->len += n;
	}
	m->group[j].body = h->ptr;
	return TC_OK;
}

/*
 * Whether the group goes through the capped combine: with a cap, whenever
 * a body is deferred (too large to hold), the first body alone reaches the
 * cap, or the bodies together do and are not identical copies.
 */
static int needs_cap(const tc_merge *m, size_t k)
{
	uint64_t total = 0;
	int deferred = 0;

	if (m->max_bytes == 0 || m->kind == TC_DATA_OPAQUE)
		return 0;
	for (size_t j = 0; j < k; j++) {
		total += m->group[j].body_len;
		deferred |= m->group[j].body == NULL;
	}
	return deferred || m->group[0].body_len >= m->max_bytes ||
	       (total >= m->max_bytes && !tc_objects_identical(m->group, k));
}

/*
 * A body the combiner could not decode: its message names the trace and the
 * group position; put the input block's data key, the page offset and the
 * object's position in front so it names the bytes as the reader would.
 */
static void blame(tc_merge *m, size_t input)
{
	char why[768];
	tc_where page;
	uint64_t at;

	m->failed_input = (int)input;
	snprintf(why, sizeof(why), "%s", tc_error_last());
	tc_block_reader_where(&page, &at, m->in[input]);
	if (page.key && strncmp(why, page.key, strlen(page.key)) == 0)
		return; /* the reader failed reading the body: its message names the place */
	tc_error_set_at(&page, "object at page position %llu, %s", (unsigned long long)at, why);
}

static int combine_capped(tc_merge *m, size_t k, const tc_where *w)
{
	size_t failed = 0;
	int rc;

	for (size_t j = 0; j < k; j++) {
		if (m->group[j].body)
			tc_body_source_mem(&m->src[j], &m->mem[j], m->group[j].body, m->group[j].body_len);
		else
			m->src[j] = (tc_body_source){ reader_read, reader_skip, m->in[m->group_src[j]],
						      m->group[j].body_len };
	}
	rc = tc_combiner_run_capped(&m->out, &failed, m->combiner, m->src, k, m->max_bytes, &m->stats, w);
	if (rc == TC_ECORRUPT && failed < k)
		blame(m, m->group_src[failed]);
	return rc;
}

/*
 * A body that goes out as it came in has not been decoded: checked here as
 * inspect checks it, so corruption fails the job (naming block, trace and
 * offset) instead of being copied into a block we would call good.
 */
static int check_passthrough(tc_merge *m, size_t input, const tc_object *o)
{
	int rc = tc_block_check_object(NULL, m->in[input], o);

	if (rc < 0)
		m->failed_input = (int)input;
	return rc;
}

static int combine(tc_object *out, tc_merge *m, size_t k, size_t first)
{
	const tc_meta *meta = tc_block_reader_meta(m->in[first]);
	tc_where w = { m->where_key, TC_WHERE_NO_OFFSET };
	char hex[2 * TC_ID_LEN + 1];
	uint64_t truncated = m->stats.traces_truncated, discarded = m->stats.spans_discarded;
	int combined = 1, rc;

	tc_hex_encode(hex, m->group[0].id, TC_ID_LEN);
	snprintf(m->where_key, sizeof(m->where_key), "trace %s (tenant %s)", hex, meta->tenant);
	tc_buf_clear(&m->out);
	if (needs_cap(m, k)) {
		rc = combine_capped(m, k, &w);
	} else {
		for (size_t j = 0; j < k; j++)
			if (!m->group[j].body && (rc = hold_body(m, j)) < 0)
				return rc;
		size_t failed = k;
		rc = tc_combiner_run(&m->out, &combined, &failed, m->combiner, m->group, k, &m->stats, &w);
		/* A body that does not decode is its block's fault: the caller sets that block aside. */
		if (rc == TC_ECORRUPT && failed < k)
			blame(m, m->group_src[failed]);
	}
	if (rc == TC_OK && !combined)
		rc = check_passthrough(m, m->group_src[0], &m->group[0]);
	if (rc < 0)
		return rc;
	m->truncated = m->stats.traces_truncated != truncated;
	m->truncated_spans = m->stats.spans_discarded - discarded;
	*out = m->group[0];
	if (combined) {
		out->body = m->out.ptr;
		out->body_len = m->out.len;
	}
	return 1;
}

static int next(tc_object *out, tc_merge *m)
{
	const uint8_t *min = NULL;
	size_t k = 0, first = 0;
	int rc;

	/* Bodies held for the last result are not needed any more; large ones go back. */
	for (size_t i = 0; i < m->n; i++)
		if (m->hold[i].asize)
			tc_buf_dispose(&m->hold[i]);
	for (size_t i = 0; i < m->n; i++) {
		if ((rc = fill(m, i)) < 0)
			return rc;
		if (!m->heads[i].live)
			continue;
		if (!min || memcmp(m->heads[i].obj.id, min, TC_ID_LEN) < 0) {
			min = m->heads[i].obj.id;
			first = i;
		}
	}
	if (!min)
		return 0;
	for (size_t i = first; i < m->n; i++) {
		head *h = &m->heads[i];
		if (h->live && memcmp(h->obj.id, min, TC_ID_LEN) == 0) {
			m->group_src[k] = i;
			m->group[k++] = h->obj;
			h->advance = 1;
		}
	}
	if (k == 1 && m->group[0].body && !needs_cap(m, k)) {
		if ((rc = check_passthrough(m, first, &m->group[0])) < 0)
			return rc;
		*out = m->group[0];
		return 1;
	}
	return combine(out, m, k, first);
}

int tc_merge_next(tc_object *out, tc_merge *m)
{
	int rc;

	if (m->state != 0)
		return m->state > 0 ? 0 : m->state;
	m->truncated = 0;
	m->truncated_spans = 0;
	rc = next(out, m);
	if (rc < 0)
		m->state = rc;
	else if (rc == 0)
		m->state = 1;
	return rc;
}

int tc_merge_new(tc_merge **out, tc_block_reader **inputs, size_t n, tc_data_kind kind,
		 size_t max_bytes_per_trace)
{
	tc_merge *m;
	int rc;

	*out = NULL;
	if (n == 0) {
		tc_error_set("merge of no inputs");
		return TC_EINVALID;
	}
	m = calloc(1, sizeof(*m));
	if (!m || !(m->heads = calloc(n, sizeof(head))) || !(m->group = calloc(n, sizeof(tc_object))) ||
	    !(m->group_src = calloc(n, sizeof(size_t))) || !(m->hold = calloc(n, sizeof(tc_buf))) ||
	    !(m->src = calloc(n, sizeof(tc_body_source))) || !(m->mem = calloc(n, sizeof(tc_body_mem)))) {
		tc_merge_free(m);
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	m->in = inputs;
	m->n = n;
	m->max_bytes = max_bytes_per_trace;
	m->kind = kind;
	m->failed_input = -1;
	tc_buf_init(&m->out, 0);
	if ((rc = tc_combiner_new(&m->combiner, kind)) < 0) {
		tc_merge_free(m);
		return rc;
	}
	*out = m;
	return TC_OK;
}

int tc_merge_truncated(uint64_t *spans_discarded, const tc_merge *m)
{
	*spans_discarded = m->truncated_spans;
	return m->truncated;
}

int tc_merge_failed_input(const tc_merge *m)
{
	return m->failed_input;
}

void tc_merge_stats(tc_combine_stats *out, const tc_merge *m)
{
	*out = m->stats;
}

void tc_merge_free(tc_merge *m)
{
	if (!m)
		return;
	tc_combiner_free(m->combiner);
	tc_buf_dispose(&m->out);
	for (size_t i = 0; m->hold && i < m->n; i++)
		tc_buf_dispose(&m->hold[i]);
	free(m->hold);
	free(m->src);
	free(m->mem);
	free(m->heads);
	free(m->group);
	free(m->group_src);
	free(m);
}
