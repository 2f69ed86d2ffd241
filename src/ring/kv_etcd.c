/*
 * etcd v3 through its JSON gRPC gateway (etcd 3.4: POST /v3/kv/range,
 * /v3/kv/txn, /v3/kv/deleterange, /v3/lease/{grant,keepalive,revoke},
 * /v3/auth/authenticate).
 * The gateway speaks protobuf's JSON mapping: keys and values are base64,
 * 64-bit numbers are strings, and a field equal to its default is left out
 * (a failed txn has no "succeeded", an absent key's version is absent).
 * Errors come back as {"error","message","code"} with the gRPC code, or,
 * from the streaming keepalive, as {"error":{"grpc_code","message"}}.
 *
 * A call tries the endpoint that answered last, then the others in turn,
 * at most max_retries + 1 attempts (and at least one per endpoint), giving
 * each endpoint at most one request timeout, so a stopped etcd costs a
 * caller request_timeout per endpoint, never a hang. Only failures another
 * attempt may cure are retried: no connection, a timeout, a 5xx saying
 * etcd is unavailable. An attempt that failed after its request may have
 * reached etcd makes the write ambiguous: if the retry's compare then fails
 * and the key holds exactly what this call wrote, the call succeeded.
 *
 * With a username, each endpoint gets its own token from
 * /v3/auth/authenticate (simple tokens live in the member that issued
 * them), sent as the Authorization header and renewed once per call when
 * etcd calls it invalid. The password is sent there and nowhere else.
 *
 * This file builds the requests and reads the answers; kv_etcd_http.c
 * carries them (kv_etcd_impl.h).
 */
#include "src/ring/kv_etcd_impl.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/error.h"
#include "src/util/timeutil.h"
#include "src/util/utf8.h"

#define DEFAULT_DIAL_MS 10000L /* Tempo's (dskit etcd.Config.DialTimeout) */

/* ---- base64 and JSON ---- */

static char *b64_encode(const void *p, size_t len)
{
	char *out;

	if (len > (size_t)INT_MAX / 4 * 3 - 3)
		return NULL;
	if (!(out = malloc((len + 2) / 3 * 4 + 1)))
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, p, (int)len);
	return out;
}

/*
 * Appends the bytes s encodes to out; -1 on a malformed string, TC_ELIMIT past
 * out's cap. EVP_DecodeBlock decodes padding as zero bytes, so the last
 * quantum goes through a scratch buffer and out grows by the true length.
 */
static int b64_decode(tc_buf *out, const char *s)
{
	size_t len = strlen(s), pad = 0, whole, n;
	unsigned char last[3];
	int err;

	if (len == 0)
		return TC_OK;
	if (len % 4 || len > INT_MAX)
		return -1;
	if (s[len - 1] == '=')
		pad = s[len - 2] == '=' ? 2 : 1;
	whole = len - 4;
	n = whole / 4 * 3;
	if ((err = tc_buf_reserve(out, n + 3 - pad)) < 0)
		return err;
	if (whole &&
	    EVP_DecodeBlock(out->ptr + out->len, (const unsigned char *)s, (int)whole) != (int)n)
		return -1;
	if (EVP_DecodeBlock(last, (const unsigned char *)s + whole, 4) != 3)
		return -1;
	memcpy(out->ptr + out->len + n, last, 3 - pad);
	out->len += n + 3 - pad;
	return TC_OK;
}

static int add_num(cJSON *o, const char *name, int64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%lld", (long long)v);
	return cJSON_AddStringToObject(o, name, s) ? TC_OK : TC_ERROR;
}

static int add_b64(cJSON *o, const char *name, const void *p, size_t len)
{
	char *s = b64_encode(p, len);
	int ok = s && cJSON_AddStringToObject(o, name, s);

	free(s);
	return ok ? TC_OK : TC_ERROR;
}

/* The first key of range end for prefix: prefix with its last byte below 0xff bumped. */
static size_t prefix_end(char *out, const char *prefix)
{
	size_t len = strlen(prefix);

	memcpy(out, prefix, len);
	while (len > 0) {
		if ((unsigned char)out[len - 1] < 0xff) {
			out[len - 1]++;
			return len;
		}
		len--;
	}
	out[0] = '\0'; /* all 0xff (or empty): "\0" is etcd's "to the end" */
	return 1;
}

