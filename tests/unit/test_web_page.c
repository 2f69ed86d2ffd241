/*
 * The bucket page's renderer (src/web/page.h) on hand-made snapshots:
 * every tenant and every shown block ID is in the HTML, lanes and stacked
 * rows follow levels and overlaps, the compacted toggle and the filters
 * work without script, and whatever the bucket holds (tenant names,
 * quarantine reasons, errors) comes out escaped.
 */
#include <stdlib.h>

#include "src/util/strlist.h"
#include "src/web/page.h"
#include "tests/test.h"

#define HOUR 3600LL
#define T0 1700000000LL /* 2023-11-14 22:13:20Z */
#define HOSTILE_TENANT "ev<script>il\"'&"
#define HOSTILE_REASON "corrupt <script>alert(\"x\")</script> & 'q' <img src=x onerror=alert(1)>"

static const char *const ids[] = {
	"00000000-0000-4000-8000-00000000000a", /* L0 [0h, 2h] */
	"00000000-0000-4000-8000-00000000000b", /* L0 [1h, 3h]: overlaps a -> row 1 */
	"00000000-0000-4000-8000-00000000000c", /* L0 [2h, 4h]: after a ends -> row 0 (quarantined) */
	"00000000-0000-4000-8000-00000000000d", /* L1 [0h, 3h] -> its own lane, row 0 */
	"00000000-0000-4000-8000-00000000000e", /* compacted L0 [0h, 1h] */
};

static void meta(tc_meta *m, const char *id, unsigned level, int64_t from_h, int64_t to_h)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->format, sizeof(m->format), "v2");
	snprintf(m->block_id, sizeof(m->block_id), "%s", id);
	snprintf(m->tenant, sizeof(m->tenant), "tenant-a");
	snprintf(m->data_encoding, sizeof(m->data_encoding), "v2");
	m->start = tc_time_from_unix(T0 + from_h * HOUR, 0);
	m->end = tc_time_from_unix(T0 + to_h * HOUR, 0);
	m->level = (uint8_t)level;
	m->total_objects = 100 + level;
	m->size = 4096;
	m->encoding = TC_ENC_ZSTD;
}

/* A snapshot of two tenants with tenant-a's detail; free with tc_status_dispose. */
static int make(tc_status *st, int64_t retention_ns)
{
	memset(st, 0, sizeof(*st));
	st->now = tc_time_from_unix(T0 + 5 * HOUR, 0);
	snprintf(st->backend, sizeof(st->backend), "mem");
	st->compaction_window_ns = HOUR * 1000000000LL;
	st->last_poll = tc_time_from_unix(T0 + 5 * HOUR - 12, 0);
	if (!(st->tenants = calloc(2, sizeof(*st->tenants))))
		return -1;
	st->n_tenants = 2;
	snprintf(st->tenants[0].name, sizeof(st->tenants[0].name), "%s", HOSTILE_TENANT);
	snprintf(st->tenants[1].name, sizeof(st->tenants[1].name), "tenant-a");
	st->tenants[1].n_live = 4;
	st->tenants[1].n_quarantined = 1;
	st->tenants[1].block_retention_ns = retention_ns;
	st->has_detail = 1;
	st->detail_index = 1;
	if (!(st->detail.live = calloc(4, sizeof(tc_meta))) || !(st->detail.compacted = calloc(1, sizeof(tc_meta))))
		return -1;
	meta(&st->detail.live[0], ids[0], 0, 0, 2);
	meta(&st->detail.live[1], ids[1], 0, 1, 3);
	meta(&st->detail.live[2], ids[2], 0, 2, 4);
	meta(&st->detail.live[3], ids[3], 1, 0, 3);
	st->detail.n_live = 4;
	meta(&st->detail.compacted[0], ids[4], 0, 0, 1);
	st->detail.compacted[0].compacted = 1;
	st->detail.compacted[0].compacted_time = tc_time_from_unix(T0 + 4 * HOUR, 0);
	st->detail.n_compacted = 1;
	if (tc_strlist_add(&st->detail.quarantined, ids[2]) < 0 || tc_strlist_add(&st->reasons, HOSTILE_REASON) < 0)
		return -1;
	return 0;
}

