/*
 * Planning at scale (bench/README.md, "Planning at scale"): with N live
 * blocks in one tenant, on the in-memory backend (metas only: nothing is
 * compacted), how long the service's poll, one compaction cycle's
 * selection, retention's scan and the tenant index take, and what the index
 * costs in memory. `build/bench/plan [BLOCKS]` (100000 by default);
 * bench/poll.sh runs it. Steady poll, selection and retention: the best of
 * RUNS runs. Speed is measured here, never asserted by a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "encoding/tenant_index.h"
#include "src/backend/backend.h"
#include "src/compactor/blocklist.h"
#include "src/compactor/selector.h"
#include "src/compactor/service.h"
#include "src/config/config.h"
#include "src/config/overrides.h"
#include "src/metrics/metrics.h"
#include "src/util/log.h"
#include "src/util/timeutil.h"

#define SEC 1000000000LL
#define RUNS 5

static double ms_since(uint64_t t0)
{
	return (double)(tc_mono_ns() - t0) / 1e6;
}

static long max_rss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* A block of the last 30 days: ~4 blocks per 5-minute flush, levels 0-2, so the selector has work everywhere. */
static int put_meta(tc_backend *be, size_t i, int64_t now)
{
	char key[256], json[1024], id[64], start[TC_TIME_STR_MAX], end[TC_TIME_STR_MAX];
	tc_time s = tc_time_from_unix(now - 30 * 86400 + (int64_t)(i / 4) * 300 % (30 * 86400), 0), e = s;

	e.sec += 300;
	tc_time_format_utc(start, &s);
	tc_time_format_utc(end, &e);
	snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012zx", i);
	snprintf(key, sizeof(key), "big/%s/meta.json", id);
	snprintf(json, sizeof(json),
		 "{\"format\":\"v2\",\"blockID\":\"%s\",\"minID\":\"AAAAAAAAAAAAAAAAAAAAAA==\","
		 "\"maxID\":\"/////////////////////w==\",\"tenantID\":\"big\",\"startTime\":\"%s\","
		 "\"endTime\":\"%s\",\"totalObjects\":%zu,\"size\":%zu,\"compactionLevel\":%zu,"
		 "\"encoding\":\"zstd\",\"indexPageSize\":256000,\"totalRecords\":1,\"dataEncoding\":\"v2\","
		 "\"bloomShards\":1,\"footerSize\":100}", id, start, end, 1000 + i % 977, 1000000 + i % 9973, i % 3);
	return tc_backend_write(be, key, json, strlen(json));
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	tc_config cfg;
	tc_backend *be = NULL;
	tc_metrics *m = NULL;
	tc_overrides *ov = NULL;
	tc_service *svc = NULL;
	tc_blocklist bl;
	tc_selector *sel;
	tc_buf gz = TC_BUF_INIT;
	const tc_meta **g;
	size_t gn, jobs = 0, inputs = 0;
	char hash[TC_SELECTOR_HASH_MAX];
	tc_time now = tc_time_now();
	uint64_t t0;
	long rss0;
	double t_first, t_steady, t_select, t_retention, t_index;

	tc_log_set_level(TC_LOG_ERROR);
	if (tc_config_default(&cfg) < 0 || tc_backend_mem_new(&be) < 0 || tc_metrics_new(&m) < 0)
		goto fail;
	cfg.storage.blocklist_poll_ns = 10 * SEC; /* the index is not due again by age */
	cfg.compactor.compaction.block_retention_ns = 1000 * 24 * 3600 * SEC; /* nothing expires: the scan alone */
	for (size_t i = 0; i < n; i++)
		if (put_meta(be, i, now.sec) < 0)
			goto fail;
	if (tc_overrides_new(&ov, &cfg) < 0 || tc_service_new(&svc, &cfg, be, ov, m) < 0)
		goto fail;

	t0 = tc_mono_ns();
	if (tc_service_poll_once(svc) < 0)
		goto fail;
	t_first = ms_since(t0);
	/* Best of RUNS: the machine is shared, and the floor is what the code costs. */
	t_steady = 1e18;
	for (int r = 0; r < RUNS; r++) {
		t0 = tc_mono_ns();
		if (tc_service_poll_once(svc) < 0)
			goto fail;
		if (ms_since(t0) < t_steady)
			t_steady = ms_since(t0);
	}

	/* One cycle's selection, as session_open and the workers do it: copy, group and sort, choose every job. */
	if (tc_blocklist_read_tenant(&bl, be, "big") < 0)
		goto fail;
	t_select = 1e18;
	for (int r = 0; r < RUNS; r++) {
		tc_blocklist copy = bl;
		t0 = tc_mono_ns();
		tc_selector_opts so = { cfg.compactor.compaction.compaction_window_ns,
					cfg.compactor.compaction.max_compaction_objects,
					cfg.compactor.compaction.max_block_bytes, now };
		copy.live = malloc(bl.n_live * sizeof(*bl.live));
		if (!copy.live)
			goto fail;
		memcpy(copy.live, bl.live, bl.n_live * sizeof(*bl.live));
		tc_blocklist_drop_quarantined(&copy);
		if (tc_selector_new(&sel, copy.live, copy.n_live, &so) < 0)
			goto fail;
		while (tc_selector_next(&g, &gn, hash, sel) == 1) {
			jobs++;
			inputs += gn;
		}
		tc_selector_free(sel);
		free(copy.live);
		if (ms_since(t0) < t_select)
			t_select = ms_since(t0);
	}
	jobs /= RUNS;
	inputs /= RUNS;

	t_retention = 1e18;
	for (int r = 0; r < RUNS; r++) {
		t0 = tc_mono_ns();
		if (tc_service_retention_once(svc) < 0)
			goto fail;
		if (ms_since(t0) < t_retention)
			t_retention = ms_since(t0);
	}

	rss0 = max_rss_kib();
	t0 = tc_mono_ns();
	if (tc_tenant_index_write(&gz, &now, bl.live, bl.n_live, bl.compacted, bl.n_compacted) < 0)
		goto fail;
	t_index = ms_since(t0);

	printf("| %zu | %.0f ms | %.0f ms | %.0f ms (%zu jobs, %zu inputs) | %.0f ms | %.0f ms, %.1f MB gzip, "
	       "peak RSS +%.1f MB |\n",
	       n, t_first, t_steady, t_select, jobs, inputs, t_retention, t_index, gz.len / 1e6,
	       (max_rss_kib() - rss0) / 1024.0);
	tc_buf_dispose(&gz);
	tc_blocklist_dispose(&bl);
	tc_service_free(svc);
	tc_overrides_free(ov);
	tc_metrics_free(m);
	tc_backend_free(be);
	tc_config_dispose(&cfg);
	return 0;
fail:
	fprintf(stderr, "plan: %s\n", tc_error_last());
	return 1;
}
