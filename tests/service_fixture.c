/* What the service's unit tests share (tests/service_fixture.h). */
#include "tests/service_fixture.h"

#include "src/compactor/blocklist.h"
#include "src/gen/synth.h"

#define SEC 1000000000LL

int sf_gen(tc_backend *be, const char *tenant, uint32_t flushes, uint32_t replicas,
	   uint32_t traces, uint32_t spans, int64_t age_h, uint64_t seed)
{
	tc_synth_opts o;
	tc_time now = tc_time_now();
	int64_t end = (now.sec - age_h * 3600) / 3600 * 3600 + 1200;

	tc_synth_opts_default(&o);
	o.tenant = tenant;
	o.flushes = flushes;
	o.replicas = replicas;
	o.traces = traces;
	o.spans = spans;
	o.seed = seed;
	o.age_ns = (now.sec - end) * SEC;
	o.flush_interval_ns = 60 * SEC;
	o.now = now;
	return tc_synth_generate(be, &o, NULL, NULL);
}

size_t sf_count(tc_backend *be, const char *tenant, int compacted)
{
	tc_blocklist bl;
	size_t n;

	if (tc_blocklist_read_tenant(&bl, be, tenant) < 0)
		return 999;
	n = compacted ? bl.n_compacted : bl.n_live;
	tc_blocklist_dispose(&bl);
	return n;
}
