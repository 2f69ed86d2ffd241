/*
 * tc_duration_parse: the one duration syntax of the config and the overrides
 * file. Every string Go's time.ParseDuration or Prometheus's
 * model.ParseDuration accepts must parse to the value they give (expected
 * values below are what Go 1.19 and prometheus/common return).
 */
#include "tests/test.h"

#include "src/util/timeutil.h"

#define NS_US 1000LL
#define NS_MS 1000000LL
#define NS_S 1000000000LL
#define NS_M (60 * NS_S)
#define NS_H (60 * NS_M)
#define NS_D (24 * NS_H)

static int parses_to(const char *s, int64_t want)
{
	int64_t got = 12345;

	if (tc_duration_parse(&got, s) < 0) {
		tc_test_fail(__FILE__, __LINE__, "\"%s\": refused: %s", s, tc_error_last());
		return 0;
	}
	if (got != want) {
		tc_test_fail(__FILE__, __LINE__, "\"%s\": got %" PRId64 " ns, want %" PRId64, s, got,
			     want);
		return 0;
	}
	return 1;
}

static int refused(const char *s, const char *why)
{
	int64_t got = 12345;
	int r = tc_duration_parse(&got, s);

	if (r != TC_EINVALID) {
		tc_test_fail(__FILE__, __LINE__, "\"%s\": returned %d (%" PRId64 " ns), want TC_EINVALID",
			     s, r, got);
		return 0;
	}
	if (!strstr(tc_error_last(), why)) {
		tc_test_fail(__FILE__, __LINE__, "\"%s\": message \"%s\" lacks \"%s\"", s,
			     tc_error_last(), why);
		return 0;
	}
	return 1;
}

/* What Go's time.ParseDuration accepts, so every Tempo config parses. */
static void test_go_syntax(void)
{
	CHECK(parses_to("0", 0));
	CHECK(parses_to("+0", 0));
	CHECK(parses_to("-0", 0));
	CHECK(parses_to("0s", 0));
	CHECK(parses_to("30s", 30 * NS_S));
	CHECK(parses_to("300ms", 300 * NS_MS));
	CHECK(parses_to("336h", 336 * NS_H));
	CHECK(parses_to("1h30m", 90 * NS_M));
	CHECK(parses_to("2h45m10s", 2 * NS_H + 45 * NS_M + 10 * NS_S));
	CHECK(parses_to("1.5h", 90 * NS_M));
	CHECK(parses_to(".5s", 500 * NS_MS));
	CHECK(parses_to("1.s", NS_S));
	CHECK(parses_to("1.0000000001s", NS_S)); /* fraction below 1ns truncated, as Go */
	CHECK(parses_to("0.3333333333333333333h", 20 * NS_M)); /* float64 rounding, as Go */
	CHECK(parses_to("10ns", 10));
	CHECK(parses_to("7us", 7 * NS_US));
	CHECK(parses_to("7\xc2\xb5s", 7 * NS_US)); /* U+00B5 micro sign */
	CHECK(parses_to("7\xce\xbcs", 7 * NS_US)); /* U+03BC Greek mu */
	CHECK(parses_to("1s1h", NS_H + NS_S));     /* Go takes units in any order */
	CHECK(parses_to("1m1m", 2 * NS_M));
	CHECK(parses_to("-1.5h", -90 * NS_M));
	CHECK(parses_to("+5m", 5 * NS_M));
	CHECK(parses_to("9223372036854775807ns", INT64_MAX));
	CHECK(parses_to("-9223372036854775808ns", INT64_MIN));
	CHECK(parses_to("2562047h47m16.854775807s", INT64_MAX));
}

/* What Prometheus's model.ParseDuration accepts (Tempo's overrides file). */
static void test_prometheus_syntax(void)
{
	CHECK(parses_to("1d", NS_D));
	CHECK(parses_to("14d", 14 * NS_D));
	CHECK(parses_to("2w", 14 * NS_D));
	CHECK(parses_to("1y", 365 * NS_D));
	CHECK(parses_to("1d12h", 36 * NS_H));
	CHECK(parses_to("1y2w3d4h5m6s7ms",
			((365 + 14 + 3) * 24 + 4) * NS_H + 5 * NS_M + 6 * NS_S + 7 * NS_MS));
	CHECK(parses_to("292y", 292 * 365 * NS_D));
	/* The superset: Prometheus wants units in order and whole numbers. */
	CHECK(parses_to("1d1w", 8 * NS_D));
	CHECK(parses_to("1.5d", 36 * NS_H));
	CHECK(parses_to("1w1h30m", 7 * NS_D + 90 * NS_M));
}

static void test_invalid(void)
{
	CHECK(refused("", "empty duration"));
	CHECK(refused("-", "empty duration"));
	CHECK(refused("h", "invalid duration"));
	CHECK(refused("1x", "unknown unit"));
	CHECK(refused("1hx", "unknown unit"));
	CHECK(refused("1 h", "unknown unit"));
	CHECK(refused("1H", "unknown unit"));
	CHECK(refused("1e3s", "unknown unit"));
	CHECK(refused("30", "missing unit"));    /* only a bare 0 needs no unit */
	CHECK(refused("1.5", "missing unit"));
	CHECK(refused("1h30", "missing unit"));
	CHECK(refused(".s", "invalid duration"));
	CHECK(refused("1h-30m", "unknown unit")); /* the unit runs to the next digit */
	CHECK(refused("--1h", "invalid duration"));
	CHECK(refused(" 1h", "invalid duration"));
	CHECK(refused("1h ", "unknown unit"));
	/* Out of int64 nanoseconds: a wrapped value would be a silent lie. */
	CHECK(refused("293y", "out of range"));
	CHECK(refused("9223372036854775808ns", "out of range"));
	CHECK(refused("-9223372036854775809ns", "out of range"));
	CHECK(refused("2562048h", "out of range"));
	CHECK(refused("2562047h47m16.854775808s", "out of range"));
	CHECK(refused("99999999999999999999s", "out of range"));
	CHECK(refused("200y200y", "out of range"));
	/* The message quotes the input. */
	CHECK(refused("1fortnight", "\"1fortnight\""));
}

/* Negative durations parse, as in Go; the config refuses them (test_config). */
static void test_negative(void)
{
	CHECK(parses_to("-1h", -NS_H));
	CHECK(parses_to("-2w", -14 * NS_D));
	CHECK(refused("-293y", "out of range"));
}

TC_TEST_MAIN(T(test_go_syntax), T(test_prometheus_syntax), T(test_invalid), T(test_negative))
