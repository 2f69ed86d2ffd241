/*
 * Internals shared by gcs.c (the operations), gcs_upload.c (simple and
 * resumable uploads), gcs_http.c (one request with retries), gcs_auth.c
 * (the service-account key, the signed JWT and the cached access token)
 * and gcs_json.c (cJSON parsing and building of the JSON API's bodies).
 * Not for use outside these files (and their tests).
 */
#ifndef TC_BACKEND_GCS_IMPL_H
#define TC_BACKEND_GCS_IMPL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "src/metrics/metrics.h"
#include "src/util/buf.h"
#include "src/util/cancel.h"
#include "src/util/curl.h"
#include "src/util/error.h"
#include "src/util/strlist.h"
#include "src/util/timeutil.h"
#include "src/backend/backend_impl.h"
#include "src/backend/gcs.h"

/* Response bodies that are not object data (JSON) are cut here. */
#define TC_GCS_JSON_MAX ((size_t)16 << 20)
/* maxResults we send: GCS's maximum; a page with more entries is refused. */
#define TC_GCS_LIST_MAX 1000
/* Pages one listing may take before it is refused (TC_ELIMIT), as S3's max_list_pages. */
#define TC_GCS_MAX_LIST_PAGES 100000u

typedef struct tc_gcs_auth tc_gcs_auth;

typedef struct tc_gcs {
	tc_backend base;
	char *bucket;
	char *api;        /* "<root>/storage/v1/b/<bucket>/o", bucket escaped */
	char *upload;     /* "<root>/upload/storage/v1/b/<bucket>/o" */
	char *bucket_url; /* "<root>/storage/v1/b/<bucket>" */
	int skip_verify;
	uint64_t chunk_size;
	char *cache_control;   /* NULL = none */
	tc_strlist metadata;   /* name, value, ... */
	uint32_t max_retries;
	tc_metrics *metrics;
	tc_gcs_auth *auth;     /* NULL = anonymous */
	tc_cancel *cancel;
	tc_curl_pool *pool;
} tc_gcs;

/* One request and its response. Zero it, fill the request part, call tc_gcs_http_do. */
typedef struct tc_gcs_call {
	/* request */
	const char *method;       /* GET, POST, PUT, DELETE */
	const char *url;          /* complete, escaped */
	const char *subject;      /* for messages: the key, "bucket b", "token" */
	const char *what;         /* optional message context, e.g. "rewrite to ..." */
	const char *const *headers; /* "Name: value" lines */
	size_t nheaders;
	const void *body;
	size_t body_len;
	int anonymous;            /* send no token (the token request itself) */
	int no_retry;             /* one attempt (resumable chunks resume instead) */
	int ok_308;               /* 308 Resume Incomplete is a success */
	int ok_499;               /* 499 (a cancelled upload session) is a success */
	/*
	 * Where a 2xx body goes: out (appended, respecting its cap: overflow is
	 * TC_ELIMIT), else fixed[0..fixed_len) (more is an error), else json.
	 */
	tc_buf *out;
	uint8_t *fixed;
	size_t fixed_len;
	/* response */
	long status;              /* of the last attempt, 0 = none */
	char reason[64];          /* error.errors[0].reason or error.status, "" if none */
	size_t got;               /* body bytes delivered to out/fixed */
	char location[2048];      /* Location header */
	char range[96];           /* Range header (308) */
	int transfer_retryable;   /* status 0: the transfer failed in a way a retry may cure */
	tc_buf json;              /* non-object bodies and error bodies; dispose */
} tc_gcs_call;

/*
 * Performs the call with retries (see gcs.h). 2xx: TC_OK. 404: TC_ENOTFOUND.
 * Canceled: TC_ECANCELED. Anything else TC_ERROR (TC_ELIMIT for out's cap)
 * with "gcs <METHOD> <subject>: <status> <reason>: <message>".
 */
