/*
 * AWS Signature Version 4 for the Authorization header (HMAC-SHA256).
 *
 * The caller describes a request as it will go on the wire, but with the
 * path and query parameters *unencoded*; the signer does the one encoding
 * (RFC 3986: everything but A-Z a-z 0-9 - . _ ~ becomes %XX, and '/' is
 * kept in paths) and hands back the headers to add. Build the URL with
 * tc_sigv4_uri_encode() so what is sent is byte for byte what was signed.
 *
 *   tc_sigv4_pair hdr[] = { { "Host", "bucket.example:9000" } };
 *   tc_sigv4_pair q[] = { { "uploads", "" } };           -> "?uploads"
 *   tc_sigv4_request r = { .method = "POST", .path = "/bucket/t/b/data",
 *	.query = q, .nquery = 1, .headers = hdr, .nheaders = 1,
 *	.payload_hash = TC_SIGV4_EMPTY_SHA256, .region = "us-east-1",
 *	.service = "s3", .time = now, .flags = TC_SIGV4_CONTENT_SHA256 };
 *   tc_sigv4_signed s;
 *   tc_sigv4_sign(&s, &r, &creds);
 *   send hdr[], s.add[0..s.nadd) and "Authorization: " s.authorization
 *   tc_sigv4_signed_dispose(&s);
 *
 * The canonical request and string to sign are kept in the result so tests
 * can compare them with the published vectors. Nothing here logs, and the
 * secret is never copied into the result.
 */
#ifndef TC_BACKEND_SIGV4_H
#define TC_BACKEND_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"

#define TC_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define TC_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* Hex SHA-256 of zero bytes: the payload hash of a request without a body. */
#define TC_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A header (name as sent, any case) or a query parameter (unencoded). */
typedef struct tc_sigv4_pair {
	const char *name;
	const char *value;
} tc_sigv4_pair;

typedef struct tc_sigv4_creds {
	const char *access_key;
	const char *secret_key;
	const char *session_token; /* NULL or "" for long-term keys */
} tc_sigv4_creds;

enum {
	/*
	 * Remove "." and ".." segments and merge repeated '/' before encoding,
	 * as most AWS services do. S3 must NOT set it: a key is signed as is.
	 */
	TC_SIGV4_NORMALIZE_PATH = 1 << 0,
	/* Send and sign x-amz-content-sha256 = payload_hash (S3 requires it). */
	TC_SIGV4_CONTENT_SHA256 = 1 << 1,
	/* Add X-Amz-Security-Token after signing instead of signing it. */
	TC_SIGV4_TOKEN_UNSIGNED = 1 << 2,
};

typedef struct tc_sigv4_request {
	const char *method;          /* "GET", "PUT", ... */
	const char *path;            /* unencoded, starts with '/' */
	const tc_sigv4_pair *query;  /* unencoded; a valueless "?uploads" is { "uploads", "" } */
	size_t nquery;
	/*
	 * Every header that will be sent, Host included; all are signed.
	 * Repeated names are joined with ',' in the given order. If the list
	 * already holds x-amz-date, x-amz-content-sha256 or
	 * x-amz-security-token the signer does not add that one again (an
	 * x-amz-date must then equal the one derived from time).
	 */
	const tc_sigv4_pair *headers;
	size_t nheaders;
	/* Lowercase hex SHA-256 of the body, or TC_SIGV4_UNSIGNED_PAYLOAD; NULL = empty body. */
	const char *payload_hash;
	const char *region;          /* "us-east-1" */
	const char *service;         /* "s3" */
	int64_t time;                /* unix seconds of the request */
	unsigned flags;              /* TC_SIGV4_* */
} tc_sigv4_request;

/* The result: a record whose fields are the interface. */
typedef struct tc_sigv4_signed {
	char amz_date[17];           /* YYYYMMDDTHHMMSSZ */
	char payload_hash[65];       /* the hash line of the canonical request */
	char signature[65];          /* lowercase hex */
	char *canonical_request;     /* exactly as hashed, no trailing newline */
	char *string_to_sign;
	char *authorization;         /* the value of the Authorization header */
	/*
	 * Headers the caller must send besides its own, in this order:
	 * X-Amz-Security-Token, X-Amz-Date, x-amz-content-sha256 (each only
	 * when the signer added it). Names are literals; values point into
	 * this record or at creds->session_token, so they live as long as both.
	 */
	tc_sigv4_pair add[3];
	size_t nadd;
} tc_sigv4_signed;

/*
 * Signs req. Returns TC_OK, TC_EINVALID for an unusable request (no
 * method, path not starting with '/', a header name with ':' or control
 * characters, a payload hash that is neither 64 hex digits nor
 * UNSIGNED-PAYLOAD, missing keys) or TC_ERROR (out of memory, OpenSSL).
 * out is always safe to dispose afterwards.
 */
int tc_sigv4_sign(tc_sigv4_signed *out, const tc_sigv4_request *req, const tc_sigv4_creds *creds);
void tc_sigv4_signed_dispose(tc_sigv4_signed *s);

/*
 * Appends s[0..len) percent-encoded the SigV4 way (uppercase hex); with
 * keep_slash '/' stays as is (paths), otherwise it becomes %2F (query).
 */
int tc_sigv4_uri_encode(tc_buf *out, const char *s, size_t len, int keep_slash);
/* Lowercase hex SHA-256 of data. */
int tc_sigv4_sha256_hex(char out[65], const void *data, size_t len);
/* "YYYYMMDDTHHMMSSZ" for unix seconds t (UTC). */
void tc_sigv4_amz_date(char out[17], int64_t t);

#endif
