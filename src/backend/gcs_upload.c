/*
 * Uploads (https://cloud.google.com/storage/docs/uploads-downloads):
 * objects up to chunk_size in one request (uploadType=media, or multipart
 * with the object's metadata when cacheControl or metadata are configured),
 * larger ones and streams that outgrow chunk_size through a resumable
 * session: every chunk but the last a whole chunk_size (a multiple of
 * 256 KiB), each PUT with Content-Range "bytes a-b/<total or *>". After a
 * failed chunk we ask the session how much it persisted ("bytes * / *",
 * answered 308 with Range) and go on from there, as Google documents,
 * instead of sending bytes again blindly. An aborted stream deletes its
 * session; a killed writer's session stores nothing and expires in a week.
 */
#include "src/backend/gcs_impl.h"

#include <inttypes.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "src/util/ids.h"

typedef struct gcs_stream {
	tc_append base;
	char *key;
	tc_buf buf;       /* bytes not yet persisted by the session, from offset `sent` */
	char *session;    /* the resumable session URI, NULL until started */
	uint64_t sent;    /* bytes the session persisted */
	int failed;       /* a request failed: only abort/commit remain */
} gcs_stream;

/* ---- one-request uploads ---- */

static int upload_media(tc_gcs *g, const char *key, const void *data, size_t len)
{
	const char *hdr[] = { "Content-Type: application/octet-stream" };
	tc_buf url = TC_BUF_INIT;
	tc_gcs_call c = { .method = "POST", .subject = key, .what = "upload", .headers = hdr,
			  .nheaders = 1, .body = len ? data : NULL, .body_len = len };
	int err = tc_buf_printf(&url, "%s?uploadType=media&name=", g->upload);

	if (err == TC_OK)
		err = tc_gcs_escape(&url, key);
	if (err == TC_OK)
		err = tc_buf_cstr(&url);
	c.url = (const char *)url.ptr;
	if (err == TC_OK)
		err = tc_gcs_http_do(g, &c);
	tc_gcs_call_dispose(&c);
	tc_buf_dispose(&url);
	return err;
}

/* A boundary that does not occur in data (random, checked). */
static int boundary(char out[40], const void *data, size_t len)
{
	unsigned char r[12];

	for (int tries = 0; tries < 8; tries++) {
		if (RAND_bytes(r, sizeof(r)) != 1)
			break;
		snprintf(out, 40, "tc_");
		for (size_t i = 0; i < sizeof(r); i++)
			snprintf(out + 3 + 2 * i, 3, "%02x", r[i]);
		if (!len || !memmem(data, len, out, strlen(out)))
			return TC_OK;
	}
	tc_error_set("gcs: cannot pick a multipart boundary");
	return TC_ERROR;
}

static int upload_multipart(tc_gcs *g, const char *key, const void *data, size_t len)
{
	char b[40], ctype[96];
	const char *hdr[] = { ctype };
	tc_buf url = TC_BUF_INIT, body = TC_BUF_INIT;
	tc_gcs_call c = { .method = "POST", .subject = key, .what = "multipart upload",
			  .headers = hdr, .nheaders = 1 };
	int err;

	tc_buf_init(&body, 0);
	if ((err = boundary(b, data, len)) < 0)
		return err;
	snprintf(ctype, sizeof(ctype), "Content-Type: multipart/related; boundary=%s", b);
	if ((err = tc_buf_printf(&url, "%s?uploadType=multipart", g->upload)) < 0 ||
	    (err = tc_buf_cstr(&url)) < 0 ||
	    (err = tc_buf_printf(&body, "--%s\r\nContent-Type: application/json; charset=UTF-8"
				 "\r\n\r\n", b)) < 0 ||
	    (err = tc_gcs_json_upload_meta(&body, g, key)) < 0 ||
	    (err = tc_buf_printf(&body, "\r\n--%s\r\nContent-Type: application/octet-stream"
				 "\r\n\r\n", b)) < 0 ||
	    (len && (err = tc_buf_put(&body, data, len)) < 0) ||
	    (err = tc_buf_printf(&body, "\r\n--%s--\r\n", b)) < 0)
		goto cleanup;
	c.url = (const char *)url.ptr;
	c.body = body.ptr;
	c.body_len = body.len;
	err = tc_gcs_http_do(g, &c);
cleanup:
	tc_gcs_call_dispose(&c);
	tc_buf_dispose(&url);
	tc_buf_dispose(&body);
	return err;
}

