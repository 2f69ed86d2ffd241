/*
 * The retention planner (src/compactor/retention.h): which rule applies to
 * a tenant and where it comes from, and the decision for each block at and
 * around the cut-offs. The retention loop acts on this plan (test_service
 * checks the loop end to end).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/test.h"

#include "src/compactor/retention.h"
#include "src/util/log.h"

#define NS_S 1000000000LL
#define NS_H (3600 * NS_S)

static const char *write_overrides(const char *yaml)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/overrides.yaml", tc_test_tmpdir());
	if (tc_test_write_file(path, yaml, strlen(yaml)) < 0)
		return NULL;
	return path;
}

static tc_meta meta_at(const char *id, int64_t end_s, int compacted, int64_t compacted_s)
{
	tc_meta m;

	memset(&m, 0, sizeof(m));
	snprintf(m.block_id, sizeof(m.block_id), "%s", id);
	snprintf(m.tenant, sizeof(m.tenant), "t");
	m.start = tc_time_from_unix(end_s - 3600, 0);
	m.end = tc_time_from_unix(end_s, 0);
	m.compacted = compacted;
	if (compacted)
		m.compacted_time = tc_time_from_unix(compacted_s, 0);
	return m;
}

/* Tenant entry, "*" entry, the config's overrides default, the compactor's value, in that order. */
static void effective_rule(void)
{
	const char *path = write_overrides("overrides:\n"
					   "  tenant-a: {block_retention: 48h}\n"
					   "  tenant-b: {max_bytes_per_trace: 1000}\n"
					   "  \"*\": {block_retention: 72h}\n");
	tc_config cfg;
	tc_overrides *ov = NULL;
	tc_retention r;

	CHECK(path != NULL);
	CHECK_OK(tc_config_default(&cfg));
	cfg.compactor.compaction.block_retention_ns = 336 * NS_H;
	cfg.compactor.compaction.compacted_block_retention_ns = 2 * NS_H;
	CHECK_OK(tc_config_set(&cfg, "overrides.per_tenant_override_config", path));
	CHECK_OK(tc_overrides_new(&ov, &cfg));

	tc_retention_effective(&r, &cfg, ov, "tenant-a");
	CHECK_EQ_U64(r.block_ns, 48 * NS_H);
	CHECK(r.block_from == TC_RETENTION_FROM_TENANT);
	CHECK_EQ_U64(r.compacted_ns, 2 * NS_H);
	CHECK(r.compacted_from == TC_RETENTION_FROM_GLOBAL);
	/* An entry is taken whole (Tempo): one without block_retention means the compactor's, not "*". */
	tc_retention_effective(&r, &cfg, ov, "tenant-b");
	CHECK_EQ_U64(r.block_ns, 336 * NS_H);
	CHECK(r.block_from == TC_RETENTION_FROM_GLOBAL);
	tc_retention_effective(&r, &cfg, ov, "other");
	CHECK_EQ_U64(r.block_ns, 72 * NS_H);
	CHECK(r.block_from == TC_RETENTION_FROM_WILDCARD);
	CHECK_STR(tc_retention_source_name(r.block_from), "wildcard-override");
	tc_overrides_free(ov);
	ov = NULL;

	/* No file: the config's overrides default, else the compactor's. */
	free(cfg.overrides.per_tenant_override_config);
	cfg.overrides.per_tenant_override_config = NULL;
	cfg.overrides.block_retention_ns = 24 * NS_H;
	CHECK_OK(tc_overrides_new(&ov, &cfg));
	tc_retention_effective(&r, &cfg, ov, "tenant-a");
	CHECK_EQ_U64(r.block_ns, 24 * NS_H);
	CHECK(r.block_from == TC_RETENTION_FROM_DEFAULTS);
	tc_retention_effective(&r, &cfg, NULL, "tenant-a");
	CHECK(r.block_from == TC_RETENTION_FROM_DEFAULTS);
	cfg.overrides.block_retention_ns = 0;
	tc_retention_effective(&r, &cfg, NULL, "tenant-a");
	CHECK_EQ_U64(r.block_ns, 336 * NS_H);
	CHECK(r.block_from == TC_RETENTION_FROM_GLOBAL);
	tc_overrides_free(ov);
	tc_config_dispose(&cfg);
}

