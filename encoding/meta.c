/*
 * Go's backend.BlockMeta JSON. Parsing follows encoding/json where it
 * matters for interoperability (keys matched case-insensitively, the last
 * duplicate wins, unknown keys ignored, null leaves a field at its zero
 * value) and adds the plausibility limits of meta.h. Writing reproduces
 * json.Marshal byte for byte, string escaping included.
 */
#include "encoding/meta.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "src/util/utf8.h"
#include "encoding/bloom.h"
#include "encoding/index.h"

/* Go's zero time.Time (0001-01-01T00:00:00Z), what a missing or null time decodes to. */
#define GO_ZERO_TIME_SEC (-62135596800LL)
/* The instants Go's Time.MarshalJSON accepts: years 0000..9999 in the value's zone. */
#define GO_JSON_MIN_SEC (-62167219200LL)
#define GO_JSON_MAX_SEC 253402300799LL
#define MAX_EXACT_DOUBLE 9007199254740992.0 /* 2^53: larger sizes lose digits in cJSON */

enum field {
	F_FORMAT, F_BLOCK_ID, F_MIN_ID, F_MAX_ID, F_TENANT, F_START, F_END, F_TOTAL_OBJECTS,
	F_SIZE, F_LEVEL, F_ENCODING, F_INDEX_PAGE_SIZE, F_TOTAL_RECORDS, F_DATA_ENCODING,
	F_BLOOM_SHARDS, F_FOOTER_SIZE, F_COMPACTED_TIME, F_COUNT
};

static const char *const field_names[F_COUNT] = {
	"format", "blockID", "minID", "maxID", "tenantID", "startTime", "endTime",
	"totalObjects", "size", "compactionLevel", "encoding", "indexPageSize", "totalRecords",
	"dataEncoding", "bloomShards", "footerSize", "compactedTime",
};

static const char b64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* encoding/json matches an exact key first, then any case-insensitive one. */
static int field_of(const char *key)
{
	for (int f = 0; f < F_COUNT; f++)
		if (strcmp(key, field_names[f]) == 0)
			return f;
	for (int f = 0; f < F_COUNT; f++)
		if (strcasecmp(key, field_names[f]) == 0)
			return f;
	return -1;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64_chars, c) : NULL;
	return p ? (int)(p - b64_chars) : -1;
}

/*
 * Go's base64.StdEncoding.Decode: padded groups of four, '\r' and '\n'
 * skipped, padding only at the end. Returns the decoded length or -1.
 */
static int b64_decode(uint8_t *out, size_t outsz, const char *s)
{
	char q[4];
	size_t n = 0, o = 0;
	int done = 0;

	for (;; s++) {
		if (*s == '\r' || *s == '\n')
			continue;
		if (*s == '\0')
			break;
		if (done)
			return -1;
		q[n++] = *s;
		if (n < 4)
			continue;
		n = 0;
		int v0 = b64_val(q[0]), v1 = b64_val(q[1]);
		int v2 = q[2] == '=' ? -2 : b64_val(q[2]);
		int v3 = q[3] == '=' ? -2 : b64_val(q[3]);
		if (v0 < 0 || v1 < 0 || v2 == -1 || v3 == -1 || (v2 == -2 && v3 != -2))
			return -1;
		size_t take = v2 == -2 ? 1 : v3 == -2 ? 2 : 3;
		if (o + take > outsz)
			return -1;
		uint32_t w = (uint32_t)v0 << 18 | (uint32_t)v1 << 12 |
			     (uint32_t)(v2 < 0 ? 0 : v2) << 6 | (uint32_t)(v3 < 0 ? 0 : v3);
		out[o++] = (uint8_t)(w >> 16);
		if (take > 1)
			out[o++] = (uint8_t)(w >> 8);
		if (take > 2)
			out[o++] = (uint8_t)w;
		done = take < 3;
	}
	return n == 0 ? (int)o : -1;
}

static int b64_put(tc_buf *b, const uint8_t *p, size_t n)
{
	char q[4];
	int r;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			w |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			w |= p[i + 2];
		q[0] = b64_chars[w >> 18 & 63];
		q[1] = b64_chars[w >> 12 & 63];
		q[2] = i + 1 < n ? b64_chars[w >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64_chars[w & 63] : '=';
		if ((r = tc_buf_put(b, q, 4)) < 0)
			return r;
	}
	return TC_OK;
}

