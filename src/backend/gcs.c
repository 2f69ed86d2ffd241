/*
 * The GCS backend's operations (see gcs.h). Requests go through
 * tc_gcs_http_do (gcs_http.c), uploads through gcs_upload.c, JSON through
 * gcs_json.c. Keys reaching here are already checked by backend.c.
 */
#include "src/backend/gcs_impl.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/backend/block_scan.h"
#include "src/util/ids.h"
#include "src/util/log.h"
#include "src/util/utf8.h"

#define POOL_MAX 64
/* Continuation tokens one listing remembers, to catch a server that cycles. */
#define SEEN_TOKENS 64
/* Bad names one listing warns about by name. */
#define WARN_NAMES 64

static const tc_backend_ops gcs_ops;

/* "<api>/<escaped key>" plus a query. */
static int object_url(tc_buf *url, const tc_gcs *g, const char *base, const char *key,
		      const char *query)
{
	int err = tc_buf_puts(url, base);

	if (err == TC_OK && key && (err = tc_buf_putc(url, '/')) == TC_OK)
		err = tc_gcs_escape(url, key);
	if (err == TC_OK && query)
		err = tc_buf_puts(url, query);
	if (err == TC_OK)
		err = tc_buf_cstr(url);
	(void)g;
	return err;
}

/* ---- objects ---- */

static int gcs_read(tc_buf *out, tc_backend *be, const char *key)
{
	tc_gcs *g = (tc_gcs *)be;
	tc_buf url = TC_BUF_INIT;
	tc_gcs_call c = { .method = "GET", .subject = key, .out = out };
	int err = object_url(&url, g, g->api, key, "?alt=media");

	c.url = (const char *)url.ptr;
	if (err == TC_OK)
		err = tc_gcs_http_do(g, &c);
	tc_gcs_call_dispose(&c);
	tc_buf_dispose(&url);
	return err;
}

static int gcs_stat(tc_stat *out, tc_backend *be, const char *key)
{
	tc_gcs *g = (tc_gcs *)be;
	tc_buf url = TC_BUF_INIT;
	tc_gcs_call c = { .method = "GET", .subject = key, .what = "object metadata" };
	char where[TC_KEY_MAX + 64];
	int err = object_url(&url, g, g->api, key, NULL);

	c.url = (const char *)url.ptr;
	if (err == TC_OK)
		err = tc_gcs_http_do(g, &c);
	snprintf(where, sizeof(where), "gcs GET %s (object metadata)", key);
	if (err == TC_OK)
		err = tc_gcs_json_object(&out->size, &out->mtime, &c.json,
					 &(tc_where){ where, TC_WHERE_NO_OFFSET });
	tc_gcs_call_dispose(&c);
	tc_buf_dispose(&url);
	return err;
}

static int short_object(const char *key, uint64_t off, size_t len, const char *why)
{
	tc_where w = { key, off };

	tc_error_set_at(&w, "short object: wanted %zu bytes (%s)", len, why);
	return TC_ECORRUPT;
}

static int gcs_read_range(uint8_t *out, tc_backend *be, const char *key, uint64_t off, size_t len)
{
	tc_gcs *g = (tc_gcs *)be;
	char range[80];
	const char *hdr[] = { range };
	tc_buf url = TC_BUF_INIT;
	tc_gcs_call c = { .method = "GET", .subject = key, .headers = hdr, .nheaders = 1,
			  .fixed = out, .fixed_len = len };
	int err;

	if (len == 0 || off > UINT64_MAX - len) {
		/* nothing to GET (or no such range): existence and size decide */
		tc_stat st;
		if ((err = gcs_stat(&st, be, key)) < 0)
			return err;
		if (off > st.size || len > st.size - off)
			return short_object(key, off, len, "object is smaller");
		return TC_OK;
	}
	snprintf(range, sizeof(range), "Range: bytes=%llu-%llu", (unsigned long long)off,
		 (unsigned long long)(off + len - 1));
	if ((err = object_url(&url, g, g->api, key, "?alt=media")) < 0)
		goto cleanup;
	c.url = (const char *)url.ptr;
	err = tc_gcs_http_do(g, &c);
	if (err == TC_ERROR && c.status == 416)
		err = short_object(key, off, len, "416 requestedRangeNotSatisfiable");
	else if (err == TC_OK && c.status != 206 && off != 0) {
		tc_error_set("gcs GET %s: the server ignored the Range header (status %ld)", key,
			     c.status);
		err = TC_ERROR;
	} else if (err == TC_OK && c.got != len) {
		err = short_object(key, off, len, "the server returned fewer");
	}
cleanup:
	tc_gcs_call_dispose(&c);
	tc_buf_dispose(&url);
	return err;
}

