/*
 * AWS Signature Version 4, written from the AWS documentation ("Create a
 * signed AWS API request", "Signature Calculations for the Authorization
 * Header" of the S3 API reference). OpenSSL supplies SHA-256 and HMAC.
 */
#include "src/backend/sigv4.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "src/util/error.h"
#include "src/util/ids.h"

int tc_sigv4_sha256_hex(char out[65], const void *data, size_t len)
{
	uint8_t md[SHA256_DIGEST_LENGTH];

	if (!SHA256(len ? data : (const void *)"", len, md)) {
		tc_error_set("sigv4: SHA-256 failed");
		return TC_ERROR;
	}
	tc_hex_encode(out, md, sizeof(md));
	return TC_OK;
}

void tc_sigv4_amz_date(char out[17], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm))
		memset(&tm, 0, sizeof(tm));
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

int tc_sigv4_uri_encode(tc_buf *out, const char *s, size_t len, int keep_slash)
{
	static const char HEX[] = "0123456789ABCDEF";
	uint8_t *p;
	size_t n = 0;
	int err;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		n += (unreserved(c) || (keep_slash && c == '/')) ? 1 : 3;
	}
	if ((err = tc_buf_grow_by(out, &p, n)) < 0)
		return err;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c) || (keep_slash && c == '/')) {
			*p++ = c;
		} else {
			*p++ = '%';
			*p++ = (uint8_t)HEX[c >> 4];
			*p++ = (uint8_t)HEX[c & 15];
		}
	}
	return TC_OK;
}

/* ---- canonical URI ---- */

/*
 * RFC 3986 style dot-segment removal plus merging of empty segments:
 * "//example//" -> "/example/", "/a/b/../.." -> "/".
 */
static int normalize_path(tc_buf *out, const char *path)
{
	size_t plen = strlen(path), nseg = 0;
	size_t *starts = NULL, *lens = NULL;
	const char *p = path;
	int err = TC_OK, trailing;

	starts = calloc(plen + 1, sizeof(*starts));
	lens = calloc(plen + 1, sizeof(*lens));
	if (!starts || !lens) {
		tc_error_set("sigv4: out of memory normalizing a path of %zu bytes", plen);
		err = TC_ERROR;
		goto cleanup;
	}
	while (*p) {
		const char *seg, *end;
		size_t n;
		while (*p == '/')
			p++;
		if (!*p)
			break;
		seg = p;
		end = strchr(seg, '/');
		n = end ? (size_t)(end - seg) : strlen(seg);
		p = seg + n;
		if (n == 1 && seg[0] == '.')
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			if (nseg)
				nseg--;
			continue;
		}
		starts[nseg] = (size_t)(seg - path);
		lens[nseg++] = n;
	}
	/* "/a/" keeps its slash; "/a/.." and "/a/." name a directory-less "/". */
	trailing = plen > 1 && path[plen - 1] == '/' && nseg > 0;
	if ((err = tc_buf_putc(out, '/')) < 0)
		goto cleanup;
	for (size_t i = 0; i < nseg && err == TC_OK; i++) {
		if (i && (err = tc_buf_putc(out, '/')) < 0)
			break;
		err = tc_buf_put(out, path + starts[i], lens[i]);
	}
	if (err == TC_OK && trailing)
		err = tc_buf_putc(out, '/');
cleanup:
	free(starts);
	free(lens);
	return err;
}

static int canonical_uri(tc_buf *cr, const tc_sigv4_request *req)
{
	tc_buf norm = TC_BUF_INIT;
	int err;

	if (!(req->flags & TC_SIGV4_NORMALIZE_PATH))
		return tc_sigv4_uri_encode(cr, req->path, strlen(req->path), 1);
	if ((err = normalize_path(&norm, req->path)) == TC_OK)
		err = tc_sigv4_uri_encode(cr, (const char *)norm.ptr, norm.len, 1);
	tc_buf_dispose(&norm);
	return err;
}

/* ---- canonical query ---- */

typedef struct qparam {
	char *name;  /* encoded */
	char *value; /* encoded */
} qparam;

