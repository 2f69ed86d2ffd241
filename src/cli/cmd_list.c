/*
 * tempo-cli 1.5's listings, same names and columns:
 *   tracecompactor list blocks --tenant T [--include-compacted]
 *   tracecompactor list block --tenant T ID [--scan]
 *   tracecompactor list compaction-summary --tenant T
 *   tracecompactor list index --tenant T ID
 *   tracecompactor view index --tenant T ID
 * each with --path ROOT | --config FILE and --format text|json. The
 * compaction window is the config's (tempo-cli fixes it at 1h, our default).
 */
#include <stdlib.h>
#include <string.h>

#include "src/cli/args.h"
#include "src/cli/cli_util.h"
#include "src/cli/commands.h"
#include "encoding/block_reader.h"
#include "src/compactor/blocklist.h"
#include "src/compactor/selector.h"
#include "src/config/overrides.h"

static const char USAGE[] = "tracecompactor list blocks|block|compaction-summary|index (--path ROOT | --config FILE) "
			    "--tenant T [ID] [--include-compacted] [--scan] [--format text|json]";
static const char VIEW_USAGE[] = "tracecompactor view index (--path ROOT | --config FILE) --tenant T ID "
				 "[--format text|json]";

typedef struct list_ctx {
	tc_backend *be;
	tc_config cfg;
	const char *tenant;
	const char *block;
	int json, include_compacted, scan;
	tc_time now;
} list_ctx;

static void window_start(char out[TC_TIME_STR_MAX], const tc_meta *m, int64_t window_ns)
{
	int64_t w = tc_selector_window_of(&m->end, window_ns);
	tc_time t = tc_time_from_unix(w * (window_ns / 1000000000LL), 0);

	tc_cli_time(out, &t);
}

/* A block as the JSON listings give it: raw numbers, RFC 3339 times, seconds. */
static cJSON *block_json(const list_ctx *c, const tc_meta *m, int quarantined)
{
	cJSON *o = cJSON_CreateObject();
	char t[TC_TIME_STR_MAX];

	cJSON_AddStringToObject(o, "id", m->block_id);
	cJSON_AddNumberToObject(o, "level", m->level);
	cJSON_AddNumberToObject(o, "objects", (double)m->total_objects);
	cJSON_AddNumberToObject(o, "size", (double)m->size);
	cJSON_AddStringToObject(o, "encoding", tc_encoding_name(m->encoding));
	cJSON_AddStringToObject(o, "dataEncoding", m->data_encoding);
	cJSON_AddStringToObject(o, "version", m->format);
	window_start(t, m, c->cfg.compactor.compaction.compaction_window_ns);
	cJSON_AddStringToObject(o, "window", t);
	tc_time_format(t, &m->start);
	cJSON_AddStringToObject(o, "start", t);
	tc_time_format(t, &m->end);
	cJSON_AddStringToObject(o, "end", t);
	cJSON_AddNumberToObject(o, "durationSeconds", (double)(tc_cli_ns(&m->end) - tc_cli_ns(&m->start)) / 1e9);
	cJSON_AddNumberToObject(o, "ageSeconds", (double)(tc_cli_ns(&c->now) - tc_cli_ns(&m->end)) / 1e9);
	cJSON_AddNumberToObject(o, "totalRecords", m->total_records);
	cJSON_AddNumberToObject(o, "indexPageSize", m->index_page_size);
	cJSON_AddNumberToObject(o, "bloomShards", m->bloom_shards);
	cJSON_AddBoolToObject(o, "compacted", m->compacted);
	if (m->compacted) {
		tc_time_format(t, &m->compacted_time);
		cJSON_AddStringToObject(o, "compactedTime", t);
	}
	cJSON_AddBoolToObject(o, "quarantined", quarantined);
	return o;
}

static int by_end(const void *x, const void *y)
{
	const tc_meta *a = *(const tc_meta *const *)x, *b = *(const tc_meta *const *)y;
	int r = tc_time_cmp(&a->end, &b->end);

	return r ? r : strcmp(a->block_id, b->block_id);
}

