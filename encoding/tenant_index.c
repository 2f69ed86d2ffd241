/*
 * The tenant index: Go's backend.TenantIndex as JSON, gzipped with the
 * header klauspost/compress writes for it (FNAME "index.json", the MTIME of
 * Go's zero time, OS 0xff) so tools that look at the header see what Tempo
 * writes. Each meta is encoded and parsed by meta.c.
 */
#include "encoding/tenant_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <zlib.h>

#define GZIP_LEVEL 5                /* klauspost gzip.DefaultCompression */
#define GZIP_MTIME 0x886e0900UL     /* Go's zero time.Unix() as uint32, bytes 00 09 6e 88 */
#define GZIP_OS_UNKNOWN 255
#define GZIP_CHUNK (64u << 10)

/*
 * The index is written streaming: JSON is produced a chunk at a time and
 * deflated as it goes, so a tenant of 100,000 blocks never holds its ~70 MB
 * of JSON, only the gzip (docs/FORMAT.md#tenant-index).
 */
typedef struct gz_out {
	z_stream zs;
	tc_buf *out;
	gz_header hdr; /* deflate reads it while it writes the header */
	tc_buf json;   /* the chunk not yet deflated */
	size_t json_total;
} gz_out;

static int gz_begin(gz_out *g, tc_buf *out)
{
	memset(g, 0, sizeof(*g));
	g->out = out;
	if (deflateInit2(&g->zs, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		tc_error_set("gzip: deflateInit2 failed");
		return TC_ERROR;
	}
	g->hdr.name = (Bytef *)"index.json";
	g->hdr.time = GZIP_MTIME;
	g->hdr.os = GZIP_OS_UNKNOWN;
	deflateSetHeader(&g->zs, &g->hdr);
	tc_buf_init(&g->json, 0);
	return TC_OK;
}

/* Deflates the pending JSON; finish ends the stream. */
static int gz_drain(gz_out *g, int finish)
{
	int zr;

	g->json_total += g->json.len;
	if (g->json_total > TC_TENANT_INDEX_MAX_BYTES) {
		/* readers (ours, and what Tempo's queriers can hold) refuse more; so do we */
		tc_error_set("tenant index larger than %u bytes of JSON", TC_TENANT_INDEX_MAX_BYTES);
		return TC_ELIMIT;
	}
	g->zs.next_in = g->json.ptr;
	g->zs.avail_in = (uInt)g->json.len;
	do {
		uint8_t *p;
		int r;
		if ((r = tc_buf_grow_by(g->out, &p, GZIP_CHUNK)) < 0)
			return r;
		g->zs.next_out = p;
		g->zs.avail_out = GZIP_CHUNK;
		zr = deflate(&g->zs, finish ? Z_FINISH : Z_NO_FLUSH);
		g->out->len -= g->zs.avail_out;
		if (zr == Z_STREAM_ERROR) {
			tc_error_set("gzip: deflate failed");
			return TC_ERROR;
		}
	} while (g->zs.avail_out == 0 || (finish && zr != Z_STREAM_END));
	g->json.len = 0;
	return TC_OK;
}

static void gz_end(gz_out *g)
{
	deflateEnd(&g->zs);
	tc_buf_dispose(&g->json);
}

/* Stable merge sort of pointers by startTime, as the poller orders both lists. */
static void sort_by_start(const tc_meta **v, const tc_meta **tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	sort_by_start(v, tmp, mid);
	sort_by_start(v + mid, tmp, n - mid);
	while (i < mid && j < n)
		tmp[k++] = tc_time_cmp(&v[j]->start, &v[i]->start) < 0 ? v[j++] : v[i++];
	while (i < mid)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

static int put_list(gz_out *g, const char *key, const tc_meta *metas, size_t n, int compacted)
{
	const tc_meta **v = NULL, **tmp = NULL;
	int r;

	if ((r = tc_buf_printf(&g->json, ",\"%s\":[", key)) < 0)
		return r;
	if (n) {
		if (n > SIZE_MAX / 2 / sizeof(*v) || !(v = malloc(2 * n * sizeof(*v)))) {
			tc_error_set("out of memory sorting %zu metas", n);
			return TC_ERROR;
		}
		tmp = v + n;
		for (size_t i = 0; i < n; i++)
			v[i] = &metas[i];
		sort_by_start(v, tmp, n);
	}
	for (size_t i = 0; i < n; i++) {
		if ((i && (r = tc_buf_putc(&g->json, ',')) < 0) ||
		    (r = tc_meta_write(&g->json, v[i], compacted)) < 0)
			goto cleanup;
		if (g->json.len >= GZIP_CHUNK && (r = gz_drain(g, 0)) < 0)
			goto cleanup;
	}
	r = tc_buf_putc(&g->json, ']');
cleanup:
	free(v);
	return r;
}

int tc_tenant_index_write(tc_buf *out, const tc_time *created_at, const tc_meta *live,
			  size_t n_live, const tc_meta *compacted, size_t n_compacted)
{
	gz_out g;
	char ts[TC_TIME_STR_MAX];
	int r;

	if ((r = gz_begin(&g, out)) < 0)
		return r;
	tc_time_format(ts, created_at);
	if ((r = tc_buf_printf(&g.json, "{\"created_at\":\"%s\"", ts)) < 0 ||
	    (r = put_list(&g, "meta", live, n_live, 0)) < 0 ||
	    (r = put_list(&g, "compacted", compacted, n_compacted, 1)) < 0 ||
	    (r = tc_buf_putc(&g.json, '}')) < 0)
		goto cleanup;
	r = gz_drain(&g, 1);
cleanup:
	gz_end(&g);
	return r;
}

/* Decompresses every gzip member (Go's reader is multistream) into out. */
static int gunzip(tc_buf *out, const uint8_t *gz, size_t len, const tc_where *w, const tc_where *all)
{
	z_stream zs;
	int zr = Z_OK, r = TC_OK;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK) {
		tc_error_set_at(all, "inflateInit2 failed");
		return TC_ERROR;
	}
	if (len == 0 || len > UINT32_MAX) {
		tc_error_set_at(all, "%s gzip stream", len ? "oversized" : "empty");
		r = len ? TC_ELIMIT : TC_ECORRUPT;
		goto cleanup;
	}
	zs.next_in = (Bytef *)gz;
	zs.avail_in = (uInt)len;
	for (;;) {
		uint8_t *p;
		size_t room = out->cap - out->len < GZIP_CHUNK ? out->cap - out->len : GZIP_CHUNK;

		if (zr == Z_STREAM_END) {
			if (zs.avail_in == 0)
				break;
			inflateReset(&zs);
		}
		if (room == 0) {
			tc_error_set_at(all, "decompressed index exceeds %zu bytes (the cap for a %zu-byte "
					"gzip: %u x its length, at least %u, at most %u)", out->cap, len,
					TC_TENANT_INDEX_RATIO, TC_TENANT_INDEX_FLOOR, TC_TENANT_INDEX_MAX_BYTES);
			r = TC_ELIMIT;
			goto cleanup;
		}
		if ((r = tc_buf_grow_by(out, &p, room)) < 0)
			goto cleanup;
		zs.next_out = p;
		zs.avail_out = (uInt)room;
		zr = inflate(&zs, Z_NO_FLUSH);
		out->len -= zs.avail_out;
		if (zr == Z_STREAM_END)
			continue;
		if (zr != Z_OK || (zs.avail_in == 0 && zs.avail_out != 0)) {
			tc_where bad = { w->key, w->off };

			if (w->off != TC_WHERE_NO_OFFSET)
				bad.off += len - zs.avail_in;
			tc_error_set_at(&bad, "corrupt gzip stream: %s",
					zr == Z_OK || zr == Z_BUF_ERROR ? "truncated"
					: zs.msg ? zs.msg : "inflate failed");
			r = TC_ECORRUPT;
			goto cleanup;
		}
	}
cleanup:
	inflateEnd(&zs);
	return r;
}

static int parse_list(tc_meta **out, size_t *n_out, const cJSON *arr, const tc_where *all,
		      const char *key, int compacted)
{
	size_t n = 0, i = 0;
	char ewhat[256];
	tc_where ew = { ewhat, TC_WHERE_NO_OFFSET };
	int r = TC_OK;

	if (cJSON_IsNull(arr))
		return TC_OK;
	if (!cJSON_IsArray(arr)) {
		tc_error_set_at(all, "key \"%s\" is not an array", key);
		return TC_ECORRUPT;
	}
	for (const cJSON *it = arr->child; it; it = it->next)
		n++;
	free(*out); /* a duplicate key replaces the list, as in Go */
	*out = NULL;
	*n_out = 0;
	if (n == 0)
		return TC_OK;
	if (!(*out = calloc(n, sizeof(**out)))) {
		tc_error_set_at(all, "out of memory for %zu metas", n);
		return TC_ERROR;
	}
	for (const cJSON *it = arr->child; it; it = it->next, i++) {
		char *s;

		/* An entry is parsed from cJSON's rewrite of it: its own offsets mean nothing. */
		snprintf(ewhat, sizeof(ewhat), "%s %s[%zu]", all->key, key, i);
		if (!cJSON_IsObject(it)) {
			tc_error_set_at(&ew, "not an object");
			return TC_ECORRUPT;
		}
		if (!(s = cJSON_PrintUnformatted(it))) {
			tc_error_set_at(&ew, "out of memory");
			return TC_ERROR;
		}
		r = tc_meta_parse(&(*out)[i], s, strlen(s), &ew);
		cJSON_free(s);
		if (r < 0)
			return r;
		(*out)[i].compacted = compacted;
		*n_out = i + 1;
	}
	return TC_OK;
}

/*
 * As in meta.c: Go rejects raw control bytes and keeps \u0000, which cJSON
 * would turn into a shortened C string. Offsets are in the decompressed
 * JSON, so they go in the text, not the where.
 */
static int check_raw(const char *json, size_t len, const tc_where *all)
{
	size_t bs = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)json[i];

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    (c == 'u' && bs % 2 == 1 && len - i >= 5 && memcmp(json + i + 1, "0000", 4) == 0)) {
			tc_error_set_at(all, "invalid JSON: control character at byte %zu of the "
					"decompressed JSON", i);
			return TC_ECORRUPT;
		}
		bs = c == '\\' ? bs + 1 : 0;
	}
	return TC_OK;
}

