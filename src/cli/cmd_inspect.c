/*
 * tracecompactor inspect BLOCK_DIR: reads a block the way the compactor
 * does, plus a full walk of every body and a bloom test of every ID.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/args.h"
#include "src/cli/commands.h"
#include "encoding/block_reader.h"
#include "encoding/bloom.h"
#include "encoding/trace.h"
#include "src/compactor/blocklist.h"
#include "src/config/config.h"
#include "src/config/overrides.h"

static const char USAGE[] = "tracecompactor inspect [--ids] [--config FILE] BLOCK_DIR";

typedef struct blooms {
	tc_buf *files;
	uint16_t n;
	char keys[TC_BLOOM_MAX_SHARDS][32];
} blooms;

static int load_blooms(blooms *b, tc_backend *be, const tc_meta *m)
{
	b->n = m->bloom_shards ? m->bloom_shards : TC_BLOOM_LEGACY_SHARDS;
	b->files = calloc(b->n, sizeof(tc_buf));
	if (!b->files) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	for (uint16_t i = 0; i < b->n; i++) {
		char key[TC_KEY_MAX], name[16];
		int rc;
		snprintf(name, sizeof(name), "bloom-%u", (unsigned)i);
		tc_buf_init(&b->files[i], 256u << 20);
		if ((rc = tc_key_block(key, sizeof(key), m->tenant, m->block_id, name)) < 0 ||
		    (rc = tc_backend_read(&b->files[i], be, key)) < 0)
			return rc;
	}
	return TC_OK;
}

static void free_blooms(blooms *b)
{
	for (uint16_t i = 0; b->files && i < b->n; i++)
		tc_buf_dispose(&b->files[i]);
	free(b->files);
}

static int check_object(const tc_object *o, const tc_meta *m, const blooms *b, uint64_t *spans)
{
	char key[TC_KEY_MAX], name[16], hex[2 * TC_ID_LEN + 1];
	uint16_t shard = tc_bloom_shard_of(o->id, o->id_len, m->bloom_shards);
	int present = 0, rc;
	size_t n = 0;

	tc_hex_encode(hex, o->id, o->id_len);
	snprintf(name, sizeof(name), "bloom-%u", (unsigned)shard);
	tc_key_block(key, sizeof(key), m->tenant, m->block_id, name);
	tc_where w = { key, 0 };
	if ((rc = tc_bloom_file_test(&present, b->files[shard].ptr, b->files[shard].len, o->id, o->id_len, &w)) < 0)
		return rc;
	if (!present) {
		tc_error_set("%s: trace %s is missing from the bloom filter", key, hex);
		return TC_ECORRUPT;
	}
	tc_key_block(key, sizeof(key), m->tenant, m->block_id, "data");
	char what[TC_KEY_MAX + 64];
	snprintf(what, sizeof(what), "%s: trace %s", key, hex);
	tc_where tw = { what, 0 };
	if ((rc = tc_trace_validate(&n, tc_data_kind_of(m->data_encoding), o->body, o->body_len, &tw)) < 0)
		return rc;
	*spans += n;
	return TC_OK;
}

/*
 * The pages' caps: the config's limits (defaults without one) and the
 * tenant's max_bytes_per_trace, overrides file included.
 */
static int page_limits(tc_page_limits *out, const char *config, const char *tenant)
{
	tc_config cfg;
	tc_overrides *ov = NULL;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	if ((rc = config ? tc_config_load_file(&cfg, config) : tc_config_default(&cfg)) == TC_OK &&
	    (rc = tc_overrides_new(&ov, &cfg)) == TC_OK)
		tc_page_limits_from(out, &cfg.storage.block, tc_overrides_max_bytes_per_trace(ov, tenant));
	tc_overrides_free(ov);
	tc_config_dispose(&cfg);
	return rc;
}