static int gcs_write(tc_backend *be, const char *key, const void *data, size_t len)
{
	return tc_gcs_upload((tc_gcs *)be, key, data, len);
}

static int gcs_del(tc_backend *be, const char *key)
{
	tc_gcs *g = (tc_gcs *)be;
	tc_buf url = TC_BUF_INIT;
	tc_gcs_call c = { .method = "DELETE", .subject = key };
	int err = object_url(&url, g, g->api, key, NULL);

	c.url = (const char *)url.ptr;
	if (err == TC_OK)
		err = tc_gcs_http_do(g, &c);
	tc_gcs_call_dispose(&c);
	tc_buf_dispose(&url);
	return err == TC_ENOTFOUND ? TC_OK : err;
}

/* ---- listings ---- */

typedef struct list_guard {
	char *seen[SEEN_TOKENS];
	size_t nseen;
	tc_strlist warned;
	size_t unwarned;
} list_guard;

static void guard_dispose(list_guard *lg, const char *request)
{
	for (size_t i = 0; i < lg->nseen && i < SEEN_TOKENS; i++)
		free(lg->seen[i]);
	if (lg->unwarned)
		tc_log_warn("msg=\"skipped more listed names that cannot be keys\" request=%s count=%zu",
			    tc_log_q(request), lg->unwarned);
	tc_strlist_dispose(&lg->warned);
}

/* Refuses a next page token seen before in this listing, and a page past the limit. */
static int guard_next(list_guard *lg, const char *where, unsigned page, const char *tok)
{
	size_t slot;

	for (size_t i = 0; i < lg->nseen && i < SEEN_TOKENS; i++) {
		if (strcmp(lg->seen[i], tok))
			continue;
		tc_error_set("%s: nextPageToken \"%s\" was already returned: the server's listing "
			     "loops and would never end", where, tc_utf8_printable(tok, 80));
		return TC_ECORRUPT;
	}
	if (page >= TC_GCS_MAX_LIST_PAGES) {
		tc_error_set("%s: still more after %u pages: refusing to list further", where, page);
		return TC_ELIMIT;
	}
	slot = lg->nseen % SEEN_TOKENS;
	if (lg->nseen >= SEEN_TOKENS)
		free(lg->seen[slot]);
	if (!(lg->seen[slot] = strdup(tok))) {
		tc_error_set("%s: out of memory", where);
		return TC_ERROR;
	}
	lg->nseen++;
	return TC_OK;
}

static void guard_warn(list_guard *lg, const char *request, const tc_gcs_list_page *p)
{
	for (size_t i = 0; i < p->bad.n; i++) {
		const char *name = p->bad.items[i];
		if (tc_strlist_contains(&lg->warned, name))
			continue;
		if (lg->warned.n >= WARN_NAMES || tc_strlist_add(&lg->warned, name) < 0) {
			lg->unwarned++;
			continue;
		}
		tc_log_warn("msg=\"skipping a listed name that cannot be a key\" request=%s name=%s",
			    tc_log_q(request), tc_log_q(name));
	}
}

typedef int (*page_fn)(void *ctx, const tc_gcs_list_page *p);

/*
 * objects.list for every page under prefix; hands each page to fn, names
 * full, any outside prefix dropped.
 */
