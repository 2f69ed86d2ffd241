/*
 * tracecompactor block <sub> (--path ROOT | --config FILE) --tenant T [ID]:
 *   list                                  the tenant's blocks, one line each
 *   mark ID --no-compact --reason TEXT    set a block aside: the quarantine
 *                                         marker the service writes
 *   unquarantine ID                       remove that marker
 *   rebuild-index ID                      tempo-cli gen index: the index
 *                                         made again from the data file
 *   rebuild-bloom ID [--bloom-fp F] [--bloom-shard-size N]
 *                                         tempo-cli gen bloom
 * A rebuilt file is written only if it differs from the stored one, each
 * with one tc_backend_write (local: temporary file, fsync, rename; S3: one
 * PUT), so a reader sees the old file or the new one, never a mix; then
 * the block is verified as inspect verifies it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/args.h"
#include "src/cli/cli_util.h"
#include "src/cli/commands.h"
#include "encoding/block_rebuild.h"
#include "encoding/block_verify.h"
#include "encoding/bloom.h"
#include "src/compactor/blocklist.h"
#include "src/config/overrides.h"
#include "src/util/utf8.h"

static const char USAGE[] = "tracecompactor block list|mark|unquarantine|rebuild-index|rebuild-bloom "
			    "(--path ROOT | --config FILE) --tenant T [BLOCK_ID] [--no-compact --reason TEXT] "
			    "[--bloom-fp F] [--bloom-shard-size N] [--format text|json]";

#define REASON_MAX 1024

typedef struct block_ctx {
	tc_backend *be;
	tc_config cfg;
	const char *tenant, *id;
} block_ctx;

static void print_meta(const char *state, const tc_meta *m)
{
	char start[TC_TIME_STR_MAX], end[TC_TIME_STR_MAX];

	tc_time_format(start, &m->start);
	tc_time_format(end, &m->end);
	printf("%s %s level=%u objects=%lld size=%llu start=%s end=%s\n", state, m->block_id, (unsigned)m->level,
	       (long long)m->total_objects, (unsigned long long)m->size, start, end);
}

static cJSON *meta_json(const char *state, const tc_meta *m)
{
	cJSON *o = cJSON_CreateObject();
	char t[TC_TIME_STR_MAX];

	cJSON_AddStringToObject(o, "id", m->block_id);
	cJSON_AddStringToObject(o, "state", state);
	cJSON_AddNumberToObject(o, "level", m->level);
	cJSON_AddNumberToObject(o, "objects", (double)m->total_objects);
	cJSON_AddNumberToObject(o, "size", (double)m->size);
	tc_time_format(t, &m->start);
	cJSON_AddStringToObject(o, "start", t);
	tc_time_format(t, &m->end);
	cJSON_AddStringToObject(o, "end", t);
	return o;
}

static int list(const block_ctx *c, int json)
{
	tc_blocklist bl;
	cJSON *arr = json ? cJSON_CreateArray() : NULL;
	int rc = tc_blocklist_read_tenant(&bl, c->be, c->tenant);

	if (rc < 0) {
		cJSON_Delete(arr);
		return rc;
	}
	for (size_t i = 0; i < bl.n_live; i++) {
		const char *state = tc_blocklist_is_quarantined(&bl, bl.live[i].block_id) ? "quarantined" : "live";
		if (json)
			cJSON_AddItemToArray(arr, meta_json(state, &bl.live[i]));
		else
			print_meta(state, &bl.live[i]);
	}
	for (size_t i = 0; i < bl.n_compacted; i++) {
		if (json)
			cJSON_AddItemToArray(arr, meta_json("compacted", &bl.compacted[i]));
		else
			print_meta("compacted", &bl.compacted[i]);
	}
	for (size_t i = 0; i < bl.partial.n; i++) {
		if (json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "id", bl.partial.items[i]);
			cJSON_AddStringToObject(o, "state", "partial");
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("partial %s\n", bl.partial.items[i]);
		}
	}
	tc_blocklist_dispose(&bl);
	return json ? tc_cli_print_json(arr) : TC_OK;
}

/* The marker the service writes when it quarantines a block, with the operator's reason. */
static int mark(const block_ctx *c, const char *reason)
{
	tc_meta m;
	int rc;

	if ((rc = tc_blocklist_read_meta(&m, c->be, c->tenant, c->id)) < 0)
		return rc;
	if (m.compacted) {
		tc_error_set("block %s/%s is compacted: nothing will compact it again", c->tenant, c->id);
		return TC_EINVALID;
	}
	if ((rc = tc_blocklist_quarantine(c->be, c->tenant, c->id, reason, "")) == TC_OK)
		printf("marked no-compact tenant=%s block=%s reason=%s\n", c->tenant, c->id,
		       tc_utf8_printable(reason, 200));
	return rc;
}