/* ---- operations ---- */

static int oom(const tc_kv_etcd *e, const char *op, const char *subject)
{
	tc_error_set("%s: %s %s: out of memory", e->desc, op, subject);
	return TC_ERROR;
}

/* Fills out from one entry of a range answer. */
static int read_kv(tc_kv_value *out, const tc_kv_etcd *e, const tc_kv_etcd_call *c, const cJSON *kv)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(kv, "value");
	int err = TC_OK;

	out->data.len = 0;
	if (cJSON_IsString(v) && (err = b64_decode(&out->data, v->valuestring)) < 0) {
		if (err == TC_ELIMIT)
			tc_error_set("%s: %s %s: value exceeds the buffer's limit", e->desc, c->op,
				     c->subject);
		else
			tc_error_set("%s: %s %s: value is not base64", e->desc, c->op, c->subject);
		return err == TC_ELIMIT ? err : TC_ECORRUPT;
	}
	out->version = tc_kv_etcd_num(kv, "version");
	out->create_revision = tc_kv_etcd_num(kv, "create_revision");
	out->mod_revision = tc_kv_etcd_num(kv, "mod_revision");
	out->lease = tc_kv_etcd_num(kv, "lease");
	return TC_OK;
}

/* The first kv of a range answer (NULL: absent). */
static const cJSON *first_kv(const cJSON *range)
{
	const cJSON *kvs = cJSON_GetObjectItemCaseSensitive(range, "kvs");
	return cJSON_IsArray(kvs) ? cJSON_GetArrayItem(kvs, 0) : NULL;
}

static int etcd_get(tc_kv_value *out, tc_kv *kv, const char *key)
{
	tc_kv_etcd *e = (tc_kv_etcd *)kv;
	tc_kv_etcd_call c = { "range", "/v3/kv/range", key, NULL, NULL, 0 };
	const cJSON *k;
	int err;

	if (!(c.req = cJSON_CreateObject()) || add_b64(c.req, "key", key, strlen(key)) < 0) {
		err = oom(e, c.op, key);
		goto cleanup;
	}
	if ((err = tc_kv_etcd_do(e, &c)) < 0)
		goto cleanup;
	if ((k = first_kv(c.resp)))
		err = read_kv(out, e, &c, k);
cleanup:
	tc_kv_etcd_call_dispose(&c);
	return err;
}

/*
 * A txn: if compare (one, on key) holds, then the put or delete in op,
 * else a range of key, so a failure says what is there.
 */
static int txn_new(cJSON **out, const char *key, const char *target, const char *field,
		   int64_t want, const char *then_name, cJSON *then_req, int keys_only)
{
	cJSON *t = cJSON_CreateObject(), *cmp, *cmps, *succ, *s1, *fail_, *f1, *rr;
	int ok;

	*out = t;
	ok = t && (cmps = cJSON_AddArrayToObject(t, "compare")) && (cmp = cJSON_CreateObject()) &&
	     cJSON_AddItemToArray(cmps, cmp) && add_b64(cmp, "key", key, strlen(key)) == TC_OK &&
	     cJSON_AddStringToObject(cmp, "target", target) &&
	     cJSON_AddStringToObject(cmp, "result", "EQUAL") && add_num(cmp, field, want) == TC_OK &&
	     (succ = cJSON_AddArrayToObject(t, "success")) && (s1 = cJSON_CreateObject()) &&
	     cJSON_AddItemToArray(succ, s1) && cJSON_AddItemToObject(s1, then_name, then_req) &&
	     (then_req = NULL, (fail_ = cJSON_AddArrayToObject(t, "failure"))) &&
	     (f1 = cJSON_CreateObject()) && cJSON_AddItemToArray(fail_, f1) &&
	     (rr = cJSON_AddObjectToObject(f1, "request_range")) &&
	     add_b64(rr, "key", key, strlen(key)) == TC_OK &&
	     (!keys_only || cJSON_AddTrueToObject(rr, "keys_only"));
	cJSON_Delete(then_req);
	return ok ? TC_OK : TC_ERROR;
}

