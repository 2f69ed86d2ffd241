/*
 * The JSON API's bodies (https://cloud.google.com/storage/docs/json_api/v1):
 * parsed with cJSON, built with tc_json_put_string. A body that is not the
 * document expected is TC_ECORRUPT naming the request and the field.
 */
#include "src/backend/gcs_impl.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/ids.h"
#include "src/util/utf8.h"

/* Bytes of a bad listed name kept for the warning. */
#define BAD_SHOW 200

static cJSON *parse(const tc_buf *body)
{
	return body->len ? cJSON_ParseWithLength((const char *)body->ptr, body->len) : NULL;
}

static int corrupt(const tc_where *w, const char *what)
{
	tc_error_set_at(w, "response is not the JSON expected: %s", what);
	return TC_ECORRUPT;
}

static void copy(char *out, size_t outsz, const char *s)
{
	snprintf(out, outsz, "%s", tc_utf8_printable(s, outsz > 8 ? outsz - 8 : 1));
}

int tc_gcs_json_error(char *reason, size_t reasonsz, char *msg, size_t msgsz, const tc_buf *body)
{
	cJSON *root = parse(body), *e, *errs, *r, *m;
	int found = 0;

	reason[0] = msg[0] = '\0';
	e = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (cJSON_IsObject(e)) {
		errs = cJSON_GetObjectItemCaseSensitive(e, "errors");
		r = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(errs, 0), "reason");
		if (!cJSON_IsString(r))
			r = cJSON_GetObjectItemCaseSensitive(e, "status");
		m = cJSON_GetObjectItemCaseSensitive(e, "message");
		if (cJSON_IsString(r))
			copy(reason, reasonsz, r->valuestring);
		if (cJSON_IsString(m))
			copy(msg, msgsz, m->valuestring);
		found = 1;
	} else if (cJSON_IsString(e)) {
		/* the OAuth2 endpoint: {"error": "invalid_grant", "error_description": "..."} */
		m = cJSON_GetObjectItemCaseSensitive(root, "error_description");
		copy(reason, reasonsz, e->valuestring);
		if (cJSON_IsString(m))
			copy(msg, msgsz, m->valuestring);
		found = 1;
	}
	cJSON_Delete(root);
	return found;
}

void tc_gcs_list_page_dispose(tc_gcs_list_page *p)
{
	if (!p)
		return;
	tc_strlist_dispose(&p->names);
	tc_strlist_dispose(&p->stamps);
	tc_strlist_dispose(&p->prefixes);
	tc_strlist_dispose(&p->bad);
	free(p->next_token);
	p->next_token = NULL;
}

/*
 * A listed name we can use as (part of) a key: valid UTF-8 without control
 * characters, at most TC_KEY_MAX bytes. cJSON ends a string at an escaped
 * NUL, so the decoded length is checked against the raw one too.
 */
static int name_ok(const char *s)
{
	size_t n = strlen(s);
	const uint8_t *p = (const uint8_t *)s;

	if (n == 0 || n > TC_KEY_MAX)
		return 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = tc_utf8_seq(p + i, n - i, &cp);
		if (!l || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			return 0;
		i += l;
	}
	return 1;
}

static int add_name(tc_gcs_list_page *out, tc_strlist *dst, const cJSON *v)
{
	char show[BAD_SHOW + 16];

	out->entries++;
	if (name_ok(v->valuestring))
		return tc_strlist_add(dst, v->valuestring);
	snprintf(show, sizeof(show), "%s", tc_utf8_printable(v->valuestring, BAD_SHOW));
	return tc_strlist_add(&out->bad, show);
}

/* What changes when the object is written again; a field missing is left empty. */
static int add_stamp(tc_strlist *l, const cJSON *item)
{
	static const char *const fields[] = { "etag", "generation", "metageneration", "updated",
					      "size" };
	char stamp[5 * 130];
	size_t o = 0;

	for (size_t i = 0; i < 5; i++) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(item, fields[i]);
		o += (size_t)snprintf(stamp + o, sizeof(stamp) - o, "%s%.128s", i ? " " : "",
				      cJSON_IsString(f) ? f->valuestring : "");
	}
	return tc_strlist_add(l, stamp);
}

