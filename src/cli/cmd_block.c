/* tracecompactor block unquarantine --path ROOT --tenant T ID */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "src/compactor/blocklist.h"

static const char USAGE[] = "tracecompactor block unquarantine --path ROOT --tenant T BLOCK_ID";

int tc_cmd_block(int argc, char **argv)
{
	const char *path = NULL, *tenant = NULL, *pos[2];
	const tc_arg_spec specs[] = {
		{ "path", 1, &path, "root of the local bucket" },
		{ "tenant", 1, &tenant, "tenant ID" },
	};
	tc_backend *be = NULL;
	size_t npos;
	int rc = tc_args_parse(specs, 2, argc, argv, pos, 2, &npos, USAGE);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (npos != 2 || strcmp(pos[0], "unquarantine") != 0 || !path || !tenant) {
		fprintf(stderr, "usage: %s\n", USAGE);
		return 2;
	}
	if ((rc = tc_backend_local_new(&be, path)) == TC_OK)
		rc = tc_blocklist_unquarantine(be, tenant, pos[1]);
	tc_backend_free(be);
	if (rc < 0) {
		fprintf(stderr, "block unquarantine: %s\n", tc_error_last());
		return rc == TC_EINVALID ? 2 : 1;
	}
	printf("unquarantined tenant=%s block=%s\n", tenant, pos[1]);
	return 0;
}