/* The blocks tempo-cli lists: live ones (and compacted ones with --include-compacted), by endTime. */
static int sorted_blocks(const tc_meta ***out, size_t *n, const tc_blocklist *bl, int with_compacted)
{
	size_t total = bl->n_live + (with_compacted ? bl->n_compacted : 0), k = 0;

	*n = 0;
	if (!(*out = calloc(total ? total : 1, sizeof(**out)))) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	for (size_t i = 0; i < bl->n_live; i++)
		(*out)[k++] = &bl->live[i];
	for (size_t i = 0; with_compacted && i < bl->n_compacted; i++)
		(*out)[k++] = &bl->compacted[i];
	qsort(*out, k, sizeof(**out), by_end);
	*n = k;
	return TC_OK;
}

static int blocks_text(const list_ctx *c, const tc_meta **v, size_t n)
{
	const char *cols[] = { "id", "lvl", "objects", "size", "encoding", "vers", "window", "start", "end",
			       "duration", "age", "cmp" };
	size_t ncols = c->include_compacted ? 12 : 11;
	tc_cli_table *t = NULL;
	int64_t objects = 0;
	uint64_t bytes = 0;
	int rc;

	if ((rc = tc_cli_table_new(&t, ncols, cols)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == TC_OK; i++) {
		const tc_meta *m = v[i];
		char lvl[8], obj[24], size[24], win[TC_TIME_STR_MAX], start[TC_TIME_STR_MAX], end[TC_TIME_STR_MAX];
		char dur[40], age[40];
		snprintf(lvl, sizeof(lvl), "%u", (unsigned)m->level);
		snprintf(obj, sizeof(obj), "%lld", (long long)m->total_objects);
		tc_cli_bytes(size, sizeof(size), m->size);
		window_start(win, m, c->cfg.compactor.compaction.compaction_window_ns);
		tc_cli_time(start, &m->start);
		tc_cli_time(end, &m->end);
		tc_cli_since(dur, sizeof(dur), &m->start, &m->end);
		tc_cli_since(age, sizeof(age), &m->end, &c->now);
		const char *row[] = { m->block_id, lvl, obj, size, tc_encoding_name(m->encoding), m->format, win,
				      start, end, dur, age, m->compacted ? "Y" : "" };
		rc = tc_cli_table_add(t, row);
		objects += m->total_objects;
		bytes += m->size;
	}
	if (rc == TC_OK) {
		char obj[24], size[24];
		snprintf(obj, sizeof(obj), "%lld", (long long)objects);
		tc_cli_bytes(size, sizeof(size), bytes);
		const char *foot[] = { "total", "", obj, size, "", "", "", "", "", "", "", "" };
		if ((rc = tc_cli_table_add(t, foot)) == TC_OK) {
			printf("total blocks: %zu\n\n", n);
			tc_cli_table_print(stdout, t);
		}
	}
	tc_cli_table_free(t);
	return rc;
}

static int list_blocks(const list_ctx *c, const tc_blocklist *bl)
{
	const tc_meta **v = NULL;
	size_t n;
	int rc;

	if ((rc = sorted_blocks(&v, &n, bl, c->include_compacted)) < 0)
		return rc;
	if (!c->json) {
		rc = blocks_text(c, v, n);
	} else {
		cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "blocks"), *tot;
		int64_t objects = 0;
		uint64_t bytes = 0;
		cJSON_AddStringToObject(o, "tenant", c->tenant);
		for (size_t i = 0; i < n; i++) {
			cJSON_AddItemToArray(arr, block_json(c, v[i], tc_blocklist_is_quarantined(bl, v[i]->block_id)));
			objects += v[i]->total_objects;
			bytes += v[i]->size;
		}
		tot = cJSON_AddObjectToObject(o, "totals");
		cJSON_AddNumberToObject(tot, "blocks", (double)n);
		cJSON_AddNumberToObject(tot, "objects", (double)objects);
		cJSON_AddNumberToObject(tot, "size", (double)bytes);
		rc = tc_cli_print_json(o);
	}
	free(v);
	return rc;
}

typedef struct level_stats {
	unsigned level;
	size_t blocks;
	int64_t objects, objects_min, objects_max;
	uint64_t bytes, bytes_min, bytes_max;
	tc_time earliest, latest;
	unsigned long bloom_shards;
} level_stats;