static int inspect(tc_backend *be, const char *tenant, const char *block, int print_ids,
		   const tc_page_limits *limits)
{
	tc_block_read_opts ro = { 0, limits, 0 };
	tc_meta m;
	blooms b = { 0 };
	tc_block_reader *r = NULL;
	tc_object o;
	uint64_t spans = 0, pages, bytes;
	char start[TC_TIME_STR_MAX], end[TC_TIME_STR_MAX];
	int rc;

	if ((rc = tc_blocklist_read_meta(&m, be, tenant, block)) < 0 || (rc = load_blooms(&b, be, &m)) < 0 ||
	    (rc = tc_block_reader_open(&r, be, &m, &ro)) < 0)
		goto cleanup;
	while ((rc = tc_block_reader_next(&o, r)) == 1) {
		if ((rc = check_object(&o, &m, &b, &spans)) < 0)
			goto cleanup;
		if (print_ids) {
			char hex[2 * TC_ID_LEN + 1];
			tc_hex_encode(hex, o.id, o.id_len);
			printf("id=%s\n", hex);
		}
	}
	if (rc < 0)
		goto cleanup;
	tc_block_reader_progress(&pages, &bytes, r);
	tc_time_format(start, &m.start);
	tc_time_format(end, &m.end);
	printf("block=%s tenant=%s state=%s format=%s encoding=%s dataEncoding=%s level=%u\n", m.block_id,
	       m.tenant, m.compacted ? "compacted" : "live", m.format, tc_encoding_name(m.encoding),
	       m.data_encoding, (unsigned)m.level);
	printf("objects=%lld spans=%llu pages=%llu size=%llu indexPageSize=%u bloomShards=%u\n",
	       (long long)m.total_objects, (unsigned long long)spans, (unsigned long long)pages,
	       (unsigned long long)m.size, m.index_page_size, (unsigned)b.n);
	printf("startTime=%s endTime=%s\nok\n", start, end);
cleanup:
	tc_block_reader_free(r);
	free_blooms(&b);
	return rc;
}

int tc_cmd_inspect(int argc, char **argv)
{
	const char *pos[1], *ids = NULL, *config = NULL;
	const tc_arg_spec specs[] = {
		{ "ids", 0, &ids, "also print every trace ID" },
		{ "config", 1, &config, "read pages within this config's caps (storage.trace.block.*, overrides)" },
	};
	tc_page_limits limits;
	char path[PATH_MAX], blockdir[PATH_MAX], tenantdir[PATH_MAX], root[PATH_MAX];
	char block[PATH_MAX], tenant[PATH_MAX];
	tc_backend *be = NULL;
	size_t npos;
	int rc = tc_args_parse(specs, 2, argc, argv, pos, 1, &npos, USAGE);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (npos != 1) {
		fprintf(stderr, "usage: %s\n", USAGE);
		return 2;
	}
	if (!realpath(pos[0], path)) {
		if (errno == ENOENT)
			fprintf(stderr, "inspect: path \"%s\" does not exist\n", pos[0]);
		else
			fprintf(stderr, "inspect: %s: %s\n", pos[0], strerror(errno));
		return 1;
	}
	snprintf(blockdir, sizeof(blockdir), "%s", path);
	snprintf(block, sizeof(block), "%s", basename(blockdir));
	snprintf(blockdir, sizeof(blockdir), "%s", path);
	snprintf(tenantdir, sizeof(tenantdir), "%s", dirname(blockdir));
	snprintf(root, sizeof(root), "%s", tenantdir);
	snprintf(tenant, sizeof(tenant), "%s", basename(root));
	snprintf(root, sizeof(root), "%s", dirname(tenantdir));
	if (!tc_uuid_is_valid(block) || tc_tenant_validate(tenant) < 0) {
		fprintf(stderr, "inspect: %s is not a <tenant>/<block-uuid> directory\n", pos[0]);
		return 2;
	}
	if ((rc = page_limits(&limits, config, tenant)) == TC_OK &&
	    (rc = tc_backend_local_new(&be, root)) == TC_OK)
		rc = inspect(be, tenant, block, ids != NULL, &limits);
	if (rc < 0)
		fprintf(stderr, "inspect: %s\n", tc_error_last());
	tc_backend_free(be);
	return rc < 0 ? 1 : 0;
}
