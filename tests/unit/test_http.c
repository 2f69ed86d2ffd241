#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "tests/test.h"

#include "src/http/server.h"
#include "src/util/log.h"
#include "src/util/timeutil.h"

/* Stub service behind the handlers. */
static atomic_int ready_flag;
static atomic_int config_fails;
static atomic_int config_big; /* /config answers BIG_CONFIG bytes */
static atomic_int blocklist_calls;

#define BIG_CONFIG (16u << 20)

static int stub_ready(void *ctx)
{
	(void)ctx;
	return atomic_load(&ready_flag);
}

static int stub_blocklist(tc_buf *out, void *ctx, const char *tenant)
{
	(void)ctx;
	atomic_fetch_add(&blocklist_calls, 1);
	/* Like the service, quotes the name it refuses, raw: escaping is the server's job. */
	for (const char *p = tenant; *p; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
			tc_error_set("invalid tenant name \"%s\"", tenant);
			return TC_EINVALID;
		}
	}
	if (strcmp(tenant, "missing") == 0) {
		tc_error_set("tenant %s has no blocks", tenant);
		return TC_ENOTFOUND;
	}
	if (strcmp(tenant, "bad/name") == 0) {
		tc_error_set("invalid tenant name \"%s\"", tenant);
		return TC_EINVALID;
	}
	if (strcmp(tenant, "boom") == 0) {
		tc_error_set("backend exploded");
		return TC_ERROR;
	}
	return tc_buf_printf(out, "{\"tenant\":\"%s\",\"blocks\":[]}", tenant);
}

static int stub_config(tc_buf *out, void *ctx)
{
	(void)ctx;
	if (atomic_load(&config_fails)) {
		tc_error_set("config render failed");
		return TC_ERROR;
	}
	if (atomic_load(&config_big)) {
		for (size_t i = 0; i < BIG_CONFIG / 16; i++)
			if (tc_buf_puts(out, "# padding line.\n") < 0)
				return TC_ERROR;
		return TC_OK;
	}
	return tc_buf_puts(out, "target: compactor\nstorage:\n  trace:\n    backend: local\n");
}

/* The fake ring behind /compactor/ring. */
static atomic_int ring_configured;
static atomic_int status_json = -1;
static char forgot[8192];
static size_t forgot_len;
static atomic_int forget_calls;

static int stub_ring_status(tc_buf *out, void *ctx, int json)
{
	(void)ctx;
	if (!atomic_load(&ring_configured)) {
		tc_error_set("no compactor ring is configured");
		return TC_ENOTFOUND;
	}
	atomic_store(&status_json, json);
	return tc_buf_puts(out, json ? "{\"shards\":[]}" : "<!DOCTYPE html><html><form method=\"post\"></form></html>");
}

static int stub_ring_forget(void *ctx, const char *id)
{
	(void)ctx;
	if (!atomic_load(&ring_configured)) {
		tc_error_set("no compactor ring is configured");
		return TC_ENOTFOUND;
	}
	atomic_fetch_add(&forget_calls, 1);
	forgot_len = strlen(id);
	snprintf(forgot, sizeof(forgot), "%s", id);
	if (strcmp(id, "nobody") == 0 || strncmp(id, "ghost", 5) == 0) {
		tc_error_set("instance \"%s\" is not in the ring", id);
		return TC_ENOTFOUND;
	}
	if (strcmp(id, "myself") == 0) {
		tc_error_set("an instance cannot forget itself");
		return TC_EINVALID;
	}
	if (strcmp(id, "boom") == 0) {
		tc_error_set("etcd unreachable");
		return TC_ERROR;
	}
	return TC_OK;
}

typedef struct resp {
	long status;
	char ctype[128];
	char allow[64];
	char location[128];
	tc_buf body;
} resp;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	resp *r = ud;

	return tc_buf_put(&r->body, p, size * n) < 0 ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	resp *r = ud;
	size_t len = size * n;

	if (len > 7 && strncasecmp(p, "Allow: ", 7) == 0)
		snprintf(r->allow, sizeof(r->allow), "%.*s", (int)(len - 7), p + 7);
	r->allow[strcspn(r->allow, "\r\n")] = '\0';
	if (len > 10 && strncasecmp(p, "Location: ", 10) == 0)
		snprintf(r->location, sizeof(r->location), "%.*s", (int)(len - 10), p + 10);
	r->location[strcspn(r->location, "\r\n")] = '\0';
	return len;
}

/*
 * Sends method url with an optional header line and POST body (len bytes;
 * a urlencoded form unless the header says otherwise, or a multipart form
 * with one field forget=mime_value when mime_value is set).
 */
static int request_ex(resp *out, const char *method, const char *url, const char *header,
		      const char *post, size_t post_len, const char *mime_value)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	curl_mime *mime = NULL;
	const char *ct = NULL;
	CURLcode rc;

	memset(out, 0, sizeof(*out));
	tc_buf_init(&out->body, 1 << 24);
	if (!c)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (header) {
		hl = curl_slist_append(NULL, header);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	}
	if (mime_value) {
		curl_mimepart *part;
		mime = curl_mime_init(c);
		part = curl_mime_addpart(mime);
		curl_mime_name(part, "forget");
		curl_mime_data(part, mime_value, CURL_ZERO_TERMINATED);
		curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	} else if (post) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)post_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	}
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0 && !(strcmp(method, "POST") == 0 && (post || mime_value)))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
		if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
			snprintf(out->ctype, sizeof(out->ctype), "%s", ct);
	} else {
		fprintf(stderr, "curl %s %s: %s\n", method, url, curl_easy_strerror(rc));
	}
	curl_mime_free(mime);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK || tc_buf_cstr(&out->body) < 0)
		return -1;
	return 0;
}

