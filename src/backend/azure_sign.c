#include "src/backend/azure_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "src/util/error.h"

/* Most query parameters or x-ms-* headers one request signs. */
#define MAX_PAIRS 32

int tc_azure_key_decode(uint8_t *out, size_t *outlen, const char *b64)
{
	uint8_t tmp[TC_AZURE_KEY_MAX + 4];
	size_t len = b64 ? strlen(b64) : 0, pad = 0;
	int n;

	*outlen = 0;
	if (len == 0 || len % 4 || len / 4 * 3 > sizeof(tmp)) {
		tc_error_set("azure: the storage account key is not base64 (length %zu)", len);
		return TC_EINVALID;
	}
	while (pad < 2 && b64[len - 1 - pad] == '=')
		pad++;
	n = EVP_DecodeBlock(tmp, (const unsigned char *)b64, (int)len);
	if (n < 0 || (size_t)n < pad) {
		OPENSSL_cleanse(tmp, sizeof(tmp));
		tc_error_set("azure: the storage account key is not base64");
		return TC_EINVALID;
	}
	*outlen = (size_t)n - pad; /* EVP_DecodeBlock counts the padding as zero bytes */
	memcpy(out, tmp, *outlen);
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return TC_OK;
}

static const char *header(const tc_azure_sign_request *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value ? r->headers[i].value : "";
	return "";
}

static int lower_put(tc_buf *out, const char *s)
{
	int err = TC_OK;

	for (; *s && err == TC_OK; s++)
		err = tc_buf_putc(out, (*s >= 'A' && *s <= 'Z') ? (char)(*s + 32) : *s);
	return err;
}

/* Sorts by lowercased name; names we sign are ASCII, so strcasecmp is that order. */
static int pair_cmp(const void *a, const void *b)
{
	return strcasecmp(((const tc_sigv4_pair *)a)->name, ((const tc_sigv4_pair *)b)->name);
}

static int canonical_headers(tc_buf *out, const tc_azure_sign_request *r)
{
	tc_sigv4_pair ms[MAX_PAIRS];
	size_t n = 0;
	int err = TC_OK;

	for (size_t i = 0; i < r->nheaders; i++) {
		if (strncasecmp(r->headers[i].name, "x-ms-", 5) != 0)
			continue;
		if (n == MAX_PAIRS) {
			tc_error_set("azure: too many x-ms- headers to sign");
			return TC_EINVALID;
		}
		ms[n++] = r->headers[i];
	}
	qsort(ms, n, sizeof(ms[0]), pair_cmp);
	for (size_t i = 0; i < n && err == TC_OK; i++) {
		const char *v = ms[i].value ? ms[i].value : "";
		while (*v == ' ' || *v == '\t')
			v++;
		if ((err = lower_put(out, ms[i].name)) == TC_OK &&
		    (err = tc_buf_putc(out, ':')) == TC_OK && (err = tc_buf_puts(out, v)) == TC_OK)
			err = tc_buf_putc(out, '\n');
	}
	return err;
}

static int canonical_resource(tc_buf *out, const tc_azure_sign_request *r, const char *account)
{
	tc_sigv4_pair q[MAX_PAIRS];
	int err;

	if (r->nquery > MAX_PAIRS) {
		tc_error_set("azure: too many query parameters to sign");
		return TC_EINVALID;
	}
	if ((err = tc_buf_putc(out, '/')) < 0 || (err = tc_buf_puts(out, account)) < 0 ||
	    (err = tc_sigv4_uri_encode(out, r->path, strlen(r->path), 1)) < 0)
		return err;
	if (r->nquery)
		memcpy(q, r->query, r->nquery * sizeof(q[0]));
	qsort(q, r->nquery, sizeof(q[0]), pair_cmp);
	for (size_t i = 0; i < r->nquery && err == TC_OK; i++) {
		if ((err = tc_buf_putc(out, '\n')) == TC_OK && (err = lower_put(out, q[i].name)) == TC_OK &&
		    (err = tc_buf_putc(out, ':')) == TC_OK)
			err = tc_buf_puts(out, q[i].value ? q[i].value : "");
	}
	return err;
}

int tc_azure_string_to_sign(tc_buf *out, const tc_azure_sign_request *r, const char *account)
{
	static const char *const std[] = { "Content-Encoding", "Content-Language", NULL /* length */,
					   "Content-MD5", "Content-Type", "Date",
					   "If-Modified-Since", "If-Match", "If-None-Match",
					   "If-Unmodified-Since", "Range" };
	int err = tc_buf_puts(out, r->method);

	for (size_t i = 0; i < sizeof(std) / sizeof(std[0]) && err == TC_OK; i++) {
		if ((err = tc_buf_putc(out, '\n')) < 0)
			break;
		if (std[i])
			err = tc_buf_puts(out, header(r, std[i]));
		else if (r->content_length)
			err = tc_buf_printf(out, "%llu", (unsigned long long)r->content_length);
	}
	if (err == TC_OK)
		err = tc_buf_putc(out, '\n');
	if (err == TC_OK)
		err = canonical_headers(out, r);
	if (err == TC_OK)
		err = canonical_resource(out, r, account);
	return err;
}

int tc_azure_sign(char out[TC_AZURE_AUTH_MAX], const tc_azure_sign_request *r,
		  const char *account, const uint8_t *key, size_t keylen)
{
	unsigned char mac[EVP_MAX_MD_SIZE], b64[EVP_MAX_MD_SIZE * 2];
	unsigned int maclen = 0;
	tc_buf sts = TC_BUF_INIT;
	int err, n;

	out[0] = '\0';
	if ((err = tc_azure_string_to_sign(&sts, r, account)) < 0)
		goto cleanup;
	if (!HMAC(EVP_sha256(), key, (int)keylen, sts.ptr, sts.len, mac, &maclen)) {
		tc_error_set("azure: HMAC-SHA256 failed");
		err = TC_ERROR;
		goto cleanup;
	}
	EVP_EncodeBlock(b64, mac, (int)maclen);
	n = snprintf(out, TC_AZURE_AUTH_MAX, "SharedKey %s:%s", account, (const char *)b64);
	if (n < 0 || n >= TC_AZURE_AUTH_MAX) {
		out[0] = '\0';
		tc_error_set("azure: account name too long");
		err = TC_EINVALID;
	}
cleanup:
	OPENSSL_cleanse(mac, sizeof(mac));
	tc_buf_dispose(&sts);
	return err;
}
