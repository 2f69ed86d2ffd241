/*
 * tracecompactor query: finds a trace in every live block of a tenant the
 * way a querier does, combines the parts and prints OTLP JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/args.h"
#include "src/cli/cli_backend.h"
#include "src/cli/commands.h"
#include "encoding/block_reader.h"
#include "encoding/otlp_json.h"
#include "encoding/trace.h"
#include "src/compactor/blocklist.h"
#include "src/config/overrides.h"
#include "src/util/log.h"

static const char USAGE[] = "tracecompactor query (--path ROOT | --config FILE) --tenant T [--raw] TRACE_ID_HEX";

/* Tempo accepts short hex IDs and left-pads them with zeros. */
static int parse_trace_id(uint8_t id[TC_ID_LEN], const char *hex)
{
	char padded[2 * TC_ID_LEN + 1];
	size_t n = strlen(hex);

	if (n == 0 || n > 2 * TC_ID_LEN) {
		tc_error_set("trace ID \"%.80s\" must be 1 to 32 hex digits", hex);
		return TC_EINVALID;
	}
	memset(padded, '0', 2 * TC_ID_LEN - n);
	memcpy(padded + 2 * TC_ID_LEN - n, hex, n + 1);
	return tc_hex_decode(id, TC_ID_LEN, padded);
}

/* The pages' caps under the config's limits and the tenant's max_bytes_per_trace (overrides file included). */
static int page_limits(tc_page_limits *out, const tc_config *cfg, const char *tenant)
{
	tc_overrides *ov;
	int rc;

	if ((rc = tc_overrides_new(&ov, cfg)) < 0)
		return rc;
	tc_page_limits_from(out, &cfg->storage.block, tc_overrides_max_bytes_per_trace(ov, tenant));
	tc_overrides_free(ov);
	return TC_OK;
}

typedef struct found {
	tc_buf *bodies;
	size_t n;
	char data_encoding[TC_DATA_ENCODING_MAX];
	char block_id[TC_UUID_STR_LEN + 1]; /* the first block it was found in */
} found;

static int collect(found *f, tc_backend *be, const tc_blocklist *bl, const uint8_t *id,
		   const tc_page_limits *limits)
{
	f->bodies = calloc(bl->n_live ? bl->n_live : 1, sizeof(tc_buf));
	if (!f->bodies) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	for (size_t i = 0; i < bl->n_live; i++) {
		tc_buf *b = &f->bodies[f->n];
		int rc;
		tc_buf_init(b, 0);
		rc = tc_block_find(b, be, &bl->live[i], id, limits);
		if (rc == TC_ENOTFOUND) {
			tc_buf_dispose(b);
			continue;
		}
		if (rc < 0)
			return rc;
		if (f->n > 0 && strcmp(f->data_encoding, bl->live[i].data_encoding) != 0)
			continue; /* parts in another body format cannot be combined */
		if (f->n == 0) {
			snprintf(f->data_encoding, sizeof(f->data_encoding), "%s", bl->live[i].data_encoding);
			snprintf(f->block_id, sizeof(f->block_id), "%s", bl->live[i].block_id);
		}
		f->n++;
	}
	return TC_OK;
}

