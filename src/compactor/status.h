/*
 * What the bucket page shows (src/web/, README "Bucket web page"): a
 * snapshot of the service's blocklist per tenant and of what its loops did
 * lately (the last compaction jobs and retention actions). The same
 * snapshot comes from a compacting service and from a read-only one
 * (tracecompactor web), which only polls.
 */
#ifndef TC_COMPACTOR_STATUS_H
#define TC_COMPACTOR_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "src/compactor/blocklist.h"
#include "src/compactor/retention.h"
#include "src/compactor/selector.h"
#include "src/util/strlist.h"
#include "src/util/timeutil.h"

/* Compaction jobs and retention actions remembered, newest first. */
#define TC_STATUS_HISTORY 50
#define TC_STATUS_ERROR_MAX 256

/* A time that has not happened yet (never polled, never compacted) has sec == 0 && nsec == 0. */
#define TC_STATUS_NEVER(t) ((t).sec == 0 && (t).nsec == 0)

typedef struct tc_job_record {
	tc_time finished;
	char tenant[TC_TENANT_MAX + 1];
	char inputs[TC_SELECTOR_MAX_INPUTS][TC_UUID_STR_LEN + 1];
	size_t n_inputs;
	char output[TC_UUID_STR_LEN + 1]; /* "" when no output was published */
	uint8_t level;                     /* the output's level (inputs' highest + 1) */
	int64_t objects_in;
	int64_t objects;                   /* written */
	uint64_t bytes;                    /* written */
	uint64_t duration_ns;
	char result[24];                   /* ok, failed, quarantined, input gone, lock lost */
	char error[TC_STATUS_ERROR_MAX];
} tc_job_record;

typedef struct tc_retention_record {
	tc_time when;
	char tenant[TC_TENANT_MAX + 1];
	char block[TC_UUID_STR_LEN + 1];
	char action[24];    /* marked compacted, deleted, mark failed, delete failed */
	tc_time block_time; /* a live block's end, a compacted block's compactedTime */
	tc_time cutoff;     /* block_time was before it */
	char error[TC_STATUS_ERROR_MAX];
} tc_retention_record;

typedef struct tc_status_tenant {
	char name[TC_TENANT_MAX + 1];
	size_t n_live;        /* quarantined ones included */
	size_t n_compacted;
	size_t n_quarantined;
	uint64_t live_bytes, compacted_bytes;
	int64_t live_objects;
	tc_time oldest;       /* start of the oldest live block; never when there is none */
	size_t outstanding_jobs;   /* groups the selector would compact now */
	size_t outstanding_blocks; /* their inputs */
	tc_time last_poll;
	tc_time last_compaction;   /* last job that published an output */
	tc_time index_time;        /* index.json.gz last written (by us, or as the bucket says) */
	int64_t block_retention_ns; /* effective: overrides applied; 0 = none */
} tc_status_tenant;

typedef struct tc_status {
	tc_time now;
	int read_only;            /* tracecompactor web: polls only */
	char backend[16];
	int64_t compaction_window_ns;
	int64_t compacted_block_retention_ns;
	tc_time last_poll, last_compaction, last_retention; /* ends of the last pass of each loop */
	tc_status_tenant *tenants; /* sorted by name */
	size_t n_tenants;
	/* One tenant's blocks, when asked for (tc_service_status with a tenant). */
	int has_detail;
	size_t detail_index;       /* into tenants */
	tc_blocklist detail;
	tc_strlist reasons;        /* parallel to detail.quarantined: what its marker says */
	/*
	 * Retention's decision for each block of detail: detail.live in order,
	 * then detail.compacted (tc_retention_plan, the plan the loop acts on).
	 */
	tc_retention_decision *plan;
	size_t n_plan;
	tc_job_record *jobs;       /* newest first */
	size_t n_jobs;
	tc_retention_record *retention; /* newest first */
	size_t n_retention;
} tc_status;

void tc_status_dispose(tc_status *st);

#endif
