/*
 * One compaction cycle (docs/COMPACTOR.md#compaction-cycle): the next tenant round-robin, the
 * selector over its live blocks, jobs until it finds nothing or the
 * tenant's time is up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/log.h"
#include "src/compactor/compact.h"
#include "src/compactor/selector.h"
#include "src/compactor/service_impl.h"

static void set_in_progress(tc_service *s, const char *id, int on)
{
	pthread_mutex_lock(&s->mu);
	if (on) {
		tc_strlist_add(&s->in_progress, id);
	} else {
		for (size_t i = 0; i < s->in_progress.n; i++) {
			if (!strcmp(s->in_progress.items[i], id)) {
				free(s->in_progress.items[i]);
				s->in_progress.items[i] = s->in_progress.items[--s->in_progress.n];
				break;
			}
		}
	}
	pthread_mutex_unlock(&s->mu);
}

int tc_service_is_in_progress(tc_service *s, const char *block)
{
	int r;
	pthread_mutex_lock(&s->mu);
	r = tc_strlist_contains(&s->in_progress, block);
	pthread_mutex_unlock(&s->mu);
	return r;
}

static void record_success(tc_service *s, const tc_compact_result *r, const tc_meta *const *in, size_t n)
{
	char level[8], ids[4 * (TC_UUID_STR_LEN + 1)] = "";
	uint8_t max_level = 0;
	tc_time now = tc_time_now();

	for (size_t i = 0, used = 0; i < n; i++) {
		if (in[i]->level > max_level)
			max_level = in[i]->level;
		if (used < sizeof(ids))
			used += (size_t)snprintf(ids + used, sizeof(ids) - used, "%s%s", i ? "," : "", in[i]->block_id);
	}
	snprintf(level, sizeof(level), "%u", (unsigned)max_level);
	tc_store_add_live(s->store, &r->output);
	for (size_t i = 0; i < n; i++)
		tc_store_mark_compacted(s->store, in[i]->tenant, in[i]->block_id, &now);
	tc_metrics_add(s->metrics, TC_M_COMPACTION_BLOCKS_TOTAL, (double)r->marked, level, NULL);
	tc_metrics_add(s->metrics, TC_M_COMPACTION_OBJECTS_WRITTEN_TOTAL, (double)r->output.total_objects, level, NULL);
	tc_metrics_add(s->metrics, TC_M_COMPACTION_BYTES_WRITTEN_TOTAL, (double)r->output.size, level, NULL);
	tc_metrics_add(s->metrics, TC_M_COMPACTION_OBJECTS_COMBINED_TOTAL, (double)r->stats.objects_combined, level, NULL);
	tc_metrics_add(s->metrics, TC_M_COMPACTION_SPANS_DEDUPED_TOTAL, (double)r->stats.spans_deduped,
		       r->output.tenant, NULL);
	if (r->stats.spans_discarded) {
		tc_metrics_add(s->metrics, TC_M_COMPACTION_SPANS_DISCARDED_TOTAL, (double)r->stats.spans_discarded,
			       r->output.tenant, NULL);
		tc_metrics_add(s->metrics, TC_M_DISCARDED_SPANS_TOTAL, (double)r->stats.spans_discarded,
			       TC_DISCARD_TRACE_TOO_LARGE, r->output.tenant);
	}
	tc_metrics_observe(s->metrics, TC_M_COMPACTION_DURATION_SECONDS, (double)r->duration_ns / 1e9, NULL, NULL);
	tc_log_info("msg=\"compacted blocks\" tenant=%s inputs=%s output=%s compaction_level=%u objects=%lld "
		    "combined=%llu spans_deduped=%llu bytes=%llu duration=%.3fs",
		    tc_log_q(r->output.tenant), ids, r->output.block_id, (unsigned)r->output.level,
		    (long long)r->output.total_objects, (unsigned long long)r->stats.objects_combined,
		    (unsigned long long)r->stats.spans_deduped, (unsigned long long)r->output.size,
		    (double)r->duration_ns / 1e9);
}

/* Errors that are about the block's bytes, not about reaching the store. */
static int is_data_error(int rc)
{
	return rc == TC_ECORRUPT || rc == TC_ELIMIT || rc == TC_EUNSUPPORTED;
}

/*
 * A block we cannot read would fail every job it is picked for and hold
 * its whole window back; set it aside so the rest of the tenant compacts.
 * It stays live: queriers still read what they can of it.
 */