/*
 * Sends method url (a POST with the form x=1); fills out (body
 * NUL-terminated). Returns 0 on a transport success.
 */
static int request(resp *out, const char *method, const char *url)
{
	const char *post = strcmp(method, "POST") == 0 ? "x=1" : NULL;

	return request_ex(out, method, url, NULL, post, post ? 3 : 0, NULL);
}

static const char *body(const resp *r)
{
	return r->body.ptr ? (const char *)r->body.ptr : "";
}

static tc_http *srv;
static tc_metrics *metrics;
static char base[64];

static int start_with(const tc_http_options *opt)
{
	static int curl_ready;
	tc_http_handlers h = { .ready = stub_ready, .blocklist_json = stub_blocklist, .config_yaml = stub_config,
			       .ring_status = stub_ring_status, .ring_forget = stub_ring_forget };

	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = 1;
		tc_log_set_level(TC_LOG_ERROR); /* the 500 cases log warnings by design */
	}
	if (tc_metrics_new(&metrics) < 0)
		return -1;
	h.metrics = metrics;
	atomic_store(&ready_flag, 1);
	atomic_store(&config_fails, 0);
	atomic_store(&ring_configured, 1);
	atomic_store(&status_json, -1);
	atomic_store(&forget_calls, 0);
	atomic_store(&config_big, 0);
	atomic_store(&blocklist_calls, 0);
	forgot[0] = '\0';
	if (tc_http_start(&srv, "127.0.0.1", 0, &h, opt) < 0)
		return -1;
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", (unsigned)tc_http_port(srv));
	return 0;
}

static int start(void)
{
	return start_with(NULL);
}

static void stop(void)
{
	tc_http_stop(srv);
	srv = NULL;
	tc_metrics_free(metrics);
	metrics = NULL;
}

/* GETs path from the running server, expecting status; leaves the response in *r. */
#define GET_EXPECT(r, method, path, want)                                                  \
	do {                                                                               \
		char _u[256];                                                              \
		snprintf(_u, sizeof(_u), "%s%s", base, (path));                            \
		if (request((r), (method), _u) != 0 || (r)->status != (want)) {            \
			tc_test_fail(__FILE__, __LINE__, "%s %s: status %ld, want %d: %s", \
				     (method), (path), (r)->status, (want), body(r));      \
			tc_buf_dispose(&(r)->body);                                        \
			stop();                                                            \
			return;                                                            \
		}                                                                          \
	} while (0)