/* A block goes only when its time is strictly before now - retention; a kept one says until when. */
static void plan_boundaries(void)
{
	const int64_t now_s = 1800000000;
	tc_time now = tc_time_from_unix(now_s, 0);
	tc_meta live[3] = {
		meta_at("00000000-0000-0000-0000-000000000001", now_s - 48 * 3600 - 1, 0, 0), /* past */
		meta_at("00000000-0000-0000-0000-000000000002", now_s - 48 * 3600, 0, 0),     /* at */
		meta_at("00000000-0000-0000-0000-000000000003", now_s - 3600, 0, 0),          /* recent */
	};
	tc_meta comp[2] = {
		meta_at("00000000-0000-0000-0000-000000000004", now_s - 90 * 3600, 1, now_s - 3601),
		meta_at("00000000-0000-0000-0000-000000000005", now_s - 90 * 3600, 1, now_s - 3600),
	};
	tc_blocklist bl = TC_BLOCKLIST_INIT;
	tc_retention r = { 48 * NS_H, TC_RETENTION_FROM_TENANT, NS_H, TC_RETENTION_FROM_GLOBAL };
	tc_retention_decision *d = NULL;
	char s[TC_TIME_STR_MAX];
	size_t n = 0;

	bl.live = live;
	bl.n_live = 3;
	bl.compacted = comp;
	bl.n_compacted = 2;
	CHECK_OK(tc_retention_plan(&d, &n, &bl, &r, &now));
	CHECK_EQ_U64(n, 5);
	CHECK(d[0].meta == &live[0] && d[0].action == TC_RETENTION_MARK_COMPACTED);
	CHECK(d[0].from == TC_RETENTION_FROM_TENANT && d[0].retention_ns == 48 * NS_H);
	tc_time_format(s, &d[0].cutoff);
	CHECK_STR(s, "2027-01-13T08:00:00Z"); /* now - 48h */
	CHECK(d[1].action == TC_RETENTION_KEEP && !d[1].forever);
	CHECK_EQ_U64(d[1].until.sec, now_s); /* goes from the next instant on */
	CHECK(d[2].action == TC_RETENTION_KEEP);
	CHECK_EQ_U64(d[2].until.sec, now_s - 3600 + 48 * 3600);
	CHECK(d[3].meta == &comp[0] && d[3].action == TC_RETENTION_DELETE);
	CHECK(d[3].from == TC_RETENTION_FROM_GLOBAL && d[3].retention_ns == NS_H);
	CHECK_EQ_U64(d[3].at.sec, now_s - 3601); /* compactedTime, not endTime */
	CHECK(d[4].action == TC_RETENTION_KEEP);
	CHECK_EQ_U64(d[4].until.sec, now_s);
	CHECK_STR(tc_retention_action_name(d[0].action), "mark-compacted");
	CHECK_STR(tc_retention_action_name(d[3].action), "delete");
	free(d);

	/* block_retention 0: live blocks are never marked; compacted ones still go. */
	r.block_ns = 0;
	CHECK_OK(tc_retention_plan(&d, &n, &bl, &r, &now));
	for (size_t i = 0; i < 3; i++)
		CHECK(d[i].action == TC_RETENTION_KEEP && d[i].forever);
	CHECK(d[3].action == TC_RETENTION_DELETE && !d[3].forever);
	free(d);

	/* An empty tenant plans nothing. */
	bl.n_live = bl.n_compacted = 0;
	CHECK_OK(tc_retention_plan(&d, &n, &bl, &r, &now));
	CHECK_EQ_U64(n, 0);
	free(d);
}

/* The startup line per overrides entry: its effective retention and the rule's source. */
static void log_overrides(void)
{
	const char *path = write_overrides("overrides:\n"
					   "  tenant-a: {block_retention: 48h}\n"
					   "  tenant-b: {max_bytes_per_trace: 1000}\n");
	char logpath[4096];
	tc_config cfg;
	tc_overrides *ov = NULL;
	tc_buf log = TC_BUF_INIT;
	int fd;

	CHECK(path != NULL);
	CHECK_OK(tc_config_default(&cfg));
	CHECK_OK(tc_config_set(&cfg, "overrides.per_tenant_override_config", path));
	CHECK_OK(tc_overrides_new(&ov, &cfg));
	snprintf(logpath, sizeof(logpath), "%s/log", tc_test_tmpdir());
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	CHECK(fd >= 0);
	tc_log_set_fd(fd);
	tc_retention_log_overrides(&cfg, ov);
	tc_log_set_fd(2);
	close(fd);
	tc_overrides_free(ov);
	tc_config_dispose(&cfg);
	CHECK_OK(tc_test_read_file(&log, logpath));
	CHECK_OK(tc_buf_cstr(&log));
	const char *s = (const char *)log.ptr;
	CHECK_MSG(strncmp(s, "level=info ", 11) == 0, "%s", s);
	CHECK_MSG(strstr(s, "msg=\"effective retention\" tenant=tenant-a block_retention=48h0m0s "
			    "rule=tenant-override compacted_block_retention=1h0m0s\n") != NULL, "%s", s);
	CHECK_MSG(strstr(s, "tenant=tenant-b block_retention=336h0m0s rule=global") != NULL, "%s", s);
	tc_buf_dispose(&log);
}

TC_TEST_MAIN(T(effective_rule), T(plan_boundaries), T(log_overrides))
