/* The bucket a command works on: --path ROOT (local) or the backend of --config FILE. */
#ifndef TC_CLI_BACKEND_H
#define TC_CLI_BACKEND_H

#include "src/backend/backend.h"
#include "src/config/config.h"

/*
 * Loads cfg (defaults, or FILE) and opens the bucket: the local backend at
 * path when path is given, else storage.trace.* of the config. Neither
 * given is TC_EINVALID. A local root that does not exist is TC_ENOTFOUND
 * ("path ... does not exist") unless create is set (gen, which sets up
 * demo buckets) or the config sets storage.trace.local.create. cfg must be
 * disposed by the caller either way.
 */
int tc_cli_open_bucket(tc_backend **out, tc_config *cfg, const char *path, const char *config,
		       int create);

#endif
