/* Creates the backend a config names (storage.trace.backend). */
#ifndef TC_BACKEND_OPEN_H
#define TC_BACKEND_OPEN_H

#include "../config/config.h"
#include "../http/metrics.h"
#include "backend.h"

/* metrics (may be NULL) receives the request durations and retries of remote backends. */
int tc_backend_open(tc_backend **out, const tc_config *cfg, tc_metrics *metrics);

#endif
