#include "src/compactor/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/array.h"

typedef enum change_kind { CH_ADD, CH_COMPACT, CH_REMOVE, CH_QUARANTINE } change_kind;

typedef struct change {
	uint64_t seq;
	change_kind kind;
	tc_meta meta; /* CH_ADD: the meta; else tenant, block_id and compacted_time */
} change;

typedef struct tenant_lists {
	char name[TC_TENANT_MAX + 1];
	tc_blocklist bl;
	size_t cap_live, cap_compacted;
	change *changes;
	size_t n_changes, cap_changes;
} tenant_lists;

struct tc_store {
	pthread_mutex_t mu;
	tenant_lists *t;
	size_t n, cap;
	uint64_t seq;
};

int tc_store_new(tc_store **out)
{
	tc_store *s = calloc(1, sizeof(*s));
	if (!s) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	pthread_mutex_init(&s->mu, NULL);
	*out = s;
	return TC_OK;
}

void tc_store_free(tc_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		tc_blocklist_dispose(&s->t[i].bl);
		free(s->t[i].changes);
	}
	free(s->t);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* Tenants are kept sorted by name: a bucket may hold 10,000 of them. */
static tenant_lists *find(tc_store *s, const char *tenant, int create)
{
	size_t lo = 0, hi = s->n;
	tenant_lists *t;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->t[mid].name, tenant);
		if (c == 0)
			return &s->t[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!create)
		return NULL;
	if (tc_array_reserve(s->t, s->cap, s->n + 1, 0) < 0)
		return NULL;
	memmove(&s->t[lo + 1], &s->t[lo], (s->n - lo) * sizeof(*s->t));
	s->n++;
	t = &s->t[lo];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", tenant);
	return t;
}

static long index_of(const tc_meta *arr, size_t n, const char *block)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(arr[i].block_id, block))
			return (long)i;
	return -1;
}

static void drop_at(tc_meta *arr, size_t *n, long i)
{
	memmove(&arr[i], &arr[i + 1], (*n - (size_t)i - 1) * sizeof(*arr));
	(*n)--;
}

static int apply(tenant_lists *t, const change *c)
{
	tc_blocklist *bl = &t->bl;
	long i;
	int rc;

	switch (c->kind) {
	case CH_ADD:
		if (index_of(bl->live, bl->n_live, c->meta.block_id) >= 0)
			return TC_OK;
		if ((rc = tc_array_reserve(bl->live, t->cap_live, bl->n_live + 1, 0)) < 0)
			return rc;
		bl->live[bl->n_live++] = c->meta;
		return TC_OK;
	case CH_COMPACT:
		if ((i = index_of(bl->live, bl->n_live, c->meta.block_id)) < 0)
			return TC_OK;
		if ((rc = tc_array_reserve(bl->compacted, t->cap_compacted, bl->n_compacted + 1, 0)) < 0)
			return rc;
		bl->compacted[bl->n_compacted] = bl->live[i];
		bl->compacted[bl->n_compacted].compacted = 1;
		bl->compacted[bl->n_compacted].compacted_time = c->meta.compacted_time;
		bl->n_compacted++;
		drop_at(bl->live, &bl->n_live, i);
		return TC_OK;
	case CH_QUARANTINE:
		if (tc_strlist_contains(&bl->quarantined, c->meta.block_id))
			return TC_OK;
		return tc_strlist_add(&bl->quarantined, c->meta.block_id);
	case CH_REMOVE:
		if ((i = index_of(bl->live, bl->n_live, c->meta.block_id)) >= 0)
			drop_at(bl->live, &bl->n_live, i);
		if ((i = index_of(bl->compacted, bl->n_compacted, c->meta.block_id)) >= 0)
			drop_at(bl->compacted, &bl->n_compacted, i);
		return TC_OK;
	}
	return TC_OK;
}

