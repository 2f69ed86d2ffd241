/*
 * The tenant page: its counts, the filter form, the SVG timeline (x = time,
 * a lane per compaction level, overlapping blocks stacked in rows) and a
 * table with every block shown. All of it is drawn here, so it reads
 * without JavaScript.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding/codec.h"
#include "encoding/meta.h"
#include "src/web/web_impl.h"

#define SVG_W 1200
#define PLOT_X 64      /* left of the plot: lane labels */
#define PLOT_R 16      /* right margin */
#define AXIS_H 28      /* the time axis on top */
#define ROW_H 14
#define ROW_GAP 3
#define LANE_PAD 8
#define MAX_ROWS 64    /* a lane's rows; more overlapping blocks share the last one */
#define MIN_W 2.0      /* a block narrower than this is drawn this wide */

enum { ST_LIVE, ST_QUARANTINED, ST_COMPACTED };
static const char *const state_name[] = { "live", "quarantined", "compacted" };

/* Tableau 10: distinct at a glance; level n takes colour n mod 10. */
static const char *const palette[] = { "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
				       "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac" };

typedef struct shown {
	const tc_meta *m;
	int state;
	const char *reason; /* quarantined: what its marker says */
	size_t row;         /* within its level's lane */
} shown;

static int by_level_start(const void *x, const void *y)
{
	const shown *a = x, *b = y;
	int c;

	if (a->m->level != b->m->level)
		return a->m->level < b->m->level ? -1 : 1;
	if ((c = tc_time_cmp(&a->m->start, &b->m->start)))
		return c;
	return strcmp(a->m->block_id, b->m->block_id);
}

/* The table: quarantined blocks first, then live, then compacted; each by level and start. */
static int by_state_level_start(const void *x, const void *y)
{
	static const int rank[] = { [ST_QUARANTINED] = 0, [ST_LIVE] = 1, [ST_COMPACTED] = 2 };
	const shown *a = x, *b = y;

	if (a->state != b->state)
		return rank[a->state] < rank[b->state] ? -1 : 1;
	return by_level_start(x, y);
}

static int wanted(const tc_meta *m, const tc_web_query *q)
{
	if (q->has_levels && !q->levels[m->level])
		return 0;
	if (q->has_from && tc_time_cmp(&m->end, &q->from) < 0)
		return 0;
	if (q->has_to && tc_time_cmp(&m->start, &q->to) > 0)
		return 0;
	return 1;
}

/* The blocks the query shows, sorted by level then start, each with its row. */
static int collect(shown **out, size_t *n_out, const tc_status *st, const tc_web_query *q)
{
	const tc_blocklist *bl = &st->detail;
	size_t n = 0, cap = bl->n_live + (q->compacted ? bl->n_compacted : 0);
	shown *s;

	*out = NULL;
	*n_out = 0;
	if (!(s = calloc(cap ? cap : 1, sizeof(*s)))) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	for (size_t i = 0; i < bl->n_live; i++) {
		const tc_meta *m = &bl->live[i];
		if (!wanted(m, q))
			continue;
		s[n] = (shown){ m, ST_LIVE, NULL, 0 };
		for (size_t k = 0; k < bl->quarantined.n; k++) {
			if (!strcmp(bl->quarantined.items[k], m->block_id)) {
				s[n].state = ST_QUARANTINED;
				s[n].reason = k < st->reasons.n ? st->reasons.items[k] : "";
			}
		}
		n++;
	}
	for (size_t i = 0; q->compacted && i < bl->n_compacted; i++)
		if (wanted(&bl->compacted[i], q))
			s[n++] = (shown){ &bl->compacted[i], ST_COMPACTED, NULL, 0 };
	qsort(s, n, sizeof(*s), by_level_start);
	/* Rows: each block goes in the first row of its lane whose last block ended by its start. */
	for (size_t i = 0; i < n;) {
		tc_time ends[MAX_ROWS];
		size_t rows = 0, j = i;
		for (; j < n && s[j].m->level == s[i].m->level; j++) {
			size_t r = 0;
			int fresh = 0;
			while (r < rows && tc_time_cmp(&ends[r], &s[j].m->start) > 0)
				r++;
			if (r == rows && rows < MAX_ROWS) {
				rows++;
				fresh = 1;
			} else if (r == rows) {
				r = MAX_ROWS - 1;
			}
			if (fresh || tc_time_cmp(&s[j].m->end, &ends[r]) > 0)
				ends[r] = s[j].m->end;
			s[j].row = r;
		}
		i = j;
	}
	*out = s;
	*n_out = n;
	return TC_OK;
}

