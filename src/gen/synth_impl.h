/*
 * Shared by synth.c (the run) and synth_trace.c (the trace content) only:
 * the randomness both draw from, a trace part, and the builder that turns
 * parts into a Tempopb__Trace.
 */
#ifndef TC_GEN_SYNTH_IMPL_H
#define TC_GEN_SYNTH_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"
#include "tempo.pb-c.h"

#define GAMMA 0x9e3779b97f4a7c15ULL
#define TRACE_SVCS 4

/* ---- randomness: splitmix64 ---- */

static inline uint64_t hash64(uint64_t x)
{
	x += GAMMA;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline uint64_t rnd(uint64_t *s)
{
	uint64_t z = hash64(*s);
	*s += GAMMA;
	return z;
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
	return hash64(a ^ hash64(b ^ 0x5851f42d4c957f2dULL));
}

/* Uniform in [0, n), n >= 1. */
static inline uint32_t below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(((rnd(s) >> 32) * (uint64_t)n) >> 32);
}

static inline uint64_t below64(uint64_t *s, uint64_t n)
{
	return n ? rnd(s) % n : 0;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* ---- one part of a trace ---- */

typedef struct part {
	uint64_t seed;
	const uint8_t *trace_id;
	uint64_t key;
	uint32_t n;
	int64_t t0, dur; /* every span lies in [t0, t0 + dur] */
	int has_root;    /* span 0 is the trace's root */
	int big;         /* spans carry a long request body */
	uint8_t root[8];
	uint8_t svc[TRACE_SVCS];
	uint32_t nsvc;
} part;

static inline void span_id(uint8_t out[8], uint64_t seed, uint64_t key, uint32_t j)
{
	uint64_t v = mix(mix(seed, key), (uint64_t)j << 1 | 1);
	put_be64(out, v ? v : 1);
}

/* The trace's services, from its seed; the first is the root's. Returns how many. */
uint32_t tc_synth_trace_services(uint8_t out[TRACE_SVCS], uint64_t seed);

/* ---- the builder: spans of parts, grouped into one trace ---- */

typedef struct gen gen;

int tc_synth_gen_new(gen **out);
void tc_synth_gen_free(gen *g); /* accepts NULL */
/* Room for n spans; call it before generating them (a move would dangle their pointers). */
int tc_synth_gen_reserve(gen *g, size_t n);
/* Forgets the generated spans. */
void tc_synth_gen_clear(gen *g);
/* Appends spans from..from+count-1 of p; tc_synth_gen_reserve made room for them. */
void tc_synth_gen_spans(gen *g, const part *p, uint32_t from, uint32_t count);
size_t tc_synth_gen_count(const gen *g);
/* Groups the generated spans into tc_synth_gen_trace's batches. */
void tc_synth_build_trace(gen *g, uint64_t trace_seed);
const Tempopb__Trace *tc_synth_gen_trace(const gen *g);
/* Widens [*lo, *hi] to cover the generated spans' times. */
void tc_synth_span_range(const gen *g, uint64_t *lo, uint64_t *hi);
/* A buffer the caller may pack the trace into; owned by g. */
tc_buf *tc_synth_gen_packed(gen *g);

#endif
