#include "src/compactor/blocklist.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/array.h"
#include "src/util/log.h"
#include "src/util/utf8.h"

static int read_json(tc_meta *out, tc_backend *be, const char *key)
{
	tc_buf b = TC_BUF_INIT;
	int rc;

	tc_buf_init(&b, TC_META_MAX_BYTES);
	rc = tc_backend_read(&b, be, key);
	if (rc == TC_ELIMIT) {
		tc_error_set("%s: larger than %u bytes, not a meta", key, TC_META_MAX_BYTES);
		rc = TC_ECORRUPT;
	}
	if (rc == TC_OK)
		rc = tc_meta_parse(out, (const char *)b.ptr, b.len, &(tc_where){ key, 0 });
	tc_buf_dispose(&b);
	return rc;
}

/* objects: the listing's TC_BLOCK_* flags; with TC_BLOCK_KNOWN, a meta it did not show is not asked for. */
static int read_meta_listed(tc_meta *out, tc_backend *be, const char *tenant, const char *block, uint8_t objects)
{
	char key[TC_KEY_MAX];
	tc_stat st;
	int known = objects & TC_BLOCK_KNOWN, rc = TC_ENOTFOUND;

	if (known && !(objects & (TC_BLOCK_HAS_META | TC_BLOCK_HAS_COMPACTED))) {
		tc_error_set("%s/%s: no meta.json or meta.compacted.json listed", tenant, block);
		return TC_ENOTFOUND;
	}
	if (!known || (objects & TC_BLOCK_HAS_META)) {
		if ((rc = tc_key_block(key, sizeof(key), tenant, block, "meta.json")) < 0)
			return rc;
		rc = read_json(out, be, key);
		if (rc == TC_OK) {
			out->compacted = 0;
			return tc_meta_check_location(out, tenant, block, key);
		}
	}
	if (rc != TC_ENOTFOUND)
		return rc;
	if ((rc = tc_key_block(key, sizeof(key), tenant, block, "meta.compacted.json")) < 0)
		return rc;
	if ((rc = read_json(out, be, key)) < 0)
		return rc;
	if ((rc = tc_meta_check_location(out, tenant, block, key)) < 0)
		return rc;
	/* Tempo takes compactedTime from the object's modification time, whatever the JSON says. */
	if ((rc = tc_backend_stat(&st, be, key)) < 0)
		return rc;
	out->compacted = 1;
	out->compacted_time = st.mtime;
	return TC_OK;
}

int tc_blocklist_read_meta(tc_meta *out, tc_backend *be, const char *tenant, const char *block)
{
	return read_meta_listed(out, be, tenant, block, 0);
}

static int push(tc_meta **arr, size_t *n, size_t *cap, const tc_meta *m)
{
	int rc;

	if ((rc = tc_array_reserve(*arr, *cap, *n + 1, 0)) < 0)
		return rc;
	(*arr)[(*n)++] = *m;
	return TC_OK;
}

typedef struct by_start {
	tc_time start;
	size_t i; /* listing position: ties keep it, so the order is stable */
} by_start;

