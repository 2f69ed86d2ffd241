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

void tc_sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

unsigned tc_backoff_ms(atomic_uint_fast64_t *rng, unsigned round, unsigned base_ms,
		       unsigned max_ms)
{
	/* splitmix64: a Weyl step on the shared state, then its finalizer */
	uint64_t r = atomic_fetch_add(rng, 0x9e3779b97f4a7c15ULL);
	unsigned ms = base_ms;

	r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9ULL;
	r = (r ^ (r >> 27)) * 0x94d049bb133111ebULL;
	r ^= r >> 31;
	for (unsigned i = 0; i < round && ms < max_ms; i++)
		ms = ms > max_ms / 2 ? max_ms : ms * 2;
	if (ms > max_ms)
		ms = max_ms;
	return ms / 2 + (unsigned)(r % (ms / 2 + 1));
}

/*
 * Go's time.ParseDuration grammar, [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ or "0",
 * with Prometheus's units added (d = 24h, w = 7d, y = 365d): every string
 * either model.ParseDuration or Go accepts parses, to the same value.
 */
static const struct {
	const char *name;
	uint64_t ns;
} duration_units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "\xc2\xb5s", 1000 }, /* U+00B5 micro sign, as Go */
	{ "\xce\xbcs", 1000 }, /* U+03BC Greek mu, as Go */
	{ "ms", 1000000 },
	{ "s", 1000000000ULL },
	{ "m", 60ULL * 1000000000ULL },
	{ "h", 3600ULL * 1000000000ULL },
	{ "d", 24ULL * 3600 * 1000000000ULL },
	{ "w", 7ULL * 24 * 3600 * 1000000000ULL },
	{ "y", 365ULL * 24 * 3600 * 1000000000ULL },
};

#define DURATION_LIMIT ((uint64_t)1 << 63) /* |INT64_MIN|: only a negative value may reach it */

/* Go's leadingInt: digits into *v; -1 past DURATION_LIMIT. */
static int leading_int(uint64_t *v, const char **p)
{
	uint64_t x = 0;

	for (; **p >= '0' && **p <= '9'; (*p)++) {
		if (x > DURATION_LIMIT / 10)
			return -1;
		x = x * 10 + (uint64_t)(**p - '0');
		if (x > DURATION_LIMIT)
			return -1;
	}
	*v = x;
	return 0;
}

/* Go's leadingFraction: digits past the precision of *f are read and dropped. */
static void leading_fraction(uint64_t *f, double *scale, const char **p)
{
	int overflow = 0;

	*f = 0;
	*scale = 1;
	for (; **p >= '0' && **p <= '9'; (*p)++) {
		uint64_t y;
		if (overflow)
			continue;
		if (*f > (DURATION_LIMIT - 1) / 10) {
			overflow = 1;
			continue;
		}
		y = *f * 10 + (uint64_t)(**p - '0');
		if (y > DURATION_LIMIT) {
			overflow = 1;
			continue;
		}
		*f = y;
		*scale *= 10;
	}
}

int tc_duration_parse(int64_t *out_ns, const char *s)
{
	const char *p = s, *why = "invalid duration";
	uint64_t total = 0;
	int neg = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (strcmp(p, "0") == 0) {
		*out_ns = 0;
		return TC_OK;
	}
	if (!*p) {
		why = "empty duration";
		goto bad;
	}
	while (*p) {
		const char *digits_at = p, *unit;
		uint64_t v, f = 0, mult = 0;
		double scale = 1;
		size_t ul, i;
		int pre, post = 0;

		if (!(*p == '.' || (*p >= '0' && *p <= '9')))
			goto bad;
		if (leading_int(&v, &p) < 0) {
			why = "duration out of range";
			goto bad;
		}
		pre = p != digits_at;
		if (*p == '.') {
			const char *frac_at = ++p;
			leading_fraction(&f, &scale, &p);
			post = p != frac_at;
		}
		if (!pre && !post)
			goto bad;
		/* The unit is everything up to the next number, as in Go. */
		unit = p;
		while (*p && *p != '.' && !(*p >= '0' && *p <= '9'))
			p++;
		ul = (size_t)(p - unit);
		if (ul == 0) {
			why = "missing unit in duration";
			goto bad;
		}
		for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
			const char *name = duration_units[i].name;
			if (strlen(name) == ul && !memcmp(name, unit, ul))
				mult = duration_units[i].ns;
		}
		if (!mult) {
			why = "unknown unit in duration";
			goto bad;
		}
		if (v > DURATION_LIMIT / mult) {
			why = "duration out of range";
			goto bad;
		}
		v *= mult;
		if (f > 0) {
			/* float64, as Go: nanosecond-accurate for fractions of an hour */
			v += (uint64_t)((double)f * ((double)mult / scale));
			if (v > DURATION_LIMIT) {
				why = "duration out of range";
				goto bad;
			}
		}
		if (v > DURATION_LIMIT - total) {
			why = "duration out of range";
			goto bad;
		}
		total += v;
	}
	if (!neg && total > (uint64_t)INT64_MAX) {
		why = "duration out of range";
		goto bad;
	}
	if (neg)
		*out_ns = total == DURATION_LIMIT ? INT64_MIN : -(int64_t)total;
	else
		*out_ns = (int64_t)total;
	return TC_OK;
bad:
	tc_error_set("%s \"%.64s\" (want e.g. 300ms, 30s, 1h30m, 1.5h, 14d or 2w; units ns us ms s m "
		     "h d w y)", why, s);
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
