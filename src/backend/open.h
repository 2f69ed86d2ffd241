/* Creates the backend a config names (storage.trace.backend). */
#ifndef TC_BACKEND_OPEN_H
#define TC_BACKEND_OPEN_H

#include "../config/config.h"
#include "backend.h"

int tc_backend_open(tc_backend **out, const tc_config *cfg);

#endif