static int by_start_cmp(const void *x, const void *y)
{
	const by_start *a = x, *b = y;
	int c = tc_time_cmp(&a->start, &b->start);
	return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* Tenants hold tens of thousands of blocks: sorted in n log n, on every poll. */
static int sort_by_start(tc_meta *a, size_t n)
{
	by_start *o;
	tc_meta *t;

	if (n < 2)
		return TC_OK;
	o = malloc(n * sizeof(*o));
	t = malloc(n * sizeof(*t));
	if (!o || !t) {
		free(o);
		free(t);
		tc_error_set("out of memory sorting %zu blocks", n);
		return TC_ERROR;
	}
	for (size_t i = 0; i < n; i++)
		o[i] = (by_start){ a[i].start, i };
	qsort(o, n, sizeof(*o), by_start_cmp);
	for (size_t i = 0; i < n; i++)
		t[i] = a[o[i].i];
	memcpy(a, t, n * sizeof(*t));
	free(o);
	free(t);
	return TC_OK;
}

typedef struct slot {
	const char *name;
	int rc;
	int quarantined;
	tc_meta meta;
	char err[512]; /* error messages are per thread: carried back here */
} slot;

/* A batch of reads: either slots (a full read) or tc_meta_read records. */
typedef struct fetch {
	tc_backend *be;
	const char *tenant;
	slot *slots;
	tc_meta_read *reads;
	size_t n;
	atomic_size_t next;
} fetch;

static void read_one(tc_meta *meta, int *rc, int *quarantined, char *err, size_t errsz, fetch *f,
		     const char *block, uint8_t objects)
{
	char key[TC_KEY_MAX];
	tc_stat st;

	*rc = read_meta_listed(meta, f->be, f->tenant, block, objects);
	if (*rc == TC_OK && !meta->compacted) {
		if (objects & TC_BLOCK_KNOWN)
			*quarantined = !!(objects & TC_BLOCK_HAS_NOCOMPACT);
		else if (tc_key_block(key, sizeof(key), f->tenant, block, TC_QUARANTINE_MARKER) == TC_OK)
			*quarantined = tc_backend_stat(&st, f->be, key) == TC_OK;
	}
	if (*rc < 0 && *rc != TC_ENOTFOUND)
		snprintf(err, errsz, "%s", tc_error_last());
}

static void fetch_one(fetch *f, size_t i)
{
	if (f->slots) {
		slot *sl = &f->slots[i];
		read_one(&sl->meta, &sl->rc, &sl->quarantined, sl->err, sizeof(sl->err), f, sl->name, 0);
	} else {
		tc_meta_read *r = &f->reads[i];
		read_one(&r->meta, &r->rc, &r->quarantined, r->err, sizeof(r->err), f, r->block, r->objects);
	}
}

static void *fetch_worker(void *arg)
{
	fetch *f = arg;
	size_t i;

	while ((i = atomic_fetch_add(&f->next, 1)) < f->n)
		fetch_one(f, i);
	return NULL;
}

/* Reads every block's meta, `concurrency` requests at a time (object stores are latency-bound). */
static void fetch_all(fetch *f, size_t concurrency)
{
	pthread_t th[64];
	size_t started = 0;

	if (concurrency > 64)
		concurrency = 64;
	if (concurrency > f->n)
		concurrency = f->n;
	for (size_t i = 1; i < concurrency; i++)
		if (pthread_create(&th[started], NULL, fetch_worker, f) == 0)
			started++;
	fetch_worker(f);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
}

void tc_blocklist_read_metas(tc_meta_read *r, size_t n, tc_backend *be, const char *tenant, size_t concurrency)
{
	fetch f = { .be = be, .tenant = tenant, .reads = r, .n = n };

	for (size_t i = 0; i < n; i++) {
		r[i].rc = TC_ERROR;
		r[i].quarantined = 0;
		r[i].err[0] = '\0';
	}
	fetch_all(&f, concurrency ? concurrency : 1);
}

int tc_blocklist_read_tenant(tc_blocklist *out, tc_backend *be, const char *tenant)
{
	return tc_blocklist_read_tenant_n(out, be, tenant, TC_BLOCKLIST_DEFAULT_CONCURRENCY);
}

int tc_blocklist_read_tenant_n(tc_blocklist *out, tc_backend *be, const char *tenant, size_t concurrency)
{
	tc_strlist names = TC_STRLIST_INIT;
	char prefix[TC_KEY_MAX];
	size_t cap_live = 0, cap_comp = 0;
	fetch f = { .be = be, .tenant = tenant };
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = tc_tenant_validate(tenant)) < 0)
		return rc;
	snprintf(prefix, sizeof(prefix), "%s/", tenant);
	if ((rc = tc_backend_list(&names, be, prefix)) < 0)
		return rc;
	f.slots = calloc(names.n ? names.n : 1, sizeof(slot));
	if (!f.slots) {
		tc_strlist_dispose(&names);
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	for (size_t i = 0; i < names.n; i++) {
		if (!tc_uuid_is_valid(names.items[i])) {
			tc_log_warn("msg=\"skipping a prefix that is not a block ID\" tenant=%s name=%s",
				    tc_log_q(tenant), tc_log_q(names.items[i]));
			out->skipped++;
			continue;
		}
		f.slots[f.n++].name = names.items[i];
	}
	fetch_all(&f, concurrency ? concurrency : 1);
	for (size_t i = 0; i < f.n; i++) {
		slot *sl = &f.slots[i];
		if (sl->rc == TC_ENOTFOUND) {
			/* A partial block: invisible to readers, as in Tempo. */
			if ((rc = tc_strlist_add(&out->partial, sl->name)) < 0)
				goto fail;
			continue;
		}
		if (sl->rc < 0) {
			tc_log_error("msg=\"skipping block with unreadable meta\" tenant=%s block=%s err=%s",
				     tc_log_q(tenant), sl->name, tc_log_q(sl->err));
			out->skipped++;
			continue;
		}
		rc = sl->meta.compacted ? push(&out->compacted, &out->n_compacted, &cap_comp, &sl->meta)
					: push(&out->live, &out->n_live, &cap_live, &sl->meta);
		if (rc == TC_OK && sl->quarantined)
			rc = tc_strlist_add(&out->quarantined, sl->name);
		if (rc < 0)
			goto fail;
	}
	free(f.slots);
	f.slots = NULL;
	if ((rc = sort_by_start(out->live, out->n_live)) < 0 ||
	    (rc = sort_by_start(out->compacted, out->n_compacted)) < 0)
		goto fail;
	tc_strlist_dispose(&names);
	return TC_OK;
fail:
	free(f.slots);
	tc_strlist_dispose(&names);
	tc_blocklist_dispose(out);
	return rc;
}

