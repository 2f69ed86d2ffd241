/*
 * tracecompactor inspect BLOCK_DIR: reads a block the way the compactor
 * does, plus a full walk of every body, a bloom test of every ID and the
 * index length (tc_block_verify).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/args.h"
#include "src/cli/commands.h"
#include "encoding/block_verify.h"
#include "src/compactor/blocklist.h"
#include "src/config/config.h"
#include "src/config/overrides.h"

static const char USAGE[] = "tracecompactor inspect [--ids] [--config FILE] BLOCK_DIR";

static int print_id(void *ctx, const tc_object *o)
{
	char hex[2 * TC_ID_LEN + 1];

	(void)ctx;
	tc_hex_encode(hex, o->id, o->id_len);
	printf("id=%s\n", hex);
	return TC_OK;
}

/*
 * The pages' caps: the config's limits (defaults without one) and the
 * tenant's max_bytes_per_trace, overrides file included.
 */
static int page_limits(tc_page_limits *out, const char *config, const char *tenant)
{
	tc_config cfg;
	tc_overrides *ov = NULL;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	if ((rc = config ? tc_config_load_file(&cfg, config) : tc_config_default(&cfg)) == TC_OK &&
	    (rc = tc_overrides_new(&ov, &cfg)) == TC_OK)
		tc_page_limits_from(out, &cfg.storage.block, tc_overrides_max_bytes_per_trace(ov, tenant));
	tc_overrides_free(ov);
	tc_config_dispose(&cfg);
	return rc;
}

static int inspect(tc_backend *be, const char *tenant, const char *block, int print_ids,
		   const tc_page_limits *limits)
{
	tc_block_read_opts ro = { 0, limits, 0 };
	tc_meta m;
	tc_block_verify_stats st;
	char start[TC_TIME_STR_MAX], end[TC_TIME_STR_MAX];
	int rc;

	if ((rc = tc_blocklist_read_meta(&m, be, tenant, block)) < 0 ||
	    (rc = tc_block_verify(&st, be, &m, &ro, print_ids ? print_id : NULL, NULL)) < 0)
		return rc;
	tc_time_format(start, &m.start);
	tc_time_format(end, &m.end);
	printf("block=%s tenant=%s state=%s format=%s encoding=%s dataEncoding=%s level=%u\n", m.block_id,
	       m.tenant, m.compacted ? "compacted" : "live", m.format, tc_encoding_name(m.encoding),
	       m.data_encoding, (unsigned)m.level);
	printf("objects=%lld spans=%llu pages=%llu size=%llu indexPageSize=%u bloomShards=%u\n",
	       (long long)m.total_objects, (unsigned long long)st.spans, (unsigned long long)st.pages,
	       (unsigned long long)m.size, m.index_page_size, (unsigned)st.bloom_shards);
	printf("startTime=%s endTime=%s\nok\n", start, end);
	return TC_OK;
}

int tc_cmd_inspect(int argc, char **argv)
{
	const char *pos[1], *ids = NULL, *config = NULL;
	const tc_arg_spec specs[] = {
		{ "ids", 0, &ids, "also print every trace ID" },
		{ "config", 1, &config, "read pages within this config's caps (storage.trace.block.*, overrides)" },
	};
	tc_page_limits limits;
	char path[PATH_MAX], blockdir[PATH_MAX], tenantdir[PATH_MAX], root[PATH_MAX];
	char block[PATH_MAX], tenant[PATH_MAX];
	tc_backend *be = NULL;
	size_t npos;
	int rc = tc_args_parse(specs, 2, argc, argv, pos, 1, &npos, USAGE);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (npos != 1) {
		fprintf(stderr, "usage: %s\n", USAGE);
		return 2;
	}
	if (!realpath(pos[0], path)) {
		if (errno == ENOENT)
			fprintf(stderr, "inspect: path \"%s\" does not exist\n", pos[0]);
		else
			fprintf(stderr, "inspect: %s: %s\n", pos[0], strerror(errno));
		return 1;
	}
	snprintf(blockdir, sizeof(blockdir), "%s", path);
	snprintf(block, sizeof(block), "%s", basename(blockdir));
	snprintf(blockdir, sizeof(blockdir), "%s", path);
	snprintf(tenantdir, sizeof(tenantdir), "%s", dirname(blockdir));
	snprintf(root, sizeof(root), "%s", tenantdir);
	snprintf(tenant, sizeof(tenant), "%s", basename(root));
	snprintf(root, sizeof(root), "%s", dirname(tenantdir));
	if (!tc_uuid_is_valid(block) || tc_tenant_validate(tenant) < 0) {
		fprintf(stderr, "inspect: %s is not a <tenant>/<block-uuid> directory\n", pos[0]);
		return 2;
	}
	if ((rc = page_limits(&limits, config, tenant)) == TC_OK &&
	    (rc = tc_backend_local_new(&be, root)) == TC_OK)
		rc = inspect(be, tenant, block, ids != NULL, &limits);
	if (rc < 0)
		fprintf(stderr, "inspect: %s\n", tc_error_last());
	tc_backend_free(be);
	return rc < 0 ? 1 : 0;
}