static cJSON *put_new(const char *key, const void *value, size_t len, int64_t lease)
{
	cJSON *p = cJSON_CreateObject();

	if (!p || add_b64(p, "key", key, strlen(key)) < 0 || add_b64(p, "value", value, len) < 0 ||
	    (lease && add_num(p, "lease", lease) < 0)) {
		cJSON_Delete(p);
		return NULL;
	}
	return p;
}

/* Sends, as c, "if key's target (field) equals want, put value on lease, else range key". */
static int put_txn(tc_kv_etcd *e, tc_kv_etcd_call *c, const char *key, const char *target,
		   const char *field, int64_t want, const void *value, size_t len, int64_t lease)
{
	cJSON *put = put_new(key, value, len, lease);

	/* txn_new owns put from here */
	if (!put || txn_new(&c->req, key, target, field, want, "request_put", put, 0) < 0)
		return oom(e, c->op, key);
	return tc_kv_etcd_do(e, c);
}

/* The kv the failure branch's range found (NULL: absent). */
static const cJSON *txn_failure_kv(const cJSON *resp)
{
	const cJSON *rs = cJSON_GetObjectItemCaseSensitive(resp, "responses");
	const cJSON *r0 = cJSON_IsArray(rs) ? cJSON_GetArrayItem(rs, 0) : NULL;

	return first_kv(cJSON_GetObjectItemCaseSensitive(r0, "response_range"));
}

static int txn_succeeded(const cJSON *resp)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "succeeded"));
}

/* The key now holds exactly value (a retry found our own write). */
static int holds(const tc_kv_etcd *e, const tc_kv_etcd_call *c, const cJSON *kv,
		 const void *value, size_t len, tc_kv_value *have)
{
	return read_kv(have, e, c, kv) == TC_OK && have->data.len == len &&
	       (len == 0 || memcmp(have->data.ptr, value, len) == 0);
}

static int etcd_cas(tc_kv *kv, const char *key, int64_t version, const void *value, size_t len)
{
	tc_kv_etcd *e = (tc_kv_etcd *)kv;
	tc_kv_etcd_call c = { "txn", "/v3/kv/txn", key, NULL, NULL, 0 };
	tc_kv_value have = TC_KV_VALUE_INIT;
	const cJSON *cur;
	int err;

	if ((err = put_txn(e, &c, key, "VERSION", "version", version, value, len, 0)) < 0 ||
	    txn_succeeded(c.resp))
		goto cleanup;
	cur = txn_failure_kv(c.resp);
	if (cur && c.ambiguous && holds(e, &c, cur, value, len, &have) &&
	    have.version == version + 1)
		goto cleanup;
	tc_error_set("%s: txn %s: version is %lld, not %lld", e->desc, key,
		     (long long)(cur ? tc_kv_etcd_num(cur, "version") : 0), (long long)version);
	err = TC_ECONFLICT;
cleanup:
	tc_kv_value_dispose(&have);
	tc_kv_etcd_call_dispose(&c);
	return err;
}

static int etcd_create(int64_t *create_revision, tc_kv *kv, const char *key, const void *value,
		       size_t len, int64_t lease)
{
	tc_kv_etcd *e = (tc_kv_etcd *)kv;
	tc_kv_etcd_call c = { "txn", "/v3/kv/txn", key, NULL, NULL, 0 };
	tc_kv_value have = TC_KV_VALUE_INIT;
	const cJSON *cur;
	int err;

	if ((err = put_txn(e, &c, key, "CREATE", "create_revision", 0, value, len, lease)) < 0)
		goto cleanup;
	if (txn_succeeded(c.resp)) {
		/* the txn's revision is the put's */
		const cJSON *hdr = cJSON_GetObjectItemCaseSensitive(c.resp, "header");
		*create_revision = tc_kv_etcd_num(hdr, "revision");
		goto cleanup;
	}
	cur = txn_failure_kv(c.resp);
	if (cur && c.ambiguous && holds(e, &c, cur, value, len, &have) && have.lease == lease) {
		*create_revision = have.create_revision;
		goto cleanup;
	}
	tc_error_set("%s: txn %s: exists (created at revision %lld)", e->desc, key,
		     (long long)(cur ? tc_kv_etcd_num(cur, "create_revision") : 0));
	err = TC_ECONFLICT;
cleanup:
	tc_kv_value_dispose(&have);
	tc_kv_etcd_call_dispose(&c);
	return err;
}

