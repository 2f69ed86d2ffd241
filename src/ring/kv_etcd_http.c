/*
 * One call to etcd's JSON gateway, carried to an endpoint: a handle from
 * the store's curl pool (src/util/curl.h), the endpoint that answered last
 * first, retries with backoff, a per-endpoint auth token, and etcd's
 * answers judged into our error codes. See kv_etcd.c for what the calls are.
 */
#include "src/ring/kv_etcd_impl.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/curl.h"
#include "src/util/error.h"
#include "src/util/log.h"
#include "src/util/timeutil.h"

/* A response larger than this is refused: etcd's own request limit is 1.5 MiB by default. */
#define RESP_MAX ((size_t)64 << 20)
#define POOL_MAX 16
#define BACKOFF_BASE_MS 50u
#define BACKOFF_MAX_MS 1000u
#define MSG_MAX 512

/* gRPC status codes the gateway reports in "code" */
enum {
	GRPC_DEADLINE_EXCEEDED = 4,
	GRPC_NOT_FOUND = 5,
	GRPC_RESOURCE_EXHAUSTED = 8,
	GRPC_ABORTED = 10,
	GRPC_UNAVAILABLE = 14,
	GRPC_UNAUTHENTICATED = 16,
};

typedef struct attempt_out {
	int retry;  /* another attempt may succeed */
	int reauth; /* etcd refused our token */
} attempt_out;

int tc_kv_etcd_http_init(tc_kv_etcd *e)
{
	return tc_curl_pool_new(&e->pool, POOL_MAX);
}

int64_t tc_kv_etcd_num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (cJSON_IsString(v))
		return strtoll(v->valuestring, NULL, 10);
	if (cJSON_IsNumber(v))
		return (int64_t)v->valuedouble;
	return 0;
}

typedef struct sink {
	tc_buf *b;
	int full;
} sink;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	sink *s = ud;

	if (tc_buf_put(s->b, p, sz * n) < 0) {
		s->full = 1;
		return 0;
	}
	return sz * n;
}

typedef struct http {
	long status;
	CURLcode rc;
	int full;
	char errbuf[CURL_ERROR_SIZE];
} http;

/* One POST of body to ep; the answer, whatever its status, lands in resp. */
static void post(http *r, const tc_kv_etcd *e, CURL *h, const tc_kv_etcd_endpoint *ep,
		 const char *path, const char *body, const char *token, long timeout_ms,
		 tc_buf *resp)
{
	struct curl_slist *hdr = NULL, *x;
	char url[1024], auth[4096];
	sink s = { resp, 0 };

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "%s%s", ep->url, path);
	if ((x = curl_slist_append(hdr, "Content-Type: application/json")))
		hdr = x;
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: %s", token);
		if ((x = curl_slist_append(hdr, auth)))
			hdr = x;
	}
	curl_easy_reset(h);
	tc_curl_setup(h, url, hdr, r->errbuf, e->insecure);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, e->connect_ms < timeout_ms ? e->connect_ms
										 : timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	if (e->ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, e->ca);
	if (e->cert)
		curl_easy_setopt(h, CURLOPT_SSLCERT, e->cert);
	if (e->key)
		curl_easy_setopt(h, CURLOPT_SSLKEY, e->key);
	r->rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	r->full = s.full;
	/* the handle must not keep pointers into this frame */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdr);
}

/* A printable, bounded copy of bytes from the wire for a message. */
static void show(char *out, size_t outsz, const uint8_t *p, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < outsz; i++)
		out[o++] = (p[i] < 0x20 || p[i] >= 0x7f) ? '?' : (char)p[i];
	out[o] = '\0';
}

/*
 * Reads etcd's error out of a body: the gateway's {"message","code"} or the
 * stream's {"error":{"message","grpc_code"}}. Returns the gRPC code, -1 if
 * the body is not an etcd error.
 */
static int etcd_error_of(char *msg, size_t msgsz, const cJSON *j)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");
	const cJSON *m;
	int code;

	if (cJSON_IsObject(err)) {
		m = cJSON_GetObjectItemCaseSensitive(err, "message");
		code = (int)tc_kv_etcd_num(err, "grpc_code");
	} else {
		m = cJSON_GetObjectItemCaseSensitive(j, "message");
		if (!cJSON_IsString(m))
			m = err;
		code = cJSON_GetObjectItemCaseSensitive(j, "code") ? (int)tc_kv_etcd_num(j, "code")
								 : -1;
	}
	if (!cJSON_IsString(m))
		return -1;
	show(msg, msgsz, (const uint8_t *)m->valuestring, strlen(m->valuestring));
	return code < 0 ? 2 : code;
}

static void fail(const tc_kv_etcd_endpoint *ep, const tc_kv_etcd_call *c, const char *what)
{
	tc_error_set("etcd %s: %s %s: %s", ep->hostport, c->op, c->subject, what);
}

/*
 * Turns one exchange into a result: *resp_json the parsed answer on TC_OK,
 * else the message set and out->retry / out->reauth telling what may help.
 */