static const char *type_name(const cJSON *it)
{
	if (cJSON_IsString(it))
		return "string";
	if (cJSON_IsNumber(it))
		return "number";
	if (cJSON_IsBool(it))
		return "bool";
	if (cJSON_IsArray(it))
		return "array";
	if (cJSON_IsObject(it))
		return "object";
	return "null";
}

static int bad_type(const tc_where *all, const char *key, const cJSON *it, const char *want)
{
	tc_error_set_at(all, "key \"%s\": got %s, want %s", key, type_name(it), want);
	return TC_ECORRUPT;
}

/* A JSON number that must be an integer in [0, max], as Go decodes into an unsigned/int field. */
static int get_uint(uint64_t *out, const cJSON *it, const tc_where *all, const char *key, double max)
{
	double d;

	if (!cJSON_IsNumber(it))
		return bad_type(all, key, it, "number");
	d = it->valuedouble;
	if (!isfinite(d) || d != floor(d)) {
		tc_error_set_at(all, "key \"%s\": %g is not an integer", key, d);
		return TC_ECORRUPT;
	}
	if (d < 0 || d > max) {
		tc_error_set_at(all, "key \"%s\": %.0f out of range [0, %.0f]", key, d, max);
		return TC_ECORRUPT;
	}
	*out = (uint64_t)d;
	return TC_OK;
}

/* Go's decoder turns each invalid UTF-8 byte of a string into U+FFFD; so do we. */
static int get_str(char *out, size_t outsz, const cJSON *it, const tc_where *all, const char *key)
{
	const uint8_t *s;
	size_t n, o = 0;

	if (!cJSON_IsString(it))
		return bad_type(all, key, it, "string");
	s = (const uint8_t *)it->valuestring;
	n = strlen(it->valuestring);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = tc_utf8_seq(s + i, n - i, &cp);
		const uint8_t *src = len ? s + i : (const uint8_t *)"\xef\xbf\xbd";
		size_t take = len ? len : 3;

		if (o + take >= outsz) {
			tc_error_set_at(all, "key \"%s\": value is longer than %zu bytes", key,
					outsz - 1);
			return TC_ECORRUPT;
		}
		memcpy(out + o, src, take);
		o += take;
		i += len ? len : 1;
	}
	out[o] = '\0';
	return TC_OK;
}

static int get_time(tc_time *out, const cJSON *it, const tc_where *all, const char *key)
{
	if (!cJSON_IsString(it))
		return bad_type(all, key, it, "RFC 3339 time string");
	if (tc_time_parse(out, it->valuestring) < 0) {
		tc_error_set_at(all, "key \"%s\": invalid RFC 3339 time \"%.64s\"", key,
				it->valuestring);
		return TC_ECORRUPT;
	}
	return TC_OK;
}

static int get_id(uint8_t *out, uint8_t *out_len, const cJSON *it, const tc_where *all, const char *key)
{
	uint8_t tmp[48];
	int n;

	if (cJSON_IsNull(it)) {
		*out_len = 0;
		return TC_OK;
	}
	if (!cJSON_IsString(it))
		return bad_type(all, key, it, "base64 string");
	n = strlen(it->valuestring) > 64 ? -1 : b64_decode(tmp, sizeof(tmp), it->valuestring);
	if (n < 0) {
		tc_error_set_at(all, "key \"%s\": \"%.64s\" is not standard base64", key,
				it->valuestring);
		return TC_ECORRUPT;
	}
	/* "" is Go's empty slice, the value of a block before its first object. */
	if (n != 0 && n != TC_ID_LEN) {
		tc_error_set_at(all, "key \"%s\": ID of %d bytes, want %d", key, n, TC_ID_LEN);
		return TC_ECORRUPT;
	}
	memcpy(out, tmp, (size_t)n);
	*out_len = (uint8_t)n;
	return TC_OK;
}

static int parse_block_id(tc_meta *m, const cJSON *it, const tc_where *all, const char *key)
{
	tc_uuid u;

	if (!cJSON_IsString(it))
		return bad_type(all, key, it, "UUID string");
	if (tc_uuid_parse(&u, it->valuestring) < 0) {
		tc_error_set_at(all, "key \"%s\": \"%.64s\" is not a UUID", key, it->valuestring);
		return TC_ECORRUPT;
	}
	tc_uuid_format(m->block_id, &u);
	return TC_OK;
}