static int list_pages(tc_gcs *g, const char *prefix, int delimited, page_fn fn, void *ctx)
{
	char *token = NULL, request[TC_KEY_MAX + 64];
	list_guard lg;
	size_t plen = strlen(prefix);
	int err = TC_OK;

	memset(&lg, 0, sizeof(lg));
	snprintf(request, sizeof(request), "objects.list prefix \"%s\"", prefix);
	for (unsigned page = 1;; page++) {
		tc_buf url = TC_BUF_INIT;
		tc_gcs_list_page p;
		tc_gcs_call c = { .method = "GET", .subject = request };
		char where[TC_KEY_MAX + 96];

		err = tc_buf_printf(&url, "%s?maxResults=%d&prefix=", g->api, TC_GCS_LIST_MAX);
		if (err == TC_OK)
			err = tc_gcs_escape(&url, prefix);
		if (err == TC_OK && delimited)
			err = tc_buf_puts(&url, "&delimiter=%2F");
		if (err == TC_OK && token && (err = tc_buf_puts(&url, "&pageToken=")) == TC_OK)
			err = tc_gcs_escape(&url, token);
		if (err == TC_OK)
			err = tc_buf_cstr(&url);
		c.url = (const char *)url.ptr;
		snprintf(where, sizeof(where), "gcs %s page %u", request, page);
		if (err == TC_OK)
			err = tc_gcs_http_do(g, &c);
		if (err == TC_ENOTFOUND) {
			/* a listing finds nothing with a 200; a 404 is the bucket */
			tc_error_set("gcs GET %s: bucket %s not found (404 %s)", request, g->bucket,
				     c.reason[0] ? c.reason : "notFound");
			err = TC_ERROR;
		}
		if (err == TC_OK)
			err = tc_gcs_json_list(&p, &c.json, &(tc_where){ where, TC_WHERE_NO_OFFSET });
		tc_gcs_call_dispose(&c);
		tc_buf_dispose(&url);
		if (err < 0)
			break;
		if (p.entries > TC_GCS_LIST_MAX) {
			tc_error_set("%s: %zu entries, more than the maxResults=%d asked for", where,
				     p.entries, TC_GCS_LIST_MAX);
			err = TC_ECORRUPT;
		}
		guard_warn(&lg, request, &p);
		tc_strlist_keep_prefix(&p.names, &p.stamps, prefix, plen);
		tc_strlist_keep_prefix(&p.prefixes, NULL, prefix, plen);
		if (err == TC_OK)
			err = fn(ctx, &p);
		free(token);
		token = p.next_token;
		p.next_token = NULL;
		tc_gcs_list_page_dispose(&p);
		if (err == TC_OK && token && !*token) {
			free(token);
			token = NULL;
		}
		if (err == TC_OK && token)
			err = guard_next(&lg, where, page, token);
		if (err < 0 || !token)
			break;
	}
	free(token);
	guard_dispose(&lg, request);
	return err;
}

typedef struct accumulated {
	tc_strlist *names;
	tc_strlist *prefixes; /* NULL: not wanted */
} accumulated;

static int accumulate(void *ctx, const tc_gcs_list_page *p)
{
	accumulated *acc = ctx;
	int err = TC_OK;

	for (size_t i = 0; i < p->names.n && err == TC_OK; i++)
		err = tc_strlist_add(acc->names, p->names.items[i]);
	for (size_t i = 0; acc->prefixes && i < p->prefixes.n && err == TC_OK; i++)
		err = tc_strlist_add(acc->prefixes, p->prefixes.items[i]);
	return err;
}

/* The names and (when delimited) the prefixes of every page under prefix, both full. */
static int list_all(tc_strlist *names, tc_strlist *prefixes, tc_gcs *g, const char *prefix,
		    int delimited)
{
	accumulated acc = { names, prefixes };

	return list_pages(g, prefix, delimited, accumulate, &acc);
}

/* "" stays "", "t" and "t/" become "t/". */
static int dir_prefix(char *out, size_t outsz, const char *prefix)
{
	size_t len = strlen(prefix);
	int n = snprintf(out, outsz, "%s%s", prefix, len && prefix[len - 1] != '/' ? "/" : "");

	if (n < 0 || (size_t)n >= outsz) {
		tc_error_set("prefix \"%s\" too long", prefix);
		return TC_EINVALID;
	}
	return TC_OK;
}

static int list_kind(tc_strlist *out, tc_gcs *g, const char *prefix, int dirs)
{
	char p[TC_KEY_MAX + 2];
	tc_strlist names = TC_STRLIST_INIT, prefixes = TC_STRLIST_INIT, level = TC_STRLIST_INIT;
	const tc_strlist *src;
	size_t plen;
	int err;

	if ((err = dir_prefix(p, sizeof(p), prefix)) < 0 ||
	    (err = list_all(&names, &prefixes, g, p, 1)) < 0)
		goto cleanup;
	plen = strlen(p);
	src = dirs ? &prefixes : &names;
	for (size_t i = 0; i < src->n && err == TC_OK; i++) {
		const char *name = src->items[i] + plen;
		size_t n = strlen(name);
		if (dirs && n && name[n - 1] == '/')
			n--;
		/* "" is a directory marker or an empty segment; '/' cannot be one level */
		if (n == 0 || memchr(name, '/', n))
			continue;
		err = tc_strlist_addn(&level, name, n);
	}
	/* GCS lists "t/b-c/" before "t/b/" ('-' < '/'): sort the names themselves */
	tc_strlist_sort(&level);
	for (size_t i = 0; i < level.n && err == TC_OK; i++)
		err = tc_strlist_add(out, level.items[i]);
cleanup:
	tc_strlist_dispose(&names);
	tc_strlist_dispose(&prefixes);
	tc_strlist_dispose(&level);
	return err;
}

