/*
 * One compaction job (docs/COMPACTOR.md#compaction-job): N live input blocks of a tenant are
 * merged into one block of level max+1, then the inputs are marked
 * compacted.
 */
#ifndef TC_COMPACTOR_COMPACT_H
#define TC_COMPACTOR_COMPACT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "encoding/block_writer.h"
#include "encoding/meta.h"
#include "encoding/trace.h"
#include "src/backend/backend.h"

typedef struct tc_compact_opts {
	tc_block_config block;
	size_t chunk_size_bytes;    /* read-ahead per input; 0 = default */
	size_t flush_size_bytes;    /* output append size; 0 = default */
	size_t max_bytes_per_trace; /* 0 = no limit */
	const atomic_int *cancel;   /* non-zero: stop soon with TC_ECANCELED; may be NULL */
	const char *output_block_id; /* NULL: a new random UUID */
	/*
	 * The fencing check of a job that runs under a lock
	 * (docs/COMPACTOR.md#job-locks); may be NULL. Called right before the
	 * output's meta.json is written and again right before the inputs are
	 * marked compacted. Anything but TC_OK abandons the job with that code:
	 * at the first call the partial output is deleted; at the second the
	 * complete output stays and so do the live inputs (duplicates that a
	 * later job compacts away, never a loss).
	 */
	int (*confirm)(void *ctx);
	void *confirm_ctx;
} tc_compact_opts;

typedef struct tc_compact_result {
	tc_meta output;
	tc_combine_stats stats;
	int64_t objects_in;   /* Σ input totalObjects */
	uint64_t bytes_in;    /* Σ input data bytes read */
	uint64_t marked;      /* inputs marked compacted */
	int failed_input;     /* index of an input that failed to read, or -1 */
	int fenced;           /* confirm refused: 1 before the output existed, 2 after (output valid) */
	uint64_t duration_ns;
} tc_compact_result;

/*
 * Runs the job. Inputs must share tenant, format and data encoding. On any
 * failure before the output's meta.json exists, nothing is changed: the
 * partial output is deleted and the inputs stay live. A failure while
 * marking inputs leaves a valid output and live inputs (duplicates that a
 * later cycle compacts away), never a loss.
 */
int tc_compact_blocks(tc_compact_result *res, tc_backend *be, const tc_meta *const *inputs, size_t n,
		      const tc_compact_opts *o);

#endif