static int print_trace(const found *f, const uint8_t *id, int raw)
{
	tc_data_kind kind = tc_data_kind_of(f->data_encoding);
	tc_object *objs = calloc(f->n, sizeof(*objs));
	tc_combiner *c = NULL;
	tc_combine_stats st = { 0 };
	tc_buf merged = TC_BUF_INIT, trace = TC_BUF_INIT, json = TC_BUF_INIT;
	const uint8_t *body;
	size_t body_len;
	int combined = 0, rc;
	tc_where w = { "query result", 0 };

	if (!objs) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	/* Bodies we cannot decode are not printed as if they were a trace (docs/FORMAT.md#object-bodies). */
	if (kind == TC_DATA_OPAQUE && !raw) {
		tc_error_set("trace found in block %s with dataEncoding=%s: query decodes only v1 and v2 "
			     "bodies (--raw prints the stored bytes)", f->block_id, tc_log_q(f->data_encoding));
		rc = TC_EUNSUPPORTED;
		goto cleanup;
	}
	for (size_t i = 0; i < f->n; i++)
		objs[i] = (tc_object){ id, TC_ID_LEN, f->bodies[i].ptr, f->bodies[i].len };
	if ((rc = tc_combiner_new(&c, kind)) < 0 ||
	    (rc = tc_combiner_run(&merged, &combined, NULL, c, objs, f->n, &st, &w)) < 0)
		goto cleanup;
	body = combined ? merged.ptr : objs[0].body;
	body_len = combined ? merged.len : objs[0].body_len;
	if (raw) {
		fwrite(body, 1, body_len, stdout);
		goto cleanup;
	}
	if ((rc = tc_trace_body_to_trace(&trace, kind, body, body_len, &w)) < 0 ||
	    (rc = tc_otlp_json_write(&json, trace.ptr, trace.len, 1, &w)) < 0)
		goto cleanup;
	fwrite(json.ptr, 1, json.len, stdout);
	fputc('\n', stdout);
cleanup:
	free(objs);
	tc_combiner_free(c);
	tc_buf_dispose(&merged);
	tc_buf_dispose(&trace);
	tc_buf_dispose(&json);
	return rc;
}

int tc_cmd_query(int argc, char **argv)
{
	const char *path = NULL, *tenant = NULL, *raw = NULL, *config = NULL, *pos[1];
	const tc_arg_spec specs[] = {
		{ "path", 1, &path, "root of the local bucket" },
		{ "config", 1, &config, "use the backend of this config (storage.trace.*) and its page caps" },
		{ "tenant", 1, &tenant, "tenant ID" },
		{ "raw", 0, &raw, "print the combined object body instead of OTLP JSON (the only output "
			  "for a data encoding other than v1/v2)" },
	};
	uint8_t id[TC_ID_LEN];
	tc_page_limits limits;
	tc_backend *be = NULL;
	tc_blocklist bl = TC_BLOCKLIST_INIT;
	found f = { 0 };
	size_t npos;
	int missing = 0; /* the trace, not the bucket: exit 2 */
	int rc = tc_args_parse(specs, 4, argc, argv, pos, 1, &npos, USAGE);
	tc_config cfg;

	memset(&cfg, 0, sizeof(cfg));

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if ((!path && !config) || !tenant || npos != 1) {
		fprintf(stderr, "usage: %s\n", USAGE);
		return 2;
	}
	if ((rc = parse_trace_id(id, pos[0])) < 0 || (rc = tc_tenant_validate(tenant)) < 0) {
		fprintf(stderr, "query: %s\n", tc_error_last());
		return 2;
	}
	if ((rc = tc_cli_open_bucket(&be, &cfg, path, config, 0)) < 0 || (rc = tc_blocklist_read_tenant(&bl, be, tenant)) < 0 ||
	    (rc = page_limits(&limits, &cfg, tenant)) < 0 || (rc = collect(&f, be, &bl, id, &limits)) < 0)
		goto cleanup;
	if (f.n == 0) {
		fprintf(stderr, "query: trace %s not found in %zu live blocks of tenant %s\n", pos[0], bl.n_live,
			tenant);
		missing = 1;
		goto cleanup;
	}
	rc = print_trace(&f, id, raw != NULL);
cleanup:
	if (rc < 0)
		fprintf(stderr, "query: %s\n", tc_error_last());
	for (size_t i = 0; i < f.n; i++)
		tc_buf_dispose(&f.bodies[i]);
	free(f.bodies);
	tc_blocklist_dispose(&bl);
	tc_backend_free(be);
	tc_config_dispose(&cfg);
	return missing ? 2 : rc < 0 ? 1 : 0;
}