static int upload_simple(tc_gcs *g, const char *key, const void *data, size_t len)
{
	if (g->cache_control || g->metadata.n)
		return upload_multipart(g, key, data, len);
	return upload_media(g, key, data, len);
}

/* ---- resumable sessions ---- */

/* The session URI must be on the host we upload to: the token goes with every chunk. */
static int same_origin(const char *a, const char *b)
{
	const char *ha = strstr(a, "://"), *hb = strstr(b, "://");
	size_t la, lb;

	if (!ha || !hb)
		return 0;
	la = (size_t)(ha - a) + 3 + strcspn(ha + 3, "/?#");
	lb = (size_t)(hb - b) + 3 + strcspn(hb + 3, "/?#");
	return la == lb && !strncasecmp(a, b, la);
}

static int session_start(tc_gcs *g, gcs_stream *a)
{
	const char *hdr[] = { "Content-Type: application/json; charset=UTF-8",
			      "X-Upload-Content-Type: application/octet-stream" };
	tc_buf url = TC_BUF_INIT, meta = TC_BUF_INIT;
	tc_gcs_call c = { .method = "POST", .subject = a->key, .what = "resumable upload start",
			  .headers = hdr, .nheaders = 2 };
	int err;

	if ((err = tc_buf_printf(&url, "%s?uploadType=resumable", g->upload)) < 0 ||
	    (err = tc_buf_cstr(&url)) < 0 || (err = tc_gcs_json_upload_meta(&meta, g, a->key)) < 0)
		goto cleanup;
	c.url = (const char *)url.ptr;
	c.body = meta.ptr;
	c.body_len = meta.len;
	if ((err = tc_gcs_http_do(g, &c)) < 0)
		goto cleanup;
	if (!c.location[0] || !same_origin(c.location, g->upload)) {
		tc_error_set("gcs POST %s (resumable upload start): %s", a->key,
			     c.location[0] ? "the session URI is on another host"
					   : "no Location (session URI) in the answer");
		err = TC_ECORRUPT;
		goto cleanup;
	}
	if (!(a->session = strdup(c.location))) {
		tc_error_set("out of memory");
		err = TC_ERROR;
	}
cleanup:
	tc_gcs_call_dispose(&c);
	tc_buf_dispose(&url);
	tc_buf_dispose(&meta);
	return err;
}

/* Bytes persisted per a 308's Range "bytes=0-N" (none: 0); -1 if malformed. */
static int64_t persisted(const tc_gcs_call *c)
{
	unsigned long long end;
	int n = 0;

	if (!c->range[0])
		return 0;
	if (sscanf(c->range, "bytes=0-%llu%n", &end, &n) != 1 || c->range[n] || end >= INT64_MAX)
		return -1;
	return (int64_t)end + 1;
}

/* Asks the session how much it has: *done when it already made the object. */
static int session_status(tc_gcs *g, gcs_stream *a, int64_t *have, int *done)
{
	const char *hdr[] = { "Content-Range: bytes */*" };
	tc_gcs_call c = { .method = "PUT", .url = a->session, .subject = a->key,
			  .what = "resumable upload status", .headers = hdr, .nheaders = 1,
			  .ok_308 = 1 };
	int err = tc_gcs_http_do(g, &c);

	*done = err == TC_OK && c.status != 308;
	*have = err == TC_OK && c.status == 308 ? persisted(&c) : 0;
	if (err == TC_OK && *have < 0) {
		tc_error_set("gcs PUT %s (resumable upload status): malformed Range \"%s\"", a->key,
			     c.range);
		err = TC_ECORRUPT;
	}
	tc_gcs_call_dispose(&c);
	return err;
}

