#include "src/compactor/compact.h"

#include <stdlib.h>
#include <string.h>

#include "encoding/merge.h"
#include "src/util/log.h"
#include "src/compactor/blocklist.h"

#define CANCEL_CHECK_EVERY 256

static int precheck(tc_backend *be, const tc_meta *const *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		tc_meta now;
		int rc;
		if (strcmp(in[i]->tenant, in[0]->tenant) != 0 || strcmp(in[i]->format, in[0]->format) != 0 ||
		    strcmp(in[i]->data_encoding, in[0]->data_encoding) != 0) {
			tc_error_set("blocks %s and %s differ in tenant, format or data encoding",
				     in[0]->block_id, in[i]->block_id);
			return TC_EINVALID;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(in[i]->block_id, in[j]->block_id) == 0) {
				tc_error_set("block %s given twice", in[i]->block_id);
				return TC_EINVALID;
			}
		}
		/* Another compactor or retention may have taken the block since the poll. */
		rc = tc_blocklist_read_meta(&now, be, in[i]->tenant, in[i]->block_id);
		if (rc == TC_OK && now.compacted) {
			tc_error_set("block %s/%s is no longer live", in[i]->tenant, in[i]->block_id);
			rc = TC_ENOTFOUND;
		}
		if (rc < 0)
			return rc;
	}
	return TC_OK;
}

static void output_params(tc_block_write_opts *wo, const tc_meta *const *in, size_t n, const tc_compact_opts *o)
{
	memset(wo, 0, sizeof(*wo));
	wo->block = o->block;
	wo->tenant = in[0]->tenant;
	wo->data_encoding = in[0]->data_encoding;
	wo->flush_size_bytes = o->flush_size_bytes;
	wo->block_id = o->output_block_id;
	wo->start = in[0]->start;
	wo->end = in[0]->end;
	for (size_t i = 0; i < n; i++) {
		if (in[i]->level + 1 > wo->level)
			wo->level = (uint8_t)(in[i]->level + 1 > 255 ? 255 : in[i]->level + 1);
		if (tc_time_cmp(&in[i]->start, &wo->start) < 0)
			wo->start = in[i]->start;
		if (tc_time_cmp(&in[i]->end, &wo->end) > 0)
			wo->end = in[i]->end;
		/* Pre-dedupe sum, as Tempo sizes the bloom filter. */
		wo->estimated_objects += (uint64_t)in[i]->total_objects;
	}
}

/* Once per trace that max_bytes_per_trace cut short. */
static void log_truncated(const char *tenant, const uint8_t *id, size_t max_bytes, uint64_t discarded)
{
	char hex[2 * TC_ID_LEN + 1];

	tc_hex_encode(hex, id, TC_ID_LEN);
	tc_log_warn("msg=\"trace too large to compact: spans past max_bytes_per_trace discarded\" "
		    "tenant=%s trace=%s max_bytes_per_trace=%zu spans_discarded=%llu",
		    tc_log_q(tenant), hex, max_bytes, (unsigned long long)discarded);
}

/* The caller's fencing check, remembering a refusal so it is told apart from a failed write. */
typedef struct fence {
	const tc_compact_opts *o;
	int refused;
} fence;

static int fence_check(void *ctx)
{
	fence *f = ctx;
	int rc = f->o->confirm(f->o->confirm_ctx);

	if (rc != TC_OK) {
		f->refused = 1;
		if (rc > 0) {
			tc_error_set("job lock could not be confirmed");
			rc = TC_ERROR;
		}
	}
	return rc;
}