static int parse_json(tc_tenant_index *ti, const char *json, size_t len, const tc_where *all)
{
	const char *end = NULL;
	cJSON *root;
	int r = check_raw(json, len, all);

	if (r < 0)
		return r;
	root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (!root) {
		/* On failure cJSON points end at the byte it stopped at. */
		tc_error_set_at(all, "invalid JSON at byte %zu of the decompressed JSON",
				end && end >= json && end <= json + len ? (size_t)(end - json) : 0);
		return TC_ECORRUPT;
	}
	for (; end < json + len; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
			tc_error_set_at(all, "invalid JSON: data after the top-level value at byte %zu "
					"of the decompressed JSON", (size_t)(end - json));
			r = TC_ECORRUPT;
			goto cleanup;
		}
	}
	if (!cJSON_IsObject(root)) {
		tc_error_set_at(all, "JSON is not an object");
		r = TC_ECORRUPT;
		goto cleanup;
	}
	for (const cJSON *it = root->child; it && r == TC_OK; it = it->next) {
		if (!it->string)
			continue;
		if (strcasecmp(it->string, "created_at") == 0) {
			if (cJSON_IsNull(it))
				continue;
			if (!cJSON_IsString(it) || tc_time_parse(&ti->created_at, it->valuestring) < 0) {
				tc_error_set_at(all, "key \"created_at\" is not an RFC 3339 time");
				r = TC_ECORRUPT;
			}
		} else if (strcasecmp(it->string, "meta") == 0) {
			r = parse_list(&ti->live, &ti->n_live, it, all, "meta", 0);
		} else if (strcasecmp(it->string, "compacted") == 0) {
			r = parse_list(&ti->compacted, &ti->n_compacted, it, all, "compacted", 1);
		}
	}
