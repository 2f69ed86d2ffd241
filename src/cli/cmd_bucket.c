/*
 * tracecompactor bucket verify (--path ROOT | --config FILE) [--tenant T]
 *     [--grace D] [--format text|json]
 *
 * Like `thanos tools bucket verify`: every block of every tenant (or of
 * one) is checked as `inspect` checks one (tc_block_verify: meta, index
 * length and checksums, every ID against its bloom shard, every page and
 * body), blocks of one level and compaction window whose time ranges
 * overlap are reported (the compactor has not merged them yet), and so are
 * blocks without a meta that nothing has written to for longer than the
 * grace (what the poller removes; default partial_block_grace). Exit 1 if
 * any block is damaged; overlaps and stale partial blocks are findings,
 * not damage.
 */
#include <stdlib.h>
#include <string.h>

#include "src/cli/args.h"
#include "src/cli/cli_util.h"
#include "src/cli/commands.h"
#include "encoding/block_verify.h"
#include "src/compactor/blocklist.h"
#include "src/compactor/selector.h"
#include "src/config/overrides.h"
#include "src/util/array.h"
#include "src/util/log.h"

static const char USAGE[] = "tracecompactor bucket verify (--path ROOT | --config FILE) [--tenant T] [--grace D] "
			    "[--format text|json]";

typedef struct counts {
	size_t tenants, blocks, ok, damaged, compacted, partial, stale_partial, skipped, overlaps;
} counts;

typedef struct verify {
	tc_backend *be;
	tc_config cfg;
	tc_overrides *ov;
	int64_t grace_ns;
	int json;
	tc_time now;
	counts n;
	cJSON *blocks, *overlaps; /* --format json */
} verify;

/* One block's line (text) or object (json); err NULL when it passed. */
static void report(verify *v, const char *tenant, const char *block, const char *status, const tc_meta *m,
		   const tc_block_verify_stats *st, const char *err)
{
	if (v->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "tenant", tenant);
		cJSON_AddStringToObject(o, "block", block);
		cJSON_AddStringToObject(o, "status", status);
		if (m) {
			cJSON_AddNumberToObject(o, "level", m->level);
			cJSON_AddBoolToObject(o, "compacted", m->compacted);
		}
		if (st) {
			cJSON_AddNumberToObject(o, "objects", (double)st->objects);
			cJSON_AddNumberToObject(o, "pages", (double)st->pages);
			cJSON_AddNumberToObject(o, "bloomShards", st->bloom_shards);
		}
		if (err)
			cJSON_AddStringToObject(o, "error", err);
		cJSON_AddItemToArray(v->blocks, o);
		return;
	}
	printf("tenant=%s block=%s status=%s", tenant, tc_log_q(block), status);
	if (m)
		printf(" level=%u compacted=%s", (unsigned)m->level, m->compacted ? "true" : "false");
	if (st)
		printf(" objects=%llu pages=%llu bloom_shards=%u", (unsigned long long)st->objects,
		       (unsigned long long)st->pages, (unsigned)st->bloom_shards);
	if (err)
		printf(" err=%s", tc_log_q(err));
	putchar('\n');
}

static void check_partial(verify *v, const char *tenant, const char *block)
{
	int64_t newest = 0, age;
	char why[160], d[48], g[48];

	v->n.partial++;
	if (tc_blocklist_newest_mtime(&newest, v->be, tenant, block) < 0) {
		report(v, tenant, block, "partial", NULL, NULL, tc_error_last());
		return;
	}
	age = tc_cli_ns(&v->now) - newest;
	tc_duration_format(d, sizeof(d), age - age % 1000000000LL);
	tc_duration_format(g, sizeof(g), v->grace_ns);
	if (age > v->grace_ns) {
		v->n.stale_partial++;
		snprintf(why, sizeof(why), "no meta, last written %s ago (grace %s): left by a writer that died", d, g);
		report(v, tenant, block, "stale-partial", NULL, NULL, why);
	} else {
		snprintf(why, sizeof(why), "no meta, last written %s ago (grace %s): may still be being written", d, g);
		report(v, tenant, block, "partial", NULL, NULL, why);
	}
}

