/* tracecompactor compact: one-shot compaction of a tenant of a local bucket. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/args.h"
#include "src/cli/cli_backend.h"
#include "src/cli/commands.h"
#include "src/compactor/blocklist.h"
#include "src/compactor/compact.h"
#include "src/compactor/selector.h"
#include "src/config/config.h"
#include "src/config/overrides.h"
#include "src/util/log.h"

static const char USAGE[] = "tracecompactor compact (--path ROOT | --config FILE) --tenant T [--blocks ID,ID,...]";

/* The service's settings for this tenant, the overrides file included. */
static int compact_opts(tc_compact_opts *o, const tc_config *c, const char *tenant)
{
	tc_overrides *ov;
	int rc;

	memset(o, 0, sizeof(*o));
	o->block = c->storage.block;
	o->chunk_size_bytes = c->compactor.compaction.chunk_size_bytes;
	o->flush_size_bytes = c->compactor.compaction.flush_size_bytes;
	if ((rc = tc_overrides_new(&ov, c)) < 0)
		return rc;
	o->max_bytes_per_trace = tc_overrides_max_bytes_per_trace(ov, tenant);
	tc_overrides_free(ov);
	return TC_OK;
}

static void print_result(const tc_compact_result *r, const tc_meta *const *in, size_t n)
{
	printf("compacted tenant=%s inputs=", r->output.tenant);
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? "," : "", in[i]->block_id);
	printf(" output=%s level=%u objects_in=%lld objects=%lld combined=%llu spans_deduped=%llu "
	       "spans_discarded=%llu pages=%u bytes=%llu duration=%.3fs\n",
	       r->output.block_id, (unsigned)r->output.level, (long long)r->objects_in,
	       (long long)r->output.total_objects, (unsigned long long)r->stats.objects_combined,
	       (unsigned long long)r->stats.spans_deduped, (unsigned long long)r->stats.spans_discarded,
	       r->output.total_records, (unsigned long long)r->output.size, (double)r->duration_ns / 1e9);
	fflush(stdout);
}

static int run_one(tc_backend *be, const tc_meta *const *in, size_t n, const tc_compact_opts *o)
{
	tc_compact_result r;
	int rc = tc_compact_blocks(&r, be, in, n, o);

	if (rc < 0) {
		if (r.failed_input >= 0)
			fprintf(stderr, "compact: input block %s failed: %s\n", in[r.failed_input]->block_id,
				tc_error_last());
		else
			fprintf(stderr, "compact: %s\n", tc_error_last());
		return rc;
	}
	print_result(&r, in, n);
	return TC_OK;
}

/* The blocks named on the command line, which must all be live. */
static int compact_named(tc_backend *be, const char *tenant, const char *list, const tc_compact_opts *o)
{
	tc_strlist ids = TC_STRLIST_INIT;
	tc_meta *metas = NULL;
	const tc_meta **ptrs = NULL;
	int rc = tc_strlist_split(&ids, list, ',');

	if (rc < 0 || ids.n < 1) {
		fprintf(stderr, "compact: --blocks needs at least one block ID\n");
		rc = TC_EINVALID;
		goto cleanup;
	}
	metas = calloc(ids.n, sizeof(*metas));
	ptrs = calloc(ids.n, sizeof(*ptrs));
	if (!metas || !ptrs) {
		rc = TC_ERROR;
		goto cleanup;
	}
	for (size_t i = 0; i < ids.n; i++) {
		if (!tc_uuid_is_valid(ids.items[i])) {
			fprintf(stderr, "compact: \"%s\" is not a block ID\n", ids.items[i]);
			rc = TC_EINVALID;
			goto cleanup;
		}
		rc = tc_blocklist_read_meta(&metas[i], be, tenant, ids.items[i]);
		if (rc == TC_OK && metas[i].compacted) {
			tc_error_set("block %s/%s is already compacted", tenant, ids.items[i]);
			rc = TC_EINVALID;
		}
		if (rc < 0) {
			fprintf(stderr, "compact: %s\n", tc_error_last());
			goto cleanup;
		}
		ptrs[i] = &metas[i];
	}
	rc = run_one(be, ptrs, ids.n, o);
cleanup:
	free(metas);
	free(ptrs);
	tc_strlist_dispose(&ids);
	return rc;
}