int tc_gcs_http_do(tc_gcs *g, tc_gcs_call *c);
void tc_gcs_call_dispose(tc_gcs_call *c);
/* 1 for a failure another attempt may cure (used by the resumable upload's own loop). */
int tc_gcs_http_retryable(const tc_gcs_call *c, int err);
/* Counts one retry of method and sleeps its backoff; 1 if canceled meanwhile. */
int tc_gcs_http_backoff(tc_gcs *g, const char *method, unsigned round);
/* Appends s percent-encoded: everything but RFC 3986's unreserved characters. */
int tc_gcs_escape(tc_buf *b, const char *s);

/* ---- auth (gcs_auth.c) ---- */

typedef struct tc_gcs_key {
	char *client_email;
	char *private_key_id; /* NULL if the key has none */
	char *token_uri;
	void *pkey;           /* EVP_PKEY * */
} tc_gcs_key;

/* Parses a service-account key file's JSON; messages name `name`, never the key. */
int tc_gcs_key_parse(tc_gcs_key *out, const char *json, const char *name);
void tc_gcs_key_dispose(tc_gcs_key *k);
/*
 * The signed assertion of RFC 7523 / Google's service-account flow:
 * header {"alg":"RS256","typ":"JWT","kid"}, claims {iss, scope, aud =
 * token_uri, iat = now, exp = now + 3600}, RS256 over "header.claims",
 * base64url without padding. *out is malloc'd.
 */
int tc_gcs_jwt_make(char **out, const tc_gcs_key *k, const char *scope, int64_t now);

/* Takes over key (zeroed on return, success or not). */
int tc_gcs_auth_new(tc_gcs_auth **out, tc_gcs_key *key);
void tc_gcs_auth_free(tc_gcs_auth *a);
/*
 * The current access token (copied into out), fetched from the key's
 * token_uri when none is cached or the cached one is near its expiry.
 * Thread-safe; one fetch at a time.
 */
int tc_gcs_auth_token(char *out, size_t outsz, tc_gcs *g);
/* Forgets the cached token if it is still `token` (the server refused it). */
void tc_gcs_auth_invalidate(tc_gcs_auth *a, const char *token);

/* ---- uploads (gcs_upload.c) ---- */

int tc_gcs_upload(tc_gcs *g, const char *key, const void *data, size_t len);
int tc_gcs_append_open(tc_append **out, tc_backend *be, const char *key);
int tc_gcs_append(tc_append *a, const void *data, size_t len);
int tc_gcs_append_commit(tc_append *a);
void tc_gcs_append_abort(tc_append *a);

/* ---- JSON (gcs_json.c) ---- */

/* error.errors[0].reason (or error.status) and error.message; 1 if body is an error. */
int tc_gcs_json_error(char *reason, size_t reasonsz, char *msg, size_t msgsz, const tc_buf *body);

typedef struct tc_gcs_list_page {
	tc_strlist names;    /* items[].name */
	tc_strlist stamps;   /* parallel to names: "<etag> <generation> <metageneration> <updated> <size>" */
	tc_strlist prefixes; /* prefixes[] */
	size_t entries;      /* items + prefixes, bad names included */
	char *next_token;    /* nextPageToken, or NULL */
	tc_strlist bad;      /* names that cannot be keys (shown escaped) */
} tc_gcs_list_page;

int tc_gcs_json_list(tc_gcs_list_page *out, const tc_buf *body, const tc_where *w);
void tc_gcs_list_page_dispose(tc_gcs_list_page *p);
/* An object resource: size and updated. */
int tc_gcs_json_object(uint64_t *size, tc_time *updated, const tc_buf *body, const tc_where *w);
/* A rewrite response: done, and rewriteToken (malloc'd) when not done. */
int tc_gcs_json_rewrite(int *done, char **token, const tc_buf *body, const tc_where *w);
/* The object metadata of an upload: name, cacheControl, metadata. */
int tc_gcs_json_upload_meta(tc_buf *out, const tc_gcs *g, const char *name);
/* A token response: access_token and expires_in (seconds). */
int tc_gcs_json_token(char *token, size_t tokensz, int64_t *expires_in, const tc_buf *body,
		      const tc_where *w);

#endif
