/*
 * Names that become storage keys: block UUIDs and tenant IDs. Everything
 * read from a listing or a command line passes through these checks before
 * it is joined into a key, so "..", "/" or NUL can never address a file
 * outside the bucket.
 */
#ifndef TC_UTIL_IDS_H
#define TC_UTIL_IDS_H

#include <stddef.h>
#include <stdint.h>

#define TC_UUID_STR_LEN 36
#define TC_TENANT_MAX 150 /* Tempo/Cortex limit on tenant ID length */

typedef struct tc_uuid {
	uint8_t b[16];
} tc_uuid;

/* Canonical lowercase or uppercase 8-4-4-4-12 form only. */
int tc_uuid_parse(tc_uuid *out, const char *s);
void tc_uuid_format(char out[TC_UUID_STR_LEN + 1], const tc_uuid *u);
/* A random version 4 UUID from getrandom(2). */
int tc_uuid_v4(tc_uuid *out);
int tc_uuid_is_valid(const char *s);

/*
 * Tempo's tenant ID rule: 1..150 bytes of [A-Za-z0-9!-_.*'()], and not "."
 * or "..". Returns TC_OK or TC_EINVALID with a message naming the problem.
 */
int tc_tenant_validate(const char *tenant);

/* Joins "<tenant>/<block>/<name>" into out; TC_EINVALID if it would not fit. */
int tc_key_block(char *out, size_t outsz, const char *tenant, const char *block, const char *name);
/* Joins "<tenant>/<name>". */
int tc_key_tenant(char *out, size_t outsz, const char *tenant, const char *name);

#define TC_KEY_MAX 512

void tc_hex_encode(char *out, const uint8_t *in, size_t n);
/* The value of one hex digit (either case), or -1. */
int tc_hex_digit(int c);
/* Decodes exactly 2*n hex digits; TC_EINVALID otherwise. */
int tc_hex_decode(uint8_t *out, size_t n, const char *hex);

#endif