int tc_blocklist_newest_mtime(int64_t *out, tc_backend *be, const char *tenant, const char *block)
{
	tc_strlist names = TC_STRLIST_INIT;
	char prefix[TC_KEY_MAX], key[TC_KEY_MAX];
	int rc;

	*out = 0;
	snprintf(prefix, sizeof(prefix), "%s/%s/", tenant, block);
	if ((rc = tc_backend_list_objects(&names, be, prefix)) < 0)
		return rc;
	for (size_t i = 0; i < names.n && rc == TC_OK; i++) {
		tc_stat st;
		if ((rc = tc_key_block(key, sizeof(key), tenant, block, names.items[i])) < 0)
			break;
		rc = tc_backend_stat(&st, be, key);
		if (rc == TC_ENOTFOUND) {
			rc = TC_OK;
			continue;
		}
		int64_t t = st.mtime.sec * 1000000000LL + st.mtime.nsec;
		if (rc == TC_OK && t > *out)
			*out = t;
	}
	tc_strlist_dispose(&names);
	return rc;
}

int tc_blocklist_tenants(tc_strlist *out, tc_backend *be)
{
	tc_strlist names = TC_STRLIST_INIT;
	int rc = tc_backend_list(&names, be, "");

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < names.n && rc == TC_OK; i++) {
		if (tc_tenant_validate(names.items[i]) < 0) {
			tc_log_warn("msg=\"skipping a prefix that is not a tenant ID\" name=%s err=%s",
				    tc_log_q(names.items[i]), tc_log_q(tc_error_last()));
			continue;
		}
		rc = tc_strlist_add(out, names.items[i]);
	}
	tc_strlist_dispose(&names);
	tc_strlist_sort(out);
	return rc;
}

void tc_blocklist_dispose(tc_blocklist *bl)
{
	if (!bl)
		return;
	free(bl->live);
	free(bl->compacted);
	tc_strlist_dispose(&bl->partial);
	tc_strlist_dispose(&bl->quarantined);
	memset(bl, 0, sizeof(*bl));
}

int tc_blocklist_is_quarantined(const tc_blocklist *bl, const char *block)
{
	return tc_strlist_contains(&bl->quarantined, block);
}

void tc_blocklist_drop_quarantined(tc_blocklist *bl)
{
	size_t kept = 0;

	/* Stable, so the selector's tie order (blocklist order) is unchanged. */
	for (size_t i = 0; i < bl->n_live; i++)
		if (!tc_blocklist_is_quarantined(bl, bl->live[i].block_id))
			bl->live[kept++] = bl->live[i];
	bl->n_live = kept;
}

/* "key":"value" and what follows it; values are escaped as Go writes JSON (error texts may hold any byte). */
static int json_field(tc_buf *out, const char *key, const char *v, const char *after)
{
	int rc = tc_buf_printf(out, "\"%s\":", key);
	if (rc == TC_OK)
		rc = tc_json_put_string(out, v);
	return rc < 0 ? rc : tc_buf_puts(out, after);
}

int tc_blocklist_quarantine(tc_backend *be, const char *tenant, const char *block, const char *reason,
			    const char *error)
{
	char key[TC_KEY_MAX], now[TC_TIME_STR_MAX];
	tc_time t = tc_time_now();
	tc_buf b = TC_BUF_INIT;
	int rc;

	tc_time_format(now, &t);
	if ((rc = tc_key_block(key, sizeof(key), tenant, block, TC_QUARANTINE_MARKER)) < 0)
		return rc;
	if ((rc = tc_buf_putc(&b, '{')) == TC_OK && (rc = json_field(&b, "reason", reason, ",")) == TC_OK &&
	    (rc = json_field(&b, "time", now, ",")) == TC_OK && (rc = json_field(&b, "error", error, "}\n")) == TC_OK)
		rc = tc_backend_write(be, key, b.ptr, b.len);
	tc_buf_dispose(&b);
	return rc;
}

int tc_blocklist_unquarantine(tc_backend *be, const char *tenant, const char *block)
{
	char key[TC_KEY_MAX];
	tc_stat st;
	int rc;

	if ((rc = tc_tenant_validate(tenant)) < 0)
		return rc;
	if (!tc_uuid_is_valid(block)) {
		tc_error_set("\"%.40s\" is not a block ID", block);
		return TC_EINVALID;
	}
	if ((rc = tc_key_block(key, sizeof(key), tenant, block, TC_QUARANTINE_MARKER)) < 0)
		return rc;
	if ((rc = tc_backend_stat(&st, be, key)) < 0) {
		if (rc == TC_ENOTFOUND)
			tc_error_set("block %s/%s is not quarantined", tenant, block);
		return rc;
	}
	return tc_backend_delete(be, key);
}
