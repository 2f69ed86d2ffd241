/*
 * The in-memory backend tests run against: a key-sorted array of objects
 * under one mutex. "Directories" exist only as key prefixes, as in an
 * object store. An append becomes visible at commit, as on S3 (the strictest
 * of the stores), so a caller that reads before committing fails here too.
 */
#include "src/backend/backend_impl.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/array.h"
#include "src/util/error.h"
#include "src/util/fnv.h"
#include "src/util/ids.h"

typedef struct mem_obj {
	char *key;
	uint8_t *data;
	size_t len;
	tc_time mtime;
	uint64_t gen; /* the store's write count at the write: a rewrite always differs */
} mem_obj;

typedef struct mem {
	tc_backend base;
	pthread_mutex_t mu;
	mem_obj *objs; /* sorted by key (strcmp) */
	size_t n, cap;
	uint64_t writes;
} mem;

typedef struct mem_stream {
	tc_append base;
	char *key;
	tc_buf buf;
} mem_stream;

static int obj_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const mem_obj *)elem)->key);
}

/* Index of key if present (returns 1), else where it would go (returns 0). */
static int find(const mem *m, const char *key, size_t *idx)
{
	return tc_array_search(idx, m->objs, m->n, sizeof(*m->objs), key, obj_cmp);
}

/* Stores (key, data) taking ownership of both; called with the lock held. */
static int put_locked(mem *m, char *key, uint8_t *data, size_t len)
{
	size_t i;

	if (find(m, key, &i)) {
		free(m->objs[i].key);
		free(m->objs[i].data);
	} else {
		int err = tc_array_reserve(m->objs, m->cap, m->n + 1, 0);
		if (err < 0)
			return err;
		memmove(m->objs + i + 1, m->objs + i, (m->n - i) * sizeof(*m->objs));
		m->n++;
	}
	m->objs[i].key = key;
	m->objs[i].data = data;
	m->objs[i].len = len;
	m->objs[i].mtime = tc_time_now();
	m->objs[i].gen = ++m->writes;
	return TC_OK;
}

static void remove_range_locked(mem *m, size_t i, size_t count)
{
	if (count == 0)
		return;
	for (size_t j = i; j < i + count; j++) {
		free(m->objs[j].key);
		free(m->objs[j].data);
	}
	memmove(m->objs + i, m->objs + i + count, (m->n - i - count) * sizeof(*m->objs));
	m->n -= count;
}

static int not_found(const char *key)
{
	tc_error_set("%s: not found", key);
	return TC_ENOTFOUND;
}

static int mem_read(tc_buf *out, tc_backend *be, const char *key)
{
	mem *m = (mem *)be;
	size_t i;
	int err;

	pthread_mutex_lock(&m->mu);
	if (!find(m, key, &i)) {
		pthread_mutex_unlock(&m->mu);
		return not_found(key);
	}
	err = tc_buf_put(out, m->objs[i].data, m->objs[i].len);
	if (err == TC_ELIMIT)
		tc_error_set("%s: object of %zu bytes exceeds the read buffer's limit", key,
			     m->objs[i].len);
	pthread_mutex_unlock(&m->mu);
	return err;
}

static int mem_read_range(uint8_t *out, tc_backend *be, const char *key, uint64_t off, size_t len)
{
	mem *m = (mem *)be;
	tc_where w = { key, off };
	size_t i, have;

	pthread_mutex_lock(&m->mu);
	if (!find(m, key, &i)) {
		pthread_mutex_unlock(&m->mu);
		return not_found(key);
	}
	have = m->objs[i].len;
	if (off > have || len > have - off) {
		pthread_mutex_unlock(&m->mu);
		tc_error_set_at(&w, "short object: wanted %zu bytes, object is %zu bytes", len, have);
		return TC_ECORRUPT;
	}
	if (len)
		memcpy(out, m->objs[i].data + off, len);
	pthread_mutex_unlock(&m->mu);
	return TC_OK;
}

static int mem_write(tc_backend *be, const char *key, const void *data, size_t len)
{
	mem *m = (mem *)be;
	char *k = strdup(key);
	uint8_t *d = malloc(len ? len : 1);
	int err;

	if (!k || !d) {
		free(k);
		free(d);
		tc_error_set("out of memory writing %s (%zu bytes)", key, len);
		return TC_ERROR;
	}
	if (len)
		memcpy(d, data, len);
	pthread_mutex_lock(&m->mu);
	err = put_locked(m, k, d, len);
	pthread_mutex_unlock(&m->mu);
	if (err < 0) {
		free(k);
		free(d);
	}
	return err;
}

static int mem_append_open(tc_append **out, tc_backend *be, const char *key)
{
	mem_stream *a = calloc(1, sizeof(*a));

	if (!a || !(a->key = strdup(key))) {
		free(a);
		tc_error_set("out of memory opening %s", key);
		return TC_ERROR;
	}
	a->base.be = be;
	tc_buf_init(&a->buf, 0);
	*out = &a->base;
	return TC_OK;
}

