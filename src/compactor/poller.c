/*
 * Blocklist poller (docs/COMPACTOR.md#blocklist-poller): lists tenants and blocks, reads their
 * metas, installs the lists in the store and writes each tenant's
 * index.json.gz for queriers. Every replica polls everything; with a ring
 * only a tenant's index builders write its index, and only a block's owner
 * removes it when it is partial.
 */
#include <stdio.h>
#include <string.h>

#include "encoding/tenant_index.h"
#include "src/util/log.h"
#include "src/compactor/pollcache.h"
#include "src/compactor/service_impl.h"

/* Partial blocks younger than this may still be being written by an ingester. */
static int64_t partial_grace_ns(const tc_service *s)
{
	return s->cfg->compactor.compaction.partial_block_grace_ns;
}

/*
 * Removes partial blocks (no meta.json, no meta.compacted.json) left by a
 * crashed or canceled writer, once nothing has touched them for the grace
 * period and no job of ours is writing them.
 */
static void clean_partials(tc_service *s, const char *tenant, const tc_strlist *partial)
{
	tc_time now = tc_time_now();
	int64_t now_ns = now.sec * 1000000000LL + now.nsec;

	for (size_t i = 0; i < partial->n; i++) {
		const char *b = partial->items[i];
		int64_t newest;
		if (tc_service_is_in_progress(s, b) || tc_service_owns(s, b) != 1)
			continue;
		if (tc_blocklist_newest_mtime(&newest, s->be, tenant, b) < 0 || now_ns - newest < partial_grace_ns(s))
			continue;
		if (tc_backend_clear_block(s->be, tenant, b) < 0) {
			tc_log_error("msg=\"failed to remove partial block\" tenant=%s block=%s err=%s",
				     tc_log_q(tenant), b, tc_log_q(tc_error_last()));
			continue;
		}
		tc_metrics_add(s->metrics, TC_M_COMPACTION_PARTIAL_BLOCKS_CLEANED_TOTAL, 1, tenant, NULL);
		tc_log_info("msg=\"removed partial block\" tenant=%s block=%s", tc_log_q(tenant), b);
	}
}

/* Uploads a killed writer left open are partial blocks too: same grace, same metric. */
static void abort_stale_uploads(tc_service *s)
{
	tc_time before = tc_time_now();
	int64_t grace = partial_grace_ns(s);
	size_t n;

	before.sec -= grace / 1000000000LL;
	if (tc_backend_abort_stale_uploads(&n, s->be, &before) < 0) {
		tc_log_error("msg=\"failed to abort stale uploads\" err=%s", tc_log_q(tc_error_last()));
		return;
	}
	if (n) {
		tc_metrics_add(s->metrics, TC_M_COMPACTION_PARTIAL_BLOCKS_CLEANED_TOTAL, (double)n, "", NULL);
		tc_log_info("msg=\"aborted stale multipart uploads\" count=%zu", n);
	}
}

/*
 * Blocks retention should remove (docs/COMPACTOR.md#retention): live ones
 * past the tenant's retention, compacted ones past compacted_block_retention.
 * Counted here, not by retention itself, so a retention that has stopped
 * running still shows.
 */
static double expired_blocks(tc_service *s, const char *tenant, const tc_blocklist *bl)
{
	tc_time now = tc_time_now();
	int64_t now_ns = now.sec * 1000000000LL + now.nsec;
	int64_t retention = tc_overrides_block_retention_ns(s->ov, tenant);
	int64_t grace = s->cfg->compactor.compaction.compacted_block_retention_ns;
	double n = 0;

	for (size_t i = 0; retention > 0 && i < bl->n_live; i++) {
		const tc_time *t = &bl->live[i].end;
		n += t->sec * 1000000000LL + t->nsec < now_ns - retention;
	}
	for (size_t i = 0; i < bl->n_compacted; i++) {
		const tc_time *t = &bl->compacted[i].compacted_time;
		n += t->sec * 1000000000LL + t->nsec < now_ns - grace;
	}
	return n;
}