typedef struct axis {
	int64_t t0, t1; /* ns */
} axis;

static double x_of(const axis *a, int64_t ns)
{
	return PLOT_X + (double)(ns - a->t0) / (double)(a->t1 - a->t0) * (SVG_W - PLOT_X - PLOT_R);
}

static void stats(tc_web_out *o, const tc_status *st)
{
	const tc_status_tenant *t = &st->tenants[st->detail_index];
	char size[32], csize[32], ret[32], poll[64], comp[64], idx[64];

	tc_web_bytes(size, sizeof(size), t->live_bytes);
	tc_web_bytes(csize, sizeof(csize), t->compacted_bytes);
	tc_web_ago(poll, sizeof(poll), &t->last_poll, &st->now);
	tc_web_ago(comp, sizeof(comp), &t->last_compaction, &st->now);
	if (TC_STATUS_NEVER(t->index_time))
		snprintf(idx, sizeof(idx), "%s", st->read_only ? "none in the bucket" : "unknown");
	else
		tc_web_ago(idx, sizeof(idx), &t->index_time, &st->now);
	if (t->block_retention_ns > 0)
		tc_duration_format(ret, sizeof(ret), t->block_retention_ns);
	else
		snprintf(ret, sizeof(ret), "none");
	tc_web_printf(o, "<dl class=\"stats\"><div><dt>live</dt><dd>%zu</dd></div><div><dt>quarantined</dt>"
			 "<dd class=\"%s\">%zu</dd></div><div><dt>compacted</dt><dd>%zu</dd></div>"
			 "<div><dt>live size</dt><dd>%s</dd></div><div><dt>compacted size</dt><dd>%s</dd></div>"
			 "<div><dt>objects</dt><dd>%lld</dd></div><div><dt>outstanding jobs</dt><dd>%zu (%zu blocks)</dd></div>",
		      t->n_live, t->n_quarantined ? "warn" : "", t->n_quarantined, t->n_compacted, size, csize,
		      (long long)t->live_objects, t->outstanding_jobs, t->outstanding_blocks);
	tc_web_printf(o, "<div><dt>block retention</dt><dd>%s</dd></div><div><dt>last compaction</dt><dd>%s</dd></div>"
			 "<div><dt>last poll</dt><dd>%s</dd></div><div><dt>tenant index</dt><dd>%s</dd></div></dl>\n",
		      ret, comp, poll, idx);
}

/* The query string of this page with some arguments changed; escaped for an href. */
static void href(tc_web_out *o, const tc_status *st, const tc_web_query *q, int compacted, int level)
{
	char when[TC_TIME_STR_MAX];

	tc_web_tenant_href(o, st->tenants[st->detail_index].name);
	if (level >= 0) {
		tc_web_printf(o, "&amp;level=%d", level);
	} else if (level == -1 && q->has_levels) {
		const char *sep = "&amp;level=";
		for (int l = 0; l < 256; l++) {
			if (q->levels[l]) {
				tc_web_printf(o, "%s%d", sep, l);
				sep = ",";
			}
		}
	}
	if (q->has_from) {
		tc_time_format(when, &q->from);
		tc_web_puts(o, "&amp;from=");
		tc_web_url(o, when);
	}
	if (q->has_to) {
		tc_time_format(when, &q->to);
		tc_web_puts(o, "&amp;to=");
		tc_web_url(o, when);
	}
	if (compacted)
		tc_web_puts(o, "&amp;compacted=1");
}

