/*
 * tracecompactor gen: writes synthetic level-0 blocks into a local bucket,
 * shaped like a replicated ingester fleet's flushes (src/gen/synth.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/args.h"
#include "src/cli/cli_backend.h"
#include "src/cli/commands.h"
#include "src/gen/synth.h"

static const char USAGE[] =
	"tracecompactor gen --path ROOT --tenant T [--flushes 2] [--replicas 2] [--traces 200]\n"
	"       [--spans 20] [--continue 0.2] [--age 2h] [--flush-interval 5m] [--seed 1]\n"
	"       [--encoding zstd] [--data-encoding v2] [--level 0] [--big-trace-bytes 0]\n"
	"       [--now RFC3339]\n"
	"Unlike the other commands, gen creates ROOT (or the config's local path) when it does\n"
	"not exist: it sets up demo and test buckets.";

static int parse_u64(uint64_t *out, const char *flag, const char *s, uint64_t max)
{
	static const char suffixes[] = "KMGT";
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end != s && *end && !end[1] && strchr(suffixes, *end)) {
		int shift = 10 * (int)(strchr(suffixes, *end) - suffixes + 1);
		if (v > (ULLONG_MAX >> shift))
			errno = ERANGE;
		v <<= shift;
		end++;
	}
	if (end == s || *end || *s == '-' || errno || v > max) {
		tc_error_set("--%s: \"%s\" is not a whole number in 0..%llu", flag, s,
			     (unsigned long long)max);
		return TC_EINVALID;
	}
	*out = v;
	return TC_OK;
}

static int parse_duration(int64_t *out, const char *flag, const char *s)
{
	if (tc_duration_parse(out, s) < 0) {
		tc_error_set("--%s: \"%s\" is not a duration like 90s, 5m or 2h", flag, s);
		return TC_EINVALID;
	}
	return TC_OK;
}

typedef struct gen_flags {
	const char *path, *tenant, *flushes, *replicas, *traces, *spans, *cont, *age, *interval, *seed,
		*encoding, *data_encoding, *level, *big, *now, *config;
} gen_flags;

static int apply_flags(tc_synth_opts *o, const gen_flags *fl)
{
	uint32_t level = 0;
	const struct {
		const char *flag, *val;
		uint32_t *u32;
		uint64_t *u64;
		uint64_t max;
	} nums[] = {
		{ "flushes", fl->flushes, &o->flushes, NULL, TC_SYNTH_MAX_FLUSHES },
		{ "replicas", fl->replicas, &o->replicas, NULL, TC_SYNTH_MAX_REPLICAS },
		{ "traces", fl->traces, &o->traces, NULL, TC_SYNTH_MAX_TRACES },
		{ "spans", fl->spans, &o->spans, NULL, TC_SYNTH_MAX_SPANS },
		{ "level", fl->level, &level, NULL, 255 },
		{ "seed", fl->seed, NULL, &o->seed, UINT64_MAX },
		{ "big-trace-bytes", fl->big, NULL, &o->big_trace_bytes, UINT64_MAX },
	};
	int rc = TC_OK;

	o->tenant = fl->tenant;
	if (tc_tenant_validate(fl->tenant) < 0)
		return TC_EINVALID;
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		uint64_t v;
		if (!nums[i].val)
			continue;
		if ((rc = parse_u64(&v, nums[i].flag, nums[i].val, nums[i].max)) < 0)
			return rc;
		if (nums[i].u32)
			*nums[i].u32 = (uint32_t)v;
		else
			*nums[i].u64 = v;
	}
	o->level = (uint8_t)level;
	if ((fl->age && (rc = parse_duration(&o->age_ns, "age", fl->age)) < 0) ||
	    (fl->interval &&
	     (rc = parse_duration(&o->flush_interval_ns, "flush-interval", fl->interval)) < 0))
		return rc;
	if (fl->cont) {
		char *end;
		o->continue_frac = strtod(fl->cont, &end);
		if (end == fl->cont || *end || !(o->continue_frac >= 0 && o->continue_frac <= 1)) {
			tc_error_set("--continue: \"%s\" is not a fraction in 0..1", fl->cont);
			return TC_EINVALID;
		}
	}
	if (fl->encoding && (rc = tc_encoding_from_name(&o->block.encoding, fl->encoding)) < 0)
		return rc;
	if (fl->data_encoding)
		o->data_encoding = fl->data_encoding;
	if (fl->now && (rc = tc_time_parse(&o->now, fl->now)) < 0)
		return rc;
	return TC_OK;
}

static int print_block(const tc_synth_block *b, void *ctx)
{
	char start[TC_TIME_STR_MAX], end[TC_TIME_STR_MAX];

	(void)ctx;
	tc_time_format(start, &b->meta.start);
	tc_time_format(end, &b->meta.end);
	printf("block=%s tenant=%s flush=%u replica=%u level=%u objects=%lld spans=%llu bytes=%llu "
	       "startTime=%s endTime=%s\n",
	       b->meta.block_id, b->meta.tenant, b->flush, b->replica, (unsigned)b->meta.level,
	       (long long)b->meta.total_objects, (unsigned long long)b->spans,
	       (unsigned long long)b->meta.size, start, end);
	fflush(stdout);
	return TC_OK;
}

int tc_cmd_gen(int argc, char **argv)
{
	gen_flags fl = { 0 };
	const tc_arg_spec specs[] = {
		{ "path", 1, &fl.path, "root of the local bucket to write into (created if missing)" },
		{ "config", 1, &fl.config, "write into the backend of this config instead (storage.trace.*)" },
		{ "tenant", 1, &fl.tenant, "tenant ID" },
		{ "flushes", 1, &fl.flushes, "rounds of ingester flushes (2)" },
		{ "replicas", 1, &fl.replicas, "identical blocks per flush, as replication factor (2)" },
		{ "traces", 1, &fl.traces, "traces per flush, continued ones included (200)" },
		{ "spans", 1, &fl.spans, "mean new spans per trace and flush, varied 1..2x (20)" },
		{ "continue", 1, &fl.cont, "share of a flush's traces continued in the next (0.2)" },
		{ "age", 1, &fl.age, "how long ago the first flush ended (2h)" },
		{ "flush-interval", 1, &fl.interval, "time between flushes (5m)" },
		{ "seed", 1, &fl.seed, "seed; the same flags write the same blocks (1)" },
		{ "encoding", 1, &fl.encoding, "page compression (zstd)" },
		{ "data-encoding", 1, &fl.data_encoding, "object body format, v2 or v1 (v2)" },
		{ "level", 1, &fl.level, "compaction level written into the metas (0)" },
		{ "big-trace-bytes", 1, &fl.big, "one more trace of ~N bytes (K/M/G) over all flushes (0)" },
		{ "now", 1, &fl.now, "reference time instead of the clock, for reproducible output" },
	};
	tc_synth_opts o;
	tc_config cfg;
	tc_backend *be = NULL;
	uint8_t big[TC_ID_LEN];
	char hex[2 * TC_ID_LEN + 1];
	size_t npos;
	uint64_t t0 = tc_mono_ns();
	int rc = tc_args_parse(specs, sizeof(specs) / sizeof(specs[0]), argc, argv, NULL, 0, &npos,
			       USAGE);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if ((!fl.path && !fl.config) || !fl.tenant) {
		fprintf(stderr, "gen: --tenant and --path or --config are required\nusage: %s\n", USAGE);
		return 2;
	}
	tc_synth_opts_default(&o);
	o.now = tc_time_from_unix(o.now.sec, 0); /* whole seconds, like the metas Tempo writes */
	if ((rc = apply_flags(&o, &fl)) < 0 || (rc = tc_synth_opts_check(&o)) < 0) {
		fprintf(stderr, "gen: %s\n", tc_error_last());
		return 2;
	}
	memset(&cfg, 0, sizeof(cfg));
	if ((rc = tc_cli_open_bucket(&be, &cfg, fl.path, fl.config, 1)) == TC_OK)
		rc = tc_synth_generate(be, &o, print_block, NULL);
	tc_config_dispose(&cfg);
	if (rc < 0) {
		fprintf(stderr, "gen: %s\n", tc_error_last());
		tc_backend_free(be);
		return rc == TC_EINVALID ? 2 : 1;
	}
	if (o.big_trace_bytes) {
		tc_synth_big_trace_id(big, &o);
		tc_hex_encode(hex, big, TC_ID_LEN);
		printf("bigTrace=%s bytes=%llu\n", hex, (unsigned long long)o.big_trace_bytes);
	}
	printf("generated tenant=%s blocks=%u duration=%.3fs\n", o.tenant, o.flushes * o.replicas,
	       (double)(tc_mono_ns() - t0) / 1e9);
	tc_backend_free(be);
	return 0;
}
