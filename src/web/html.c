/* Escaping and formatting for the page. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/compactor/status.h"
#include "src/util/utf8.h"
#include "src/web/web_impl.h"

void tc_web_puts(tc_web_out *o, const char *s)
{
	if (o->rc == TC_OK)
		o->rc = tc_buf_puts(o->b, s);
}

void tc_web_printf(tc_web_out *o, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	if (o->rc != TC_OK)
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(small)) {
		o->rc = tc_buf_put(o->b, small, (size_t)n);
		return;
	}
	/* A longer one (a table row's cells) is formatted again, into memory of its size. */
	{
		char *big = NULL;
		va_start(ap, fmt);
		n = vasprintf(&big, fmt, ap);
		va_end(ap);
		if (n < 0) {
			tc_error_set("out of memory");
			o->rc = TC_ERROR;
			return;
		}
		o->rc = tc_buf_put(o->b, big, (size_t)n);
		free(big);
	}
}

void tc_web_esc(tc_web_out *o, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = strlen(s), i = 0;

	while (i < n && o->rc == TC_OK) {
		uint32_t cp;
		size_t len;
		switch (p[i]) {
		case '&': tc_web_puts(o, "&amp;"); i++; continue;
		case '<': tc_web_puts(o, "&lt;"); i++; continue;
		case '>': tc_web_puts(o, "&gt;"); i++; continue;
		case '"': tc_web_puts(o, "&quot;"); i++; continue;
		case '\'': tc_web_puts(o, "&#39;"); i++; continue;
		default: break;
		}
		if (p[i] < 0x20 || p[i] == 0x7f) {
			tc_web_puts(o, p[i] == '\t' || p[i] == '\n' ? " " : "\xef\xbf\xbd");
			i++;
			continue;
		}
		if (p[i] < 0x80) {
			o->rc = tc_buf_putc(o->b, p[i++]);
			continue;
		}
		len = tc_utf8_seq(p + i, n - i, &cp);
		/* C1 controls and the bidirectional overrides could disguise the text around them. */
		if (len == 0 || (cp >= 0x80 && cp < 0xa0) || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069)) {
			tc_web_puts(o, "\xef\xbf\xbd");
			i += len ? len : 1;
			continue;
		}
		o->rc = tc_buf_put(o->b, p + i, len);
		i += len;
	}
}

void tc_web_url(tc_web_out *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const uint8_t *p = (const uint8_t *)s; *p && o->rc == TC_OK; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-_.~", *p)) {
			o->rc = tc_buf_putc(o->b, *p);
		} else {
			char e[4] = { '%', hex[*p >> 4], hex[*p & 15], 0 };
			tc_web_puts(o, e);
		}
	}
}

void tc_web_tenant_href(tc_web_out *o, const char *tenant)
{
	tc_web_puts(o, "/?tenant=");
	tc_web_url(o, tenant);
}

int64_t tc_web_ns(const tc_time *t)
{
	return t->sec * 1000000000LL + t->nsec;
}

void tc_web_time(char out[TC_TIME_STR_MAX], const tc_time *t)
{
	struct tm tm;
	time_t sec = (time_t)t->sec;

	if (TC_STATUS_NEVER(*t) || !gmtime_r(&sec, &tm)) {
		snprintf(out, TC_TIME_STR_MAX, "never");
		return;
	}
	strftime(out, TC_TIME_STR_MAX, "%Y-%m-%d %H:%M:%SZ", &tm);
}

void tc_web_dur(char *out, size_t size, int64_t ns)
{
	int64_t s = ns / 1000000000LL;

	if (ns < 0)
		snprintf(out, size, "-");
	else if (s < 60)
		snprintf(out, size, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, size, "%lldm%llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < 86400)
		snprintf(out, size, "%lldh%lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		snprintf(out, size, "%lldd%lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

void tc_web_ago(char *out, size_t size, const tc_time *t, const tc_time *now)
{
	char d[32];

	if (TC_STATUS_NEVER(*t)) {
		snprintf(out, size, "never");
		return;
	}
	tc_web_dur(d, sizeof(d), tc_web_ns(now) - tc_web_ns(t));
	snprintf(out, size, "%s ago", d);
}

void tc_web_bytes(char *out, size_t size, uint64_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, size, "%llu B", (unsigned long long)n);
	else
		snprintf(out, size, "%.1f %s", v, unit[u]);
}