/* Writes name unless the stored object already holds exactly these bytes. */
static int put_if_changed(const block_ctx *c, const char *name, const tc_buf *b)
{
	char key[TC_KEY_MAX];
	tc_buf old = TC_BUF_INIT;
	int rc, same;

	if ((rc = tc_key_block(key, sizeof(key), c->tenant, c->id, name)) < 0)
		return rc;
	tc_buf_init(&old, b->len + 1); /* a larger stored file differs anyway: TC_ELIMIT */
	rc = tc_backend_read(&old, c->be, key);
	same = rc == TC_OK && old.len == b->len && !memcmp(old.ptr, b->ptr, b->len);
	tc_buf_dispose(&old);
	if (rc < 0 && rc != TC_ENOTFOUND && rc != TC_ELIMIT)
		return rc;
	if (same) {
		printf("%s unchanged (%zu bytes, identical to the stored file)\n", key, b->len);
		return TC_OK;
	}
	if ((rc = tc_backend_write(c->be, key, b->ptr, b->len)) == TC_OK)
		printf("%s written (%zu bytes)\n", key, b->len);
	return rc;
}

/*
 * Shard count alone does not pin the bytes: a stored bloom-0 that parses
 * says the shard size (m) and hash count (k) the block was written with.
 */
static int check_bloom_params(const block_ctx *c, const tc_buf *made)
{
	char key[TC_KEY_MAX];
	tc_buf old = TC_BUF_INIT;
	uint64_t m0, k0, m1, k1;
	int rc;

	if ((rc = tc_key_block(key, sizeof(key), c->tenant, c->id, "bloom-0")) < 0)
		return rc;
	tc_buf_init(&old, 256u << 20);
	rc = tc_backend_read(&old, c->be, key);
	if (rc == TC_OK && tc_bloom_file_params(&m0, &k0, old.ptr, old.len, &(tc_where){ key, 0 }) == TC_OK &&
	    tc_bloom_file_params(&m1, &k1, made->ptr, made->len, &(tc_where){ "rebuilt bloom-0", 0 }) == TC_OK &&
	    (m0 != m1 || k0 != k1)) {
		tc_error_set("%s has shards of %llu bytes with k=%llu but these settings give %llu bytes and "
			     "k=%llu: pass --bloom-shard-size %llu (and the false positive rate the block was "
			     "written with)", key, (unsigned long long)(m0 / 8), (unsigned long long)k0,
			     (unsigned long long)(m1 / 8), (unsigned long long)k1, (unsigned long long)(m0 / 8));
		rc = TC_EINVALID;
	} else {
		rc = TC_OK; /* none stored, or unreadable: that is what the rebuild is for */
	}
	tc_buf_dispose(&old);
	return rc;
}

/* Every object read through the index, with the reader's checks of index against data and meta. */
static int read_through_index(tc_block_verify_stats *st, tc_backend *be, const tc_meta *m,
			      const tc_block_read_opts *ro)
{
	tc_block_read_opts o = *ro;
	tc_block_reader *r = NULL;
	tc_object obj;
	uint64_t bytes;
	int rc;

	memset(st, 0, sizeof(*st));
	o.defer_objects_over = 1u << 20; /* bodies are not looked at: large ones are skipped unread */
	if ((rc = tc_block_reader_open(&r, be, m, &o)) < 0)
		return rc;
	while ((rc = tc_block_reader_next(&obj, r)) == 1)
		st->objects++;
	tc_block_reader_progress(&st->pages, &bytes, r);
	tc_block_reader_free(r);
	return rc;
}

