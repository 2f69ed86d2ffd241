#include "src/util/timeutil.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "src/util/error.h"

/* Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int tc_time_parse(tc_time *out, const char *s)
{
	int Y, M, D, h, mi, sec, oh, om;
	int32_t nsec = 0, off = 0;
	const char *p;
	size_t len = strlen(s);

	if (len < 20 || digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' ||
	    digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
		goto bad;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || mi > 59 || sec > 60)
		goto bad;
	p = s + 19;
	if (*p == '.') {
		int n = 0;
		p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		for (; isdigit((unsigned char)*p); p++, n++)
			if (n < 9)
				nsec = nsec * 10 + (*p - '0');
		for (; n < 9; n++)
			nsec *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
			goto bad;
		off = oh * 60 + om;
		if (*p == '-')
			off = -off;
		p += 6;
	} else {
		goto bad;
	}
	if (*p != '\0')
		goto bad;
	out->sec = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + mi * 60 + sec -
		   (int64_t)off * 60;
	out->nsec = nsec;
	out->off_min = off;
	return TC_OK;
bad:
	tc_error_set("invalid RFC 3339 time \"%.64s\"", s);
	return TC_EINVALID;
}

void tc_time_format(char out[TC_TIME_STR_MAX], const tc_time *t)
{
	int64_t local = t->sec + (int64_t)t->off_min * 60;
	int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	int64_t rem = local - days * 86400;
	int64_t y;
	unsigned m, d;
	int n;

	civil_from_days(days, &y, &m, &d);
	n = snprintf(out, TC_TIME_STR_MAX, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d", y, m, d,
		     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	if (t->nsec) {
		char frac[16];
		int fl;
		snprintf(frac, sizeof(frac), "%09d", t->nsec);
		for (fl = 9; fl > 0 && frac[fl - 1] == '0'; fl--)
			;
		frac[fl] = '\0';
		n += snprintf(out + n, (size_t)(TC_TIME_STR_MAX - n), ".%s", frac);
	}
	if (t->off_min == 0) {
		snprintf(out + n, (size_t)(TC_TIME_STR_MAX - n), "Z");
	} else {
		int a = t->off_min < 0 ? -t->off_min : t->off_min;
		snprintf(out + n, (size_t)(TC_TIME_STR_MAX - n), "%c%02d:%02d",
			 t->off_min < 0 ? '-' : '+', a / 60, a % 60);
	}
}

void tc_time_format_utc(char out[TC_TIME_STR_MAX], const tc_time *t)
{
	tc_time utc = *t;

	utc.off_min = 0;
	tc_time_format(out, &utc);
}

tc_time tc_time_from_unix(int64_t sec, int32_t nsec)
{
	tc_time t = { sec, nsec, 0 };
	return t;
}

tc_time tc_time_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return tc_time_from_unix(ts.tv_sec, (int32_t)ts.tv_nsec);
}

int tc_time_cmp(const tc_time *a, const tc_time *b)
{
	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	if (a->nsec != b->nsec)
		return a->nsec < b->nsec ? -1 : 1;
	return 0;
}

uint64_t tc_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int tc_duration_parse(int64_t *out_ns, const char *s)
{
	static const struct { const char *unit; int64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "µs", 1000 }, { "ms", 1000000 },
		{ "s", 1000000000LL }, { "m", 60000000000LL }, { "h", 3600000000000LL },
		{ "d", 86400000000000LL },
	};
	const char *p = s;
	int64_t total = 0;
	int neg = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (strcmp(p, "0") == 0) {
		*out_ns = 0;
		return TC_OK;
	}
	if (!*p)
		goto bad;
	while (*p) {
		double v = 0, scale = 1;
		int any = 0;
		size_t best = 0;
		int64_t unit = 0;

		for (; isdigit((unsigned char)*p); p++, any = 1)
			v = v * 10 + (*p - '0');
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++, any = 1)
				v += (*p - '0') * (scale /= 10);
		if (!any)
			goto bad;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t ul = strlen(units[i].unit);
			if (ul > best && strncmp(p, units[i].unit, ul) == 0) {
				best = ul;
				unit = units[i].ns;
			}
		}
		if (!best)
			goto bad;
		p += best;
		if (v * (double)unit > 9.2e18 - (double)total)
			goto bad;
		total += (int64_t)(v * (double)unit + 0.5);
	}
	*out_ns = neg ? -total : total;
	return TC_OK;
bad:
	tc_error_set("invalid duration \"%.64s\" (expected e.g. 30s, 5m, 336h)", s);
	return TC_EINVALID;
}

void tc_duration_format(char *out, size_t outsz, int64_t ns)
{
	int64_t a = ns < 0 ? -ns : ns;
	const char *sign = ns < 0 ? "-" : "";

	if (a == 0) {
		snprintf(out, outsz, "0s");
	} else if (a < 1000000000LL) {
		if (a % 1000000 == 0)
			snprintf(out, outsz, "%s%" PRId64 "ms", sign, a / 1000000);
		else
			snprintf(out, outsz, "%s%" PRId64 "ns", sign, a);
	} else {
		int64_t h = a / 3600000000000LL, m = a / 60000000000LL % 60;
		int64_t s = a / 1000000000LL % 60, frac = a % 1000000000LL;
		char sec[32];
		if (frac) {
			int fl;
			char f[16];
			snprintf(f, sizeof(f), "%09" PRId64, frac);
			for (fl = 9; fl > 0 && f[fl - 1] == '0'; fl--)
				;
			f[fl] = '\0';
			snprintf(sec, sizeof(sec), "%" PRId64 ".%ss", s, f);
		} else {
			snprintf(sec, sizeof(sec), "%" PRId64 "s", s);
		}
		if (h)
			snprintf(out, outsz, "%s%" PRId64 "h%" PRId64 "m%s", sign, h, m, sec);
		else if (m)
			snprintf(out, outsz, "%s%" PRId64 "m%s", sign, m, sec);
		else
			snprintf(out, outsz, "%s%s", sign, sec);
	}
}
