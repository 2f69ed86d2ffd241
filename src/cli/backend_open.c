#include "src/cli/backend_open.h"

#include <stdlib.h>
#include <string.h>

#include "src/backend/instrumented.h"
#include "src/backend/s3.h"

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

static const char *backend_name(const tc_config *cfg)
{
	return cfg->storage.backend ? cfg->storage.backend : "local";
}

int tc_cli_backend_check(const tc_config *cfg)
{
	const char *name = backend_name(cfg), *at = tc_config_where(cfg, "storage.trace.backend");
	tc_s3_options o;

	if (!strcmp(name, "local")) {
		if (!cfg->storage.local_path) {
			tc_error_set("storage.trace.local.path is required for the local backend");
			return TC_EINVALID;
		}
		return TC_OK;
	}
	if (!strcmp(name, "s3"))
		return s3_options(&o, cfg);
	/* Tempo's gcs and azure load (a Tempo config does), but we cannot run them yet. */
	tc_error_set("%s%sstorage.trace.backend: the %s backend is not supported yet "
		     "(supported: local, s3)", at ? at : "", at ? ": " : "", name);
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
	if ((error = s3_options(&o, cfg)) < 0)
		return error;
	return tc_backend_s3_new(out, &o, metrics);
}
