/*
 * The Google Cloud Storage backend: the JSON API over libcurl
 * (https://cloud.google.com/storage/docs/json_api/v1), authenticated with
 * an OAuth2 access token that a service-account key obtains (gcs_auth.c),
 * or anonymous against an emulator.
 *
 * Key "t/b/data" is the object "t/b/data" in the bucket (Tempo 1.5 has no
 * prefix for GCS). Reads are media downloads (alt=media, ranged reads send
 * Range), stat the object resource (size, updated), small writes one
 * simple upload (uploadType=media, or multipart when object metadata or
 * Cache-Control are configured), larger writes and appends a resumable
 * upload in chunk_size chunks (multiples of 256 KiB, as GCS requires;
 * a stream that never reaches chunk_size is one simple upload at commit),
 * listings objects.list with delimiter '/' and pageToken, mark_compacted a
 * rewriteTo of meta.json to meta.compacted.json (the copy's "updated" is
 * the marking time) followed by a delete, clear_block a delete per object.
 *
 * Every request is timed into tempodb_backend_request_duration_seconds
 * {operation=<method>,status_code} (status_code "0": no response). 429,
 * 408, 5xx but 501, timeouts and dropped connections are retried up to
 * max_retries times with exponential backoff and jitter (each retry counted
 * in tracecompactor_backend_retries_total{operation}); a 401 drops the
 * cached token and is retried once with a fresh one. Errors carry GCS's
 * reason: "gcs GET t/b/meta.json: 403 forbidden: ...". notFound is
 * TC_ENOTFOUND. Neither the private key nor a token ever appears in a
 * message or a log line. tc_backend_cancel aborts requests in flight and
 * backoff sleeps.
 */
#ifndef TC_BACKEND_GCS_H
#define TC_BACKEND_GCS_H

#include <stddef.h>
#include <stdint.h>

#include "src/metrics/metrics.h"
#include "src/backend/backend.h"

#define TC_GCS_CHUNK_QUANTUM ((uint64_t)256 << 10)   /* resumable chunks are multiples of this */
#define TC_GCS_CHUNK_DEFAULT ((uint64_t)10 << 20)    /* Tempo 1.5's chunk_buffer_size */
#define TC_GCS_CHUNK_MAX ((uint64_t)1 << 30)
#define TC_GCS_ENDPOINT_DEFAULT "https://storage.googleapis.com/storage/v1/"
#define TC_GCS_SCOPE "https://www.googleapis.com/auth/devstorage.read_write"

typedef struct tc_gcs_options {
	const char *bucket;         /* required */
	/*
	 * The JSON API's base URL as Tempo spells it, "https://host[:port]/storage/v1/"
	 * (NULL/"" = TC_GCS_ENDPOINT_DEFAULT). Uploads go to the same host's
	 * /upload/storage/v1/.
	 */
	const char *endpoint;
	/*
	 * The service-account key (the JSON file's text), or NULL/"" for
	 * anonymous requests (an emulator).
	 */
	const char *credentials_json;
	const char *credentials_name; /* where the key came from, for messages */
	int insecure_skip_verify;   /* do not verify the TLS certificate */
	uint64_t chunk_size;        /* 0 = 10 MiB; rounded up to a multiple of 256 KiB */
	const char *cache_control;  /* Cache-Control of every object written, or NULL */
	/* custom metadata of every object written: name, value, name, value, ... */
	const char *const *metadata;
	size_t nmetadata;           /* names (pairs) */
	uint32_t max_retries;       /* retries after the first attempt */
} tc_gcs_options;

/*
 * Creates the backend; parses the key (TC_EINVALID naming what is wrong
 * with it, never its contents). Sends no request: the first operation
 * shows whether endpoint, bucket and key work. metrics may be NULL; it
 * must outlive the backend.
 */
int tc_backend_gcs_new(tc_backend **out, const tc_gcs_options *o, tc_metrics *metrics);

#endif
