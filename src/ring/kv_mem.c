/*
 * The in-process kv store the ring's unit tests run against, with etcd's
 * semantics: one store-wide revision that every write (and every delete,
 * including those of an expiring lease) advances, per-key versions and
 * create/mod revisions, and leases that expire on CLOCK_MONOTONIC. Expired
 * leases are reaped at the start of every call, so no thread is needed and
 * no call can see a key whose lease has run out. One mutex guards it all.
 */
#include "src/ring/kv_impl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/array.h"
#include "src/util/error.h"
#include "src/util/timeutil.h"

typedef struct mem_key {
	char *key;
	uint8_t *data;
	size_t len;
	int64_t version;
	int64_t create_revision;
	int64_t mod_revision;
	int64_t lease;
} mem_key;

typedef struct mem_lease {
	int64_t id;
	int64_t ttl_s;
	uint64_t deadline_ns; /* CLOCK_MONOTONIC */
} mem_lease;

typedef struct kv_mem {
	tc_kv base;
	pthread_mutex_t mu;
	mem_key *keys; /* sorted by key (strcmp: byte order, as etcd) */
	size_t n, cap;
	mem_lease *leases;
	size_t nleases, capleases;
	int64_t revision;   /* the store's; etcd starts an empty store at 1 */
	int64_t next_lease;
} kv_mem;

static int key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const mem_key *)elem)->key);
}

/* Index of key if present (returns 1), else where it would go (returns 0). */
static int find(const kv_mem *m, const char *key, size_t *idx)
{
	return tc_array_search(idx, m->keys, m->n, sizeof(*m->keys), key, key_cmp);
}

static mem_lease *lease_find(kv_mem *m, int64_t id)
{
	for (size_t i = 0; i < m->nleases; i++)
		if (m->leases[i].id == id)
			return &m->leases[i];
	return NULL;
}

static void key_remove(kv_mem *m, size_t i)
{
	free(m->keys[i].key);
	free(m->keys[i].data);
	memmove(m->keys + i, m->keys + i + 1, (m->n - i - 1) * sizeof(*m->keys));
	m->n--;
}

/* Drops lease l and, in one revision as etcd does, every key attached to it. */
static void lease_remove(kv_mem *m, mem_lease *l)
{
	int64_t id = l->id;
	int any = 0;

	for (size_t i = m->n; i-- > 0;) {
		if (m->keys[i].lease == id) {
			key_remove(m, i);
			any = 1;
		}
	}
	if (any)
		m->revision++;
	*l = m->leases[--m->nleases];
}

static void reap_locked(kv_mem *m)
{
	uint64_t now = tc_mono_ns();

	for (size_t i = m->nleases; i-- > 0;)
		if (m->leases[i].deadline_ns <= now)
			lease_remove(m, &m->leases[i]);
}

static kv_mem *lock(tc_kv *kv)
{
	kv_mem *m = (kv_mem *)kv;

	pthread_mutex_lock(&m->mu);
	reap_locked(m);
	return m;
}

static void unlock(kv_mem *m)
{
	pthread_mutex_unlock(&m->mu);
}

/*
 * Writes value to key (creating it at index i when absent) as etcd's put
 * does: a new version, the next revision, the given lease (0 detaches).
 */
static int put_locked(kv_mem *m, const char *key, const void *value, size_t len, int64_t lease,
		      int64_t *revision)
{
	uint8_t *data = NULL;
	size_t i;
	int err;

	if (len && !(data = malloc(len))) {
		tc_error_set("memory: put %s: out of memory (%zu bytes)", key, len);
		return TC_ERROR;
	}
	if (len)
		memcpy(data, value, len);
	if (!find(m, key, &i)) {
		char *k = strdup(key);
		if (!k || (err = tc_array_reserve(m->keys, m->cap, m->n + 1, 0)) < 0) {
			if (!k)
				tc_error_set("memory: put %s: out of memory", key);
			free(k);
			free(data);
			return TC_ERROR;
		}
		memmove(m->keys + i + 1, m->keys + i, (m->n - i) * sizeof(*m->keys));
		m->n++;
		memset(&m->keys[i], 0, sizeof(m->keys[i]));
		m->keys[i].key = k;
		m->keys[i].create_revision = m->revision + 1;
	}
	free(m->keys[i].data);
	m->keys[i].data = data;
	m->keys[i].len = len;
	m->keys[i].version++;
	m->keys[i].mod_revision = ++m->revision;
	m->keys[i].lease = lease;
	if (revision)
		*revision = m->revision;
	return TC_OK;
}

static int mem_get(tc_kv_value *out, tc_kv *kv, const char *key)
{
	kv_mem *m = lock(kv);
	const mem_key *k;
	size_t i;
	int err = TC_OK;

	if (find(m, key, &i)) {
		k = &m->keys[i];
		if ((err = tc_buf_put(&out->data, k->data, k->len)) < 0) {
			tc_error_set("memory: get %s: %zu bytes exceed the buffer's limit", key,
				     k->len);
		} else {
			out->version = k->version;
			out->create_revision = k->create_revision;
			out->mod_revision = k->mod_revision;
			out->lease = k->lease;
		}
	}
	unlock(m);
	return err;
}

