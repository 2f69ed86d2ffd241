/*
 * tracecompactor serve --config FILE (or Tempo's -config.file=FILE): the
 * long-running service. Signals are taken synchronously on this thread:
 * SIGTERM/SIGINT stop, SIGHUP reloads the overrides. With a compactor ring
 * the replica joins it before its first poll and leaves it after its jobs
 * have stopped (README "Running several replicas").
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/cli/commands.h"
#include "src/cli/backend_open.h"
#include "src/cli/ring_open.h"
#include "src/cli/web_page.h"
#include "src/compactor/service.h"
#include "src/config/overrides.h"
#include "src/http/server.h"
#include "src/util/log.h"
#include "src/util/utf8.h"
#include "tc_revision.h"

/*
 * tempo_build_info's labels. goversion names the C compiler instead: there is
 * no Go runtime, and the label is there so the tempo-mixin's queries match.
 */
#ifdef __clang__
#define TC_COMPILER __VERSION__
#else
#define TC_COMPILER "gcc " __VERSION__
#endif
static const char *const tempo_build_info[] = { TC_VERSION, TC_REVISION, TC_BRANCH, TC_COMPILER };

static const char USAGE[] =
	"usage: tracecompactor [serve] -config.file=FILE [-config.expand-env=true] [-config.verify]\n"
	"                      [-log.level=LEVEL] [-<config.key>=VALUE ...]\n"
	"  -config.file=FILE        the config: tracecompactor's, or the deployment's whole tempo.yaml\n"
	"                           (also --config FILE)\n"
	"  -config.expand-env=true  replace ${VAR} and ${VAR:-default} in the file from the environment\n"
	"                           first, as Tempo does ($$ is a literal $; docs/CONFIG.md)\n"
	"  -config.verify           check the config and its overrides file, print each problem with\n"
	"                           file:line, exit 0 if valid and 2 if not; starts nothing\n"
	"  -log.level=LEVEL         debug, info, warn or error (default: server.log_level); debug\n"
	"                           lists the Tempo keys the config has that are ignored\n"
	"  -<config.key>=VALUE      any config key, e.g. -storage.trace.local.path=/data\n"
	"Flags may come in any order.\n";

/*
 * SIGTERM/SIGINT while starting. The first poll runs on the main thread
 * before it waits for signals; a store that lists endlessly or does not
 * answer would hold it, and the signal, for as long as it likes. This
 * thread takes the signal meanwhile and cancels the backend, so the start
 * ends at once (TC_ECANCELED) and the process stops as after any signal.
 */
typedef struct start_watch {
	pthread_t th;
	int running;
	tc_backend *be;
	sigset_t set;   /* SIGTERM and SIGINT only: a SIGHUP stays pending for later */
	atomic_int done;
	atomic_int sig; /* the signal taken, or 0 */
} start_watch;

typedef struct app {
	tc_config cfg;
	tc_metrics *metrics;
	tc_backend *be;
	tc_overrides *ov;
	tc_service *svc;
	tc_http *http;
	tc_cli_ring ring;
	start_watch watch;
} app;

static void *watch_run(void *arg)
{
	start_watch *w = arg;

	while (!atomic_load(&w->done)) {
		struct timespec ts = { 0, 100000000L };
		int sig = sigtimedwait(&w->set, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT) {
			atomic_store(&w->sig, sig);
			tc_log_info("msg=\"shutting down while starting\" signal=%s",
				    sig == SIGTERM ? "SIGTERM" : "SIGINT");
			tc_backend_cancel(w->be);
			break;
		}
	}
	return NULL;
}

static void watch_start(start_watch *w, tc_backend *be)
{
	w->be = be;
	sigemptyset(&w->set);
	sigaddset(&w->set, SIGTERM);
	sigaddset(&w->set, SIGINT);
	atomic_store(&w->done, 0);
	atomic_store(&w->sig, 0);
	/* Without the watcher a start is only uninterruptible, as before: not fatal. */
	w->running = pthread_create(&w->th, NULL, watch_run, w) == 0;
}

/* Ends the watch; returns the signal it took while starting, or 0. */
static int watch_stop(start_watch *w)
{
	if (!w->running)
		return 0;
	atomic_store(&w->done, 1);
	pthread_join(w->th, NULL);
	w->running = 0;
	return atomic_load(&w->sig);
}

static int h_ready(void *ctx) { return tc_service_ready(((app *)ctx)->svc); }
static int h_blocklist(tc_buf *out, void *ctx, const char *tenant)
{
	return tc_service_blocklist_json(out, ((app *)ctx)->svc, tenant);
}
static int h_config(tc_buf *out, void *ctx) { return tc_config_write_yaml(out, &((app *)ctx)->cfg, 1); }
static int h_page(tc_buf *out, void *ctx, const tc_http_args *args)
{
	return tc_cli_web_page(out, ((app *)ctx)->svc, args);
}