/* tempo-cli's displayCompactionSummary: per level, over the live blocks. */
static int summarize(level_stats **out, size_t *n, const tc_blocklist *bl)
{
	level_stats *s = calloc(256, sizeof(*s));

	*n = 0;
	if (!(*out = s)) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	for (size_t i = 0; i < bl->n_live; i++) {
		const tc_meta *m = &bl->live[i];
		level_stats *l = &s[m->level];
		if (l->blocks == 0 || m->total_objects < l->objects_min)
			l->objects_min = m->total_objects;
		if (l->blocks == 0 || m->size < l->bytes_min)
			l->bytes_min = m->size;
		if (l->blocks == 0 || tc_time_cmp(&m->start, &l->earliest) < 0)
			l->earliest = m->start;
		if (l->blocks == 0 || tc_time_cmp(&m->end, &l->latest) > 0)
			l->latest = m->end;
		if (m->total_objects > l->objects_max)
			l->objects_max = m->total_objects;
		if (m->size > l->bytes_max)
			l->bytes_max = m->size;
		l->level = m->level;
		l->blocks++;
		l->objects += m->total_objects;
		l->bytes += m->size;
		l->bloom_shards += m->bloom_shards;
	}
	for (size_t i = 0; i < 256; i++)
		if (s[i].blocks)
			s[(*n)++] = s[i];
	return TC_OK;
}

static void objects_bytes(char *out, size_t outsz, int64_t objects, uint64_t bytes)
{
	char o[32], b[24];

	tc_cli_comma(o, sizeof(o), objects);
	tc_cli_bytes(b, sizeof(b), bytes);
	snprintf(out, outsz, "%s objects (%s)", o, b);
}

static int summary_text(const list_ctx *c, const level_stats *s, size_t n, size_t total)
{
	const char *cols[] = { "lvl", "blocks", "total", "smallest block", "largest block", "earliest", "latest",
			       "bloom shards" };
	tc_cli_table *t = NULL;
	int rc;

	if ((rc = tc_cli_table_new(&t, 8, cols)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == TC_OK; i++) {
		char lvl[8], blocks[48], tot[96], small[96], large[96], early[48], late[48], shards[24];
		snprintf(lvl, sizeof(lvl), "%u", s[i].level);
		snprintf(blocks, sizeof(blocks), "%zu (%zu %%)", s[i].blocks, s[i].blocks * 100 / total);
		objects_bytes(tot, sizeof(tot), s[i].objects, s[i].bytes);
		objects_bytes(small, sizeof(small), s[i].objects_min, s[i].bytes_min);
		objects_bytes(large, sizeof(large), s[i].objects_max, s[i].bytes_max);
		tc_cli_since(early, sizeof(early) - 4, &s[i].earliest, &c->now);
		strcat(early, " ago");
		tc_cli_since(late, sizeof(late) - 4, &s[i].latest, &c->now);
		strcat(late, " ago");
		snprintf(shards, sizeof(shards), "%lu", s[i].bloom_shards);
		const char *row[] = { lvl, blocks, tot, small, large, early, late, shards };
		rc = tc_cli_table_add(t, row);
	}
	if (rc == TC_OK) {
		printf("total blocks: %zu\n\nStats by compaction level:\n\n", total);
		tc_cli_table_print(stdout, t);
	}
	tc_cli_table_free(t);
	return rc;
}

static cJSON *summary_json(const list_ctx *c, const level_stats *s, size_t n, size_t total)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	char t[TC_TIME_STR_MAX];

	cJSON_AddStringToObject(o, "tenant", c->tenant);
	cJSON_AddNumberToObject(o, "blocks", (double)total);
	arr = cJSON_AddArrayToObject(o, "levels");
	for (size_t i = 0; i < n; i++) {
		cJSON *l = cJSON_CreateObject();
		cJSON_AddNumberToObject(l, "level", s[i].level);
		cJSON_AddNumberToObject(l, "blocks", (double)s[i].blocks);
		cJSON_AddNumberToObject(l, "blocksPercent", (double)(s[i].blocks * 100 / total));
		cJSON_AddNumberToObject(l, "objects", (double)s[i].objects);
		cJSON_AddNumberToObject(l, "objectsSmallest", (double)s[i].objects_min);
		cJSON_AddNumberToObject(l, "objectsLargest", (double)s[i].objects_max);
		cJSON_AddNumberToObject(l, "bytes", (double)s[i].bytes);
		cJSON_AddNumberToObject(l, "bytesSmallest", (double)s[i].bytes_min);
		cJSON_AddNumberToObject(l, "bytesLargest", (double)s[i].bytes_max);
		tc_time_format(t, &s[i].earliest);
		cJSON_AddStringToObject(l, "earliest", t);
		tc_time_format(t, &s[i].latest);
		cJSON_AddStringToObject(l, "latest", t);
		cJSON_AddNumberToObject(l, "bloomShards", (double)s[i].bloom_shards);
		cJSON_AddItemToArray(arr, l);
	}
	return o;
}

