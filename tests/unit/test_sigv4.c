/*
 * The SigV4 signer against AWS's published vectors: all 38 cases of the
 * Signature Version 4 test suite (tests/data/sigv4/v4) and the four worked
 * S3 examples of the S3 API reference (sigv4/s3-docs-examples). For every
 * case the canonical request, the string to sign, the signature and the
 * signed request's headers must match byte for byte.
 */
#include "tests/test.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdlib.h>
#include <time.h>

#include "src/backend/sigv4.h"

#define MAX_HDRS 32
#define MAX_PARAMS 32

/* One parsed request.txt plus its context.json. */
typedef struct vcase {
	char name[256];
	tc_buf raw;              /* request.txt, NUL-terminated, cut up in place */
	char *method, *path;
	tc_sigv4_pair query[MAX_PARAMS];
	size_t nquery;
	tc_sigv4_pair hdr[MAX_HDRS]; /* values with continuation lines joined */
	size_t nhdr;
	char reqline[1024];           /* the raw request line and header lines, */
	char *lines[2 * MAX_HDRS];    /* for rebuilding the signed request */
	size_t nlines;
	const char *body;
	size_t body_len;
	cJSON *ctx;
	char owned[MAX_HDRS + 2 * MAX_PARAMS][1024];
	size_t nowned;
} vcase;

static char *own(vcase *c, const char *s, size_t n)
{
	char *p;
	if (c->nowned >= sizeof(c->owned) / sizeof(c->owned[0]) || n >= sizeof(c->owned[0]))
		return NULL;
	p = c->owned[c->nowned++];
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..n) into an owned string. */
static char *decode(vcase *c, const char *s, size_t n)
{
	char tmp[1024];
	size_t o = 0;
	for (size_t i = 0; i < n && o < sizeof(tmp) - 1; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			tmp[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			tmp[o++] = s[i];
		}
	}
	return own(c, tmp, o);
}

static int parse_query(vcase *c, char *q)
{
	while (q && *q) {
		char *amp = strchr(q, '&'), *eq;
		size_t n = amp ? (size_t)(amp - q) : strlen(q);
		if (c->nquery == MAX_PARAMS)
			return -1;
		eq = memchr(q, '=', n);
		c->query[c->nquery].name = decode(c, q, eq ? (size_t)(eq - q) : n);
		c->query[c->nquery].value = eq ? decode(c, eq + 1, n - (size_t)(eq - q) - 1) : "";
		if (!c->query[c->nquery].name || !c->query[c->nquery].value)
			return -1;
		c->nquery++;
		q = amp ? amp + 1 : NULL;
	}
	return 0;
}

/* request.txt: "METHOD PATH[?QUERY] HTTP/1.1", header lines, blank line, body. */
static int parse_request(vcase *c)
{
	char *s = (char *)c->raw.ptr, *eol, *sp, *last, *qm;

	if (!(eol = strchr(s, '\n')))
		return -1;
	*eol = '\0';
	snprintf(c->reqline, sizeof(c->reqline), "%s", s);
	if (!(sp = strchr(s, ' ')) || !(last = strrchr(s, ' ')) || last == sp)
		return -1;
	*sp = '\0';
	*last = '\0';
	c->method = s;
	c->path = sp + 1;
	if ((qm = strchr(c->path, '?'))) {
		*qm = '\0';
		if (parse_query(c, qm + 1) < 0)
			return -1;
	}
	s = eol + 1;
	c->body = "";
	while (*s) {
		char *line = s, *colon;
		if ((eol = strchr(s, '\n'))) {
			*eol = '\0';
			s = eol + 1;
		} else {
			s += strlen(s);
		}
		if (*line == '\0') { /* blank line: the rest is the body */
			c->body = s;
			c->body_len = strlen(s);
			break;
		}
		if (c->nlines == 2 * MAX_HDRS)
			return -1;
		c->lines[c->nlines++] = line;
		if (*line == ' ' || *line == '\t') { /* continues the header above */
			char joined[1024];
			if (c->nhdr == 0)
				return -1;
			snprintf(joined, sizeof(joined), "%s %s", c->hdr[c->nhdr - 1].value, line);
			if (!(c->hdr[c->nhdr - 1].value = own(c, joined, strlen(joined))))
				return -1;
			continue;
		}
		if (c->nhdr == MAX_HDRS || !(colon = strchr(line, ':')))
			return -1;
		c->hdr[c->nhdr].name = own(c, line, (size_t)(colon - line));
		c->hdr[c->nhdr].value = own(c, colon + 1, strlen(colon + 1));
		if (!c->hdr[c->nhdr].name || !c->hdr[c->nhdr].value)
			return -1;
		c->nhdr++;
	}
	return 0;
}