static int etcd_del(tc_kv *kv, const char *key, int64_t create_revision)
{
	tc_kv_etcd *e = (tc_kv_etcd *)kv;
	tc_kv_etcd_call c = { "deleterange", "/v3/kv/deleterange", key, NULL, NULL, 0 };
	const cJSON *cur;
	cJSON *d;
	int err;

	if (!create_revision) {
		if (!(c.req = cJSON_CreateObject()) || add_b64(c.req, "key", key, strlen(key)) < 0)
			err = oom(e, c.op, key);
		else
			err = tc_kv_etcd_do(e, &c);
		goto cleanup;
	}
	c.op = "txn";
	c.path = "/v3/kv/txn";
	if ((d = cJSON_CreateObject()) && add_b64(d, "key", key, strlen(key)) < 0) {
		cJSON_Delete(d);
		d = NULL;
	}
	/* txn_new owns d from here */
	if (!d || txn_new(&c.req, key, "CREATE", "create_revision", create_revision,
			  "request_delete_range", d, 1) < 0) {
		err = oom(e, c.op, key);
		goto cleanup;
	}
	if ((err = tc_kv_etcd_do(e, &c)) < 0 || txn_succeeded(c.resp))
		goto cleanup;
	/* gone already (expired, or our own delete whose answer was lost): done */
	if (!(cur = txn_failure_kv(c.resp)))
		goto cleanup;
	tc_error_set("%s: txn %s: created at revision %lld, not %lld", e->desc, key,
		     (long long)tc_kv_etcd_num(cur, "create_revision"), (long long)create_revision);
	err = TC_ECONFLICT;
cleanup:
	tc_kv_etcd_call_dispose(&c);
	return err;
}

static int etcd_list(tc_strlist *out, tc_kv *kv, const char *prefix)
{
	tc_kv_etcd *e = (tc_kv_etcd *)kv;
	tc_kv_etcd_call c = { "range", "/v3/kv/range", *prefix ? prefix : "\"\"", NULL, NULL, 0 };
	size_t plen = strlen(prefix), elen;
	char *end = NULL;
	const cJSON *kvs, *k;
	tc_buf name = TC_BUF_INIT;
	int err = TC_OK;

	if (!(end = malloc(plen + 1))) {
		err = oom(e, c.op, c.subject);
		goto cleanup;
	}
	elen = prefix_end(end, prefix);
	if (!(c.req = cJSON_CreateObject()) ||
	    add_b64(c.req, "key", *prefix ? prefix : "", *prefix ? plen : 1) < 0 ||
	    add_b64(c.req, "range_end", end, elen) < 0 ||
	    !cJSON_AddTrueToObject(c.req, "keys_only")) {
		err = oom(e, c.op, c.subject);
		goto cleanup;
	}
	if ((err = tc_kv_etcd_do(e, &c)) < 0)
		goto cleanup;
	kvs = cJSON_GetObjectItemCaseSensitive(c.resp, "kvs");
	cJSON_ArrayForEach(k, kvs) {
		const cJSON *kk = cJSON_GetObjectItemCaseSensitive(k, "key");
		name.len = 0;
		if (!cJSON_IsString(kk) || b64_decode(&name, kk->valuestring) < 0 ||
		    memchr(name.ptr, '\0', name.len)) {
			tc_error_set("%s: range %s: a key in the answer is not base64 of a string",
				     e->desc, c.subject);
			err = TC_ECORRUPT;
			goto cleanup;
		}
		if ((err = tc_strlist_addn(out, (const char *)name.ptr, name.len)) < 0)
			goto cleanup;
	}
cleanup:
	tc_buf_dispose(&name);
	free(end);
	tc_kv_etcd_call_dispose(&c);
	return err;
}

static int lease_call(tc_kv_etcd_call *c, tc_kv_etcd *e, char *subject, size_t subjsz,
		      const char *op, const char *path, int64_t id, const char *field, int64_t v)
{
	snprintf(subject, subjsz, "%lld", (long long)id);
	c->op = op;
	c->path = path;
	c->subject = subject;
	if (!(c->req = cJSON_CreateObject()) || add_num(c->req, field, v) < 0)
		return oom(e, op, subject);
	return tc_kv_etcd_do(e, c);
}

