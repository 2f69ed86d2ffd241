/*
 * Streamed appends (the data file): bytes are buffered until more than
 * part_size are pending, then a multipart upload starts and every whole
 * part_size part is uploaded; commit sends the rest as the last part and
 * completes the upload, or, when part_size was never exceeded, PUTs the
 * buffer as one object. Any failure aborts the upload, so nothing stays
 * billed; the object only becomes visible at commit.
 */
#include "src/backend/s3_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/error.h"
#include "src/util/ids.h"

#define MAX_PARTS 10000
#define SHOW_MAX (TC_KEY_MAX * 2 + 16)

typedef struct s3_stream {
	tc_append base;
	char *key;
	tc_buf buf;        /* bytes not yet sent as a part */
	char *upload_id;   /* NULL until a multipart upload was started */
	tc_strlist etags;  /* ETag of part i+1 */
	int failed;        /* a request failed: the upload is gone, only abort/commit remain */
} s3_stream;

/* "<prefix><key>" for messages. */
static const char *show(char out[SHOW_MAX], const tc_s3 *s, const char *key)
{
	snprintf(out, SHOW_MAX, "%s%s", s->prefix, key);
	return out;
}

/* The whole stream as one plain PUT. */
static int put_whole(tc_s3 *s, s3_stream *a)
{
	tc_s3_call c = { .method = "PUT", .key = a->key, .body = a->buf.len ? a->buf.ptr : NULL,
			 .body_len = a->buf.len };
	int err = tc_s3_http_do(s, &c);

	tc_s3_call_dispose(&c);
	return err;
}

static int mp_initiate(tc_s3 *s, s3_stream *a)
{
	tc_sigv4_pair q[] = { { "uploads", "" } };
	tc_s3_call c = { .method = "POST", .key = a->key, .what = "CreateMultipartUpload",
			 .query = q, .nquery = 1 };
	char id[1024], k[SHOW_MAX], where[SHOW_MAX + 64];
	int err = tc_s3_http_do(s, &c);

	snprintf(where, sizeof(where), "s3 CreateMultipartUpload %s", show(k, s, a->key));
	if (err == TC_OK && (err = tc_s3_xml_text(id, sizeof(id), &c.xml, "UploadId",
						   &(tc_where){ where, TC_WHERE_NO_OFFSET })) == TC_OK &&
	    !(a->upload_id = strdup(id))) {
		tc_error_set("%s: out of memory", where);
		err = TC_ERROR;
	}
	tc_s3_call_dispose(&c);
	return err;
}

static void mp_abort(tc_s3 *s, s3_stream *a)
{
	tc_sigv4_pair q[] = { { "uploadId", a->upload_id } };
	tc_s3_call c = { .method = "DELETE", .key = a->key, .what = "AbortMultipartUpload",
			 .query = q, .nquery = 1 };

	if (!a->upload_id)
		return;
	/* keep the caller's message: the abort is cleanup after an earlier failure */
	{
		char saved[1024];
		snprintf(saved, sizeof(saved), "%s", tc_error_last());
		tc_s3_http_do(s, &c);
		tc_error_set("%s", saved);
	}
	tc_s3_call_dispose(&c);
	free(a->upload_id);
	a->upload_id = NULL;
}

static int mp_part(tc_s3 *s, s3_stream *a, const uint8_t *data, size_t len)
{
	char num[16], k[SHOW_MAX], what[64];
	tc_sigv4_pair q[2];
	tc_s3_call c = { .method = "PUT", .key = a->key, .what = what, .query = q, .nquery = 2,
			 .body = data, .body_len = len };
	int err;

	if (a->etags.n >= MAX_PARTS) {
		tc_error_set("s3 PUT %s: more than %d parts of %llu bytes; raise part_size",
			     show(k, s, a->key), MAX_PARTS, (unsigned long long)s->part_size);
		return TC_ELIMIT;
	}
	snprintf(num, sizeof(num), "%zu", a->etags.n + 1);
	snprintf(what, sizeof(what), "UploadPart %s", num);
	q[0] = (tc_sigv4_pair){ "partNumber", num };
	q[1] = (tc_sigv4_pair){ "uploadId", a->upload_id };
	err = tc_s3_http_do(s, &c);
	if (err == TC_OK && !c.etag[0]) {
		tc_error_set("s3 PUT %s (%s): response has no ETag", show(k, s, a->key), what);
		err = TC_ECORRUPT;
	}
	if (err == TC_OK)
		err = tc_strlist_add(&a->etags, c.etag);
	tc_s3_call_dispose(&c);
	return err;
}

