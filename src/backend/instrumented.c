/*
 * Times every call of the wrapped backend (docs/STORAGE.md#request-metrics).
 * One call is one observation, labelled with the HTTP method the call would
 * be on S3 and a status code from its result: 200 on success, 404 for
 * TC_ENOTFOUND, 500 for any other error. A canceled call is not observed,
 * as Tempo's transport observes only requests that got a response.
 */
#include "src/backend/instrumented.h"

#include <stdlib.h>

#include "src/backend/backend_impl.h"
#include "src/util/error.h"
#include "src/util/timeutil.h"

typedef struct instrumented {
	tc_backend base;
	tc_backend_ops ops; /* this instance's table: the inner backend's name */
	tc_backend *inner;
	tc_metrics *metrics;
} instrumented;

typedef struct instrumented_append {
	tc_append base;
	tc_append *inner;
} instrumented_append;

static instrumented *as_ins(tc_backend *be)
{
	return (instrumented *)be;
}

/* Passes rc through after observing the call that returned it. */
static int observe(instrumented *b, const char *method, uint64_t t0, int rc)
{
	const char *status = rc >= 0 ? "200" : rc == TC_ENOTFOUND ? "404" : "500";

	if (rc != TC_ECANCELED)
		tc_metrics_observe(b->metrics, TC_M_BACKEND_REQUEST_DURATION_SECONDS,
				   (double)(tc_mono_ns() - t0) / 1e9, method, status);
	return rc;
}

static int ins_read(tc_buf *out, tc_backend *be, const char *key)
{
	uint64_t t0 = tc_mono_ns();

	return observe(as_ins(be), "GET", t0, tc_backend_read(out, as_ins(be)->inner, key));
}

static int ins_read_range(uint8_t *out, tc_backend *be, const char *key, uint64_t off, size_t len)
{
	uint64_t t0 = tc_mono_ns();

	return observe(as_ins(be), "GET", t0,
		       tc_backend_read_range(out, as_ins(be)->inner, key, off, len));
}

static int ins_write(tc_backend *be, const char *key, const void *data, size_t len)
{
	uint64_t t0 = tc_mono_ns();

	return observe(as_ins(be), "PUT", t0, tc_backend_write(as_ins(be)->inner, key, data, len));
}

/* Opening and committing a stream are S3's CreateMultipartUpload and CompleteMultipartUpload. */
static int ins_append_open(tc_append **out, tc_backend *be, const char *key)
{
	instrumented *b = as_ins(be);
	instrumented_append *a;
	uint64_t t0 = tc_mono_ns();
	int rc;

	*out = NULL;
	if (!(a = calloc(1, sizeof(*a)))) {
		tc_error_set("out of memory opening %s", key);
		return TC_ERROR;
	}
	a->base.be = be;
	rc = observe(b, "POST", t0, tc_backend_append_open(&a->inner, b->inner, key));
	if (rc < 0) {
		free(a);
		return rc;
	}
	*out = &a->base;
	return TC_OK;
}

static int ins_append(tc_append *ap, const void *data, size_t len)
{
	instrumented_append *a = (instrumented_append *)ap;
	uint64_t t0 = tc_mono_ns();

	return observe(as_ins(ap->be), "PUT", t0, tc_backend_append(a->inner, data, len));
}

static int ins_append_commit(tc_append *ap)
{
	instrumented_append *a = (instrumented_append *)ap;
	instrumented *b = as_ins(ap->be);
	uint64_t t0 = tc_mono_ns();
	int rc = tc_backend_append_commit(a->inner);

	free(a);
	return observe(b, "POST", t0, rc);
}

static void ins_append_abort(tc_append *ap)
{
	instrumented_append *a = (instrumented_append *)ap;
	instrumented *b = as_ins(ap->be);
	uint64_t t0 = tc_mono_ns();

	tc_backend_append_abort(a->inner);
	free(a);
	observe(b, "DELETE", t0, TC_OK);
}