static int parse_encoding(tc_meta *m, const cJSON *it, const tc_where *all, const char *key)
{
	/* Encoding.UnmarshalJSON runs for null too and fails on "". */
	if (!cJSON_IsString(it))
		return bad_type(all, key, it, "encoding name");
	if (tc_encoding_from_name(&m->encoding, it->valuestring) < 0) {
		tc_error_set_at(all, "key \"%s\": unknown encoding \"%.32s\"", key,
				it->valuestring);
		return TC_ECORRUPT;
	}
	return TC_OK;
}

static int parse_field(tc_meta *m, int f, const cJSON *it, const tc_where *all)
{
	const char *key = field_names[f];
	uint64_t v = 0;
	int r = TC_OK;

	if (f == F_FOOTER_SIZE)
		m->has_footer_size = 1; /* Go writes the key back even after a null */
	if (cJSON_IsNull(it) && f != F_ENCODING && f != F_MIN_ID && f != F_MAX_ID)
		return TC_OK; /* json ignores null for values and strings */
	switch (f) {
	case F_FORMAT: return get_str(m->format, sizeof(m->format), it, all, key);
	case F_BLOCK_ID: return parse_block_id(m, it, all, key);
	case F_MIN_ID: return get_id(m->min_id, &m->min_id_len, it, all, key);
	case F_MAX_ID: return get_id(m->max_id, &m->max_id_len, it, all, key);
	case F_TENANT: return get_str(m->tenant, sizeof(m->tenant), it, all, key);
	case F_START: return get_time(&m->start, it, all, key);
	case F_END: return get_time(&m->end, it, all, key);
	case F_COMPACTED_TIME: return get_time(&m->compacted_time, it, all, key);
	case F_ENCODING: return parse_encoding(m, it, all, key);
	case F_DATA_ENCODING:
		return get_str(m->data_encoding, sizeof(m->data_encoding), it, all, key);
	case F_TOTAL_OBJECTS:
		r = get_uint(&v, it, all, key, (double)TC_META_MAX_OBJECTS);
		m->total_objects = (int64_t)v;
		break;
	case F_SIZE:
		r = get_uint(&v, it, all, key, MAX_EXACT_DOUBLE);
		m->size = v;
		break;
	case F_LEVEL:
		r = get_uint(&v, it, all, key, UINT8_MAX);
		m->level = (uint8_t)v;
		break;
	case F_INDEX_PAGE_SIZE:
		r = get_uint(&v, it, all, key, TC_INDEX_PAGE_MAX);
		m->index_page_size = (uint32_t)v;
		break;
	case F_TOTAL_RECORDS:
		r = get_uint(&v, it, all, key, UINT32_MAX);
		m->total_records = (uint32_t)v;
		break;
	case F_BLOOM_SHARDS:
		r = get_uint(&v, it, all, key, TC_BLOOM_MAX_SHARDS);
		m->bloom_shards = (uint16_t)v;
		break;
	case F_FOOTER_SIZE:
		r = get_uint(&v, it, all, key, UINT32_MAX);
		m->footer_size = (uint32_t)v;
		break;
	}
	return r;
}

static int check_format(const tc_meta *m, const tc_where *all)
{
	if (m->format[0] == '\0') {
		tc_error_set_at(all, "no block format");
		return TC_ECORRUPT;
	}
	if (strcmp(m->format, "v2") != 0) {
		tc_error_set_at(all, "unsupported block format \"%s\" (only v2)", m->format);
		return TC_EUNSUPPORTED;
	}
	return TC_OK;
}

/* The place of byte i of the JSON, for a message. */
static const tc_where *at(tc_where *tmp, const tc_where *w, size_t i)
{
	tmp->key = w->key;
	tmp->off = w->off == TC_WHERE_NO_OFFSET ? w->off : w->off + i;
	return tmp;
}

/*
 * Go rejects raw control characters in strings and keeps \u0000; cJSON
 * would cut a C string short at either, so such metas are refused whole.
 */
