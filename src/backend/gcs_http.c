/*
 * One GCS request with retries, on a handle from the backend's pool of
 * libcurl easy handles (src/util/curl.h), with the bearer token of
 * gcs_auth.c unless the call is anonymous.
 */
#include "src/backend/gcs_impl.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "src/util/ids.h"
#include "src/util/log.h"

#define CONNECT_TIMEOUT_S 10L
/* A transfer slower than LOW_SPEED_BYTES/s for LOW_SPEED_S seconds is a timeout. */
#define LOW_SPEED_BYTES 1024L
#define LOW_SPEED_S 30L
#define BACKOFF_BASE_MS 100u
#define BACKOFF_MAX_MS 10000u
#define TOKEN_MAX 4096

void tc_gcs_call_dispose(tc_gcs_call *c)
{
	if (c)
		tc_buf_dispose(&c->json);
}

int tc_gcs_escape(tc_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int err = TC_OK;

	for (const unsigned char *p = (const unsigned char *)s; *p && err == TC_OK; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			err = tc_buf_putc(b, (char)*p);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			err = tc_buf_put(b, e, 3);
		}
	}
	return err;
}

typedef struct xfer {
	tc_curl_sink sink;
	tc_gcs *g;
	tc_gcs_call *c;
} xfer;

static int is_2xx(long st)
{
	return st >= 200 && st < 300;
}

static int is_ok(const tc_gcs_call *c)
{
	return is_2xx(c->status) || (c->ok_308 && c->status == 308) ||
	       (c->ok_499 && c->status == 499);
}

/* curl calls this at least once a second, even while the peer says nothing. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	xfer *x = ud;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return tc_cancel_fired(x->g->cancel) ? 1 : 0;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	xfer *x = ud;
	tc_gcs_call *c = x->c;
	size_t len = sz * n;

	if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (after 100 Continue): forget the previous one's headers */
		c->location[0] = c->range[0] = '\0';
		return len;
	}
	if (!tc_curl_header_value(c->location, sizeof(c->location), p, len, "location"))
		tc_curl_header_value(c->range, sizeof(c->range), p, len, "range");
	return len;
}

static int add_header(struct curl_slist **l, const char *line)
{
	struct curl_slist *n = curl_slist_append(*l, line);

	if (!n) {
		tc_error_set("gcs: out of memory");
		return TC_ERROR;
	}
	*l = n;
	return TC_OK;
}

/* The call's headers and, unless anonymous, "Authorization: Bearer <token>" (token: out). */
static int make_headers(struct curl_slist **l, tc_gcs *g, const tc_gcs_call *c, char *token)
{
	char line[TOKEN_MAX + 32];
	int err = TC_OK, has_type = 0;

	token[0] = '\0';
	for (size_t i = 0; i < c->nheaders && err == TC_OK; i++) {
		if (!strncasecmp(c->headers[i], "Content-Type:", 13))
			has_type = 1;
		err = add_header(l, c->headers[i]);
	}
	/* curl's POST default would be a form; our bodies are not */
	if (err == TC_OK && !has_type && (!strcmp(c->method, "POST") || !strcmp(c->method, "PUT")))
		err = add_header(l, "Content-Type:");
	/* a PUT without a body still needs a length */
	if (err == TC_OK && !c->body_len && (!strcmp(c->method, "POST") || !strcmp(c->method, "PUT")))
		err = add_header(l, "Content-Length: 0");
	if (err == TC_OK)
		err = add_header(l, "Expect:");
	if (err == TC_OK && g->auth && !c->anonymous) {
		if ((err = tc_gcs_auth_token(token, TOKEN_MAX, g)) < 0)
			return err;
		snprintf(line, sizeof(line), "Authorization: Bearer %s", token);
		err = add_header(l, line);
		OPENSSL_cleanse(line, sizeof(line));
	}
	return err;
}

