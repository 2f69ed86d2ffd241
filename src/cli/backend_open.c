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
static int open_s3(tc_backend **out, const tc_config *cfg, tc_metrics *metrics)
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
	return tc_backend_s3_new(out, &o, metrics);
}

int tc_cli_backend_open(tc_backend **out, const tc_config *cfg, tc_metrics *metrics)
{
	const char *name = cfg->storage.backend ? cfg->storage.backend : "local";

	*out = NULL;
	if (!strcmp(name, "local")) {
		tc_backend *be = NULL;
		int rc;
		if (!cfg->storage.local_path) {
			tc_error_set("storage.trace.local.path is required for the local backend");
			return TC_EINVALID;
		}
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
	if (!strcmp(name, "s3"))
		return open_s3(out, cfg, metrics);
	tc_error_set("storage.trace.backend: unsupported backend \"%s\" (supported: local, s3)", name);
	return TC_EUNSUPPORTED;
}