static int list_summary(const list_ctx *c, const tc_blocklist *bl)
{
	level_stats *s = NULL;
	size_t n = 0;
	int rc = summarize(&s, &n, bl);

	if (rc == TC_OK)
		rc = c->json ? tc_cli_print_json(summary_json(c, s, n, bl->n_live)) : summary_text(c, s, n, bl->n_live);
	free(s);
	return rc;
}

typedef struct scan_stats {
	uint64_t objects, duplicates, min_len, max_len;
	uint8_t min_id[TC_ID_LEN], max_id[TC_ID_LEN];
} scan_stats;

/* tempo-cli's --scan: every object read (bodies over 1 MiB skipped, not held). */
static int scan_block(scan_stats *st, const list_ctx *c, const tc_meta *m)
{
	tc_page_limits limits;
	tc_overrides *ov = NULL;
	tc_block_reader *r = NULL;
	tc_block_read_opts ro = { 0, &limits, 1u << 20 };
	uint8_t prev[TC_ID_LEN];
	tc_object o;
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = tc_overrides_new(&ov, &c->cfg)) < 0)
		return rc;
	tc_page_limits_from(&limits, &c->cfg.storage.block, tc_overrides_max_bytes_per_trace(ov, c->tenant));
	tc_overrides_free(ov);
	if ((rc = tc_block_reader_open(&r, c->be, m, &ro)) < 0)
		return rc;
	while ((rc = tc_block_reader_next(&o, r)) == 1) {
		/* The reader refuses IDs out of order, so a repeat would have failed the read. */
		if (st->objects > 0 && !memcmp(prev, o.id, TC_ID_LEN))
			st->duplicates++;
		memcpy(prev, o.id, TC_ID_LEN);
		if (st->objects == 0 || o.body_len < st->min_len) {
			st->min_len = o.body_len;
			memcpy(st->min_id, o.id, TC_ID_LEN);
		}
		if (o.body_len > st->max_len) {
			st->max_len = o.body_len;
			memcpy(st->max_id, o.id, TC_ID_LEN);
		}
		st->objects++;
	}
	tc_block_reader_free(r);
	return rc;
}

static void block_text(const list_ctx *c, const tc_meta *m, int quarantined)
{
	char t[TC_TIME_STR_MAX], b[40];

	printf("ID            :  %s\n", m->block_id);
	printf("Version       :  %s\n", m->format);
	printf("Total Objects :  %lld\n", (long long)m->total_objects);
	tc_cli_bytes(b, sizeof(b), m->size);
	printf("Data Size     :  %s\n", b);
	printf("Encoding      :  %s\n", tc_encoding_name(m->encoding));
	printf("Data Encoding :  %s\n", m->data_encoding);
	printf("Level         :  %u\n", (unsigned)m->level);
	window_start(t, m, c->cfg.compactor.compaction.compaction_window_ns);
	printf("Window        :  %s\n", t);
	tc_cli_time(t, &m->start);
	printf("Start         :  %s\n", t);
	tc_cli_time(t, &m->end);
	printf("End           :  %s\n", t);
	tc_cli_since(b, sizeof(b), &m->start, &m->end);
	printf("Duration      :  %s\n", b);
	tc_cli_since(b, sizeof(b), &m->end, &c->now);
	printf("Age           :  %s\n", b);
	printf("Records       :  %u (index page size %u)\n", m->total_records, m->index_page_size);
	printf("Bloom Shards  :  %u\n", (unsigned)m->bloom_shards);
	if (m->compacted) {
		tc_cli_time(t, &m->compacted_time);
		printf("State         :  compacted at %s\n", t);
	} else {
		printf("State         :  %s\n", quarantined ? "live, quarantined (nocompact.json)" : "live");
	}
}

