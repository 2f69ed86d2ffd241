/*
 * Wall-clock times as Tempo's metas carry them: an instant plus the UTC
 * offset it was written with, so a time we read is written back unchanged.
 */
#ifndef TC_UTIL_TIMEUTIL_H
#define TC_UTIL_TIMEUTIL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tc_time {
	int64_t sec;      /* unix seconds */
	int32_t nsec;     /* 0..999999999 */
	int32_t off_min;  /* UTC offset in minutes the value is displayed in */
} tc_time;

#define TC_TIME_STR_MAX 40

/* RFC 3339 with a zone ("Z" or +hh:mm), any number of fraction digits. */
int tc_time_parse(tc_time *out, const char *s);
/* Go's RFC3339Nano: fraction with trailing zeros trimmed, "Z" for UTC. */
void tc_time_format(char out[TC_TIME_STR_MAX], const tc_time *t);
/* The same instant in UTC ("...Z") whatever offset t carries: the form logs print. */
void tc_time_format_utc(char out[TC_TIME_STR_MAX], const tc_time *t);
tc_time tc_time_now(void);
tc_time tc_time_from_unix(int64_t sec, int32_t nsec);
/* <0, 0, >0 by instant (offsets ignored). */
int tc_time_cmp(const tc_time *a, const tc_time *b);
/* Nanoseconds on CLOCK_MONOTONIC, for durations. */
uint64_t tc_mono_ns(void);
/* Sleeps ms milliseconds (less if a signal interrupts). */
void tc_sleep_ms(unsigned ms);
/*
 * The wait before retry number round + 1 (round 0 is the first retry):
 * base_ms doubled round times, at most max_ms, then drawn from [d/2, d] so
 * clients that failed together do not retry together. rng is the caller's
 * jitter state (seed it once); threads may share it.
 */
unsigned tc_backoff_ms(atomic_uint_fast64_t *rng, unsigned round, unsigned base_ms,
		       unsigned max_ms);

/*
 * The one duration syntax of the config and the overrides file: Go's
 * (time.ParseDuration: "300ms", "1h30m", "1.5h", "-2m", plain "0"; units
 * ns, us/µs, ms, s, m, h, in any order, with fractions) plus Prometheus's
 * day, week and year (d = 24h, w = 7d, y = 365d: "14d", "2w", "1y2w3d").
 * Every string Go or Prometheus's model.ParseDuration accepts parses to
 * the value they give; sets *out_ns. Out of int64 range or anything else
 * is TC_EINVALID with a message.
 */
int tc_duration_parse(int64_t *out_ns, const char *s);
/* Formats a duration the way Go prints it (e.g. "1h0m0s", "30s"). */
void tc_duration_format(char *out, size_t outsz, int64_t ns);

#endif
