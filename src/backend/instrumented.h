/*
 * A decorator that times every call of the backend it wraps into
 * tempodb_backend_request_duration_seconds{operation,status_code}, with the
 * HTTP method and status the call would be on an object store
 * (docs/STORAGE.md#request-metrics), so Tempo's dashboards show the local
 * backend as they show S3. S3 is not wrapped: it times each HTTP request,
 * retries included, itself.
 */
#ifndef TC_BACKEND_INSTRUMENTED_H
#define TC_BACKEND_INSTRUMENTED_H

#include "src/backend/backend.h"
#include "src/metrics/metrics.h"

/*
 * Takes ownership of inner (freed with the decorator, and on failure);
 * metrics must outlive the decorator. tc_backend_name gives inner's name.
 */
int tc_backend_instrumented_new(tc_backend **out, tc_backend *inner, tc_metrics *metrics);

#endif
