/*
 * Synthetic level-0 blocks, shaped like what a Tempo 1.5 ingester fleet
 * flushes: `flushes` rounds of `traces` traces each, every round written by
 * `replicas` ingesters as identical blocks with distinct IDs (replication
 * factor), a fraction of each round's traces continuing in the next round
 * with new spans plus a few re-sent ones (so the combiner has to dedup),
 * and optionally one big trace spread over every round for memory tests.
 *
 * Everything, block IDs included, is a pure function of the options: the
 * same options give byte-identical blocks. Only `now` ties the output to
 * the clock, and callers pass it in.
 */
#ifndef TC_GEN_SYNTH_H
#define TC_GEN_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "encoding/block_writer.h"
#include "encoding/meta.h"
#include "src/backend/backend.h"
#include "src/util/timeutil.h"

#define TC_SYNTH_MAX_FLUSHES 10000
#define TC_SYNTH_MAX_REPLICAS 16
#define TC_SYNTH_MAX_TRACES 50000000
#define TC_SYNTH_MAX_SPANS 100000

typedef struct tc_synth_opts {
	const char *tenant;
	uint32_t flushes;         /* rounds of ingester flushes */
	uint32_t replicas;        /* identical blocks per round */
	uint32_t traces;          /* objects per round, continued traces included */
	uint32_t spans;           /* new spans per trace part: uniform in 1..2*spans */
	double continue_frac;     /* share of a round's traces that continue in the next, 0..1 */
	int64_t age_ns;           /* round 0 ends at now - age */
	int64_t flush_interval_ns;/* round f ends at now - age + f * interval */
	tc_time now;
	uint64_t seed;
	tc_block_config block;    /* encoding, page and bloom sizes */
	const char *data_encoding;/* "v2" or "v1" */
	uint8_t level;
	uint64_t big_trace_bytes; /* > 0: one more trace of about this many bytes over all rounds */
} tc_synth_opts;

/* 2 rounds x 2 replicas x 200 traces x ~20 spans, continue 0.2, 2h old, 5m apart, seed 1, zstd v2. */
void tc_synth_opts_default(tc_synth_opts *o);

typedef struct tc_synth_block {
	tc_meta meta;      /* as written */
	uint32_t flush;
	uint32_t replica;
	uint64_t spans;    /* spans in the block's bodies, re-sent ones included */
	uint64_t elapsed_ns;
} tc_synth_block;

/* TC_OK, or TC_EINVALID with a message naming the bad option (tc_synth_generate checks too). */
int tc_synth_opts_check(const tc_synth_opts *o);

/* Called once per block written, in (flush, replica) order; a negative return stops the run. */
typedef int (*tc_synth_block_fn)(const tc_synth_block *b, void *ctx);

/*
 * Writes flushes x replicas blocks to be. The blocks of one round are
 * written in parallel, one thread per replica. Memory is bounded by a few
 * MiB of bodies at a time plus the writers' pages; the big trace's share of
 * a round is held once while that round is written. Bad options are
 * TC_EINVALID with a message naming the option; fn may be NULL.
 */
int tc_synth_generate(tc_backend *be, const tc_synth_opts *o, tc_synth_block_fn fn, void *ctx);

/* The ID of the big trace these options generate (when big_trace_bytes > 0). */
void tc_synth_big_trace_id(uint8_t out[TC_ID_LEN], const tc_synth_opts *o);

#endif
