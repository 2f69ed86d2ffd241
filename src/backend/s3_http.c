/*
 * One signed S3 request with retries, on a handle from the backend's pool
 * of libcurl easy handles (src/util/curl.h).
 */
#include "src/backend/s3_impl.h"
#include "src/backend/xml_impl.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "src/util/cancel.h"
#include "src/util/curl.h"
#include "src/util/error.h"
#include "src/util/ids.h"
#include "src/util/log.h"

#define POOL_MAX 64
#define CONNECT_TIMEOUT_S 10L
/* A transfer slower than LOW_SPEED_BYTES/s for LOW_SPEED_S seconds is a timeout. */
#define LOW_SPEED_BYTES 1024L
#define LOW_SPEED_S 30L
#define BACKOFF_BASE_MS 100u
#define BACKOFF_MAX_MS 10000u
#define MAX_HEADERS 24

int tc_s3_http_init(tc_s3 *s)
{
	tc_xml_init();
	return tc_curl_pool_new(&s->pool, POOL_MAX);
}

void tc_s3_http_free(tc_s3 *s)
{
	tc_curl_pool_free(s->pool);
	s->pool = NULL;
}

void tc_s3_call_dispose(tc_s3_call *c)
{
	if (c)
		tc_buf_dispose(&c->xml);
}

/* ---- one transfer ---- */

typedef struct xfer {
	tc_curl_sink sink;
	tc_s3 *s;
	tc_s3_call *c;
} xfer;

/* curl calls this at least once a second, even while the peer says nothing. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	xfer *x = ud;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return tc_cancel_fired(x->s->cancel) ? 1 : 0;
}

static int is_2xx(long st)
{
	return st >= 200 && st < 300;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	xfer *x = ud;
	tc_s3_call *c = x->c;
	size_t len = sz * n;
	char v[256];

	if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (after 100 Continue): forget the previous one's headers */
		c->have_length = c->have_mtime = 0;
		c->etag[0] = '\0';
		return len;
	}
	if (tc_curl_header_value(v, sizeof(v), p, len, "content-length")) {
		char *end;
		unsigned long long u = strtoull(v, &end, 10);
		if (*v && !*end) {
			c->length = u;
			c->have_length = 1;
		}
	} else if (tc_curl_header_value(v, sizeof(v), p, len, "last-modified")) {
		time_t t = curl_getdate(v, NULL);
		if (t != (time_t)-1) {
			c->mtime = tc_time_from_unix((int64_t)t, 0);
			c->have_mtime = 1;
		}
	} else if (tc_curl_header_value(v, sizeof(v), p, len, "etag")) {
		snprintf(c->etag, sizeof(c->etag), "%s", v);
	}
	return len;
}

/* The object key below the bucket: prefix + key. */
static int full_key(tc_buf *b, const tc_s3 *s, const char *key)
{
	int err = tc_buf_puts(b, s->prefix);
	if (err == TC_OK && key)
		err = tc_buf_puts(b, key);
	if (err == TC_OK)
		err = tc_buf_cstr(b);
	return err;
}

/* The unencoded request path: "/bucket/<prefix><key>" or "/<prefix><key>". */
static int request_path(tc_buf *b, const tc_s3 *s, const char *key)
{
	int err = tc_buf_puts(b, s->path_base);
	if (err == TC_OK && key)
		err = full_key(b, s, key);
	else if (err == TC_OK && b->len > 1)
		b->len--; /* the bucket itself: "/bucket", no trailing '/' */
	if (err == TC_OK)
		err = tc_buf_cstr(b);
	return err;
}

static int build_url(tc_buf *url, const tc_s3 *s, const char *path, const tc_s3_call *c)
{
	int err = tc_buf_puts(url, s->url_base);

	if (err == TC_OK)
		err = tc_sigv4_uri_encode(url, path, strlen(path), 1);
	for (size_t i = 0; i < c->nquery && err == TC_OK; i++) {
		const char *v = c->query[i].value ? c->query[i].value : "";
		err = tc_buf_putc(url, i ? '&' : '?');
		if (err == TC_OK)
			err = tc_sigv4_uri_encode(url, c->query[i].name, strlen(c->query[i].name), 0);
		if (err == TC_OK && *v) { /* "?uploads", not "?uploads=" */
			err = tc_buf_putc(url, '=');
			if (err == TC_OK)
				err = tc_sigv4_uri_encode(url, v, strlen(v), 0);
		}
	}
	if (err == TC_OK)
		err = tc_buf_cstr(url);
	return err;
}

