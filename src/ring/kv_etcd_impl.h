/*
 * Private to src/ring/kv_etcd*.c: the etcd store's instance and one call to
 * its JSON gateway. kv_etcd.c builds requests and reads answers;
 * kv_etcd_http.c carries a call to an endpoint (retries, failover, auth).
 */
#ifndef TC_RING_KV_ETCD_IMPL_H
#define TC_RING_KV_ETCD_IMPL_H

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>

#include "src/ring/kv_impl.h"
#include "src/util/curl.h"

typedef struct tc_kv_etcd_endpoint {
	char *url;      /* "http://127.0.0.1:2379" */
	char *hostport; /* "127.0.0.1:2379", for messages */
	char *token;    /* this member's auth token; NULL: none yet */
} tc_kv_etcd_endpoint;

typedef struct tc_kv_etcd {
	tc_kv base;
	tc_kv_etcd_endpoint *eps;
	size_t n;
	char *desc;     /* "etcd host:port[,host:port...]" */
	long connect_ms, request_ms;
	uint32_t max_retries;
	char *username, *password;
	char *cert, *key, *ca;
	int insecure;
	pthread_mutex_t mu; /* tokens */
	tc_curl_pool *pool;
	atomic_size_t cur;  /* the endpoint that answered last */
	atomic_uint_fast64_t rng;
} tc_kv_etcd;

/* One gateway call: what to send, and what came back. */
typedef struct tc_kv_etcd_call {
	const char *op;      /* "txn", "range", ...: for messages */
	const char *path;    /* "/v3/kv/txn" */
	const char *subject; /* the key, or the lease ID: for messages */
	cJSON *req;
	cJSON *resp;         /* the parsed answer (TC_OK only), owned by the call */
	int ambiguous;       /* an attempt failed after its request may have been applied */
} tc_kv_etcd_call;

/* A 64-bit field of an answer: a JSON string (or number); absent is 0, its default. */
int64_t tc_kv_etcd_num(const cJSON *o, const char *name);
/* The handle pool (and curl's global init, once per process). */
int tc_kv_etcd_http_init(tc_kv_etcd *e);
/*
 * Sends c->req and parses the answer into c->resp. etcd's errors become
 * TC_ENOTFOUND (gRPC NotFound) or TC_ERROR, the message naming the
 * endpoint, c->op and c->subject.
 */
int tc_kv_etcd_do(tc_kv_etcd *e, tc_kv_etcd_call *c);
void tc_kv_etcd_call_dispose(tc_kv_etcd_call *c);
/* Frees the handle pool (tokens and endpoints are the store's to free). */
void tc_kv_etcd_http_free(tc_kv_etcd *e);

#endif
