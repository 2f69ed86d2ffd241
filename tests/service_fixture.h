/*
 * Shared by the service's unit tests (test_service, test_service_ring,
 * test_concurrency): synthetic Tempo blocks that share a compaction
 * window, and counting a tenant's blocks.
 */
#ifndef TC_TESTS_SERVICE_FIXTURE_H
#define TC_TESTS_SERVICE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "src/backend/backend.h"

/*
 * Writes flushes x replicas blocks of tenant (tc_synth_generate), traces
 * traces of about spans spans each; the first flush ends 20 minutes into
 * the hour age_h hours ago and each next one a minute later, so that they
 * share a compaction window.
 */
int sf_gen(tc_backend *be, const char *tenant, uint32_t flushes, uint32_t replicas,
	   uint32_t traces, uint32_t spans, int64_t age_h, uint64_t seed);
/* The tenant's live blocks (compacted 0) or compacted ones; 999 if its blocklist cannot be read. */
size_t sf_count(tc_backend *be, const char *tenant, int compacted);

#endif
