/*
 * tracecompactor retention --dry-run (--path ROOT | --config FILE) --tenant T
 *     [--block-retention D] [--compacted-block-retention D] [--format text|json]
 *
 * Prints the retention loop's plan (tc_retention_plan, the function the
 * loop decides with) for every block of the tenant: what the rule looks at
 * (endTime or compactedTime), which rule applies and where its value comes
 * from, and the decision. Reads only: nothing in the bucket changes.
 */
#include <stdlib.h>
#include <string.h>

#include "src/cli/args.h"
#include "src/cli/cli_util.h"
#include "src/cli/commands.h"
#include "src/compactor/retention.h"
#include "src/util/utf8.h"

static const char USAGE[] = "tracecompactor retention --dry-run (--path ROOT | --config FILE) --tenant T "
			    "[--block-retention D] [--compacted-block-retention D] [--format text|json]";

static const char *state_of(const tc_blocklist *bl, const tc_meta *m)
{
	if (m->compacted)
		return "compacted";
	return tc_blocklist_is_quarantined(bl, m->block_id) ? "quarantined" : "live";
}

static const char *rule_key(const tc_meta *m)
{
	return m->compacted ? "compacted_block_retention" : "block_retention";
}

static void print_text(const char *tenant, const tc_blocklist *bl, const tc_retention *r,
		       const tc_retention_decision *d, size_t n, const tc_time *now, int64_t partial_grace)
{
	char t[TC_TIME_STR_MAX], v[48], v2[48], until[TC_TIME_STR_MAX];
	size_t counts[3] = { 0 };

	tc_time_format_utc(t, now);
	tc_duration_format(v, sizeof(v), r->block_ns);
	tc_duration_format(v2, sizeof(v2), r->compacted_ns);
	printf("tenant=%s now=%s block_retention=%s (%s) compacted_block_retention=%s (%s) dry_run=true\n",
	       tenant, t, v, tc_retention_source_name(r->block_from), v2, tc_retention_source_name(r->compacted_from));
	for (size_t i = 0; i < n; i++) {
		const tc_meta *m = d[i].meta;
		tc_time_format_utc(t, &d[i].at);
		tc_duration_format(v, sizeof(v), d[i].retention_ns);
		printf("%s %s %s=%s rule=%s %s=%s decision=%s", m->block_id, state_of(bl, m),
		       m->compacted ? "compacted_time" : "end", t, tc_retention_source_name(d[i].from), rule_key(m), v,
		       tc_retention_action_name(d[i].action));
		if (d[i].forever) {
			printf(" until=never (block_retention is not positive)\n");
		} else if (d[i].action == TC_RETENTION_KEEP) {
			tc_time_format_utc(until, &d[i].until);
			printf(" until=%s\n", until);
		} else {
			tc_time_format_utc(until, &d[i].cutoff);
			printf(" cutoff=%s\n", until);
		}
		counts[d[i].action]++;
	}
	tc_duration_format(v, sizeof(v), partial_grace);
	/* Not retention's: the poller removes them, which is why they are listed apart. */
	for (size_t i = 0; i < bl->partial.n; i++)
		printf("%s partial decision=none (no meta: the poller removes it once nothing has written to it "
		       "for partial_block_grace=%s)\n", bl->partial.items[i], v);
	printf("summary blocks=%zu keep=%zu mark-compacted=%zu delete=%zu partial=%zu (dry run: nothing changed)\n",
	       n + bl->partial.n, counts[TC_RETENTION_KEEP], counts[TC_RETENTION_MARK_COMPACTED],
	       counts[TC_RETENTION_DELETE], bl->partial.n);
}

static void rule_json(cJSON *o, const char *key, int64_t ns, tc_retention_source from)
{
	cJSON *r = cJSON_AddObjectToObject(o, key);
	char v[48];

	tc_duration_format(v, sizeof(v), ns);
	cJSON_AddStringToObject(r, "value", v);
	cJSON_AddNumberToObject(r, "seconds", (double)ns / 1e9);
	cJSON_AddStringToObject(r, "rule", tc_retention_source_name(from));
}

