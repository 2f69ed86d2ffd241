/*
 * Internals shared by azure.c (the operations), azure_http.c (signed
 * requests with retries over a pool of curl handles) and azure_xml.c (the
 * XML of List Blobs, errors and block lists). Not for use outside them.
 */
#ifndef TC_BACKEND_AZURE_IMPL_H
#define TC_BACKEND_AZURE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "src/metrics/metrics.h"
#include "src/util/buf.h"
#include "src/util/cancel.h"
#include "src/util/curl.h"
#include "src/util/error.h"
#include "src/util/strlist.h"
#include "src/util/timeutil.h"
#include "src/backend/azure.h"
#include "src/backend/azure_sign.h"
#include "src/backend/backend_impl.h"

/* Response bodies that are not blob data (XML) are cut here. */
#define TC_AZURE_XML_MAX ((size_t)16 << 20)
/* maxresults we send (as S3's max-keys; List Blobs allows 5000); a page with more is refused. */
#define TC_AZURE_LIST_MAX 1000

typedef struct tc_azure {
	tc_backend base;
	char *account;
	char *container;
	uint8_t key[TC_AZURE_KEY_MAX];
	size_t keylen;
	char *url_base;   /* "https://acct.blob.core.windows.net" or "http://host:port" */
	char *path_base;  /* unencoded: "/container/" or "/acct/container/" */
	uint64_t block_size;
	uint32_t max_retries;
	uint32_t max_list_pages;
	tc_metrics *metrics;
	tc_cancel *cancel;
	tc_curl_pool *pool;
} tc_azure;

/* One request and its response. Zero it, fill the request part, call tc_azure_http_do. */
typedef struct tc_azure_call {
	/* request */
	const char *method;           /* GET, HEAD, PUT, DELETE */
	const char *key;              /* blob name; NULL = the container */
	const char *what;             /* optional message context, e.g. "Put Block 3" */
	const tc_sigv4_pair *query;   /* unencoded */
	size_t nquery;
	const tc_sigv4_pair *headers; /* extra headers, all signed */
	size_t nheaders;
	const void *body;
	size_t body_len;
	/* a 2xx body: out (appended, respecting its cap), else fixed, else xml */
	tc_buf *out;
	uint8_t *fixed;
	size_t fixed_len;
	/* response */
	long status;                  /* of the last attempt; 0 = none */
	char code[64];                /* x-ms-error-code or the body's <Code>; "" if none */
	size_t got;
	uint64_t length;              /* Content-Length */
	int have_length;
	tc_time mtime;                /* Last-Modified */
	int have_mtime;
	tc_buf xml;                   /* non-blob and error bodies; dispose */
} tc_azure_call;

/*
 * Performs the call with retries. 2xx: TC_OK. BlobNotFound, or a 404 to a
 * HEAD: TC_ENOTFOUND. After tc_backend_cancel: TC_ECANCELED. Anything else
 * TC_ERROR (TC_ELIMIT for out's cap) with "azure <METHOD> <blob>: <status>
 * <Code>: <Message>".
 */
int tc_azure_http_do(tc_azure *a, tc_azure_call *c);
void tc_azure_call_dispose(tc_azure_call *c);
/*
 * Azure turns '\' in a blob name into '/' (even sent as %5C): "a\b/x"
 * would be stored, listed and deleted as "a/b/x", another tenant's blob.
 * Such names (keys and listing prefixes) are TC_EINVALID before any request.
 */
int tc_azure_name_check(const char *name);
int tc_azure_http_init(tc_azure *a);
void tc_azure_http_free(tc_azure *a);

/* ---- XML (azure_xml.c) ---- */

/* <Error><Code>/<Message> (the message's first line): 1 if body is one. */
int tc_azure_xml_error(char *code, size_t codesz, char *msg, size_t msgsz, const tc_buf *body);

/* One List Blobs page; names that cannot be keys go to bad/bad_why. */
typedef struct tc_azure_list_page {
	tc_strlist blobs;    /* Blobs/Blob/Name */
	tc_strlist stamps;   /* parallel to blobs: "<Etag> <Last-Modified> <Content-Length>" */
	tc_strlist prefixes; /* Blobs/BlobPrefix/Name */
	char *next_marker;   /* NextMarker, NULL when empty: the last page */
	tc_strlist bad;
	tc_strlist bad_why;
} tc_azure_list_page;

int tc_azure_xml_list(tc_azure_list_page *out, const tc_buf *body, const tc_where *w);
void tc_azure_list_page_dispose(tc_azure_list_page *p);
/* <BlockList> with <Latest> for each block ID, in order. */
int tc_azure_xml_block_list(tc_buf *out, const tc_strlist *ids);

/* ---- streamed appends (azure.c) ---- */

int tc_azure_append_open(tc_append **out, tc_backend *be, const char *key);

#endif