static int judge(cJSON **resp_json, const tc_kv_etcd_endpoint *ep, const tc_kv_etcd_call *c,
		 const http *r, const tc_buf *body, attempt_out *out)
{
	char msg[MSG_MAX], what[MSG_MAX + 64];
	cJSON *j = NULL;
	int code;

	*resp_json = NULL;
	if (r->full) {
		snprintf(what, sizeof(what), "response larger than %zu bytes", RESP_MAX);
		fail(ep, c, what);
		return TC_ELIMIT;
	}
	if (r->rc != CURLE_OK) {
		out->retry = tc_curl_transient(r->rc);
		snprintf(what, sizeof(what), "%s (%s)", curl_easy_strerror(r->rc),
			 r->errbuf[0] ? r->errbuf : "no details");
		fail(ep, c, what);
		return TC_ERROR;
	}
	j = cJSON_ParseWithLength((const char *)body->ptr, body->len);
	code = j ? etcd_error_of(msg, sizeof(msg), j) : -1;
	if (r->status == 200 && j && code < 0) {
		*resp_json = j;
		return TC_OK;
	}
	cJSON_Delete(j);
	if (code < 0) {
		char b[128];
		show(b, sizeof(b), body->ptr, body->len < 120 ? body->len : 120);
		snprintf(what, sizeof(what), "HTTP %ld%s%s", r->status, b[0] ? ": " : "", b);
		out->retry = r->status >= 500 && r->status != 501;
		fail(ep, c, what);
		return TC_ERROR;
	}
	out->retry = code == GRPC_UNAVAILABLE || code == GRPC_DEADLINE_EXCEEDED ||
		     code == GRPC_RESOURCE_EXHAUSTED || code == GRPC_ABORTED;
	out->reauth = code == GRPC_UNAUTHENTICATED || strstr(msg, "invalid auth token") != NULL;
	fail(ep, c, msg);
	return code == GRPC_NOT_FOUND ? TC_ENOTFOUND : TC_ERROR;
}

/* Stores a new token for endpoint i (or drops it: tok NULL), unless it changed meanwhile. */
static void token_swap(tc_kv_etcd *e, size_t i, const char *old, char *tok)
{
	pthread_mutex_lock(&e->mu);
	if ((!old && !e->eps[i].token) || (old && e->eps[i].token && !strcmp(old, e->eps[i].token))) {
		free(e->eps[i].token);
		e->eps[i].token = tok;
		tok = NULL;
	}
	pthread_mutex_unlock(&e->mu);
	free(tok);
}

/* s as a JSON string literal (malloc'd). */
static char *json_quote(const char *s)
{
	cJSON *j = cJSON_CreateStringReference(s);
	char *out = j ? cJSON_PrintUnformatted(j) : NULL;

	cJSON_Delete(j);
	return out;
}

/* This endpoint's token (a copy in *out), authenticating first if it has none. */
static int token_get(char **out, tc_kv_etcd *e, CURL *h, size_t i, long timeout_ms,
		     attempt_out *ao)
{
	const tc_kv_etcd_endpoint *ep = &e->eps[i];
	tc_kv_etcd_call c = { "authenticate as", "/v3/auth/authenticate", e->username, NULL, NULL,
			      0 };
	tc_buf body;
	cJSON *resp = NULL;
	const cJSON *tok;
	char *req = NULL, *name = NULL, *pw = NULL, *stored = NULL;
	size_t reqlen = 0;
	http r;
	int err = TC_ERROR, have;

	*out = NULL;
	pthread_mutex_lock(&e->mu);
	have = ep->token != NULL;
	if (have)
		*out = strdup(ep->token);
	pthread_mutex_unlock(&e->mu);
	if (have) {
		if (*out)
			return TC_OK;
		tc_error_set("etcd %s: out of memory", ep->hostport);
		return TC_ERROR;
	}

	tc_buf_init(&body, RESP_MAX);
	/* the JSON text is built by hand so that the one copy holding the password can be wiped */
	if (!(name = json_quote(e->username)) || !(pw = json_quote(e->password)))
		goto nomem;
	reqlen = strlen(name) + strlen(pw) + 32;
	if (!(req = malloc(reqlen)))
		goto nomem;
	snprintf(req, reqlen, "{\"name\":%s,\"password\":%s}", name, pw);
	post(&r, e, h, ep, c.path, req, NULL, timeout_ms, &body);
	if ((err = judge(&resp, ep, &c, &r, &body, ao)) < 0)
		goto cleanup;
	tok = cJSON_GetObjectItemCaseSensitive(resp, "token");
	if (!cJSON_IsString(tok) || !tok->valuestring[0]) {
		fail(ep, &c, "no token in the answer");
		err = TC_ERROR;
		goto cleanup;
	}
	if (!(*out = strdup(tok->valuestring)) || !(stored = strdup(tok->valuestring)))
		goto nomem;
	token_swap(e, i, NULL, stored);
	err = TC_OK;
	goto cleanup;
nomem:
	tc_error_set("etcd %s: out of memory", ep->hostport);
	err = TC_ERROR;
cleanup:
	if (pw) {
		OPENSSL_cleanse(pw, strlen(pw));
		free(pw);
	}
	if (req) {
		OPENSSL_cleanse(req, reqlen);
		free(req);
	}
	free(name);
	cJSON_Delete(resp);
	tc_buf_dispose(&body);
	if (err < 0) {
		free(*out);
		*out = NULL;
	}
	return err;
}