static void filters(tc_web_out *o, const tc_status *st, const tc_web_query *q, const uint8_t *levels_present)
{
	char when[TC_TIME_STR_MAX];
	const char *sep = "";

	tc_web_puts(o, "<form class=\"filters\" method=\"get\" action=\"/\"><input type=\"hidden\" name=\"tenant\" value=\"");
	tc_web_esc(o, st->tenants[st->detail_index].name);
	tc_web_puts(o, "\"><label>levels <input name=\"level\" size=\"8\" placeholder=\"all\" value=\"");
	for (int l = 0; l < 256; l++) {
		if (q->levels[l]) {
			tc_web_printf(o, "%s%d", sep, l);
			sep = ",";
		}
	}
	tc_web_puts(o, "\"></label> <label>from <input name=\"from\" size=\"22\" placeholder=\"RFC 3339 or -6h\" value=\"");
	if (q->has_from) {
		tc_time_format(when, &q->from);
		tc_web_esc(o, when);
	}
	tc_web_puts(o, "\"></label> <label>to <input name=\"to\" size=\"22\" placeholder=\"RFC 3339 or -1h\" value=\"");
	if (q->has_to) {
		tc_time_format(when, &q->to);
		tc_web_esc(o, when);
	}
	tc_web_printf(o, "\"></label> <label><input type=\"checkbox\" name=\"compacted\" value=\"1\"%s> compacted blocks</label> "
			 "<button>apply</button> <a href=\"",
		      q->compacted ? " checked" : "");
	tc_web_tenant_href(o, st->tenants[st->detail_index].name);
	tc_web_puts(o, "\">reset</a></form>\n<p class=\"chips\">levels: <a class=\"chip all\" href=\"");
	href(o, st, q, q->compacted, -2);
	tc_web_puts(o, "\">all</a>");
	for (int l = 0; l < 256; l++) {
		if (!levels_present[l])
			continue;
		tc_web_printf(o, " <a class=\"chip%s\" data-level=\"%d\" style=\"--c:%s\" href=\"",
			      q->has_levels && !q->levels[l] ? " off" : "", l, palette[l % 10]);
		href(o, st, q, q->compacted, l);
		tc_web_printf(o, "\">L%d</a>", l);
	}
	tc_web_puts(o, " · <a href=\"");
	href(o, st, q, !q->compacted, -1);
	tc_web_printf(o, "\">%s compacted blocks</a></p>\n", q->compacted ? "hide" : "show");
}

/* Nice tick steps, in seconds. */
static const int64_t steps[] = { 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400,
				 7 * 86400, 30 * 86400, 365 * 86400 };

static void ticks(tc_web_out *o, const axis *a, int height)
{
	int64_t span = (a->t1 - a->t0) / 1000000000LL, step = steps[sizeof(steps) / sizeof(steps[0]) - 1];

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (span / steps[i] <= 8) {
			step = steps[i];
			break;
		}
	}
	for (int64_t t = (a->t0 / 1000000000LL / step + 1) * step; t * 1000000000LL <= a->t1; t += step) {
		char label[TC_TIME_STR_MAX];
		double x = x_of(a, t * 1000000000LL);
		tc_time tt = tc_time_from_unix(t, 0);
		tc_web_time(label, &tt);
		/* "2024-05-01 13:00:00Z": the date for day steps, else the time of day */
		if (step >= 86400) {
			label[10] = '\0';
		} else {
			memmove(label, label + 11, 5);
			label[5] = '\0';
		}
		tc_web_printf(o, "<line class=\"tick\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>"
				 "<text class=\"tick\" x=\"%.1f\" y=\"%d\">%s</text>\n",
			      x, x, AXIS_H - 6, height, x, AXIS_H - 10, label);
	}
}

static void block_attrs(tc_web_out *o, const tc_status *st, const shown *b)
{
	const tc_meta *m = b->m;
	char start[TC_TIME_STR_MAX], end[TC_TIME_STR_MAX], win[TC_TIME_STR_MAX], comp[TC_TIME_STR_MAX], size[32];
	int64_t ws = st->compaction_window_ns / 1000000000LL;
	tc_time w = tc_time_from_unix(ws > 0 ? m->end.sec / ws * ws : m->end.sec, 0);

	tc_time_format_utc(start, &m->start);
	tc_time_format_utc(end, &m->end);
	tc_time_format_utc(win, &w);
	tc_web_bytes(size, sizeof(size), m->size);
	tc_web_printf(o, " data-id=\"%s\" data-state=\"%s\" data-level=\"%u\" data-row=\"%zu\" data-objects=\"%lld\" "
			 "data-size=\"%llu\" data-sizeh=\"%s\" data-encoding=\"%s\" data-data-encoding=\"",
		      m->block_id, state_name[b->state], (unsigned)m->level, b->row, (long long)m->total_objects,
		      (unsigned long long)m->size, size, tc_encoding_name(m->encoding));
	tc_web_esc(o, m->data_encoding);
	tc_web_printf(o, "\" data-start=\"%s\" data-end=\"%s\" data-window=\"%s\"", start, end, win);
	if (b->state == ST_COMPACTED) {
		tc_time_format_utc(comp, &m->compacted_time);
		tc_web_printf(o, " data-compacted=\"%s\"", comp);
	}
	if (b->reason) {
		tc_web_puts(o, " data-reason=\"");
		tc_web_esc(o, b->reason);
		tc_web_puts(o, "\"");
	}
}

