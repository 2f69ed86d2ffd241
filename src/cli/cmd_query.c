/*
 * tracecompactor query: finds a trace in every live block of a tenant the
 * way a querier does, combines the parts and prints OTLP JSON.
 * tracecompactor query blocks: tempo-cli's `query blocks`, every block
 * (compacted ones too, as tempo-cli reads them), each block's part and
 * then the combined trace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/args.h"
#include "src/cli/cli_backend.h"
#include "src/cli/cli_util.h"
#include "src/cli/commands.h"
#include "encoding/block_reader.h"
#include "encoding/otlp_json.h"
#include "encoding/trace.h"
#include "src/compactor/blocklist.h"
#include "src/config/overrides.h"
#include "src/util/log.h"

static const char USAGE[] = "tracecompactor query [blocks] (--path ROOT | --config FILE) --tenant T [--raw] "
			    "[--format text|json] TRACE_ID_HEX";

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
	const tc_meta **metas; /* the block each body came from */
	size_t n;
	char data_encoding[TC_DATA_ENCODING_MAX];
} found;

static int collect(found *f, tc_backend *be, const tc_meta *const *metas, size_t n, const uint8_t *id,
		   const tc_page_limits *limits)
{
	f->bodies = calloc(n ? n : 1, sizeof(tc_buf));
	f->metas = calloc(n ? n : 1, sizeof(*f->metas));
	if (!f->bodies || !f->metas) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		tc_buf *b = &f->bodies[f->n];
		int rc;
		tc_buf_init(b, 0);
		rc = tc_block_find(b, be, metas[i], id, limits);
		if (rc == TC_ENOTFOUND) {
			tc_buf_dispose(b);
			continue;
		}
		if (rc < 0)
			return rc;
		if (f->n > 0 && strcmp(f->data_encoding, metas[i]->data_encoding) != 0) {
			tc_buf_dispose(b);
			continue; /* parts in another body format cannot be combined */
		}
		if (f->n == 0)
			snprintf(f->data_encoding, sizeof(f->data_encoding), "%s", metas[i]->data_encoding);
		f->metas[f->n++] = metas[i];
	}
	return TC_OK;
}

static void found_dispose(found *f)
{
	for (size_t i = 0; i < f->n; i++)
		tc_buf_dispose(&f->bodies[i]);
	free(f->bodies);
	free(f->metas);
}

/*
 * Combines bodies [from, from + n) of f into one (as a querier does) and
 * appends it to out: the object body with raw, else OTLP JSON.
 */
static int render(tc_buf *out, const found *f, size_t from, size_t n, const uint8_t *id, int raw, int pretty)
{
	tc_data_kind kind = tc_data_kind_of(f->data_encoding);
	tc_object *objs = calloc(n ? n : 1, sizeof(*objs));
	tc_combiner *c = NULL;
	tc_combine_stats st = { 0 };
	tc_buf merged = TC_BUF_INIT, trace = TC_BUF_INIT;
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
			     "bodies (--raw prints the stored bytes)", f->metas[from]->block_id,
			     tc_log_q(f->data_encoding));
		rc = TC_EUNSUPPORTED;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++)
		objs[i] = (tc_object){ id, TC_ID_LEN, f->bodies[from + i].ptr, f->bodies[from + i].len };
	if ((rc = tc_combiner_new(&c, kind)) < 0 ||
	    (rc = tc_combiner_run(&merged, &combined, NULL, c, objs, n, &st, &w)) < 0)
		goto cleanup;
	body = combined ? merged.ptr : objs[0].body;
	body_len = combined ? merged.len : objs[0].body_len;
	if (raw) {
		rc = tc_buf_put(out, body, body_len);
		goto cleanup;
	}
	if ((rc = tc_trace_body_to_trace(&trace, kind, body, body_len, &w)) == TC_OK)
		rc = tc_otlp_json_write(out, trace.ptr, trace.len, pretty, &w);
cleanup:
	free(objs);
	tc_combiner_free(c);
	tc_buf_dispose(&merged);
	tc_buf_dispose(&trace);
	return rc;
}

static int print_trace(const found *f, const uint8_t *id, int raw)
{
	tc_buf out = TC_BUF_INIT;
	int rc = render(&out, f, 0, f->n, id, raw, 1);

	if (rc == TC_OK) {
		fwrite(out.ptr, 1, out.len, stdout);
		if (!raw)
			fputc('\n', stdout);
	}
	tc_buf_dispose(&out);
	return rc;
}

/* A rendered trace as a JSON value to nest. */
static cJSON *trace_value(const tc_buf *json)
{
	cJSON *v = cJSON_ParseWithLength((const char *)json->ptr, json->len);

	if (!v)
		tc_error_set("query blocks: our OTLP JSON did not parse back");
	return v;
}

