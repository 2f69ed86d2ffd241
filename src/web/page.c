/*
 * The page's frame, the bucket summary and the history tables; the tenant
 * page is timeline.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/utf8.h"
#include "src/web/web_impl.h"

static int parse_levels(tc_web_query *q, const char *s)
{
	const char *p = s;

	while (*p) {
		char *end;
		long v;
		if (*p == ',') {
			p++;
			continue;
		}
		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || v < 0 || v > 255 || (*end && *end != ',')) {
			tc_error_set("level: \"%s\" is not a comma-separated list of levels 0-255",
				     tc_utf8_printable(s, 64));
			return TC_EINVALID;
		}
		q->levels[v] = 1;
		q->has_levels = 1;
		p = end;
	}
	return TC_OK;
}

/* RFC 3339, unix seconds, or a duration from now ("-6h"). */
static int parse_when(tc_time *out, const char *name, const char *s)
{
	char *end;
	long long sec;
	int64_t d;

	if (tc_time_parse(out, s) == TC_OK)
		return TC_OK;
	errno = 0;
	sec = strtoll(s, &end, 10);
	if (*s && !*end && !errno) {
		*out = tc_time_from_unix(sec, 0);
		return TC_OK;
	}
	if (tc_duration_parse(&d, s) == TC_OK) {
		tc_time now = tc_time_now();
		int64_t ns = tc_web_ns(&now) + d, q = ns / 1000000000LL, r = ns % 1000000000LL;
		if (r < 0) {
			q--;
			r += 1000000000LL;
		}
		*out = tc_time_from_unix(q, (int32_t)r);
		return TC_OK;
	}
	tc_error_set("%s: \"%s\" is not an RFC 3339 time, unix seconds or a duration from now such as -6h", name,
		     tc_utf8_printable(s, 64));
	return TC_EINVALID;
}

int tc_web_query_parse(tc_web_query *out, const char *tenant, const char *level, const char *from,
		       const char *to, const char *compacted)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->tenant = tenant && *tenant ? tenant : NULL;
	if (level && (rc = parse_levels(out, level)) < 0)
		return rc;
	if (from && *from) {
		if ((rc = parse_when(&out->from, "from", from)) < 0)
			return rc;
		out->has_from = 1;
	}
	if (to && *to) {
		if ((rc = parse_when(&out->to, "to", to)) < 0)
			return rc;
		out->has_to = 1;
	}
	if (compacted && *compacted) {
		if (!strcmp(compacted, "1") || !strcmp(compacted, "true") || !strcmp(compacted, "on"))
			out->compacted = 1;
		else if (strcmp(compacted, "0") && strcmp(compacted, "false") && strcmp(compacted, "off")) {
			tc_error_set("compacted: \"%s\" is not 1 or 0", tc_utf8_printable(compacted, 64));
			return TC_EINVALID;
		}
	}
	return TC_OK;
}

