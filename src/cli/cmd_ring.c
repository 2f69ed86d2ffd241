/*
 * tracecompactor ring dump --config FILE        the ring in the config's etcd
 * tracecompactor ring dump --file VALUE [...]   a value saved from etcd (etcdctl)
 *
 * Decodes the compactor ring value (docs/RING.md#the-value) and prints its
 * members as JSON: what an operator checks before and during a migration,
 * and what the tests check the value against.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/args.h"
#include "src/cli/commands.h"
#include "src/cli/ring_open.h"
#include "src/ring/desc.h"
#include "src/util/timeutil.h"

static const char USAGE[] =
	"tracecompactor ring dump (--config FILE | --file VALUE [--config FILE])\n"
	"  --config: read <kvstore.prefix><override_ring_key> from the config's etcd;\n"
	"            with --file, only its heartbeat_timeout and key name are used\n"
	"  --file:   decode a value saved from etcd (snappy-compressed ring.Desc bytes)";

/* The raw value: from --file, else from the config's store. */
static int read_value(tc_buf *out, int64_t *version, const char *file, const tc_config *cfg, const char *key)
{
	tc_kv *kv = NULL;
	tc_kv_value v = TC_KV_VALUE_INIT;
	FILE *f;
	int rc;

	*version = -1;
	if (file) {
		uint8_t chunk[65536];
		size_t n;

		if (!(f = fopen(file, "rb"))) {
			tc_error_set_os("%s", file);
			return TC_ENOTFOUND;
		}
		rc = TC_OK;
		while (rc == TC_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			rc = tc_buf_put(out, chunk, n);
		if (rc == TC_OK && ferror(f)) {
			tc_error_set_os("%s", file);
			rc = TC_ERROR;
		}
		fclose(f);
		return rc;
	}
	if ((rc = tc_cli_kv_open(&kv, cfg)) < 0)
		return rc;
	if (!kv) {
		tc_error_set("compactor.ring.kvstore.store is not set in the config: there is no ring to read");
		return TC_EINVALID;
	}
	if ((rc = tc_kv_get(&v, kv, key)) == TC_OK) {
		*version = v.version;
		rc = tc_buf_put(out, v.data.ptr, v.data.len);
	}
	tc_kv_value_dispose(&v);
	tc_kv_free(kv);
	return rc;
}

static cJSON *instance_json(const tc_ring_instance *in, double share, int64_t now_s, int64_t timeout_s)
{
	cJSON *o = cJSON_CreateObject();
	char when[TC_TIME_STR_MAX];
	tc_time t = tc_time_from_unix(in->timestamp, 0);
	int sorted = 1;

	for (size_t k = 1; k < in->n_tokens; k++)
		if (in->tokens[k - 1] >= in->tokens[k])
			sorted = 0;
	tc_time_format_utc(when, &t);
	cJSON_AddStringToObject(o, "id", in->id);
	cJSON_AddStringToObject(o, "addr", in->addr);
	cJSON_AddStringToObject(o, "state", tc_ring_state_name(in->state));
	cJSON_AddBoolToObject(o, "healthy", tc_ring_instance_healthy(in, now_s, timeout_s));
	cJSON_AddNumberToObject(o, "timestamp", (double)in->timestamp);
	cJSON_AddStringToObject(o, "heartbeat", when);
	cJSON_AddNumberToObject(o, "registered_timestamp", (double)in->registered_timestamp);
	cJSON_AddStringToObject(o, "zone", in->zone);
	cJSON_AddNumberToObject(o, "tokens", (double)in->n_tokens);
	cJSON_AddBoolToObject(o, "tokens_sorted", sorted);
	cJSON_AddNumberToObject(o, "ownership", share);
	return o;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Tokens held twice, across instances or within one: a healthy ring has none. */
static size_t count_duplicate_tokens(const tc_ring_desc *d)
{
	size_t n = 0, used = 0, dups = 0;
	uint32_t *all;

	for (size_t i = 0; i < tc_ring_desc_count(d); i++) {
		tc_ring_instance in;
		tc_ring_desc_at(&in, d, i);
		n += in.n_tokens;
	}
	if (!n || !(all = malloc(n * sizeof(*all))))
		return 0;
	for (size_t i = 0; i < tc_ring_desc_count(d); i++) {
		tc_ring_instance in;
		tc_ring_desc_at(&in, d, i);
		memcpy(all + used, in.tokens, in.n_tokens * sizeof(*all));
		used += in.n_tokens;
	}
	qsort(all, n, sizeof(*all), cmp_u32);
	for (size_t k = 1; k < n; k++)
		if (all[k] == all[k - 1])
			dups++;
	free(all);
	return dups;
}

static int dump(const tc_buf *value, int64_t version, const char *key, int64_t timeout_ns)
{
	tc_where w = { key, 0 };
	tc_ring_desc *d = NULL;
	tc_ring_table *t = NULL;
	double *share = NULL;
	cJSON *root = NULL, *arr;
	char *text = NULL;
	int64_t now_s = tc_time_now().sec, timeout_s = timeout_ns / 1000000000LL;
	size_t n;
	int rc;

	if ((rc = tc_ring_desc_decode(&d, value->ptr, value->len, &w)) < 0 ||
	    (rc = tc_ring_table_new(&t, d, now_s, timeout_s)) < 0)
		goto cleanup;
	n = tc_ring_desc_count(d);
	if (!(share = calloc(n ? n : 1, sizeof(*share))) || !(root = cJSON_CreateObject())) {
		tc_error_set("out of memory");
		rc = TC_ERROR;
		goto cleanup;
	}
	tc_ring_table_ownership(share, t);
	cJSON_AddStringToObject(root, "key", key);
	if (version >= 0)
		cJSON_AddNumberToObject(root, "version", (double)version);
	cJSON_AddNumberToObject(root, "bytes", (double)value->len);
	cJSON_AddNumberToObject(root, "duplicate_tokens", (double)count_duplicate_tokens(d));
	arr = cJSON_AddArrayToObject(root, "instances");
	for (size_t i = 0; i < n; i++) {
		tc_ring_instance in;
		tc_ring_desc_at(&in, d, i);
		cJSON_AddItemToArray(arr, instance_json(&in, share[i], now_s, timeout_s));
	}
	if (!(text = cJSON_Print(root))) {
		tc_error_set("out of memory");
		rc = TC_ERROR;
		goto cleanup;
	}
	printf("%s\n", text);
cleanup:
	free(text);
	cJSON_Delete(root);
	free(share);
	tc_ring_table_free(t);
	tc_ring_desc_free(d);
	return rc;
}

int tc_cmd_ring(int argc, char **argv)
{
	const char *config = NULL, *file = NULL, *pos[1];
	const tc_arg_spec specs[] = {
		{ "config", 1, &config, "config whose compactor.ring names the store and key" },
		{ "file", 1, &file, "a ring value saved from etcd" },
	};
	char key[TC_CLI_RING_KEY_MAX];
	tc_buf value = TC_BUF_INIT;
	tc_config cfg;
	int64_t version;
	size_t npos;
	int rc = tc_args_parse(specs, 2, argc, argv, pos, 1, &npos, USAGE);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (npos != 1 || strcmp(pos[0], "dump") != 0 || (!config && !file)) {
		fprintf(stderr, "usage: %s\n", USAGE);
		return 2;
	}
	memset(&cfg, 0, sizeof(cfg));
	tc_buf_init(&value, TC_RING_MAX_VALUE_BYTES);
	rc = config ? tc_config_load_file(&cfg, config) : tc_config_default(&cfg);
	if (rc == TC_OK && (rc = tc_cli_ring_key(key, &cfg)) == TC_OK &&
	    (rc = read_value(&value, &version, file, &cfg, key)) == TC_OK)
		rc = dump(&value, version, key, cfg.compactor.ring.heartbeat_timeout_ns);
	tc_buf_dispose(&value);
	tc_config_dispose(&cfg);
	if (rc < 0) {
		fprintf(stderr, "ring dump: %s\n", tc_error_last());
		return rc == TC_EINVALID || rc == TC_EUNSUPPORTED ? 2 : 1;
	}
	return 0;
}