static int no_ring(void)
{
	tc_error_set("no compactor ring: compactor.ring.kvstore.store is not set, so this replica "
		     "works alone and owns every job");
	return TC_ENOTFOUND;
}

static int h_ring_status(tc_buf *out, void *ctx, int json)
{
	app *a = ctx;
	return a->ring.ring ? tc_ring_status(out, a->ring.ring, json) : no_ring();
}

static int h_ring_forget(void *ctx, const char *instance_id)
{
	app *a = ctx;
	int rc;

	if (!a->ring.ring)
		return no_ring();
	if ((rc = tc_ring_forget(a->ring.ring, instance_id)) == TC_OK)
		tc_log_info("msg=\"forgot ring member on request\" instance_id=%s", tc_log_q(instance_id));
	return rc;
}

/*
 * A boolean flag in Go's spellings: -name, --name, -name=true|false (and
 * Go's other truth values). 1 if arg is this flag (*on set), 0 if it is
 * not, -1 (message printed) for a value Go would refuse.
 */
static int bool_flag(int *on, const char *arg, const char *name)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
	size_t n = strlen(name);
	const char *a = arg + (arg[1] == '-' ? 2 : 1);

	if (arg[0] != '-' || strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '='))
		return 0;
	if (a[n] == '\0') {
		*on = 1;
		return 1;
	}
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(a + n + 1, yes[i]) || !strcmp(a + n + 1, no[i])) {
			*on = !strcmp(a + n + 1, yes[i]);
			return 1;
		}
	}
	fprintf(stderr, "tracecompactor: -%s: want true or false, got \"%s\"\n", name,
		tc_utf8_printable(a + n + 1, 64));
	return -1;
}

/* Whether arg is one of the flags the first pass takes (file, expand-env, verify). */
static int first_pass_flag(const char *arg, int *expand_env, int *verify)
{
	int on, r;

	if ((r = bool_flag(&on, arg, "config.expand-env")) != 0) {
		if (r > 0)
			*expand_env = on;
		return r;
	}
	if ((r = bool_flag(&on, arg, "config.verify")) != 0) {
		if (r > 0)
			*verify = on;
		return r;
	}
	return 0;
}

/* Logs the Tempo keys the file had that we ignore, one debug line each. */
static void log_ignored(const tc_config *c)
{
	for (size_t i = 0; i < c->src.ignored_keys.n; i++)
		tc_log_debug("msg=\"Tempo config key accepted and ignored (not the compactor's)\" "
			     "key=%s at=%s", tc_log_q(c->src.ignored_keys.items[i]),
			     tc_log_q(c->src.ignored_at.items[i]));
}

/*
 * Loads the config file, then applies -key=value flags on top. *verify is
 * set by -config.verify; *file_out is the file's name (or NULL).
 */
static int parse_args(app *a, int argc, char **argv, int *verify, const char **file_out)
{
	const char *file = NULL, *level = NULL;
	int rc, expand_env = 0;

	*verify = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help") || !strcmp(arg, "-help")) {
			fputs(USAGE, stdout);
			return 1;
		}
		if ((rc = first_pass_flag(arg, &expand_env, verify)) != 0) {
			if (rc < 0)
				return -1;
			continue;
		}
		if (!strcmp(arg, "--config") || !strcmp(arg, "-config.file") || !strcmp(arg, "--config.file")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "tracecompactor: %s needs a file name\n%s", arg, USAGE);
				return -1;
			}
			file = argv[++i];
		} else if (!strncmp(arg, "-config.file=", 13) || !strncmp(arg, "--config.file=", 14)) {
			file = strchr(arg, '=') + 1;
		} else if (!strncmp(arg, "--config=", 9)) {
			file = arg + 9;
		}
	}
	if (!file && (expand_env || *verify)) {
		fprintf(stderr, "tracecompactor: %s needs -config.file=FILE\n%s",
			*verify ? "-config.verify" : "-config.expand-env", USAGE);
		return -1;
	}
	rc = file ? tc_config_load_file_ex(&a->cfg, file, expand_env ? TC_CONFIG_EXPAND_ENV : 0)
		  : tc_config_default(&a->cfg);
	if (rc < 0) {
		/* One problem a line, each with its file:line. */
		if (*verify)
			fprintf(stderr, "%s\n", tc_error_last());
		else
			fprintf(stderr, "tracecompactor: %s\n", tc_error_last());
		return -1;
	}
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq;
		char key[256];
		int ignored, ignored_too;
		if (!strcmp(arg, "--config") || !strcmp(arg, "-config.file") || !strcmp(arg, "--config.file")) {
			i++;
			continue;
		}
		if (first_pass_flag(arg, &ignored, &ignored_too) != 0)
			continue;
		if (strstr(arg, "config.file=") || !strncmp(arg, "--config=", 9))
			continue;
		if (arg[0] != '-' || !(eq = strchr(arg, '='))) {
			fprintf(stderr, "tracecompactor: unexpected argument \"%s\"\n%s",
				tc_utf8_printable(argv[i], 256), USAGE);
			return -1;
		}
		arg += arg[1] == '-' ? 2 : 1;
		eq = strchr(arg, '=');
		snprintf(key, sizeof(key), "%.*s", (int)(eq - arg), arg);
		if (!strcmp(key, "log.level")) {
			level = eq + 1;
			continue;
		}
		if (tc_config_set(&a->cfg, key, eq + 1) < 0) {
			fprintf(stderr, "tracecompactor: flag -%s: %s\n", tc_utf8_printable(key, 256),
				tc_error_last());
			return -1;
		}
	}
	if (!level)
		level = a->cfg.server.log_level ? a->cfg.server.log_level : "info";
	if (tc_log_level_parse(level) < 0) {
		fprintf(stderr, "tracecompactor: -log.level: unknown level \"%s\" (debug, info, warn, error)\n",
			tc_utf8_printable(level, 64));
		return -1;
	}
	tc_log_set_level(tc_log_level_parse(level));
	log_ignored(&a->cfg);
	*file_out = file;
	return 0;
}

