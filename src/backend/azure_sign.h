/*
 * Azure Storage Shared Key authorization (HMAC-SHA256 with the account
 * key), as Microsoft documents it ("Authorize with Shared Key", version
 * 2009-09-19 and later):
 *
 *   StringToSign = VERB \n Content-Encoding \n Content-Language \n
 *                  Content-Length (empty for 0) \n Content-MD5 \n Content-Type \n
 *                  Date \n If-Modified-Since \n If-Match \n If-None-Match \n
 *                  If-Unmodified-Since \n Range \n
 *                  CanonicalizedHeaders  (x-ms-* lowercased, sorted, "name:value\n")
 *                  CanonicalizedResource ("/" account path, then for each query
 *                                         parameter, names lowercased and sorted,
 *                                         "\nname:value" with the value decoded)
 *   Authorization = "SharedKey " account ":" base64(HMAC-SHA256(key, StringToSign))
 *
 * The request is described with its path and query parameters unencoded;
 * the path is signed as it is sent, encoded by tc_sigv4_uri_encode (RFC
 * 3986, '/' kept), so build the URL with that same function. Nothing here
 * logs, and the key is never copied into a result.
 */
#ifndef TC_BACKEND_AZURE_SIGN_H
#define TC_BACKEND_AZURE_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"
#include "src/backend/sigv4.h"

/* The REST API version we speak (x-ms-version); Azurite 3.x accepts it. */
#define TC_AZURE_VERSION "2020-10-02"
/* Account keys are 64 bytes; we accept any length up to this. */
#define TC_AZURE_KEY_MAX 256
/* "SharedKey " + account (at most 24 characters, we allow 64) + ":" + 44 base64 chars + NUL */
#define TC_AZURE_AUTH_MAX 160

typedef struct tc_azure_sign_request {
	const char *method;             /* GET, HEAD, PUT, DELETE */
	const char *path;               /* unencoded: "/container/t/b/meta.json" */
	const tc_sigv4_pair *query;     /* unencoded */
	size_t nquery;
	const tc_sigv4_pair *headers;   /* every header sent, x-ms-date and x-ms-version included */
	size_t nheaders;
	uint64_t content_length;        /* the body's length; 0 signs as "" */
} tc_azure_sign_request;

/*
 * Decodes the base64 account key into out (TC_AZURE_KEY_MAX bytes). A key
 * that is not base64 is TC_EINVALID; the message never shows the key.
 */
int tc_azure_key_decode(uint8_t *out, size_t *outlen, const char *b64);

/* The string to sign (appended to out): for tests and for debugging a 403. */
int tc_azure_string_to_sign(tc_buf *out, const tc_azure_sign_request *r, const char *account);

/* The Authorization header's value, "SharedKey <account>:<signature>". */
int tc_azure_sign(char out[TC_AZURE_AUTH_MAX], const tc_azure_sign_request *r,
		  const char *account, const uint8_t *key, size_t keylen);

#endif
