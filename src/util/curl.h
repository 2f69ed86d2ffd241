/*
 * What our HTTP clients (the S3, Azure and GCS backends, the etcd kv store) share
 * about libcurl: its global init, a pool of easy handles, the options
 * every request sets, and which failures another attempt may cure.
 */
#ifndef TC_UTIL_CURL_H
#define TC_UTIL_CURL_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"

typedef struct tc_curl_pool tc_curl_pool;

/* curl_global_init, once per process (tc_curl_pool_new calls it). */
void tc_curl_global_init(void);

/*
 * A pool of idle easy handles that keeps at most max of them. A handle is
 * taken per request and given back afterwards; curl keeps its connections
 * across curl_easy_reset, so a busy client reuses them.
 */
int tc_curl_pool_new(tc_curl_pool **out, size_t max);
/* Closes the idle handles; the taken ones are their takers' to give back first. */
void tc_curl_pool_free(tc_curl_pool *p);
/* An idle handle, or a new one; NULL when curl cannot make one (no message set). */
CURL *tc_curl_pool_get(tc_curl_pool *p);
/* Resets h and keeps it, or closes it when the pool is full (or cannot grow). */
void tc_curl_pool_put(tc_curl_pool *p, CURL *h);

/*
 * Sets the options every request of ours needs on a reset handle: url,
 * headers, errbuf (CURL_ERROR_SIZE bytes) for the reason of a failure, no
 * signals (we are threaded), http and https only, TCP keepalive, and no
 * certificate checks when insecure. The caller adds method, body,
 * callbacks and timeouts.
 */
void tc_curl_setup(CURL *h, const char *url, struct curl_slist *headers, char *errbuf,
		   int insecure);

/* 1 for a transfer failure another attempt may cure (no connection, a timeout, a cut reply). */
int tc_curl_transient(CURLcode rc);

/*
 * Where a response body goes (tc_curl_on_body is the CURLOPT_WRITEFUNCTION,
 * the sink its data): a 2xx body to out (appended, respecting its cap),
 * else to fixed[0..fixed_len); any other body (an error document, an XML
 * listing) to other, at most other_max bytes. A flag says why a transfer
 * was cut short.
 */
typedef struct tc_curl_sink {
	CURL *h;
	long *status;      /* set from the handle at the first body byte */
	size_t *got;       /* bytes delivered to out or fixed */
	tc_buf *out;
	uint8_t *fixed;
	size_t fixed_len;
	tc_buf *other;
	size_t other_max;
	int out_err;       /* out refused the bytes (TC_ELIMIT: its cap) */
	int overflow;      /* more bytes than fixed_len */
	int other_full;    /* other passed other_max */
} tc_curl_sink;

size_t tc_curl_on_body(char *p, size_t sz, size_t n, void *sink);

/*
 * If the header line (as curl's header callback gets it) is "name: value"
 * (name matched case-insensitively), copies the value, trimmed and with
 * control bytes as '?', to out and returns 1; else 0.
 */
int tc_curl_header_value(char *out, size_t outsz, const char *line, size_t len, const char *name);

#endif