static int add_header(struct curl_slist **l, const char *name, const char *value)
{
	char line[2048];
	struct curl_slist *n;
	int len = snprintf(line, sizeof(line), "%s: %s", name, value);

	if (len < 0 || (size_t)len >= sizeof(line)) {
		tc_error_set("s3: header %s too long", name);
		return TC_EINVALID;
	}
	if (!(n = curl_slist_append(*l, line))) {
		tc_error_set("s3: out of memory");
		return TC_ERROR;
	}
	*l = n;
	return TC_OK;
}

static int has_header(const tc_s3_call *c, const char *name)
{
	for (size_t i = 0; i < c->nheaders; i++)
		if (!strcasecmp(c->headers[i].name, name))
			return 1;
	return 0;
}

/* Signs (unless anonymous) and collects every header to send. */
static int make_headers(struct curl_slist **l, tc_s3 *s, const tc_s3_call *c, const char *path,
			const char *payload_hash)
{
	tc_sigv4_pair hdr[MAX_HEADERS];
	tc_sigv4_signed sig;
	size_t n = 0;
	int err = TC_OK;

	memset(&sig, 0, sizeof(sig));
	if (c->nheaders + 1 > MAX_HEADERS) {
		tc_error_set("s3: too many headers");
		return TC_EINVALID;
	}
	hdr[n++] = (tc_sigv4_pair){ "Host", s->host };
	for (size_t i = 0; i < c->nheaders; i++)
		hdr[n++] = c->headers[i];
	if (s->access_key) {
		tc_sigv4_creds cr = { s->access_key, s->secret_key, s->session_token };
		tc_sigv4_request r = {
			.method = c->method, .path = path, .query = c->query, .nquery = c->nquery,
			.headers = hdr, .nheaders = n, .payload_hash = payload_hash,
			.region = s->region, .service = "s3", .time = (int64_t)time(NULL),
			.flags = TC_SIGV4_CONTENT_SHA256,
		};
		if ((err = tc_sigv4_sign(&sig, &r, &cr)) < 0)
			return err;
	}
	for (size_t i = 0; i < n && err == TC_OK; i++)
		err = add_header(l, hdr[i].name, hdr[i].value);
	for (size_t i = 0; i < sig.nadd && err == TC_OK; i++)
		err = add_header(l, sig.add[i].name, sig.add[i].value);
	if (err == TC_OK && sig.authorization)
		err = add_header(l, "Authorization", sig.authorization);
	/* curl's POST default would be a form; S3 bodies are not */
	if (err == TC_OK && (!strcmp(c->method, "PUT") || !strcmp(c->method, "POST")) &&
	    !has_header(c, "Content-Type")) {
		struct curl_slist *x = curl_slist_append(*l, "Content-Type:");
		if (x)
			*l = x;
		else
			err = TC_ERROR;
	}
	tc_sigv4_signed_dispose(&sig);
	return err;
}