/* The <title> tooltip: the meta in plain text, for browsers without the script. */
static void block_title(tc_web_out *o, const shown *b)
{
	const tc_meta *m = b->m;
	char start[TC_TIME_STR_MAX], end[TC_TIME_STR_MAX], size[32];

	tc_time_format_utc(start, &m->start);
	tc_time_format_utc(end, &m->end);
	tc_web_bytes(size, sizeof(size), m->size);
	tc_web_printf(o, "<title>%s (%s)\nlevel %u · %lld objects · %s · %s\n%s → %s", m->block_id,
		      state_name[b->state], (unsigned)m->level, (long long)m->total_objects, size,
		      tc_encoding_name(m->encoding), start, end);
	if (b->reason) {
		tc_web_puts(o, "\nquarantined: ");
		tc_web_esc(o, b->reason);
	}
	tc_web_puts(o, "</title>");
}

static void svg(tc_web_out *o, const tc_status *st, const tc_web_query *q, const shown *s, size_t n)
{
	const tc_status_tenant *t = &st->tenants[st->detail_index];
	int64_t now_ns = tc_web_ns(&st->now), horizon = now_ns - t->block_retention_ns;
	axis a = { 0, 0 };
	int lane_y[256], lane_rows[256] = { 0 }, height = AXIS_H;

	if (n == 0) {
		tc_web_puts(o, "<p class=\"empty\">No blocks to draw for these filters.</p>\n");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t s0 = tc_web_ns(&s[i].m->start), s1 = tc_web_ns(&s[i].m->end);
		if (i == 0 || s0 < a.t0)
			a.t0 = s0;
		if (i == 0 || s1 > a.t1)
			a.t1 = s1;
		if ((int)s[i].row + 1 > lane_rows[s[i].m->level])
			lane_rows[s[i].m->level] = (int)s[i].row + 1;
	}
	/* A little room either side, unless the query fixed the edge. */
	{
		int64_t pad = (a.t1 - a.t0) / 50 + 1000000000LL;
		a.t0 = q->has_from ? tc_web_ns(&q->from) : a.t0 - pad;
		a.t1 = q->has_to ? tc_web_ns(&q->to) : a.t1 + pad;
		if (a.t1 <= a.t0)
			a.t1 = a.t0 + 60 * 1000000000LL;
	}
	for (int l = 0; l < 256; l++) {
		lane_y[l] = height;
		if (lane_rows[l])
			height += LANE_PAD * 2 + lane_rows[l] * (ROW_H + ROW_GAP);
	}
	tc_web_printf(o, "<figure class=\"timeline\">\n<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
			 "viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" aria-label=\"block timeline\" "
			 "data-t0=\"%lld\" data-t1=\"%lld\">\n<defs><pattern id=\"hatch\" patternUnits=\"userSpaceOnUse\" "
			 "width=\"6\" height=\"6\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" "
			 "fill=\"none\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#000\" stroke-width=\"3\" "
			 "stroke-opacity=\".55\"/></pattern></defs>\n",
		      SVG_W, height + 4, (long long)(a.t0 / 1000000000LL), (long long)(a.t1 / 1000000000LL));
	for (int l = 0; l < 256; l++) {
		if (!lane_rows[l])
			continue;
		int h = LANE_PAD * 2 + lane_rows[l] * (ROW_H + ROW_GAP);
		tc_web_printf(o, "<g class=\"lane\" data-level=\"%d\"><rect class=\"lane-bg\" x=\"0\" y=\"%d\" width=\"%d\" "
				 "height=\"%d\"/><text class=\"lane-label\" x=\"8\" y=\"%d\" fill=\"%s\">L%d</text></g>\n",
			      l, lane_y[l], SVG_W, h, lane_y[l] + h / 2 + 4, palette[l % 10], l);
	}
	ticks(o, &a, height);
	for (size_t i = 0; i < n; i++) {
		const shown *b = &s[i];
		double x0 = x_of(&a, tc_web_ns(&b->m->start)), x1 = x_of(&a, tc_web_ns(&b->m->end)), w;
		int y = lane_y[b->m->level] + LANE_PAD + (int)b->row * (ROW_H + ROW_GAP);
		if (x0 < PLOT_X)
			x0 = PLOT_X;
		if (x1 > SVG_W - PLOT_R)
			x1 = SVG_W - PLOT_R;
		w = x1 - x0 < MIN_W ? MIN_W : x1 - x0;
		tc_web_printf(o, "<g class=\"blk %s\" id=\"blk-%s\" tabindex=\"0\"", state_name[b->state], b->m->block_id);
		block_attrs(o, st, b);
		tc_web_puts(o, ">");
		block_title(o, b);
		tc_web_printf(o, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>", x0, y, w, ROW_H,
			      palette[b->m->level % 10]);
		if (b->state == ST_QUARANTINED)
			tc_web_printf(o, "<rect class=\"hatch\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
					 "fill=\"url(#hatch)\"/>", x0, y, w, ROW_H);
		tc_web_puts(o, "</g>\n");
	}
	if (t->block_retention_ns > 0 && horizon >= a.t0 && horizon <= a.t1) {
		double x = x_of(&a, horizon);
		tc_web_printf(o, "<g class=\"horizon\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>"
				 "<text x=\"%.1f\" y=\"%d\">retention horizon</text></g>\n",
			      x, x, AXIS_H - 4, height, x + 4, height - 4);
	}
	if (now_ns >= a.t0 && now_ns <= a.t1) {
		double x = x_of(&a, now_ns);
		tc_web_printf(o, "<line class=\"now\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>\n", x, x, AXIS_H - 4,
			      height);
	}
	tc_web_puts(o, "</svg>\n<figcaption>");
	if (t->block_retention_ns > 0) {
		char when[TC_TIME_STR_MAX], ret[32];
		tc_time h = tc_time_from_unix(horizon / 1000000000LL, 0);
		tc_web_time(when, &h);
		tc_duration_format(ret, sizeof(ret), t->block_retention_ns);
		tc_web_printf(o, "Retention horizon <b>%s</b> (now − block_retention %s)%s. ", when, ret,
			      horizon < a.t0 ? ", before the first block drawn"
					     : horizon > a.t1 ? ", after the last block drawn" : "");
	} else {
		tc_web_puts(o, "No block retention for this tenant. ");
	}
	tc_web_puts(o, "Colour = level; <span class=\"key q\">hatched</span> = quarantined; "
		       "<span class=\"key c\">faded</span> = compacted. Hover or click a block for its meta.</figcaption>\n"
		       "</figure>\n<div id=\"details\" class=\"details\" aria-live=\"polite\"></div>\n");
}

