/*
 * Internals shared by s3.c (the operations), s3_http.c (signed requests
 * with retries over a pool of curl handles) and s3_xml.c (libxml2 parsing
 * and building of S3's XML bodies). Not for use outside these files.
 */
#ifndef TC_BACKEND_S3_IMPL_H
#define TC_BACKEND_S3_IMPL_H

#include <stdatomic.h>
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
#include "src/backend/s3.h"
#include "src/backend/sigv4.h"

/* Response bodies that are not object data (XML) are cut here. */
#define TC_S3_XML_MAX ((size_t)16 << 20)
/* max-keys / max-uploads we send: S3's default and maximum; a page with more is refused. */
#define TC_S3_LIST_MAX_KEYS 1000

typedef struct tc_s3 {
	tc_backend base;
	char *bucket;
	char *prefix;        /* "" or ends with '/' */
	char *region;
	char *access_key;    /* NULL = anonymous */
	char *secret_key;
	char *session_token; /* NULL = none */
	char *host;          /* Host header: endpoint or bucket.endpoint */
	char *url_base;      /* "http(s)://" host */
	char *path_base;     /* "/bucket/" (path style) or "/" (virtual host) */
	int skip_verify;
	int unsigned_payload;
	uint64_t part_size;
	uint32_t max_retries;
	uint32_t max_list_pages;
	tc_metrics *metrics;
	atomic_int no_multi_delete; /* the store refused DeleteObjects once */
	tc_cancel *cancel;          /* tc_backend_cancel; wakes backoff sleeps */
	tc_curl_pool *pool;         /* idle CURL easy handles */
} tc_s3;

/* One request and its response. Zero it, fill the request part, call tc_s3_http_do. */
typedef struct tc_s3_call {
	/* request */
	const char *method;            /* GET, HEAD, PUT, POST, DELETE */
	const char *key;               /* object key below the prefix; NULL = the bucket */
	const char *what;              /* optional message context, e.g. "copy of t/b/meta.json" */
	const tc_sigv4_pair *query;    /* unencoded */
	size_t nquery;
	const tc_sigv4_pair *headers;  /* extra headers, all signed */
	size_t nheaders;
	const void *body;
	size_t body_len;
	/*
	 * Where a 2xx body goes: out (appended, respecting its cap: overflow is
	 * TC_ELIMIT), else fixed[0..fixed_len) (more is an error), else xml.
	 */
	tc_buf *out;
	uint8_t *fixed;
	size_t fixed_len;
	/* response */
	long status;                   /* HTTP status of the last attempt, 0 = none */
	char code[64];                 /* S3 error code from the body, "" if none */
	size_t got;                    /* body bytes delivered to out/fixed */
	uint64_t length;               /* Content-Length */
	int have_length;
	tc_time mtime;                 /* Last-Modified */
	int have_mtime;
	char etag[256];                /* ETag, quotes included */
	tc_buf xml;                    /* non-object bodies and error bodies; dispose */
} tc_s3_call;

/*
 * Performs the call with retries. 2xx: TC_OK (TC_ELIMIT if its XML body
 * passed TC_S3_XML_MAX). NoSuchKey, NoSuchUpload, or a 404 to a HEAD:
 * TC_ENOTFOUND. After tc_backend_cancel (before, between or during
 * attempts): TC_ECANCELED. Anything else TC_ERROR (TC_ELIMIT for out's
 * cap), with the message "s3 <METHOD> <key>: <status> <Code>: <Message>".
 */
int tc_s3_http_do(tc_s3 *s, tc_s3_call *c);
void tc_s3_call_dispose(tc_s3_call *c);
/* Sets the message for a failed call (used when a 2xx body holds an error). */
int tc_s3_http_fail(tc_s3 *s, tc_s3_call *c, const char *code, const char *msg);
/* The handle pool (and libxml2's and curl's global init, once per process). */
int tc_s3_http_init(tc_s3 *s);
void tc_s3_http_free(tc_s3 *s);
/* tc_backend_cancel: sets the flag and wakes every backoff sleep. */
void tc_s3_http_cancel(tc_s3 *s);

/* ---- streamed appends (s3_append.c) ---- */

int tc_s3_append_open(tc_append **out, tc_backend *be, const char *key);
int tc_s3_append(tc_append *a, const void *data, size_t len);
int tc_s3_append_commit(tc_append *a);
void tc_s3_append_abort(tc_append *a);

/* ---- XML (s3_xml.c) ---- */

/* <Error><Code>/<Message>: returns 1 and fills code/msg if body is an S3 error. */
int tc_s3_xml_error(char *code, size_t codesz, char *msg, size_t msgsz, const tc_buf *body);
/*
 * The parsers below take a tc_where naming the request whose response body
 * they read (offset TC_WHERE_NO_OFFSET); a body that is not well-formed XML
 * is reported with the line and column libxml2 stopped at.
 */

/* Text of the first element named name (any depth); TC_ECORRUPT if absent. */
int tc_s3_xml_text(char *out, size_t outsz, const tc_buf *body, const char *name,
		   const tc_where *w);

/*
 * s for a message: at most max bytes of it, then "..."; quotes, backslashes
 * and bytes outside printable ASCII escaped (\", \\, \xNN), so a hostile
 * server can neither fill a message nor send a terminal sequence through it.
 */
void tc_s3_show(char *out, size_t outsz, const char *s, size_t max);

/*
 * One ListObjectsV2 page, names already URL-decoded when encoding-type=url.
 * Names that cannot be keys are not in keys/prefixes but in bad (as listed,
 * shown with tc_s3_show) with the reason in bad_why.
 */
typedef struct tc_s3_list_page {
	tc_strlist keys;     /* Contents/Key */
	tc_strlist stamps;   /* ListObjectsV2: parallel to keys, "<ETag> <LastModified> <Size>" */
	tc_strlist prefixes; /* CommonPrefixes/Prefix */
	size_t entries;      /* Contents, CommonPrefixes (or Upload) elements, bad names included */
	int truncated;
	char *next_token;    /* NextContinuationToken, or NULL */
	tc_strlist upload_ids; /* ListMultipartUploads only: UploadId, parallel to keys */
	tc_strlist initiated;  /* ... and Initiated (RFC 3339) */
	tc_strlist bad;
	tc_strlist bad_why;
} tc_s3_list_page;

int tc_s3_xml_list(tc_s3_list_page *out, const tc_buf *body, const tc_where *w);
void tc_s3_list_page_dispose(tc_s3_list_page *p);
/* ListMultipartUploads: Upload/Key values (decoded) into keys, NextKeyMarker/UploadIdMarker. */
int tc_s3_xml_uploads(tc_s3_list_page *out, char **next_upload_id, const tc_buf *body,
		      const tc_where *w);
/* DeleteResult: the first <Error> (Key, Code, Message) if any; returns 1 if found. */
int tc_s3_xml_delete_error(char *key, size_t keysz, char *code, size_t codesz, char *msg,
			   size_t msgsz, const tc_buf *body);

/* <CompleteMultipartUpload> with parts 1..n and their ETags. */
int tc_s3_xml_complete(tc_buf *out, const tc_strlist *etags);
/* <Delete><Quiet>true</Quiet> and one <Object><Key> per full key. */
int tc_s3_xml_delete(tc_buf *out, char *const *keys, size_t n);

#endif
