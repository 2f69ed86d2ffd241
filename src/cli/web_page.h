/* The bucket page for GET / of serve and web: the service's status rendered for the request. */
#ifndef TC_CLI_WEB_PAGE_H
#define TC_CLI_WEB_PAGE_H

#include "src/compactor/service.h"
#include "src/http/server.h"
#include "src/util/buf.h"

/* The page_html handler's work (server.h): tenant, level, from, to, compacted from args. */
int tc_cli_web_page(tc_buf *out, tc_service *svc, const tc_http_args *args);

#endif
