#include "src/cli/backend_open.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "src/backend/azure.h"
#include "src/backend/gcs.h"
#include "src/backend/instrumented.h"
#include "src/backend/s3.h"
#include "src/util/buf.h"
#include "src/util/utf8.h"

static int empty(const char *s)
{
	return !s || !*s;
}

/*
 * storage.trace.s3.* -> tc_s3_options. Keys left empty in the config come
 * from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, as
 * with the AWS tools; the config wins when it names a key.
 */
static int s3_options(tc_s3_options *out, const tc_config *cfg)
{
	const tc_s3_config *c = &cfg->storage.s3;
	tc_s3_options o;

	if (empty(c->bucket)) {
		tc_error_set("storage.trace.s3.bucket is required for the s3 backend");
		return TC_EINVALID;
	}
	if (empty(c->endpoint)) {
		tc_error_set("storage.trace.s3.endpoint is required for the s3 backend "
			     "(host[:port], e.g. s3.us-east-1.amazonaws.com)");
		return TC_EINVALID;
	}
	memset(&o, 0, sizeof(o));
	o.bucket = c->bucket;
	o.endpoint = c->endpoint;
	o.prefix = c->prefix;
	o.region = c->region;
	if (empty(c->access_key) && empty(c->secret_key)) {
		o.access_key = getenv("AWS_ACCESS_KEY_ID");
		o.secret_key = getenv("AWS_SECRET_ACCESS_KEY");
		o.session_token = empty(c->session_token) ? getenv("AWS_SESSION_TOKEN")
							  : c->session_token;
	} else {
		o.access_key = c->access_key;
		o.secret_key = c->secret_key;
		o.session_token = c->session_token;
	}
	if (!empty(o.access_key) && empty(o.secret_key)) {
		tc_error_set("storage.trace.s3.secret_key is empty but an access key is set "
			     "(config or AWS_ACCESS_KEY_ID)");
		return TC_EINVALID;
	}
	o.insecure = c->insecure;
	o.insecure_skip_verify = c->insecure_skip_verify;
	o.forcepathstyle = c->forcepathstyle;
	o.part_size = c->part_size;
	o.max_retries = c->max_retries;
	o.max_list_pages = c->max_list_pages;
	*out = o;
	return TC_OK;
}

/*
 * storage.trace.azure.* -> tc_azure_options. The account and key left
 * empty come from AZURE_STORAGE_ACCOUNT / AZURE_STORAGE_KEY, as in Tempo.
 * Managed identities are refused: we sign with the account key only.
 */
static int azure_options(tc_azure_options *out, const tc_config *cfg)
{
	const tc_azure_config *c = &cfg->storage.azure;
	tc_azure_options o;

	if (c->use_managed_identity || !empty(c->user_assigned_id)) {
		tc_error_set("storage.trace.azure.%s: managed identities are not supported; "
			     "use storage-account-key (or AZURE_STORAGE_KEY)",
			     c->use_managed_identity ? "use-managed-identity" : "user-assigned-id");
		return TC_EUNSUPPORTED;
	}
	if (empty(c->container_name)) {
		tc_error_set("storage.trace.azure.container-name is required for the azure backend");
		return TC_EINVALID;
	}
	memset(&o, 0, sizeof(o));
	o.container = c->container_name;
	o.account = empty(c->storage_account_name) ? getenv("AZURE_STORAGE_ACCOUNT")
						   : c->storage_account_name;
	o.key = empty(c->storage_account_key) ? getenv("AZURE_STORAGE_KEY") : c->storage_account_key;
	if (empty(o.account)) {
		tc_error_set("storage.trace.azure.storage-account-name is empty and "
			     "AZURE_STORAGE_ACCOUNT is not set");
		return TC_EINVALID;
	}
	if (empty(o.key)) {
		tc_error_set("storage.trace.azure.storage-account-key is empty and "
			     "AZURE_STORAGE_KEY is not set");
		return TC_EINVALID;
	}
	o.endpoint_suffix = c->endpoint_suffix;
	o.buffer_size = c->buffer_size;
	o.max_retries = TC_AZURE_MAX_RETRIES_DEFAULT;
	*out = o;
	return TC_OK;
}

/* A service-account key file is a few KiB; anything near this is not one. */
#define GCS_KEY_MAX ((size_t)1 << 20)

/*
 * storage.trace.gcs.* -> tc_gcs_options, credentials left out. Tempo's
 * insecure sends none; otherwise GOOGLE_APPLICATION_CREDENTIALS names a
 * service-account key, and without one only an emulator (endpoint set)
 * is reachable, anonymously. *key_path is the key file to read, or NULL.
 */
static int gcs_options(tc_gcs_options *out, const char **key_path, const tc_config *cfg)
{
	const tc_gcs_config *c = &cfg->storage.gcs;
	const char *env = getenv("GOOGLE_APPLICATION_CREDENTIALS");
	tc_gcs_options o;

	*key_path = NULL;
	if (empty(c->bucket_name)) {
		tc_error_set("storage.trace.gcs.bucket_name is required for the gcs backend");
		return TC_EINVALID;
	}
	if (!c->insecure && empty(env) && empty(c->endpoint)) {
		tc_error_set("storage.trace.gcs: no credentials: set GOOGLE_APPLICATION_CREDENTIALS to "
			     "a service-account key file (the metadata server and gcloud user "
			     "credentials are not supported), or set endpoint to an emulator");
		return TC_EINVALID;
	}
	memset(&o, 0, sizeof(o));
	o.bucket = c->bucket_name;
	o.endpoint = c->endpoint;
	o.insecure_skip_verify = c->insecure;
	o.chunk_size = c->chunk_buffer_size;
	o.cache_control = c->object_cache_control;
	o.metadata = (const char *const *)c->object_metadata.items;
	o.nmetadata = c->object_metadata.n / 2;
	o.max_retries = c->max_retries;
	if (!c->insecure && !empty(env))
		*key_path = env;
	*out = o;
	return TC_OK;
}

