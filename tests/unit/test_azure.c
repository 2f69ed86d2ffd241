/*
 * The Azure backend against Azurite (Microsoft's emulator, which the
 * "azurite" fixture starts): the conformance suite of tests/backend_suite.c,
 * then what only Azure has — data files in several Put Blocks, an aborted
 * stream's uncommitted blocks invisible, Azure's error codes for a wrong
 * key and a missing container, the URL rule, options, and the config path
 * (Tempo's keys, AZURE_STORAGE_ACCOUNT / AZURE_STORAGE_KEY). Retries of
 * 503 ServerBusy are checked against a fake server here (Azurite never
 * answers 503).
 *
 * The emulator comes from the environment: TC_AZURE_ENDPOINT
 * ("127.0.0.1:PORT", required), TC_AZURE_ACCOUNT and TC_AZURE_KEY (the
 * emulator's well-known account). Each test works in containers of its own.
 */
#include "tests/test.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tests/backend_suite.h"
#include "src/backend/azure.h"
#include "src/backend/backend.h"
#include "src/cli/backend_open.h"
#include "src/config/config.h"
#include "src/metrics/metrics.h"
#include "src/util/timeutil.h"

#define DEV_KEY "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
#define KIB ((size_t)1 << 10)

typedef struct fx {
	tc_backend *be;
	tc_metrics *m;
	char container[64];
	tc_suite_fx s;
} fx;

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

static const char *endpoint(void)
{
	return getenv("TC_AZURE_ENDPOINT");
}

static void container_name(char out[64])
{
	static atomic_int seq;
	snprintf(out, 64, "tc-%ld-%d-%d", (long)time(NULL) % 100000000, (int)getpid(),
		 atomic_fetch_add(&seq, 1));
}

static tc_azure_options opts(const char *container)
{
	tc_azure_options o;
	memset(&o, 0, sizeof(o));
	o.container = container;
	o.account = env_or("TC_AZURE_ACCOUNT", "devstoreaccount1");
	o.key = env_or("TC_AZURE_KEY", DEV_KEY);
	o.endpoint_suffix = endpoint();
	o.max_retries = 2;
	return o;
}

/* Last-Modified has one-second precision: let two seconds pass. */
static int wait_old(void *ctx, const char *key)
{
	(void)ctx;
	(void)key;
	sleep(2);
	return 1;
}

static int fx_new(fx *f, uint64_t buffer_size)
{
	tc_azure_options o;
	int err;

	memset(f, 0, sizeof(*f));
	if (!endpoint()) {
		tc_error_set("TC_AZURE_ENDPOINT is not set: the azure tests need Azurite "
			     "(scripts/azurite.sh start DIR PORT)");
		return TC_EINVALID;
	}
	container_name(f->container);
	o = opts(f->container);
	o.buffer_size = buffer_size;
	if ((err = tc_metrics_new(&f->m)) < 0 || (err = tc_backend_azure_new(&f->be, &o, f->m)) < 0)
		return err;
	f->s = (tc_suite_fx){
		.be = f->be,
		.ctx = f,
		.backdate = wait_old,
		.mtime_slack_s = 2,
		.append_visible_before_commit = 0,
		.backslash_refused = 1,
		.block_versions_known = 1,
		.concurrent_objects = 15,
	};
	return tc_backend_azure_create_container(f->be);
}

static void fx_free(fx *f)
{
	tc_backend_free(f->be);
	tc_metrics_free(f->m);
}

#define WITH_FX(name, bufsz)                                                       \
	static void name(fx *f);                                                   \
	static void azure_##name(void)                                             \
	{                                                                          \
		fx f;                                                              \
		int r = fx_new(&f, bufsz);                                         \
		CHECK_MSG(r == 0, "azure backend: %s", tc_error_last());           \
		if (r == 0) {                                                      \
			CHECK_STR(tc_backend_name(f.be), "azure");                 \
			name(&f);                                                  \
		}                                                                  \
		fx_free(&f);                                                       \
	}
#define CONFORM(name, extra)                                                       \
	static void azure_##name(void)                                             \
	{                                                                          \
		fx f;                                                              \
		int r = fx_new(&f, 0);                                             \
		CHECK_MSG(r == 0, "azure backend: %s", tc_error_last());           \
		if (r == 0)                                                        \
			tc_suite_run(&f.s, tc_suite_##name, extra, &f);            \
		fx_free(&f);                                                       \
	}

/* A not-found is one request: never retried. */
static void not_found_not_retried(void *ctx)
{
	fx *f = ctx;

	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_RETRIES_TOTAL, "GET", NULL) == 0);
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "GET", "404") >= 1);
}

