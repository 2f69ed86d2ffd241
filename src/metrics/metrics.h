/*
 * Prometheus metrics: a fixed table of families (Tempo's names where Tempo
 * has the metric), each with up to four labels. Thread-safe; rendering gives
 * the text exposition format.
 */
#ifndef TC_METRICS_METRICS_H
#define TC_METRICS_METRICS_H

#include "src/util/buf.h"
#include "src/util/strlist.h"

typedef enum tc_metric_id {
	/* compaction */
	TC_M_COMPACTION_BLOCKS_TOTAL,          /* counter {level} */
	TC_M_COMPACTION_OBJECTS_WRITTEN_TOTAL, /* counter {level} */
	TC_M_COMPACTION_BYTES_WRITTEN_TOTAL,   /* counter {level} */
	TC_M_COMPACTION_OBJECTS_COMBINED_TOTAL,/* counter {level} */
	TC_M_COMPACTION_ERRORS_TOTAL,          /* counter */
	TC_M_COMPACTION_OUTSTANDING_BLOCKS,    /* gauge {tenant} */
	TC_M_COMPACTION_DURATION_SECONDS,      /* histogram */
	TC_M_COMPACTION_SPANS_DEDUPED_TOTAL,   /* counter {tenant} */
	TC_M_COMPACTION_SPANS_DISCARDED_TOTAL, /* counter {tenant} */
	TC_M_COMPACTION_PARTIAL_BLOCKS_CLEANED_TOTAL, /* counter {tenant} */
	TC_M_COMPACTION_BLOCKS_QUARANTINED_TOTAL,     /* counter {tenant} */
	TC_M_COMPACTION_JOBS_ABANDONED_TOTAL,  /* counter {reason} */
	TC_M_DISCARDED_SPANS_TOTAL,            /* counter {reason,tenant} */
	/* retention */
	TC_M_RETENTION_DURATION_SECONDS,       /* histogram */
	TC_M_RETENTION_ERRORS_TOTAL,           /* counter */
	TC_M_RETENTION_MARKED_TOTAL,           /* counter */
	TC_M_RETENTION_DELETED_TOTAL,          /* counter */
	TC_M_RETENTION_EXPIRED_BLOCKS,         /* gauge {tenant} */
	/* blocklist poller */
	TC_M_POLL_DURATION_SECONDS,            /* histogram */
	TC_M_POLL_ERRORS_TOTAL,                /* counter {tenant} */
	TC_M_BLOCKLIST_LENGTH,                 /* gauge {tenant} */
	TC_M_TENANT_INDEX_ERRORS_TOTAL,        /* counter {tenant} */
	TC_M_TENANT_INDEX_BUILDER,             /* gauge {tenant} */
	TC_M_TENANT_INDEX_AGE_SECONDS,         /* gauge {tenant} */
	TC_M_BACKEND_OBJECTS_TOTAL,            /* gauge {tenant,status} */
	TC_M_BACKEND_BYTES_TOTAL,              /* gauge {tenant,status} */
	/* backend requests */
	TC_M_BACKEND_REQUEST_DURATION_SECONDS, /* histogram {operation,status_code} */
	TC_M_BACKEND_RETRIES_TOTAL,            /* counter {operation} */
	/* compactor ring (docs/RING.md#metrics) */
	TC_M_RING_MEMBERS,                     /* gauge {name,state}: cortex_ring_members */
	TC_M_RING_MEMBERS_TEMPO,               /* gauge {name,state}: tempo_ring_members */
	/* process */
	TC_M_BUILD_INFO,                       /* gauge {version,revision} */
	TC_M_BUILD_INFO_TEMPO,                 /* gauge {version,revision,branch,goversion} */
	TC_M_OVERRIDES_RELOAD_ERRORS_TOTAL,    /* counter */
	TC_M_HTTP_CONNECTIONS_CUT_TOTAL,       /* counter {reason} */
	TC_M_COUNT
} tc_metric_id;

typedef struct tc_metrics tc_metrics;

int tc_metrics_new(tc_metrics **out);
void tc_metrics_free(tc_metrics *m);

/*
 * Label values are given in the family's label order; pass NULL for
 * families with fewer labels (the two-value calls leave labels past the
 * second empty). A series is created on first use.
 */
void tc_metrics_add(tc_metrics *m, tc_metric_id id, double v, const char *l1, const char *l2);
void tc_metrics_set(tc_metrics *m, tc_metric_id id, double v, const char *l1, const char *l2);
/* tc_metrics_set for families with more than two labels: lv holds one value per label. */
void tc_metrics_setv(tc_metrics *m, tc_metric_id id, double v, const char *const lv[]);
void tc_metrics_observe(tc_metrics *m, tc_metric_id id, double v, const char *l1, const char *l2);
/*
 * Creates the series at 0 if it does not exist yet, and leaves an existing
 * one alone: called when a tenant or operation becomes known, so the
 * series is exported before its first event and rate()/increase() see the
 * first increment.
 */
void tc_metrics_touch(tc_metrics *m, tc_metric_id id, const char *l1, const char *l2);
/* Drops every series of a family whose first label equals l1 (a tenant that went away). */
void tc_metrics_forget(tc_metrics *m, tc_metric_id id, const char *l1);
/*
 * Drops every series, of every family with a "tenant" label, whose tenant
 * is in tenants (sorted by strcmp): tenants that left the bucket leave no
 * series behind.
 */
void tc_metrics_forget_tenants(tc_metrics *m, const tc_strlist *tenants);
/* Current value of a counter/gauge series (0 if absent); histograms give their count. */
double tc_metrics_get(tc_metrics *m, tc_metric_id id, const char *l1, const char *l2);

/*
 * Appends the text exposition of every family, plus process metrics
 * (process_resident_memory_bytes, process_max_resident_memory_bytes,
 * process_cpu_seconds_total, process_start_time_seconds).
 */
int tc_metrics_render(tc_buf *out, tc_metrics *m);

#endif