static int load_case(vcase *c, const char *dir)
{
	char path[4096];
	tc_buf js = TC_BUF_INIT;
	int r;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", strrchr(dir, '/') + 1);
	snprintf(path, sizeof(path), "%s/context.json", dir);
	if (tc_test_read_file(&js, path) < 0 || tc_buf_cstr(&js) < 0) {
		tc_buf_dispose(&js);
		return -1;
	}
	c->ctx = cJSON_Parse((const char *)js.ptr);
	tc_buf_dispose(&js);
	snprintf(path, sizeof(path), "%s/request.txt", dir);
	if (!c->ctx || tc_test_read_file(&c->raw, path) < 0 || tc_buf_cstr(&c->raw) < 0)
		return -1;
	r = parse_request(c);
	return r;
}

static void free_case(vcase *c)
{
	cJSON_Delete(c->ctx);
	tc_buf_dispose(&c->raw);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jbool(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static int64_t parse_ts(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!s || sscanf(s, "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			 &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

/* Compares got with the file dir/name byte for byte; reports the first difference. */
static int same_as_file(const char *dir, const char *name, const char *got, const char *cname)
{
	char path[4096];
	tc_buf want = TC_BUF_INIT;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (tc_test_read_file(&want, path) < 0) {
		tc_test_fail(__FILE__, __LINE__, "%s: cannot read %s", cname, path);
		return 0;
	}
	ok = want.len == strlen(got) && memcmp(want.ptr, got, want.len) == 0;
	if (!ok) {
		tc_buf_cstr(&want);
		tc_test_fail(__FILE__, __LINE__, "%s: %s differs\n--- want\n%s\n--- got\n%s", cname,
			     name, (const char *)want.ptr, got);
	}
	tc_buf_dispose(&want);
	return ok;
}

/*
 * The signed request: the original request line and header lines, the
 * headers the signer added, the Authorization header; then (optionally) a
 * blank line and the body, which the files render inconsistently.
 */
static int signed_request_ok(const char *dir, const vcase *c, const tc_sigv4_signed *s)
{
	char path[4096];
	tc_buf want = TC_BUF_INIT, got = TC_BUF_INIT;
	int ok = 0;

	snprintf(path, sizeof(path), "%s/header-signed-request.txt", dir);
	if (tc_test_read_file(&want, path) < 0)
		goto cleanup;
	tc_buf_printf(&got, "%s\n", c->reqline);
	for (size_t i = 0; i < c->nlines; i++)
		tc_buf_printf(&got, "%s\n", c->lines[i]);
	for (size_t i = 0; i < s->nadd; i++)
		tc_buf_printf(&got, "%s:%s\n", s->add[i].name, s->add[i].value);
	tc_buf_printf(&got, "Authorization:%s\n", s->authorization);
	if (want.len < got.len || memcmp(want.ptr, got.ptr, got.len) != 0)
		goto cleanup;
	{
		const char *rest = (const char *)want.ptr + got.len;
		size_t rlen = want.len - got.len;
		ok = rlen == 0 || (rlen == 1 && rest[0] == '\n') ||
		     (rlen == c->body_len + 1 && rest[0] == '\n' &&
		      memcmp(rest + 1, c->body, c->body_len) == 0);
	}
cleanup:
	if (!ok) {
		tc_buf_cstr(&want);
		tc_buf_cstr(&got);
		tc_test_fail(__FILE__, __LINE__, "%s: signed request differs\n--- want\n%s\n--- got\n%s",
			     c->name, want.ptr ? (const char *)want.ptr : "",
			     got.ptr ? (const char *)got.ptr : "");
	}
	tc_buf_dispose(&want);
	tc_buf_dispose(&got);
	return ok;
}

/* Signs one case directory and checks every file; returns 1 if all matched. */
static int run_case(const char *dir)
{
	vcase *c = calloc(1, sizeof(*c));
	tc_sigv4_signed s;
	tc_sigv4_request r;
	tc_sigv4_creds cr;
	const cJSON *creds;
	char hash[65];
	int ok = 0, err;

	memset(&s, 0, sizeof(s));
	if (!c || load_case(c, dir) < 0) {
		tc_test_fail(__FILE__, __LINE__, "%s: cannot load the case", dir);
		goto cleanup;
	}
	creds = cJSON_GetObjectItemCaseSensitive(c->ctx, "credentials");
	cr = (tc_sigv4_creds){ jstr(creds, "access_key_id"), jstr(creds, "secret_access_key"),
			       jstr(creds, "token") };
	tc_sigv4_sha256_hex(hash, c->body, c->body_len);
	r = (tc_sigv4_request){
		.method = c->method,
		.path = c->path,
		.query = c->query,
		.nquery = c->nquery,
		.headers = c->hdr,
		.nheaders = c->nhdr,
		.payload_hash = hash,
		.region = jstr(c->ctx, "region"),
		.service = jstr(c->ctx, "service"),
		.time = parse_ts(jstr(c->ctx, "timestamp")),
		.flags = (jbool(c->ctx, "normalize") ? TC_SIGV4_NORMALIZE_PATH : 0u) |
			 (jbool(c->ctx, "sign_body") ? TC_SIGV4_CONTENT_SHA256 : 0u) |
			 (jbool(c->ctx, "omit_session_token") ? TC_SIGV4_TOKEN_UNSIGNED : 0u),
	};
	if ((err = tc_sigv4_sign(&s, &r, &cr)) < 0) {
		tc_test_fail(__FILE__, __LINE__, "%s: sign returned %d: %s", c->name, err,
			     tc_error_last());
		goto cleanup;
	}
	ok = same_as_file(dir, "header-canonical-request.txt", s.canonical_request, c->name) &&
	     same_as_file(dir, "header-string-to-sign.txt", s.string_to_sign, c->name) &&
	     same_as_file(dir, "header-signature.txt", s.signature, c->name) &&
	     signed_request_ok(dir, c, &s);
cleanup:
	tc_sigv4_signed_dispose(&s);
	if (c)
		free_case(c);
	free(c);
	return ok;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every case directory under rel; *total gets the number of cases. */
static int run_suite(const char *rel, int *total)
{
	const char *root = tc_test_data(rel);
	char *names[128], path[2048];
	int n = 0, passed = 0;
	DIR *d = opendir(root);
	struct dirent *de;

	*total = 0;
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < 128)
		if (de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), name_cmp);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, names[i]);
		passed += run_case(path);
		free(names[i]);
	}
	*total = n;
	return passed;
}

static void aws_suite(void)
{
	int total, passed = run_suite("sigv4/v4", &total);
	fprintf(stderr, "sigv4 suite: %d/%d cases passed\n", passed, total);
	CHECK(total == 38);
	CHECK(passed == total);
}

static void s3_docs_examples(void)
{
	int total, passed = run_suite("sigv4/s3-docs-examples", &total);
	fprintf(stderr, "sigv4 s3 examples: %d/%d cases passed\n", passed, total);
	CHECK(total == 4);
	CHECK(passed == total);
}

static const tc_sigv4_creds ex_creds = { "AKIAIOSFODNN7EXAMPLE",
					 "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL };

/* S3-style requests the published vectors do not cover. */
static void s3_shapes(void)
{
	tc_sigv4_pair h[] = { { "Host", "127.0.0.1:9000" } };
	tc_sigv4_pair q[] = { { "uploads", "" } };
	tc_sigv4_pair q2[] = { { "prefix", "t/a b+c" }, { "list-type", "2" }, { "delimiter", "/" },
			       { "continuation-token", "1/x=" } };
	tc_sigv4_request r = { .method = "POST", .path = "/bkt/t/b/data", .query = q, .nquery = 1,
			       .headers = h, .nheaders = 1,
			       .payload_hash = TC_SIGV4_UNSIGNED_PAYLOAD, .region = "us-east-1",
			       .service = "s3", .time = 1369353600,
			       .flags = TC_SIGV4_CONTENT_SHA256 };
	tc_sigv4_signed s;

	CHECK_OK(tc_sigv4_sign(&s, &r, &ex_creds));
	CHECK_STR(s.canonical_request, "POST\n/bkt/t/b/data\nuploads=\nhost:127.0.0.1:9000\n"
				       "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"
				       "x-amz-date:20130524T000000Z\n\n"
				       "host;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD");
	CHECK(s.nadd == 2);
	CHECK_STR(s.add[0].name, "X-Amz-Date");
	CHECK_STR(s.add[1].value, "UNSIGNED-PAYLOAD");
	CHECK(strstr(s.authorization, "SignedHeaders=host;x-amz-content-sha256;x-amz-date, ") != NULL);
	tc_sigv4_signed_dispose(&s);

	/* keys are encoded once, '/' kept; query values encode '/', '+', '=', ' ' */
	r.method = "GET";
	r.path = "/bkt/t/k$ e+y/caf\xc3\xa9";
	r.query = q2;
	r.nquery = 4;
	r.payload_hash = NULL;
	CHECK_OK(tc_sigv4_sign(&s, &r, &ex_creds));
	CHECK(strncmp(s.canonical_request,
		      "GET\n/bkt/t/k%24%20e%2By/caf%C3%A9\n"
		      "continuation-token=1%2Fx%3D&delimiter=%2F&list-type=2&prefix=t%2Fa%20b%2Bc\n",
		      strlen("GET\n/bkt/t/k%24%20e%2By/caf%C3%A9\n"
			     "continuation-token=1%2Fx%3D&delimiter=%2F&list-type=2&prefix=t%2Fa%20b%2Bc\n")) == 0);
	CHECK(strstr(s.canonical_request, "\n" TC_SIGV4_EMPTY_SHA256) != NULL);
	tc_sigv4_signed_dispose(&s);

	/* S3 paths are never normalised: "." and ".." and "//" are signed as is */
	r.path = "/bkt/a/./b/../c//d";
	r.nquery = 0;
	CHECK_OK(tc_sigv4_sign(&s, &r, &ex_creds));
	CHECK(strncmp(s.canonical_request, "GET\n/bkt/a/./b/../c//d\n\n", 24) == 0);
	tc_sigv4_signed_dispose(&s);

	/* a signed session token is a signed header; the secret appears nowhere */
	{
		tc_sigv4_creds t = ex_creds;
		t.session_token = "TOKEN";
		CHECK_OK(tc_sigv4_sign(&s, &r, &t));
		CHECK(strstr(s.canonical_request, "x-amz-security-token:TOKEN\n") != NULL);
		CHECK_STR(s.add[0].name, "X-Amz-Security-Token");
		CHECK(strstr(s.canonical_request, ex_creds.secret_key) == NULL);
		CHECK(strstr(s.authorization, ex_creds.secret_key) == NULL);
		tc_sigv4_signed_dispose(&s);
	}
}

static void bad_requests(void)
{
	tc_sigv4_pair h[] = { { "Host", "h" } };
	tc_sigv4_pair bad_h[] = { { "Host", "h" }, { "X-Bad", "a\r\nInjected: 1" } };
	tc_sigv4_pair bad_n[] = { { "Ho st", "h" } };
	tc_sigv4_pair date[] = { { "Host", "h" }, { "x-amz-date", "20200101T000000Z" } };
	tc_sigv4_request r = { .method = "GET", .path = "/", .headers = h, .nheaders = 1,
			       .region = "us-east-1", .service = "s3", .time = 1369353600 };
	tc_sigv4_creds none = { "AK", "", NULL };
	tc_sigv4_signed s;

	r.payload_hash = "abc";
	CHECK_ERR(tc_sigv4_sign(&s, &r, &ex_creds), TC_EINVALID);
	CHECK(s.canonical_request == NULL);
	r.payload_hash = NULL;
	r.path = "no-slash";
	CHECK_ERR(tc_sigv4_sign(&s, &r, &ex_creds), TC_EINVALID);
	r.path = "/";
	CHECK_ERR(tc_sigv4_sign(&s, &r, &none), TC_EINVALID);
	CHECK_ERRMSG("secret key");
	r.headers = bad_h;
	r.nheaders = 2;
	CHECK_ERR(tc_sigv4_sign(&s, &r, &ex_creds), TC_EINVALID);
	CHECK_ERRMSG("X-Bad");
	r.headers = bad_n;
	r.nheaders = 1;
	CHECK_ERR(tc_sigv4_sign(&s, &r, &ex_creds), TC_EINVALID);
	r.headers = date;
	r.nheaders = 2;
	CHECK_ERR(tc_sigv4_sign(&s, &r, &ex_creds), TC_EINVALID);
	CHECK_ERRMSG("x-amz-date");
	tc_sigv4_signed_dispose(&s);
}

static void helpers(void)
{
	tc_buf b = TC_BUF_INIT;
	char hex[65], date[17];

	CHECK_OK(tc_sigv4_uri_encode(&b, "a/b c~-._%", 10, 1));
	CHECK_OK(tc_sigv4_uri_encode(&b, "/", 1, 0));
	CHECK_OK(tc_buf_cstr(&b));
	CHECK_STR((const char *)b.ptr, "a/b%20c~-._%25%2F");
	tc_buf_dispose(&b);
	CHECK_OK(tc_sigv4_sha256_hex(hex, NULL, 0));
	CHECK_STR(hex, TC_SIGV4_EMPTY_SHA256);
	tc_sigv4_amz_date(date, 1440938160);
	CHECK_STR(date, "20150830T123600Z");
}

TC_TEST_MAIN(T(aws_suite), T(s3_docs_examples), T(s3_shapes), T(bad_requests), T(helpers))
