/* For implementers of a kv store (and test decorators) only. */
#ifndef TC_RING_KV_IMPL_H
#define TC_RING_KV_IMPL_H

#include "src/ring/kv.h"

typedef struct tc_kv_ops {
	const char *name;
	int (*get)(tc_kv_value *out, tc_kv *kv, const char *key);
	int (*cas)(tc_kv *kv, const char *key, int64_t version, const void *value, size_t len);
	int (*create)(int64_t *create_revision, tc_kv *kv, const char *key, const void *value,
		      size_t len, int64_t lease);
	int (*del)(tc_kv *kv, const char *key, int64_t create_revision);
	int (*list)(tc_strlist *out, tc_kv *kv, const char *prefix);
	int (*lease_grant)(int64_t *id, tc_kv *kv, int64_t ttl_s);
	int (*lease_keepalive)(int64_t *ttl_s, tc_kv *kv, int64_t id);
	int (*lease_revoke)(tc_kv *kv, int64_t id);
	const char *(*describe)(const tc_kv *kv);
	void (*free)(tc_kv *kv);
} tc_kv_ops;

/* Every store embeds this as its first member. */
struct tc_kv {
	const tc_kv_ops *ops;
};

#endif