static int etcd_lease_grant(int64_t *id, tc_kv *kv, int64_t ttl_s)
{
	tc_kv_etcd *e = (tc_kv_etcd *)kv;
	tc_kv_etcd_call c = { 0 };
	char subj[32];
	const cJSON *msg;
	int err;

	if ((err = lease_call(&c, e, subj, sizeof(subj), "lease grant TTL", "/v3/lease/grant", ttl_s,
			      "TTL", ttl_s)) < 0)
		goto cleanup;
	msg = cJSON_GetObjectItemCaseSensitive(c.resp, "error");
	if ((*id = tc_kv_etcd_num(c.resp, "ID")) <= 0 || (cJSON_IsString(msg) && msg->valuestring[0])) {
		tc_error_set("%s: lease grant: %s", e->desc,
			     cJSON_IsString(msg) && msg->valuestring[0] ? msg->valuestring
									: "no lease ID in the answer");
		*id = 0;
		err = TC_ERROR;
	}
cleanup:
	tc_kv_etcd_call_dispose(&c);
	return err;
}

static int etcd_lease_keepalive(int64_t *ttl_s, tc_kv *kv, int64_t id)
{
	tc_kv_etcd *e = (tc_kv_etcd *)kv;
	tc_kv_etcd_call c = { 0 };
	const cJSON *res;
	char subj[32];
	int err;

	if ((err = lease_call(&c, e, subj, sizeof(subj), "lease keepalive", "/v3/lease/keepalive",
			      id, "ID", id)) < 0)
		goto cleanup;
	/* a stream: one {"result": LeaseKeepAliveResponse}; TTL <= 0 (absent) is "no such lease" */
	res = cJSON_GetObjectItemCaseSensitive(c.resp, "result");
	if ((*ttl_s = tc_kv_etcd_num(res, "TTL")) <= 0) {
		tc_error_set("%s: lease keepalive %s: lease expired or revoked", e->desc, subj);
		err = TC_ENOTFOUND;
	}
cleanup:
	tc_kv_etcd_call_dispose(&c);
	return err;
}

static int etcd_lease_revoke(tc_kv *kv, int64_t id)
{
	tc_kv_etcd *e = (tc_kv_etcd *)kv;
	tc_kv_etcd_call c = { 0 };
	char subj[32];
	int err;

	err = lease_call(&c, e, subj, sizeof(subj), "lease revoke", "/v3/lease/revoke", id, "ID", id);
	tc_kv_etcd_call_dispose(&c);
	/* already expired, or revoked by an attempt whose answer was lost */
	return err == TC_ENOTFOUND ? TC_OK : err;
}

static const char *etcd_describe(const tc_kv *kv)
{
	return ((const tc_kv_etcd *)kv)->desc;
}

