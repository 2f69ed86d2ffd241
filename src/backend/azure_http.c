/*
 * One Shared Key signed Azure Blob request with retries, on a handle from
 * the backend's pool of libcurl easy handles (src/util/curl.h); backoff and
 * cancel through src/util/cancel.h, as the S3 backend.
 */
#include "src/backend/azure_impl.h"
#include "src/backend/xml_impl.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "src/util/ids.h"
#include "src/util/log.h"
#include "src/util/utf8.h"

#define POOL_MAX 64
#define CONNECT_TIMEOUT_S 10L
/* A transfer slower than LOW_SPEED_BYTES/s for LOW_SPEED_S seconds is a timeout. */
#define LOW_SPEED_BYTES 1024L
#define LOW_SPEED_S 30L
#define BACKOFF_BASE_MS 100u
#define BACKOFF_MAX_MS 10000u
#define MAX_HEADERS 16
#define SUBJ_MAX (TC_KEY_MAX * 2 + 64)

int tc_azure_name_check(const char *name)
{
	if (!strchr(name, '\\'))
		return TC_OK;
	tc_error_set("azure: invalid key \"%s\": Azure Blob Storage turns '\\' into '/'",
		     tc_utf8_printable(name, 200));
	return TC_EINVALID;
}

int tc_azure_http_init(tc_azure *a)
{
	tc_xml_init();
	return tc_curl_pool_new(&a->pool, POOL_MAX);
}

void tc_azure_http_free(tc_azure *a)
{
	tc_curl_pool_free(a->pool);
	a->pool = NULL;
}

void tc_azure_call_dispose(tc_azure_call *c)
{
	if (c)
		tc_buf_dispose(&c->xml);
}

typedef struct xfer {
	tc_curl_sink sink;
	tc_azure *a;
	tc_azure_call *c;
} xfer;

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	xfer *x = ud;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return tc_cancel_fired(x->a->cancel) ? 1 : 0;
}

static int is_2xx(long st)
{
	return st >= 200 && st < 300;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	xfer *x = ud;
	tc_azure_call *c = x->c;
	size_t len = sz * n;
	char v[256];

	if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (after 100 Continue): forget the previous one's headers */
		c->have_length = c->have_mtime = 0;
		c->code[0] = '\0';
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
	} else if (tc_curl_header_value(v, sizeof(v), p, len, "x-ms-error-code")) {
		tc_xml_show(c->code, sizeof(c->code), v, 60);
	}
	return len;
}

/* The unencoded request path: path_base + key, or the container without its '/'. */
static int request_path(tc_buf *b, const tc_azure *a, const char *key)
{
	int err = tc_buf_puts(b, a->path_base);

	if (err == TC_OK && key)
		err = tc_buf_puts(b, key);
	else if (err == TC_OK)
		b->len--;
	if (err == TC_OK)
		err = tc_buf_cstr(b);
	return err;
}

static int build_url(tc_buf *url, const tc_azure *a, const char *path, const tc_azure_call *c)
{
	int err = tc_buf_puts(url, a->url_base);

	if (err == TC_OK)
		err = tc_sigv4_uri_encode(url, path, strlen(path), 1);
	for (size_t i = 0; i < c->nquery && err == TC_OK; i++) {
		const char *v = c->query[i].value ? c->query[i].value : "";
		err = tc_buf_putc(url, i ? '&' : '?');
		if (err == TC_OK)
			err = tc_sigv4_uri_encode(url, c->query[i].name, strlen(c->query[i].name), 0);
		if (err == TC_OK)
			err = tc_buf_putc(url, '=');
		if (err == TC_OK)
			err = tc_sigv4_uri_encode(url, v, strlen(v), 0);
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
		tc_error_set("azure: header %s too long", name);
		return TC_EINVALID;
	}
	if (!(n = curl_slist_append(*l, line))) {
		tc_error_set("azure: out of memory");
		return TC_ERROR;
	}
	*l = n;
	return TC_OK;
}