int tc_gcs_json_list(tc_gcs_list_page *out, const tc_buf *body, const tc_where *w)
{
	cJSON *root = parse(body), *items, *prefixes, *tok, *it;
	int err = TC_OK;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return corrupt(w, "not a JSON object");
	}
	items = cJSON_GetObjectItemCaseSensitive(root, "items");
	prefixes = cJSON_GetObjectItemCaseSensitive(root, "prefixes");
	tok = cJSON_GetObjectItemCaseSensitive(root, "nextPageToken");
	if ((items && !cJSON_IsArray(items)) || (prefixes && !cJSON_IsArray(prefixes)) ||
	    (tok && !cJSON_IsString(tok))) {
		err = corrupt(w, "items, prefixes or nextPageToken of the wrong type");
		goto cleanup;
	}
	cJSON_ArrayForEach(it, items) {
		cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
		if (!cJSON_IsString(name)) {
			err = corrupt(w, "an item without a name");
			goto cleanup;
		}
		n = out->names.n;
		if ((err = add_name(out, &out->names, name)) < 0)
			goto cleanup;
		if (out->names.n > n && (err = add_stamp(&out->stamps, it)) < 0)
			goto cleanup;
	}
	cJSON_ArrayForEach(it, prefixes) {
		if (!cJSON_IsString(it)) {
			err = corrupt(w, "a prefix that is not a string");
			goto cleanup;
		}
		if ((err = add_name(out, &out->prefixes, it)) < 0)
			goto cleanup;
	}
	if (tok && !(out->next_token = strdup(tok->valuestring))) {
		tc_error_set("out of memory");
		err = TC_ERROR;
	}
cleanup:
	cJSON_Delete(root);
	if (err < 0)
		tc_gcs_list_page_dispose(out);
	return err;
}

int tc_gcs_json_object(uint64_t *size, tc_time *updated, const tc_buf *body, const tc_where *w)
{
	cJSON *root = parse(body);
	cJSON *sz = cJSON_GetObjectItemCaseSensitive(root, "size");
	cJSON *up = cJSON_GetObjectItemCaseSensitive(root, "updated");
	char *end;
	int err = TC_OK;

	/* GCS writes int64 fields as JSON strings */
	if (!cJSON_IsString(sz) || !*sz->valuestring || *sz->valuestring == '-') {
		err = corrupt(w, "no \"size\"");
	} else {
		*size = strtoull(sz->valuestring, &end, 10);
		if (*end)
			err = corrupt(w, "\"size\" is not a number");
	}
	if (err == TC_OK && (!cJSON_IsString(up) || tc_time_parse(updated, up->valuestring) < 0))
		err = corrupt(w, "no RFC 3339 \"updated\"");
	cJSON_Delete(root);
	return err;
}

int tc_gcs_json_rewrite(int *done, char **token, const tc_buf *body, const tc_where *w)
{
	cJSON *root = parse(body);
	cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "done");
	cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "rewriteToken");
	int err = TC_OK;

	*token = NULL;
	if (!cJSON_IsBool(d))
		err = corrupt(w, "no boolean \"done\"");
	else if (!(*done = cJSON_IsTrue(d)) && (!cJSON_IsString(t) || !*t->valuestring))
		err = corrupt(w, "\"done\" is false but there is no \"rewriteToken\"");
	else if (!*done && !(*token = strdup(t->valuestring))) {
		tc_error_set("out of memory");
		err = TC_ERROR;
	}
	cJSON_Delete(root);
	return err;
}

int tc_gcs_json_upload_meta(tc_buf *out, const tc_gcs *g, const char *name)
{
	int err = tc_buf_puts(out, "{\"name\":");

	if (err == TC_OK)
		err = tc_json_put_string(out, name);
	if (err == TC_OK && g->cache_control) {
		err = tc_buf_puts(out, ",\"cacheControl\":");
		if (err == TC_OK)
			err = tc_json_put_string(out, g->cache_control);
	}
	for (size_t i = 0; i + 1 < g->metadata.n && err == TC_OK; i += 2) {
		err = tc_buf_puts(out, i ? "," : ",\"metadata\":{");
		if (err == TC_OK)
			err = tc_json_put_string(out, g->metadata.items[i]);
		if (err == TC_OK)
			err = tc_buf_putc(out, ':');
		if (err == TC_OK)
			err = tc_json_put_string(out, g->metadata.items[i + 1]);
	}
	if (err == TC_OK && g->metadata.n >= 2)
		err = tc_buf_putc(out, '}');
	if (err == TC_OK)
		err = tc_buf_putc(out, '}');
	return err;
}

int tc_gcs_json_token(char *token, size_t tokensz, int64_t *expires_in, const tc_buf *body,
		      const tc_where *w)
{
	cJSON *root = parse(body);
	cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "access_token");
	cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
	int err = TC_OK;

	if (!cJSON_IsString(t) || !*t->valuestring || strlen(t->valuestring) >= tokensz ||
	    strpbrk(t->valuestring, "\r\n"))
		err = corrupt(w, "no usable \"access_token\"");
	else if (!cJSON_IsNumber(e) || e->valuedouble < 1 || e->valuedouble > 1e9)
		err = corrupt(w, "no positive \"expires_in\"");
	if (err == TC_OK) {
		snprintf(token, tokensz, "%s", t->valuestring);
		*expires_in = (int64_t)e->valuedouble;
	}
	if (cJSON_IsString(t))
		memset(t->valuestring, 0, strlen(t->valuestring));
	cJSON_Delete(root);
	return err;
}