/*
 * Sends len bytes of a->buf (from offset a->sent) to the session; final
 * ends the upload (total a->sent + len). On return a->sent counts what the
 * session persisted; the caller drops those bytes from the buffer.
 */
static int send_chunk(tc_gcs *g, gcs_stream *a, size_t len, int final)
{
	uint64_t end = a->sent + len; /* the offset this call must reach */
	unsigned round = 0;
	int err = TC_OK;

	for (;;) {
		uint64_t off = a->sent, n = end - off;
		const uint8_t *p = a->buf.ptr + (size_t)(off - (end - len));
		char cr[96], total[24], what[64];
		const char *hdr[] = { cr };
		tc_gcs_call c = { .method = "PUT", .url = a->session, .subject = a->key,
				  .what = what, .headers = hdr, .nheaders = 1, .no_retry = 1,
				  .ok_308 = 1, .body = n ? p : NULL, .body_len = (size_t)n };
		int64_t have = 0;
		int done = 0;

		if (!n && !final)
			return TC_OK;
		snprintf(total, sizeof(total), "%" PRIu64, end);
		if (n)
			snprintf(cr, sizeof(cr), "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%s", off,
				 off + n - 1, final ? total : "*");
		else
			snprintf(cr, sizeof(cr), "Content-Range: bytes */%s", total);
		snprintf(what, sizeof(what), "resumable upload at %" PRIu64, off);
		err = tc_gcs_http_do(g, &c);
		if (err == TC_OK) {
			done = c.status != 308;
			have = done ? (int64_t)end : persisted(&c);
		} else if (tc_gcs_http_retryable(&c, err) && round < g->max_retries) {
			tc_gcs_call_dispose(&c);
			if (tc_gcs_http_backoff(g, "PUT", round++)) {
				tc_error_set("gcs PUT %s (%s): canceled (shutting down)", a->key, what);
				return TC_ECANCELED;
			}
			if ((err = session_status(g, a, &have, &done)) < 0)
				return err;
			if (done)
				have = (int64_t)end;
		}
		tc_gcs_call_dispose(&c);
		if (err < 0)
			return err;
		if (done != final && (done || (uint64_t)have == end)) {
			tc_error_set("gcs PUT %s (%s): the session %s", a->key, what,
				     done ? "completed the object before its last chunk"
					  : "did not complete the object at its last chunk");
			return TC_ECORRUPT;
		}
		if (have < 0 || (uint64_t)have < a->sent || (uint64_t)have > end) {
			tc_error_set("gcs PUT %s (%s): the session reports %" PRId64 " bytes persisted, "
				     "outside %" PRIu64 "..%" PRIu64, a->key, what, have, a->sent, end);
			return TC_ECORRUPT;
		}
		a->sent = (uint64_t)have;
		if (done || (!final && a->sent == end))
			return TC_OK;
	}
}

static void session_cancel(tc_gcs *g, gcs_stream *a)
{
	tc_gcs_call c = { .method = "DELETE", .url = a->session, .subject = a->key,
			  .what = "resumable upload cancel", .ok_499 = 1 };
	char saved[1024];

	if (!a->session)
		return;
	/* keep the caller's message: the cancel is cleanup after an earlier failure */
	snprintf(saved, sizeof(saved), "%s", tc_error_last());
	(void)tc_gcs_http_do(g, &c);
	tc_error_set("%s", saved);
	tc_gcs_call_dispose(&c);
	free(a->session);
	a->session = NULL;
}