CONFORM(write_read, NULL)
CONFORM(not_found, not_found_not_retried)
CONFORM(read_range, NULL)
CONFORM(stat_object, NULL)
CONFORM(list, NULL)
CONFORM(delete_object, NULL)
CONFORM(append_commit, NULL)
CONFORM(append_abort, NULL)
CONFORM(mark_compacted, NULL)
CONFORM(clear_block, NULL)
CONFORM(hostile_keys, NULL)
CONFORM(concurrent_writers, NULL)
CONFORM(list_semantics, NULL)
CONFORM(long_listing, NULL)
CONFORM(overwrite, NULL)
CONFORM(all_chars, NULL)
CONFORM(list_blocks, NULL)

/* 200 KiB through 64 KiB blocks: four Put Block and one Put Block List, byte for byte. */
WITH_FX(blocks, 64 * KIB)
static void blocks(fx *f)
{
	size_t total = 200 * KIB, off = 0;
	uint8_t *data = malloc(total);
	uint64_t rng = 7;
	tc_append *a = NULL;
	tc_buf got = TC_BUF_INIT;
	double puts;

	CHECK(data != NULL);
	if (!data)
		return;
	for (size_t i = 0; i < total; i++)
		data[i] = (uint8_t)tc_test_rand(&rng);
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b/data"));
	while (off < total) {
		size_t n = total - off < 10000 ? total - off : 10000;
		CHECK_OK(tc_backend_append(a, data + off, n));
		off += n;
	}
	puts = tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "PUT", "201");
	CHECK_MSG(puts == 1 + 3, "PUTs before commit: %g", puts); /* container + 3 whole blocks */
	CHECK_OK(tc_backend_append_commit(a));
	puts = tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "PUT", "201");
	CHECK_MSG(puts == 1 + 4 + 1, "PUTs after commit: %g", puts);
	CHECK_OK(tc_backend_read(&got, f->be, "t/b/data"));
	CHECK_EQ_U64(got.len, total);
	CHECK(got.len == total && memcmp(got.ptr, data, total) == 0);
	{
		uint8_t r[100];
		CHECK_OK(tc_backend_read_range(r, f->be, "t/b/data", 64 * KIB - 50, 100));
		CHECK(memcmp(r, data + 64 * KIB - 50, 100) == 0);
	}
	/* a stream of exactly one block is one Put Blob */
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b2/data"));
	CHECK_OK(tc_backend_append(a, data, 64 * KIB));
	CHECK_OK(tc_backend_append_commit(a));
	CHECK(tc_metrics_get(f->m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "PUT", "201") == 7);
	tc_buf_dispose(&got);
	free(data);
}

/* A killed or aborted writer's staged blocks: invisible, and the old blob stays whole. */
WITH_FX(uncommitted_blocks, 64 * KIB)
static void uncommitted_blocks(fx *f)
{
	uint8_t big[200 * 1024];
	tc_append *a = NULL;
	char s[4096];
	tc_stat st;

	memset(big, 'u', sizeof(big));
	CHECK_OK(tc_suite_put(f->be, "t/b/data", "old"));
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/b/data"));
	CHECK_OK(tc_backend_append(a, big, sizeof(big))); /* three blocks staged */
	tc_backend_append_abort(a);
	CHECK_OK(tc_suite_get(s, f->be, "t/b/data"));
	CHECK_STR(s, "old");
	CHECK_OK(tc_backend_stat(&st, f->be, "t/b/data"));
	CHECK_EQ_U64(st.size, 3);
	/* a fresh blob with only staged blocks does not exist */
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/new/data"));
	CHECK_OK(tc_backend_append(a, big, sizeof(big)));
	tc_backend_append_abort(a);
	CHECK_ERR(tc_backend_stat(&st, f->be, "t/new/data"), TC_ENOTFOUND);
	CHECK_OK(tc_suite_list_str(s, sizeof(s), f->be, "t/", 0));
	CHECK_STR(s, "b");
	/* the next writer of that blob commits its own blocks only */
	CHECK_OK(tc_backend_append_open(&a, f->be, "t/new/data"));
	CHECK_OK(tc_backend_append(a, big, 70 * 1024));
	CHECK_OK(tc_backend_append_commit(a));
	CHECK_OK(tc_backend_stat(&st, f->be, "t/new/data"));
	CHECK_EQ_U64(st.size, 70 * 1024);
}