static int qparam_cmp(const void *a, const void *b)
{
	const qparam *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

static char *encode_str(const char *s)
{
	tc_buf b = TC_BUF_INIT;

	if (tc_sigv4_uri_encode(&b, s, strlen(s), 0) < 0 || tc_buf_cstr(&b) < 0) {
		tc_buf_dispose(&b);
		return NULL;
	}
	return (char *)tc_buf_detach(&b, NULL);
}

static int canonical_query(tc_buf *cr, const tc_sigv4_request *req)
{
	qparam *q = NULL;
	int err = TC_OK;

	if (req->nquery == 0)
		return TC_OK;
	if (!(q = calloc(req->nquery, sizeof(*q)))) {
		tc_error_set("sigv4: out of memory");
		return TC_ERROR;
	}
	for (size_t i = 0; i < req->nquery; i++) {
		const char *v = req->query[i].value ? req->query[i].value : "";
		if (!req->query[i].name || !*req->query[i].name) {
			tc_error_set("sigv4: query parameter %zu has no name", i);
			err = TC_EINVALID;
			goto cleanup;
		}
		q[i].name = encode_str(req->query[i].name);
		q[i].value = encode_str(v);
		if (!q[i].name || !q[i].value) {
			tc_error_set("sigv4: out of memory");
			err = TC_ERROR;
			goto cleanup;
		}
	}
	qsort(q, req->nquery, sizeof(*q), qparam_cmp);
	for (size_t j = 0; j < req->nquery && err == TC_OK; j++)
		err = tc_buf_printf(cr, "%s%s=%s", j ? "&" : "", q[j].name, q[j].value);
cleanup:
	for (size_t j = 0; j < req->nquery; j++) {
		free(q[j].name);
		free(q[j].value);
	}
	free(q);
	return err;
}

/* ---- canonical headers ---- */

typedef struct hdr {
	char *name;  /* lowercase */
	char *value; /* trimmed, inner whitespace runs collapsed */
	size_t order;
} hdr;

static int hdr_cmp(const void *a, const void *b)
{
	const hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static int hdr_fill(hdr *h, const char *name, const char *value, size_t order)
{
	size_t nlen = strlen(name), o = 0;
	const char *v = value ? value : "";

	if (nlen == 0) {
		tc_error_set("sigv4: empty header name");
		return TC_EINVALID;
	}
	for (size_t i = 0; i < nlen; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= 0x20 || c >= 0x7f || c == ':') {
			tc_error_set("sigv4: invalid header name \"%s\"", name);
			return TC_EINVALID;
		}
	}
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			tc_error_set("sigv4: header %s: control character in value", name);
			return TC_EINVALID;
		}
	}
	h->order = order;
	h->name = malloc(nlen + 1);
	h->value = malloc(strlen(v) + 1);
	if (!h->name || !h->value) {
		tc_error_set("sigv4: out of memory");
		return TC_ERROR;
	}
	for (size_t i = 0; i <= nlen; i++)
		h->name[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
	while (is_ws(*v))
		v++;
	for (; *v; v++) {
		if (is_ws(*v)) {
			while (is_ws(v[1]))
				v++;
			if (!v[1])
				break; /* trailing whitespace */
			h->value[o++] = ' ';
		} else {
			h->value[o++] = *v;
		}
	}
	h->value[o] = '\0';
	return TC_OK;
}

static const char *find_header(const tc_sigv4_request *req, const char *lname)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (req->headers[i].name && !strcasecmp(req->headers[i].name, lname))
			return req->headers[i].value ? req->headers[i].value : "";
	return NULL;
}

/* Appends the canonical header lines to cr and the signed-header list to sh. */
static int canonical_headers(tc_buf *cr, tc_buf *sh, const tc_sigv4_request *req,
			     const tc_sigv4_pair *extra, size_t nextra)
{
	size_t n = req->nheaders + nextra, filled = 0;
	hdr *h = calloc(n ? n : 1, sizeof(*h));
	int err = TC_OK;

	if (!h) {
		tc_error_set("sigv4: out of memory");
		return TC_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		const tc_sigv4_pair *p = i < req->nheaders ? &req->headers[i]
							   : &extra[i - req->nheaders];
		if (!p->name) {
			tc_error_set("sigv4: header %zu has no name", i);
			err = TC_EINVALID;
			goto cleanup;
		}
		filled = i + 1;
		if ((err = hdr_fill(&h[i], p->name, p->value, i)) < 0)
			goto cleanup;
	}
	qsort(h, n, sizeof(*h), hdr_cmp);
	for (size_t i = 0; i < n && err == TC_OK; i++) {
		int dup = i > 0 && !strcmp(h[i - 1].name, h[i].name);
		if (dup) {
			/* the previous line's '\n' becomes ',' */
			cr->len--;
			err = tc_buf_printf(cr, ",%s\n", h[i].value);
		} else {
			err = tc_buf_printf(cr, "%s:%s\n", h[i].name, h[i].value);
			if (err == TC_OK)
				err = tc_buf_printf(sh, "%s%s", sh->len ? ";" : "", h[i].name);
		}
	}
cleanup:
	for (size_t i = 0; i < filled; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
	return err;
}

/* ---- signing ---- */

static int hmac(uint8_t out[32], const void *key, size_t klen, const char *msg)
{
	unsigned int olen = 0;

	if (!HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out,
		  &olen) ||
	    olen != 32) {
		tc_error_set("sigv4: HMAC-SHA256 failed");
		return TC_ERROR;
	}
	return TC_OK;
}