static void head(tc_web_out *o, const tc_status *st, const char *tenant)
{
	char poll[64], comp[64], ret[64], now[TC_TIME_STR_MAX];

	tc_web_ago(poll, sizeof(poll), &st->last_poll, &st->now);
	tc_web_ago(comp, sizeof(comp), &st->last_compaction, &st->now);
	tc_web_ago(ret, sizeof(ret), &st->last_retention, &st->now);
	tc_web_time(now, &st->now);
	tc_web_puts(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	if (tenant) {
		tc_web_esc(o, tenant);
		tc_web_puts(o, " · ");
	}
	tc_web_puts(o, "tracecompactor bucket</title>\n<style>\n");
	tc_web_puts(o, tc_web_css);
	tc_web_puts(o, "</style>\n</head>\n<body>\n<header>\n<h1><a href=\"/\">tracecompactor</a> bucket");
	if (tenant) {
		tc_web_puts(o, " / <span class=\"tenant\">");
		tc_web_esc(o, tenant);
		tc_web_puts(o, "</span>");
	}
	tc_web_puts(o, "</h1>\n<p class=\"sub\">");
	tc_web_printf(o, "backend <b>%s</b> · ", st->backend);
	if (st->read_only)
		tc_web_printf(o, "<b>read-only</b> (tracecompactor web: polls, never compacts) · last poll %s", poll);
	else
		tc_web_printf(o, "compacting service · last poll %s · last compaction cycle %s · last retention %s",
			      poll, comp, ret);
	tc_web_printf(o, " · now <time>%s</time></p>\n<nav><a href=\"/\">tenants</a> <a href=\"/metrics\">metrics</a> "
			 "<a href=\"/config\">config</a> <a href=\"/ready\">ready</a></nav>\n</header>\n<main>\n",
		      now);
}

static void foot(tc_web_out *o)
{
	tc_web_puts(o, "</main>\n<script>\n");
	tc_web_puts(o, tc_web_js);
	tc_web_puts(o, "</script>\n</body>\n</html>\n");
}

static void cell_time(tc_web_out *o, const tc_time *t, const tc_time *now)
{
	char ago[64], abs[TC_TIME_STR_MAX];

	tc_web_ago(ago, sizeof(ago), t, now);
	tc_web_time(abs, t);
	tc_web_printf(o, "<td data-v=\"%lld\" title=\"%s\">%s</td>", TC_STATUS_NEVER(*t) ? 0LL : (long long)t->sec,
		      abs, ago);
}

static void summary(tc_web_out *o, const tc_status *st)
{
	char size[32], ret[32], oldest[TC_TIME_STR_MAX];

	tc_web_printf(o, "<section>\n<h2>Tenants <small>%zu</small></h2>\n", st->n_tenants);
	if (st->n_tenants == 0) {
		tc_web_puts(o, "<p class=\"empty\">No tenants in the bucket yet.</p>\n</section>\n");
		return;
	}
	tc_web_puts(o, "<table class=\"sortable\" id=\"tenants\">\n<thead><tr><th>Tenant</th><th>Live</th>"
		       "<th>Compacted</th><th>Quarantined</th><th>Live size</th><th>Objects</th>"
		       "<th title=\"groups the selector would compact now (their blocks)\">Outstanding jobs</th>"
		       "<th>Oldest block</th><th>Last compaction</th><th>Last poll</th><th>Tenant index age</th>"
		       "<th>Block retention</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < st->n_tenants; i++) {
		const tc_status_tenant *t = &st->tenants[i];
		char ago[64];
		tc_web_bytes(size, sizeof(size), t->live_bytes);
		tc_web_time(oldest, &t->oldest);
		tc_web_puts(o, "<tr data-tenant=\"");
		tc_web_esc(o, t->name);
		tc_web_puts(o, "\"><td><a href=\"");
		tc_web_tenant_href(o, t->name);
		tc_web_puts(o, "\">");
		tc_web_esc(o, t->name);
		tc_web_printf(o, "</a></td><td data-v=\"%zu\">%zu</td><td data-v=\"%zu\">%zu</td>"
				 "<td data-v=\"%zu\" class=\"%s\">%zu</td><td data-v=\"%llu\">%s</td><td data-v=\"%lld\">%lld</td>"
				 "<td data-v=\"%zu\">%zu (%zu blocks)</td><td data-v=\"%lld\">%s</td>",
			      t->n_live, t->n_live, t->n_compacted, t->n_compacted, t->n_quarantined,
			      t->n_quarantined ? "warn" : "", t->n_quarantined, (unsigned long long)t->live_bytes, size,
			      (long long)t->live_objects, (long long)t->live_objects, t->outstanding_jobs,
			      t->outstanding_jobs, t->outstanding_blocks, (long long)t->oldest.sec, oldest);
		cell_time(o, &t->last_compaction, &st->now);
		cell_time(o, &t->last_poll, &st->now);
		tc_web_ago(ago, sizeof(ago), &t->index_time, &st->now);
		tc_web_printf(o, "<td data-v=\"%lld\">%s</td>", (long long)t->index_time.sec,
			      TC_STATUS_NEVER(t->index_time) ? (st->read_only ? "none in the bucket" : "unknown")
							     : ago);
		if (t->block_retention_ns > 0)
			tc_duration_format(ret, sizeof(ret), t->block_retention_ns);
		else
			snprintf(ret, sizeof(ret), "none");
		tc_web_printf(o, "<td>%s</td></tr>\n", ret);
	}
	tc_web_puts(o, "</tbody>\n</table>\n</section>\n");
}

static void block_link(tc_web_out *o, const char *tenant, const char *id)
{
	tc_web_puts(o, "<a class=\"id\" href=\"");
	tc_web_tenant_href(o, tenant);
	tc_web_puts(o, "&amp;compacted=1#blk-");
	tc_web_esc(o, id);
	tc_web_puts(o, "\">");
	tc_web_esc(o, id);
	tc_web_puts(o, "</a>");
}

void tc_web_jobs_table(tc_web_out *o, const tc_status *st, const char *tenant)
{
	size_t shown = 0;

	tc_web_printf(o, "<section>\n<h2>Last compaction jobs <small>up to %d</small></h2>\n", TC_STATUS_HISTORY);
	for (size_t i = 0; i < st->n_jobs; i++) {
		const tc_job_record *j = &st->jobs[i];
		char when[TC_TIME_STR_MAX], bytes[32], dur[32];
		if (tenant && strcmp(j->tenant, tenant))
			continue;
		if (shown++ == 0)
			tc_web_puts(o, "<table class=\"sortable\" id=\"jobs\">\n<thead><tr><th>Finished</th><th>Tenant</th>"
				       "<th>Inputs → output</th><th>Level</th><th>Objects in → out</th><th>Bytes</th>"
				       "<th>Duration</th><th>Result</th></tr></thead>\n<tbody>\n");
		tc_web_time(when, &j->finished);
		tc_web_bytes(bytes, sizeof(bytes), j->bytes);
		tc_web_printf(o, "<tr><td data-v=\"%lld\">%s</td><td>", (long long)j->finished.sec, when);
		tc_web_esc(o, j->tenant);
		tc_web_puts(o, "</td><td class=\"ids\">");
		for (size_t k = 0; k < j->n_inputs; k++) {
			block_link(o, j->tenant, j->inputs[k]);
			tc_web_puts(o, "<br>");
		}
		tc_web_puts(o, "→ ");
		if (j->output[0])
			block_link(o, j->tenant, j->output);
		else
			tc_web_puts(o, "<i>none</i>");
		snprintf(dur, sizeof(dur), "%.3fs", (double)j->duration_ns / 1e9);
		tc_web_printf(o, "</td><td data-v=\"%u\">%u</td><td data-v=\"%lld\">%lld → %lld</td>"
				 "<td data-v=\"%llu\">%s</td><td data-v=\"%llu\">%s</td><td class=\"%s\">%s",
			      (unsigned)j->level, (unsigned)j->level, (long long)j->objects, (long long)j->objects_in,
			      (long long)j->objects, (unsigned long long)j->bytes, bytes,
			      (unsigned long long)j->duration_ns, dur, strcmp(j->result, "ok") ? "warn" : "ok", j->result);
		if (j->error[0]) {
			tc_web_puts(o, "<br><small>");
			tc_web_esc(o, j->error);
			tc_web_puts(o, "</small>");
		}
		tc_web_puts(o, "</td></tr>\n");
	}
	tc_web_puts(o, shown ? "</tbody>\n</table>\n</section>\n"
			     : "<p class=\"empty\">None since this process started.</p>\n</section>\n");
}

void tc_web_retention_table(tc_web_out *o, const tc_status *st, const char *tenant)
{
	size_t shown = 0;

	tc_web_printf(o, "<section>\n<h2>Last retention actions <small>up to %d</small></h2>\n", TC_STATUS_HISTORY);
	for (size_t i = 0; i < st->n_retention; i++) {
		const tc_retention_record *r = &st->retention[i];
		char when[TC_TIME_STR_MAX], bt[TC_TIME_STR_MAX], cut[TC_TIME_STR_MAX];
		if (tenant && strcmp(r->tenant, tenant))
			continue;
		if (shown++ == 0)
			tc_web_puts(o, "<table class=\"sortable\" id=\"retention\">\n<thead><tr><th>When</th><th>Tenant</th>"
				       "<th>Block</th><th>Action</th><th title=\"a live block's end, a compacted block's "
				       "compactedTime\">Block time</th><th>Cut-off</th></tr></thead>\n<tbody>\n");
		tc_web_time(when, &r->when);
		tc_web_time(bt, &r->block_time);
		tc_web_time(cut, &r->cutoff);
		tc_web_printf(o, "<tr><td data-v=\"%lld\">%s</td><td>", (long long)r->when.sec, when);
		tc_web_esc(o, r->tenant);
		tc_web_puts(o, "</td><td>");
		tc_web_esc(o, r->block);
		tc_web_printf(o, "</td><td class=\"%s\">%s", r->error[0] ? "warn" : "", r->action);
		if (r->error[0]) {
			tc_web_puts(o, "<br><small>");
			tc_web_esc(o, r->error);
			tc_web_puts(o, "</small>");
		}
		tc_web_printf(o, "</td><td data-v=\"%lld\">%s</td><td data-v=\"%lld\">%s</td></tr>\n",
			      (long long)r->block_time.sec, bt, (long long)r->cutoff.sec, cut);
	}
	tc_web_puts(o, shown ? "</tbody>\n</table>\n</section>\n"
			     : "<p class=\"empty\">None since this process started.</p>\n</section>\n");
}

int tc_web_render(tc_buf *out, const tc_status *st, const tc_web_query *q)
{
	tc_web_out o = { out, TC_OK };
	const char *tenant = q->tenant && st->has_detail ? q->tenant : NULL;

	head(&o, st, tenant);
	if (tenant) {
		tc_web_tenant_page(&o, st, q);
		if (!st->read_only) {
			tc_web_jobs_table(&o, st, tenant);
			tc_web_retention_table(&o, st, tenant);
		}
	} else {
		summary(&o, st);
		if (!st->read_only) {
			tc_web_jobs_table(&o, st, NULL);
			tc_web_retention_table(&o, st, NULL);
		}
	}
	foot(&o);
	return o.rc;
}