static void scan_text(const scan_stats *st)
{
	char b[24], hex[2 * TC_ID_LEN + 1];

	printf("\nScanning results:\n");
	printf("Objects scanned :  %llu\n", (unsigned long long)st->objects);
	printf("Duplicates      :  %llu\n", (unsigned long long)st->duplicates);
	tc_cli_bytes(b, sizeof(b), st->min_len);
	tc_hex_encode(hex, st->min_id, TC_ID_LEN);
	printf("Smallest object :  %s  :  %s\n", b, hex);
	tc_cli_bytes(b, sizeof(b), st->max_len);
	tc_hex_encode(hex, st->max_id, TC_ID_LEN);
	printf("Largest object  :  %s  :  %s\n", b, hex);
}

static int quarantined_one(const list_ctx *c, const tc_meta *m)
{
	char key[TC_KEY_MAX];
	tc_stat st;

	return !m->compacted && tc_key_block(key, sizeof(key), c->tenant, m->block_id, TC_QUARANTINE_MARKER) == TC_OK &&
	       tc_backend_stat(&st, c->be, key) == TC_OK;
}

static int list_block(const list_ctx *c)
{
	tc_meta m;
	scan_stats st;
	int rc, q;

	if ((rc = tc_blocklist_read_meta(&m, c->be, c->tenant, c->block)) < 0)
		return rc;
	q = quarantined_one(c, &m);
	if (c->scan && (rc = scan_block(&st, c, &m)) < 0)
		return rc;
	if (!c->json) {
		block_text(c, &m, q);
		if (c->scan)
			scan_text(&st);
		return TC_OK;
	}
	cJSON *o = block_json(c, &m, q);
	if (c->scan) {
		char hex[2 * TC_ID_LEN + 1];
		cJSON *s = cJSON_AddObjectToObject(o, "scan");
		cJSON_AddNumberToObject(s, "objects", (double)st.objects);
		cJSON_AddNumberToObject(s, "duplicates", (double)st.duplicates);
		tc_hex_encode(hex, st.min_id, TC_ID_LEN);
		cJSON_AddStringToObject(s, "smallestID", hex);
		cJSON_AddNumberToObject(s, "smallestBytes", (double)st.min_len);
		tc_hex_encode(hex, st.max_id, TC_ID_LEN);
		cJSON_AddStringToObject(s, "largestID", hex);
		cJSON_AddNumberToObject(s, "largestBytes", (double)st.max_len);
	}
	return tc_cli_print_json(o);
}

static cJSON *record_json(const tc_record *r, size_t i)
{
	cJSON *o = cJSON_CreateObject();
	char hex[2 * TC_ID_LEN + 1];

	cJSON_AddNumberToObject(o, "entry", (double)i);
	tc_hex_encode(hex, r->id, TC_ID_LEN);
	cJSON_AddStringToObject(o, "id", hex);
	cJSON_AddNumberToObject(o, "start", (double)r->start);
	cJSON_AddNumberToObject(o, "length", r->length);
	return o;
}

