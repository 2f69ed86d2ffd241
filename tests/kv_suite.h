/*
 * The kv conformance suite: what every tc_kv must do (etcd's semantics, as
 * the ring relies on them), run by tests/unit/test_kv.c (memory) and
 * tests/unit/test_kv_etcd.c (a real etcd). A check is a void function on a
 * fixture; every key it touches starts with the fixture's prefix, so runs
 * and checks can share one store.
 */
#ifndef TC_KV_SUITE_H
#define TC_KV_SUITE_H

#include <stddef.h>
#include <stdint.h>

#include "src/ring/kv.h"

typedef struct tc_kv_suite_fx {
	tc_kv *kv;
	char prefix[128];
	int threads;    /* concurrent CAS writers */
	int increments; /* successful CAS increments per writer */
} tc_kv_suite_fx;

/* Sets f->prefix to "<base><pid>-<time>-<seq>/<check>/", unique per run and check. */
void tc_kv_suite_prefix(tc_kv_suite_fx *f, const char *base, const char *check);
/* prefix + name into out (size TC_KV_SUITE_KEY_MAX). */
#define TC_KV_SUITE_KEY_MAX 512
const char *tc_kv_suite_key(char *out, const tc_kv_suite_fx *f, const char *name);

/*
 * Every check, as X(name) for tc_kv_suite_<name>: a store's test expands
 * it into one test per check, so a new check runs against every store.
 */
#define TC_KV_SUITE_CHECKS(X)                                                      \
	X(get_absent) X(cas) X(cas_concurrent) X(create_lease) X(lease_keepalive)  \
	X(lease_expiry) X(delete) X(list) X(binary) X(large_value) X(bad_args)

void tc_kv_suite_get_absent(tc_kv_suite_fx *f);
void tc_kv_suite_cas(tc_kv_suite_fx *f);
void tc_kv_suite_cas_concurrent(tc_kv_suite_fx *f);
void tc_kv_suite_create_lease(tc_kv_suite_fx *f);
void tc_kv_suite_lease_keepalive(tc_kv_suite_fx *f);
void tc_kv_suite_lease_expiry(tc_kv_suite_fx *f);
void tc_kv_suite_delete(tc_kv_suite_fx *f);
void tc_kv_suite_list(tc_kv_suite_fx *f);
void tc_kv_suite_binary(tc_kv_suite_fx *f);
void tc_kv_suite_large_value(tc_kv_suite_fx *f);
void tc_kv_suite_bad_args(tc_kv_suite_fx *f);

/* Reads key as a string (values under 4 KiB) into out, and its version if version is not NULL. */
int tc_kv_suite_get_str(char out[4096], int64_t *version, tc_kv *kv, const char *key);
/* Sleeps ms milliseconds. */
void tc_kv_suite_sleep_ms(long ms);

#endif