static int mem_cas(tc_kv *kv, const char *key, int64_t version, const void *value, size_t len)
{
	kv_mem *m = lock(kv);
	int64_t have = 0;
	size_t i;
	int err;

	if (find(m, key, &i))
		have = m->keys[i].version;
	if (have != version) {
		tc_error_set("memory: cas %s: version is %lld, not %lld", key, (long long)have,
			     (long long)version);
		err = TC_ECONFLICT;
	} else {
		err = put_locked(m, key, value, len, 0, NULL);
	}
	unlock(m);
	return err;
}

static int mem_create(int64_t *create_revision, tc_kv *kv, const char *key, const void *value,
		      size_t len, int64_t lease)
{
	kv_mem *m = lock(kv);
	size_t i;
	int err;

	if (find(m, key, &i)) {
		tc_error_set("memory: create %s: exists (created at revision %lld)", key,
			     (long long)m->keys[i].create_revision);
		err = TC_ECONFLICT;
	} else if (lease && !lease_find(m, lease)) {
		tc_error_set("memory: create %s: lease %lld not found", key, (long long)lease);
		err = TC_ENOTFOUND;
	} else {
		err = put_locked(m, key, value, len, lease, create_revision);
	}
	unlock(m);
	return err;
}

static int mem_del(tc_kv *kv, const char *key, int64_t create_revision)
{
	kv_mem *m = lock(kv);
	size_t i;
	int err = TC_OK;

	if (find(m, key, &i)) {
		if (create_revision && m->keys[i].create_revision != create_revision) {
			tc_error_set("memory: delete %s: created at revision %lld, not %lld", key,
				     (long long)m->keys[i].create_revision,
				     (long long)create_revision);
			err = TC_ECONFLICT;
		} else {
			key_remove(m, i);
			m->revision++;
		}
	}
	unlock(m);
	return err;
}

static int mem_list(tc_strlist *out, tc_kv *kv, const char *prefix)
{
	kv_mem *m = lock(kv);
	size_t plen = strlen(prefix), i;
	int err = TC_OK;

	find(m, prefix, &i);
	for (; i < m->n && strncmp(m->keys[i].key, prefix, plen) == 0; i++)
		if ((err = tc_strlist_add(out, m->keys[i].key)) < 0)
			break;
	unlock(m);
	return err;
}

static uint64_t deadline(int64_t ttl_s)
{
	return tc_mono_ns() + (uint64_t)ttl_s * 1000000000ULL;
}

static int mem_lease_grant(int64_t *id, tc_kv *kv, int64_t ttl_s)
{
	kv_mem *m = lock(kv);
	int err;

	if ((err = tc_array_reserve(m->leases, m->capleases, m->nleases + 1, 0)) == TC_OK) {
		*id = ++m->next_lease;
		m->leases[m->nleases++] = (mem_lease){ *id, ttl_s, deadline(ttl_s) };
	}
	unlock(m);
	return err;
}

static int mem_lease_keepalive(int64_t *ttl_s, tc_kv *kv, int64_t id)
{
	kv_mem *m = lock(kv);
	mem_lease *l = lease_find(m, id);
	int err = TC_OK;

	if (!l) {
		tc_error_set("memory: lease keepalive %lld: lease expired or revoked",
			     (long long)id);
		err = TC_ENOTFOUND;
	} else {
		l->deadline_ns = deadline(l->ttl_s);
		*ttl_s = l->ttl_s;
	}
	unlock(m);
	return err;
}

static int mem_lease_revoke(tc_kv *kv, int64_t id)
{
	kv_mem *m = lock(kv);
	mem_lease *l = lease_find(m, id);

	if (l)
		lease_remove(m, l);
	unlock(m);
	return TC_OK;
}

static const char *mem_describe(const tc_kv *kv)
{
	(void)kv;
	return "memory";
}

static void mem_free(tc_kv *kv)
{
	kv_mem *m = (kv_mem *)kv;

	for (size_t i = 0; i < m->n; i++) {
		free(m->keys[i].key);
		free(m->keys[i].data);
	}
	free(m->keys);
	free(m->leases);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static const tc_kv_ops mem_ops = {
	.name = "memory",
	.get = mem_get,
	.cas = mem_cas,
	.create = mem_create,
	.del = mem_del,
	.list = mem_list,
	.lease_grant = mem_lease_grant,
	.lease_keepalive = mem_lease_keepalive,
	.lease_revoke = mem_lease_revoke,
	.describe = mem_describe,
	.free = mem_free,
};

int tc_kv_mem_new(tc_kv **out)
{
	kv_mem *m;

	*out = NULL;
	if (!(m = calloc(1, sizeof(*m)))) {
		tc_error_set("memory: out of memory");
		return TC_ERROR;
	}
	m->base.ops = &mem_ops;
	m->revision = 1;
	/* etcd's lease IDs are large; starting high keeps tests from assuming small ones */
	m->next_lease = 0x694d7f3a10000000LL;
	pthread_mutex_init(&m->mu, NULL);
	*out = &m->base;
	return TC_OK;
}