/* Verifies one block; a readable meta is appended to metas for the overlap check. */
static int check_block(verify *v, const char *tenant, const char *block, tc_meta **metas, size_t *n, size_t *cap)
{
	tc_page_limits limits;
	tc_block_read_opts ro = { 0, &limits, 0 };
	tc_block_verify_stats st;
	tc_meta m;
	int rc;

	v->n.blocks++;
	rc = tc_blocklist_read_meta(&m, v->be, tenant, block);
	if (rc == TC_ENOTFOUND) {
		check_partial(v, tenant, block);
		return TC_OK;
	}
	if (rc < 0) {
		v->n.damaged++;
		report(v, tenant, block, "damaged", NULL, NULL, tc_error_last());
		return TC_OK;
	}
	tc_page_limits_from(&limits, &v->cfg.storage.block, tc_overrides_max_bytes_per_trace(v->ov, tenant));
	if ((rc = tc_block_verify(&st, v->be, &m, &ro, NULL, NULL)) < 0) {
		v->n.damaged++;
		report(v, tenant, block, "damaged", &m, NULL, tc_error_last());
	} else {
		v->n.ok++;
		report(v, tenant, block, "ok", &m, &st, NULL);
	}
	if (m.compacted) {
		v->n.compacted++;
		return TC_OK;
	}
	if ((rc = tc_array_reserve(*metas, *cap, *n + 1, 0)) < 0)
		return rc;
	(*metas)[(*n)++] = m;
	return TC_OK;
}

typedef struct span {
	const tc_meta *m;
	int64_t window, lo, hi; /* the time range, however start and end are ordered */
} span;

static int span_cmp(const void *x, const void *y)
{
	const span *a = x, *b = y;

	if (a->m->level != b->m->level)
		return a->m->level < b->m->level ? -1 : 1;
	if (a->window != b->window)
		return a->window < b->window ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return strcmp(a->m->block_id, b->m->block_id);
}

static void report_overlap(verify *v, const char *tenant, const span *s, size_t n)
{
	char w[TC_TIME_STR_MAX];
	tc_time ws = tc_time_from_unix(s[0].window * (v->cfg.compactor.compaction.compaction_window_ns / 1000000000LL), 0);

	v->n.overlaps++;
	tc_cli_time(w, &ws);
	if (v->json) {
		cJSON *o = cJSON_CreateObject(), *ids;
		cJSON_AddStringToObject(o, "tenant", tenant);
		cJSON_AddNumberToObject(o, "level", s[0].m->level);
		cJSON_AddStringToObject(o, "window", w);
		ids = cJSON_AddArrayToObject(o, "blocks");
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(ids, cJSON_CreateString(s[i].m->block_id));
		cJSON_AddItemToArray(v->overlaps, o);
		return;
	}
	printf("overlap tenant=%s level=%u window=%s blocks=", tenant, (unsigned)s[0].m->level, w);
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? "," : "", s[i].m->block_id);
	putchar('\n');
}

/* Live blocks of one level and window whose time ranges overlap, as groups. */
static int check_overlaps(verify *v, const char *tenant, const tc_meta *metas, size_t n)
{
	span *s = calloc(n ? n : 1, sizeof(*s));
	int64_t reach = 0;

	if (!s) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t a = tc_cli_ns(&metas[i].start), b = tc_cli_ns(&metas[i].end);
		s[i] = (span){ &metas[i], tc_selector_window_of(&metas[i].end,
								 v->cfg.compactor.compaction.compaction_window_ns),
			       a < b ? a : b, a < b ? b : a };
	}
	qsort(s, n, sizeof(*s), span_cmp);
	for (size_t i = 0, first = 0; i <= n; i++) {
		if (i > first && i < n && s[i].m->level == s[first].m->level && s[i].window == s[first].window &&
		    s[i].lo <= reach) {
			if (s[i].hi > reach)
				reach = s[i].hi;
			continue;
		}
		if (i - first > 1)
			report_overlap(v, tenant, &s[first], i - first);
		first = i;
		if (i < n)
			reach = s[i].hi;
	}
	free(s);
	return TC_OK;
}

static int verify_tenant(verify *v, const char *tenant)
{
	tc_strlist names = TC_STRLIST_INIT;
	tc_meta *metas = NULL;
	size_t n = 0, cap = 0;
	char prefix[TC_KEY_MAX];
	int rc;

	v->n.tenants++;
	snprintf(prefix, sizeof(prefix), "%s/", tenant);
	if ((rc = tc_backend_list(&names, v->be, prefix)) < 0)
		return rc;
	for (size_t i = 0; i < names.n && rc == TC_OK; i++) {
		if (!tc_uuid_is_valid(names.items[i])) {
			v->n.skipped++;
			report(v, tenant, names.items[i], "skipped", NULL, NULL, "not a block ID");
			continue;
		}
		rc = check_block(v, tenant, names.items[i], &metas, &n, &cap);
	}
	if (rc == TC_OK)
		rc = check_overlaps(v, tenant, metas, n);
	free(metas);
	tc_strlist_dispose(&names);
	return rc;
}

