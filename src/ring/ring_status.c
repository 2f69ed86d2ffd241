/*
 * The ring page (ring.h's tc_ring_status; docs/RING.md#the-ring-page):
 * what dskit's /compactor/ring shows, as a self-contained HTML page or as
 * JSON in dskit's shape ({"shards": [...], "now": ...}) with a few fields
 * of ours added. Every string in the ring was written by someone else, so
 * every one is escaped, and bytes that are not UTF-8 show as U+FFFD.
 */
#include "src/ring/ring_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/error.h"
#include "src/util/timeutil.h"
#include "src/util/utf8.h"

#define NS 1000000000LL

static int html_put(tc_buf *b, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = strlen(s);
	int rc = TC_OK;

	while (n > 0 && rc == TC_OK) {
		uint32_t cp;
		size_t k = tc_utf8_seq(p, n, &cp);

		if (k == 0) {
			rc = tc_buf_puts(b, "\xef\xbf\xbd");
			k = 1;
		} else if (k == 1 && strchr("&<>\"'", *p)) {
			rc = tc_buf_puts(b, *p == '&' ? "&amp;" : *p == '<' ? "&lt;" :
				     *p == '>' ? "&gt;" : *p == '"' ? "&quot;" : "&#39;");
		} else {
			rc = tc_buf_put(b, p, k);
		}
		p += k;
		n -= k;
	}
	return rc;
}

static void fmt_time(char out[TC_TIME_STR_MAX], int64_t unix_s)
{
	tc_time t = tc_time_from_unix(unix_s, 0);

	tc_time_format_utc(out, &t);
}

/* One row's worth of what the page shows of an instance. */
typedef struct row {
	tc_ring_instance i;
	const char *class;
	char heartbeat[TC_TIME_STR_MAX];
	char registered[TC_TIME_STR_MAX]; /* "" when unknown (0) */
	char age[64];
	double ownership;                 /* percent */
} row;

static void row_fill(row *w, const tc_ring *r, const tc_ring_view *v, size_t i, int64_t now_s,
		     const double *own)
{
	tc_ring_desc_at(&w->i, v->desc, i);
	w->class = tc_ring_member_class(r, &w->i, now_s);
	fmt_time(w->heartbeat, w->i.timestamp);
	w->registered[0] = '\0';
	if (w->i.registered_timestamp)
		fmt_time(w->registered, w->i.registered_timestamp);
	/* bounded so a hostile timestamp cannot overflow the nanoseconds */
	{
		int64_t age = now_s - w->i.timestamp;
		if (w->i.timestamp > now_s || age > 100LL * 365 * 86400)
			snprintf(w->age, sizeof(w->age), "%s",
				 w->i.timestamp > now_s ? "in the future" : "long ago");
		else
			tc_duration_format(w->age, sizeof(w->age), age * NS);
	}
	w->ownership = own[i] * 100;
}

static int put_json(tc_buf *b, const tc_ring *r, const tc_ring_view *v, int64_t now_s,
		    double view_age_s, const double *own)
{
	char now[TC_TIME_STR_MAX];
	size_t n = tc_ring_desc_count(v->desc);
	int rc = tc_buf_puts(b, "{\"shards\":[");

	for (size_t i = 0; i < n && rc == TC_OK; i++) {
		row w;

		row_fill(&w, r, v, i, now_s, own);
		if ((rc = tc_buf_puts(b, i ? ",{\"id\":" : "{\"id\":")) < 0 ||
		    (rc = tc_json_put_string(b, w.i.id)) < 0 ||
		    (rc = tc_buf_printf(b, ",\"state\":\"%s\",\"address\":", w.class)) < 0 ||
		    (rc = tc_json_put_string(b, w.i.addr)) < 0 ||
		    (rc = tc_buf_printf(b, ",\"timestamp\":\"%s\",\"registered_timestamp\":\"%s\","
					"\"zone\":", w.heartbeat, w.registered)) < 0 ||
		    (rc = tc_json_put_string(b, w.i.zone)) < 0 ||
		    (rc = tc_buf_puts(b, ",\"tokens\":[")) < 0)
			break;
		for (size_t t = 0; t < w.i.n_tokens && rc == TC_OK; t++)
			rc = tc_buf_printf(b, t ? ",%u" : "%u", (unsigned)w.i.tokens[t]);
		if (rc == TC_OK)
			rc = tc_buf_printf(b, "],\"num_tokens\":%zu,\"ownership\":%.4f,"
					   "\"heartbeat_age_seconds\":%lld,\"this_instance\":%s}",
					   w.i.n_tokens, w.ownership, (long long)(now_s - w.i.timestamp),
					   strcmp(w.i.id, r->o.instance_id) == 0 ? "true" : "false");
	}
	fmt_time(now, now_s);
	if (rc == TC_OK &&
	    (rc = tc_buf_printf(b, "],\"now\":\"%s\",\"key\":", now)) == TC_OK &&
	    (rc = tc_json_put_string(b, r->ring_key)) == TC_OK &&
	    (rc = tc_buf_puts(b, ",\"instance\":")) == TC_OK &&
	    (rc = tc_json_put_string(b, r->o.instance_id)) == TC_OK)
		rc = tc_buf_printf(b, ",\"view_age_seconds\":%.3f}\n", view_age_s);
	return rc;
}

