/*
 * The tc_kv_* wrappers: arguments are checked here, once, before any store
 * sees them, and a failed read leaves the caller's value empty, so no store
 * has to repeat either.
 */
#include "src/ring/kv_impl.h"

#include <string.h>

#include "src/util/error.h"

/* etcd takes any key up to its request size; ours are prefixes plus names. */
#define KEY_MAX 1024
/* etcd's own ceiling (lease.MaxLeaseTTL). */
#define TTL_MAX 9000000000LL

static int key_check(const tc_kv *kv, const char *op, const char *key, int allow_empty)
{
	size_t len;

	if (!key) {
		tc_error_set("%s: %s: key is NULL", tc_kv_name(kv), op);
		return TC_EINVALID;
	}
	len = strlen(key);
	if (len == 0 && !allow_empty) {
		tc_error_set("%s: %s: empty key", tc_kv_name(kv), op);
		return TC_EINVALID;
	}
	if (len > KEY_MAX) {
		tc_error_set("%s: %s %.64s...: key longer than %d bytes", tc_kv_name(kv), op, key,
			     KEY_MAX);
		return TC_EINVALID;
	}
	return TC_OK;
}

static int value_check(const tc_kv *kv, const char *op, const char *key, const void *value,
		       size_t len)
{
	if (!value && len) {
		tc_error_set("%s: %s %s: NULL value of %zu bytes", tc_kv_name(kv), op, key, len);
		return TC_EINVALID;
	}
	return TC_OK;
}

static int lease_check(const tc_kv *kv, const char *op, int64_t id)
{
	if (id <= 0) {
		tc_error_set("%s: %s: invalid lease ID %lld", tc_kv_name(kv), op, (long long)id);
		return TC_EINVALID;
	}
	return TC_OK;
}

/* Empties v but keeps its buffer (and the cap the caller gave it). */
static void value_reset(tc_kv_value *v)
{
	v->data.len = 0;
	v->version = v->create_revision = v->mod_revision = v->lease = 0;
}

int tc_kv_get(tc_kv_value *out, tc_kv *kv, const char *key)
{
	int err;

	value_reset(out);
	if ((err = key_check(kv, "get", key, 0)) < 0)
		return err;
	if ((err = kv->ops->get(out, kv, key)) < 0)
		value_reset(out);
	return err;
}

void tc_kv_value_dispose(tc_kv_value *v)
{
	if (!v)
		return;
	tc_buf_dispose(&v->data);
	value_reset(v);
}

int tc_kv_cas(tc_kv *kv, const char *key, int64_t version, const void *value, size_t len)
{
	int err;

	if ((err = key_check(kv, "cas", key, 0)) < 0 ||
	    (err = value_check(kv, "cas", key, value, len)) < 0)
		return err;
	if (version < 0) {
		tc_error_set("%s: cas %s: negative version %lld", tc_kv_name(kv), key,
			     (long long)version);
		return TC_EINVALID;
	}
	return kv->ops->cas(kv, key, version, value, len);
}

int tc_kv_create(int64_t *create_revision, tc_kv *kv, const char *key, const void *value,
		 size_t len, int64_t lease)
{
	int64_t rev = 0;
	int err;

	*create_revision = 0;
	if ((err = key_check(kv, "create", key, 0)) < 0 ||
	    (err = value_check(kv, "create", key, value, len)) < 0)
		return err;
	if (lease != 0 && (err = lease_check(kv, "create", lease)) < 0)
		return err;
	if ((err = kv->ops->create(&rev, kv, key, value, len, lease)) == TC_OK)
		*create_revision = rev;
	return err;
}

int tc_kv_delete(tc_kv *kv, const char *key, int64_t create_revision)
{
	int err;

	if ((err = key_check(kv, "delete", key, 0)) < 0)
		return err;
	if (create_revision < 0) {
		tc_error_set("%s: delete %s: negative create revision %lld", tc_kv_name(kv), key,
			     (long long)create_revision);
		return TC_EINVALID;
	}
	return kv->ops->del(kv, key, create_revision);
}

int tc_kv_list(tc_strlist *out, tc_kv *kv, const char *prefix)
{
	int err;

	if ((err = key_check(kv, "list", prefix, 1)) < 0)
		return err;
	return kv->ops->list(out, kv, prefix);
}

int tc_kv_lease_grant(int64_t *id, tc_kv *kv, int64_t ttl_s)
{
	*id = 0;
	if (ttl_s <= 0 || ttl_s > TTL_MAX) {
		tc_error_set("%s: lease grant: TTL %lld s out of range 1..%lld", tc_kv_name(kv),
			     (long long)ttl_s, TTL_MAX);
		return TC_EINVALID;
	}
	return kv->ops->lease_grant(id, kv, ttl_s);
}

int tc_kv_lease_keepalive(int64_t *ttl_s, tc_kv *kv, int64_t id)
{
	int64_t ttl = 0;
	int err;

	if (ttl_s)
		*ttl_s = 0;
	if ((err = lease_check(kv, "lease keepalive", id)) < 0)
		return err;
	if ((err = kv->ops->lease_keepalive(&ttl, kv, id)) == TC_OK && ttl_s)
		*ttl_s = ttl;
	return err;
}

int tc_kv_lease_revoke(tc_kv *kv, int64_t id)
{
	int err;

	if ((err = lease_check(kv, "lease revoke", id)) < 0)
		return err;
	return kv->ops->lease_revoke(kv, id);
}

const char *tc_kv_name(const tc_kv *kv)
{
	return kv ? kv->ops->describe(kv) : "none";
}

void tc_kv_free(tc_kv *kv)
{
	if (kv)
		kv->ops->free(kv);
}