static int scan_page(void *ctx, const tc_gcs_list_page *p)
{
	tc_block_scan *b = ctx;
	int err = TC_OK;

	for (size_t i = 0; i < p->names.n && err == TC_OK; i++)
		err = tc_block_scan_key(b, p->names.items[i],
					p->stamps.n == p->names.n ? p->stamps.items[i] : "");
	return err;
}

/*
 * One objects.list of the tenant without a delimiter, as S3's (see
 * s3_list_blocks): each meta's and marker's etag, generation,
 * metageneration, updated and size make the block's version
 * (docs/STORAGE.md#block-listing).
 */
static int gcs_list_blocks(tc_block_list *out, tc_backend *be, const char *tenant)
{
	char p[TC_KEY_MAX + 2];
	tc_block_scan b;
	int err, n = snprintf(p, sizeof(p), "%s/", tenant);

	if (n < 0 || (size_t)n >= sizeof(p)) {
		tc_error_set("tenant \"%s\" too long", tenant);
		return TC_EINVALID;
	}
	tc_block_scan_init(&b, out, (size_t)n);
	if ((err = list_pages((tc_gcs *)be, p, 0, scan_page, &b)) == TC_OK)
		err = tc_block_scan_flush(&b);
	return err;
}

static int gcs_list(tc_strlist *out, tc_backend *be, const char *prefix)
{
	return list_kind(out, (tc_gcs *)be, prefix, 1);
}

static int gcs_list_objects(tc_strlist *out, tc_backend *be, const char *prefix)
{
	return list_kind(out, (tc_gcs *)be, prefix, 0);
}

/* ---- block operations ---- */

/* objects.rewrite of from to to, calling again with the rewriteToken until done. */
static int rewrite(tc_gcs *g, const char *from, const char *to)
{
	tc_buf base = TC_BUF_INIT;
	char *token = NULL, what[TC_KEY_MAX + 32], where[2 * TC_KEY_MAX + 64];
	int err, done = 0;

	snprintf(what, sizeof(what), "rewrite to %s", to);
	snprintf(where, sizeof(where), "gcs POST %s (%s)", from, what);
	if ((err = tc_buf_puts(&base, g->api)) < 0 || (err = tc_buf_putc(&base, '/')) < 0 ||
	    (err = tc_gcs_escape(&base, from)) < 0 ||
	    (err = tc_buf_printf(&base, "/rewriteTo/b/")) < 0 ||
	    (err = tc_gcs_escape(&base, g->bucket)) < 0 || (err = tc_buf_puts(&base, "/o/")) < 0 ||
	    (err = tc_gcs_escape(&base, to)) < 0)
		goto cleanup;
	/* each call copies up to about 1 GiB; a small meta takes one (a bounded loop anyway) */
	for (unsigned calls = 0; !done && err == TC_OK; calls++) {
		tc_buf url = TC_BUF_INIT;
		tc_gcs_call c = { .method = "POST", .subject = from, .what = what };
		if (calls >= 1000) {
			tc_error_set("%s: not done after %u calls", where, calls);
			err = TC_ERROR;
			break;
		}
		err = tc_buf_put(&url, base.ptr, base.len);
		if (err == TC_OK && token && (err = tc_buf_puts(&url, "?rewriteToken=")) == TC_OK)
			err = tc_gcs_escape(&url, token);
		if (err == TC_OK)
			err = tc_buf_cstr(&url);
		c.url = (const char *)url.ptr;
		if (err == TC_OK)
			err = tc_gcs_http_do(g, &c);
		free(token);
		token = NULL;
		if (err == TC_OK)
			err = tc_gcs_json_rewrite(&done, &token, &c.json,
						  &(tc_where){ where, TC_WHERE_NO_OFFSET });
		tc_gcs_call_dispose(&c);
		tc_buf_dispose(&url);
	}
cleanup:
	free(token);
	tc_buf_dispose(&base);
	return err;
}

static int gcs_mark_compacted(tc_backend *be, const char *tenant, const char *block)
{
	tc_gcs *g = (tc_gcs *)be;
	char from[TC_KEY_MAX + 1], to[TC_KEY_MAX + 1];
	int err;

	if ((err = tc_key_block(from, sizeof(from), tenant, block, "meta.json")) < 0 ||
	    (err = tc_key_block(to, sizeof(to), tenant, block, "meta.compacted.json")) < 0)
		return err;
	/* as Tempo 1.5: copy, then delete the original (docs/STORAGE.md) */
	if ((err = rewrite(g, from, to)) < 0)
		return err;
	return gcs_del(be, from);
}