static const char HTML_HEAD[] =
	"<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"UTF-8\">\n"
	"<title>Compactor ring</title>\n<style>\n"
	"body { font-family: sans-serif; }\n"
	"table { border-collapse: collapse; width: 100%; }\n"
	"th, td { border: 1px solid #999; padding: 4px 8px; text-align: left; }\n"
	"tr.unhealthy { background: #fdd; }\n"
	"tr.self { font-weight: bold; }\n"
	"form { margin: 0; }\n"
	"</style>\n</head>\n<body>\n<h1>Compactor ring</h1>\n";

static const char HTML_TABLE[] =
	"<table>\n<thead><tr><th>Instance ID</th><th>Availability Zone</th><th>State</th>"
	"<th>Address</th><th>Registered At</th><th>Last Heartbeat</th><th>Tokens</th>"
	"<th>Ownership</th><th>Actions</th></tr></thead>\n<tbody>\n";

static int put_html_row(tc_buf *b, const tc_ring *r, const row *w)
{
	int self = strcmp(w->i.id, r->o.instance_id) == 0;
	int rc;

	if ((rc = tc_buf_printf(b, "<tr class=\"%s\"><td>",
				strcmp(w->class, "Unhealthy") == 0 ? "unhealthy" :
				self ? "self" : "")) < 0 ||
	    (rc = html_put(b, w->i.id)) < 0 ||
	    (rc = tc_buf_puts(b, self ? " (this instance)</td><td>" : "</td><td>")) < 0 ||
	    (rc = html_put(b, w->i.zone)) < 0 ||
	    (rc = tc_buf_printf(b, "</td><td>%s</td><td>", w->class)) < 0 ||
	    (rc = html_put(b, w->i.addr)) < 0 ||
	    (rc = tc_buf_printf(b, "</td><td>%s</td><td>%s (%s%s)</td><td>%zu</td>"
				"<td>%.1f%%</td><td><form method=\"post\">"
				"<input type=\"hidden\" name=\"forget\" value=\"",
				w->registered, w->heartbeat, w->age,
				w->age[0] >= '0' && w->age[0] <= '9' ? " ago" : "",
				w->i.n_tokens, w->ownership)) < 0 ||
	    (rc = html_put(b, w->i.id)) < 0)
		return rc;
	return tc_buf_puts(b, "\"><button type=\"submit\">Forget</button></form></td></tr>\n");
}

static int put_html(tc_buf *b, const tc_ring *r, const tc_ring_view *v, int64_t now_s,
		    double view_age_s, const double *own)
{
	char now[TC_TIME_STR_MAX];
	size_t n = tc_ring_desc_count(v->desc);
	int rc;

	fmt_time(now, now_s);
	if ((rc = tc_buf_puts(b, HTML_HEAD)) < 0 ||
	    (rc = tc_buf_printf(b, "<p>Current time: %s. Ring key <code>", now)) < 0 ||
	    (rc = html_put(b, r->ring_key)) < 0 || (rc = tc_buf_puts(b, "</code> in ")) < 0 ||
	    (rc = html_put(b, tc_kv_name(r->kv))) < 0 ||
	    (rc = tc_buf_printf(b, ", read %.1fs ago. %zu instances.</p>\n", view_age_s, n)) < 0 ||
	    (rc = tc_buf_puts(b, HTML_TABLE)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		row w;

		row_fill(&w, r, v, i, now_s, own);
		if ((rc = put_html_row(b, r, &w)) < 0)
			return rc;
	}
	return tc_buf_puts(b, "</tbody>\n</table>\n</body>\n</html>\n");
}

int tc_ring_status(tc_buf *out, tc_ring *r, int json)
{
	tc_ring_view *v = tc_ring_view_get(r);
	double *own = NULL, age;
	int64_t now_s = tc_time_now().sec;
	int rc;

	if (!v) {
		tc_error_set("ring %s: not running", r->ring_key);
		return TC_ERROR;
	}
	if (!(own = calloc(tc_ring_desc_count(v->desc) + 1, sizeof(*own)))) {
		tc_error_set("ring %s: out of memory for the ring page", r->ring_key);
		rc = TC_ERROR;
		goto done;
	}
	tc_ring_table_ownership(own, v->table);
	age = (double)(tc_mono_ns() - v->read_ns) / 1e9;
	rc = json ? put_json(out, r, v, now_s, age, own) : put_html(out, r, v, now_s, age, own);
	if (rc < 0)
		tc_error_set("ring %s: the ring page does not fit its buffer", r->ring_key);
done:
	free(own);
	tc_ring_view_put(r, v);
	return rc;
}
