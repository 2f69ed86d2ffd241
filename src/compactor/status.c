/*
 * The service's status for the bucket page (status.h): the loops note what
 * they did, tc_service_status takes a consistent copy. Everything here is
 * bookkeeping in memory except the quarantine reasons of the one tenant a
 * page shows, which are read from the markers in the bucket.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/array.h"
#include "src/compactor/selector.h"
#include "src/compactor/service_impl.h"

/* A quarantine marker is a few hundred bytes; anything far bigger is not ours. */
#define MARKER_MAX_BYTES 65536

int tc_service_status_init(tc_service *s)
{
	pthread_mutex_init(&s->status_mu, NULL);
	s->jobs = calloc(TC_STATUS_HISTORY, sizeof(*s->jobs));
	s->retention = calloc(TC_STATUS_HISTORY, sizeof(*s->retention));
	if (!s->jobs || !s->retention) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	return TC_OK;
}

void tc_service_status_dispose(tc_service *s)
{
	free(s->jobs);
	free(s->retention);
	free(s->acts);
	pthread_mutex_destroy(&s->status_mu);
}

/* The tenant's entry, created in name order when missing; NULL when out of memory. Caller holds status_mu. */
static tc_tenant_activity *activity(tc_service *s, const char *tenant, int create)
{
	size_t lo = 0, hi = s->n_acts;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->acts[mid].name, tenant);
		if (c == 0)
			return &s->acts[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!create || tc_array_reserve(s->acts, s->cap_acts, s->n_acts + 1, 0) < 0)
		return NULL;
	memmove(&s->acts[lo + 1], &s->acts[lo], (s->n_acts - lo) * sizeof(*s->acts));
	memset(&s->acts[lo], 0, sizeof(*s->acts));
	snprintf(s->acts[lo].name, sizeof(s->acts[lo].name), "%s", tenant);
	s->n_acts++;
	return &s->acts[lo];
}

void tc_service_note_poll(tc_service *s, const char *tenant, const tc_time *index_time)
{
	tc_tenant_activity *a;

	pthread_mutex_lock(&s->status_mu);
	if ((a = activity(s, tenant, 1))) {
		a->last_poll = tc_time_now();
		if (index_time)
			a->index_time = *index_time;
	}
	pthread_mutex_unlock(&s->status_mu);
}

void tc_service_note_poll_done(tc_service *s, const tc_strlist *tenants)
{
	size_t kept = 0;

	pthread_mutex_lock(&s->status_mu);
	s->last_poll = tc_time_now();
	for (size_t i = 0; i < s->n_acts; i++)
		if (tc_strlist_sorted_contains(tenants, s->acts[i].name))
			s->acts[kept++] = s->acts[i];
	s->n_acts = kept;
	pthread_mutex_unlock(&s->status_mu);
}

void tc_service_note_job(tc_service *s, const tc_job_record *r)
{
	tc_tenant_activity *a;

	pthread_mutex_lock(&s->status_mu);
	s->jobs[s->n_jobs++ % TC_STATUS_HISTORY] = *r;
	if (r->output[0] && (a = activity(s, r->tenant, 1)))
		a->last_compaction = r->finished;
	pthread_mutex_unlock(&s->status_mu);
}

void tc_service_note_compaction_done(tc_service *s)
{
	pthread_mutex_lock(&s->status_mu);
	s->last_compaction = tc_time_now();
	pthread_mutex_unlock(&s->status_mu);
}

void tc_service_note_retention(tc_service *s, const tc_retention_record *r)
{
	pthread_mutex_lock(&s->status_mu);
	s->retention[s->n_retention++ % TC_STATUS_HISTORY] = *r;
	pthread_mutex_unlock(&s->status_mu);
}

void tc_service_note_retention_done(tc_service *s)
{
	pthread_mutex_lock(&s->status_mu);
	s->last_retention = tc_time_now();
	pthread_mutex_unlock(&s->status_mu);
}

void tc_status_dispose(tc_status *st)
{
	if (!st)
		return;
	free(st->tenants);
	free(st->jobs);
	free(st->retention);
	free(st->plan);
	tc_blocklist_dispose(&st->detail);
	tc_strlist_dispose(&st->reasons);
	memset(st, 0, sizeof(*st));
}

