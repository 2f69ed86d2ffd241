/*
 * tracecompactor web (--path ROOT | --config FILE) [--listen ADDR] [--poll D]:
 * the bucket page for a bucket no service is running on, like
 * `thanos tools bucket web`. A read-only service polls the bucket into its
 * store (tc_service_set_read_only: it never compacts, marks, cleans or
 * writes a tenant index) and the same page is served at /, with /metrics,
 * /ready, /status/blocklist and /config as the service has them.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/args.h"
#include "src/cli/cli_backend.h"
#include "src/cli/commands.h"
#include "src/cli/web_page.h"
#include "src/compactor/service.h"
#include "src/config/overrides.h"
#include "src/http/server.h"
#include "src/util/log.h"
#include "src/util/utf8.h"

#define DEFAULT_LISTEN "127.0.0.1:3201"

static const char USAGE[] =
	"tracecompactor web (--path ROOT | --config FILE) [--listen ADDR] [--poll DURATION]";

typedef struct web {
	tc_config cfg;
	tc_backend *be;
	tc_metrics *metrics;
	tc_overrides *ov;
	tc_service *svc;
	tc_http *http;
} web;

static int h_ready(void *ctx) { return tc_service_ready(((web *)ctx)->svc); }
static int h_blocklist(tc_buf *out, void *ctx, const char *tenant)
{
	return tc_service_blocklist_json(out, ((web *)ctx)->svc, tenant);
}
static int h_config(tc_buf *out, void *ctx) { return tc_config_write_yaml(out, &((web *)ctx)->cfg, 1); }
static int h_page(tc_buf *out, void *ctx, const tc_http_args *args)
{
	return tc_cli_web_page(out, ((web *)ctx)->svc, args);
}

/* "HOST:PORT", "[V6]:PORT" or ":PORT" (every interface). */
static int parse_listen(char *host, size_t hostsz, uint16_t *port, const char *addr)
{
	const char *colon = strrchr(addr, ':');
	char *end;
	long p;

	if (!colon || (size_t)(colon - addr) >= hostsz)
		goto bad;
	p = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || p < 0 || p > 65535)
		goto bad;
	if (colon == addr)
		snprintf(host, hostsz, "0.0.0.0");
	else
		snprintf(host, hostsz, "%.*s", (int)(colon - addr), addr);
	*port = (uint16_t)p;
	return TC_OK;
bad:
	tc_error_set("--listen: \"%s\" is not HOST:PORT", tc_utf8_printable(addr, 128));
	return TC_EINVALID;
}

static int start(web *w, const char *path, const char *config, const char *listen, const char *poll)
{
	tc_http_handlers h = { .ctx = w, .ready = h_ready, .blocklist_json = h_blocklist,
			       .config_yaml = h_config, .page_html = h_page };
	char host[128];
	uint16_t port;
	int rc;

	if ((rc = parse_listen(host, sizeof(host), &port, listen)) < 0 ||
	    (rc = tc_cli_open_bucket(&w->be, &w->cfg, path, config, 0)) < 0)
		return rc;
	if (poll && (rc = tc_duration_parse(&w->cfg.storage.blocklist_poll_ns, poll)) < 0)
		return rc;
	if (w->cfg.storage.blocklist_poll_ns <= 0) {
		tc_error_set("--poll must be positive");
		return TC_EINVALID;
	}
	/* The overrides give each tenant's retention horizon on the page. */
	if ((rc = tc_metrics_new(&w->metrics)) < 0 || (rc = tc_overrides_new(&w->ov, &w->cfg)) < 0 ||
	    (rc = tc_service_new(&w->svc, &w->cfg, w->be, w->ov, w->metrics)) < 0)
		return rc;
	tc_service_set_read_only(w->svc);
	/* The first poll before the port opens: the first page shows the bucket. */
	if ((rc = tc_service_start(w->svc)) < 0)
		return rc;
	h.metrics = w->metrics;
	if ((rc = tc_http_start(&w->http, host, port, &h, NULL)) < 0)
		return rc;
	tc_log_info("msg=\"http server listening\" address=%s port=%u", tc_log_q(host), (unsigned)tc_http_port(w->http));
	return TC_OK;
}

int tc_cmd_web(int argc, char **argv)
{
	const char *path = NULL, *config = NULL, *listen = DEFAULT_LISTEN, *poll = NULL, *pos[1];
	const tc_arg_spec specs[] = {
		{ "path", 1, &path, "root of a local bucket" },
		{ "config", 1, &config, "use the backend and overrides of this config" },
		{ "listen", 1, &listen, "HOST:PORT to serve the page on (default " DEFAULT_LISTEN "; port 0: any)" },
		{ "poll", 1, &poll, "how often to re-read the bucket (default storage.trace.blocklist_poll)" },
	};
	web w;
	sigset_t set;
	size_t npos;
	int rc = tc_args_parse(specs, 4, argc, argv, pos, 0, &npos, USAGE), sig;

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (!path && !config) {
		fprintf(stderr, "usage: %s\n", USAGE);
		return 2;
	}
	memset(&w, 0, sizeof(w));
	/* Blocked before any thread starts, so every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = start(&w, path, config, listen, poll);
	if (rc < 0) {
		fprintf(stderr, "web: %s\n", tc_error_last());
	} else {
		while (sigwait(&set, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
			;
		tc_log_info("msg=\"shutting down\" signal=%s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	}
	tc_http_stop(w.http);
	if (w.svc)
		tc_service_stop(w.svc, w.cfg.server.graceful_shutdown_timeout_ns);
	tc_service_free(w.svc);
	tc_overrides_free(w.ov);
	tc_metrics_free(w.metrics);
	tc_backend_free(w.be);
	tc_config_dispose(&w.cfg);
	if (rc < 0)
		return rc == TC_EINVALID || rc == TC_EUNSUPPORTED ? 2 : 1;
	return 0;
}