static void quarantine(tc_service *s, const tc_meta *m, int code)
{
	char err[1024];

	snprintf(err, sizeof(err), "%s", tc_error_last());
	if (tc_blocklist_quarantine(s->be, m->tenant, m->block_id, tc_error_code_name(code), err) < 0) {
		tc_log_error("msg=\"failed to quarantine block\" tenant=%s block=%s err=%s", tc_log_q(m->tenant),
			     m->block_id, tc_log_q(tc_error_last()));
		return;
	}
	tc_store_quarantine(s->store, m->tenant, m->block_id);
	tc_metrics_add(s->metrics, TC_M_COMPACTION_BLOCKS_QUARANTINED_TOTAL, 1, m->tenant, NULL);
	tc_log_warn("msg=\"quarantined block: it is skipped by compaction until unquarantined\" tenant=%s block=%s "
		    "reason=%s err=%s", tc_log_q(m->tenant), m->block_id, tc_error_code_name(code), tc_log_q(err));
}

static int run_job(tc_service *s, const tc_meta *const *in, size_t n)
{
	const tc_config *c = s->cfg;
	tc_compact_opts o = { .block = c->storage.block,
			      .chunk_size_bytes = c->compactor.compaction.chunk_size_bytes,
			      .flush_size_bytes = c->compactor.compaction.flush_size_bytes,
			      .max_bytes_per_trace = tc_overrides_max_bytes_per_trace(s->ov, in[0]->tenant),
			      .cancel = &s->cancel };
	tc_compact_result r;
	tc_uuid u;
	char out_id[TC_UUID_STR_LEN + 1];
	int rc;

	/* Chosen here so the poller knows not to clean the output while it is being written. */
	if ((rc = tc_uuid_v4(&u)) < 0)
		return rc;
	tc_uuid_format(out_id, &u);
	o.output_block_id = out_id;
	set_in_progress(s, out_id, 1);
	rc = tc_compact_blocks(&r, s->be, in, n, &o);
	set_in_progress(s, out_id, 0);
	if (rc == TC_OK || r.marked > 0) {
		record_success(s, &r, in, n);
		return rc;
	}
	if (rc == TC_ENOTFOUND) {
		tc_log_warn("msg=\"skipping compaction: an input is gone\" tenant=%s err=%s", tc_log_q(in[0]->tenant),
			    tc_log_q(tc_error_last()));
		return rc;
	}
	tc_metrics_add(s->metrics, TC_M_COMPACTION_ERRORS_TOTAL, 1, NULL, NULL);
	tc_log_error("msg=\"compaction failed\" tenant=%s block=%s err=%s", tc_log_q(in[0]->tenant),
		     r.failed_input >= 0 ? in[r.failed_input]->block_id : "-", tc_log_q(tc_error_last()));
	if (r.failed_input >= 0 && is_data_error(rc))
		quarantine(s, in[r.failed_input], rc);
	return rc;
}

static int compact_tenant(tc_service *s, const char *tenant)
{
	const tc_compaction_config *cc = &s->cfg->compactor.compaction;
	tc_selector_opts so = { cc->compaction_window_ns, cc->max_compaction_objects, cc->max_block_bytes,
				tc_time_now() };
	tc_blocklist bl;
	tc_selector *sel = NULL;
	const tc_meta **group;
	size_t n;
	char hash[TC_SELECTOR_HASH_MAX];
	uint64_t start = tc_mono_ns();
	int rc;

	if ((rc = tc_store_snapshot(&bl, s->store, tenant)) < 0)
		return rc;
	tc_blocklist_drop_quarantined(&bl);
	if ((rc = tc_selector_new(&sel, bl.live, bl.n_live, &so)) < 0)
		goto cleanup;
	while (!atomic_load(&s->stopping) && tc_selector_next(&group, &n, hash, sel) == 1) {
		run_job(s, group, n);
		if ((int64_t)(tc_mono_ns() - start) > cc->max_time_per_tenant_ns) {
			tc_log_info("msg=\"max time per tenant reached\" tenant=%s", tc_log_q(tenant));
			break;
		}
	}
	tc_metrics_set(s->metrics, TC_M_COMPACTION_OUTSTANDING_BLOCKS, (double)tc_selector_outstanding(sel),
		       tenant, NULL);
cleanup:
	tc_selector_free(sel);
	tc_blocklist_dispose(&bl);
	return rc;
}

int tc_service_compact_once(tc_service *s)
{
	tc_strlist tenants = TC_STRLIST_INIT;
	int rc = tc_store_tenants(&tenants, s->store);

	if (rc == TC_OK && tenants.n > 0) {
		/* Tempo advances first, so with two or more tenants the first cycle takes index 1. */
		s->tenant_offset = (s->tenant_offset + 1) % tenants.n;
		rc = compact_tenant(s, tenants.items[s->tenant_offset]);
	}
	tc_strlist_dispose(&tenants);
	return rc;
}
