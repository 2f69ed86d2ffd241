#include "src/util/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TC_ERROR_MAX 1024

static _Thread_local char last_error[TC_ERROR_MAX];

void tc_error_set(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

void tc_error_set_at(const tc_where *w, const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;

	if (w && w->key) {
		int r = w->off == TC_WHERE_NO_OFFSET
				? snprintf(last_error, sizeof(last_error), "%s: ", w->key)
				: snprintf(last_error, sizeof(last_error), "%s at offset %" PRIu64 ": ",
					   w->key, w->off);
		n = r < 0 ? 0 : (size_t)r;
		if (n >= sizeof(last_error))
			return;
	}
	va_start(ap, fmt);
	vsnprintf(last_error + n, sizeof(last_error) - n, fmt, ap);
	va_end(ap);
}

void tc_error_set_os(const char *fmt, ...)
{
	int saved = errno;
	size_t n;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	n = r < 0 ? 0 : (size_t)r;
	if (n < sizeof(last_error))
		snprintf(last_error + n, sizeof(last_error) - n, ": %s", strerror(saved));
	errno = saved;
}

const char *tc_error_last(void)
{
	return last_error[0] ? last_error : "unknown error";
}

void tc_error_clear(void)
{
	last_error[0] = '\0';
}

const char *tc_error_code_name(int code)
{
	switch (code) {
	case TC_OK: return "ok";
	case TC_ENOTFOUND: return "not found";
	case TC_ECORRUPT: return "corrupt";
	case TC_EUNSUPPORTED: return "unsupported";
	case TC_ELIMIT: return "limit exceeded";
	case TC_ECANCELED: return "canceled";
	case TC_EINVALID: return "invalid";
	case TC_ECONFLICT: return "conflict";
	default: return "error";
	}
}