static int mp_complete(tc_s3 *s, s3_stream *a)
{
	tc_sigv4_pair q[] = { { "uploadId", a->upload_id } };
	tc_sigv4_pair h[] = { { "Content-Type", "application/xml" } };
	tc_buf body = TC_BUF_INIT;
	tc_s3_call c = { .method = "POST", .key = a->key, .what = "CompleteMultipartUpload",
			 .query = q, .nquery = 1, .headers = h, .nheaders = 1 };
	char code[64], msg[512];
	int err;

	if ((err = tc_s3_xml_complete(&body, &a->etags)) < 0)
		goto cleanup;
	c.body = body.ptr;
	c.body_len = body.len;
	err = tc_s3_http_do(s, &c);
	/* S3 may answer 200 and report the failure in the body */
	if (err == TC_OK && tc_s3_xml_error(code, sizeof(code), msg, sizeof(msg), &c.xml))
		err = tc_s3_http_fail(s, &c, code, msg);
cleanup:
	tc_s3_call_dispose(&c);
	tc_buf_dispose(&body);
	return err;
}

int tc_s3_append_open(tc_append **out, tc_backend *be, const char *key)
{
	s3_stream *a = calloc(1, sizeof(*a));

	if (!a || !(a->key = strdup(key))) {
		free(a);
		tc_error_set("out of memory opening %s", key);
		return TC_ERROR;
	}
	a->base.be = be;
	tc_buf_init(&a->buf, 0);
	*out = &a->base;
	return TC_OK;
}

/* Sends every whole part_size part in the buffer once more than part_size is buffered. */
static int flush_parts(tc_s3 *s, s3_stream *a)
{
	size_t sent = 0;
	int err = TC_OK;

	while (a->buf.len - sent > s->part_size) {
		if (!a->upload_id && (err = mp_initiate(s, a)) < 0)
			break;
		if ((err = mp_part(s, a, a->buf.ptr + sent, s->part_size)) < 0)
			break;
		sent += s->part_size;
	}
	if (sent) {
		memmove(a->buf.ptr, a->buf.ptr + sent, a->buf.len - sent);
		a->buf.len -= sent;
	}
	return err;
}

int tc_s3_append(tc_append *ta, const void *data, size_t len)
{
	s3_stream *a = (s3_stream *)ta;
	tc_s3 *s = (tc_s3 *)a->base.be;
	char k[SHOW_MAX];
	int err;

	if (a->failed) {
		tc_error_set("s3 append to %s: an earlier request failed", show(k, s, a->key));
		return TC_ERROR;
	}
	if (len == 0)
		return TC_OK;
	if ((err = tc_buf_put(&a->buf, data, len)) < 0) {
		if (err == TC_ELIMIT)
			tc_error_set("%s at offset %zu: append buffer limit reached",
				     show(k, s, a->key), a->buf.len);
		a->failed = 1;
		mp_abort(s, a);
		return err;
	}
	if ((err = flush_parts(s, a)) < 0) {
		a->failed = 1;
		mp_abort(s, a);
	}
	return err;
}

static void stream_free(s3_stream *a)
{
	tc_buf_dispose(&a->buf);
	tc_strlist_dispose(&a->etags);
	free(a->upload_id);
	free(a->key);
	free(a);
}

int tc_s3_append_commit(tc_append *ta)
{
	s3_stream *a = (s3_stream *)ta;
	tc_s3 *s = (tc_s3 *)a->base.be;
	char k[SHOW_MAX];
	int err = TC_OK;

	if (a->failed) {
		tc_error_set("s3 commit of %s: an earlier request failed", show(k, s, a->key));
		err = TC_ERROR;
	} else if (!a->upload_id) {
		/* never reached part_size: one plain PUT */
		err = put_whole(s, a);
	} else {
		if (a->buf.len)
			err = mp_part(s, a, a->buf.ptr, a->buf.len);
		if (err == TC_OK)
			err = mp_complete(s, a);
		if (err < 0)
			mp_abort(s, a); /* nothing stays billed */
	}
	stream_free(a);
	return err;
}

void tc_s3_append_abort(tc_append *ta)
{
	s3_stream *a = (s3_stream *)ta;

	mp_abort((tc_s3 *)a->base.be, a);
	stream_free(a);
}
