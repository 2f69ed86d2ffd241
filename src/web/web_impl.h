/* Shared by the page's files only: an appender that keeps its first error, and formatting. */
#ifndef TC_WEB_WEB_IMPL_H
#define TC_WEB_WEB_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"
#include "src/util/timeutil.h"
#include "src/web/page.h"

/* Appends to b until one append fails; rc is that failure, and later appends do nothing. */
typedef struct tc_web_out {
	tc_buf *b;
	int rc;
} tc_web_out;

void tc_web_puts(tc_web_out *o, const char *s);
void tc_web_printf(tc_web_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * s as HTML text or a quoted attribute value: & < > " ' as entities,
 * control characters and bytes that are not UTF-8 as U+FFFD, so nothing
 * from the bucket can open a tag, leave an attribute or hide itself.
 */
void tc_web_esc(tc_web_out *o, const char *s);
/* s percent-encoded for a query value (then safe in an attribute too). */
void tc_web_url(tc_web_out *o, const char *s);
/* "/?tenant=T", escaped for an href. */
void tc_web_tenant_href(tc_web_out *o, const char *tenant);

/* "2006-01-02 15:04:05Z", or "never" for TC_STATUS_NEVER. */
void tc_web_time(char out[TC_TIME_STR_MAX], const tc_time *t);
/* "3d4h", "2h5m", "4m10s", "12s" (rounded down); "-" for a negative one. */
void tc_web_dur(char *out, size_t size, int64_t ns);
/* "12s ago" from now, or "never". */
void tc_web_ago(char *out, size_t size, const tc_time *t, const tc_time *now);
/* "1.5 MiB" */
void tc_web_bytes(char *out, size_t size, uint64_t n);

int64_t tc_web_ns(const tc_time *t);

/* The tenant page (timeline.c). */
void tc_web_tenant_page(tc_web_out *o, const tc_status *st, const tc_web_query *q);
/* The history tables (page.c); tenant NULL: every tenant's. */
void tc_web_jobs_table(tc_web_out *o, const tc_status *st, const char *tenant);
void tc_web_retention_table(tc_web_out *o, const tc_status *st, const char *tenant);

extern const char tc_web_css[];
extern const char tc_web_js[];

#endif
