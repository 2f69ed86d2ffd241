/*
 * Logging in logfmt, like Tempo's go-kit logger:
 *   level=info ts=2026-11-25T05:25:31.174Z msg="compacted blocks" tenant=t1
 * A call site writes the fields after level/ts itself, starting with msg=,
 * through one printf format. Values that may hold spaces or quotes go
 * through tc_log_q(), which quotes and escapes them. Operators' tools parse
 * these lines, so level= is the line's alone (a block's level is logged as
 * compaction_level=) and times are printed with tc_time_format_utc()
 * (RFC 3339, UTC), never as Unix seconds.
 */
#ifndef TC_UTIL_LOG_H
#define TC_UTIL_LOG_H

#include <stdatomic.h>

enum { TC_LOG_DEBUG = 0, TC_LOG_INFO = 1, TC_LOG_WARN = 2, TC_LOG_ERROR = 3 };

extern atomic_int tc_log_min_level;

#define tc_log(lvl, ...)                                                              \
	do {                                                                          \
		if ((lvl) >= atomic_load_explicit(&tc_log_min_level, memory_order_relaxed)) \
			tc_log_write((lvl), __VA_ARGS__);                             \
	} while (0)
#define tc_log_debug(...) tc_log(TC_LOG_DEBUG, __VA_ARGS__)
#define tc_log_info(...) tc_log(TC_LOG_INFO, __VA_ARGS__)
#define tc_log_warn(...) tc_log(TC_LOG_WARN, __VA_ARGS__)
#define tc_log_error(...) tc_log(TC_LOG_ERROR, __VA_ARGS__)

void tc_log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses "debug", "info", "warn", "error"; returns -1 if unknown. */
int tc_log_level_parse(const char *name);
void tc_log_set_level(int level);
/* Redirects output (default stderr); for tests. */
void tc_log_set_fd(int fd);
/*
 * Returns s as a logfmt value: unchanged when it needs no quoting, else
 * quoted and escaped. The result lives in a small per-thread ring, valid for
 * the next few calls; long values are cut at 512 bytes.
 */
const char *tc_log_q(const char *s);

#endif