static int check_raw(const char *json, size_t len, const tc_where *w)
{
	size_t bs = 0;
	tc_where tmp;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)json[i];

		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			tc_error_set_at(at(&tmp, w, i), "invalid JSON: control byte 0x%02x", c);
			return TC_ECORRUPT;
		}
		if (c == 'u' && bs % 2 == 1 && len - i >= 5 && memcmp(json + i + 1, "0000", 4) == 0) {
			tc_error_set_at(at(&tmp, w, i), "NUL character (\\u0000) in a string");
			return TC_ECORRUPT;
		}
		bs = c == '\\' ? bs + 1 : 0;
	}
	return TC_OK;
}

/* Checks between fields, after all keys are read. */
static int check_meta(const tc_meta *m, const tc_where *all)
{
	if (m->index_page_size < TC_INDEX_PAGE_MIN) {
		tc_error_set_at(all, "key \"indexPageSize\": %u out of range [%u, %u]",
				(unsigned)m->index_page_size, (unsigned)TC_INDEX_PAGE_MIN,
				(unsigned)TC_INDEX_PAGE_MAX);
		return TC_ECORRUPT;
	}
	if (m->total_records > m->size / TC_PAGE_HEADER_LEN) {
		tc_error_set_at(all, "key \"totalRecords\": %u pages cannot fit a %llu-byte data file",
				(unsigned)m->total_records, (unsigned long long)m->size);
		return TC_ECORRUPT;
	}
	return TC_OK;
}

int tc_meta_parse(tc_meta *out, const char *json, size_t len, const tc_where *w)
{
	static const tc_where unnamed = { "meta", 0 };
	cJSON *root = NULL;
	const char *end = NULL;
	tc_where all, tmp;
	int r = TC_OK;

	if (!w || !w->key)
		w = &unnamed;
	/* Faults of a key's value: cJSON keeps no positions, so the object is named without one. */
	all = (tc_where){ w->key, TC_WHERE_NO_OFFSET };
	memset(out, 0, sizeof(*out));
	out->start.sec = out->end.sec = out->compacted_time.sec = GO_ZERO_TIME_SEC;
	strcpy(out->block_id, "00000000-0000-0000-0000-000000000000");
	if (len > TC_META_MAX_BYTES) {
		tc_error_set_at(&all, "meta of %zu bytes is larger than the %u-byte limit", len,
				(unsigned)TC_META_MAX_BYTES);
		return TC_ELIMIT;
	}
	if (json && (r = check_raw(json, len, w)) < 0)
		return r;
	if (json)
		root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (!root) {
		/* On failure cJSON points end at the byte it stopped at. */
		if (len && end && end >= json && end <= json + len)
			tc_error_set_at(at(&tmp, w, (size_t)(end - json)), "invalid JSON");
		else
			tc_error_set_at(&all, "invalid JSON%s", len ? "" : " (empty)");
		return TC_ECORRUPT;
	}
	for (; end < json + len; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
			tc_error_set_at(at(&tmp, w, (size_t)(end - json)),
					"invalid JSON: data after the top-level value");
			r = TC_ECORRUPT;
			goto cleanup;
		}
	}
	if (!cJSON_IsObject(root)) {
		tc_error_set_at(&all, "JSON %s where an object was expected", type_name(root));
		r = TC_ECORRUPT;
		goto cleanup;
	}
	/* The format first, so a vParquet meta is "unsupported" whatever else it holds. */
	for (int pass = 0; pass < 2; pass++) {
		for (const cJSON *it = root->child; it; it = it->next) {
			int f = it->string ? field_of(it->string) : -1;
			if (f < 0 || (f == F_FORMAT) != (pass == 0))
				continue;
			if ((r = parse_field(out, f, it, &all)) < 0)
				goto cleanup;
		}
		if (pass == 0 && (r = check_format(out, &all)) < 0)
			goto cleanup;
	}
	r = check_meta(out, &all);
cleanup:
	cJSON_Delete(root);
	return r;
}