/* tempo-cli's output: "<block> :" and its part, for each block that holds the trace, then "combined:". */
static int print_blocks(const found *f, const uint8_t *id, size_t total, int json)
{
	cJSON *o = json ? cJSON_CreateObject() : NULL, *arr = NULL, *v;
	tc_buf out = TC_BUF_INIT;
	char hex[2 * TC_ID_LEN + 1];
	int rc = TC_OK;

	if (json) {
		tc_hex_encode(hex, id, TC_ID_LEN);
		cJSON_AddStringToObject(o, "traceID", hex);
		cJSON_AddNumberToObject(o, "blocksSearched", (double)total);
		arr = cJSON_AddArrayToObject(o, "blocks");
	} else {
		printf("total blocks: %zu\n\n", total);
	}
	for (size_t i = 0; i <= f->n && rc == TC_OK; i++) {
		int all = i == f->n; /* the last round is the combined trace */
		tc_buf_clear(&out);
		if ((rc = render(&out, f, all ? 0 : i, all ? f->n : 1, id, 0, 0)) < 0)
			break;
		if (!json) {
			if (all)
				printf("combined:\n");
			else
				printf("%s :\n", f->metas[i]->block_id);
			fwrite(out.ptr, 1, out.len, stdout);
			fputc('\n', stdout);
			continue;
		}
		if (!(v = trace_value(&out))) {
			rc = TC_ERROR;
			break;
		}
		if (all) {
			cJSON_AddItemToObject(o, "combined", v);
		} else {
			cJSON *b = cJSON_CreateObject();
			cJSON_AddStringToObject(b, "blockID", f->metas[i]->block_id);
			cJSON_AddBoolToObject(b, "compacted", f->metas[i]->compacted);
			cJSON_AddItemToObject(b, "trace", v);
			cJSON_AddItemToArray(arr, b);
		}
	}
	if (rc == TC_OK && json) {
		rc = tc_cli_print_json(o);
		o = NULL;
	}
	cJSON_Delete(o);
	tc_buf_dispose(&out);
	return rc;
}

/* The blocks to search: live ones (query), or every block (query blocks, as tempo-cli). */
static int search_list(const tc_meta ***out, size_t *n, const tc_blocklist *bl, int all)
{
	*n = 0;
	if (!(*out = calloc(bl->n_live + bl->n_compacted + 1, sizeof(**out)))) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	for (size_t i = 0; i < bl->n_live; i++)
		(*out)[(*n)++] = &bl->live[i];
	for (size_t i = 0; all && i < bl->n_compacted; i++)
		(*out)[(*n)++] = &bl->compacted[i];
	return TC_OK;
}

int tc_cmd_query(int argc, char **argv)
{
	const char *path = NULL, *tenant = NULL, *raw = NULL, *config = NULL, *format = NULL, *pos[2], *hex;
	const tc_arg_spec specs[] = {
		{ "path", 1, &path, "root of the local bucket" },
		{ "config", 1, &config, "use the backend of this config (storage.trace.*) and its page caps" },
		{ "tenant", 1, &tenant, "tenant ID" },
		{ "raw", 0, &raw, "print the combined object body instead of OTLP JSON (the only output "
			  "for a data encoding other than v1/v2)" },
		{ "format", 1, &format, "query blocks: text (default) or json" },
	};
	uint8_t id[TC_ID_LEN];
	tc_page_limits limits;
	tc_backend *be = NULL;
	tc_blocklist bl = TC_BLOCKLIST_INIT;
	const tc_meta **search = NULL;
	found f = { 0 };
	size_t npos, nsearch = 0;
	int missing = 0; /* the trace, not the bucket: exit 2 */
	int rc = tc_args_parse(specs, 5, argc, argv, pos, 2, &npos, USAGE), blocks, json;
	tc_config cfg;

	memset(&cfg, 0, sizeof(cfg));

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	blocks = npos == 2 && !strcmp(pos[0], "blocks");
	if ((!path && !config) || !tenant || (npos != 1 && !blocks) || (blocks && raw)) {
		fprintf(stderr, "usage: %s\n", USAGE);
		return 2;
	}
	if ((json = tc_cli_format_json("query", format)) < 0)
		return 2;
	hex = pos[npos - 1];
	if ((rc = parse_trace_id(id, hex)) < 0 || (rc = tc_tenant_validate(tenant)) < 0) {
		fprintf(stderr, "query: %s\n", tc_error_last());
		return 2;
	}
	if ((rc = tc_cli_open_bucket(&be, &cfg, path, config, 0)) < 0 || (rc = tc_blocklist_read_tenant(&bl, be, tenant)) < 0 ||
	    (rc = page_limits(&limits, &cfg, tenant)) < 0 || (rc = search_list(&search, &nsearch, &bl, blocks)) < 0 ||
	    (rc = collect(&f, be, search, nsearch, id, &limits)) < 0)
		goto cleanup;
	if (f.n == 0) {
		fprintf(stderr, "query: trace %s not found in %zu %sblocks of tenant %s\n", hex, nsearch,
			blocks ? "" : "live ", tenant);
		missing = 1;
		goto cleanup;
	}
	rc = blocks ? print_blocks(&f, id, nsearch, json) : print_trace(&f, id, raw != NULL);
cleanup:
	if (rc < 0)
		fprintf(stderr, "query: %s\n", tc_error_last());
	found_dispose(&f);
	free(search);
	tc_blocklist_dispose(&bl);
	tc_backend_free(be);
	tc_config_dispose(&cfg);
	return missing ? 2 : rc < 0 ? 1 : 0;
}