/* The plan's decision for m (st->plan follows detail.live, then detail.compacted); NULL when none. */
static const tc_retention_decision *decision_of(const tc_status *st, const tc_meta *m)
{
	const tc_blocklist *bl = &st->detail;
	size_t i;

	if (bl->n_live && m >= bl->live && m < bl->live + bl->n_live)
		i = (size_t)(m - bl->live);
	else if (bl->n_compacted && m >= bl->compacted && m < bl->compacted + bl->n_compacted)
		i = bl->n_live + (size_t)(m - bl->compacted);
	else
		return NULL;
	return i < st->n_plan ? &st->plan[i] : NULL;
}

/* "keep until T", "mark compacted", "delete", and the rule: what retention does with the block next. */
static void retention_cell(tc_web_out *o, const tc_status *st, const tc_meta *m)
{
	const tc_retention_decision *d = decision_of(st, m);
	char until[TC_TIME_STR_MAX], ret[32];

	if (!d) {
		tc_web_puts(o, "-");
		return;
	}
	tc_duration_format(ret, sizeof(ret), d->retention_ns);
	if (d->action == TC_RETENTION_KEEP && d->forever) {
		tc_web_puts(o, "keep (no block retention)");
		return;
	}
	if (d->action == TC_RETENTION_KEEP) {
		tc_web_time(until, &d->until);
		tc_web_printf(o, "keep until %s", until);
	} else {
		tc_web_puts(o, tc_retention_action_name(d->action));
	}
	tc_web_printf(o, " <small>(%s %s)</small>", tc_retention_source_name(d->from), ret);
}