WITH_FX(wrong_key, 0)
static void wrong_key(fx *f)
{
	tc_azure_options o = opts(f->container);
	tc_backend *bad = NULL;
	tc_metrics *m = NULL;
	tc_buf b = TC_BUF_INIT;
	tc_strlist l = TC_STRLIST_INIT;
	const char *key = "bm90LXRoZS1yZWFsLWtleS1hdC1hbGwtbm90LXRoZS1yZWFsLWtleQ==";

	o.key = key;
	CHECK_OK(tc_metrics_new(&m));
	CHECK_OK(tc_backend_azure_new(&bad, &o, m));
	CHECK_ERR(tc_backend_azure_check(bad), TC_ERROR);
	CHECK_ERRMSG("403 AuthorizationFailure");
	CHECK_ERR(tc_suite_put(bad, "t/b/meta.json", "x"), TC_ERROR);
	CHECK_ERRMSG("403");
	CHECK_ERRMSG("t/b/meta.json");
	CHECK(strstr(tc_error_last(), key) == NULL);
	CHECK_ERR(tc_backend_read(&b, bad, "t/b/meta.json"), TC_ERROR); /* not "not found" */
	CHECK_ERR(tc_backend_list(&l, bad, ""), TC_ERROR);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_RETRIES_TOTAL, "PUT", NULL) == 0);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "PUT", "403") == 1);
	CHECK_OK(tc_backend_list(&l, f->be, ""));
	CHECK(l.n == 0);
	tc_backend_free(bad);
	tc_metrics_free(m);
	tc_buf_dispose(&b);
	tc_strlist_dispose(&l);
}

/* A missing container is an error naming ContainerNotFound, never "not found". */
static void missing_container(void)
{
	char c[64];
	tc_azure_options o;
	tc_backend *be = NULL;
	tc_buf b = TC_BUF_INIT;
	tc_strlist l = TC_STRLIST_INIT;
	tc_stat st;

	CHECK_MSG(endpoint() != NULL, "TC_AZURE_ENDPOINT is not set");
	container_name(c);
	o = opts(c);
	CHECK_OK(tc_backend_azure_new(&be, &o, NULL));
	CHECK_ERR(tc_backend_azure_check(be), TC_ERROR);
	CHECK_ERRMSG("ContainerNotFound");
	CHECK_ERR(tc_suite_put(be, "t/b/meta.json", "x"), TC_ERROR);
	CHECK_ERRMSG("ContainerNotFound");
	CHECK_ERR(tc_backend_read(&b, be, "t/b/meta.json"), TC_ERROR);
	CHECK_ERRMSG("ContainerNotFound");
	CHECK_ERR(tc_backend_stat(&st, be, "t/b/meta.json"), TC_ERROR);
	CHECK_ERR(tc_backend_list(&l, be, ""), TC_ERROR);
	CHECK_ERRMSG("ContainerNotFound");
	tc_backend_free(be);
	tc_buf_dispose(&b);
	tc_strlist_dispose(&l);
}

static void url_rule(void)
{
	char u[256];

	CHECK_OK(tc_azure_container_url(u, sizeof(u), "acct", "blob.core.windows.net", "tempo"));
	CHECK_STR(u, "https://acct.blob.core.windows.net/tempo");
	CHECK_OK(tc_azure_container_url(u, sizeof(u), "acct", "blob.core.chinacloudapi.cn", "c1"));
	CHECK_STR(u, "https://acct.blob.core.chinacloudapi.cn/c1");
	CHECK_OK(tc_azure_container_url(u, sizeof(u), "devstoreaccount1", "azurite:10000", "tempo"));
	CHECK_STR(u, "http://azurite:10000/devstoreaccount1/tempo");
	CHECK_OK(tc_azure_container_url(u, sizeof(u), "acct", "", "tempo"));
	CHECK_STR(u, "https://acct.blob.core.windows.net/tempo");
}

static void bad_options(void)
{
	tc_azure_options o = opts("tempo");
	tc_backend *be = NULL;

	o.endpoint_suffix = "127.0.0.1:1";
	o.container = "";
	CHECK_ERR(tc_backend_azure_new(&be, &o, NULL), TC_EINVALID);
	CHECK_ERRMSG("container-name");
	o.container = "Bad_Name";
	CHECK_ERR(tc_backend_azure_new(&be, &o, NULL), TC_EINVALID);
	o.container = "tempo";
	o.account = "";
	CHECK_ERR(tc_backend_azure_new(&be, &o, NULL), TC_EINVALID);
	CHECK_ERRMSG("storage-account-name");
	o.account = "acct";
	o.key = "%%%%";
	CHECK_ERR(tc_backend_azure_new(&be, &o, NULL), TC_EINVALID);
	CHECK_ERRMSG("not base64");
	o.key = DEV_KEY;
	o.endpoint_suffix = "http://x/";
	CHECK_ERR(tc_backend_azure_new(&be, &o, NULL), TC_EINVALID);
	CHECK_ERRMSG("endpoint-suffix");
	CHECK(be == NULL);
}