/* Runs the selector on a fresh listing until it finds nothing. */
static int compact_selected(tc_backend *be, const char *tenant, const tc_config *c, const tc_compact_opts *o,
			    int *jobs)
{
	tc_selector_opts so = { c->compactor.compaction.compaction_window_ns,
				c->compactor.compaction.max_compaction_objects,
				c->compactor.compaction.max_block_bytes, tc_time_now() };

	for (;;) {
		tc_blocklist bl;
		tc_selector *sel = NULL;
		const tc_meta **group;
		size_t n;
		char hash[TC_SELECTOR_HASH_MAX];
		int rc;

		if ((rc = tc_blocklist_read_tenant(&bl, be, tenant)) < 0) {
			fprintf(stderr, "compact: %s\n", tc_error_last());
			return rc;
		}
		tc_blocklist_drop_quarantined(&bl); /* as the service: set aside until unquarantined */
		so.now = tc_time_now();
		int found = 0;
		rc = tc_selector_new(&sel, bl.live, bl.n_live, &so);
		if (rc == TC_OK) {
			found = tc_selector_next(&group, &n, hash, sel) == 1;
			if (found)
				rc = run_one(be, group, n, o);
		} else {
			fprintf(stderr, "compact: %s\n", tc_error_last());
		}
		tc_selector_free(sel);
		tc_blocklist_dispose(&bl);
		if (rc < 0 || !found)
			return rc;
		++*jobs;
	}
}

int tc_cmd_compact(int argc, char **argv)
{
	const char *path = NULL, *tenant = NULL, *blocks = NULL, *config = NULL, *pos[1];
	const tc_arg_spec specs[] = {
		{ "path", 1, &path, "root of a local bucket (else the config's backend)" },
		{ "tenant", 1, &tenant, "tenant ID" },
		{ "blocks", 1, &blocks, "comma-separated live block IDs to compact together" },
		{ "config", 1, &config, "YAML config (compaction and block settings)" },
	};
	tc_config cfg;
	tc_compact_opts o;
	tc_backend *be = NULL;
	size_t npos;
	int rc, jobs = 0;

	rc = tc_args_parse(specs, 4, argc, argv, pos, 0, &npos, USAGE);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if ((!path && !config) || !tenant) {
		fprintf(stderr, "compact: --tenant and --path or --config are required\nusage: %s\n", USAGE);
		return 2;
	}
	if (tc_tenant_validate(tenant) < 0) {
		fprintf(stderr, "compact: %s\n", tc_error_last());
		return 2;
	}
	memset(&cfg, 0, sizeof(cfg));
	if ((rc = tc_cli_open_bucket(&be, &cfg, path, config, 0)) < 0) {
		fprintf(stderr, "compact: %s\n", tc_error_last());
		tc_config_dispose(&cfg);
		return rc == TC_EINVALID ? 2 : 1;
	}
	if ((rc = compact_opts(&o, &cfg, tenant)) < 0) {
		fprintf(stderr, "compact: %s\n", tc_error_last());
		tc_backend_free(be);
		tc_config_dispose(&cfg);
		return 1;
	}
	if (blocks)
		rc = compact_named(be, tenant, blocks, &o);
	else
		rc = compact_selected(be, tenant, &cfg, &o, &jobs);
	if (rc == TC_OK && !blocks && jobs == 0)
		printf("nothing to compact for tenant=%s\n", tenant);
	tc_backend_free(be);
	tc_config_dispose(&cfg);
	return rc < 0 ? 1 : 0;
}