static int print_json(const char *tenant, const tc_blocklist *bl, const tc_retention *r,
		      const tc_retention_decision *d, size_t n, const tc_time *now)
{
	cJSON *o = cJSON_CreateObject(), *arr, *p;
	char t[TC_TIME_STR_MAX];

	cJSON_AddStringToObject(o, "tenant", tenant);
	tc_time_format_utc(t, now);
	cJSON_AddStringToObject(o, "now", t);
	cJSON_AddBoolToObject(o, "dryRun", 1);
	rule_json(o, "blockRetention", r->block_ns, r->block_from);
	rule_json(o, "compactedBlockRetention", r->compacted_ns, r->compacted_from);
	arr = cJSON_AddArrayToObject(o, "blocks");
	for (size_t i = 0; i < n; i++) {
		cJSON *b = cJSON_CreateObject();
		const tc_meta *m = d[i].meta;
		cJSON_AddStringToObject(b, "id", m->block_id);
		cJSON_AddStringToObject(b, "state", state_of(bl, m));
		cJSON_AddNumberToObject(b, "level", m->level);
		tc_time_format_utc(t, &d[i].at);
		cJSON_AddStringToObject(b, m->compacted ? "compactedTime" : "end", t);
		rule_json(b, rule_key(m)[0] == 'c' ? "compactedBlockRetention" : "blockRetention", d[i].retention_ns,
			  d[i].from);
		cJSON_AddStringToObject(b, "decision", tc_retention_action_name(d[i].action));
		if (d[i].forever) {
			cJSON_AddNullToObject(b, "until");
		} else {
			tc_time_format_utc(t, &d[i].until);
			cJSON_AddStringToObject(b, "until", t);
		}
		tc_time_format_utc(t, &d[i].cutoff);
		cJSON_AddStringToObject(b, "cutoff", t);
		cJSON_AddItemToArray(arr, b);
	}
	p = cJSON_AddArrayToObject(o, "partial");
	for (size_t i = 0; i < bl->partial.n; i++)
		cJSON_AddItemToArray(p, cJSON_CreateString(bl->partial.items[i]));
	return tc_cli_print_json(o);
}

/* A flag's duration into *ns; 0 if not given. */
static int flag_duration(int64_t *ns, tc_retention_source *from, const char *name, const char *v)
{
	if (!v)
		return 0;
	if (tc_duration_parse(ns, v) < 0) {
		fprintf(stderr, "retention: --%s: %s\n", name, tc_error_last());
		return -1;
	}
	*from = TC_RETENTION_FROM_FLAG;
	return 0;
}

int tc_cmd_retention(int argc, char **argv)
{
	const char *path = NULL, *config = NULL, *tenant = NULL, *dry = NULL, *format = NULL, *block = NULL;
	const char *compacted = NULL, *pos[1];
	const tc_arg_spec specs[] = {
		{ "dry-run", 0, &dry, "print the plan and change nothing (required: the service applies retention)" },
		{ "path", 1, &path, "root of a local bucket" },
		{ "config", 1, &config, "use the backend, retention and overrides file of this config" },
		{ "tenant", 1, &tenant, "tenant ID" },
		{ "block-retention", 1, &block, "instead of the tenant's effective block_retention" },
		{ "compacted-block-retention", 1, &compacted, "instead of compacted_block_retention" },
		{ "format", 1, &format, "text (default) or json" },
	};
	tc_backend *be = NULL;
	tc_config cfg;
	tc_overrides *ov = NULL;
	tc_blocklist bl = TC_BLOCKLIST_INIT;
	tc_retention r;
	tc_retention_decision *plan = NULL;
	tc_time now = tc_time_now();
	size_t npos, n = 0;
	int json, status, rc = tc_args_parse(specs, 7, argc, argv, pos, 0, &npos, USAGE);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if ((!path && !config) || !tenant) {
		fprintf(stderr, "usage: %s\n", USAGE);
		return 2;
	}
	if (!dry) {
		fprintf(stderr, "retention: only --dry-run is supported; the service's retention loop applies "
				"the same plan\n");
		return 2;
	}
	if ((json = tc_cli_format_json("retention", format)) < 0)
		return 2;
	if ((status = tc_cli_open_checked(&be, &cfg, "retention", path, config, tenant, NULL)) != 0)
		goto cleanup;
	status = 1;
	if ((rc = tc_overrides_new(&ov, &cfg)) < 0)
		goto cleanup;
	tc_retention_effective(&r, &cfg, ov, tenant);
	if (flag_duration(&r.block_ns, &r.block_from, "block-retention", block) < 0 ||
	    flag_duration(&r.compacted_ns, &r.compacted_from, "compacted-block-retention", compacted) < 0) {
		status = 2;
		goto cleanup;
	}
	/* The service plans over its polled blocklist; a fresh listing is the same data. */
	if ((rc = tc_blocklist_read_tenant(&bl, be, tenant)) < 0 ||
	    (rc = tc_retention_plan(&plan, &n, &bl, &r, &now)) < 0)
		goto cleanup;
	if (json) {
		if ((rc = print_json(tenant, &bl, &r, plan, n, &now)) < 0)
			goto cleanup;
	} else {
		print_text(tenant, &bl, &r, plan, n, &now, cfg.compactor.compaction.partial_block_grace_ns);
	}
	status = 0;
cleanup:
	if (status == 1)
		fprintf(stderr, "retention: %s\n", tc_error_last());
	free(plan);
	tc_blocklist_dispose(&bl);
	tc_overrides_free(ov);
	tc_backend_free(be);
	tc_config_dispose(&cfg);
	return status;
}