/* `list index` (count, smallest and largest record by length) or `view index` (every record). */
static int index_cmd(const list_ctx *c, int view)
{
	tc_record *recs = NULL;
	tc_meta m;
	size_t n, lo = 0, hi = 0;
	char hex[2 * TC_ID_LEN + 1];
	int rc;

	if ((rc = tc_blocklist_read_meta(&m, c->be, c->tenant, c->block)) < 0 ||
	    (rc = tc_block_read_index(&recs, c->be, &m)) < 0)
		return rc;
	n = m.total_records;
	for (size_t i = 1; i < n; i++) {
		if (recs[i].length < recs[lo].length)
			lo = i;
		if (recs[i].length > recs[hi].length)
			hi = i;
	}
	if (c->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "block", m.block_id);
		cJSON_AddNumberToObject(o, "entries", (double)n);
		if (view) {
			cJSON *arr = cJSON_AddArrayToObject(o, "records");
			for (size_t i = 0; i < n; i++)
				cJSON_AddItemToArray(arr, record_json(&recs[i], i));
		} else if (n > 0) {
			cJSON_AddItemToObject(o, "min", record_json(&recs[lo], lo));
			cJSON_AddItemToObject(o, "max", record_json(&recs[hi], hi));
		}
		rc = tc_cli_print_json(o);
	} else if (view) {
		for (size_t i = 0; i < n; i++) {
			tc_hex_encode(hex, recs[i].id, TC_ID_LEN);
			printf("Index entry: %10zu     ID: %s     Start: %10llu     Length: %10u\n", i, hex,
			       (unsigned long long)recs[i].start, recs[i].length);
		}
	} else {
		printf("Index entries: %zu\n", n);
		for (int k = 0; k < 2 && n > 0; k++) {
			const tc_record *r = &recs[k ? hi : lo];
			tc_hex_encode(hex, r->id, TC_ID_LEN);
			printf("%s record: ID:%s Start:%llu Length:%u\n", k ? "Max" : "Min", hex,
			       (unsigned long long)r->start, r->length);
		}
	}
	free(recs);
	return rc;
}

/* The subcommand named by pos[0]: "blocks", "block", "compaction-summary", "index", or "view-index". */
static const char *subcommand(const char *first, int view)
{
	static const char *const whats[] = { "blocks", "block", "compaction-summary", "index" };

	if (view)
		return !strcmp(first, "index") ? "view-index" : NULL;
	for (size_t k = 0; k < sizeof(whats) / sizeof(whats[0]); k++)
		if (!strcmp(first, whats[k]))
			return whats[k];
	return NULL;
}

static int run(const char *cmd, int view, int argc, char **argv, const char *usage)
{
	const char *path = NULL, *config = NULL, *tenant = NULL, *incl = NULL, *scan = NULL, *format = NULL;
	const char *pos[3], *what;
	const tc_arg_spec specs[] = {
		{ "path", 1, &path, "root of a local bucket" },
		{ "config", 1, &config, "use the backend of this config (storage.trace.*)" },
		{ "tenant", 1, &tenant, "tenant ID" },
		{ "include-compacted", 0, &incl, "list blocks: include compacted blocks" },
		{ "scan", 0, &scan, "list block: read every object (count, smallest, largest)" },
		{ "format", 1, &format, "text (default) or json" },
	};
	list_ctx c;
	tc_blocklist bl = TC_BLOCKLIST_INIT;
	size_t npos;
	int needs_id, rc = tc_args_parse(specs, 6, argc, argv, pos, 3, &npos, usage), status;

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	what = npos > 0 ? subcommand(pos[0], view) : NULL;
	needs_id = what && (!strcmp(what, "block") || !strcmp(what, "index") || !strcmp(what, "view-index"));
	if (!what || (size_t)(needs_id ? 2 : 1) != npos || (!path && !config) || !tenant) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	memset(&c, 0, sizeof(c));
	if ((c.json = tc_cli_format_json(cmd, format)) < 0)
		return 2;
	c.tenant = tenant;
	c.block = needs_id ? pos[1] : NULL;
	c.include_compacted = incl != NULL;
	c.scan = scan != NULL;
	c.now = tc_time_now();
	if ((status = tc_cli_open_checked(&c.be, &c.cfg, cmd, path, config, tenant, c.block)) != 0)
		goto cleanup;
	if (!strcmp(what, "blocks") || !strcmp(what, "compaction-summary")) {
		rc = tc_blocklist_read_tenant(&bl, c.be, tenant);
		if (rc == TC_OK)
			rc = !strcmp(what, "blocks") ? list_blocks(&c, &bl) : list_summary(&c, &bl);
	} else if (!strcmp(what, "block")) {
		rc = list_block(&c);
	} else {
		rc = index_cmd(&c, view);
	}
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", cmd, tc_error_last());
		status = 1;
	}
cleanup:
	tc_blocklist_dispose(&bl);
	tc_backend_free(c.be);
	tc_config_dispose(&c.cfg);
	return status;
}

int tc_cmd_list(int argc, char **argv)
{
	return run("list", 0, argc, argv, USAGE);
}

int tc_cmd_view(int argc, char **argv)
{
	return run("view", 1, argc, argv, VIEW_USAGE);
}