static int render(tc_buf *out, const tc_status *st, const char *tenant, const char *level, const char *from,
		  const char *to, const char *compacted)
{
	tc_web_query q;
	int rc;

	tc_buf_clear(out);
	if ((rc = tc_web_query_parse(&q, tenant, level, from, to, compacted)) < 0 ||
	    (rc = tc_web_render(out, st, &q)) < 0 || (rc = tc_buf_cstr(out)) < 0)
		return rc;
	return TC_OK;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The value of attr on the timeline's element for block id, "" when there is none. */
static const char *blk_attr(const char *html, const char *id, const char *attr)
{
	static char v[128];
	char needle[96];
	const char *p, *end, *a;

	v[0] = '\0';
	snprintf(needle, sizeof(needle), "id=\"blk-%s\"", id);
	if (!(p = strstr(html, needle)) || !(end = strchr(p, '>')))
		return v;
	snprintf(needle, sizeof(needle), " %s=\"", attr);
	if ((a = strstr(p, needle)) && a < end) {
		a += strlen(needle);
		snprintf(v, sizeof(v), "%.*s", (int)(strchr(a, '"') - a), a);
	}
	return v;
}

static void summary_lists_every_tenant_escaped(void)
{
	tc_status st;
	tc_buf html = TC_BUF_INIT;
	const char *h;

	CHECK(make(&st, 0) == 0);
	CHECK_OK(render(&html, &st, NULL, NULL, NULL, NULL, NULL));
	h = (const char *)html.ptr;
	CHECK(strstr(h, "<!DOCTYPE html>") == h);
	CHECK(strstr(h, ">tenant-a</a>") && strstr(h, "href=\"/?tenant=tenant-a\""));
	CHECK(strstr(h, ">ev&lt;script&gt;il&quot;&#39;&amp;</a>"));
	CHECK(strstr(h, "href=\"/?tenant=ev%3Cscript%3Eil%22%27%26\""));
	/* the page's own script is the only one */
	CHECK_EQ_U64(count(h, "<script"), 1);
	CHECK(!strstr(h, "il\"'&"));
	/* self-contained: nothing loaded from elsewhere */
	CHECK(!strstr(h, "http://") || !strstr(h, "src=\"http"));
	CHECK(!strstr(h, "<link") && !strstr(h, "src=\""));
	CHECK(strstr(h, "Last compaction jobs") && strstr(h, "Last retention actions"));
	tc_buf_dispose(&html);
	tc_status_dispose(&st);
}

static void tenant_page_has_every_block_and_the_reason(void)
{
	tc_status st;
	tc_buf html = TC_BUF_INIT;
	const char *h;
	char needle[96];

	CHECK(make(&st, 0) == 0);
	CHECK_OK(render(&html, &st, "tenant-a", NULL, NULL, NULL, NULL));
	h = (const char *)html.ptr;
	for (int i = 0; i < 4; i++) {
		snprintf(needle, sizeof(needle), "id=\"blk-%s\"", ids[i]);
		CHECK_MSG(strstr(h, needle), "no timeline element for %s", ids[i]);
		snprintf(needle, sizeof(needle), "id=\"row-%s\"", ids[i]);
		CHECK_MSG(strstr(h, needle), "no table row for %s", ids[i]);
	}
	CHECK_STR(blk_attr(h, ids[2], "data-state"), "quarantined");
	CHECK_STR(blk_attr(h, ids[0], "data-state"), "live");
	CHECK_EQ_U64(count(h, "fill=\"url(#hatch)\""), 1);
	/* the reason in the table, the data attribute and the tooltip, escaped each time */
	CHECK_EQ_U64(count(h, "corrupt &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; "
			      "&lt;img src=x onerror=alert(1)&gt;"), 3);
	CHECK_EQ_U64(count(h, "<script"), 1);
	CHECK(!strstr(h, "<img"));
	/* the meta for hover */
	CHECK_STR(blk_attr(h, ids[3], "data-level"), "1");
	CHECK_STR(blk_attr(h, ids[3], "data-objects"), "101");
	CHECK_STR(blk_attr(h, ids[3], "data-encoding"), "zstd");
	CHECK_STR(blk_attr(h, ids[3], "data-start"), "2023-11-14T22:13:20Z");
	CHECK_STR(blk_attr(h, ids[3], "data-window"), "2023-11-15T01:00:00Z");
	tc_buf_dispose(&html);
	tc_status_dispose(&st);
}

static void lanes_and_stacking(void)
{
	tc_status st;
	tc_buf html = TC_BUF_INIT;
	const char *h;

	CHECK(make(&st, 0) == 0);
	CHECK_OK(render(&html, &st, "tenant-a", NULL, NULL, NULL, NULL));
	h = (const char *)html.ptr;
	CHECK(strstr(h, "<g class=\"lane\" data-level=\"0\">") && strstr(h, "<g class=\"lane\" data-level=\"1\">"));
	CHECK(!strstr(h, "<g class=\"lane\" data-level=\"2\">"));
	CHECK_STR(blk_attr(h, ids[0], "data-row"), "0");
	CHECK_STR(blk_attr(h, ids[1], "data-row"), "1"); /* overlaps a */
	CHECK_STR(blk_attr(h, ids[2], "data-row"), "0"); /* starts when a ends */
	CHECK_STR(blk_attr(h, ids[3], "data-row"), "0"); /* another lane */
	tc_buf_dispose(&html);
	tc_status_dispose(&st);
}

static void compacted_toggle_and_filters(void)
{
	tc_status st;
	tc_buf html = TC_BUF_INIT;
	const char *h;

	CHECK(make(&st, 0) == 0);
	CHECK_OK(render(&html, &st, "tenant-a", NULL, NULL, NULL, NULL));
	h = (const char *)html.ptr;
	CHECK(!strstr(h, ids[4]));
	CHECK(strstr(h, "href=\"/?tenant=tenant-a&amp;compacted=1\">show compacted blocks</a>"));
	CHECK_OK(render(&html, &st, "tenant-a", NULL, NULL, NULL, "1"));
	h = (const char *)html.ptr;
	CHECK_STR(blk_attr(h, ids[4], "data-state"), "compacted");
	CHECK_STR(blk_attr(h, ids[4], "data-compacted"), "2023-11-15T02:13:20Z");
	CHECK(strstr(h, "<g class=\"blk compacted\" id=\"blk-00000000-0000-4000-8000-00000000000e\""));
	CHECK(strstr(h, "name=\"compacted\" value=\"1\" checked"));
	/* stacked with the live ones of its level: under a, and b takes its row once it ended */
	CHECK_STR(blk_attr(h, ids[4], "data-row"), "1");
	CHECK_STR(blk_attr(h, ids[1], "data-row"), "1");
	CHECK_STR(blk_attr(h, ids[0], "data-row"), "0");
	/* level=1: only d */
	CHECK_OK(render(&html, &st, "tenant-a", "1", NULL, NULL, NULL));
	h = (const char *)html.ptr;
	CHECK(strstr(h, ids[3]) && !strstr(h, ids[0]) && !strstr(h, ids[2]));
	CHECK(strstr(h, "name=\"level\" size=\"8\" placeholder=\"all\" value=\"1\""));
	/* from 3.5h: only the blocks that end after it (c) */
	CHECK_OK(render(&html, &st, "tenant-a", NULL, "2023-11-15T01:43:20Z", NULL, NULL));
	h = (const char *)html.ptr;
	CHECK(strstr(h, ids[2]) && !strstr(h, ids[0]) && !strstr(h, ids[1]) && !strstr(h, ids[3]));
	/* to 0.5h in unix seconds: the blocks that start by then (a and d) */
	CHECK_OK(render(&html, &st, "tenant-a", NULL, NULL, "1700001800", NULL));
	h = (const char *)html.ptr;
	CHECK(strstr(h, ids[0]) && strstr(h, ids[3]) && !strstr(h, ids[1]) && !strstr(h, ids[2]));
	tc_buf_dispose(&html);
	tc_status_dispose(&st);
}

static void retention_horizon(void)
{
	tc_status st;
	tc_buf html = TC_BUF_INIT;

	/* now is 5h after T0: a 3h retention puts the horizon at 2h, inside the blocks' range */
	CHECK(make(&st, 3 * HOUR * 1000000000LL) == 0);
	CHECK_OK(render(&html, &st, "tenant-a", NULL, NULL, NULL, NULL));
	CHECK(strstr((char *)html.ptr, "<g class=\"horizon\">"));
	CHECK(strstr((char *)html.ptr, "Retention horizon <b>2023-11-15 00:13:20Z</b>"));
	tc_status_dispose(&st);
	CHECK(make(&st, 0) == 0);
	CHECK_OK(render(&html, &st, "tenant-a", NULL, NULL, NULL, NULL));
	CHECK(!strstr((char *)html.ptr, "<g class=\"horizon\">"));
	CHECK(strstr((char *)html.ptr, "No block retention"));
	tc_status_dispose(&st);
	/* a year: before anything drawn, said so instead of squeezing the blocks */
	CHECK(make(&st, 365 * 24 * HOUR * 1000000000LL) == 0);
	CHECK_OK(render(&html, &st, "tenant-a", NULL, NULL, NULL, NULL));
	CHECK(!strstr((char *)html.ptr, "<g class=\"horizon\">"));
	CHECK(strstr((char *)html.ptr, "before the first block drawn"));
	tc_status_dispose(&st);
	tc_buf_dispose(&html);
}

/* The row of block id in the blocks table, up to its </tr> (static copy). */
static const char *row_of(const char *html, const char *id)
{
	static char row[4096];
	char needle[80];
	const char *p, *e;

	snprintf(needle, sizeof(needle), "<tr id=\"row-%s\"", id);
	if (!(p = strstr(html, needle)) || !(e = strstr(p, "</tr>")) || (size_t)(e - p) >= sizeof(row))
		return "";
	memcpy(row, p, (size_t)(e - p));
	row[e - p] = '\0';
	return row;
}

/* Each block's row says what retention will do with it, as the loop's own plan says. */
static void retention_decision_per_block(void)
{
	tc_status st;
	tc_buf html = TC_BUF_INIT;
	/* now = T0+5h: live blocks ending before 2.5h go, compacted ones marked before 4.5h go */
	tc_retention r = { 5 * HOUR * 1000000000LL / 2, TC_RETENTION_FROM_TENANT, HOUR * 1000000000LL / 2,
			   TC_RETENTION_FROM_GLOBAL };

	CHECK(make(&st, r.block_ns) == 0);
	CHECK_OK(tc_retention_plan(&st.plan, &st.n_plan, &st.detail, &r, &st.now));
	CHECK_OK(render(&html, &st, "tenant-a", NULL, NULL, NULL, "1"));
	CHECK(strstr(row_of((char *)html.ptr, ids[0]), ">mark-compacted <small>(tenant-override "));
	CHECK(strstr(row_of((char *)html.ptr, ids[1]), ">keep until 2023-11-15 03:43:20Z <small>(tenant-override "));
	CHECK(strstr(row_of((char *)html.ptr, ids[3]), ">keep until "));
	CHECK(strstr(row_of((char *)html.ptr, ids[4]), ">delete <small>(global "));
	tc_status_dispose(&st);
	/* no block retention: kept for good */
	r.block_ns = 0;
	CHECK(make(&st, 0) == 0);
	CHECK_OK(tc_retention_plan(&st.plan, &st.n_plan, &st.detail, &r, &st.now));
	CHECK_OK(render(&html, &st, "tenant-a", NULL, NULL, NULL, NULL));
	CHECK(strstr(row_of((char *)html.ptr, ids[0]), ">keep (no block retention)<"));
	tc_status_dispose(&st);
	tc_buf_dispose(&html);
}

static void history_tables_escape(void)
{
	tc_status st;
	tc_buf html = TC_BUF_INIT;
	const char *h;

	CHECK(make(&st, 0) == 0);
	CHECK(st.jobs = calloc(1, sizeof(*st.jobs)));
	st.n_jobs = 1;
	snprintf(st.jobs[0].tenant, sizeof(st.jobs[0].tenant), "tenant-a");
	snprintf(st.jobs[0].inputs[0], sizeof(st.jobs[0].inputs[0]), "%s", ids[0]);
	snprintf(st.jobs[0].inputs[1], sizeof(st.jobs[0].inputs[1]), "%s", ids[1]);
	st.jobs[0].n_inputs = 2;
	snprintf(st.jobs[0].result, sizeof(st.jobs[0].result), "failed");
	snprintf(st.jobs[0].error, sizeof(st.jobs[0].error), "<b>bad</b> \"page\"");
	CHECK(st.retention = calloc(1, sizeof(*st.retention)));
	st.n_retention = 1;
	snprintf(st.retention[0].tenant, sizeof(st.retention[0].tenant), "%s", HOSTILE_TENANT);
	snprintf(st.retention[0].block, sizeof(st.retention[0].block), "%s", ids[3]);
	snprintf(st.retention[0].action, sizeof(st.retention[0].action), "marked compacted");
	CHECK_OK(render(&html, &st, NULL, NULL, NULL, NULL, NULL));
	h = (const char *)html.ptr;
	CHECK(strstr(h, "&lt;b&gt;bad&lt;/b&gt; &quot;page&quot;") && !strstr(h, "<b>bad"));
	CHECK(strstr(h, "href=\"/?tenant=tenant-a&amp;compacted=1#blk-00000000-0000-4000-8000-00000000000a\""));
	CHECK(strstr(h, "→ <i>none</i>"));
	CHECK(strstr(h, "<td>ev&lt;script&gt;il&quot;&#39;&amp;</td>") && strstr(h, "marked compacted"));
	/* the tenant page lists only its own */
	CHECK_OK(render(&html, &st, "tenant-a", NULL, NULL, NULL, NULL));
	h = (const char *)html.ptr;
	CHECK(strstr(h, "&lt;b&gt;bad&lt;/b&gt;") && !strstr(h, "marked compacted"));
	tc_buf_dispose(&html);
	tc_status_dispose(&st);
}

static void bytes_that_are_not_text(void)
{
	tc_status st;
	tc_buf html = TC_BUF_INIT;

	CHECK(make(&st, 0) == 0);
	free(st.reasons.items[0]);
	/* a control byte, invalid UTF-8 and a right-to-left override */
	st.reasons.items[0] = strdup("a\x1b[31mb\xff\xfe" "c\xe2\x80\xae" "d é");
	CHECK_OK(render(&html, &st, "tenant-a", NULL, NULL, NULL, NULL));
	CHECK(strstr((char *)html.ptr, "a\xef\xbf\xbd[31mb\xef\xbf\xbd\xef\xbf\xbd" "c\xef\xbf\xbd" "d é"));
	CHECK(!strstr((char *)html.ptr, "\x1b"));
	tc_buf_dispose(&html);
	tc_status_dispose(&st);
}

static void query_arguments(void)
{
	tc_web_query q;

	CHECK_OK(tc_web_query_parse(&q, NULL, NULL, NULL, NULL, NULL));
	CHECK(!q.tenant && !q.has_levels && !q.has_from && !q.has_to && !q.compacted);
	CHECK_OK(tc_web_query_parse(&q, "", "0,2", "2024-01-01T00:00:00Z", "-6h", "on"));
	CHECK(!q.tenant && q.has_levels && q.levels[0] && !q.levels[1] && q.levels[2]);
	CHECK(q.has_from && q.from.sec == 1704067200 && q.has_to && q.compacted);
	CHECK(q.to.sec < tc_time_now().sec - 6 * HOUR + 5);
	CHECK_ERR(tc_web_query_parse(&q, "t", "x", NULL, NULL, NULL), TC_EINVALID);
	CHECK_ERRMSG("level");
	CHECK_ERR(tc_web_query_parse(&q, "t", "256", NULL, NULL, NULL), TC_EINVALID);
	CHECK_ERR(tc_web_query_parse(&q, "t", NULL, "yesterday", NULL, NULL), TC_EINVALID);
	CHECK_ERRMSG("from");
	CHECK_ERR(tc_web_query_parse(&q, "t", NULL, NULL, NULL, "yes"), TC_EINVALID);
	CHECK_ERRMSG("compacted");
}

TC_TEST_MAIN(T(summary_lists_every_tenant_escaped), T(tenant_page_has_every_block_and_the_reason),
	     T(lanes_and_stacking), T(compacted_toggle_and_filters), T(retention_horizon),
	     T(retention_decision_per_block), T(history_tables_escape),
	     T(bytes_that_are_not_text), T(query_arguments))