static void publish(tc_service *s, const char *tenant, const tc_blocklist *bl)
{
	double objs[2] = { 0, 0 }, bytes[2] = { 0, 0 };

	for (size_t i = 0; i < bl->n_live; i++) {
		objs[0] += (double)bl->live[i].total_objects;
		bytes[0] += (double)bl->live[i].size;
	}
	for (size_t i = 0; i < bl->n_compacted; i++) {
		objs[1] += (double)bl->compacted[i].total_objects;
		bytes[1] += (double)bl->compacted[i].size;
	}
	tc_metrics_set(s->metrics, TC_M_BLOCKLIST_LENGTH, (double)bl->n_live, tenant, NULL);
	tc_metrics_set(s->metrics, TC_M_BACKEND_OBJECTS_TOTAL, objs[0], tenant, "live");
	tc_metrics_set(s->metrics, TC_M_BACKEND_OBJECTS_TOTAL, objs[1], tenant, "compacted");
	tc_metrics_set(s->metrics, TC_M_BACKEND_BYTES_TOTAL, bytes[0], tenant, "live");
	tc_metrics_set(s->metrics, TC_M_BACKEND_BYTES_TOTAL, bytes[1], tenant, "compacted");
	tc_metrics_set(s->metrics, TC_M_RETENTION_EXPIRED_BLOCKS, expired_blocks(s, tenant, bl), tenant,
		       NULL);
}

typedef struct publish_ctx {
	tc_service *s;
	const char *tenant;
} publish_ctx;

static void publish_cb(void *ctx, const tc_blocklist *bl)
{
	publish_ctx *p = ctx;
	publish(p->s, p->tenant, bl);
}

/* publish() from the store's lists, left in place by a poll that found nothing changed. */
static void publish_stored(tc_service *s, const char *tenant)
{
	publish_ctx p = { s, tenant };
	tc_store_with_lists(s->store, tenant, publish_cb, &p);
}

/*
 * Tempo's tenant index builders: a replica writes tenant T's index when it
 * owns any of "build-tenant-index-<i>-<T>", i < blocklist_poll_tenant_index_builders,
 * so a few replicas (not all, not one that may be gone) write each index.
 * 1 builder, 0 not, < 0 when the ring cannot say.
 */
static int is_index_builder(tc_service *s, const char *tenant)
{
	uint32_t n = s->cfg->storage.blocklist_poll_tenant_index_builders;
	char key[TC_TENANT_MAX + 64];

	if (!s->ring)
		return 1;
	for (uint32_t i = 0; i < n; i++) {
		int owns;
		snprintf(key, sizeof(key), "build-tenant-index-%u-%s", (unsigned)i, tenant);
		if ((owns = tc_service_owns(s, key)) != 0)
			return owns;
	}
	return 0;
}

static int write_tenant_index(tc_service *s, const char *tenant, const tc_blocklist *bl)
{
	tc_buf gz = TC_BUF_INIT;
	tc_time now = tc_time_now();
	char key[TC_KEY_MAX];
	int rc;

	if ((rc = tc_key_tenant(key, sizeof(key), tenant, "index.json.gz")) == TC_OK &&
	    (rc = tc_tenant_index_write(&gz, &now, bl->live, bl->n_live, bl->compacted, bl->n_compacted)) == TC_OK)
		rc = tc_backend_write(s->be, key, gz.ptr, gz.len);
	tc_buf_dispose(&gz);
	if (rc < 0) {
		tc_metrics_add(s->metrics, TC_M_TENANT_INDEX_ERRORS_TOTAL, 1, tenant, NULL);
		tc_log_error("msg=\"failed to write tenant index\" tenant=%s err=%s", tc_log_q(tenant),
			     tc_log_q(tc_error_last()));
		return rc;
	}
	tc_metrics_set(s->metrics, TC_M_TENANT_INDEX_BUILDER, 1, tenant, NULL);
	tc_metrics_set(s->metrics, TC_M_TENANT_INDEX_AGE_SECONDS, 0, tenant, NULL);
	tc_log_debug("msg=\"wrote tenant index\" tenant=%s live=%zu compacted=%zu", tc_log_q(tenant),
		     bl->n_live, bl->n_compacted);
	return TC_OK;
}

/*
 * The tenant's counters exist at 0 from its first poll on, so dashboards
 * show it and increase() counts its first event. Cheap enough to repeat
 * every poll: existing series are left as they are.
 */
static void declare_tenant(tc_service *s, const char *tenant)
{
	static const tc_metric_id per_tenant[] = {
		TC_M_COMPACTION_SPANS_DEDUPED_TOTAL, TC_M_COMPACTION_SPANS_DISCARDED_TOTAL,
		TC_M_COMPACTION_PARTIAL_BLOCKS_CLEANED_TOTAL, TC_M_COMPACTION_BLOCKS_QUARANTINED_TOTAL,
		TC_M_POLL_ERRORS_TOTAL, TC_M_TENANT_INDEX_ERRORS_TOTAL,
	};

	for (size_t i = 0; i < sizeof(per_tenant) / sizeof(per_tenant[0]); i++)
		tc_metrics_touch(s->metrics, per_tenant[i], tenant, NULL);
	tc_metrics_touch(s->metrics, TC_M_DISCARDED_SPANS_TOTAL, TC_DISCARD_TRACE_TOO_LARGE, tenant);
}