static int record(tc_store *s, const char *tenant, change *c)
{
	tenant_lists *t;
	int rc = TC_ERROR; /* find() set the message */

	pthread_mutex_lock(&s->mu);
	t = find(s, tenant, 1);
	if (!t || (rc = tc_array_reserve(t->changes, t->cap_changes, t->n_changes + 1, 0)) < 0)
		goto out;
	c->seq = ++s->seq;
	t->changes[t->n_changes++] = *c;
	rc = apply(t, c);
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int tc_store_add_live(tc_store *s, const tc_meta *m)
{
	change c = { .kind = CH_ADD, .meta = *m };
	return record(s, m->tenant, &c);
}

int tc_store_mark_compacted(tc_store *s, const char *tenant, const char *block, const tc_time *when)
{
	change c = { .kind = CH_COMPACT };
	snprintf(c.meta.block_id, sizeof(c.meta.block_id), "%s", block);
	c.meta.compacted_time = *when;
	return record(s, tenant, &c);
}

int tc_store_quarantine(tc_store *s, const char *tenant, const char *block)
{
	change c = { .kind = CH_QUARANTINE };
	snprintf(c.meta.block_id, sizeof(c.meta.block_id), "%s", block);
	return record(s, tenant, &c);
}

int tc_store_remove(tc_store *s, const char *tenant, const char *block)
{
	change c = { .kind = CH_REMOVE };
	snprintf(c.meta.block_id, sizeof(c.meta.block_id), "%s", block);
	return record(s, tenant, &c);
}

uint64_t tc_store_seq(tc_store *s)
{
	uint64_t v;
	pthread_mutex_lock(&s->mu);
	v = s->seq;
	pthread_mutex_unlock(&s->mu);
	return v;
}

int tc_store_replace(tc_store *s, const char *tenant, tc_blocklist *bl, uint64_t poll_seq)
{
	tenant_lists *t;
	size_t keep = 0;
	int rc = TC_OK;

	pthread_mutex_lock(&s->mu);
	t = find(s, tenant, 1);
	if (!t) {
		pthread_mutex_unlock(&s->mu);
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	tc_blocklist_dispose(&t->bl);
	t->bl = *bl;
	t->cap_live = bl->n_live;
	t->cap_compacted = bl->n_compacted;
	memset(bl, 0, sizeof(*bl));
	/* The poll saw everything up to poll_seq; later changes still need applying. */
	for (size_t i = 0; i < t->n_changes; i++) {
		if (t->changes[i].seq <= poll_seq)
			continue;
		if (apply(t, &t->changes[i]) < 0)
			rc = TC_ERROR;
		t->changes[keep++] = t->changes[i];
	}
	t->n_changes = keep;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void tc_store_retain_tenants(tc_store *s, const tc_strlist *tenants)
{
	size_t kept = 0;

	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n; i++) {
		if (tc_strlist_sorted_contains(tenants, s->t[i].name)) {
			s->t[kept++] = s->t[i];
			continue;
		}
		tc_blocklist_dispose(&s->t[i].bl);
		free(s->t[i].changes);
	}
	s->n = kept;
	pthread_mutex_unlock(&s->mu);
}

int tc_store_tenants(tc_strlist *out, tc_store *s)
{
	int rc = TC_OK;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n && rc == TC_OK; i++)
		rc = tc_strlist_add(out, s->t[i].name);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int copy_arr(tc_meta **dst, const tc_meta *src, size_t n)
{
	*dst = NULL;
	if (!n)
		return TC_OK;
	*dst = malloc(n * sizeof(**dst));
	if (!*dst) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	memcpy(*dst, src, n * sizeof(**dst));
	return TC_OK;
}

int tc_store_snapshot(tc_blocklist *out, tc_store *s, const char *tenant)
{
	tenant_lists *t;
	int rc;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->mu);
	t = find(s, tenant, 0);
	if (!t) {
		pthread_mutex_unlock(&s->mu);
		tc_error_set("unknown tenant %s", tenant);
		return TC_ENOTFOUND;
	}
	rc = copy_arr(&out->live, t->bl.live, t->bl.n_live);
	if (rc == TC_OK)
		rc = copy_arr(&out->compacted, t->bl.compacted, t->bl.n_compacted);
	for (size_t i = 0; rc == TC_OK && i < t->bl.quarantined.n; i++)
		rc = tc_strlist_add(&out->quarantined, t->bl.quarantined.items[i]);
	if (rc == TC_OK) {
		out->n_live = t->bl.n_live;
		out->n_compacted = t->bl.n_compacted;
	}
	pthread_mutex_unlock(&s->mu);
	if (rc < 0)
		tc_blocklist_dispose(out);
	return rc;
}

static int by_block_id(const void *a, const void *b)
{
	return strcmp((*(const tc_meta *const *)a)->block_id, (*(const tc_meta *const *)b)->block_id);
}

int tc_store_lookup(tc_store *s, const char *tenant, char *const *blocks, size_t n,
		    void (*fn)(void *ctx, size_t i, const tc_meta *m), void *ctx)
{
	const tc_meta **idx = NULL;
	tenant_lists *t;
	size_t total, j = 0;

	pthread_mutex_lock(&s->mu);
	t = find(s, tenant, 0);
	total = t ? t->bl.n_live + t->bl.n_compacted : 0;
	if (total && !(idx = malloc(total * sizeof(*idx)))) {
		pthread_mutex_unlock(&s->mu);
		tc_error_set("out of memory indexing %zu blocks", total);
		return TC_ERROR;
	}
	for (size_t i = 0; i < total; i++)
		idx[i] = i < t->bl.n_live ? &t->bl.live[i] : &t->bl.compacted[i - t->bl.n_live];
	if (total > 1)
		qsort(idx, total, sizeof(*idx), by_block_id);
	/* Both sides sorted by name: one merge. */
	for (size_t i = 0; i < n && j < total; i++) {
		int c = 1;
		while (j < total && (c = strcmp(idx[j]->block_id, blocks[i])) < 0)
			j++;
		if (j < total && c == 0)
			fn(ctx, i, idx[j]);
	}
	pthread_mutex_unlock(&s->mu);
	free(idx);
	return TC_OK;
}

int tc_store_unchanged(tc_store *s, const char *tenant, size_t blocks)
{
	tenant_lists *t;
	int r;

	pthread_mutex_lock(&s->mu);
	t = find(s, tenant, 0);
	r = t && t->n_changes == 0 && t->bl.n_live + t->bl.n_compacted == blocks;
	pthread_mutex_unlock(&s->mu);
	return r;
}

int tc_store_with_lists(tc_store *s, const char *tenant, void (*fn)(void *ctx, const tc_blocklist *bl), void *ctx)
{
	tenant_lists *t;

	pthread_mutex_lock(&s->mu);
	t = find(s, tenant, 0);
	if (t)
		fn(ctx, &t->bl);
	pthread_mutex_unlock(&s->mu);
	if (!t) {
		tc_error_set("unknown tenant %s", tenant);
		return TC_ENOTFOUND;
	}
	return TC_OK;
}
