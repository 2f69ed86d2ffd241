/*
 * tracecompactor block list (--path ROOT | --config FILE) --tenant T
 * tracecompactor block unquarantine (--path ROOT | --config FILE) --tenant T ID
 */
#include <stdio.h>
#include <string.h>

#include "src/cli/args.h"
#include "src/cli/cli_backend.h"
#include "src/cli/commands.h"
#include "src/compactor/blocklist.h"

static const char USAGE[] = "tracecompactor block list|unquarantine (--path ROOT | --config FILE) --tenant T [BLOCK_ID]";

static void print_meta(const char *state, const tc_meta *m)
{
	char start[TC_TIME_STR_MAX], end[TC_TIME_STR_MAX];

	tc_time_format(start, &m->start);
	tc_time_format(end, &m->end);
	printf("%s %s level=%u objects=%lld size=%llu start=%s end=%s\n", state, m->block_id, (unsigned)m->level,
	       (long long)m->total_objects, (unsigned long long)m->size, start, end);
}

static int list(tc_backend *be, const char *tenant)
{
	tc_blocklist bl;
	int rc = tc_blocklist_read_tenant(&bl, be, tenant);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < bl.n_live; i++)
		print_meta(tc_blocklist_is_quarantined(&bl, bl.live[i].block_id) ? "quarantined" : "live", &bl.live[i]);
	for (size_t i = 0; i < bl.n_compacted; i++)
		print_meta("compacted", &bl.compacted[i]);
	for (size_t i = 0; i < bl.partial.n; i++)
		printf("partial %s\n", bl.partial.items[i]);
	tc_blocklist_dispose(&bl);
	return TC_OK;
}

int tc_cmd_block(int argc, char **argv)
{
	const char *path = NULL, *tenant = NULL, *config = NULL, *pos[2];
	const tc_arg_spec specs[] = {
		{ "path", 1, &path, "root of a local bucket" },
		{ "config", 1, &config, "use the backend of this config (storage.trace.*)" },
		{ "tenant", 1, &tenant, "tenant ID" },
	};
	tc_backend *be = NULL;
	tc_config cfg;
	size_t npos;
	int rc = tc_args_parse(specs, 3, argc, argv, pos, 2, &npos, USAGE), is_list;

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	is_list = npos == 1 && !strcmp(pos[0], "list");
	if (!(is_list || (npos == 2 && !strcmp(pos[0], "unquarantine"))) || (!path && !config) || !tenant) {
		fprintf(stderr, "usage: %s\n", USAGE);
		return 2;
	}
	memset(&cfg, 0, sizeof(cfg));
	if ((rc = tc_cli_open_bucket(&be, &cfg, path, config, 0)) == TC_OK)
		rc = is_list ? list(be, tenant) : tc_blocklist_unquarantine(be, tenant, pos[1]);
	tc_backend_free(be);
	tc_config_dispose(&cfg);
	if (rc < 0) {
		fprintf(stderr, "block %s: %s\n", pos[0], tc_error_last());
		return rc == TC_EINVALID ? 2 : 1;
	}
	if (!is_list)
		printf("unquarantined tenant=%s block=%s\n", tenant, pos[1]);
	return 0;
}