/* x-ms-date, x-ms-version, the call's headers and the Authorization over all of them. */
static int make_headers(struct curl_slist **l, tc_azure *a, const tc_azure_call *c,
			const char *path)
{
	tc_sigv4_pair hdr[MAX_HEADERS];
	char date[64], auth[TC_AZURE_AUTH_MAX];
	time_t now = time(NULL);
	struct tm tm;
	size_t n = 0;
	int err = TC_OK, has_type = 0;

	if (c->nheaders + 2 > MAX_HEADERS) {
		tc_error_set("azure: too many headers");
		return TC_EINVALID;
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	hdr[n++] = (tc_sigv4_pair){ "x-ms-date", date };
	hdr[n++] = (tc_sigv4_pair){ "x-ms-version", TC_AZURE_VERSION };
	for (size_t i = 0; i < c->nheaders; i++) {
		hdr[n++] = c->headers[i];
		has_type |= !strcasecmp(c->headers[i].name, "Content-Type");
	}
	{
		tc_azure_sign_request r = { .method = c->method, .path = path, .query = c->query,
					    .nquery = c->nquery, .headers = hdr, .nheaders = n,
					    .content_length = c->body_len };
		if ((err = tc_azure_sign(auth, &r, a->account, a->key, a->keylen)) < 0)
			return err;
	}
	for (size_t i = 0; i < n && err == TC_OK; i++)
		err = add_header(l, hdr[i].name, hdr[i].value);
	if (err == TC_OK)
		err = add_header(l, "Authorization", auth);
	/* curl's PUT default would add a form type, signed as "" by us */
	if (err == TC_OK && !has_type && !strcmp(c->method, "PUT")) {
		struct curl_slist *x = curl_slist_append(*l, "Content-Type:");
		if (x)
			*l = x;
		else
			err = TC_ERROR;
	}
	/* no "Expect: 100-continue" round trip before a block */
	if (err == TC_OK) {
		struct curl_slist *x = curl_slist_append(*l, "Expect:");
		if (x)
			*l = x;
		else
			err = TC_ERROR;
	}
	memset(auth, 0, sizeof(auth));
	return err;
}

static void setup(CURL *h, tc_azure_call *c, const char *url, struct curl_slist *l, xfer *x,
		  char *errbuf)
{
	tc_curl_setup(h, url, l, errbuf, 0);
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
	} else if (!strcmp(c->method, "PUT")) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body ? c->body : (const void *)"");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
	} else {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
	}
}

static int retryable_status(long st, const char *code)
{
	return (st >= 500 && st != 501 && st != 505) || st == 429 || !strcmp(code, "ServerBusy") ||
	       !strcmp(code, "OperationTimedOut") || !strcmp(code, "InternalError");
}

static void subject(char *out, size_t outsz, const tc_azure *a, const tc_azure_call *c)
{
	const char *what = c->what ? c->what : "";

	if (c->key)
		snprintf(out, outsz, "%s%s%s%s", c->key, *what ? " (" : "", what, *what ? ")" : "");
	else
		snprintf(out, outsz, "container %s%s%s%s", a->container, *what ? " (" : "", what,
			 *what ? ")" : "");
}

static int canceled_error(tc_azure *a, tc_azure_call *c)
{
	char subj[SUBJ_MAX];

	subject(subj, sizeof(subj), a, c);
	tc_error_set("azure %s %s: canceled (shutting down)", c->method, subj);
	return TC_ECANCELED;
}

/* Message and code for a non-2xx response. */
static int status_error(tc_azure *a, tc_azure_call *c, unsigned attempts)
{
	char msg[512] = "", code[64] = "", subj[SUBJ_MAX], tries[48] = "";

	if (tc_azure_xml_error(code, sizeof(code), msg, sizeof(msg), &c->xml) && !c->code[0])
		snprintf(c->code, sizeof(c->code), "%s", code);
	subject(subj, sizeof(subj), a, c);
	if (attempts > 1)
		snprintf(tries, sizeof(tries), " (after %u attempts)", attempts);
	if (c->status == 404 && (!strcmp(c->code, "BlobNotFound") ||
				 (!c->code[0] && !strcmp(c->method, "HEAD")))) {
		tc_error_set("azure %s %s: not found (404 %s)", c->method, subj,
			     c->code[0] ? c->code : "Not Found");
		return TC_ENOTFOUND;
	}
	tc_error_set("azure %s %s: %ld %s%s%s%s", c->method, subj, c->status,
		     c->code[0] ? c->code : "error", msg[0] ? ": " : "", msg, tries);
	return TC_ERROR;
}

static void observe(tc_azure *a, const tc_azure_call *c, uint64_t t0)
{
	char st[16];

	if (!a->metrics)
		return;
	snprintf(st, sizeof(st), "%ld", c->status);
	tc_metrics_observe(a->metrics, TC_M_BACKEND_REQUEST_DURATION_SECONDS,
			   (double)(tc_mono_ns() - t0) / 1e9, c->method, st);
}

