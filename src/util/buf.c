#include "src/util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/array.h"
#include "src/util/error.h"

void tc_buf_init(tc_buf *b, size_t cap)
{
	b->ptr = NULL;
	b->len = 0;
	b->asize = 0;
	b->cap = cap;
}

int tc_buf_reserve(tc_buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : TC_BUF_DEFAULT_CAP;
	size_t need, nsize;
	uint8_t *p;

	if (extra > SIZE_MAX - b->len - 1 || b->len + extra > cap) {
		tc_error_set("buffer limit of %zu bytes exceeded (need %zu more after %zu)",
			     cap, extra, b->len);
		return TC_ELIMIT;
	}
	need = b->len + extra + 1; /* room for tc_buf_cstr */
	if (need <= b->asize)
		return TC_OK;
	/* need <= cap + 1 here; cap + 1 wraps to 0 (no max) only for a cap of SIZE_MAX. */
	nsize = tc_array_next_cap(b->asize, need, 256, cap + 1);
	p = realloc(b->ptr, nsize);
	if (!p) {
		tc_error_set("out of memory allocating %zu bytes", nsize);
		return TC_ERROR;
	}
	b->ptr = p;
	b->asize = nsize;
	return TC_OK;
}

int tc_buf_put(tc_buf *b, const void *data, size_t len)
{
	int err;
	if (len == 0)
		return TC_OK;
	if ((err = tc_buf_reserve(b, len)) < 0)
		return err;
	memcpy(b->ptr + b->len, data, len);
	b->len += len;
	return TC_OK;
}

int tc_buf_putc(tc_buf *b, uint8_t c)
{
	return tc_buf_put(b, &c, 1);
}

int tc_buf_puts(tc_buf *b, const char *s)
{
	return tc_buf_put(b, s, strlen(s));
}

int tc_buf_printf(tc_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, err;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		tc_error_set("bad format string");
		return TC_ERROR;
	}
	if ((err = tc_buf_reserve(b, (size_t)n + 1)) < 0)
		return err;
	va_start(ap, fmt);
	vsnprintf((char *)b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return TC_OK;
}

int tc_buf_put_u16le(tc_buf *b, uint16_t v)
{
	uint8_t t[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	return tc_buf_put(b, t, 2);
}

int tc_buf_put_u32le(tc_buf *b, uint32_t v)
{
	uint8_t t[4];
	tc_put_u32le(t, v);
	return tc_buf_put(b, t, 4);
}

int tc_buf_put_u64le(tc_buf *b, uint64_t v)
{
	uint8_t t[8];
	tc_put_u64le(t, v);
	return tc_buf_put(b, t, 8);
}

int tc_buf_grow_by(tc_buf *b, uint8_t **out, size_t len)
{
	int err;
	if ((err = tc_buf_reserve(b, len)) < 0)
		return err;
	if (len)
		memset(b->ptr + b->len, 0, len);
	if (out)
		*out = b->ptr + b->len;
	b->len += len;
	return TC_OK;
}

int tc_buf_cstr(tc_buf *b)
{
	int err;
	if ((err = tc_buf_reserve(b, 0)) < 0)
		return err;
	b->ptr[b->len] = '\0';
	return TC_OK;
}

void tc_buf_clear(tc_buf *b)
{
	b->len = 0;
}

uint8_t *tc_buf_detach(tc_buf *b, size_t *len)
{
	uint8_t *p = b->ptr;
	if (len)
		*len = b->len;
	b->ptr = NULL;
	b->len = b->asize = 0;
	return p;
}

void tc_buf_dispose(tc_buf *b)
{
	if (!b)
		return;
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->asize = 0;
}