/* Tempo's keys through backend_open, credentials from the environment. */
static void open_from_config(void)
{
	tc_config cfg;
	tc_backend *be = NULL;
	char c[64], s[4096];
	int err;

	CHECK_MSG(endpoint() != NULL, "TC_AZURE_ENDPOINT is not set");
	container_name(c);
	CHECK_OK(tc_config_default(&cfg));
	CHECK_OK(tc_config_set(&cfg, "storage.trace.backend", "azure"));
	CHECK_ERR(tc_cli_backend_open(&be, &cfg, NULL), TC_EINVALID);
	CHECK_ERRMSG("storage.trace.azure.container-name");
	CHECK_OK(tc_config_set(&cfg, "storage.trace.azure.container-name", c));
	CHECK_OK(tc_config_set(&cfg, "storage.trace.azure.endpoint-suffix", endpoint()));
	unsetenv("AZURE_STORAGE_ACCOUNT");
	unsetenv("AZURE_STORAGE_KEY");
	CHECK_ERR(tc_cli_backend_open(&be, &cfg, NULL), TC_EINVALID);
	CHECK_ERRMSG("AZURE_STORAGE_ACCOUNT");
	setenv("AZURE_STORAGE_ACCOUNT", env_or("TC_AZURE_ACCOUNT", "devstoreaccount1"), 1);
	setenv("AZURE_STORAGE_KEY", env_or("TC_AZURE_KEY", DEV_KEY), 1);
	/* the container does not exist yet: the start-up check says so */
	CHECK_ERR(tc_cli_backend_open(&be, &cfg, NULL), TC_ERROR);
	CHECK_ERRMSG("ContainerNotFound");
	{
		tc_azure_options o = opts(c);
		CHECK_OK(tc_backend_azure_new(&be, &o, NULL));
		CHECK_OK(tc_backend_azure_create_container(be));
		CHECK_OK(tc_backend_azure_create_container(be)); /* twice is fine */
		tc_backend_free(be);
	}
	err = tc_cli_backend_open(&be, &cfg, NULL);
	CHECK_MSG(err == 0, "open: %s", tc_error_last());
	if (err == 0) {
		CHECK_STR(tc_backend_name(be), "azure");
		CHECK_OK(tc_suite_put(be, "t/b/meta.json", "cfg"));
		CHECK_OK(tc_suite_get(s, be, "t/b/meta.json"));
		CHECK_STR(s, "cfg");
		tc_backend_free(be);
	}
	/* the config's key wins over the environment */
	CHECK_OK(tc_config_set(&cfg, "storage.trace.azure.storage-account-key", "d3Jvbmc="));
	CHECK_ERR(tc_cli_backend_open(&be, &cfg, NULL), TC_ERROR);
	CHECK_ERRMSG("403");
	/* managed identities are refused */
	CHECK_OK(tc_config_set(&cfg, "storage.trace.azure.use-managed-identity", "true"));
	CHECK_ERR(tc_cli_backend_open(&be, &cfg, NULL), TC_EUNSUPPORTED);
	CHECK_ERRMSG("not supported");
	CHECK_OK(tc_config_set(&cfg, "storage.trace.azure.use-managed-identity", "false"));
	CHECK_OK(tc_config_set(&cfg, "storage.trace.azure.user-assigned-id", "abc"));
	CHECK_ERR(tc_cli_backend_check(&cfg), TC_EUNSUPPORTED);
	CHECK_ERRMSG("user-assigned-id");
	unsetenv("AZURE_STORAGE_ACCOUNT");
	unsetenv("AZURE_STORAGE_KEY");
	tc_config_dispose(&cfg);
}

/* ---- a fake server for what Azurite never does: 503 ServerBusy ---- */

typedef struct fake {
	struct MHD_Daemon *d;
	atomic_int requests;
	int busy; /* answer 503 ServerBusy to this many requests first */
} fake;