/* Runs one attempt; sets *retry when another attempt may succeed. */
static int attempt(tc_azure *a, tc_azure_call *c, CURL *h, const char *path, const char *url,
		   size_t out_start, unsigned attempts, int *retry)
{
	struct curl_slist *l = NULL;
	char errbuf[CURL_ERROR_SIZE] = "", subj[SUBJ_MAX];
	xfer x = { .a = a, .c = c };
	uint64_t t0;
	CURLcode rc;
	int err;

	*retry = 0;
	c->status = 0;
	c->code[0] = '\0';
	c->got = 0;
	c->have_length = c->have_mtime = 0;
	tc_buf_clear(&c->xml);
	if (c->out)
		c->out->len = out_start;
	if ((err = make_headers(&l, a, c, path)) < 0) {
		curl_slist_free_all(l);
		return err;
	}
	x.sink = (tc_curl_sink){ .h = h, .status = &c->status, .got = &c->got, .out = c->out,
				 .fixed = c->fixed, .fixed_len = c->fixed_len, .other = &c->xml,
				 .other_max = TC_AZURE_XML_MAX };
	curl_easy_reset(h);
	setup(h, c, url, l, &x, errbuf);
	t0 = tc_mono_ns();
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
	curl_slist_free_all(l);
	observe(a, c, t0);
	subject(subj, sizeof(subj), a, c);
	if (x.sink.out_err) {
		tc_error_set("azure %s %s: blob exceeds the read buffer's limit of %zu bytes",
			     c->method, subj, c->out->cap ? c->out->cap : TC_BUF_DEFAULT_CAP);
		return x.sink.out_err;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && tc_cancel_fired(a->cancel))
		return canceled_error(a, c);
	if (x.sink.overflow) {
		tc_error_set("azure %s %s: more bytes than the %zu requested (x-ms-range ignored?)",
			     c->method, subj, c->fixed_len);
		return TC_ECORRUPT;
	}
	if (rc != CURLE_OK && !(x.sink.other_full && c->status)) {
		*retry = tc_curl_transient(rc) || rc == CURLE_HTTP2 || rc == CURLE_HTTP2_STREAM;
		tc_error_set("azure %s %s: %s (%s%s)%s", c->method, subj, curl_easy_strerror(rc),
			     errbuf[0] ? errbuf : "no details", c->status ? "" : ", no response",
			     attempts > 1 ? " after retries" : "");
		return TC_ERROR;
	}
	if (is_2xx(c->status) && x.sink.other_full) {
		tc_error_set("azure %s %s: response body larger than %zu bytes", c->method, subj,
			     TC_AZURE_XML_MAX);
		return TC_ELIMIT;
	}
	if (is_2xx(c->status))
		return TC_OK;
	err = status_error(a, c, attempts);
	*retry = retryable_status(c->status, c->code);
	return err;
}

int tc_azure_http_do(tc_azure *a, tc_azure_call *c)
{
	tc_buf path = TC_BUF_INIT, url = TC_BUF_INIT;
	size_t out_start = c->out ? c->out->len : 0;
	CURL *h = NULL;
	int err, retry = 0;

	tc_buf_init(&c->xml, TC_AZURE_XML_MAX);
	if ((c->key && (err = tc_azure_name_check(c->key)) < 0) ||
	    (err = request_path(&path, a, c->key)) < 0 ||
	    (err = build_url(&url, a, (const char *)path.ptr, c)) < 0)
		goto cleanup;
	if (!(h = tc_curl_pool_get(a->pool))) {
		tc_error_set("azure: cannot create a curl handle");
		err = TC_ERROR;
		goto cleanup;
	}
	for (unsigned n = 0;; n++) {
		if (tc_cancel_fired(a->cancel)) {
			err = canceled_error(a, c);
			break;
		}
		err = attempt(a, c, h, (const char *)path.ptr, (const char *)url.ptr, out_start, n + 1,
			      &retry);
		if (err == TC_OK || !retry || n >= a->max_retries)
			break;
		if (a->metrics)
			tc_metrics_add(a->metrics, TC_M_BACKEND_RETRIES_TOTAL, 1, c->method, NULL);
		tc_log_debug("msg=\"azure request failed, retrying\" attempt=%u err=%s", n + 1,
			     tc_log_q(tc_error_last()));
		if (tc_cancel_backoff(a->cancel, n, BACKOFF_BASE_MS, BACKOFF_MAX_MS)) {
			err = canceled_error(a, c);
			break;
		}
	}
	if (err < 0 && c->out)
		c->out->len = out_start;
cleanup:
	if (h)
		tc_curl_pool_put(a->pool, h);
	tc_buf_dispose(&path);
	tc_buf_dispose(&url);
	return err;
}
