/* Creates the backend a config names (storage.trace.backend). */
#ifndef TC_CLI_BACKEND_OPEN_H
#define TC_CLI_BACKEND_OPEN_H

#include "src/config/config.h"
#include "src/metrics/metrics.h"
#include "src/backend/backend.h"

/*
 * metrics (may be NULL) receives the request durations and retries of every
 * backend: S3, Azure and GCS observe their HTTP requests, the local backend is
 * wrapped in tc_backend_instrumented_new. A local path that does not exist is TC_ENOTFOUND unless
 * storage.trace.local.create is set. Errors in the config's storage keys
 * are TC_EINVALID or TC_EUNSUPPORTED; anything else is the storage's.
 */
int tc_cli_backend_open(tc_backend **out, const tc_config *cfg, tc_metrics *metrics);
/*
 * The storage keys' checks of tc_cli_backend_open without opening anything
 * (-config.verify): TC_EINVALID for a missing or inconsistent key,
 * TC_EUNSUPPORTED for what we do not do (Azure's managed identities).
 */
int tc_cli_backend_check(const tc_config *cfg);

#endif