/* Reads the key file (NUL-terminated, malloc'd); the caller cleanses and frees it. */
static int read_key(char **out, const char *path)
{
	FILE *f = fopen(path, "rb");
	tc_buf b = TC_BUF_INIT;
	char chunk[4096];
	size_t n;
	int err = TC_OK;

	*out = NULL;
	tc_buf_init(&b, GCS_KEY_MAX);
	if (!f) {
		tc_error_set("GOOGLE_APPLICATION_CREDENTIALS=%s: %s", tc_utf8_printable(path, 200),
			     strerror(errno));
		return TC_EINVALID;
	}
	while (err == TC_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		err = tc_buf_put(&b, chunk, n);
	if (err == TC_OK && ferror(f))
		err = TC_ERROR;
	if (err == TC_OK)
		err = tc_buf_cstr(&b);
	OPENSSL_cleanse(chunk, sizeof(chunk));
	fclose(f);
	if (err < 0) {
		tc_error_set("GOOGLE_APPLICATION_CREDENTIALS=%s: %s", tc_utf8_printable(path, 200),
			     err == TC_ELIMIT ? "larger than a key file" : "cannot read it");
		if (b.ptr)
			OPENSSL_cleanse(b.ptr, b.len);
		tc_buf_dispose(&b);
		return TC_EINVALID;
	}
	*out = (char *)b.ptr;
	return TC_OK;
}

static int gcs_open(tc_backend **out, const tc_config *cfg, tc_metrics *metrics)
{
	tc_gcs_options o;
	const char *path;
	char *key = NULL;
	int err;

	if ((err = gcs_options(&o, &path, cfg)) < 0)
		return err;
	if (path && (err = read_key(&key, path)) < 0)
		return err;
	o.credentials_json = key;
	o.credentials_name = path;
	err = tc_backend_gcs_new(out, &o, metrics);
	if (key) {
		OPENSSL_cleanse(key, strlen(key));
		free(key);
	}
	return err;
}

static const char *backend_name(const tc_config *cfg)
{
	return cfg->storage.backend ? cfg->storage.backend : "local";
}

int tc_cli_backend_check(const tc_config *cfg)
{
	const char *name = backend_name(cfg), *at = tc_config_where(cfg, "storage.trace.backend");
	tc_s3_options o;
	tc_azure_options ao;

	if (!strcmp(name, "local")) {
		if (!cfg->storage.local_path) {
			tc_error_set("storage.trace.local.path is required for the local backend");
			return TC_EINVALID;
		}
		return TC_OK;
	}
	if (!strcmp(name, "s3"))
		return s3_options(&o, cfg);
	if (!strcmp(name, "azure"))
		return azure_options(&ao, cfg);
	if (!strcmp(name, "gcs")) {
		tc_gcs_options g;
		const char *path;
		return gcs_options(&g, &path, cfg);
	}
	/* unreachable while the row's choices hold: they are the backends above */
	tc_error_set("%s%sstorage.trace.backend: unknown backend %s "
		     "(supported: local, s3, azure, gcs)", at ? at : "", at ? ": " : "", name);
	return TC_EUNSUPPORTED;
}

int tc_cli_backend_open(tc_backend **out, const tc_config *cfg, tc_metrics *metrics)
{
	tc_s3_options o;
	tc_backend *be = NULL;
	int error, rc;

	*out = NULL;
	if ((error = tc_cli_backend_check(cfg)) < 0)
		return error;
	if (!strcmp(backend_name(cfg), "local")) {
		if (cfg->storage.local_create)
			rc = tc_backend_local_create(&be, cfg->storage.local_path);
		else
			rc = tc_backend_local_new(&be, cfg->storage.local_path);
		if (rc < 0 || !metrics) {
			*out = be;
			return rc;
		}
		/* S3 times its own HTTP requests; the local backend is timed per call. */
		return tc_backend_instrumented_new(out, be, metrics);
	}
	if (!strcmp(backend_name(cfg), "azure")) {
		tc_azure_options ao;
		/* Azure, like S3, times its own HTTP requests. */
		if ((error = azure_options(&ao, cfg)) < 0)
			return error;
		if ((error = tc_backend_azure_new(&be, &ao, metrics)) < 0)
			return error;
		/* as Tempo at start: the container's properties, so a wrong key or container fails here */
		if ((error = tc_backend_azure_check(be)) < 0) {
			tc_backend_free(be);
			return error;
		}
		*out = be;
		return TC_OK;
	}
	/* GCS, like S3, times its own HTTP requests. */
	if (!strcmp(backend_name(cfg), "gcs"))
		return gcs_open(out, cfg, metrics);
	if ((error = s3_options(&o, cfg)) < 0)
		return error;
	return tc_backend_s3_new(out, &o, metrics);
}
