/*
 * k-way merge by trace ID over N block readers (docs/COMPACTOR.md#merging): the
 * lowest head ID wins, equal heads are combined in input order.
 */
#ifndef TC_ENCODING_MERGE_H
#define TC_ENCODING_MERGE_H

#include <stddef.h>

#include "encoding/block_reader.h"
#include "encoding/trace.h"

typedef struct tc_merge tc_merge;

/* The readers stay owned by the caller and must outlive the merge. */
int tc_merge_new(tc_merge **out, tc_block_reader **inputs, size_t n, tc_data_kind kind,
		 size_t max_bytes_per_trace);
/* 1 with *out set (valid until the next call), 0 at the end, <0 on error. */
int tc_merge_next(tc_object *out, tc_merge *m);
/*
 * After tc_merge_next returned an object: 1 if max_bytes_per_trace cut it
 * short, with the spans it lost in *spans_discarded; else 0. Reporting it is
 * the caller's job (encoding/ does not log).
 */
int tc_merge_truncated(uint64_t *spans_discarded, const tc_merge *m);
/* Index of the input whose read failed, or -1 (a combine failure, say). */
int tc_merge_failed_input(const tc_merge *m);
void tc_merge_stats(tc_combine_stats *out, const tc_merge *m);
void tc_merge_free(tc_merge *m);

#endif
