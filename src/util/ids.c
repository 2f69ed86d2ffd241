#include "src/util/ids.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "src/util/error.h"

int tc_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int tc_uuid_parse(tc_uuid *out, const char *s)
{
	size_t j = 0;

	if (strlen(s) != TC_UUID_STR_LEN)
		goto bad;
	for (size_t i = 0; i < TC_UUID_STR_LEN;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				goto bad;
			continue;
		}
		int hi = tc_hex_digit(s[i]), lo = tc_hex_digit(s[i + 1]);
		if (hi < 0 || lo < 0)
			goto bad;
		out->b[j++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return TC_OK;
bad:
	tc_error_set("invalid block ID \"%.64s\": not a UUID", s);
	return TC_EINVALID;
}

int tc_uuid_is_valid(const char *s)
{
	tc_uuid u;
	if (strlen(s) != TC_UUID_STR_LEN)
		return 0;
	return tc_uuid_parse(&u, s) == TC_OK;
}

void tc_uuid_format(char out[TC_UUID_STR_LEN + 1], const tc_uuid *u)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u->b[i] >> 4];
		out[o++] = hex[u->b[i] & 15];
	}
	out[o] = '\0';
}

int tc_uuid_v4(tc_uuid *out)
{
	size_t got = 0;
	while (got < sizeof(out->b)) {
		ssize_t r = getrandom(out->b + got, sizeof(out->b) - got, 0);
		if (r < 0) {
			tc_error_set_os("getrandom");
			return TC_ERROR;
		}
		got += (size_t)r;
	}
	out->b[6] = (uint8_t)((out->b[6] & 0x0f) | 0x40);
	out->b[8] = (uint8_t)((out->b[8] & 0x3f) | 0x80);
	return TC_OK;
}

int tc_tenant_validate(const char *t)
{
	size_t n = strnlen(t, TC_TENANT_MAX + 1);

	if (n == 0) {
		tc_error_set("invalid tenant ID: empty");
		return TC_EINVALID;
	}
	if (n > TC_TENANT_MAX) {
		tc_error_set("invalid tenant ID \"%.32s...\": longer than %d bytes", t, TC_TENANT_MAX);
		return TC_EINVALID;
	}
	if (strcmp(t, ".") == 0 || strcmp(t, "..") == 0) {
		tc_error_set("invalid tenant ID \"%s\"", t);
		return TC_EINVALID;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("!-_.*'()", c))
			continue;
		tc_error_set("invalid tenant ID \"%.64s\": character 0x%02x at position %zu is not allowed "
			     "(allowed: letters, digits and !-_.*'())", t, c, i);
		return TC_EINVALID;
	}
	return TC_OK;
}

int tc_key_block(char *out, size_t outsz, const char *tenant, const char *block, const char *name)
{
	int n = snprintf(out, outsz, "%s/%s/%s", tenant, block, name);
	if (n < 0 || (size_t)n >= outsz) {
		tc_error_set("key %s/%s/%s too long", tenant, block, name);
		return TC_EINVALID;
	}
	return TC_OK;
}

int tc_key_tenant(char *out, size_t outsz, const char *tenant, const char *name)
{
	int n = snprintf(out, outsz, "%s/%s", tenant, name);
	if (n < 0 || (size_t)n >= outsz) {
		tc_error_set("key %s/%s too long", tenant, name);
		return TC_EINVALID;
	}
	return TC_OK;
}

void tc_hex_encode(char *out, const uint8_t *in, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int tc_hex_decode(uint8_t *out, size_t n, const char *hex)
{
	if (strlen(hex) != 2 * n) {
		tc_error_set("\"%.80s\" is not %zu hex digits", hex, 2 * n);
		return TC_EINVALID;
	}
	for (size_t i = 0; i < n; i++) {
		int hi = tc_hex_digit(hex[2 * i]), lo = tc_hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			tc_error_set("\"%.80s\" is not hex", hex);
			return TC_EINVALID;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return TC_OK;
}