static int ins_list(tc_strlist *out, tc_backend *be, const char *prefix)
{
	uint64_t t0 = tc_mono_ns();

	return observe(as_ins(be), "GET", t0, tc_backend_list(out, as_ins(be)->inner, prefix));
}

static int ins_list_objects(tc_strlist *out, tc_backend *be, const char *prefix)
{
	uint64_t t0 = tc_mono_ns();

	return observe(as_ins(be), "GET", t0,
		       tc_backend_list_objects(out, as_ins(be)->inner, prefix));
}

/* One call, one observation, as local and mem list a tenant in one go. */
static int ins_list_blocks(tc_block_list *out, tc_backend *be, const char *tenant)
{
	uint64_t t0 = tc_mono_ns();

	return observe(as_ins(be), "GET", t0, tc_backend_list_blocks(out, as_ins(be)->inner, tenant));
}

static int ins_stat(tc_stat *out, tc_backend *be, const char *key)
{
	uint64_t t0 = tc_mono_ns();

	return observe(as_ins(be), "HEAD", t0, tc_backend_stat(out, as_ins(be)->inner, key));
}

static int ins_del(tc_backend *be, const char *key)
{
	uint64_t t0 = tc_mono_ns();

	return observe(as_ins(be), "DELETE", t0, tc_backend_delete(as_ins(be)->inner, key));
}

/* S3 does a copy (PUT with x-amz-copy-source) and a delete; one call here. */
static int ins_mark_compacted(tc_backend *be, const char *tenant, const char *block)
{
	uint64_t t0 = tc_mono_ns();

	return observe(as_ins(be), "PUT", t0,
		       tc_backend_mark_compacted(as_ins(be)->inner, tenant, block));
}

static int ins_clear_block(tc_backend *be, const char *tenant, const char *block)
{
	uint64_t t0 = tc_mono_ns();

	return observe(as_ins(be), "DELETE", t0,
		       tc_backend_clear_block(as_ins(be)->inner, tenant, block));
}

/* Not observed: a backend without uploads to abort does nothing at all. */
static int ins_abort_stale_uploads(size_t *aborted, tc_backend *be, const tc_time *started_before)
{
	return tc_backend_abort_stale_uploads(aborted, as_ins(be)->inner, started_before);
}

static void ins_cancel(tc_backend *be)
{
	tc_backend_cancel(as_ins(be)->inner);
}

static void ins_free(tc_backend *be)
{
	tc_backend_free(as_ins(be)->inner);
	free(be);
}

static const tc_backend_ops instrumented_ops = {
	.name = "instrumented",
	.read = ins_read,
	.read_range = ins_read_range,
	.write = ins_write,
	.append_open = ins_append_open,
	.append = ins_append,
	.append_commit = ins_append_commit,
	.append_abort = ins_append_abort,
	.list = ins_list,
	.list_objects = ins_list_objects,
	.stat = ins_stat,
	.list_blocks = ins_list_blocks,
	.del = ins_del,
	.mark_compacted = ins_mark_compacted,
	.clear_block = ins_clear_block,
	.abort_stale_uploads = ins_abort_stale_uploads,
	.cancel = ins_cancel,
	.free = ins_free,
};

int tc_backend_instrumented_new(tc_backend **out, tc_backend *inner, tc_metrics *metrics)
{
	static const char *const methods[] = { "DELETE", "GET", "HEAD", "POST", "PUT" };
	instrumented *b;

	*out = NULL;
	if (!(b = calloc(1, sizeof(*b)))) {
		tc_backend_free(inner);
		tc_error_set("out of memory creating the instrumented backend");
		return TC_ERROR;
	}
	b->ops = instrumented_ops;
	b->ops.name = tc_backend_name(inner);
	b->base.ops = &b->ops;
	b->inner = inner;
	b->metrics = metrics;
	/*
	 * The retries series exist for every backend, at 0 for one that never
	 * retries, so the dashboards and alerts that watch them work here too.
	 */
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		tc_metrics_touch(metrics, TC_M_BACKEND_RETRIES_TOTAL, methods[i], NULL);
	*out = &b->base;
	return TC_OK;
}