static int print_summary(verify *v)
{
	const counts *c = &v->n;

	if (!v->json) {
		printf("summary tenants=%zu blocks=%zu ok=%zu damaged=%zu compacted=%zu partial=%zu "
		       "stale_partial=%zu skipped=%zu overlaps=%zu\n", c->tenants, c->blocks, c->ok, c->damaged,
		       c->compacted, c->partial, c->stale_partial, c->skipped, c->overlaps);
		return TC_OK;
	}
	cJSON *o = cJSON_CreateObject(), *s;
	cJSON_AddItemToObject(o, "blocks", v->blocks);
	cJSON_AddItemToObject(o, "overlaps", v->overlaps);
	v->blocks = v->overlaps = NULL;
	s = cJSON_AddObjectToObject(o, "summary");
	cJSON_AddNumberToObject(s, "tenants", (double)c->tenants);
	cJSON_AddNumberToObject(s, "blocks", (double)c->blocks);
	cJSON_AddNumberToObject(s, "ok", (double)c->ok);
	cJSON_AddNumberToObject(s, "damaged", (double)c->damaged);
	cJSON_AddNumberToObject(s, "compacted", (double)c->compacted);
	cJSON_AddNumberToObject(s, "partial", (double)c->partial);
	cJSON_AddNumberToObject(s, "stalePartial", (double)c->stale_partial);
	cJSON_AddNumberToObject(s, "skipped", (double)c->skipped);
	cJSON_AddNumberToObject(s, "overlaps", (double)c->overlaps);
	return tc_cli_print_json(o);
}

static int run_verify(verify *v, const char *tenant)
{
	tc_strlist tenants = TC_STRLIST_INIT;
	int rc = TC_OK;

	if (tenant)
		rc = tc_strlist_add(&tenants, tenant);
	else
		rc = tc_blocklist_tenants(&tenants, v->be);
	for (size_t i = 0; i < tenants.n && rc == TC_OK; i++)
		rc = verify_tenant(v, tenants.items[i]);
	tc_strlist_dispose(&tenants);
	return rc == TC_OK ? print_summary(v) : rc;
}

int tc_cmd_bucket(int argc, char **argv)
{
	const char *path = NULL, *config = NULL, *tenant = NULL, *grace = NULL, *format = NULL, *pos[1];
	const tc_arg_spec specs[] = {
		{ "path", 1, &path, "root of a local bucket" },
		{ "config", 1, &config, "use the backend and page caps of this config" },
		{ "tenant", 1, &tenant, "only this tenant (default: every tenant)" },
		{ "grace", 1, &grace, "age past which a block without a meta is reported (default "
				      "compactor.compaction.partial_block_grace, 1h)" },
		{ "format", 1, &format, "text (default) or json" },
	};
	verify v;
	size_t npos;
	int status, rc = tc_args_parse(specs, 5, argc, argv, pos, 1, &npos, USAGE);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (npos != 1 || strcmp(pos[0], "verify") != 0 || (!path && !config)) {
		fprintf(stderr, "usage: %s\n", USAGE);
		return 2;
	}
	memset(&v, 0, sizeof(v));
	if ((v.json = tc_cli_format_json("bucket verify", format)) < 0)
		return 2;
	if ((status = tc_cli_open_checked(&v.be, &v.cfg, "bucket verify", path, config, tenant, NULL)) != 0)
		goto cleanup;
	v.grace_ns = v.cfg.compactor.compaction.partial_block_grace_ns;
	if (grace && tc_duration_parse(&v.grace_ns, grace) < 0) {
		fprintf(stderr, "bucket verify: --grace: %s\n", tc_error_last());
		status = 2;
		goto cleanup;
	}
	v.now = tc_time_now();
	v.blocks = cJSON_CreateArray();
	v.overlaps = cJSON_CreateArray();
	if ((rc = tc_overrides_new(&v.ov, &v.cfg)) < 0 || (rc = run_verify(&v, tenant)) < 0) {
		fprintf(stderr, "bucket verify: %s\n", tc_error_last());
		status = 1;
	} else {
		status = v.n.damaged ? 1 : 0;
	}
cleanup:
	cJSON_Delete(v.blocks);
	cJSON_Delete(v.overlaps);
	tc_overrides_free(v.ov);
	tc_backend_free(v.be);
	tc_config_dispose(&v.cfg);
	return status;
}