static int mem_append(tc_append *ta, const void *data, size_t len)
{
	mem_stream *a = (mem_stream *)ta;
	int err = tc_buf_put(&a->buf, data, len);

	if (err == TC_ELIMIT)
		tc_error_set("%s at offset %zu: object too large for the memory backend", a->key,
			     a->buf.len);
	return err;
}

static void append_free(mem_stream *a)
{
	tc_buf_dispose(&a->buf);
	free(a->key);
	free(a);
}

static int mem_append_commit(tc_append *ta)
{
	mem_stream *a = (mem_stream *)ta;
	mem *m = (mem *)a->base.be;
	size_t len;
	uint8_t *data;
	int err;

	if (a->buf.len == 0) {
		/* detach of an empty buffer gives NULL; objects always own memory */
		if (!(data = malloc(1))) {
			tc_error_set("out of memory committing %s", a->key);
			append_free(a);
			return TC_ERROR;
		}
		len = 0;
		tc_buf_dispose(&a->buf);
	} else {
		data = tc_buf_detach(&a->buf, &len);
	}
	pthread_mutex_lock(&m->mu);
	err = put_locked(m, a->key, data, len);
	pthread_mutex_unlock(&m->mu);
	if (err < 0) {
		free(data);
	} else {
		a->key = NULL; /* now owned by the store */
	}
	append_free(a);
	return err;
}

static void mem_append_abort(tc_append *ta)
{
	append_free((mem_stream *)ta);
}

/* "" stays "", "t" and "t/" become "t/". */
static int norm_prefix(char out[TC_KEY_MAX + 2], const char *prefix)
{
	size_t len = strlen(prefix);

	if (len > TC_KEY_MAX) {
		tc_error_set("prefix too long");
		return TC_EINVALID;
	}
	memcpy(out, prefix, len);
	if (len && out[len - 1] != '/')
		out[len++] = '/';
	out[len] = '\0';
	return TC_OK;
}

/* dirs: names followed by '/' below prefix; otherwise objects directly under it. */
static int list_kind(tc_strlist *out, mem *m, const char *prefix, int dirs)
{
	tc_strlist names = TC_STRLIST_INIT;
	char p[TC_KEY_MAX + 2];
	size_t plen, i;
	int err;

	if ((err = norm_prefix(p, prefix)) < 0)
		return err;
	plen = strlen(p);
	pthread_mutex_lock(&m->mu);
	find(m, p, &i);
	for (; i < m->n && strncmp(m->objs[i].key, p, plen) == 0; i++) {
		const char *rest = m->objs[i].key + plen;
		const char *slash = strchr(rest, '/');

		/* Names starting with '.' are temp files on local; hide them here too. */
		if (rest[0] == '.' || (dirs != (slash != NULL)))
			continue;
		if (dirs) {
			size_t n = (size_t)(slash - rest);
			if (names.n && strlen(names.items[names.n - 1]) == n &&
			    memcmp(names.items[names.n - 1], rest, n) == 0)
				continue;
			err = tc_strlist_addn(&names, rest, n);
		} else {
			err = tc_strlist_add(&names, rest);
		}
		if (err < 0)
			break;
	}
	pthread_mutex_unlock(&m->mu);
	if (err < 0)
		goto cleanup;
	/*
	 * The keys of one directory are adjacent, but the directory names are
	 * not in key order: "t/b-c/x" sorts before "t/b/x" ('-' < '/').
	 */
	tc_strlist_sort(&names);
	for (i = 0; i < names.n && err == TC_OK; i++)
		err = tc_strlist_add(out, names.items[i]);
cleanup:
	tc_strlist_dispose(&names);
	return err;
}

static int mem_list(tc_strlist *out, tc_backend *be, const char *prefix)
{
	return list_kind(out, (mem *)be, prefix, 1);
}

static int mem_list_objects(tc_strlist *out, tc_backend *be, const char *prefix)
{
	return list_kind(out, (mem *)be, prefix, 0);
}