/* What the compaction loop would find to do now: the selector over the compactable blocks. */
static int outstanding(tc_status_tenant *t, tc_blocklist *bl, const tc_status *st, const tc_compaction_config *cc)
{
	tc_selector_opts so = { st->compaction_window_ns, cc->max_compaction_objects, cc->max_block_bytes, st->now };
	tc_selector *sel;
	const tc_meta **g;
	size_t n;
	char hash[TC_SELECTOR_HASH_MAX];
	int rc;

	tc_blocklist_drop_quarantined(bl);
	if ((rc = tc_selector_new(&sel, bl->live, bl->n_live, &so)) < 0)
		return rc;
	while (tc_selector_next(&g, &n, hash, sel) == 1) {
		t->outstanding_jobs++;
		t->outstanding_blocks += n;
	}
	tc_selector_free(sel);
	return TC_OK;
}

static int tenant_summary(tc_status_tenant *t, tc_service *s, const char *tenant, const tc_status *st)
{
	tc_blocklist bl;
	tc_retention r;
	int rc;

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", tenant);
	if ((rc = tc_store_snapshot(&bl, s->store, tenant)) < 0)
		return rc;
	t->n_live = bl.n_live;
	t->n_compacted = bl.n_compacted;
	t->n_quarantined = bl.quarantined.n;
	for (size_t i = 0; i < bl.n_live; i++) {
		t->live_bytes += bl.live[i].size;
		t->live_objects += bl.live[i].total_objects;
		if (TC_STATUS_NEVER(t->oldest) || tc_time_cmp(&bl.live[i].start, &t->oldest) < 0)
			t->oldest = bl.live[i].start;
	}
	for (size_t i = 0; i < bl.n_compacted; i++)
		t->compacted_bytes += bl.compacted[i].size;
	tc_retention_effective(&r, s->cfg, s->ov, tenant);
	t->block_retention_ns = r.block_ns > 0 ? r.block_ns : 0;
	rc = outstanding(t, &bl, st, &s->cfg->compactor.compaction);
	tc_blocklist_dispose(&bl);
	return rc;
}

/* "reason since time: error" from the block's nocompact.json; what went wrong reading it otherwise. */
static int quarantine_reason(tc_strlist *out, tc_backend *be, const char *tenant, const char *block)
{
	char key[TC_KEY_MAX], text[1024];
	tc_buf b = TC_BUF_INIT;
	cJSON *j = NULL;
	int rc;

	tc_buf_init(&b, MARKER_MAX_BYTES);
	if ((rc = tc_key_block(key, sizeof(key), tenant, block, TC_QUARANTINE_MARKER)) < 0)
		return rc;
	rc = tc_backend_read(&b, be, key);
	if (rc == TC_OK && !(j = cJSON_ParseWithLength((const char *)b.ptr, b.len)))
		snprintf(text, sizeof(text), "(the marker is not JSON)");
	else if (rc == TC_OK) {
		const char *reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "reason"));
		const char *when = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "time"));
		const char *err = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "error"));
		snprintf(text, sizeof(text), "%s%s%s%s%s", reason ? reason : "(no reason)", when ? " since " : "",
			 when ? when : "", err && *err ? ": " : "", err ? err : "");
	} else if (rc == TC_ECANCELED) {
		tc_buf_dispose(&b);
		return rc;
	} else {
		/* The page still shows the block; it says why the reason is missing. */
		snprintf(text, sizeof(text), "(marker unreadable: %s)", tc_error_last());
	}
	cJSON_Delete(j);
	tc_buf_dispose(&b);
	return tc_strlist_add(out, text);
}