static int gcs_clear_block(tc_backend *be, const char *tenant, const char *block)
{
	tc_gcs *g = (tc_gcs *)be;
	char p[TC_KEY_MAX + 2];
	tc_strlist names = TC_STRLIST_INIT;
	int err, n = snprintf(p, sizeof(p), "%s/%s/", tenant, block);

	if (n < 0 || (size_t)n >= sizeof(p)) {
		tc_error_set("block %s/%s: name too long", tenant, block);
		return TC_EINVALID;
	}
	/* every object of the block, nested ones included; GCS has no batch delete in JSON */
	if ((err = list_all(&names, NULL, g, p, 0)) < 0)
		return err;
	for (size_t i = 0; i < names.n && err == TC_OK; i++)
		err = gcs_del(be, names.items[i]);
	tc_strlist_dispose(&names);
	return err;
}

/* ---- lifecycle ---- */

static void gcs_free(tc_backend *be)
{
	tc_gcs *g = (tc_gcs *)be;

	if (!g)
		return;
	tc_curl_pool_free(g->pool);
	tc_cancel_free(g->cancel);
	tc_gcs_auth_free(g->auth);
	free(g->bucket);
	free(g->api);
	free(g->upload);
	free(g->bucket_url);
	free(g->cache_control);
	tc_strlist_dispose(&g->metadata);
	free(g);
}

static void gcs_cancel(tc_backend *be)
{
	tc_cancel_fire(((tc_gcs *)be)->cancel);
}

static const tc_backend_ops gcs_ops = {
	.name = "gcs",
	.read = gcs_read,
	.read_range = gcs_read_range,
	.write = gcs_write,
	.append_open = tc_gcs_append_open,
	.append = tc_gcs_append,
	.append_commit = tc_gcs_append_commit,
	.append_abort = tc_gcs_append_abort,
	.list = gcs_list,
	.list_objects = gcs_list_objects,
	.list_blocks = gcs_list_blocks,
	.stat = gcs_stat,
	.del = gcs_del,
	.mark_compacted = gcs_mark_compacted,
	.clear_block = gcs_clear_block,
	/* an unfinished resumable session stores nothing; GCS drops it after a week */
	.abort_stale_uploads = NULL,
	.cancel = gcs_cancel,
	.free = gcs_free,
};

/* GCS bucket names: 3..222 of [a-z0-9._-], starting and ending with a letter or digit. */
static int bucket_ok(const char *b)
{
	size_t n = strlen(b);

	if (n < 3 || n > 222 || b[0] == '-' || b[0] == '.' || b[0] == '_' || b[n - 1] == '-' ||
	    b[n - 1] == '.' || b[n - 1] == '_')
		return 0;
	for (const char *p = b; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '-' || *p == '_'))
			return 0;
	return 1;
}

/*
 * The endpoint as Tempo takes it, "scheme://host[:port][/path]/storage/v1/",
 * to its root "scheme://host[:port][/path]": API calls go below
 * <root>/storage/v1/, uploads below <root>/upload/storage/v1/.
 */
static int endpoint_root(tc_buf *out, const char *e)
{
	size_t n = strlen(e);
	const char *host;

	if (strncmp(e, "https://", 8) && strncmp(e, "http://", 7)) {
		tc_error_set("gcs: endpoint must be an http(s) URL such as %s, got \"%s\"",
			     TC_GCS_ENDPOINT_DEFAULT, tc_utf8_printable(e, 200));
		return TC_EINVALID;
	}
	host = strstr(e, "://") + 3;
	for (const char *p = e; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' || *p == '#' ||
		    (*p == '@' && p >= host)) {
			tc_error_set("gcs: endpoint \"%s\": no query, fragment, user or blanks",
				     tc_utf8_printable(e, 200));
			return TC_EINVALID;
		}
	if (!*host || *host == '/') {
		tc_error_set("gcs: endpoint \"%s\" has no host", tc_utf8_printable(e, 200));
		return TC_EINVALID;
	}
	while (n && e[n - 1] == '/')
		n--;
	if (n >= 11 && !strncmp(e + n - 11, "/storage/v1", 11))
		n -= 11;
	while (n && e[n - 1] == '/')
		n--;
	return tc_buf_put(out, e, n);
}

