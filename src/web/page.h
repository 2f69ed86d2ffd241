/*
 * The bucket page (README "Bucket web page"): HTML, CSS, an inline SVG
 * timeline and a little JavaScript, all in the binary, rendered from a
 * status snapshot (src/compactor/status.h). Everything an operator needs is
 * in the HTML itself; the script only adds hover details, sorting and
 * level toggles. Every string from the bucket (tenant IDs, quarantine
 * reasons, errors) is escaped.
 *   /               every tenant: counts, sizes, outstanding jobs, times;
 *                   the last compaction jobs and retention actions
 *   /?tenant=T      the tenant's timeline and a table of its blocks;
 *                   level=0,1  from=  to=  compacted=1  filter it
 */
#ifndef TC_WEB_PAGE_H
#define TC_WEB_PAGE_H

#include <stdint.h>

#include "src/compactor/status.h"
#include "src/util/buf.h"

typedef struct tc_web_query {
	const char *tenant;   /* NULL: the bucket summary; borrowed */
	uint8_t levels[256];  /* non-zero: show that level; all zero: every level */
	int has_levels;
	int has_from, has_to;
	tc_time from, to;     /* blocks that overlap [from, to] */
	int compacted;        /* show compacted blocks too (faded) */
} tc_web_query;

/*
 * Reads the page's query arguments (any may be NULL). level is a comma
 * list of levels; from and to are RFC 3339 times, unix seconds, or a
 * duration relative to now ("-6h"); compacted is 1/true/on or 0/false/off.
 * TC_EINVALID with a message naming the argument otherwise.
 */
int tc_web_query_parse(tc_web_query *out, const char *tenant, const char *level, const char *from,
		       const char *to, const char *compacted);

/*
 * Appends the page for q: the summary, or st's detail tenant (st from
 * tc_service_status with q->tenant).
 */
int tc_web_render(tc_buf *out, const tc_status *st, const tc_web_query *q);

#endif
