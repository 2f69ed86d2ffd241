/*
 * The one growable byte buffer. Public like git_buf: callers read ptr/len
 * directly. Every buffer has a cap: growing past it fails with TC_ELIMIT
 * instead of letting a length read from a file size an allocation.
 */
#ifndef TC_UTIL_BUF_H
#define TC_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

#define TC_BUF_DEFAULT_CAP ((size_t)1 << 31) /* 2 GiB */

typedef struct tc_buf {
	uint8_t *ptr;
	size_t len;
	size_t asize; /* allocated */
	size_t cap;   /* most bytes this buffer may ever hold; 0 = default */
} tc_buf;

#define TC_BUF_INIT { NULL, 0, 0, 0 }

void tc_buf_init(tc_buf *b, size_t cap);
/* Ensures room for `extra` more bytes past len. */
int tc_buf_reserve(tc_buf *b, size_t extra);
int tc_buf_put(tc_buf *b, const void *data, size_t len);
int tc_buf_putc(tc_buf *b, uint8_t c);
int tc_buf_puts(tc_buf *b, const char *s);
int tc_buf_printf(tc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tc_buf_put_u16le(tc_buf *b, uint16_t v);
int tc_buf_put_u32le(tc_buf *b, uint32_t v);
int tc_buf_put_u64le(tc_buf *b, uint64_t v);
/* Appends len zero bytes; returns a pointer to them via *out (may be NULL). */
int tc_buf_grow_by(tc_buf *b, uint8_t **out, size_t len);
/* NUL-terminates without counting the NUL in len. */
int tc_buf_cstr(tc_buf *b);
void tc_buf_clear(tc_buf *b);
/* Moves the buffer's memory to the caller, leaving b empty. */
uint8_t *tc_buf_detach(tc_buf *b, size_t *len);
void tc_buf_dispose(tc_buf *b);

/* Little-endian loads; callers check bounds first. */
static inline uint16_t tc_get_u16le(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t tc_get_u32le(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t tc_get_u64le(const uint8_t *p)
{
	return (uint64_t)tc_get_u32le(p) | ((uint64_t)tc_get_u32le(p + 4) << 32);
}
static inline void tc_put_u32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void tc_put_u64le(uint8_t *p, uint64_t v)
{
	tc_put_u32le(p, (uint32_t)v);
	tc_put_u32le(p + 4, (uint32_t)(v >> 32));
}

#endif