static int make_urls(tc_gcs *g, const char *endpoint)
{
	tc_buf root = TC_BUF_INIT, b = TC_BUF_INIT;
	int err;

	if ((err = endpoint_root(&root, endpoint && *endpoint ? endpoint
								: TC_GCS_ENDPOINT_DEFAULT)) < 0 ||
	    (err = tc_gcs_escape(&b, g->bucket)) < 0 || (err = tc_buf_cstr(&b)) < 0 ||
	    (err = tc_buf_cstr(&root)) < 0)
		goto cleanup;
	err = TC_ERROR;
	if (asprintf(&g->bucket_url, "%s/storage/v1/b/%s", (char *)root.ptr, (char *)b.ptr) < 0 ||
	    asprintf(&g->api, "%s/o", g->bucket_url) < 0 ||
	    asprintf(&g->upload, "%s/upload/storage/v1/b/%s/o", (char *)root.ptr,
		     (char *)b.ptr) < 0) {
		tc_error_set("out of memory creating the gcs backend");
		goto cleanup;
	}
	err = TC_OK;
cleanup:
	tc_buf_dispose(&root);
	tc_buf_dispose(&b);
	return err;
}

static int check_options(const tc_gcs_options *o)
{
	if (!o->bucket || !*o->bucket) {
		tc_error_set("gcs: bucket_name is required (storage.trace.gcs.bucket_name)");
		return TC_EINVALID;
	}
	if (!bucket_ok(o->bucket)) {
		tc_error_set("gcs: invalid bucket name \"%s\"", tc_utf8_printable(o->bucket, 64));
		return TC_EINVALID;
	}
	if (o->chunk_size > TC_GCS_CHUNK_MAX) {
		tc_error_set("gcs: chunk_buffer_size %llu is above %llu",
			     (unsigned long long)o->chunk_size, (unsigned long long)TC_GCS_CHUNK_MAX);
		return TC_EINVALID;
	}
	return TC_OK;
}

int tc_backend_gcs_new(tc_backend **out, const tc_gcs_options *o, tc_metrics *metrics)
{
	static const char *const methods[] = { "DELETE", "GET", "POST", "PUT" };
	tc_gcs *g = NULL;
	tc_gcs_key key;
	uint64_t q = TC_GCS_CHUNK_QUANTUM;
	int err;

	*out = NULL;
	if ((err = check_options(o)) < 0)
		return err;
	if (!(g = calloc(1, sizeof(*g)))) {
		tc_error_set("out of memory creating the gcs backend");
		return TC_ERROR;
	}
	g->base.ops = &gcs_ops;
	g->metrics = metrics;
	g->skip_verify = o->insecure_skip_verify;
	g->max_retries = o->max_retries;
	/* as Google's client libraries: round up to whole 256 KiB units */
	g->chunk_size = o->chunk_size ? (o->chunk_size + q - 1) / q * q : TC_GCS_CHUNK_DEFAULT;
	if ((err = tc_cancel_new(&g->cancel)) < 0 || (err = tc_curl_pool_new(&g->pool, POOL_MAX)) < 0)
		goto fail;
	err = TC_ERROR;
	if (!(g->bucket = strdup(o->bucket)) ||
	    (o->cache_control && *o->cache_control && !(g->cache_control = strdup(o->cache_control)))) {
		tc_error_set("out of memory creating the gcs backend");
		goto fail;
	}
	for (size_t i = 0; i < o->nmetadata; i++)
		if ((err = tc_strlist_add(&g->metadata, o->metadata[2 * i])) < 0 ||
		    (err = tc_strlist_add(&g->metadata, o->metadata[2 * i + 1])) < 0)
			goto fail;
	if ((err = make_urls(g, o->endpoint)) < 0)
		goto fail;
	if (o->credentials_json && *o->credentials_json) {
		if ((err = tc_gcs_key_parse(&key, o->credentials_json,
					    o->credentials_name ? o->credentials_name : "")) < 0 ||
		    (err = tc_gcs_auth_new(&g->auth, &key)) < 0)
			goto fail;
	}
	/* Every method we send, so each retries series is exported from the start. */
	for (size_t i = 0; metrics && i < sizeof(methods) / sizeof(methods[0]); i++)
		tc_metrics_touch(metrics, TC_M_BACKEND_RETRIES_TOTAL, methods[i], NULL);
	*out = &g->base;
	return TC_OK;
fail:
	gcs_free(&g->base);
	return err;
}
