#include "src/compactor/pollcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/array.h"
#include "src/util/fnv.h"
#include "src/util/log.h"

/* Blocks read per batch: bounds the read records (~1 KiB each) a first poll of a huge tenant holds. */
#define READ_BATCH 1024

typedef enum block_state {
	ST_NONE,      /* not seen before */
	ST_PENDING,   /* to be read this poll */
	ST_LIVE,
	ST_COMPACTED,
	ST_PARTIAL,   /* neither meta: being written, or left by a crash */
	ST_FAILED,    /* unreadable this poll: dropped, so the next poll reads it again */
} block_state;

typedef struct entry {
	char name[TC_UUID_STR_LEN + 1];
	uint8_t state;
	uint8_t was;         /* the state before this poll, while pending */
	uint8_t quarantined;
	uint8_t objects;     /* the listing's TC_BLOCK_* flags */
	uint64_t version;    /* the listing's; 0 never matches */
	uint64_t meta_hash;  /* of the meta as read: a rewritten meta changes the index */
	tc_time compacted_time;
} entry;

typedef struct tenant_cache {
	char name[TC_TENANT_MAX + 1];
	entry *e; /* sorted by name */
	size_t n;
	uint64_t index_written;
} tenant_cache;

struct tc_pollcache {
	tenant_cache *t; /* sorted by name */
	size_t n, cap;
};

int tc_pollcache_new(tc_pollcache **out)
{
	if (!(*out = calloc(1, sizeof(**out)))) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	return TC_OK;
}

void tc_pollcache_free(tc_pollcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->t[i].e);
	free(c->t);
	free(c);
}

static tenant_cache *find(tc_pollcache *c, const char *tenant, int create)
{
	size_t lo = 0, hi = c->n;
	tenant_cache *t;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(c->t[mid].name, tenant);
		if (r == 0)
			return &c->t[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!create || tc_array_reserve(c->t, c->cap, c->n + 1, 0) < 0)
		return NULL;
	memmove(&c->t[lo + 1], &c->t[lo], (c->n - lo) * sizeof(*c->t));
	c->n++;
	t = &c->t[lo];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", tenant);
	return t;
}

void tc_pollcache_retain_tenants(tc_pollcache *c, const tc_strlist *tenants)
{
	size_t kept = 0;

	for (size_t i = 0; i < c->n; i++) {
		if (tc_strlist_sorted_contains(tenants, c->t[i].name))
			c->t[kept++] = c->t[i];
		else
			free(c->t[i].e);
	}
	c->n = kept;
}

uint64_t tc_pollcache_index_written(tc_pollcache *c, const char *tenant)
{
	tenant_cache *t = find(c, tenant, 0);
	return t ? t->index_written : 0;
}

void tc_pollcache_set_index_written(tc_pollcache *c, const char *tenant, uint64_t mono_ns)
{
	tenant_cache *t = find(c, tenant, 1);
	if (t)
		t->index_written = mono_ns;
}

static int in_index(uint8_t state)
{
	return state == ST_LIVE || state == ST_COMPACTED;
}

/* What is being built: the lists, their capacities, and the first error. */
typedef struct build {
	tc_blocklist *out;
	size_t cap_live, cap_comp;
	entry *ne;
	size_t *reuse_at; /* reuse k is ne[reuse_at[k]] */
	uint8_t *found;
	int rc;
} build;

static int push(build *b, const tc_meta *m, int quarantined)
{
	tc_blocklist *bl = b->out;
	int rc;

	if (m->compacted) {
		if ((rc = tc_array_reserve(bl->compacted, b->cap_comp, bl->n_compacted + 1, 0)) < 0)
			return rc;
		bl->compacted[bl->n_compacted++] = *m;
		return TC_OK;
	}
	if ((rc = tc_array_reserve(bl->live, b->cap_live, bl->n_live + 1, 0)) < 0)
		return rc;
	bl->live[bl->n_live++] = *m;
	return quarantined ? tc_strlist_add(&bl->quarantined, m->block_id) : TC_OK;
}

/* tc_store_lookup's callback: an unchanged block's meta, with the state this cache saw in the bucket. */
static void take_stored(void *ctx, size_t k, const tc_meta *m)
{
	build *b = ctx;
	entry *e = &b->ne[b->reuse_at[k]];
	tc_meta copy = *m;
	int rc;

	/* A local change the bucket does not show (a failed mark) must not stick: the listing wins. */
	copy.compacted = e->state == ST_COMPACTED;
	copy.compacted_time = copy.compacted ? e->compacted_time : (tc_time){ 0, 0, 0 };
	if ((rc = push(b, &copy, e->quarantined)) < 0 && b->rc == TC_OK)
		b->rc = rc;
	b->found[k] = 1;
}