static int put_time(tc_buf *b, const char *key, const tc_time *t)
{
	char s[TC_TIME_STR_MAX];
	int64_t local = t->sec + (int64_t)t->off_min * 60;

	if (local < GO_JSON_MIN_SEC || local > GO_JSON_MAX_SEC || t->nsec < 0 ||
	    t->nsec > 999999999) {
		tc_error_set("meta %s: time %lld.%09d is outside what JSON can carry", key,
			     (long long)t->sec, (int)t->nsec);
		return TC_EINVALID;
	}
	tc_time_format(s, t);
	return tc_buf_printf(b, ",\"%s\":\"%s\"", key, s);
}

static int put_id(tc_buf *b, const char *key, const uint8_t *id, uint8_t len)
{
	int r;

	if (len > TC_ID_LEN) {
		tc_error_set("meta %s: ID length %u exceeds %d", key, (unsigned)len, TC_ID_LEN);
		return TC_EINVALID;
	}
	if ((r = tc_buf_printf(b, ",\"%s\":\"", key)) < 0 || (r = b64_put(b, id, len)) < 0)
		return r;
	return tc_buf_putc(b, '"');
}

int tc_meta_write(tc_buf *out, const tc_meta *m, int with_compacted_time)
{
	char block_id[TC_UUID_STR_LEN + 1];
	const char *enc = tc_encoding_name(m->encoding);
	tc_uuid u;
	int r;

	if (m->block_id[0] == '\0')
		memset(&u, 0, sizeof(u));
	else if (tc_uuid_parse(&u, m->block_id) < 0)
		return TC_EINVALID;
	tc_uuid_format(block_id, &u);
	if (!enc || strcmp(enc, "unsupported") == 0) {
		tc_error_set("meta: no name for encoding %d", (int)m->encoding);
		return TC_EINVALID;
	}
	if ((r = tc_buf_puts(out, "{\"format\":")) < 0 || (r = tc_json_put_string(out, m->format)) < 0 ||
	    (r = tc_buf_printf(out, ",\"blockID\":\"%s\"", block_id)) < 0 ||
	    (r = put_id(out, "minID", m->min_id, m->min_id_len)) < 0 ||
	    (r = put_id(out, "maxID", m->max_id, m->max_id_len)) < 0 ||
	    (r = tc_buf_puts(out, ",\"tenantID\":")) < 0 || (r = tc_json_put_string(out, m->tenant)) < 0 ||
	    (r = put_time(out, "startTime", &m->start)) < 0 ||
	    (r = put_time(out, "endTime", &m->end)) < 0)
		return r;
	r = tc_buf_printf(out, ",\"totalObjects\":%lld,\"size\":%llu,\"compactionLevel\":%u,"
			  "\"encoding\":\"%s\",\"indexPageSize\":%u,\"totalRecords\":%u,"
			  "\"dataEncoding\":",
			  (long long)m->total_objects, (unsigned long long)m->size,
			  (unsigned)m->level, enc, (unsigned)m->index_page_size,
			  (unsigned)m->total_records);
	if (r < 0 || (r = tc_json_put_string(out, m->data_encoding)) < 0 ||
	    (r = tc_buf_printf(out, ",\"bloomShards\":%u", (unsigned)m->bloom_shards)) < 0)
		return r;
	if (m->has_footer_size &&
	    (r = tc_buf_printf(out, ",\"footerSize\":%u", (unsigned)m->footer_size)) < 0)
		return r;
	if (with_compacted_time && (r = put_time(out, "compactedTime", &m->compacted_time)) < 0)
		return r;
	return tc_buf_putc(out, '}');
}

int tc_meta_check_location(const tc_meta *m, const char *tenant, const char *block_id, const char *what)
{
	tc_uuid want, got;

	if (!what)
		what = "meta";
	if (tc_uuid_parse(&want, block_id) < 0) {
		tc_error_set("%s: location block ID \"%.64s\" is not a UUID", what, block_id);
		return TC_EINVALID;
	}
	if (tc_uuid_parse(&got, m->block_id) < 0 || memcmp(want.b, got.b, sizeof(want.b)) != 0) {
		tc_error_set("%s: meta names block %s but was found under block %s", what,
			     m->block_id, block_id);
		return TC_ECORRUPT;
	}
	if (strcmp(m->tenant, tenant) != 0) {
		tc_error_set("%s: meta names tenant \"%.150s\" but was found under tenant \"%.150s\"",
			     what, m->tenant, tenant);
		return TC_ECORRUPT;
	}
	return TC_OK;
}
