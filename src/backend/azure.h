/*
 * The Azure Blob Storage backend, as Tempo 1.5's (storage.trace.azure):
 * the container's blobs over the Blob REST API (x-ms-version 2020-10-02)
 * with libcurl, authorized with our Shared Key signer (azure_sign.h).
 *
 * Key "t/b/data" is the blob "t/b/data" of the container. Reads are GETs
 * (ranged reads send x-ms-range), stat a HEAD, writes one Put Blob,
 * appends (the data file) Put Block of buffer_size bytes each and one Put
 * Block List at commit (block IDs base64 of equal length; a stream that
 * never filled a block is one Put Blob). An aborted or killed writer's
 * uncommitted blocks are invisible to every read and listing and Azure
 * drops them after 7 days; an abort sends nothing. Listings are List Blobs
 * with prefix, delimiter '/' and the NextMarker continuation; a marker
 * that repeats the last one, or more than max_list_pages pages, is
 * refused. mark_compacted reads meta.json, writes meta.compacted.json and
 * deletes meta.json, as Tempo does (the new blob's Last-Modified is the
 * time of marking); clear_block lists the block and deletes each blob.
 *
 * Every request is timed into tempodb_backend_request_duration_seconds
 * {operation=<method>,status_code}. 5xx (ServerBusy, InternalError,
 * OperationTimedOut), 429, timeouts and dropped connections are retried up
 * to max_retries times with exponential backoff and jitter, each retry
 * counted in tracecompactor_backend_retries_total{operation}. Errors carry
 * Azure's error code (x-ms-error-code, else the body's <Code>):
 * "azure GET t/b/meta.json: 403 AuthenticationFailed: ...". BlobNotFound
 * (and a 404 HEAD) is TC_ENOTFOUND; ContainerNotFound is an error. The
 * account key never appears in messages or logs.
 */
#ifndef TC_BACKEND_AZURE_H
#define TC_BACKEND_AZURE_H

#include <stdint.h>

#include "src/metrics/metrics.h"
#include "src/backend/backend.h"

#define TC_AZURE_SUFFIX_DEFAULT "blob.core.windows.net"
#define TC_AZURE_BUFFER_SIZE_DEFAULT ((uint64_t)3 << 20) /* Tempo 1.5's */
#define TC_AZURE_BUFFER_SIZE_MAX ((uint64_t)4000 << 20)  /* Put Block's limit */
#define TC_AZURE_MAX_RETRIES_DEFAULT 5u
#define TC_AZURE_MAX_LIST_PAGES_DEFAULT 100000u

typedef struct tc_azure_options {
	const char *container;       /* required */
	const char *account;         /* required */
	const char *key;             /* base64 account key; required */
	const char *endpoint_suffix; /* NULL/"" = blob.core.windows.net */
	uint64_t buffer_size;        /* bytes per Put Block; 0 = 3 MiB */
	uint32_t max_retries;        /* retries after the first attempt */
	uint32_t max_list_pages;     /* 0 = TC_AZURE_MAX_LIST_PAGES_DEFAULT */
} tc_azure_options;

/*
 * Tempo's URL rule: "https://<account>.<suffix>/<container>" when suffix
 * starts with "blob.core", else the emulator's path style
 * "http://<suffix>/<account>/<container>". Writes that URL to out.
 */
int tc_azure_container_url(char *out, size_t outsz, const char *account, const char *suffix,
			   const char *container);

/*
 * Creates the backend. Sends no request; bad options (a key that is not
 * base64, a missing name) give TC_EINVALID naming the option.
 * tc_backend_azure_check asks the container's properties, as Tempo does at
 * start: a wrong key fails there with Azure's code. metrics may be NULL.
 */
int tc_backend_azure_new(tc_backend **out, const tc_azure_options *o, tc_metrics *metrics);
int tc_backend_azure_check(tc_backend *be);

/* Create Container; one that exists already is fine. For tests and setup tools. */
int tc_backend_azure_create_container(tc_backend *be);

#endif