static uint64_t meta_hash(const tc_meta *m)
{
	/* tc_meta_parse zeroes the record first, so padding hashes the same every time. */
	return tc_fnv1_64_update(TC_FNV64_INIT, (const uint8_t *)m, sizeof(*m));
}

/* Records one read's result in its entry and the lists; sets *changed when the index must change. */
static int settle(build *b, entry *e, const tc_meta_read *r, const char *tenant, int *changed)
{
	uint64_t h;

	if (r->rc == TC_ENOTFOUND) {
		e->state = ST_PARTIAL;
		*changed |= in_index(e->was);
		return tc_strlist_add(&b->out->partial, e->name);
	}
	if (r->rc < 0) {
		tc_log_error("msg=\"skipping block with unreadable meta\" tenant=%s block=%s err=%s",
			     tc_log_q(tenant), e->name, tc_log_q(r->err));
		b->out->skipped++;
		e->state = ST_FAILED;
		*changed |= in_index(e->was);
		return TC_OK;
	}
	h = meta_hash(&r->meta);
	e->state = r->meta.compacted ? ST_COMPACTED : ST_LIVE;
	e->quarantined = !r->meta.compacted && r->quarantined;
	if (e->state != e->was || h != e->meta_hash)
		*changed = 1;
	e->meta_hash = h;
	e->compacted_time = r->meta.compacted_time;
	return push(b, &r->meta, e->quarantined);
}

/* Reads every pending entry, READ_BATCH at a time. */
static int read_pending(build *b, size_t nn, tc_backend *be, const char *tenant, size_t concurrency,
			tc_poll_stats *st)
{
	tc_meta_read *r = malloc(READ_BATCH * sizeof(*r));
	size_t at[READ_BATCH];
	size_t i = 0;
	int rc = TC_OK;

	if (!r) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	while (i < nn && rc == TC_OK) {
		size_t k = 0;
		for (; i < nn && k < READ_BATCH; i++) {
			if (b->ne[i].state != ST_PENDING)
				continue;
			r[k].block = b->ne[i].name;
			r[k].objects = b->ne[i].objects;
			at[k++] = i;
		}
		tc_blocklist_read_metas(r, k, be, tenant, concurrency);
		for (size_t j = 0; j < k && rc == TC_OK; j++)
			rc = settle(b, &b->ne[at[j]], &r[j], tenant, &st->changed);
		st->read += k;
	}
	free(r);
	return rc;
}

typedef struct order {
	const tc_meta *m;
	size_t i;
} order;

static int order_cmp(const void *x, const void *y)
{
	const order *a = x, *b = y;
	int c = tc_time_cmp(&a->m->start, &b->m->start);

	return c ? c : strcmp(a->m->block_id, b->m->block_id);
}

/*
 * By startTime, ties by block ID: the order a full read gives (it keeps
 * listing order, which is name order), whatever order the blocks were
 * gathered in. Permuted in place: no second copy of a large tenant's metas.
 */
static int sort_metas(tc_meta *a, size_t n)
{
	order *o;
	size_t *to;

	if (n < 2)
		return TC_OK;
	o = malloc(n * sizeof(*o));
	to = malloc(n * sizeof(*to));
	if (!o || !to) {
		free(o);
		free(to);
		tc_error_set("out of memory sorting %zu blocks", n);
		return TC_ERROR;
	}
	for (size_t i = 0; i < n; i++)
		o[i] = (order){ &a[i], i };
	qsort(o, n, sizeof(*o), order_cmp);
	for (size_t k = 0; k < n; k++)
		to[k] = o[k].i; /* position k takes the element now at to[k] */
	free(o);
	for (size_t k = 0; k < n; k++) {
		tc_meta tmp;
		size_t j = k;
		if (to[k] == k || to[k] == SIZE_MAX)
			continue;
		tmp = a[k];
		while (to[j] != k) {
			size_t from = to[j];
			a[j] = a[from];
			to[j] = SIZE_MAX;
			j = from;
		}
		a[j] = tmp;
		to[j] = SIZE_MAX;
	}
	free(to);
	return TC_OK;
}

/*
 * Pairs the listing with the cached entries (both sorted by name) into
 * b->ne: unchanged blocks keep their entry and are queued for the store
 * lookup, the rest are pending.
 */