/* Like an object store's listing without a delimiter: the block objects themselves. */
static int mem_list_blocks(tc_block_list *out, tc_backend *be, const char *tenant)
{
	mem *m = (mem *)be;
	char p[TC_KEY_MAX + 2];
	size_t plen, i;
	int err = TC_OK;

	snprintf(p, sizeof(p), "%s/", tenant);
	plen = strlen(p);
	pthread_mutex_lock(&m->mu);
	find(m, p, &i);
	while (i < m->n && strncmp(m->objs[i].key, p, plen) == 0 && err == TC_OK) {
		const char *block = m->objs[i].key + plen, *slash = strchr(block, '/');
		size_t blen;
		uint64_t h = TC_FNV64_INIT;
		uint8_t objects = TC_BLOCK_KNOWN;

		if (!slash || block[0] == '.') { /* the tenant's own objects, temp names */
			i++;
			continue;
		}
		blen = (size_t)(slash - block);
		/* One block's keys are adjacent: they share the prefix "<tenant>/<block>/". */
		for (; i < m->n && strncmp(m->objs[i].key, p, plen) == 0 &&
		       strncmp(m->objs[i].key + plen, block, blen + 1) == 0; i++) {
			const mem_obj *o = &m->objs[i];
			uint8_t f = tc_block_object_flag(o->key + plen + blen + 1);
			if (!f)
				continue;
			objects |= f;
			h = tc_fnv1_64_update(h, &f, 1);
			h = tc_fnv1_64_update(h, (const uint8_t *)&o->gen, sizeof(o->gen));
		}
		err = tc_block_list_add(out, block, blen, h ? h : 1, objects);
	}
	pthread_mutex_unlock(&m->mu);
	return err;
}

static int mem_stat(tc_stat *out, tc_backend *be, const char *key)
{
	mem *m = (mem *)be;
	size_t i;

	pthread_mutex_lock(&m->mu);
	if (!find(m, key, &i)) {
		pthread_mutex_unlock(&m->mu);
		return not_found(key);
	}
	out->size = m->objs[i].len;
	out->mtime = m->objs[i].mtime;
	pthread_mutex_unlock(&m->mu);
	return TC_OK;
}

static int mem_del(tc_backend *be, const char *key)
{
	mem *m = (mem *)be;
	size_t i;

	pthread_mutex_lock(&m->mu);
	if (find(m, key, &i))
		remove_range_locked(m, i, 1);
	pthread_mutex_unlock(&m->mu);
	return TC_OK;
}

static int mem_mark_compacted(tc_backend *be, const char *tenant, const char *block)
{
	mem *m = (mem *)be;
	char from[TC_KEY_MAX + 1], *to;
	uint8_t *data;
	size_t i, len;
	int err;

	if ((err = tc_key_block(from, sizeof(from), tenant, block, "meta.json")) < 0)
		return err;
	if (!(to = malloc(TC_KEY_MAX + 1))) {
		tc_error_set("out of memory marking %s/%s compacted", tenant, block);
		return TC_ERROR;
	}
	if ((err = tc_key_block(to, TC_KEY_MAX + 1, tenant, block, "meta.compacted.json")) < 0) {
		free(to);
		return err;
	}
	pthread_mutex_lock(&m->mu);
	if (!find(m, from, &i)) {
		pthread_mutex_unlock(&m->mu);
		free(to);
		return not_found(from);
	}
	data = m->objs[i].data;
	len = m->objs[i].len;
	m->objs[i].data = NULL;
	remove_range_locked(m, i, 1);
	/* put_locked stamps now: the compacted time is the time of marking. */
	if ((err = put_locked(m, to, data, len)) < 0) {
		free(to);
		free(data);
	}
	pthread_mutex_unlock(&m->mu);
	return err;
}

static int mem_clear_block(tc_backend *be, const char *tenant, const char *block)
{
	mem *m = (mem *)be;
	char p[TC_KEY_MAX + 2];
	size_t i, j, plen;
	int n = snprintf(p, sizeof(p), "%s/%s/", tenant, block);

	if (n < 0 || (size_t)n >= sizeof(p)) {
		tc_error_set("block %s/%s: name too long", tenant, block);
		return TC_EINVALID;
	}
	plen = (size_t)n;
	pthread_mutex_lock(&m->mu);
	find(m, p, &i);
	for (j = i; j < m->n && strncmp(m->objs[j].key, p, plen) == 0; j++)
		;
	remove_range_locked(m, i, j - i);
	pthread_mutex_unlock(&m->mu);
	return TC_OK;
}

static void mem_free(tc_backend *be)
{
	mem *m = (mem *)be;

	remove_range_locked(m, 0, m->n);
	free(m->objs);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static const tc_backend_ops mem_ops = {
	.name = "mem",
	.read = mem_read,
	.read_range = mem_read_range,
	.write = mem_write,
	.append_open = mem_append_open,
	.append = mem_append,
	.append_commit = mem_append_commit,
	.append_abort = mem_append_abort,
	.list = mem_list,
	.list_objects = mem_list_objects,
	.stat = mem_stat,
	.list_blocks = mem_list_blocks,
	.del = mem_del,
	.mark_compacted = mem_mark_compacted,
	.clear_block = mem_clear_block,
	.free = mem_free,
};

int tc_backend_mem_new(tc_backend **out)
{
	mem *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m) {
		tc_error_set("out of memory creating the memory backend");
		return TC_ERROR;
	}
	if (pthread_mutex_init(&m->mu, NULL) != 0) {
		free(m);
		tc_error_set("cannot create the memory backend's mutex");
		return TC_ERROR;
	}
	m->base.ops = &mem_ops;
	*out = &m->base;
	return TC_OK;
}
