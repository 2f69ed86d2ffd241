/*
 * k-way merge by trace ID (COMPACTOR.md §5.3). Inputs are few (2-4 from the
 * selector), so a linear scan of the heads beats a heap.
 *
 * An object returned by a reader is valid only until that reader's next
 * call, so inputs that contributed to the last result are advanced lazily,
 * at the start of the following tc_merge_next.
 */
#include "merge.h"

#include "../src/util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	tc_combiner *combiner;
	tc_data_kind kind;
	size_t max_bytes;
	tc_buf out;
	tc_combine_stats stats;
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

/*
 * A combine that fails on undecodable bytes is the fault of one input;
 * find it so the caller can set that block aside. The combiner's message
 * is kept.
 */
static void blame(tc_merge *m, size_t k, int rc)
{
	char msg[1024];

	if (rc != TC_ECORRUPT)
		return;
	snprintf(msg, sizeof(msg), "%s", tc_error_last());
	for (size_t j = 0; j < k; j++) {
		size_t spans;
		tc_where w = { m->where_key, 0 };
		if (tc_trace_validate(&spans, m->kind, m->group[j].body, m->group[j].body_len, &w) < 0) {
			m->failed_input = (int)m->group_src[j];
			break;
		}
	}
	tc_error_set("%s", msg);
}

static int next(tc_object *out, tc_merge *m)
{
	const uint8_t *min = NULL;
	size_t k = 0, first = 0;
	int combined = 0, rc;

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
	if (k == 1) {
		*out = m->group[0];
		return 1;
	}
	{
		const tc_meta *meta = tc_block_reader_meta(m->in[first]);
		tc_where w = { m->where_key, 0 };
		char hex[2 * TC_ID_LEN + 1];
		tc_hex_encode(hex, min, TC_ID_LEN);
		snprintf(m->where_key, sizeof(m->where_key), "trace %s (tenant %s)", hex, meta->tenant);
		uint64_t truncated = m->stats.traces_truncated, discarded = m->stats.spans_discarded;
		tc_buf_clear(&m->out);
		rc = tc_combiner_run(&m->out, &combined, m->combiner, m->group, k, m->max_bytes,
				     &m->stats, &w);
		if (rc == TC_OK && m->stats.traces_truncated != truncated)
			tc_log_warn("msg=\"trace too large to compact: spans past max_bytes_per_trace discarded\" "
				    "tenant=%s trace=%s max_bytes_per_trace=%zu spans_discarded=%llu",
				    tc_log_q(meta->tenant), hex, m->max_bytes,
				    (unsigned long long)(m->stats.spans_discarded - discarded));
		if (rc < 0) {
			blame(m, k, rc);
			return rc;
		}
	}
	*out = m->group[0];
	if (combined) {
		out->body = m->out.ptr;
		out->body_len = m->out.len;
	}
	return 1;
}

int tc_merge_next(tc_object *out, tc_merge *m)
{
	int rc;

	if (m->state != 0)
		return m->state > 0 ? 0 : m->state;
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
	    !(m->group_src = calloc(n, sizeof(size_t)))) {
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
	free(m->heads);
	free(m->group);
	free(m->group_src);
	free(m);
}