cleanup:
	cJSON_Delete(root);
	return r;
}

/*
 * The JSON a gzip of len bytes may hold (docs/FORMAT.md#decompression-caps):
 * metas compress about 3-5:1, so TC_TENANT_INDEX_RATIO bytes per gzip byte,
 * or TC_TENANT_INDEX_FLOOR, whichever is more, up to the hard cap.
 */
static size_t json_cap(size_t len)
{
	size_t cap = len > TC_TENANT_INDEX_MAX_BYTES / TC_TENANT_INDEX_RATIO ? TC_TENANT_INDEX_MAX_BYTES
									      : len * TC_TENANT_INDEX_RATIO;

	return cap > TC_TENANT_INDEX_FLOOR ? cap : TC_TENANT_INDEX_FLOOR;
}

int tc_tenant_index_parse(tc_tenant_index *out, const uint8_t *gz, size_t len, const tc_where *w)
{
	static const tc_where unnamed = { "tenant index", 0 };
	tc_buf json = TC_BUF_INIT;
	tc_where all;
	int r;

	if (!w || !w->key)
		w = &unnamed;
	all = (tc_where){ w->key, TC_WHERE_NO_OFFSET };
	memset(out, 0, sizeof(*out));
	out->created_at.sec = -62135596800LL; /* Go's zero time when the key is missing */
	tc_buf_init(&json, json_cap(len));
	if ((r = gunzip(&json, gz, len, w, &all)) < 0)
		goto cleanup;
	if (json.len == 0) {
		tc_error_set_at(&all, "empty JSON");
		r = TC_ECORRUPT;
		goto cleanup;
	}
	r = parse_json(out, (const char *)json.ptr, json.len, &all);
cleanup:
	tc_buf_dispose(&json);
	if (r < 0)
		tc_tenant_index_dispose(out);
	return r;
}

void tc_tenant_index_dispose(tc_tenant_index *ti)
{
	if (!ti)
		return;
	free(ti->live);
	free(ti->compacted);
	ti->live = ti->compacted = NULL;
	ti->n_live = ti->n_compacted = 0;
}