static void setup(CURL *h, const tc_s3 *s, tc_s3_call *c, const char *url, struct curl_slist *l,
		  xfer *x, char *errbuf)
{
	tc_curl_setup(h, url, l, errbuf, s->skip_verify);
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_BYTES);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_S);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, tc_curl_on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x->sink);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
	if (!strcmp(c->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(c->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (c->body || !strcmp(c->method, "PUT") || !strcmp(c->method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body ? c->body : (const void *)"");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
	} else {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
	}
}

static int retryable_curl(CURLcode rc)
{
	return tc_curl_transient(rc) || rc == CURLE_HTTP2 || rc == CURLE_HTTP2_STREAM;
}

static int retryable_status(long st, const char *code)
{
	/* 501 NotImplemented will not change on a retry */
	return (st >= 500 && st != 501) || st == 429 || !strcmp(code, "SlowDown") ||
	       !strcmp(code, "RequestTimeout") || !strcmp(code, "Throttling") ||
	       !strcmp(code, "ThrottlingException") || !strcmp(code, "RequestTimeTooSkewed");
}

void tc_s3_http_cancel(tc_s3 *s)
{
	tc_cancel_fire(s->cancel);
}

static void what_suffix(char *out, size_t outsz, const tc_s3_call *c)
{
	if (c->what)
		snprintf(out, outsz, " (%s)", c->what);
	else
		out[0] = '\0';
}

/* The subject of messages: the key below the bucket, or the bucket. */
static void subject(char *out, size_t outsz, const tc_s3 *s, const tc_s3_call *c)
{
	if (c->key)
		snprintf(out, outsz, "%s%s", s->prefix, c->key);
	else
		snprintf(out, outsz, "bucket %s", s->bucket);
}

int tc_s3_http_fail(tc_s3 *s, tc_s3_call *c, const char *code, const char *msg)
{
	char subj[TC_KEY_MAX * 2 + 64], what[TC_KEY_MAX + 64];

	subject(subj, sizeof(subj), s, c);
	what_suffix(what, sizeof(what), c);
	tc_error_set("s3 %s %s%s: %ld %s%s%s", c->method, subj, what, c->status,
		     *code ? code : "error", *msg ? ": " : "", msg);
	return TC_ERROR;
}

static int canceled_error(tc_s3 *s, tc_s3_call *c)
{
	char subj[TC_KEY_MAX * 2 + 64], what[TC_KEY_MAX + 64];

	subject(subj, sizeof(subj), s, c);
	what_suffix(what, sizeof(what), c);
	tc_error_set("s3 %s %s%s: canceled (shutting down)", c->method, subj, what);
	return TC_ECANCELED;
}

/* Message and code for a non-2xx response. */
static int status_error(tc_s3 *s, tc_s3_call *c, unsigned attempts)
{
	char msg[512] = "", subj[TC_KEY_MAX * 2 + 64], what[TC_KEY_MAX + 64], tries[48] = "";

	tc_s3_xml_error(c->code, sizeof(c->code), msg, sizeof(msg), &c->xml);
	subject(subj, sizeof(subj), s, c);
	what_suffix(what, sizeof(what), c);
	if (attempts > 1)
		snprintf(tries, sizeof(tries), " (after %u attempts)", attempts);
	/* NoSuchUpload: an upload already completed or aborted, which callers treat as gone. */
	if (c->status == 404 && (!strcmp(c->code, "NoSuchKey") || !strcmp(c->code, "NoSuchUpload") ||
				 (!c->code[0] && !strcmp(c->method, "HEAD")))) {
		tc_error_set("s3 %s %s%s: not found (404 %s)", c->method, subj, what,
			     c->code[0] ? c->code : "Not Found");
		return TC_ENOTFOUND;
	}
	tc_error_set("s3 %s %s%s: %ld %s%s%s%s", c->method, subj, what, c->status,
		     c->code[0] ? c->code : "error", msg[0] ? ": " : "", msg, tries);
	return TC_ERROR;
}

static void observe(tc_s3 *s, const tc_s3_call *c, uint64_t t0)
{
	char st[16];

	if (!s->metrics)
		return;
	snprintf(st, sizeof(st), "%ld", c->status);
	tc_metrics_observe(s->metrics, TC_M_BACKEND_REQUEST_DURATION_SECONDS,
			   (double)(tc_mono_ns() - t0) / 1e9, c->method, st);
}

/* Runs one attempt; sets *retry when another attempt may succeed. */
static int attempt(tc_s3 *s, tc_s3_call *c, CURL *h, const char *path, const char *url,
		   const char *payload_hash, size_t out_start, unsigned attempts, int *retry)
{
	struct curl_slist *l = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	xfer x = { .s = s, .c = c };
	uint64_t t0;
	CURLcode rc;
	int err;

	*retry = 0;
	c->status = 0;
	c->code[0] = '\0';
	c->got = 0;
	c->have_length = c->have_mtime = 0;
	c->etag[0] = '\0';
	tc_buf_clear(&c->xml);
	if (c->out)
		c->out->len = out_start;
	if ((err = make_headers(&l, s, c, path, payload_hash)) < 0) {
		curl_slist_free_all(l);
		return err;
	}
	x.sink = (tc_curl_sink){ .h = h, .status = &c->status, .got = &c->got, .out = c->out,
				 .fixed = c->fixed, .fixed_len = c->fixed_len, .other = &c->xml,
				 .other_max = TC_S3_XML_MAX };
	curl_easy_reset(h);
	setup(h, s, c, url, l, &x, errbuf);
	t0 = tc_mono_ns();
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
	curl_slist_free_all(l);
	observe(s, c, t0);
	if (x.sink.out_err) {
		char subj[TC_KEY_MAX * 2 + 64];
		subject(subj, sizeof(subj), s, c);
		tc_error_set("s3 %s %s: object exceeds the read buffer's limit of %zu bytes",
			     c->method, subj, c->out->cap ? c->out->cap : TC_BUF_DEFAULT_CAP);
		return x.sink.out_err;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && tc_cancel_fired(s->cancel))
		return canceled_error(s, c);
	if (x.sink.overflow) {
		char subj[TC_KEY_MAX * 2 + 64];
		subject(subj, sizeof(subj), s, c);
		tc_error_set("s3 %s %s: more bytes than the %zu requested (Range ignored?)",
			     c->method, subj, c->fixed_len);
		return TC_ECORRUPT;
	}
	if (rc != CURLE_OK && !(x.sink.other_full && c->status)) {
		char subj[TC_KEY_MAX * 2 + 64], what[TC_KEY_MAX + 64];
		*retry = retryable_curl(rc);
		subject(subj, sizeof(subj), s, c);
		what_suffix(what, sizeof(what), c);
		tc_error_set("s3 %s %s%s: %s (%s%s)%s", c->method, subj, what,
			     curl_easy_strerror(rc), errbuf[0] ? errbuf : "no details",
			     c->status ? "" : ", no response", attempts > 1 ? " after retries" : "");
		return TC_ERROR;
	}
	if (is_2xx(c->status) && x.sink.other_full) {
		/* A truncated document would read as one without the error or item it lost. */
		char subj[TC_KEY_MAX * 2 + 64];
		subject(subj, sizeof(subj), s, c);
		tc_error_set("s3 %s %s: response body larger than %zu bytes", c->method, subj,
			     TC_S3_XML_MAX);
		return TC_ELIMIT;
	}
	if (is_2xx(c->status))
		return TC_OK;
	err = status_error(s, c, attempts);
	*retry = retryable_status(c->status, c->code);
	return err;
}

int tc_s3_http_do(tc_s3 *s, tc_s3_call *c)
{
	tc_buf path = TC_BUF_INIT, url = TC_BUF_INIT;
	char hash[65];
	const char *payload_hash = TC_SIGV4_EMPTY_SHA256;
	size_t out_start = c->out ? c->out->len : 0;
	CURL *h = NULL;
	int err, retry = 0;

	tc_buf_init(&c->xml, TC_S3_XML_MAX);
	if ((err = request_path(&path, s, c->key)) < 0 ||
	    (err = build_url(&url, s, (const char *)path.ptr, c)) < 0)
		goto cleanup;
	if (c->body && c->body_len) {
		if (s->unsigned_payload && !strcmp(c->method, "PUT")) {
			payload_hash = TC_SIGV4_UNSIGNED_PAYLOAD;
		} else {
			if ((err = tc_sigv4_sha256_hex(hash, c->body, c->body_len)) < 0)
				goto cleanup;
			payload_hash = hash;
		}
	}
	if (!(h = tc_curl_pool_get(s->pool))) {
		tc_error_set("s3: cannot create a curl handle");
		err = TC_ERROR;
		goto cleanup;
	}
	for (unsigned n = 0;; n++) {
		if (tc_cancel_fired(s->cancel)) {
			err = canceled_error(s, c);
			break;
		}
		err = attempt(s, c, h, (const char *)path.ptr, (const char *)url.ptr, payload_hash,
			      out_start, n + 1, &retry);
		if (err == TC_OK || !retry || n >= s->max_retries)
			break;
		if (s->metrics)
			tc_metrics_add(s->metrics, TC_M_BACKEND_RETRIES_TOTAL, 1, c->method, NULL);
		tc_log_debug("msg=\"s3 request failed, retrying\" attempt=%u err=%s", n + 1,
			     tc_log_q(tc_error_last()));
		if (tc_cancel_backoff(s->cancel, n, BACKOFF_BASE_MS, BACKOFF_MAX_MS)) {
			err = canceled_error(s, c);
			break;
		}
	}
	if (err < 0 && c->out)
		c->out->len = out_start;
cleanup:
	if (h)
		tc_curl_pool_put(s->pool, h);
	tc_buf_dispose(&path);
	tc_buf_dispose(&url);
	return err;
}