static void setup(CURL *h, const tc_gcs *g, tc_gcs_call *c, struct curl_slist *l, xfer *x,
		  char *errbuf)
{
	tc_curl_setup(h, c->url, l, errbuf, g->skip_verify);
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
	if (!strcmp(c->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (c->body || !strcmp(c->method, "PUT") || !strcmp(c->method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body ? c->body : (const void *)"");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
	} else {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
	}
}

static void what_suffix(char *out, size_t outsz, const tc_gcs_call *c)
{
	if (c->what)
		snprintf(out, outsz, " (%s)", c->what);
	else
		out[0] = '\0';
}

static int canceled_error(const tc_gcs_call *c)
{
	char what[TC_KEY_MAX + 64];

	what_suffix(what, sizeof(what), c);
	tc_error_set("gcs %s %s%s: canceled (shutting down)", c->method, c->subject, what);
	return TC_ECANCELED;
}

/* Message and code for a response that is not a success. */
static int status_error(tc_gcs_call *c, unsigned attempts)
{
	char msg[512] = "", what[TC_KEY_MAX + 64], tries[48] = "";

	tc_gcs_json_error(c->reason, sizeof(c->reason), msg, sizeof(msg), &c->json);
	what_suffix(what, sizeof(what), c);
	if (attempts > 1)
		snprintf(tries, sizeof(tries), " (after %u attempts)", attempts);
	if (c->status == 404) {
		tc_error_set("gcs %s %s%s: not found (404 %s%s%s)", c->method, c->subject, what,
			     c->reason[0] ? c->reason : "notFound", msg[0] ? ": " : "", msg);
		return TC_ENOTFOUND;
	}
	tc_error_set("gcs %s %s%s: %ld %s%s%s%s", c->method, c->subject, what, c->status,
		     c->reason[0] ? c->reason : "error", msg[0] ? ": " : "", msg, tries);
	return TC_ERROR;
}

static void observe(tc_gcs *g, const tc_gcs_call *c, uint64_t t0)
{
	char st[16];

	if (!g->metrics)
		return;
	snprintf(st, sizeof(st), "%ld", c->status);
	tc_metrics_observe(g->metrics, TC_M_BACKEND_REQUEST_DURATION_SECONDS,
			   (double)(tc_mono_ns() - t0) / 1e9, c->method, st);
}

static int retryable_curl(CURLcode rc)
{
	return tc_curl_transient(rc) || rc == CURLE_HTTP2 || rc == CURLE_HTTP2_STREAM;
}

int tc_gcs_http_retryable(const tc_gcs_call *c, int err)
{
	if (err == TC_OK || err == TC_ECANCELED || err == TC_ELIMIT || err == TC_ENOTFOUND)
		return 0;
	if (c->status == 0)
		return c->transfer_retryable;
	/* 501 Not Implemented will not change on a retry */
	return (c->status >= 500 && c->status != 501) || c->status == 429 || c->status == 408;
}

/* Runs one attempt. *token_refused: a 401 to the token we sent (in token). */
static int attempt(tc_gcs *g, tc_gcs_call *c, CURL *h, size_t out_start, unsigned attempts,
		   char *token)
{
	struct curl_slist *l = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	xfer x = { .g = g, .c = c };
	uint64_t t0;
	CURLcode rc;
	int err;

	c->transfer_retryable = 0;
	c->status = 0;
	c->reason[0] = c->location[0] = c->range[0] = '\0';
	c->got = 0;
	tc_buf_clear(&c->json);
	if (c->out)
		c->out->len = out_start;
	if ((err = make_headers(&l, g, c, token)) < 0) {
		curl_slist_free_all(l);
		return err;
	}
	x.sink = (tc_curl_sink){ .h = h, .status = &c->status, .got = &c->got, .out = c->out,
				 .fixed = c->fixed, .fixed_len = c->fixed_len, .other = &c->json,
				 .other_max = TC_GCS_JSON_MAX };
	curl_easy_reset(h);
	setup(h, g, c, l, &x, errbuf);
	t0 = tc_mono_ns();
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(l); /* it held the token */
	observe(g, c, t0);
	if (x.sink.out_err) {
		tc_error_set("gcs %s %s: object exceeds the read buffer's limit of %zu bytes",
			     c->method, c->subject, c->out->cap ? c->out->cap : TC_BUF_DEFAULT_CAP);
		return x.sink.out_err;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && tc_cancel_fired(g->cancel))
		return canceled_error(c);
	if (x.sink.overflow) {
		tc_error_set("gcs %s %s: more bytes than the %zu requested (Range ignored?)",
			     c->method, c->subject, c->fixed_len);
		return TC_ECORRUPT;
	}
	if (rc != CURLE_OK && !(x.sink.other_full && c->status)) {
		char what[TC_KEY_MAX + 64];
		c->transfer_retryable = retryable_curl(rc);
		c->status = 0;
		what_suffix(what, sizeof(what), c);
		tc_error_set("gcs %s %s%s: %s (%s, no response)%s", c->method, c->subject, what,
			     curl_easy_strerror(rc), errbuf[0] ? errbuf : "no details",
			     attempts > 1 ? " after retries" : "");
		return TC_ERROR;
	}
	if (is_ok(c) && x.sink.other_full) {
		/* A truncated document would read as one without the entries it lost. */
		tc_error_set("gcs %s %s: response body larger than %zu bytes", c->method,
			     c->subject, TC_GCS_JSON_MAX);
		return TC_ELIMIT;
	}
	if (is_ok(c))
		return TC_OK;
	return status_error(c, attempts);
}

int tc_gcs_http_backoff(tc_gcs *g, const char *method, unsigned round)
{
	if (g->metrics)
		tc_metrics_add(g->metrics, TC_M_BACKEND_RETRIES_TOTAL, 1, method, NULL);
	tc_log_debug("msg=\"gcs request failed, retrying\" attempt=%u err=%s", round + 1,
		     tc_log_q(tc_error_last()));
	return tc_cancel_backoff(g->cancel, round, BACKOFF_BASE_MS, BACKOFF_MAX_MS);
}

int tc_gcs_http_do(tc_gcs *g, tc_gcs_call *c)
{
	size_t out_start = c->out ? c->out->len : 0;
	char *token = NULL;
	CURL *h = NULL;
	int err, refreshed = 0;

	tc_buf_init(&c->json, TC_GCS_JSON_MAX);
	if (!(token = calloc(1, TOKEN_MAX)) || !(h = tc_curl_pool_get(g->pool))) {
		tc_error_set("gcs: cannot create a curl handle");
		err = TC_ERROR;
		goto cleanup;
	}
	for (unsigned n = 0;; n++) {
		if (tc_cancel_fired(g->cancel)) {
			err = canceled_error(c);
			break;
		}
		err = attempt(g, c, h, out_start, n + 1, token);
		if (err < 0 && c->status == 401 && token[0] && !refreshed) {
			/* revoked or expired early: one more try with a new token */
			tc_gcs_auth_invalidate(g->auth, token);
			refreshed = 1;
		} else if (!tc_gcs_http_retryable(c, err) || c->no_retry || n >= g->max_retries) {
			break;
		}
		if (tc_gcs_http_backoff(g, c->method, n)) {
			err = canceled_error(c);
			break;
		}
	}
	if (err < 0 && c->out)
		c->out->len = out_start;
cleanup:
	if (h)
		tc_curl_pool_put(g->pool, h);
	if (token) {
		memset(token, 0, TOKEN_MAX);
		free(token);
	}
	return err;
}
