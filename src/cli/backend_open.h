/* Creates the backend a config names (storage.trace.backend). */
#ifndef TC_CLI_BACKEND_OPEN_H
#define TC_CLI_BACKEND_OPEN_H

#include "src/config/config.h"
#include "src/metrics/metrics.h"
#include "src/backend/backend.h"

/* metrics (may be NULL) receives the request durations and retries of remote backends. */
int tc_cli_backend_open(tc_backend **out, const tc_config *cfg, tc_metrics *metrics);

#endif
