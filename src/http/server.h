/*
 * The HTTP endpoints (libmicrohttpd, its own thread pool):
 *   GET /                         the bucket page (HTML), from page_html
 *   GET /metrics                  Prometheus text
 *   GET /ready                    200 "ready" once ready() says so, else 503
 *   GET /status/blocklist?tenant= JSON of the tenant's live and compacted blocks
 *   GET /config                   effective config as YAML, secrets redacted
 *   GET /compactor/ring           the ring as HTML, or JSON with Accept: application/json
 *   POST /compactor/ring          form field forget=<instance ID>: forget it, 303 back to the page
 * Content comes from callbacks so the server knows nothing of the service.
 * A thread per connection, so a slow request never delays another; the
 * limits below keep slow or idle clients from taking every thread
 * (README "Security and robustness").
 */
#ifndef TC_HTTP_SERVER_H
#define TC_HTTP_SERVER_H

#include <stdint.h>

#include "src/util/buf.h"
#include "src/metrics/metrics.h"

/* The query arguments of the request being answered (valid during the callback only). */
typedef struct tc_http_args tc_http_args;

/*
 * The argument's value, or NULL when absent. TC_EINVALID (with a message)
 * for a value holding a NUL byte (%00), which would otherwise cut it short.
 */
int tc_http_arg(const char **out, const tc_http_args *args, const char *name);

typedef struct tc_http_handlers {
	void *ctx;
	int (*ready)(void *ctx); /* non-zero when ready */
	/*
	 * Appends the blocklist JSON for tenant; TC_ENOTFOUND -> 404,
	 * TC_EINVALID -> 400 (bad tenant name); message from tc_error_last().
	 */
	int (*blocklist_json)(tc_buf *out, void *ctx, const char *tenant);
	int (*config_yaml)(tc_buf *out, void *ctx);
	/*
	 * GET / (NULL: no route): appends the bucket page. TC_ENOTFOUND -> 404,
	 * TC_EINVALID -> 400 (a bad query argument), message from tc_error_last().
	 */
	int (*page_html)(tc_buf *out, void *ctx, const tc_http_args *args);
	tc_metrics *metrics;
	/*
	 * The ring page (both or neither; NULL: no route). ring_status appends
	 * the page, JSON when json is set; ring_forget removes an instance.
	 * TC_ENOTFOUND -> 404 (e.g. no ring configured), TC_EINVALID -> 400,
	 * with the message from tc_error_last().
	 */
	int (*ring_status)(tc_buf *out, void *ctx, int json);
	int (*ring_forget)(void *ctx, const char *instance_id);
} tc_http_handlers;

/* The server section's limits (config keys server.*); 0 turns a timeout off. */
typedef struct tc_http_options {
	/*
	 * The whole request, header and body, must arrive within this long of
	 * the connection being ready for it: its accept, or on a kept-alive
	 * connection the end of the previous response.
	 */
	int64_t read_timeout_ns;
	/* The handler's work and the response must be done within this long of the complete request. */
	int64_t write_timeout_ns;
	/* A connection with no traffic either way for this long is closed (whole seconds). */
	int64_t idle_timeout_ns;
	/*
	 * Connections at once; a new one beyond it closes the one that has
	 * waited longest for its request (0: TC_HTTP_CONN_LIMIT).
	 */
	unsigned conn_limit;
	unsigned conn_limit_per_ip; /* connections from one address; 0: no limit */
} tc_http_options;

#define TC_HTTP_CONN_LIMIT 512

typedef struct tc_http tc_http;

/*
 * Binds and starts serving; port 0 picks a free port (see tc_http_port).
 * opt NULL: the config's defaults (30s, 30s, 2m, 512, 32).
 */
int tc_http_start(tc_http **out, const char *address, uint16_t port, const tc_http_handlers *h,
		  const tc_http_options *opt);
uint16_t tc_http_port(const tc_http *s);
void tc_http_stop(tc_http *s);

#endif
