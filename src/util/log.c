#include "src/util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

atomic_int tc_log_min_level = TC_LOG_INFO;
static atomic_int log_fd = 2;

#define Q_SLOTS 8
#define Q_SIZE 520

static _Thread_local char q_ring[Q_SLOTS][Q_SIZE];
static _Thread_local unsigned q_next;

static const char *level_names[] = { "debug", "info", "warn", "error" };

void tc_log_write(int level, const char *fmt, ...)
{
	char line[4096];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;
	va_list ap;

	if (level < TC_LOG_DEBUG || level > TC_LOG_ERROR)
		level = TC_LOG_ERROR;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	r = snprintf(line, sizeof(line), "level=%s ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ ",
		     level_names[level], tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		     tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	n = r < 0 ? 0 : (size_t)r;
	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	n += r < 0 ? 0 : (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line keeps lines from several threads whole. */
	if (write(atomic_load(&log_fd), line, n) < 0) {
		/* nowhere left to report a logging failure */
	}
}

int tc_log_level_parse(const char *name)
{
	for (int i = 0; i <= TC_LOG_ERROR; i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return i;
	if (strcasecmp(name, "warning") == 0)
		return TC_LOG_WARN;
	return -1;
}

void tc_log_set_level(int level)
{
	atomic_store(&tc_log_min_level, level);
}

void tc_log_set_fd(int fd)
{
	atomic_store(&log_fd, fd);
}

const char *tc_log_q(const char *s)
{
	char *out = q_ring[q_next++ % Q_SLOTS];
	size_t o = 0;
	int needs = (s == NULL || *s == '\0');

	if (!s)
		s = "";
	for (const char *p = s; *p && !needs; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x20 || *p == '\\')
			needs = 1;
	if (!needs) {
		snprintf(out, Q_SIZE, "%.512s", s);
		return out;
	}
	out[o++] = '"';
	for (const char *p = s; *p && o < Q_SIZE - 8; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, Q_SIZE - o, "\\x%02x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}