static enum MHD_Result fake_handler(void *cls, struct MHD_Connection *conn, const char *url,
				    const char *method, const char *version, const char *upload,
				    size_t *upload_size, void **state)
{
	fake *f = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	int n;

	(void)url;
	(void)version;
	(void)upload;
	if (!*state) {
		*state = f;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	n = atomic_fetch_add(&f->requests, 1);
	if (n < f->busy) {
		static const char body[] = "<?xml version=\"1.0\"?><Error><Code>ServerBusy</Code>"
					   "<Message>The server is busy.\nRequestId:x</Message></Error>";
		r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, "x-ms-error-code", "ServerBusy");
		ret = MHD_queue_response(conn, 503, r);
	} else {
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		ret = MHD_queue_response(conn, !strcmp(method, "PUT") ? 201 : 200, r);
	}
	MHD_destroy_response(r);
	return ret;
}

static int fake_start(fake *f, char *suffix, size_t n)
{
	const union MHD_DaemonInfo *info;

	f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, fake_handler, f,
				MHD_OPTION_END);
	if (!f->d || !(info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT)))
		return -1;
	snprintf(suffix, n, "127.0.0.1:%u", (unsigned)info->port);
	return 0;
}

static void retries_server_busy(void)
{
	fake f = { .busy = 2 };
	char suffix[64];
	tc_azure_options o;
	tc_backend *be = NULL;
	tc_metrics *m = NULL;

	CHECK(fake_start(&f, suffix, sizeof(suffix)) == 0);
	o = opts("tempo");
	o.endpoint_suffix = suffix;
	o.max_retries = 3;
	CHECK_OK(tc_metrics_new(&m));
	CHECK_OK(tc_backend_azure_new(&be, &o, m));
	CHECK_OK(tc_suite_put(be, "t/b/meta.json", "x"));
	CHECK(atomic_load(&f.requests) == 3);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_RETRIES_TOTAL, "PUT", NULL) == 2);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "PUT", "503") == 2);
	CHECK(tc_metrics_get(m, TC_M_BACKEND_REQUEST_DURATION_SECONDS, "PUT", "201") == 1);
	/* more than the retries allow: the error names the code and the attempts */
	atomic_store(&f.requests, 0);
	f.busy = 100;
	CHECK_ERR(tc_suite_put(be, "t/b/meta.json", "x"), TC_ERROR);
	CHECK_ERRMSG("503 ServerBusy: The server is busy. (after 4 attempts)");
	CHECK(atomic_load(&f.requests) == 4);
	tc_backend_free(be);
	tc_metrics_free(m);
	MHD_stop_daemon(f.d);
}

typedef struct putter {
	tc_backend *be;
	int rc;
} putter;

static void *put_run(void *arg)
{
	putter *p = arg;

	p->rc = tc_suite_put(p->be, "t/b/meta.json", "x");
	return NULL;
}

/* tc_backend_cancel ends a request waiting out its backoff at once. */
static void cancel_backoff(void)
{
	fake f = { .busy = 1000 };
	char suffix[64];
	tc_azure_options o;
	putter p = { NULL, 1 };
	pthread_t th;
	uint64_t t0;

	CHECK(fake_start(&f, suffix, sizeof(suffix)) == 0);
	o = opts("tempo");
	o.endpoint_suffix = suffix;
	o.max_retries = 20; /* backoffs up to 10 s each */
	CHECK_OK(tc_backend_azure_new(&p.be, &o, NULL));
	CHECK(pthread_create(&th, NULL, put_run, &p) == 0);
	while (atomic_load(&f.requests) < 4)
		usleep(10000);
	t0 = tc_mono_ns();
	tc_backend_cancel(p.be);
	pthread_join(th, NULL);
	CHECK_MSG(tc_mono_ns() - t0 < 500000000ull, "cancel took %llu ms",
		  (unsigned long long)((tc_mono_ns() - t0) / 1000000));
	CHECK(p.rc == TC_ECANCELED);
	CHECK_ERR(tc_suite_put(p.be, "t/b/meta.json", "x"), TC_ECANCELED);
	CHECK_ERRMSG("canceled");
	tc_backend_free(p.be);
	MHD_stop_daemon(f.d);
}

TC_TEST_MAIN(T(url_rule), T(bad_options), T(retries_server_busy), T(cancel_backoff),
	     T(azure_write_read), T(azure_not_found), T(azure_read_range), T(azure_stat_object),
	     T(azure_list), T(azure_delete_object), T(azure_append_commit), T(azure_append_abort),
	     T(azure_mark_compacted), T(azure_clear_block), T(azure_hostile_keys),
	     T(azure_concurrent_writers), T(azure_list_semantics), T(azure_long_listing),
	     T(azure_overwrite), T(azure_all_chars), T(azure_list_blocks), T(azure_blocks), T(azure_uncommitted_blocks),
	     T(azure_wrong_key), T(missing_container), T(open_from_config))