static int rebuild(const block_ctx *c, int bloom, const char *fp_s, const char *shard_s)
{
	double fp = c->cfg.storage.block.bloom_fp;
	unsigned long shard = c->cfg.storage.block.bloom_shard_size_bytes;
	tc_page_limits limits;
	tc_overrides *ov = NULL;
	tc_buf index = TC_BUF_INIT, *shards = NULL;
	tc_block_verify_stats st;
	tc_block_read_opts ro = { 0, &limits, 0 };
	uint16_t n = 0;
	tc_meta m;
	char *end;
	int rc;

	if (fp_s && (fp = strtod(fp_s, &end), *end || !(fp > 0 && fp < 1))) {
		tc_error_set("--bloom-fp must be a number between 0 and 1, not \"%s\"", tc_utf8_printable(fp_s, 32));
		return TC_EINVALID;
	}
	if (shard_s && (shard = strtoul(shard_s, &end, 10), *end || shard == 0 || shard > (1ul << 30))) {
		tc_error_set("--bloom-shard-size must be a byte count, not \"%s\"", tc_utf8_printable(shard_s, 32));
		return TC_EINVALID;
	}
	if ((rc = tc_blocklist_read_meta(&m, c->be, c->tenant, c->id)) < 0 || (rc = tc_overrides_new(&ov, &c->cfg)) < 0)
		return rc;
	tc_page_limits_from(&limits, &c->cfg.storage.block, tc_overrides_max_bytes_per_trace(ov, c->tenant));
	tc_overrides_free(ov);
	if (!bloom) {
		if ((rc = tc_block_rebuild_index(&index, c->be, &m, &limits)) == TC_OK)
			rc = put_if_changed(c, "index", &index);
	} else if ((rc = tc_block_rebuild_bloom(&shards, &n, c->be, &m, &limits, fp, (uint32_t)shard)) == TC_OK &&
		   (rc = check_bloom_params(c, &shards[0])) == TC_OK) {
		for (uint16_t i = 0; i < n && rc == TC_OK; i++) {
			char name[16];
			snprintf(name, sizeof(name), "bloom-%u", (unsigned)i);
			rc = put_if_changed(c, name, &shards[i]);
		}
	}
	tc_buf_dispose(&index);
	tc_block_rebuild_bloom_free(shards, n);
	if (rc < 0)
		return rc;
	/*
	 * What tempo-cli does next: read the block back through what was
	 * written. The index alone (the bloom may be the next thing to
	 * rebuild); the bloom with everything else, the index included.
	 */
	if (!bloom) {
		if ((rc = read_through_index(&st, c->be, &m, &ro)) == TC_OK)
			printf("index verified: %llu objects, %llu pages read through it\n",
			       (unsigned long long)st.objects, (unsigned long long)st.pages);
	} else if ((rc = tc_block_verify(&st, c->be, &m, &ro, NULL, NULL)) == TC_OK) {
		printf("bloom verified: %llu objects, each found in its bloom shard of %u\n",
		       (unsigned long long)st.objects, (unsigned)st.bloom_shards);
	}
	return rc;
}

int tc_cmd_block(int argc, char **argv)
{
	const char *path = NULL, *tenant = NULL, *config = NULL, *nocompact = NULL, *reason = NULL;
	const char *fp = NULL, *shard = NULL, *format = NULL, *pos[2], *sub;
	const tc_arg_spec specs[] = {
		{ "path", 1, &path, "root of a local bucket" },
		{ "config", 1, &config, "use the backend of this config (storage.trace.*)" },
		{ "tenant", 1, &tenant, "tenant ID" },
		{ "no-compact", 0, &nocompact, "mark: the no-compact (quarantine) marker, the only kind" },
		{ "reason", 1, &reason, "mark: why, kept in the marker" },
		{ "bloom-fp", 1, &fp, "rebuild-bloom: false positive rate (default storage.trace.block's)" },
		{ "bloom-shard-size", 1, &shard, "rebuild-bloom: shard size in bytes (default storage.trace.block's)" },
		{ "format", 1, &format, "list: text (default) or json" },
	};
	block_ctx c;
	size_t npos;
	int json, status, rc = tc_args_parse(specs, 8, argc, argv, pos, 2, &npos, USAGE);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	sub = npos > 0 ? pos[0] : "";
	if (!((npos == 1 && !strcmp(sub, "list")) ||
	      (npos == 2 && (!strcmp(sub, "mark") || !strcmp(sub, "unquarantine") || !strcmp(sub, "rebuild-index") ||
			     !strcmp(sub, "rebuild-bloom")))) ||
	    (!path && !config) || !tenant) {
		fprintf(stderr, "usage: %s\n", USAGE);
		return 2;
	}
	if (!strcmp(sub, "mark") && (!nocompact || !reason || !*reason || strlen(reason) > REASON_MAX)) {
		fprintf(stderr, "block mark: --no-compact and a --reason of 1 to %d bytes are required\n", REASON_MAX);
		return 2;
	}
	if ((json = tc_cli_format_json("block", format)) < 0)
		return 2;
	memset(&c, 0, sizeof(c));
	c.tenant = tenant;
	c.id = npos == 2 ? pos[1] : NULL;
	if ((status = tc_cli_open_checked(&c.be, &c.cfg, "block", path, config, tenant, c.id)) != 0)
		goto cleanup;
	if (!strcmp(sub, "list"))
		rc = list(&c, json);
	else if (!strcmp(sub, "mark"))
		rc = mark(&c, reason);
	else if (!strcmp(sub, "unquarantine"))
		rc = tc_blocklist_unquarantine(c.be, tenant, c.id);
	else
		rc = rebuild(&c, !strcmp(sub, "rebuild-bloom"), fp, shard);
	if (rc < 0) {
		fprintf(stderr, "block %s: %s\n", sub, tc_error_last());
		status = rc == TC_EINVALID ? 2 : 1;
	} else if (!strcmp(sub, "unquarantine")) {
		printf("unquarantined tenant=%s block=%s\n", tenant, c.id);
	}
cleanup:
	tc_backend_free(c.be);
	tc_config_dispose(&c.cfg);
	return status;
}
