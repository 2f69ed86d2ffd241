#include "open.h"

#include <string.h>

int tc_backend_open(tc_backend **out, const tc_config *cfg)
{
	const char *name = cfg->storage.backend ? cfg->storage.backend : "local";

	*out = NULL;
	if (!strcmp(name, "local")) {
		if (!cfg->storage.local_path) {
			tc_error_set("storage.trace.local.path is required for the local backend");
			return TC_EINVALID;
		}
		return tc_backend_local_new(out, cfg->storage.local_path);
	}
	tc_error_set("storage.trace.backend: unsupported backend \"%s\" (supported: local)", name);
	return TC_EUNSUPPORTED;
}