static int plan(build *b, size_t *nn, char **reuse_names, size_t *nreuse, const tc_block_list *l,
		const tenant_cache *t, const char *tenant, int full, tc_poll_stats *st)
{
	size_t j = 0;
	int rc = TC_OK;

	*nn = *nreuse = 0;
	for (size_t i = 0; i < l->names.n && rc == TC_OK; i++) {
		const char *name = l->names.items[i];
		const entry *old = NULL;
		entry *e;

		if (!tc_uuid_is_valid(name)) {
			tc_log_warn("msg=\"skipping a prefix that is not a block ID\" tenant=%s name=%s",
				    tc_log_q(tenant), tc_log_q(name));
			b->out->skipped++;
			continue;
		}
		for (; j < t->n && strcmp(t->e[j].name, name) < 0; j++)
			st->changed |= in_index(t->e[j].state); /* gone from the bucket */
		if (j < t->n && strcmp(t->e[j].name, name) == 0)
			old = &t->e[j++];
		e = &b->ne[(*nn)++];
		if (!full && old && l->version[i] && old->version == l->version[i]) {
			*e = *old;
			if (e->state == ST_PARTIAL) {
				st->reused++;
				rc = tc_strlist_add(&b->out->partial, e->name);
				continue;
			}
			reuse_names[*nreuse] = e->name;
			b->reuse_at[(*nreuse)++] = *nn - 1;
			continue;
		}
		if (old)
			*e = *old;
		else
			memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->was = old ? old->state : ST_NONE;
		e->state = ST_PENDING;
		e->version = l->version[i];
		e->objects = l->objects[i];
	}
	for (; j < t->n; j++)
		st->changed |= in_index(t->e[j].state);
	return rc;
}

int tc_pollcache_read_tenant(tc_blocklist *out, tc_poll_stats *st, tc_pollcache *c, tc_backend *be,
			     tc_store *store, const char *tenant, size_t concurrency, int full, int may_keep)
{
	tc_block_list l = TC_BLOCK_LIST_INIT;
	build b = { .out = out };
	char **reuse_names = NULL;
	size_t nn = 0, nreuse = 0, kept = 0;
	tenant_cache *t;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(st, 0, sizeof(*st));
	if ((rc = tc_tenant_validate(tenant)) < 0)
		return rc;
	if ((rc = tc_backend_list_blocks(&l, be, tenant)) < 0)
		return rc;
	st->listed = l.names.n;
	if (!(t = find(c, tenant, 1))) {
		rc = TC_ERROR;
		goto cleanup;
	}
	if (!t->e && !t->index_written)
		st->changed = 1; /* a tenant new to this replica */
	b.ne = calloc(l.names.n ? l.names.n : 1, sizeof(*b.ne));
	b.reuse_at = malloc((l.names.n ? l.names.n : 1) * sizeof(*b.reuse_at));
	b.found = calloc(l.names.n ? l.names.n : 1, 1);
	reuse_names = malloc((l.names.n ? l.names.n : 1) * sizeof(*reuse_names));
	if (!b.ne || !b.reuse_at || !b.found || !reuse_names) {
		tc_error_set("out of memory polling %zu blocks", l.names.n);
		rc = TC_ERROR;
		goto cleanup;
	}
	if ((rc = plan(&b, &nn, reuse_names, &nreuse, &l, t, tenant, full, st)) < 0)
		goto cleanup;
	if (may_keep && !full && !st->changed && !out->skipped && nn == nreuse + out->partial.n &&
	    tc_store_unchanged(store, tenant, nreuse)) {
		st->unchanged = 1;
		st->reused += nreuse;
		goto keep;
	}
	if ((rc = tc_store_lookup(store, tenant, reuse_names, nreuse, take_stored, &b)) < 0 || (rc = b.rc) < 0)
		goto cleanup;
	for (size_t k = 0; k < nreuse; k++) {
		entry *e = &b.ne[b.reuse_at[k]];
		if (b.found[k]) {
			st->reused++;
			continue;
		}
		/* The store let go of it (a local removal the bucket does not show): read it again. */
		e->was = e->state;
		e->state = ST_PENDING;
	}
	if ((rc = read_pending(&b, nn, be, tenant, concurrency, st)) < 0)
		goto cleanup;
	if ((rc = sort_metas(out->live, out->n_live)) < 0 || (rc = sort_metas(out->compacted, out->n_compacted)) < 0)
		goto cleanup;
keep:
	for (size_t i = 0; i < nn; i++)
		if (b.ne[i].state != ST_FAILED)
			b.ne[kept++] = b.ne[i];
	free(t->e);
	t->e = b.ne;
	t->n = kept;
	b.ne = NULL;
cleanup:
	if (rc < 0)
		tc_blocklist_dispose(out);
	free(b.ne);
	free(b.reuse_at);
	free(b.found);
	free(reuse_names);
	tc_block_list_dispose(&l);
	return rc;
}
