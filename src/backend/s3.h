/*
 * The S3 backend: any S3-compatible store (AWS, Ceph RGW, MinIO) over
 * libcurl, signed with our SigV4 signer (sigv4.h), responses parsed with
 * libxml2.
 *
 * Key "t/b/data" is the object "<prefix>t/b/data" in the bucket. Reads are
 * GETs (ranged reads send Range), writes single PUTs with a signed payload
 * hash, appends a multipart upload once more than part_size bytes are
 * buffered (a single PUT at commit otherwise; AbortMultipartUpload on
 * abort), listings ListObjectsV2 with delimiter '/', mark_compacted a
 * server-side copy of meta.json to meta.compacted.json followed by a DELETE
 * (the copy's Last-Modified is the marking time), clear_block DeleteObjects
 * in batches of up to 1000 keys, falling back to single DELETEs on stores
 * that refuse it.
 *
 * Every request is timed into tempodb_backend_request_duration_seconds
 * {operation=<method>,status_code} (status_code "0": no response). 5xx, 429, SlowDown/RequestTimeout,
 * timeouts and dropped connections are retried up to max_retries times with
 * exponential backoff and jitter (each retry counted in
 * tracecompactor_backend_retries_total{operation}); other 4xx are not. Errors carry the S3
 * error code: "s3 GET t/b/meta.json: 403 SignatureDoesNotMatch: ...".
 * NoSuchKey (and a 404 HEAD) is TC_ENOTFOUND. Secrets never appear in
 * messages or logs.
 *
 * Listings are bounded: a page holds at most 1000 names (we ask for
 * max-keys=1000 and refuse more), a listing at most max_list_pages pages
 * (TC_ELIMIT), and a continuation token that is empty, repeats the
 * previous one or one of the last 64 (a cycle) is TC_ECORRUPT naming it.
 * A listed name that cannot be one of our keys (a bad %-escape, a NUL or
 * other control character, invalid UTF-8) is skipped with a warning, once
 * per name per listing. A response that declares a DOCTYPE is refused
 * before any entity is declared ("entity declarations refused").
 * tc_backend_cancel aborts requests in flight and backoff sleeps.
 */
#ifndef TC_BACKEND_S3_H
#define TC_BACKEND_S3_H

#include <stdint.h>

#include "src/metrics/metrics.h"
#include "src/backend/backend.h"

#define TC_S3_PART_SIZE_DEFAULT ((uint64_t)16 << 20)
#define TC_S3_PART_SIZE_MIN ((uint64_t)5 << 20)         /* S3's minimum for non-last parts */
#define TC_S3_PART_SIZE_MAX ((uint64_t)5 << 30)         /* S3's maximum part size */
/*
 * Pages one listing may take before it is refused (TC_ELIMIT): a store
 * that answers IsTruncated=true forever must not keep a poll, and its
 * memory, growing. 100000 pages of 1000 names are 100 million names; a
 * tenant of a million blocks takes 1000 pages.
 */
#define TC_S3_MAX_LIST_PAGES_DEFAULT 100000u

typedef struct tc_s3_options {
	const char *bucket;        /* required */
	const char *endpoint;      /* "host[:port]", no scheme; required */
	const char *prefix;        /* NULL/"" = bucket root; "a/b" and "a/b/" both mean "a/b/" */
	const char *region;        /* signing region; NULL/"" = "us-east-1" */
	const char *access_key;    /* NULL/"" = anonymous (unsigned) requests */
	const char *secret_key;
	const char *session_token; /* NULL/"" = none */
	int insecure;              /* http:// instead of https:// */
	int insecure_skip_verify;  /* do not verify the TLS certificate */
	/*
	 * Addressing: path style ("<endpoint>/<bucket>/<key>") when
	 * forcepathstyle is set or the endpoint is not an amazonaws.com host;
	 * virtual-host style ("<bucket>.<endpoint>/<key>") for AWS endpoints
	 * and DNS-compatible bucket names, or whenever virtual_host is set.
	 */
	int forcepathstyle;
	int virtual_host;
	/* Send UNSIGNED-PAYLOAD instead of hashing bodies (saves a pass over parts over TLS). */
	int unsigned_payload;
	uint64_t part_size;        /* 0 = 16 MiB; 5 MiB .. 5 GiB */
	uint32_t max_retries;      /* retries after the first attempt */
	uint32_t max_list_pages;   /* 0 = TC_S3_MAX_LIST_PAGES_DEFAULT */
} tc_s3_options;

/*
 * Creates the backend. Sends no request; the first operation shows
 * whether endpoint, bucket and keys work. metrics may be NULL; it must
 * outlive the backend. Bad options give TC_EINVALID naming the option.
 */
int tc_backend_s3_new(tc_backend **out, const tc_s3_options *o, tc_metrics *metrics);

/* PUT Bucket; a bucket we already own is fine. For tests and setup tools. */
int tc_backend_s3_create_bucket(tc_backend *be);

/*
 * Appends the keys (without the prefix) of the multipart uploads in
 * progress under prefix ("" = all) to out: uploads never completed nor
 * aborted, which the store keeps billing for.
 */
int tc_backend_s3_pending_uploads(tc_strlist *out, tc_backend *be, const char *prefix);

#endif