/*
 * -config.verify: every check a start makes on the config, its storage keys
 * and its overrides file, without connecting or listening. Prints each
 * problem; 0 if there is none, 2 otherwise.
 */
static int verify(app *a, const char *file)
{
	tc_overrides *ov = NULL;
	int problems = 0;

	if (tc_config_validate(&a->cfg) < 0) {
		fprintf(stderr, "%s\n", tc_error_last());
		problems++;
	}
	if (tc_cli_backend_check(&a->cfg) < 0) {
		fprintf(stderr, "%s\n", tc_error_last());
		problems++;
	}
	if (tc_overrides_new(&ov, &a->cfg) < 0) {
		const char *at = tc_config_where(&a->cfg, "overrides.per_tenant_override_config");
		/* The overrides file's own lines when it has them; else the key that names it. */
		int flag = at && !strncmp(at, "flag ", 5);
		fprintf(stderr, "%s%s%s\n", at ? at : "",
			!at ? "" : flag ? ": " : ": overrides.per_tenant_override_config: ",
			tc_error_last());
		problems++;
	}
	tc_overrides_free(ov);
	if (problems)
		return 2;
	printf("%s: valid (%zu Tempo keys accepted and ignored)\n", tc_utf8_printable(file, 1024),
	       a->cfg.src.ignored_keys.n);
	return 0;
}

/*
 * Exit status of a start that failed: 2 when the configuration is at fault
 * (the storage or ring keys, the overrides file), 1 when the world is (port
 * in use, storage or etcd unreachable, bucket or local path missing).
 * README "Exit codes".
 */
static int start(app *a, int *status)
{
	tc_http_handlers h = { .ctx = a, .ready = h_ready, .blocklist_json = h_blocklist,
			       .config_yaml = h_config, .page_html = h_page, .ring_status = h_ring_status,
			       .ring_forget = h_ring_forget };
	tc_http_options hopt = { .read_timeout_ns = a->cfg.server.http_server_read_timeout_ns,
				 .write_timeout_ns = a->cfg.server.http_server_write_timeout_ns,
				 .idle_timeout_ns = a->cfg.server.http_server_idle_timeout_ns,
				 .conn_limit = a->cfg.server.http_listen_conn_limit,
				 .conn_limit_per_ip = a->cfg.server.http_listen_conn_limit_per_ip };
	int rc;

	*status = 2;
	if ((rc = tc_config_validate(&a->cfg)) < 0)
		return rc;
	*status = 1;
	if ((rc = tc_metrics_new(&a->metrics)) < 0)
		return rc;
	if ((rc = tc_cli_backend_open(&a->be, &a->cfg, a->metrics)) < 0) {
		if (rc == TC_EINVALID || rc == TC_EUNSUPPORTED)
			*status = 2;
		return rc;
	}
	watch_start(&a->watch, a->be);
	/* A file the config names, read and checked once here: its faults are the config's. */
	if ((rc = tc_overrides_new(&a->ov, &a->cfg)) < 0) {
		*status = 2;
		return rc;
	}
	/* The ring's keys, and an address left to the interfaces, are the config's to fix. */
	if ((rc = tc_cli_ring_open(&a->ring, &a->cfg, a->metrics)) < 0) {
		if (rc == TC_EINVALID || rc == TC_EUNSUPPORTED || rc == TC_ENOTFOUND)
			*status = 2;
		return rc;
	}
	if ((rc = tc_service_new(&a->svc, &a->cfg, a->be, a->ov, a->metrics)) < 0)
		return rc;
	tc_service_set_ring(a->svc, a->ring.ring);
	tc_metrics_set(a->metrics, TC_M_BUILD_INFO, 1, TC_VERSION, TC_REVISION);
	tc_metrics_setv(a->metrics, TC_M_BUILD_INFO_TEMPO, 1, tempo_build_info);
	h.metrics = a->metrics;
	if ((rc = tc_http_start(&a->http, a->cfg.server.http_listen_address, (uint16_t)a->cfg.server.http_listen_port,
				&h, &hopt)) < 0)
		return rc;
	tc_log_info("msg=\"http server listening\" address=%s port=%u",
		    tc_log_q(a->cfg.server.http_listen_address ? a->cfg.server.http_listen_address : "0.0.0.0"),
		    (unsigned)tc_http_port(a->http));
	/*
	 * Joined before the first poll, so that poll already builds only the
	 * tenant indexes this replica owns. A store that cannot be reached
	 * within its retries is the world's fault: exit 1.
	 */
	if ((rc = tc_cli_ring_start(&a->ring)) < 0)
		return rc;
	return tc_service_start(a->svc);
}