/* For the page of a read-only service: when whoever builds the tenant index last wrote it. */
static void note_index_in_bucket(tc_service *s, const char *tenant)
{
	char key[TC_KEY_MAX];
	tc_stat st;
	tc_time never = { 0, 0, 0 };

	if (tc_key_tenant(key, sizeof(key), tenant, "index.json.gz") == TC_OK && tc_backend_stat(&st, s->be, key) == TC_OK)
		tc_service_note_poll(s, tenant, &st.mtime);
	else
		tc_service_note_poll(s, tenant, &never);
}

/*
 * Whether this poll rewrites the tenant's index (docs/COMPACTOR.md#incremental-polling):
 * when its lists changed, when this replica has not written it yet (or the
 * last write failed), or when it would otherwise be older than
 * TC_INDEX_MAX_AGE_NS by the next poll, so queriers' staleness checks and
 * the TempoTenantIndexTooOld alert (600 s) stay quiet.
 */
static int index_due(tc_service *s, const char *tenant, int changed, uint64_t now_mono)
{
	uint64_t written = tc_pollcache_index_written(s->pollcache, tenant);
	int64_t period = s->cfg->storage.blocklist_poll_ns;

	return changed || !written || (int64_t)(now_mono - written) + period >= TC_INDEX_MAX_AGE_NS;
}

/* The index stays as the last poll wrote it: its age goes on, the page keeps its time. */
static void index_kept(tc_service *s, const char *tenant, uint64_t now_mono)
{
	uint64_t age = now_mono - tc_pollcache_index_written(s->pollcache, tenant);

	tc_metrics_set(s->metrics, TC_M_TENANT_INDEX_BUILDER, 1, tenant, NULL);
	tc_metrics_set(s->metrics, TC_M_TENANT_INDEX_AGE_SECONDS, (double)age / 1e9, tenant, NULL);
	tc_service_note_poll(s, tenant, NULL);
}

static void write_index_if_due(tc_service *s, const char *tenant, const tc_blocklist *bl, int changed, int builder)
{
	uint64_t now_mono = tc_mono_ns();

	if (builder == 1 && !index_due(s, tenant, changed, now_mono)) {
		index_kept(s, tenant, now_mono);
		return;
	}
	if (builder == 1 && write_tenant_index(s, tenant, bl) == TC_OK) {
		tc_time now = tc_time_now();
		tc_pollcache_set_index_written(s->pollcache, tenant, now_mono ? now_mono : 1);
		tc_service_note_poll(s, tenant, &now);
		return;
	}
	/* Not a builder, or the write failed: the next poll that builds writes it whatever changed. */
	tc_pollcache_set_index_written(s->pollcache, tenant, 0);
	if (builder == 0)
		tc_metrics_set(s->metrics, TC_M_TENANT_INDEX_BUILDER, 0, tenant, NULL);
	tc_service_note_poll(s, tenant, NULL);
}

