#include "src/cli/cli_backend.h"

#include "src/cli/backend_open.h"

int tc_cli_open_bucket(tc_backend **out, tc_config *cfg, const char *path, const char *config,
		       int create)
{
	int rc;

	*out = NULL;
	rc = config ? tc_config_load_file(cfg, config) : tc_config_default(cfg);
	if (rc < 0)
		return rc;
	if (path)
		return create ? tc_backend_local_create(out, path)
			      : tc_backend_local_new(out, path);
	if (!config) {
		tc_error_set("--path ROOT or --config FILE is required");
		return TC_EINVALID;
	}
	if (create)
		cfg->storage.local_create = 1;
	return tc_cli_backend_open(out, cfg, NULL);
}
