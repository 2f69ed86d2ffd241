/*
 * The key-value store the ring lives in, as the ring sees it (dskit's
 * kv.Client, narrowed to what we use): versioned reads, compare-and-swap
 * writes, create-if-absent keys tied to a lease, and leases with a TTL.
 * etcd (kv_etcd.c, through its v3 JSON gateway) is the production store;
 * kv_mem.c is an in-process store with the same semantics for unit tests.
 * The ring never knows which one it talks to.
 *
 * Every function is safe to call from several threads on one tc_kv.
 * Versions and revisions are etcd's: a key's version counts its writes
 * since creation (0 = absent), its create revision is the store-wide
 * revision at which it was created.
 *
 * Keys are non-empty C strings of at most 1024 bytes (TC_EINVALID
 * otherwise); values are any bytes.
 *
 * Errors: TC_ENOTFOUND (key or lease absent), TC_ECONFLICT (a compare
 * failed), TC_ERROR with a message naming the endpoint and key (store
 * unreachable, timeout, refused). A write that fails with TC_ERROR has an
 * unknown outcome: etcd may still apply a request it received before the
 * caller gave up (a stopped etcd that resumes does), so re-read before
 * concluding either way.
 */
#ifndef TC_RING_KV_H
#define TC_RING_KV_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"
#include "src/util/strlist.h"

typedef struct tc_kv tc_kv;

typedef struct tc_kv_value {
	tc_buf data;
	int64_t version;         /* 0: the key is absent (data empty) */
	int64_t create_revision;
	int64_t mod_revision;
	int64_t lease;           /* 0: none */
} tc_kv_value;

#define TC_KV_VALUE_INIT { TC_BUF_INIT, 0, 0, 0, 0 }

/*
 * Reads key into out (replacing what it held). An absent key is not an
 * error: out->version is 0 and out->data empty.
 */
int tc_kv_get(tc_kv_value *out, tc_kv *kv, const char *key);
void tc_kv_value_dispose(tc_kv_value *v);

/*
 * Writes value if the key's version is still `version` (0: only if absent),
 * in one transaction; the key keeps no lease. TC_ECONFLICT when another
 * writer got there first. A retry after a lost answer that finds the key at
 * version + 1 holding exactly value counts as this call's write.
 */
int tc_kv_cas(tc_kv *kv, const char *key, int64_t version, const void *value, size_t len);

/*
 * Creates key with value, attached to lease (0: none), only if absent.
 * *create_revision receives the revision that created it. TC_ECONFLICT
 * when the key exists, TC_ENOTFOUND when the lease does not. A retry after
 * a lost answer that finds the key holding exactly value on lease counts
 * as this call's create, so lock values should be unique per holder and
 * attempt (an instance ID and a nonce).
 */
int tc_kv_create(int64_t *create_revision, tc_kv *kv, const char *key, const void *value,
		 size_t len, int64_t lease);

/*
 * Deletes key if its create revision is create_revision (0: unconditionally).
 * An absent key is not an error; a key created by someone else is
 * TC_ECONFLICT and is left alone.
 */
int tc_kv_delete(tc_kv *kv, const char *key, int64_t create_revision);

/* Names of the keys that start with prefix, in byte order. */
int tc_kv_list(tc_strlist *out, tc_kv *kv, const char *prefix);

/* A lease that expires ttl_s seconds after its last keep-alive. */
int tc_kv_lease_grant(int64_t *id, tc_kv *kv, int64_t ttl_s);
/*
 * Renews the lease; *ttl_s (may be NULL) receives the TTL granted.
 * TC_ENOTFOUND when it has expired or been revoked (its keys are gone).
 */
int tc_kv_lease_keepalive(int64_t *ttl_s, tc_kv *kv, int64_t id);
/* Revokes the lease and deletes its keys; an unknown lease is not an error. */
int tc_kv_lease_revoke(tc_kv *kv, int64_t id);

/* Human-readable name for messages: "etcd 127.0.0.1:2379" or "memory". */
const char *tc_kv_name(const tc_kv *kv);
void tc_kv_free(tc_kv *kv);

/* In-process store for tests; several tc_ring instances may share one. */
int tc_kv_mem_new(tc_kv **out);

/*
 * A call tries the endpoint that answered last first, then the others in
 * turn, retrying what another attempt may cure (no connection, a timeout,
 * etcd unavailable) with backoff: at most max_retries + 1 attempts but at
 * least one per endpoint, and at most one request timeout per endpoint in
 * all, so a stopped etcd costs n_endpoints x request_timeout, never a hang.
 */
typedef struct tc_kv_etcd_options {
	const char *const *endpoints;   /* "host:port" or "http(s)://host:port"; tried in turn */
	size_t n_endpoints;
	int64_t dial_timeout_ns;        /* connect timeout; 0: Tempo's default, 10s */
	int64_t request_timeout_ns;     /* one attempt, connecting included; 0: 2 x dial_timeout */
	uint32_t max_retries;           /* per call, across endpoints (Tempo default 10) */
	const char *username;           /* etcd auth; NULL: none */
	const char *password;           /* never logged */
	int tls_enabled;                /* https:// for endpoints without a scheme */
	const char *tls_cert_path;
	const char *tls_key_path;
	const char *tls_ca_path;
	int tls_insecure_skip_verify;
} tc_kv_etcd_options;

/* Connects lazily: creating the client does not contact etcd. */
int tc_kv_etcd_new(tc_kv **out, const tc_kv_etcd_options *o);

#endif