static int poll_tenant(tc_service *s, const char *tenant, int full)
{
	tc_blocklist bl;
	tc_poll_stats st;
	uint64_t seq = tc_store_seq(s->store);
	int builder = s->read_only ? 0 : is_index_builder(s, tenant), rc;

	declare_tenant(s, tenant);
	/* Lists left in place only while no index write is due: a write needs them built. */
	rc = tc_pollcache_read_tenant(&bl, &st, s->pollcache, s->be, s->store, tenant,
				      s->cfg->storage.blocklist_poll_concurrency, full,
				      builder != 1 || !index_due(s, tenant, 0, tc_mono_ns()));
	if (rc == TC_ECANCELED) {
		/* a shutdown, not a fault of the tenant's: the last good blocklist stays */
		tc_log_info("msg=\"tenant poll canceled\" tenant=%s", tc_log_q(tenant));
		return rc;
	}
	if (rc < 0) {
		tc_metrics_add(s->metrics, TC_M_POLL_ERRORS_TOTAL, 1, tenant, NULL);
		tc_log_error("msg=\"failed to poll tenant\" tenant=%s err=%s", tc_log_q(tenant),
			     tc_log_q(tc_error_last()));
		return rc;
	}
	/* Unreadable metas and foreign names were logged and skipped; count them too. */
	if (bl.skipped)
		tc_metrics_add(s->metrics, TC_M_POLL_ERRORS_TOTAL, (double)bl.skipped, tenant, NULL);
	if (st.unchanged) {
		/* Nothing changed: the store's lists stand; only the partial blocks and the gauges are seen to. */
		if (s->read_only) {
			note_index_in_bucket(s, tenant);
		} else {
			clean_partials(s, tenant, &bl.partial);
			if (builder == 1) {
				index_kept(s, tenant, tc_mono_ns());
			} else {
				if (builder == 0)
					tc_metrics_set(s->metrics, TC_M_TENANT_INDEX_BUILDER, 0, tenant, NULL);
				tc_service_note_poll(s, tenant, NULL);
			}
		}
		tc_blocklist_dispose(&bl);
		publish_stored(s, tenant);
		tc_log_debug("msg=\"polled tenant\" tenant=%s listed=%zu read=0 reused=%zu unchanged=1",
			     tc_log_q(tenant), st.listed, st.reused);
		return TC_OK;
	}
	if (s->read_only) {
		/* Watching only: the index is what the bucket holds, and nothing is cleaned or written. */
		tc_strlist_dispose(&bl.partial);
		note_index_in_bucket(s, tenant);
	} else {
		clean_partials(s, tenant, &bl.partial);
		tc_strlist_dispose(&bl.partial);
		write_index_if_due(s, tenant, &bl, st.changed, builder);
	}
	publish(s, tenant, &bl);
	tc_log_debug("msg=\"polled tenant\" tenant=%s live=%zu compacted=%zu listed=%zu read=%zu reused=%zu "
		     "changed=%d full=%d", tc_log_q(tenant), bl.n_live, bl.n_compacted, st.listed, st.read,
		     st.reused, st.changed, full);
	return tc_store_replace(s->store, tenant, &bl, seq);
}

/* Tenants that left the bucket: their per-tenant series go with them. */
static void forget_gone(tc_service *s, const tc_strlist *before, const tc_strlist *now)
{
	tc_strlist gone = TC_STRLIST_INIT;

	for (size_t i = 0; i < before->n; i++)
		if (!tc_strlist_sorted_contains(now, before->items[i]) && tc_strlist_add(&gone, before->items[i]) < 0)
			break;
	if (gone.n) {
		tc_metrics_forget_tenants(s->metrics, &gone);
		tc_log_info("msg=\"tenants left the bucket\" count=%zu first=%s", gone.n, tc_log_q(gone.items[0]));
	}
	tc_strlist_dispose(&gone);
}

int tc_service_poll_once(tc_service *s)
{
	tc_strlist tenants = TC_STRLIST_INIT, before = TC_STRLIST_INIT;
	uint64_t t0 = tc_mono_ns();
	uint32_t every = s->cfg->storage.blocklist_poll_full_every;
	int full, rc = tc_blocklist_tenants(&tenants, s->be);

	if (rc < 0) {
		if (rc == TC_ECANCELED) {
			tc_log_info("msg=\"blocklist poll canceled\"");
		} else {
			tc_metrics_add(s->metrics, TC_M_POLL_ERRORS_TOTAL, 1, "", NULL);
			tc_log_error("msg=\"failed to list tenants\" err=%s", tc_log_q(tc_error_last()));
		}
		tc_strlist_dispose(&tenants);
		return rc;
	}
	/* The first poll, and every Nth after it, reads every block (docs/COMPACTOR.md#incremental-polling). */
	full = every <= 1 || s->polls % every == 0;
	s->polls++;
	for (size_t i = 0; i < tenants.n && !atomic_load(&s->stopping); i++) {
		int trc = poll_tenant(s, tenants.items[i], full);
		if (trc == TC_ECANCELED) {
			tc_strlist_dispose(&tenants);
			return trc;
		}
		if (trc < 0)
			rc = TC_ERROR;
	}
	if (!s->read_only)
		abort_stale_uploads(s);
	if (tc_store_tenants(&before, s->store) == TC_OK)
		forget_gone(s, &before, &tenants);
	tc_strlist_dispose(&before);
	tc_store_retain_tenants(s->store, &tenants);
	tc_pollcache_retain_tenants(s->pollcache, &tenants);
	tc_service_note_poll_done(s, &tenants);
	tc_metrics_observe(s->metrics, TC_M_POLL_DURATION_SECONDS, (double)(tc_mono_ns() - t0) / 1e9, NULL, NULL);
	tc_strlist_dispose(&tenants);
	return rc;
}