static void table(tc_web_out *o, const tc_status *st, shown *s, size_t n)
{
	/* after the timeline, which needed them by level */
	qsort(s, n, sizeof(*s), by_state_level_start);
	tc_web_printf(o, "<h3>Blocks <small>%zu shown</small></h3>\n<table class=\"sortable\" id=\"blocks\">\n<thead><tr>"
			 "<th>Block ID</th><th>State</th><th>Level</th><th>Objects</th><th>Size</th><th>Encoding</th>"
			 "<th>Data encoding</th><th>Start</th><th>End</th><th>Window</th><th>Compacted</th>"
			 "<th>Retention</th><th>Quarantine reason</th></tr></thead>\n<tbody>\n", n);
	for (size_t i = 0; i < n; i++) {
		const shown *b = &s[i];
		const tc_meta *m = b->m;
		char start[TC_TIME_STR_MAX], end[TC_TIME_STR_MAX], win[TC_TIME_STR_MAX], comp[TC_TIME_STR_MAX], size[32];
		int64_t ws = st->compaction_window_ns / 1000000000LL;
		tc_time w = tc_time_from_unix(ws > 0 ? m->end.sec / ws * ws : m->end.sec, 0);
		tc_web_time(start, &m->start);
		tc_web_time(end, &m->end);
		tc_web_time(win, &w);
		tc_web_bytes(size, sizeof(size), m->size);
		if (b->state == ST_COMPACTED)
			tc_web_time(comp, &m->compacted_time);
		else
			snprintf(comp, sizeof(comp), "-");
		tc_web_printf(o, "<tr id=\"row-%s\" class=\"%s\" data-id=\"%s\" data-level=\"%u\"><td><code>%s</code></td>"
				 "<td>%s</td><td data-v=\"%u\"><span class=\"dot\" style=\"--c:%s\"></span>%u</td>"
				 "<td data-v=\"%lld\">%lld</td><td data-v=\"%llu\">%s</td><td>%s</td><td>",
			      m->block_id, state_name[b->state], m->block_id, (unsigned)m->level, m->block_id,
			      state_name[b->state], (unsigned)m->level, palette[m->level % 10], (unsigned)m->level,
			      (long long)m->total_objects, (long long)m->total_objects, (unsigned long long)m->size, size,
			      tc_encoding_name(m->encoding));
		tc_web_esc(o, m->data_encoding);
		tc_web_printf(o, "</td><td data-v=\"%lld\">%s</td><td data-v=\"%lld\">%s</td><td data-v=\"%lld\">%s</td>"
				 "<td>%s</td><td class=\"retention\">",
			      (long long)m->start.sec, start, (long long)m->end.sec, end, (long long)w.sec, win, comp);
		retention_cell(o, st, m);
		tc_web_puts(o, "</td><td class=\"reason\">");
		if (b->reason)
			tc_web_esc(o, b->reason);
		tc_web_puts(o, "</td></tr>\n");
	}
	tc_web_puts(o, "</tbody>\n</table>\n");
}

void tc_web_tenant_page(tc_web_out *o, const tc_status *st, const tc_web_query *q)
{
	const tc_blocklist *bl = &st->detail;
	uint8_t present[256] = { 0 };
	shown *s = NULL;
	size_t n = 0;
	int rc;

	if (o->rc != TC_OK)
		return;
	for (size_t i = 0; i < bl->n_live; i++)
		present[bl->live[i].level] = 1;
	for (size_t i = 0; q->compacted && i < bl->n_compacted; i++)
		present[bl->compacted[i].level] = 1;
	if ((rc = collect(&s, &n, st, q)) < 0) {
		o->rc = rc;
		return;
	}
	tc_web_puts(o, "<section>\n");
	stats(o, st);
	filters(o, st, q, present);
	svg(o, st, q, s, n);
	table(o, st, s, n);
	tc_web_puts(o, "</section>\n");
	free(s);
}