static void reload_overrides(app *a, const char *why)
{
	uint64_t gen = tc_overrides_generation(a->ov);
	if (tc_overrides_reload(a->ov) < 0) {
		tc_metrics_add(a->metrics, TC_M_OVERRIDES_RELOAD_ERRORS_TOTAL, 1, NULL, NULL);
		tc_log_error("msg=\"failed to reload overrides; keeping the last good ones\" trigger=%s err=%s", why,
			     tc_log_q(tc_error_last()));
	} else if (tc_overrides_generation(a->ov) != gen) {
		tc_log_debug("msg=\"overrides reloaded\" trigger=%s", why);
	}
}

/*
 * Waits for a stop signal, reloading the overrides every period and on
 * SIGHUP. Returns 0 on a signal, 1 when the service gave up (it never
 * became ACTIVE in the ring).
 */
static int wait_for_signals(app *a, const sigset_t *set)
{
	int64_t period = a->cfg.overrides.per_tenant_override_period_ns;
	uint64_t next = tc_mono_ns() + (uint64_t)period;

	for (;;) {
		struct timespec ts = { 1, 0 };
		int sig = sigtimedwait(set, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT) {
			tc_log_info("msg=\"shutting down\" signal=%s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			return 0;
		}
		if (tc_service_failed(a->svc)) {
			tc_log_error("msg=\"shutting down: this replica did not become ACTIVE in the ring within "
				     "compactor.ring.wait_active_instance_timeout\" exit=1");
			return 1;
		}
		if (sig == SIGHUP)
			reload_overrides(a, "SIGHUP");
		if (a->cfg.overrides.per_tenant_override_config && tc_mono_ns() >= next) {
			reload_overrides(a, "period");
			next = tc_mono_ns() + (uint64_t)period;
		}
	}
}

int tc_cmd_serve(int argc, char **argv)
{
	app a;
	sigset_t set;
	int rc, sig, status = 0, verify_only;
	const char *file = NULL;

	memset(&a, 0, sizeof(a));
	rc = parse_args(&a, argc, argv, &verify_only, &file);
	if (rc != 0 || verify_only) {
		if (rc == 0)
			rc = verify(&a, file);
		else
			rc = rc > 0 ? 0 : 2;
		tc_config_dispose(&a.cfg);
		return rc;
	}
	/* Blocked before any thread starts, so every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = start(&a, &status);
	sig = watch_stop(&a.watch);
	if (rc < 0 && !(sig && rc == TC_ECANCELED)) {
		tc_log_error("msg=\"startup failed\" exit=%d err=%s", status,
			     tc_log_q(tc_error_last()));
	} else if (sig && rc < 0) {
		/* the signal canceled the start: a stop like any other (exit 0) */
		rc = TC_OK;
		tc_log_info("msg=\"stopped\"");
	} else {
		int failed = sig ? 0 : wait_for_signals(&a, &set);

		tc_service_stop(a.svc, a.cfg.server.graceful_shutdown_timeout_ns);
		/* The ring page reads the ring: no request may be in flight when it goes. */
		tc_http_stop(a.http);
		a.http = NULL;
		/* Only once no job runs: a job's lock hangs on our lease, which leaving revokes. */
		tc_cli_ring_close(&a.ring);
		if (failed) {
			rc = TC_ERROR;
			status = 1;
		} else {
			tc_log_info("msg=\"stopped\"");
		}
	}
	tc_http_stop(a.http);
	tc_cli_ring_close(&a.ring);
	tc_service_free(a.svc);
	tc_overrides_free(a.ov);
	tc_backend_free(a.be);
	tc_metrics_free(a.metrics);
	tc_config_dispose(&a.cfg);
	return rc < 0 ? status : 0;
}