/* Drops the bytes the session persisted from the front of the buffer. */
static void drop_sent(gcs_stream *a, uint64_t before)
{
	size_t n = (size_t)(a->sent - before);

	memmove(a->buf.ptr, a->buf.ptr + n, a->buf.len - n);
	a->buf.len -= n;
}

/* Sends whole chunks while more than chunk_size bytes are buffered. */
static int flush_chunks(tc_gcs *g, gcs_stream *a)
{
	int err = TC_OK;

	while (a->buf.len > g->chunk_size) {
		uint64_t before = a->sent;
		if (!a->session && (err = session_start(g, a)) < 0)
			break;
		err = send_chunk(g, a, (size_t)g->chunk_size, 0);
		drop_sent(a, before);
		if (err < 0)
			break;
	}
	return err;
}

static void stream_free(gcs_stream *a)
{
	tc_buf_dispose(&a->buf);
	free(a->session);
	free(a->key);
	free(a);
}

static int stream_new(gcs_stream **out, tc_backend *be, const char *key)
{
	gcs_stream *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (!a || !(a->key = strdup(key))) {
		free(a);
		tc_error_set("out of memory opening %s", key);
		return TC_ERROR;
	}
	a->base.be = be;
	tc_buf_init(&a->buf, 0);
	*out = a;
	return TC_OK;
}

/* Commits: one simple upload if no session was needed, else the last chunk. */
static int stream_commit(tc_gcs *g, gcs_stream *a)
{
	uint64_t before = a->sent;
	int err;

	if (a->failed) {
		tc_error_set("gcs commit of %s: an earlier request failed", a->key);
		err = TC_ERROR;
	} else if (!a->session) {
		err = upload_simple(g, a->key, a->buf.ptr, a->buf.len);
	} else {
		err = send_chunk(g, a, a->buf.len, 1);
		drop_sent(a, before);
		if (err < 0)
			session_cancel(g, a);
	}
	return err;
}

int tc_gcs_upload(tc_gcs *g, const char *key, const void *data, size_t len)
{
	gcs_stream *a;
	int err;

	if (len <= g->chunk_size)
		return upload_simple(g, key, data, len);
	/* larger than one chunk: the stream's resumable path (its buffer copies the data) */
	if ((err = stream_new(&a, &g->base, key)) < 0)
		return err;
	if ((err = tc_buf_put(&a->buf, data, len)) == TC_OK && (err = flush_chunks(g, a)) == TC_OK)
		err = stream_commit(g, a);
	else
		session_cancel(g, a);
	stream_free(a);
	return err;
}

int tc_gcs_append_open(tc_append **out, tc_backend *be, const char *key)
{
	gcs_stream *a;
	int err = stream_new(&a, be, key);

	*out = err == TC_OK ? &a->base : NULL;
	return err;
}

int tc_gcs_append(tc_append *ta, const void *data, size_t len)
{
	gcs_stream *a = (gcs_stream *)ta;
	tc_gcs *g = (tc_gcs *)a->base.be;
	int err;

	if (a->failed) {
		tc_error_set("gcs append to %s: an earlier request failed", a->key);
		return TC_ERROR;
	}
	if (len == 0)
		return TC_OK;
	if ((err = tc_buf_put(&a->buf, data, len)) < 0) {
		if (err == TC_ELIMIT)
			tc_error_set("%s at offset %" PRIu64 ": append buffer limit reached", a->key,
				     a->sent + a->buf.len);
	} else {
		err = flush_chunks(g, a);
	}
	if (err < 0) {
		a->failed = 1;
		session_cancel(g, a);
	}
	return err;
}

int tc_gcs_append_commit(tc_append *ta)
{
	gcs_stream *a = (gcs_stream *)ta;
	int err = stream_commit((tc_gcs *)a->base.be, a);

	stream_free(a);
	return err;
}

void tc_gcs_append_abort(tc_append *ta)
{
	gcs_stream *a = (gcs_stream *)ta;

	session_cancel((tc_gcs *)a->base.be, a);
	stream_free(a);
}