static int tenant_detail(tc_status *out, tc_service *s, const char *tenant)
{
	tc_retention r;
	int rc;

	if ((rc = tc_store_snapshot(&out->detail, s->store, tenant)) < 0)
		return rc;
	out->has_detail = 1;
	out->detail_index = out->n_tenants;
	for (size_t i = 0; i < out->n_tenants; i++)
		if (!strcmp(out->tenants[i].name, tenant))
			out->detail_index = i;
	if (out->detail_index == out->n_tenants) {
		tc_error_set("tenant %s not found in the blocklist", tenant);
		return TC_ENOTFOUND;
	}
	for (size_t i = 0; i < out->detail.quarantined.n; i++)
		if ((rc = quarantine_reason(&out->reasons, s->be, tenant, out->detail.quarantined.items[i])) < 0)
			return rc;
	tc_retention_effective(&r, s->cfg, s->ov, tenant);
	return tc_retention_plan(&out->plan, &out->n_plan, &out->detail, &r, &out->now);
}

/* Copies the ring's records newest first. Caller holds status_mu. */
static int copy_history(void **out, size_t *n_out, const void *ring, size_t recorded, size_t elem)
{
	size_t n = recorded < TC_STATUS_HISTORY ? recorded : TC_STATUS_HISTORY;
	char *dst;

	*n_out = 0;
	if (n == 0)
		return TC_OK;
	if (!(dst = malloc(n * elem))) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	for (size_t i = 0; i < n; i++)
		memcpy(dst + i * elem, (const char *)ring + ((recorded - 1 - i) % TC_STATUS_HISTORY) * elem, elem);
	*out = dst;
	*n_out = n;
	return TC_OK;
}

static int copy_activity(tc_status *out, tc_service *s)
{
	int rc;

	pthread_mutex_lock(&s->status_mu);
	out->last_poll = s->last_poll;
	out->last_compaction = s->last_compaction;
	out->last_retention = s->last_retention;
	for (size_t i = 0; i < out->n_tenants; i++) {
		tc_tenant_activity *a = activity(s, out->tenants[i].name, 0);
		if (a) {
			out->tenants[i].last_poll = a->last_poll;
			out->tenants[i].last_compaction = a->last_compaction;
			out->tenants[i].index_time = a->index_time;
		}
	}
	rc = copy_history((void **)&out->jobs, &out->n_jobs, s->jobs, s->n_jobs, sizeof(*s->jobs));
	if (rc == TC_OK)
		rc = copy_history((void **)&out->retention, &out->n_retention, s->retention, s->n_retention,
				  sizeof(*s->retention));
	pthread_mutex_unlock(&s->status_mu);
	return rc;
}

int tc_service_status(tc_status *out, tc_service *s, const char *tenant)
{
	tc_strlist tenants = TC_STRLIST_INIT;
	int rc;

	memset(out, 0, sizeof(*out));
	out->now = tc_time_now();
	out->read_only = s->read_only;
	snprintf(out->backend, sizeof(out->backend), "%s", tc_backend_name(s->be));
	out->compaction_window_ns = s->cfg->compactor.compaction.compaction_window_ns;
	out->compacted_block_retention_ns = s->cfg->compactor.compaction.compacted_block_retention_ns;
	if (tenant && (rc = tc_tenant_validate(tenant)) < 0)
		return rc;
	if ((rc = tc_store_tenants(&tenants, s->store)) < 0)
		goto cleanup;
	if (tenant && !tc_strlist_contains(&tenants, tenant)) {
		tc_error_set("tenant %s not found in the blocklist", tenant);
		rc = TC_ENOTFOUND;
		goto cleanup;
	}
	if (tenants.n && !(out->tenants = calloc(tenants.n, sizeof(*out->tenants)))) {
		tc_error_set("out of memory");
		rc = TC_ERROR;
		goto cleanup;
	}
	for (size_t i = 0; i < tenants.n; i++) {
		rc = tenant_summary(&out->tenants[out->n_tenants], s, tenants.items[i], out);
		/* A tenant the poller forgot meanwhile is simply not shown. */
		if (rc == TC_ENOTFOUND)
			continue;
		if (rc < 0)
			goto cleanup;
		out->n_tenants++;
	}
	rc = copy_activity(out, s);
	if (rc == TC_OK && tenant)
		rc = tenant_detail(out, s, tenant);
cleanup:
	tc_strlist_dispose(&tenants);
	return rc;
}