static long remaining_ms(uint64_t deadline)
{
	uint64_t now = tc_mono_ns();
	return now >= deadline ? 0 : (long)((deadline - now) / 1000000);
}

static void backoff(tc_kv_etcd *e, unsigned round, long left_ms)
{
	unsigned ms = tc_backoff_ms(&e->rng, round, BACKOFF_BASE_MS, BACKOFF_MAX_MS);

	if ((long)ms > left_ms)
		ms = (unsigned)(left_ms > 0 ? left_ms : 0);
	tc_sleep_ms(ms);
}

/* One attempt on endpoint i, renewing the token once if etcd refuses it. */
static int attempt(tc_kv_etcd *e, CURL *h, tc_kv_etcd_call *c, size_t i, const char *body,
		   long timeout_ms, attempt_out *ao)
{
	const tc_kv_etcd_endpoint *ep = &e->eps[i];
	uint64_t t0 = tc_mono_ns();
	char *token = NULL;
	tc_buf resp;
	http r;
	int err = TC_OK;

	tc_buf_init(&resp, RESP_MAX);
	for (int tries = 0; tries < 2; tries++) {
		memset(ao, 0, sizeof(*ao));
		tc_buf_clear(&resp);
		if (e->username && (err = token_get(&token, e, h, i, timeout_ms, ao)) < 0)
			break;
		post(&r, e, h, ep, c->path, body, token, timeout_ms, &resp);
		if ((err = judge(&c->resp, ep, c, &r, &resp, ao)) == TC_OK)
			break;
		if (r.rc != CURLE_COULDNT_CONNECT && r.rc != CURLE_COULDNT_RESOLVE_HOST)
			c->ambiguous = 1;
		if (!ao->reauth || !e->username)
			break;
		tc_log_debug("msg=\"etcd refused the auth token, authenticating again\" "
			     "endpoint=%s", ep->hostport);
		token_swap(e, i, token, NULL);
		free(token);
		token = NULL;
		timeout_ms -= (long)((tc_mono_ns() - t0) / 1000000);
		if (timeout_ms <= 0)
			break;
	}
	free(token);
	tc_buf_dispose(&resp);
	return err;
}

/* Sends c->req; on TC_OK c->resp holds the answer. */
int tc_kv_etcd_do(tc_kv_etcd *e, tc_kv_etcd_call *c)
{
	uint64_t deadline = tc_mono_ns() + (uint64_t)e->request_ms * 1000000ULL * e->n;
	uint64_t tries = (uint64_t)e->max_retries + 1;
	unsigned max = tries > e->n ? (unsigned)tries : (unsigned)e->n, n = 0;
	size_t first = atomic_load(&e->cur) % e->n;
	char *body = NULL;
	attempt_out ao = { 0, 0 };
	CURL *h = NULL;
	int err = TC_ERROR;

	if (!(body = cJSON_PrintUnformatted(c->req)) || !(h = tc_curl_pool_get(e->pool))) {
		tc_error_set("%s: %s %s: out of memory", e->desc, c->op, c->subject);
		goto cleanup;
	}
	for (n = 0; n < max; n++) {
		size_t i = (first + n) % e->n;
		long left = remaining_ms(deadline);

		if (n > 0 && n % e->n == 0) {
			backoff(e, n / (unsigned)e->n - 1, left);
			left = remaining_ms(deadline);
		}
		if (left <= 0)
			break;
		err = attempt(e, h, c, i, body, left < e->request_ms ? left : e->request_ms, &ao);
		if (err == TC_OK) {
			atomic_store(&e->cur, i);
			break;
		}
		if (!ao.retry)
			break;
		tc_log_debug("msg=\"etcd request failed, retrying\" attempt=%u err=%s", n + 1,
			     tc_log_q(tc_error_last()));
	}
	if (err < 0 && ao.retry && n > 0) {
		char m[1024];
		snprintf(m, sizeof(m), "%s", tc_error_last());
		tc_error_set("%s (%u attempts on %zu endpoint%s)", m, n, e->n, e->n > 1 ? "s" : "");
	}
cleanup:
	if (h)
		tc_curl_pool_put(e->pool, h);
	free(body);
	return err;
}

void tc_kv_etcd_call_dispose(tc_kv_etcd_call *c)
{
	cJSON_Delete(c->req);
	cJSON_Delete(c->resp);
	c->req = c->resp = NULL;
}

void tc_kv_etcd_http_free(tc_kv_etcd *e)
{
	tc_curl_pool_free(e->pool);
	e->pool = NULL;
}