static int run_merge(tc_compact_result *res, tc_backend *be, const tc_meta *const *in, size_t n,
		     const tc_compact_opts *o)
{
	fence f = { o, 0 };
	tc_block_reader **readers = calloc(n, sizeof(*readers));
	tc_page_limits limits;
	/* Objects larger than a chunk are not held whole: the merge streams or reads them as needed. */
	tc_block_read_opts ro = { o->chunk_size_bytes, &limits,
				  o->chunk_size_bytes ? o->chunk_size_bytes : TC_DEFAULT_CHUNK_SIZE_BYTES };
	tc_block_write_opts wo;
	tc_block_writer *w = NULL;
	tc_merge *m = NULL;
	tc_object obj;
	uint64_t count = 0;
	int rc;

	if (!readers) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	tc_page_limits_from(&limits, &o->block, o->max_bytes_per_trace);
	output_params(&wo, in, n, o);
	if (o->confirm) {
		wo.before_commit = fence_check;
		wo.before_commit_ctx = &f;
	}
	for (size_t i = 0; i < n; i++) {
		if ((rc = tc_block_reader_open(&readers[i], be, in[i], &ro)) < 0) {
			res->failed_input = (int)i;
			goto cleanup;
		}
	}
	if ((rc = tc_merge_new(&m, readers, n, tc_data_kind_of(in[0]->data_encoding), o->max_bytes_per_trace)) < 0 ||
	    (rc = tc_block_writer_new(&w, be, &wo)) < 0)
		goto cleanup;
	while ((rc = tc_merge_next(&obj, m)) == 1) {
		uint64_t discarded;

		if (tc_merge_truncated(&discarded, m))
			log_truncated(in[0]->tenant, obj.id, o->max_bytes_per_trace, discarded);
		if ((rc = tc_block_writer_add(w, obj.id, obj.id_len, obj.body, obj.body_len)) < 0)
			goto cleanup;
		if (o->cancel && ++count % CANCEL_CHECK_EVERY == 0 && atomic_load(o->cancel)) {
			tc_error_set("compaction of %zu blocks of tenant %s canceled by shutdown", n, in[0]->tenant);
			rc = TC_ECANCELED;
			goto cleanup;
		}
	}
	if (rc < 0) {
		res->failed_input = tc_merge_failed_input(m);
		goto cleanup;
	}
	if ((rc = tc_block_writer_finish(&res->output, w)) < 0 && f.refused)
		res->fenced = 1;
cleanup:
	if (m)
		tc_merge_stats(&res->stats, m);
	for (size_t i = 0; i < n; i++) {
		uint64_t pages, bytes;
		if (!readers[i])
			continue;
		tc_block_reader_progress(&pages, &bytes, readers[i]);
		res->bytes_in += bytes;
		tc_block_reader_free(readers[i]);
	}
	tc_merge_free(m);
	tc_block_writer_free(w); /* deletes a partial output */
	free(readers);
	return rc;
}

int tc_compact_blocks(tc_compact_result *res, tc_backend *be, const tc_meta *const *in, size_t n,
		      const tc_compact_opts *o)
{
	uint64_t t0 = tc_mono_ns();
	int rc;

	memset(res, 0, sizeof(*res));
	res->failed_input = -1;
	if (n < 1) {
		tc_error_set("nothing to compact");
		return TC_EINVALID;
	}
	for (size_t i = 0; i < n; i++)
		res->objects_in += in[i]->total_objects;
	if ((rc = precheck(be, in, n)) < 0 || (rc = run_merge(res, be, in, n, o)) < 0)
		return rc;
	/*
	 * Only now, with the output's meta.json written, may the inputs be
	 * retired. Marking before the output is complete could lose every
	 * trace of the inputs if we died in between; this order at worst
	 * leaves duplicates, which a later cycle compacts away.
	 */
	if (o->confirm) {
		fence f = { o, 0 };
		if ((rc = fence_check(&f)) != TC_OK) {
			res->fenced = 2;
			res->duration_ns = tc_mono_ns() - t0;
			return rc;
		}
	}
	for (size_t i = 0; i < n; i++) {
		int mrc = tc_backend_mark_compacted(be, in[i]->tenant, in[i]->block_id);
		if (mrc < 0) {
			tc_log_error("msg=\"failed to mark block compacted\" tenant=%s block=%s err=%s",
				     tc_log_q(in[i]->tenant), in[i]->block_id, tc_log_q(tc_error_last()));
			rc = mrc;
			continue;
		}
		res->marked++;
	}
	res->duration_ns = tc_mono_ns() - t0;
	return rc;
}