static int signing_key(uint8_t out[32], const char *secret, const char *date8, const char *region,
		       const char *service)
{
	size_t slen = strlen(secret);
	char *k = malloc(slen + 5);
	uint8_t a[32], b[32];
	int err;

	if (!k) {
		tc_error_set("sigv4: out of memory");
		return TC_ERROR;
	}
	memcpy(k, "AWS4", 4);
	memcpy(k + 4, secret, slen + 1);
	err = hmac(a, k, slen + 4, date8);
	if (err == TC_OK)
		err = hmac(b, a, 32, region);
	if (err == TC_OK)
		err = hmac(a, b, 32, service);
	if (err == TC_OK)
		err = hmac(out, a, 32, "aws4_request");
	OPENSSL_cleanse(k, slen + 4);
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	free(k);
	return err;
}

static int payload_ok(const char *h)
{
	if (!strcmp(h, TC_SIGV4_UNSIGNED_PAYLOAD))
		return 1;
	if (strlen(h) != 64)
		return 0;
	for (const char *p = h; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

static int check_request(const tc_sigv4_request *req, const tc_sigv4_creds *creds)
{
	if (!req->method || !*req->method || strpbrk(req->method, " \t\r\n")) {
		tc_error_set("sigv4: missing or invalid method");
		return TC_EINVALID;
	}
	if (!req->path || req->path[0] != '/') {
		tc_error_set("sigv4: the path must start with '/'");
		return TC_EINVALID;
	}
	if (!req->region || !*req->region || !req->service || !*req->service ||
	    strchr(req->region, '/') || strchr(req->service, '/')) {
		tc_error_set("sigv4: missing or invalid region or service");
		return TC_EINVALID;
	}
	if (!creds || !creds->access_key || !*creds->access_key || !creds->secret_key ||
	    !*creds->secret_key) {
		tc_error_set("sigv4: missing access key or secret key");
		return TC_EINVALID;
	}
	if (req->payload_hash && !payload_ok(req->payload_hash)) {
		tc_error_set("sigv4: payload hash is neither 64 lowercase hex digits nor %s",
			     TC_SIGV4_UNSIGNED_PAYLOAD);
		return TC_EINVALID;
	}
	return TC_OK;
}

/* Decides which of date, token and content hash the signer adds and signs. */
static int plan_added(tc_sigv4_signed *out, tc_sigv4_pair *sign_extra, size_t *nextra,
		      const tc_sigv4_request *req, const tc_sigv4_creds *creds)
{
	const char *date = find_header(req, "x-amz-date");
	const char *token = creds->session_token;

	*nextra = 0;
	out->nadd = 0;
	if (token && *token && !find_header(req, "x-amz-security-token")) {
		out->add[out->nadd++] = (tc_sigv4_pair){ "X-Amz-Security-Token", token };
		if (!(req->flags & TC_SIGV4_TOKEN_UNSIGNED))
			sign_extra[(*nextra)++] = (tc_sigv4_pair){ "x-amz-security-token", token };
	}
	if (date) {
		while (is_ws(*date))
			date++;
		if (strncmp(date, out->amz_date, 16) != 0 || (date[16] && !is_ws(date[16]))) {
			tc_error_set("sigv4: x-amz-date header \"%.40s\" differs from the signing "
				     "time %s", date, out->amz_date);
			return TC_EINVALID;
		}
	} else {
		out->add[out->nadd++] = (tc_sigv4_pair){ "X-Amz-Date", out->amz_date };
		sign_extra[(*nextra)++] = (tc_sigv4_pair){ "x-amz-date", out->amz_date };
	}
	if ((req->flags & TC_SIGV4_CONTENT_SHA256) && !find_header(req, "x-amz-content-sha256")) {
		out->add[out->nadd++] = (tc_sigv4_pair){ "x-amz-content-sha256", out->payload_hash };
		sign_extra[(*nextra)++] = (tc_sigv4_pair){ "x-amz-content-sha256", out->payload_hash };
	}
	return TC_OK;
}

static char *detach_cstr(tc_buf *b)
{
	if (tc_buf_cstr(b) < 0)
		return NULL;
	return (char *)tc_buf_detach(b, NULL);
}

int tc_sigv4_sign(tc_sigv4_signed *out, const tc_sigv4_request *req, const tc_sigv4_creds *creds)
{
	tc_buf cr = TC_BUF_INIT, sh = TC_BUF_INIT, sts = TC_BUF_INIT, auth = TC_BUF_INIT;
	tc_sigv4_pair extra[3];
	size_t nextra = 0;
	char date8[9], crhash[65];
	uint8_t key[32], sig[32];
	unsigned int slen = 0;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = check_request(req, creds)) < 0)
		return err;
	tc_sigv4_amz_date(out->amz_date, req->time);
	memcpy(date8, out->amz_date, 8);
	date8[8] = '\0';
	snprintf(out->payload_hash, sizeof(out->payload_hash), "%s",
		 req->payload_hash ? req->payload_hash : TC_SIGV4_EMPTY_SHA256);
	if ((err = plan_added(out, extra, &nextra, req, creds)) < 0)
		return err;

	/* the canonical request */
	if ((err = tc_buf_printf(&cr, "%s\n", req->method)) < 0 ||
	    (err = canonical_uri(&cr, req)) < 0 || (err = tc_buf_putc(&cr, '\n')) < 0 ||
	    (err = canonical_query(&cr, req)) < 0 || (err = tc_buf_putc(&cr, '\n')) < 0 ||
	    (err = canonical_headers(&cr, &sh, req, extra, nextra)) < 0 ||
	    (err = tc_buf_cstr(&sh)) < 0 ||
	    (err = tc_buf_printf(&cr, "\n%s\n%s", (const char *)sh.ptr, out->payload_hash)) < 0)
		goto cleanup;
	if ((err = tc_sigv4_sha256_hex(crhash, cr.ptr, cr.len)) < 0)
		goto cleanup;

	/* the string to sign and the signature */
	if ((err = tc_buf_printf(&sts, TC_SIGV4_ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s",
				 out->amz_date, date8, req->region, req->service, crhash)) < 0)
		goto cleanup;
	if ((err = signing_key(key, creds->secret_key, date8, req->region, req->service)) < 0)
		goto cleanup;
	if (!HMAC(EVP_sha256(), key, sizeof(key), sts.ptr, sts.len, sig, &slen) || slen != 32) {
		tc_error_set("sigv4: HMAC-SHA256 failed");
		err = TC_ERROR;
		goto cleanup;
	}
	tc_hex_encode(out->signature, sig, sizeof(sig));
	if ((err = tc_buf_printf(&auth,
				 TC_SIGV4_ALGORITHM " Credential=%s/%s/%s/%s/aws4_request, "
				 "SignedHeaders=%s, Signature=%s",
				 creds->access_key, date8, req->region, req->service,
				 (const char *)sh.ptr, out->signature)) < 0)
		goto cleanup;
	out->canonical_request = detach_cstr(&cr);
	out->string_to_sign = detach_cstr(&sts);
	out->authorization = detach_cstr(&auth);
	if (!out->canonical_request || !out->string_to_sign || !out->authorization) {
		tc_error_set("sigv4: out of memory");
		err = TC_ERROR;
	}
cleanup:
	OPENSSL_cleanse(key, sizeof(key));
	tc_buf_dispose(&cr);
	tc_buf_dispose(&sh);
	tc_buf_dispose(&sts);
	tc_buf_dispose(&auth);
	if (err < 0)
		tc_sigv4_signed_dispose(out);
	return err;
}

void tc_sigv4_signed_dispose(tc_sigv4_signed *s)
{
	if (!s)
		return;
	free(s->canonical_request);
	free(s->string_to_sign);
	free(s->authorization);
	s->canonical_request = s->string_to_sign = s->authorization = NULL;
	s->nadd = 0;
}