/* Like CHECK but stops the server first. */
#define CHECK_S(c)                                                                         \
	do {                                                                               \
		if (!(c)) {                                                                \
			tc_test_fail(__FILE__, __LINE__, "CHECK(%s)", #c);                 \
			tc_buf_dispose(&r.body);                                           \
			stop();                                                            \
			return;                                                            \
		}                                                                          \
	} while (0)

static void test_routes_ok(void)
{
	resp r;

	CHECK_MSG(start() == 0, "start: %s", tc_error_last());
	CHECK(tc_http_port(srv) != 0);
	tc_metrics_add(metrics, TC_M_COMPACTION_BLOCKS_TOTAL, 4, "0", NULL);

	GET_EXPECT(&r, "GET", "/metrics", 200);
	CHECK_S(strcmp(r.ctype, "text/plain; version=0.0.4; charset=utf-8") == 0);
	CHECK_S(strstr(body(&r), "\ntempodb_compaction_errors_total 0\n") != NULL);
	CHECK_S(strstr(body(&r), "\ntempodb_compaction_blocks_total{level=\"0\"} 4\n") != NULL);
	CHECK_S(strstr(body(&r), "\nprocess_resident_memory_bytes ") != NULL);
	tc_buf_dispose(&r.body);

	GET_EXPECT(&r, "GET", "/ready", 200);
	CHECK_S(strcmp(body(&r), "ready\n") == 0);
	tc_buf_dispose(&r.body);

	GET_EXPECT(&r, "GET", "/status/blocklist?tenant=t1", 200);
	CHECK_S(strcmp(r.ctype, "application/json") == 0);
	CHECK_S(strcmp(body(&r), "{\"tenant\":\"t1\",\"blocks\":[]}") == 0);
	tc_buf_dispose(&r.body);

	/* The query value arrives URL-decoded. */
	GET_EXPECT(&r, "GET", "/status/blocklist?x=1&tenant=a%2Db", 200);
	CHECK_S(strcmp(body(&r), "{\"tenant\":\"a-b\",\"blocks\":[]}") == 0);
	tc_buf_dispose(&r.body);

	GET_EXPECT(&r, "GET", "/config", 200);
	CHECK_S(strcmp(r.ctype, "text/yaml") == 0);
	CHECK_S(strcmp(body(&r), "target: compactor\nstorage:\n  trace:\n    backend: local\n") == 0);
	tc_buf_dispose(&r.body);

	/* HEAD answers like GET without a body. */
	GET_EXPECT(&r, "HEAD", "/metrics", 200);
	CHECK_S(r.body.len == 0);
	tc_buf_dispose(&r.body);
	stop();
}

static void test_ready_503(void)
{
	resp r;

	CHECK_MSG(start() == 0, "start: %s", tc_error_last());
	atomic_store(&ready_flag, 0);
	GET_EXPECT(&r, "GET", "/ready", 503);
	CHECK_S(strstr(body(&r), "not ready") != NULL);
	tc_buf_dispose(&r.body);
	atomic_store(&ready_flag, 1);
	GET_EXPECT(&r, "GET", "/ready", 200);
	tc_buf_dispose(&r.body);
	stop();
}

static void test_client_errors(void)
{
	resp r;

	CHECK_MSG(start() == 0, "start: %s", tc_error_last());
	GET_EXPECT(&r, "GET", "/nope", 404);
	tc_buf_dispose(&r.body);
	GET_EXPECT(&r, "GET", "/metrics/", 404);
	tc_buf_dispose(&r.body);
	GET_EXPECT(&r, "GET", "/", 404);
	tc_buf_dispose(&r.body);

	GET_EXPECT(&r, "POST", "/metrics", 405);
	CHECK_S(strcmp(r.allow, "GET, HEAD") == 0);
	tc_buf_dispose(&r.body);
	GET_EXPECT(&r, "DELETE", "/status/blocklist?tenant=t1", 405);
	tc_buf_dispose(&r.body);
	GET_EXPECT(&r, "PUT", "/config", 405);
	tc_buf_dispose(&r.body);

	GET_EXPECT(&r, "GET", "/status/blocklist", 400);
	CHECK_S(strstr(body(&r), "tenant") != NULL);
	tc_buf_dispose(&r.body);
	GET_EXPECT(&r, "GET", "/status/blocklist?tenant=", 400);
	tc_buf_dispose(&r.body);

	/* Callback codes: TC_ENOTFOUND -> 404, TC_EINVALID -> 400, with their messages. */
	GET_EXPECT(&r, "GET", "/status/blocklist?tenant=missing", 404);
	CHECK_S(strcmp(body(&r), "tenant missing has no blocks\n") == 0);
	tc_buf_dispose(&r.body);
	GET_EXPECT(&r, "GET", "/status/blocklist?tenant=bad%2Fname", 400);
	CHECK_S(strcmp(body(&r), "invalid tenant name \"bad/name\"\n") == 0);
	tc_buf_dispose(&r.body);

	/* The server keeps serving after errors. */
	GET_EXPECT(&r, "GET", "/ready", 200);
	tc_buf_dispose(&r.body);
	stop();
}

static void test_callback_errors_500(void)
{
	resp r;

	CHECK_MSG(start() == 0, "start: %s", tc_error_last());
	GET_EXPECT(&r, "GET", "/status/blocklist?tenant=boom", 500);
	CHECK_S(strcmp(body(&r), "backend exploded\n") == 0);
	CHECK_S(strncmp(r.ctype, "text/plain", 10) == 0);
	tc_buf_dispose(&r.body);
	atomic_store(&config_fails, 1);
	GET_EXPECT(&r, "GET", "/config", 500);
	CHECK_S(strcmp(body(&r), "config render failed\n") == 0);
	tc_buf_dispose(&r.body);
	atomic_store(&config_fails, 0);
	GET_EXPECT(&r, "GET", "/config", 200);
	tc_buf_dispose(&r.body);
	stop();
}

/* Handlers left NULL: their routes do not exist; /ready without a callback is ready. */
static void test_missing_handlers(void)
{
	tc_http_handlers h = { 0 };
	tc_http *s = NULL;
	char url[128];
	resp r;

	CHECK_OK(tc_http_start(&s, "127.0.0.1", 0, &h, NULL));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", (unsigned)tc_http_port(s));
	if (request(&r, "GET", url) != 0 || r.status != 404) {
		tc_test_fail(__FILE__, __LINE__, "/metrics status %ld", r.status);
		tc_buf_dispose(&r.body);
		tc_http_stop(s);
		return;
	}
	tc_buf_dispose(&r.body);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ready", (unsigned)tc_http_port(s));
	if (request(&r, "GET", url) != 0 || r.status != 200) {
		tc_test_fail(__FILE__, __LINE__, "/ready status %ld", r.status);
		tc_buf_dispose(&r.body);
		tc_http_stop(s);
		return;
	}
	tc_buf_dispose(&r.body);
	tc_http_stop(s);
}

static void test_ipv6_loopback(void)
{
	tc_http_handlers h = { 0 };
	tc_http *s = NULL;
	char url[128];
	resp r;

	/* Hosts (and CI containers) without IPv6 loopback cannot run this. */
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int have = fd >= 0 && bind(fd, (struct sockaddr *)&a6, sizeof(a6)) == 0;
	if (fd >= 0)
		close(fd);
	if (!have) {
		printf("  skipped: no IPv6 loopback here\n");
		return;
	}
	CHECK_OK(tc_http_start(&s, "::1", 0, &h, NULL));
	CHECK(tc_http_port(s) != 0);
	snprintf(url, sizeof(url), "http://[::1]:%u/ready", (unsigned)tc_http_port(s));
	if (request(&r, "GET", url) != 0 || r.status != 200) {
		tc_test_fail(__FILE__, __LINE__, "/ready over IPv6: status %ld", r.status);
		tc_buf_dispose(&r.body);
		tc_http_stop(s);
		return;
	}
	tc_buf_dispose(&r.body);
	tc_http_stop(s);
	/* Brackets are accepted too. */
	CHECK_OK(tc_http_start(&s, "[::1]", 0, &h, NULL));
	tc_http_stop(s);
}

static void test_bad_address(void)
{
	tc_http_handlers h = { 0 };
	tc_http *s = (tc_http *)&h, *s2 = NULL;

	CHECK_ERR(tc_http_start(&s, "localhost", 0, &h, NULL), TC_EINVALID);
	CHECK(s == NULL);
	CHECK_ERRMSG("localhost");
	CHECK_ERR(tc_http_start(&s, "1.2.3.4.5", 0, &h, NULL), TC_EINVALID);
	CHECK_ERR(tc_http_start(&s, "[::1", 0, &h, NULL), TC_EINVALID);

	/* A port already taken fails with a message naming it. */
	CHECK_OK(tc_http_start(&s, "127.0.0.1", 0, &h, NULL));
	{
		uint16_t port = tc_http_port(s);
		char want[32];
		int r = tc_http_start(&s2, "127.0.0.1", port, &h, NULL);

		snprintf(want, sizeof(want), "port %u", (unsigned)port);
		tc_http_stop(s);
		tc_http_stop(s2);
		CHECK(r == TC_ERROR);
		CHECK(s2 == NULL);
		CHECK_ERRMSG(want);
	}
	tc_http_stop(NULL);
}

/* The default address is every interface; reachable on loopback. */
static void test_default_address(void)
{
	tc_http_handlers h = { 0 };
	tc_http *s = NULL;
	char url[128];
	resp r;

	CHECK_OK(tc_http_start(&s, NULL, 0, &h, NULL));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ready", (unsigned)tc_http_port(s));
	if (request(&r, "GET", url) != 0 || r.status != 200) {
		tc_test_fail(__FILE__, __LINE__, "/ready status %ld", r.status);
		tc_buf_dispose(&r.body);
		tc_http_stop(s);
		return;
	}
	tc_buf_dispose(&r.body);
	tc_http_stop(s);
}

/* Requests /compactor/ring with a header and body, expecting status; leaves the response in *r. */
#define RING_EXPECT(r, method, header, post, len, mime, want)                                        \
	do {                                                                                         \
		char _u[256];                                                                        \
		snprintf(_u, sizeof(_u), "%s/compactor/ring", base);                                 \
		if (request_ex((r), (method), _u, (header), (post), (len), (mime)) != 0 ||           \
		    (r)->status != (want)) {                                                         \
			tc_test_fail(__FILE__, __LINE__, "%s /compactor/ring: status %ld, want %d: %s", \
				     (method), (r)->status, (want), body(r));                        \
			tc_buf_dispose(&(r)->body);                                                  \
			stop();                                                                      \
			return;                                                                      \
		}                                                                                    \
	} while (0)

/* POSTs a urlencoded form to /compactor/ring. */
#define POST_FORM(r, form, want) RING_EXPECT(r, "POST", NULL, form, strlen(form), NULL, want)

/* The ring page: HTML for browsers, JSON for whoever asks for it in Accept (as dskit's pages). */
static void test_ring_page(void)
{
	resp r;

	CHECK_MSG(start() == 0, "start: %s", tc_error_last());
	RING_EXPECT(&r, "GET", NULL, NULL, 0, NULL, 200);
	CHECK_S(strcmp(r.ctype, "text/html; charset=utf-8") == 0);
	CHECK_S(strncmp(body(&r), "<!DOCTYPE html>", 15) == 0);
	CHECK_S(atomic_load(&status_json) == 0);
	tc_buf_dispose(&r.body);

	RING_EXPECT(&r, "GET", "Accept: application/json", NULL, 0, NULL, 200);
	CHECK_S(strcmp(r.ctype, "application/json") == 0);
	CHECK_S(strcmp(body(&r), "{\"shards\":[]}") == 0);
	CHECK_S(atomic_load(&status_json) == 1);
	tc_buf_dispose(&r.body);

	RING_EXPECT(&r, "GET", "accept: text/html;q=0.9, Application/JSON", NULL, 0, NULL, 200);
	CHECK_S(strcmp(r.ctype, "application/json") == 0);
	tc_buf_dispose(&r.body);

	/* What a browser sends. */
	RING_EXPECT(&r, "GET", "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
		    NULL, 0, NULL, 200);
	CHECK_S(strcmp(r.ctype, "text/html; charset=utf-8") == 0);
	tc_buf_dispose(&r.body);

	RING_EXPECT(&r, "HEAD", NULL, NULL, 0, NULL, 200);
	CHECK_S(r.body.len == 0);
	tc_buf_dispose(&r.body);

	RING_EXPECT(&r, "PUT", NULL, NULL, 0, NULL, 405);
	CHECK_S(strcmp(r.allow, "GET, HEAD, POST") == 0);
	tc_buf_dispose(&r.body);
	RING_EXPECT(&r, "DELETE", NULL, NULL, 0, NULL, 405);
	tc_buf_dispose(&r.body);
	/* The other routes still take no POST. */
	GET_EXPECT(&r, "POST", "/config", 405);
	CHECK_S(strcmp(r.allow, "GET, HEAD") == 0);
	tc_buf_dispose(&r.body);
	CHECK_S(atomic_load(&forget_calls) == 0);
	stop();
}

/* Forget: the form field reaches the callback decoded, then Post/Redirect/Get back to the page. */
static void test_ring_forget(void)
{
	char url[256];
	resp r;

	CHECK_MSG(start() == 0, "start: %s", tc_error_last());
	POST_FORM(&r, "forget=compactor-1", 303);
	CHECK_S(strcmp(r.location, "/compactor/ring") == 0);
	CHECK_S(strcmp(forgot, "compactor-1") == 0);
	tc_buf_dispose(&r.body);

	/* URL-decoded, '+' is a space, the first forget field counts, other fields are ignored. */
	POST_FORM(&r, "csrf=x&forget=a%20b%2Bc+d%C3%A9&forget=second", 303);
	CHECK_S(strcmp(forgot, "a b+c d\xc3\xa9") == 0);
	tc_buf_dispose(&r.body);

	/* A multipart form, as some clients send. */
	RING_EXPECT(&r, "POST", NULL, NULL, 0, "tempo-compactor-0", 303);
	CHECK_S(strcmp(forgot, "tempo-compactor-0") == 0);
	tc_buf_dispose(&r.body);

	/* The query string, as Go's FormValue also reads. */
	snprintf(url, sizeof(url), "%s/compactor/ring?forget=from-query", base);
	if (request_ex(&r, "POST", url, NULL, "", 0, NULL) != 0 || r.status != 303) {
		tc_test_fail(__FILE__, __LINE__, "POST ?forget=: status %ld: %s", r.status, body(&r));
		tc_buf_dispose(&r.body);
		stop();
		return;
	}
	CHECK_S(strcmp(forgot, "from-query") == 0);
	tc_buf_dispose(&r.body);

	/* Markup is only bytes to the server: passed on exactly, never interpreted. */
	POST_FORM(&r, "forget=%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%27", 303);
	CHECK_S(strcmp(forgot, "<script>alert(1)</script>\"'") == 0);
	tc_buf_dispose(&r.body);

	/* The callback's codes, with its messages. */
	POST_FORM(&r, "forget=nobody", 404);
	CHECK_S(strcmp(body(&r), "instance \"nobody\" is not in the ring\n") == 0);
	tc_buf_dispose(&r.body);
	POST_FORM(&r, "forget=myself", 400);
	CHECK_S(strstr(body(&r), "cannot forget itself") != NULL);
	tc_buf_dispose(&r.body);
	POST_FORM(&r, "forget=boom", 500);
	CHECK_S(strcmp(body(&r), "etcd unreachable\n") == 0);
	tc_buf_dispose(&r.body);
	stop();
}

/* Forms that name no usable instance are refused before the callback sees them. */
static void test_ring_forget_hostile(void)
{
	static char big[80 * 1024], longid[6000];
	resp r;

	CHECK_MSG(start() == 0, "start: %s", tc_error_last());
	POST_FORM(&r, "csrf=x", 400);
	CHECK_S(strstr(body(&r), "forget") != NULL);
	tc_buf_dispose(&r.body);
	POST_FORM(&r, "forget=", 400);
	tc_buf_dispose(&r.body);
	POST_FORM(&r, "", 400);
	tc_buf_dispose(&r.body);
	/* A NUL would cut the ID short in C and name another instance. */
	POST_FORM(&r, "forget=a%00b", 400);
	CHECK_S(strstr(body(&r), "NUL") != NULL);
	tc_buf_dispose(&r.body);

	memcpy(longid, "forget=", 7);
	memset(longid + 7, 'x', sizeof(longid) - 8);
	POST_FORM(&r, longid, 400);
	CHECK_S(strstr(body(&r), "too long") != NULL);
	tc_buf_dispose(&r.body);

	memcpy(big, "forget=a&pad=", 13);
	memset(big + 13, 'p', sizeof(big) - 14);
	POST_FORM(&r, big, 413);
	tc_buf_dispose(&r.body);

	/* Nor may the query's. */
	{
		char url[256];
		snprintf(url, sizeof(url), "%s/compactor/ring?forget=a%%00b", base);
		if (request_ex(&r, "POST", url, NULL, "", 0, NULL) != 0 || r.status != 400) {
			tc_test_fail(__FILE__, __LINE__, "POST ?forget=a%%00b: status %ld: %s", r.status, body(&r));
			tc_buf_dispose(&r.body);
			stop();
			return;
		}
		CHECK_S(strstr(body(&r), "NUL") != NULL);
		tc_buf_dispose(&r.body);
	}

	/* A body that is not a form names nothing. */
	RING_EXPECT(&r, "POST", "Content-Type: application/json", "{\"forget\":\"x\"}", 14, NULL, 400);
	tc_buf_dispose(&r.body);
	CHECK_S(atomic_load(&forget_calls) == 0);

	/* The server is still fine, and a good form still works. */
	POST_FORM(&r, "forget=ok", 303);
	CHECK_S(strcmp(forgot, "ok") == 0);
	tc_buf_dispose(&r.body);
	stop();
}

/* Without a ring the page says so: 404 with the callback's reason, for GET and POST alike. */
static void test_ring_not_configured(void)
{
	tc_http_handlers h = { 0 };
	tc_http *s = NULL;
	char url[128];
	resp r;

	CHECK_MSG(start() == 0, "start: %s", tc_error_last());
	atomic_store(&ring_configured, 0);
	RING_EXPECT(&r, "GET", NULL, NULL, 0, NULL, 404);
	CHECK_S(strcmp(body(&r), "no compactor ring is configured\n") == 0);
	tc_buf_dispose(&r.body);
	RING_EXPECT(&r, "GET", "Accept: application/json", NULL, 0, NULL, 404);
	tc_buf_dispose(&r.body);
	POST_FORM(&r, "forget=x", 404);
	CHECK_S(strcmp(body(&r), "no compactor ring is configured\n") == 0);
	tc_buf_dispose(&r.body);
	stop();

	/* A server given no ring callbacks has no such route. */
	CHECK_OK(tc_http_start(&s, "127.0.0.1", 0, &h, NULL));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/compactor/ring", (unsigned)tc_http_port(s));
	if (request(&r, "GET", url) != 0 || r.status != 404 || strcmp(body(&r), "404 page not found\n") != 0) {
		tc_test_fail(__FILE__, __LINE__, "/compactor/ring without callbacks: %ld %s", r.status, body(&r));
		tc_buf_dispose(&r.body);
		tc_http_stop(s);
		return;
	}
	tc_buf_dispose(&r.body);
	tc_http_stop(s);
}

/* Error bodies quote what the request sent, but never a raw control character. */
static void test_error_bodies_escaped(void)
{
	resp r;

	CHECK_MSG(start() == 0, "start: %s", tc_error_last());
	/* ESC sequences, CR LF, BEL, DEL, TAB: as \xNN, \r, \n, \t. */
	GET_EXPECT(&r, "GET", "/status/blocklist?tenant=a%1b%5b31mred%0d%0aX-Injected:%09y%07%7f", 400);
	CHECK_S(strcmp(body(&r), "invalid tenant name \"a\\x1b[31mred\\r\\nX-Injected:\\ty\\x07\\x7f\"\n") == 0);
	tc_buf_dispose(&r.body);
	/* C1 controls (CSI), bidi overrides and zero widths as \uNNNN, bytes that are not UTF-8 as \xNN; é stays. */
	GET_EXPECT(&r, "GET", "/status/blocklist?tenant=%C2%9B2J%E2%80%AEtxt%E2%80%8B%FF%C3%A9", 400);
	CHECK_S(strcmp(body(&r), "invalid tenant name \"\\u009b2J\\u202etxt\\u200b\\xff\xc3\xa9\"\n") == 0);
	tc_buf_dispose(&r.body);
	/* The ring's messages quote the instance ID the same way. */
	POST_FORM(&r, "forget=ghost%1b%5d0%3btitle%07", 404);
	CHECK_S(strcmp(body(&r), "instance \"ghost\\x1b]0;title\\x07\" is not in the ring\n") == 0);
	tc_buf_dispose(&r.body);
	/* Only the final newline is a control byte. */
	GET_EXPECT(&r, "GET", "/status/blocklist?tenant=%01%02%03%04%05%06%08%0b%0c%0e%1f", 400);
	for (size_t i = 0; i + 1 < r.body.len; i++)
		CHECK_S(r.body.ptr[i] >= 0x20 && r.body.ptr[i] != 0x7f);
	CHECK_S(strstr(body(&r), "\\x01\\x02\\x03\\x04\\x05\\x06\\x08\\x0b\\x0c\\x0e\\x1f") != NULL);
	tc_buf_dispose(&r.body);
	stop();
}

/* A %00 in the tenant would cut the name short in C and name another tenant: 400, callback not called. */
static void test_tenant_nul(void)
{
	resp r;

	CHECK_MSG(start() == 0, "start: %s", tc_error_last());
	GET_EXPECT(&r, "GET", "/status/blocklist?tenant=a%00b", 400);
	CHECK_S(strcmp(body(&r), "tenant parameter contains a NUL byte\n") == 0);
	tc_buf_dispose(&r.body);
	GET_EXPECT(&r, "GET", "/status/blocklist?tenant=%00", 400);
	tc_buf_dispose(&r.body);
	GET_EXPECT(&r, "GET", "/status/blocklist?tenant=t1%00", 400);
	tc_buf_dispose(&r.body);
	CHECK_S(atomic_load(&blocklist_calls) == 0);
	GET_EXPECT(&r, "GET", "/status/blocklist?tenant=t1", 200);
	tc_buf_dispose(&r.body);
	stop();
}

/* A TCP connection to the test server from src (all of 127/8 is loopback), with rcvbuf if non-zero. */
static int raw_connect(const char *src, int rcvbuf)
{
	struct sockaddr_in from = { .sin_family = AF_INET }, to = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, src, &from.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	to.sin_port = htons(tc_http_port(srv));
	if ((rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0) ||
	    bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_str(int fd, const char *str)
{
	size_t n = strlen(str);

	return send(fd, str, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

static long ms_since(uint64_t t0)
{
	return (long)((tc_mono_ns() - t0) / 1000000);
}

/*
 * Reads what the server sends on fd, sending line every every_ms (NULL:
 * nothing), until it closes the connection or within_ms pass since t0.
 * Returns the ms since t0 at which it closed, -1 if it is still open;
 * *got counts the bytes received.
 */
static long until_closed(int fd, uint64_t t0, long within_ms, const char *line, long every_ms, size_t *got)
{
	long next = every_ms;
	char buf[65536];

	*got = 0;
	for (;;) {
		long now = ms_since(t0), wait = within_ms - now;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (wait <= 0)
			return -1;
		if (line && next - now < wait)
			wait = next - now > 0 ? next - now : 0;
		if (poll(&p, 1, (int)wait) > 0) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			if (n <= 0)
				return ms_since(t0);
			*got += (size_t)n;
		}
		if (line && ms_since(t0) >= next) {
			/* Writing to a connection the server has shut down may fail; the read says so. */
			(void)send_str(fd, line);
			next += every_ms;
		}
	}
}

static int ready_from(const char *src);

static const tc_http_options quick = { .read_timeout_ns = 1000000000, .write_timeout_ns = 30000000000,
				       .idle_timeout_ns = 60000000000 };

/* Stops the server and closes fd when c fails. */
#define CHECK_FD(c, fd, ...)                                                               \
	do {                                                                               \
		if (!(c)) {                                                                \
			tc_test_fail(__FILE__, __LINE__, __VA_ARGS__);                     \
			close(fd);                                                         \
			stop();                                                            \
			return;                                                            \
		}                                                                          \
	} while (0)

/*
 * The read timeout is a deadline for the whole request, not an idle
 * timeout: a header trickled in every 200 ms (far below the 60 s idle
 * timeout) is cut 1 s after the accept, and so is a body; silently, as Go does.
 */
static void test_read_deadline(void)
{
	uint64_t t0;
	size_t got;
	long at;
	int fd;

	CHECK_MSG(start_with(&quick) == 0, "start: %s", tc_error_last());
	fd = raw_connect("127.0.0.1", 0);
	t0 = tc_mono_ns();
	CHECK_FD(fd >= 0 && send_str(fd, "GET /ready HTTP/1.1\r\nHost: x\r\n") == 0, fd, "connect");
	at = until_closed(fd, t0, 5000, "X-Slow: 1\r\n", 200, &got);
	close(fd);
	CHECK_FD(at >= 900 && at <= 3000, -1, "trickled header: closed after %ld ms, want ~1000", at);
	CHECK_FD(got == 0, -1, "trickled header: %zu bytes of answer", got);

	/* A body counts too: the header arrives at once, the body a byte at a time. */
	fd = raw_connect("127.0.0.1", 0);
	t0 = tc_mono_ns();
	CHECK_FD(fd >= 0 && send_str(fd, "POST /compactor/ring HTTP/1.1\r\nHost: x\r\n"
					 "Content-Type: application/x-www-form-urlencoded\r\n"
					 "Content-Length: 100\r\n\r\nforget=") == 0,
		 fd, "connect");
	at = until_closed(fd, t0, 5000, "x", 200, &got);
	close(fd);
	CHECK_FD(at >= 900 && at <= 3000, -1, "trickled body: closed after %ld ms, want ~1000", at);
	CHECK_FD(atomic_load(&forget_calls) == 0, -1, "a cut-off form reached the callback");
	stop();
}

/*
 * A connection that sends nothing is closed at the read timeout too (the
 * 60 s idle timeout would keep it far longer), while one that sends its
 * request in time is answered.
 */
static void test_read_deadline_silent(void)
{
	uint64_t t0;
	size_t got;
	long at;
	int fd;

	CHECK_MSG(start_with(&quick) == 0, "start: %s", tc_error_last());
	fd = raw_connect("127.0.0.1", 0);
	t0 = tc_mono_ns();
	CHECK_FD(fd >= 0, fd, "connect");
	CHECK_FD(ready_from("127.0.0.1"), fd, "a prompt request was not answered");
	at = until_closed(fd, t0, 5000, NULL, 0, &got);
	close(fd);
	CHECK_FD(at >= 900 && at <= 3000, -1, "silent connection closed after %ld ms, want ~1000", at);
	stop();
}

/*
 * The idle timeout (libmicrohttpd's own, whole seconds) closes a silent
 * connection, but a trickle resets it: why the read deadline exists.
 */
static void test_idle_timeout(void)
{
	const tc_http_options o = { .idle_timeout_ns = 1000000000 };
	uint64_t t0;
	size_t got;
	long at;
	int fd;

	CHECK_MSG(start_with(&o) == 0, "start: %s", tc_error_last());
	fd = raw_connect("127.0.0.1", 0);
	t0 = tc_mono_ns();
	CHECK_FD(fd >= 0, fd, "connect");
	at = until_closed(fd, t0, 5000, NULL, 0, &got);
	close(fd);
	CHECK_FD(at >= 900 && at <= 3000, -1, "silent connection closed after %ld ms, want ~1000", at);

	fd = raw_connect("127.0.0.1", 0);
	t0 = tc_mono_ns();
	CHECK_FD(fd >= 0 && send_str(fd, "GET /ready HTTP/1.1\r\n") == 0, fd, "connect");
	at = until_closed(fd, t0, 3000, "X-Slow: 1\r\n", 300, &got);
	close(fd);
	CHECK_FD(at < 0, -1, "trickling connection closed after %ld ms without a read timeout", at);
	stop();
}

/*
 * The write timeout: a client that asks for a 16 MiB /config and reads
 * nothing is cut 1 s after its request, and gets less than the whole body.
 */
static void test_write_deadline(void)
{
	tc_http_options o = quick;
	struct timespec ts = { 2, 500000000 };
	uint64_t t0;
	size_t got;
	long at;
	int fd;

	o.read_timeout_ns = 30000000000;
	o.write_timeout_ns = 1000000000;
	CHECK_MSG(start_with(&o) == 0, "start: %s", tc_error_last());
	atomic_store(&config_big, 1);
	fd = raw_connect("127.0.0.1", 4096);
	CHECK_FD(fd >= 0 && send_str(fd, "GET /config HTTP/1.1\r\nHost: x\r\n\r\n") == 0, fd, "connect");
	/* Not reading: the server's send buffer fills and its write stalls. */
	nanosleep(&ts, NULL);
	t0 = tc_mono_ns();
	at = until_closed(fd, t0, 10000, NULL, 0, &got);
	close(fd);
	CHECK_FD(at >= 0, -1, "stalled response not cut");
	CHECK_FD(got < BIG_CONFIG, -1, "stalled response: got all %zu bytes", got);
	stop();
}

/* Whether the server closes fd within ms (reading and dropping what it sends). */
static int closed_within(int fd, long ms)
{
	size_t got;

	return until_closed(fd, tc_mono_ns(), ms, NULL, 0, &got) >= 0;
}

/* GET /ready over a raw connection from src; 1 when it answers 200 within 1 s. */
static int ready_from(const char *src)
{
	char buf[4096];
	struct pollfd p;
	ssize_t n;
	int fd = raw_connect(src, 0), ok;

	if (fd < 0)
		return 0;
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	ok = send_str(fd, "GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") == 0 &&
	     poll(&p, 1, 1000) == 1 && (n = recv(fd, buf, sizeof(buf) - 1, 0)) > 12 &&
	     strncmp(buf, "HTTP/1.1 200", 12) == 0;
	close(fd);
	return ok;
}

/* One address gets conn_limit_per_ip connections; the next is closed at once, others still get in. */
static void test_conn_limit_per_ip(void)
{
	tc_http_options o = quick;
	int fds[4], n = 0;

	o.read_timeout_ns = 30000000000;
	o.conn_limit_per_ip = 3;
	CHECK_MSG(start_with(&o) == 0, "start: %s", tc_error_last());
	for (n = 0; n < 4; n++) {
		if ((fds[n] = raw_connect("127.0.0.1", 0)) < 0)
			break;
	}
	if (n == 4 && !closed_within(fds[3], 1000))
		tc_test_fail(__FILE__, __LINE__, "a 4th connection from 127.0.0.1 was kept");
	else if (n == 4 && (closed_within(fds[0], 200) || closed_within(fds[1], 10) || closed_within(fds[2], 10)))
		tc_test_fail(__FILE__, __LINE__, "one of the first 3 connections was closed");
	else if (n == 4 && !ready_from("127.0.0.2"))
		tc_test_fail(__FILE__, __LINE__, "127.0.0.2 was refused");
	else if (n < 4)
		tc_test_fail(__FILE__, __LINE__, "connect %d: %s", n, strerror(errno));
	for (int i = 0; i < n; i++)
		close(fds[i]);
	stop();
}

/*
 * At the connection limit a new client is still served at once: the
 * connection that has waited longest for its request makes room. Without
 * that, it would wait in the listen queue until a read timeout (30 s).
 */
static void test_conn_limit_evicts_oldest_idle(void)
{
	tc_http_options o = quick;
	struct timespec ts = { 0, 50000000 };
	int fds[4], n;

	o.read_timeout_ns = 30000000000;
	o.conn_limit = 4;
	CHECK_MSG(start_with(&o) == 0, "start: %s", tc_error_last());
	for (n = 0; n < 4; n++) {
		if ((fds[n] = raw_connect("127.0.0.1", 0)) < 0)
			break;
		/* Distinct accept times, so the first is the oldest. */
		nanosleep(&ts, NULL);
	}
	if (n < 4)
		tc_test_fail(__FILE__, __LINE__, "connect %d: %s", n, strerror(errno));
	else if (!ready_from("127.0.0.1"))
		tc_test_fail(__FILE__, __LINE__, "/ready not answered within 1 s at the connection limit");
	else if (!closed_within(fds[0], 1000))
		tc_test_fail(__FILE__, __LINE__, "the oldest idle connection was not closed");
	else if (closed_within(fds[1], 200) || closed_within(fds[2], 10) || closed_within(fds[3], 10))
		tc_test_fail(__FILE__, __LINE__, "a newer idle connection was closed");
	for (int i = 0; i < n; i++)
		close(fds[i]);
	stop();
}

TC_TEST_MAIN(T(test_routes_ok), T(test_ready_503), T(test_client_errors),
	     T(test_callback_errors_500), T(test_missing_handlers), T(test_ipv6_loopback),
	     T(test_bad_address), T(test_default_address), T(test_ring_page), T(test_ring_forget),
	     T(test_ring_forget_hostile), T(test_ring_not_configured), T(test_error_bodies_escaped),
	     T(test_tenant_nul), T(test_read_deadline), T(test_read_deadline_silent),
	     T(test_idle_timeout), T(test_write_deadline), T(test_conn_limit_per_ip),
	     T(test_conn_limit_evicts_oldest_idle))