static void etcd_free(tc_kv *kv)
{
	tc_kv_etcd *e = (tc_kv_etcd *)kv;

	for (size_t i = 0; i < e->n; i++) {
		free(e->eps[i].url);
		free(e->eps[i].hostport);
		free(e->eps[i].token);
	}
	free(e->eps);
	tc_kv_etcd_http_free(e);
	free(e->desc);
	free(e->username);
	if (e->password) {
		OPENSSL_cleanse(e->password, strlen(e->password));
		free(e->password);
	}
	free(e->cert);
	free(e->key);
	free(e->ca);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

static const tc_kv_ops etcd_ops = {
	.name = "etcd",
	.get = etcd_get,
	.cas = etcd_cas,
	.create = etcd_create,
	.del = etcd_del,
	.list = etcd_list,
	.lease_grant = etcd_lease_grant,
	.lease_keepalive = etcd_lease_keepalive,
	.lease_revoke = etcd_lease_revoke,
	.describe = etcd_describe,
	.free = etcd_free,
};

/* ---- construction ---- */

/* "host:port" or "http(s)://host:port[/]" into a base URL and its host:port. */
static int endpoint_parse(tc_kv_etcd_endpoint *ep, const char *s, int tls)
{
	const char *scheme = tls ? "https" : "http", *hp = s;
	size_t len;

	if (!strncmp(s, "http://", 7)) {
		scheme = "http";
		hp = s + 7;
	} else if (!strncmp(s, "https://", 8)) {
		scheme = "https";
		hp = s + 8;
	} else if (strstr(s, "://")) {
		tc_error_set("etcd endpoint \"%s\": only http:// and https:// are supported",
			     tc_utf8_printable(s, 256));
		return TC_EINVALID;
	}
	len = strlen(hp);
	if (len && hp[len - 1] == '/')
		len--;
	if (len == 0 || len > 255 || memchr(hp, '/', len) || strpbrk(hp, " \t\r\n")) {
		tc_error_set("etcd endpoint \"%s\": want host:port", tc_utf8_printable(s, 256));
		return TC_EINVALID;
	}
	if (!(ep->hostport = strndup(hp, len)) || !(ep->url = malloc(len + 16))) {
		tc_error_set("etcd: out of memory");
		return TC_ERROR;
	}
	snprintf(ep->url, len + 16, "%s://%s", scheme, ep->hostport);
	return TC_OK;
}

static int dup_opt(char **out, const char *s)
{
	if (s && *s && !(*out = strdup(s))) {
		tc_error_set("etcd: out of memory");
		return TC_ERROR;
	}
	return TC_OK;
}

static long ms_of(int64_t ns)
{
	int64_t ms = ns / 1000000;
	return ms < 1 ? 1 : ms > LONG_MAX / 4 ? LONG_MAX / 4 : (long)ms;
}

int tc_kv_etcd_new(tc_kv **out, const tc_kv_etcd_options *o)
{
	tc_kv_etcd *e = NULL;
	tc_buf desc = TC_BUF_INIT;
	int err = TC_ERROR;

	*out = NULL;
	if (!o->n_endpoints || !o->endpoints) {
		tc_error_set("etcd: no endpoints");
		return TC_EINVALID;
	}
	if ((o->username && *o->username) != (o->password && *o->password)) {
		tc_error_set("etcd: username and password go together");
		return TC_EINVALID;
	}
	if (!(e = calloc(1, sizeof(*e))) || !(e->eps = calloc(o->n_endpoints, sizeof(*e->eps)))) {
		tc_error_set("etcd: out of memory");
		goto fail;
	}
	pthread_mutex_init(&e->mu, NULL);
	if ((err = tc_kv_etcd_http_init(e)) < 0)
		goto fail;
	e->base.ops = &etcd_ops;
	e->n = o->n_endpoints;
	e->connect_ms = o->dial_timeout_ns > 0 ? ms_of(o->dial_timeout_ns) : DEFAULT_DIAL_MS;
	e->request_ms = o->request_timeout_ns > 0 ? ms_of(o->request_timeout_ns) : 2 * e->connect_ms;
	e->max_retries = o->max_retries;
	e->insecure = o->tls_insecure_skip_verify;
	atomic_init(&e->rng, (uint64_t)tc_mono_ns() ^ (uint64_t)(uintptr_t)e);
	atomic_init(&e->cur, 0);
	err = tc_buf_puts(&desc, "etcd ");
	for (size_t i = 0; i < e->n && err == TC_OK; i++) {
		if (!o->endpoints[i]) {
			tc_error_set("etcd: endpoint %zu is NULL", i);
			err = TC_EINVALID;
			break;
		}
		if ((err = endpoint_parse(&e->eps[i], o->endpoints[i], o->tls_enabled)) == TC_OK)
			err = tc_buf_printf(&desc, "%s%s", i ? "," : "", e->eps[i].hostport);
	}
	if (err < 0 || (err = tc_buf_cstr(&desc)) < 0)
		goto fail;
	e->desc = (char *)tc_buf_detach(&desc, NULL);
	err = TC_ERROR;
	if (dup_opt(&e->username, o->username) < 0 || dup_opt(&e->password, o->password) < 0 ||
	    dup_opt(&e->cert, o->tls_cert_path) < 0 || dup_opt(&e->key, o->tls_key_path) < 0 ||
	    dup_opt(&e->ca, o->tls_ca_path) < 0)
		goto fail;
	*out = &e->base;
	return TC_OK;
fail:
	tc_buf_dispose(&desc);
	if (e && e->eps)
		etcd_free(&e->base);
	else
		free(e);
	return err;
}
