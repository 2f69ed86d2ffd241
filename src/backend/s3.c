/*
 * The S3 backend's operations (see s3.h). Requests go through
 * tc_s3_http_do (s3_http.c); XML through s3_xml.c. Keys reaching here are
 * already checked by backend.c.
 */
#include "src/backend/s3_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "src/backend/block_scan.h"
#include "src/util/error.h"
#include "src/util/ids.h"
#include "src/util/log.h"

#define DELETE_BATCH 1000
#define SHOW_MAX (TC_KEY_MAX * 2 + 16)

static const tc_backend_ops s3_ops;

/* "<prefix><key>" for messages. */
static const char *show(char out[SHOW_MAX], const tc_s3 *s, const char *key)
{
	snprintf(out, SHOW_MAX, "%s%s", s->prefix, key);
	return out;
}

/* ---- objects ---- */

static int s3_read(tc_buf *out, tc_backend *be, const char *key)
{
	tc_s3_call c = { .method = "GET", .key = key, .out = out };
	int err = tc_s3_http_do((tc_s3 *)be, &c);

	tc_s3_call_dispose(&c);
	return err;
}

static int s3_stat(tc_stat *out, tc_backend *be, const char *key)
{
	tc_s3 *s = (tc_s3 *)be;
	tc_s3_call c = { .method = "HEAD", .key = key };
	char k[SHOW_MAX];
	int err = tc_s3_http_do(s, &c);

	if (err == TC_OK && (!c.have_length || !c.have_mtime)) {
		tc_error_set("s3 HEAD %s: response lacks %s", show(k, s, key),
			     c.have_length ? "Last-Modified" : "Content-Length");
		err = TC_ECORRUPT;
	}
	if (err == TC_OK) {
		out->size = c.length;
		out->mtime = c.mtime;
	}
	tc_s3_call_dispose(&c);
	return err;
}

static int short_object(const tc_s3 *s, const char *key, uint64_t off, size_t len, const char *why)
{
	char k[SHOW_MAX];
	tc_where w = { show(k, s, key), off };

	tc_error_set_at(&w, "short object: wanted %zu bytes (%s)", len, why);
	return TC_ECORRUPT;
}

static int s3_read_range(uint8_t *out, tc_backend *be, const char *key, uint64_t off, size_t len)
{
	tc_s3 *s = (tc_s3 *)be;
	char range[64], k[SHOW_MAX];
	tc_sigv4_pair h[1];
	tc_s3_call c = { .method = "GET", .key = key, .headers = h, .nheaders = 1, .fixed = out,
			 .fixed_len = len };
	int err;

	if (len == 0 || off > UINT64_MAX - len) {
		/* nothing to GET (or no such range): existence and size decide */
		tc_stat st;
		if ((err = s3_stat(&st, be, key)) < 0)
			return err;
		if (off > st.size || len > st.size - off)
			return short_object(s, key, off, len, "object is smaller");
		return TC_OK;
	}
	snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)off,
		 (unsigned long long)(off + len - 1));
	h[0] = (tc_sigv4_pair){ "Range", range };
	err = tc_s3_http_do(s, &c);
	if (err == TC_ERROR && c.status == 416)
		err = short_object(s, key, off, len, "416 InvalidRange");
	else if (err == TC_OK && c.status != 206 && off != 0) {
		tc_error_set("s3 GET %s: the store ignored the Range header (status %ld)",
			     show(k, s, key), c.status);
		err = TC_ERROR;
	} else if (err == TC_OK && c.got != len) {
		err = short_object(s, key, off, len, "the store returned fewer");
	}
	tc_s3_call_dispose(&c);
	return err;
}

static int s3_write(tc_backend *be, const char *key, const void *data, size_t len)
{
	tc_s3_call c = { .method = "PUT", .key = key, .body = len ? data : NULL, .body_len = len };
	int err = tc_s3_http_do((tc_s3 *)be, &c);

	tc_s3_call_dispose(&c);
	return err;
}

static int s3_del(tc_backend *be, const char *key)
{
	tc_s3_call c = { .method = "DELETE", .key = key };
	int err = tc_s3_http_do((tc_s3 *)be, &c);

	tc_s3_call_dispose(&c);
	return err == TC_ENOTFOUND ? TC_OK : err;
}

/* ---- listings ---- */

/* Continuation tokens one listing remembers, to catch a store that cycles (A, B, A, ...). */
#define SEEN_TOKENS 64
/* Bad names one listing warns about by name; more are counted in one line at the end. */
#define WARN_NAMES 64
/* Bytes of a token shown in a message. */
#define TOKEN_SHOW 80

/*
 * What keeps one listing (its pages, ListObjectsV2 or ListMultipartUploads)
 * finite: the tokens seen, the page count, and the bad names warned about.
 */
typedef struct list_guard {
	const tc_s3 *s;
	const char *request;  /* "ListObjectsV2 prefix \"t/\"", for the warnings */
	const char *token_name; /* "NextContinuationToken" */
	char *seen[SEEN_TOKENS][2];
	unsigned seen_page[SEEN_TOKENS];
	size_t nseen;         /* entries used; the oldest is replaced when full */
	tc_strlist warned;
	size_t unwarned;
} list_guard;

static void guard_dispose(list_guard *g)
{
	for (size_t i = 0; i < g->nseen && i < SEEN_TOKENS; i++) {
		free(g->seen[i][0]);
		free(g->seen[i][1]);
	}
	if (g->unwarned)
		tc_log_warn("msg=\"skipped more listed names that cannot be keys\" request=%s count=%zu",
			    tc_log_q(g->request), g->unwarned);
	tc_strlist_dispose(&g->warned);
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/*
 * After page `page` said it is truncated and named the next token (tok,
 * and for uploads the upload-id marker tok2): refuses an empty token, one
 * seen before in this listing, and a page past max_list_pages.
 */
static int guard_next(list_guard *g, const char *where, unsigned page, const char *tok,
		      const char *tok2)
{
	char show[TOKEN_SHOW * 4 + 8];
	size_t slot;

	if (!tok || !*tok) {
		tc_error_set("%s: IsTruncated=true but %s is missing or empty: the listing "
			     "cannot go on", where, g->token_name);
		return TC_ECORRUPT;
	}
	for (size_t i = 0; i < g->nseen && i < SEEN_TOKENS; i++) {
		if (strcmp(g->seen[i][0], tok) || !same(g->seen[i][1], tok2))
			continue;
		tc_s3_show(show, sizeof(show), tok, TOKEN_SHOW);
		tc_error_set("%s: %s \"%s\" was already returned by page %u: the store's listing "
			     "loops and would never end", where, g->token_name, show, g->seen_page[i]);
		return TC_ECORRUPT;
	}
	if (page >= g->s->max_list_pages) {
		tc_error_set("%s: still truncated after %u pages (storage.trace.s3.max_list_pages): "
			     "refusing to list further", where, page);
		return TC_ELIMIT;
	}
	slot = g->nseen < SEEN_TOKENS ? g->nseen : (g->nseen % SEEN_TOKENS);
	if (g->nseen >= SEEN_TOKENS) {
		free(g->seen[slot][0]);
		free(g->seen[slot][1]);
	}
	g->seen[slot][0] = strdup(tok);
	g->seen[slot][1] = tok2 ? strdup(tok2) : NULL;
	g->seen_page[slot] = page;
	g->nseen++;
	if (!g->seen[slot][0] || (tok2 && !g->seen[slot][1])) {
		tc_error_set("%s: out of memory", where);
		return TC_ERROR;
	}
	return TC_OK;
}

/* Warns about the page's names that cannot be keys, once per name per listing. */
static void guard_warn(list_guard *g, const tc_s3_list_page *p)
{
	for (size_t i = 0; i < p->bad.n; i++) {
		const char *name = p->bad.items[i];
		if (tc_strlist_contains(&g->warned, name))
			continue;
		if (g->warned.n >= WARN_NAMES || tc_strlist_add(&g->warned, name) < 0) {
			g->unwarned++;
			continue;
		}
		tc_log_warn("msg=\"skipping a listed name that cannot be a key\" request=%s name=%s "
			    "reason=%s", tc_log_q(g->request), tc_log_q(name),
			    tc_log_q(p->bad_why.items[i]));
	}
}

/* One page of a listing, its names outside the prefix already dropped. */
typedef int (*page_fn)(void *ctx, tc_s3_list_page *p);

/*
 * Calls ListObjectsV2 for every page under full_prefix (below the bucket)
 * and hands each page to fn, names still full. Bounded by list_guard: at
 * most max_list_pages pages of TC_S3_LIST_MAX_KEYS names.
 */
static int list_pages(tc_s3 *s, const char *full_prefix, int delimited, page_fn fn, void *ctx)
{
	char *token = NULL, request[SHOW_MAX + 64], maxkeys[16];
	list_guard g = { .s = s, .request = request, .token_name = "NextContinuationToken" };
	size_t plen = strlen(full_prefix);
	int err = TC_OK, more;

	snprintf(request, sizeof(request), "ListObjectsV2 prefix \"%s\"", full_prefix);
	snprintf(maxkeys, sizeof(maxkeys), "%d", TC_S3_LIST_MAX_KEYS);
	for (unsigned page = 1;; page++) {
		tc_sigv4_pair q[6];
		size_t nq = 0, kept = 0;
		tc_s3_list_page p;
		tc_s3_call c = { .method = "GET", .what = "ListObjectsV2", .query = q };
		char where[SHOW_MAX + 96];

		q[nq++] = (tc_sigv4_pair){ "list-type", "2" };
		q[nq++] = (tc_sigv4_pair){ "encoding-type", "url" };
		q[nq++] = (tc_sigv4_pair){ "max-keys", maxkeys };
		if (*full_prefix)
			q[nq++] = (tc_sigv4_pair){ "prefix", full_prefix };
		if (delimited)
			q[nq++] = (tc_sigv4_pair){ "delimiter", "/" };
		if (token)
			q[nq++] = (tc_sigv4_pair){ "continuation-token", token };
		c.nquery = nq;
		snprintf(where, sizeof(where), "s3 %s page %u", request, page);
		err = tc_s3_http_do(s, &c);
		if (err == TC_OK)
			err = tc_s3_xml_list(&p, &c.xml, &(tc_where){ where, TC_WHERE_NO_OFFSET });
		tc_s3_call_dispose(&c);
		if (err < 0)
			break;
		guard_warn(&g, &p);
		/*
		 * Names outside the prefix (a store ignoring it) are dropped here,
		 * once: callers delete what they are given.
		 */
		for (size_t i = 0; i < p.keys.n; i++) {
			if (strncmp(p.keys.items[i], full_prefix, plen) == 0) {
				p.keys.items[kept] = p.keys.items[i];
				if (p.stamps.n == p.keys.n)
					p.stamps.items[kept] = p.stamps.items[i];
				kept++;
				continue;
			}
			free(p.keys.items[i]);
			if (p.stamps.n == p.keys.n)
				free(p.stamps.items[i]);
		}
		if (p.stamps.n == p.keys.n)
			p.stamps.n = kept;
		p.keys.n = kept;
		kept = 0;
		for (size_t i = 0; i < p.prefixes.n; i++) {
			if (strncmp(p.prefixes.items[i], full_prefix, plen) == 0)
				p.prefixes.items[kept++] = p.prefixes.items[i];
			else
				free(p.prefixes.items[i]);
		}
		p.prefixes.n = kept;
		err = fn(ctx, &p);
		free(token);
		token = p.next_token;
		p.next_token = NULL;
		more = p.truncated;
		if (err == TC_OK && more)
			err = guard_next(&g, where, page, token, NULL);
		tc_s3_list_page_dispose(&p);
		if (err < 0 || !more)
			break;
	}
	free(token);
	guard_dispose(&g);
	return err;
}

static int move_names(tc_strlist *to, tc_strlist *from)
{
	int err = TC_OK;

	for (size_t i = 0; i < from->n && err == TC_OK; i++)
		err = tc_strlist_add(to, from->items[i]);
	return err;
}

static int accumulate(void *ctx, tc_s3_list_page *p)
{
	tc_s3_list_page *acc = ctx;
	int err = move_names(&acc->keys, &p->keys);

	return err < 0 ? err : move_names(&acc->prefixes, &p->prefixes);
}

/* Every page's keys and common prefixes under full_prefix, still full. */
static int list_all(tc_s3_list_page *acc, tc_s3 *s, const char *full_prefix, int delimited)
{
	int err;

	memset(acc, 0, sizeof(*acc));
	if ((err = list_pages(s, full_prefix, delimited, accumulate, acc)) < 0)
		tc_s3_list_page_dispose(acc);
	return err;
}

/* "" stays "", "t" and "t/" become "t/"; prefixed with the backend's prefix. */
static int full_prefix(char *out, size_t outsz, const tc_s3 *s, const char *prefix)
{
	size_t len = strlen(prefix);
	int n = snprintf(out, outsz, "%s%s%s", s->prefix, prefix,
			 len && prefix[len - 1] != '/' ? "/" : "");

	if (n < 0 || (size_t)n >= outsz) {
		tc_error_set("prefix \"%s\" too long", prefix);
		return TC_EINVALID;
	}
	return TC_OK;
}

/* dirs: common prefixes below prefix; otherwise the objects directly under it. */
static int list_kind(tc_strlist *out, tc_s3 *s, const char *prefix, int dirs)
{
	char p[SHOW_MAX];
	tc_s3_list_page all;
	tc_strlist names = TC_STRLIST_INIT;
	const tc_strlist *src;
	size_t plen;
	int err;

	if ((err = full_prefix(p, sizeof(p), s, prefix)) < 0)
		return err;
	if ((err = list_all(&all, s, p, 1)) < 0)
		return err;
	plen = strlen(p);
	src = dirs ? &all.prefixes : &all.keys;
	for (size_t i = 0; i < src->n && err == TC_OK; i++) {
		const char *name = src->items[i] + plen; /* list_all kept only names under p */
		size_t n;
		n = strlen(name);
		if (dirs && n && name[n - 1] == '/')
			n--;
		/* "" is a directory marker or an empty segment; '/' cannot be one level */
		if (n == 0 || memchr(name, '/', n))
			continue;
		err = tc_strlist_addn(&names, name, n);
	}
	/* S3 lists "t/b-c/" before "t/b/" ('-' < '/'): sort the names themselves */
	tc_strlist_sort(&names);
	for (size_t i = 0; i < names.n && err == TC_OK; i++)
		err = tc_strlist_add(out, names.items[i]);
	tc_strlist_dispose(&names);
	tc_s3_list_page_dispose(&all);
	return err;
}

static int s3_list(tc_strlist *out, tc_backend *be, const char *prefix)
{
	return list_kind(out, (tc_s3 *)be, prefix, 1);
}

static int s3_list_objects(tc_strlist *out, tc_backend *be, const char *prefix)
{
	return list_kind(out, (tc_s3 *)be, prefix, 0);
}

static int scan_page(void *ctx, tc_s3_list_page *p)
{
	tc_block_scan *b = ctx;
	int err = TC_OK;

	for (size_t i = 0; i < p->keys.n && err == TC_OK; i++)
		err = tc_block_scan_key(b, p->keys.items[i],
					p->stamps.n == p->keys.n ? p->stamps.items[i] : "");
	return err;
}

/*
 * One recursive listing of the tenant (no delimiter): ~5 keys per block,
 * 1,000 per request, so ~1 request per 200 blocks, and every block's metas
 * and marker are seen with their ETags without a request per block
 * (docs/STORAGE.md#block-listing).
 */
static int s3_list_blocks(tc_block_list *out, tc_backend *be, const char *tenant)
{
	tc_s3 *s = (tc_s3 *)be;
	char p[SHOW_MAX];
	tc_block_scan b;
	int err;

	if ((err = full_prefix(p, sizeof(p), s, tenant)) < 0)
		return err;
	tc_block_scan_init(&b, out, strlen(p));
	if ((err = list_pages(s, p, 0, scan_page, &b)) == TC_OK)
		err = tc_block_scan_flush(&b);
	return err;
}

/* ---- block operations ---- */

static int s3_mark_compacted(tc_backend *be, const char *tenant, const char *block)
{
	tc_s3 *s = (tc_s3 *)be;
	char from[TC_KEY_MAX + 1], to[TC_KEY_MAX + 1], what[TC_KEY_MAX + 32];
	tc_buf src = TC_BUF_INIT;
	tc_sigv4_pair h[1];
	tc_s3_call c = { .method = "PUT", .key = to, .what = what, .headers = h, .nheaders = 1 };
	char code[64], msg[512];
	int err;

	if ((err = tc_key_block(from, sizeof(from), tenant, block, "meta.json")) < 0 ||
	    (err = tc_key_block(to, sizeof(to), tenant, block, "meta.compacted.json")) < 0)
		return err;
	snprintf(what, sizeof(what), "copy of %s", from);
	/* x-amz-copy-source: "/<bucket>/<prefix><key>", URL-encoded once */
	if ((err = tc_buf_putc(&src, '/')) < 0 ||
	    (err = tc_sigv4_uri_encode(&src, s->bucket, strlen(s->bucket), 0)) < 0 ||
	    (err = tc_buf_putc(&src, '/')) < 0 ||
	    (err = tc_sigv4_uri_encode(&src, s->prefix, strlen(s->prefix), 1)) < 0 ||
	    (err = tc_sigv4_uri_encode(&src, from, strlen(from), 1)) < 0 ||
	    (err = tc_buf_cstr(&src)) < 0)
		goto cleanup;
	h[0] = (tc_sigv4_pair){ "x-amz-copy-source", (const char *)src.ptr };
	err = tc_s3_http_do(s, &c);
	/* a copy can fail after the 200 has been sent: the body says so */
	if (err == TC_OK && tc_s3_xml_error(code, sizeof(code), msg, sizeof(msg), &c.xml))
		err = tc_s3_http_fail(s, &c, code, msg);
	if (err == TC_OK)
		err = s3_del(be, from);
cleanup:
	tc_s3_call_dispose(&c);
	tc_buf_dispose(&src);
	return err;
}

static int content_md5(char out[32], const tc_buf *body)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(body->ptr, body->len, md, &mdlen, EVP_md5(), NULL) || mdlen != 16) {
		tc_error_set("s3: MD5 failed");
		return TC_ERROR;
	}
	EVP_EncodeBlock((unsigned char *)out, md, 16); /* 24 chars + NUL */
	return TC_OK;
}

/* DeleteObjects for keys[0..n) (full keys); *refused when the store does not support it. */
static int delete_batch(tc_s3 *s, char *const *keys, size_t n, int *refused)
{
	tc_sigv4_pair q[] = { { "delete", "" } };
	char md5[32], code[64], msg[512], key[SHOW_MAX];
	tc_sigv4_pair h[2] = { { "Content-MD5", md5 }, { "Content-Type", "application/xml" } };
	tc_buf body = TC_BUF_INIT;
	tc_s3_call c = { .method = "POST", .what = "DeleteObjects", .query = q, .nquery = 1,
			 .headers = h, .nheaders = 2 };
	int err;

	*refused = 0;
	if ((err = tc_s3_xml_delete(&body, keys, n)) < 0 || (err = content_md5(md5, &body)) < 0)
		goto cleanup;
	c.body = body.ptr;
	c.body_len = body.len;
	err = tc_s3_http_do(s, &c);
	if (err < 0 && (c.status == 501 || c.status == 405 || !strcmp(c.code, "NotImplemented"))) {
		*refused = 1;
		goto cleanup;
	}
	if (err == TC_OK && tc_s3_xml_delete_error(key, sizeof(key), code, sizeof(code), msg,
						   sizeof(msg), &c.xml)) {
		tc_error_set("s3 DeleteObjects %s: %s%s%s", key, code, msg[0] ? ": " : "", msg);
		err = TC_ERROR;
	}
cleanup:
	tc_s3_call_dispose(&c);
	tc_buf_dispose(&body);
	return err;
}

static int s3_clear_block(tc_backend *be, const char *tenant, const char *block)
{
	tc_s3 *s = (tc_s3 *)be;
	char p[SHOW_MAX];
	tc_s3_list_page all;
	size_t plen = strlen(s->prefix);
	int err, n = snprintf(p, sizeof(p), "%s%s/%s/", s->prefix, tenant, block);

	if (n < 0 || (size_t)n >= sizeof(p)) {
		tc_error_set("block %s/%s: name too long", tenant, block);
		return TC_EINVALID;
	}
	/* every object of the block, nested ones included */
	if ((err = list_all(&all, s, p, 0)) < 0)
		return err;
	for (size_t i = 0; i < all.keys.n && err == TC_OK;) {
		size_t batch = all.keys.n - i < DELETE_BATCH ? all.keys.n - i : DELETE_BATCH;
		int refused = 0;
		if (!atomic_load(&s->no_multi_delete)) {
			err = delete_batch(s, all.keys.items + i, batch, &refused);
			if (refused) {
				atomic_store(&s->no_multi_delete, 1);
				err = TC_OK;
			} else {
				i += batch;
				continue;
			}
		}
		/* the store refuses DeleteObjects: one DELETE per key */
		for (size_t j = i; j < i + batch && err == TC_OK; j++)
			if (strncmp(all.keys.items[j], s->prefix, plen) == 0)
				err = s3_del(be, all.keys.items[j] + plen);
		i += batch;
	}
	tc_s3_list_page_dispose(&all);
	return err;
}

/* ---- lifecycle ---- */

static void s3_free(tc_backend *be)
{
	tc_s3 *s = (tc_s3 *)be;

	if (!s)
		return;
	tc_s3_http_free(s);
	tc_cancel_free(s->cancel);
	if (s->secret_key)
		OPENSSL_cleanse(s->secret_key, strlen(s->secret_key));
	if (s->session_token)
		OPENSSL_cleanse(s->session_token, strlen(s->session_token));
	free(s->bucket);
	free(s->prefix);
	free(s->region);
	free(s->access_key);
	free(s->secret_key);
	free(s->session_token);
	free(s->host);
	free(s->url_base);
	free(s->path_base);
	free(s);
}

static int s3_abort_stale_uploads(size_t *aborted, tc_backend *be, const tc_time *started_before);

static void s3_cancel(tc_backend *be)
{
	tc_s3_http_cancel((tc_s3 *)be);
}

static const tc_backend_ops s3_ops = {
	.name = "s3",
	.read = s3_read,
	.read_range = s3_read_range,
	.write = s3_write,
	.append_open = tc_s3_append_open,
	.append = tc_s3_append,
	.append_commit = tc_s3_append_commit,
	.append_abort = tc_s3_append_abort,
	.list = s3_list,
	.list_objects = s3_list_objects,
	.list_blocks = s3_list_blocks,
	.stat = s3_stat,
	.del = s3_del,
	.mark_compacted = s3_mark_compacted,
	.clear_block = s3_clear_block,
	.abort_stale_uploads = s3_abort_stale_uploads,
	.cancel = s3_cancel,
	.free = s3_free,
};

/* S3 bucket naming rules, loosely: 3..63 of [a-z0-9.-] (plus '_' and capitals for old buckets). */
static int bucket_ok(const char *b)
{
	size_t n = strlen(b);

	if (n < 3 || n > 255)
		return 0;
	for (const char *p = b; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
			return 0;
	return 1;
}

/* Virtual-host addressing needs a name that is one DNS label. */
static int bucket_dns_ok(const char *b)
{
	size_t n = strlen(b);

	if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-')
		return 0;
	for (const char *p = b; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	return 1;
}

static int endpoint_ok(const char *e)
{
	if (!*e || strstr(e, "://"))
		return 0;
	for (const char *p = e; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '/' || *p == '?' ||
		    *p == '#' || *p == '@')
			return 0;
	return 1;
}

static int is_aws_endpoint(const char *e)
{
	char host[512];
	size_t n;
	const char *colon = strrchr(e, ':');

	n = colon && !strchr(e, ']') ? (size_t)(colon - e) : strlen(e);
	if (n >= sizeof(host))
		return 0;
	memcpy(host, e, n);
	host[n] = '\0';
	n = strlen(host);
	return n >= 13 && !strcasecmp(host + n - 13, "amazonaws.com");
}

static char *dup_opt(const char *s)
{
	return (s && *s) ? strdup(s) : NULL;
}

/* "a/b", "/a/b/" -> "a/b/"; "" and NULL -> "". */
static int norm_prefix(char **out, const char *p)
{
	size_t start = 0, end;
	char tmp[TC_KEY_MAX + 2];
	int err;

	*out = NULL;
	p = p ? p : "";
	end = strlen(p);
	while (start < end && p[start] == '/')
		start++;
	while (end > start && p[end - 1] == '/')
		end--;
	if (end - start > TC_KEY_MAX - 64) {
		tc_error_set("s3 prefix: longer than %d bytes", TC_KEY_MAX - 64);
		return TC_EINVALID;
	}
	memcpy(tmp, p + start, end - start);
	tmp[end - start] = '\0';
	if (end > start) {
		if ((err = tc_backend_key_check(tmp)) < 0)
			return err;
		strcat(tmp, "/");
	}
	if (!(*out = strdup(tmp))) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	return TC_OK;
}

static int check_options(const tc_s3_options *o)
{
	if (!o->bucket || !*o->bucket) {
		tc_error_set("s3: bucket is required (storage.trace.s3.bucket)");
		return TC_EINVALID;
	}
	if (!bucket_ok(o->bucket)) {
		tc_error_set("s3: invalid bucket name \"%.64s\"", o->bucket);
		return TC_EINVALID;
	}
	if (!o->endpoint || !endpoint_ok(o->endpoint)) {
		tc_error_set("s3: endpoint must be host[:port] without scheme or path, got \"%.200s\"",
			     o->endpoint ? o->endpoint : "");
		return TC_EINVALID;
	}
	if (o->access_key && *o->access_key && (!o->secret_key || !*o->secret_key)) {
		tc_error_set("s3: access_key is set but secret_key is empty");
		return TC_EINVALID;
	}
	if (o->part_size && (o->part_size < TC_S3_PART_SIZE_MIN || o->part_size > TC_S3_PART_SIZE_MAX)) {
		tc_error_set("s3: part_size %llu is outside S3's limits (5 MiB .. 5 GiB)",
			     (unsigned long long)o->part_size);
		return TC_EINVALID;
	}
	if (o->region && strpbrk(o->region, "/ \t\r\n")) {
		tc_error_set("s3: invalid region \"%.64s\"", o->region);
		return TC_EINVALID;
	}
	return TC_OK;
}

int tc_backend_s3_new(tc_backend **out, const tc_s3_options *o, tc_metrics *metrics)
{
	static const char *const methods[] = { "DELETE", "GET", "HEAD", "POST", "PUT" };
	tc_s3 *s = NULL;
	int err, vhost;
	size_t hlen;

	*out = NULL;
	if ((err = check_options(o)) < 0)
		return err;
	if (!(s = calloc(1, sizeof(*s)))) {
		tc_error_set("out of memory creating the s3 backend");
		return TC_ERROR;
	}
	if ((err = tc_cancel_new(&s->cancel)) < 0) {
		free(s);
		return err;
	}
	if ((err = tc_s3_http_init(s)) < 0) {
		tc_cancel_free(s->cancel);
		free(s);
		return err;
	}
	s->base.ops = &s3_ops;
	s->metrics = metrics;
	s->skip_verify = o->insecure_skip_verify;
	s->unsigned_payload = o->unsigned_payload;
	s->part_size = o->part_size ? o->part_size : TC_S3_PART_SIZE_DEFAULT;
	s->max_retries = o->max_retries;
	s->max_list_pages = o->max_list_pages ? o->max_list_pages : TC_S3_MAX_LIST_PAGES_DEFAULT;
	vhost = !o->forcepathstyle && bucket_dns_ok(o->bucket) &&
		(o->virtual_host || is_aws_endpoint(o->endpoint));
	hlen = strlen(o->bucket) + strlen(o->endpoint) + 16;
	s->bucket = strdup(o->bucket);
	s->region = strdup(o->region && *o->region ? o->region : "us-east-1");
	s->access_key = dup_opt(o->access_key);
	s->secret_key = s->access_key ? dup_opt(o->secret_key) : NULL;
	s->session_token = s->access_key ? dup_opt(o->session_token) : NULL;
	s->host = malloc(hlen);
	s->url_base = malloc(hlen);
	s->path_base = malloc(hlen);
	if (!s->bucket || !s->region || !s->host || !s->url_base || !s->path_base ||
	    (o->access_key && *o->access_key && (!s->access_key || !s->secret_key)) ||
	    (s->access_key && o->session_token && *o->session_token && !s->session_token)) {
		tc_error_set("out of memory creating the s3 backend");
		err = TC_ERROR;
		goto fail;
	}
	if ((err = norm_prefix(&s->prefix, o->prefix)) < 0)
		goto fail;
	if (vhost) {
		snprintf(s->host, hlen, "%s.%s", o->bucket, o->endpoint);
		snprintf(s->path_base, hlen, "/");
	} else {
		snprintf(s->host, hlen, "%s", o->endpoint);
		snprintf(s->path_base, hlen, "/%s/", o->bucket);
	}
	snprintf(s->url_base, hlen, "%s://%s", o->insecure ? "http" : "https", s->host);
	/* Every method we send, so each retries series is exported from the start. */
	for (size_t i = 0; metrics && i < sizeof(methods) / sizeof(methods[0]); i++)
		tc_metrics_touch(metrics, TC_M_BACKEND_RETRIES_TOTAL, methods[i], NULL);
	*out = &s->base;
	return TC_OK;
fail:
	s3_free(&s->base);
	return err;
}

static tc_s3 *as_s3(tc_backend *be)
{
	if (!be || be->ops != &s3_ops) {
		tc_error_set("not an s3 backend");
		return NULL;
	}
	return (tc_s3 *)be;
}

int tc_backend_s3_create_bucket(tc_backend *be)
{
	tc_s3 *s = as_s3(be);
	tc_buf body = TC_BUF_INIT;
	tc_s3_call c = { .method = "PUT" };
	int err;

	if (!s)
		return TC_EINVALID;
	if (strcmp(s->region, "us-east-1") != 0) {
		/* any other region must be named, or AWS creates the bucket in us-east-1 */
		if ((err = tc_buf_printf(&body,
					 "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/"
					 "doc/2006-03-01/\"><LocationConstraint>%s</LocationConstraint>"
					 "</CreateBucketConfiguration>",
					 s->region)) < 0)
			return err;
		c.body = body.ptr;
		c.body_len = body.len;
	}
	err = tc_s3_http_do(s, &c);
	if (err < 0 && !strcmp(c.code, "BucketAlreadyOwnedByYou"))
		err = TC_OK;
	tc_s3_call_dispose(&c);
	tc_buf_dispose(&body);
	return err;
}

/*
 * Calls fn for every open multipart upload whose key starts with the
 * backend prefix + prefix, the key given relative to the backend prefix.
 * A negative return from fn stops the walk with that code.
 */
typedef int (*upload_fn)(void *ctx, const char *key, const char *upload_id, const char *initiated);

static int for_each_upload(tc_s3 *s, const char *prefix, upload_fn fn, void *ctx)
{
	char p[SHOW_MAX], *key_marker = NULL, *id_marker = NULL, request[SHOW_MAX + 64], max[16];
	list_guard g = { .s = s, .request = request, .token_name = "NextKeyMarker" };
	size_t plen = strlen(s->prefix);
	int err = TC_OK, more = 1;

	if (snprintf(p, sizeof(p), "%s%s", s->prefix, prefix ? prefix : "") >= (int)sizeof(p)) {
		tc_error_set("prefix too long");
		return TC_EINVALID;
	}
	snprintf(request, sizeof(request), "ListMultipartUploads prefix \"%s\"", p);
	snprintf(max, sizeof(max), "%d", TC_S3_LIST_MAX_KEYS);
	for (unsigned page = 1; more && err == TC_OK; page++) {
		tc_sigv4_pair q[6];
		size_t nq = 0;
		tc_s3_list_page pg;
		char *next_id = NULL, where[SHOW_MAX + 96];
		tc_s3_call c = { .method = "GET", .what = "ListMultipartUploads", .query = q };

		q[nq++] = (tc_sigv4_pair){ "uploads", "" };
		q[nq++] = (tc_sigv4_pair){ "encoding-type", "url" };
		q[nq++] = (tc_sigv4_pair){ "max-uploads", max };
		if (*p)
			q[nq++] = (tc_sigv4_pair){ "prefix", p };
		if (key_marker)
			q[nq++] = (tc_sigv4_pair){ "key-marker", key_marker };
		if (id_marker)
			q[nq++] = (tc_sigv4_pair){ "upload-id-marker", id_marker };
		c.nquery = nq;
		snprintf(where, sizeof(where), "s3 %s page %u", request, page);
		err = tc_s3_http_do(s, &c);
		if (err == TC_OK)
			err = tc_s3_xml_uploads(&pg, &next_id, &c.xml,
						&(tc_where){ where, TC_WHERE_NO_OFFSET });
		tc_s3_call_dispose(&c);
		if (err < 0)
			break;
		guard_warn(&g, &pg);
		for (size_t i = 0; i < pg.keys.n && err == TC_OK; i++)
			if (!strncmp(pg.keys.items[i], s->prefix, plen))
				err = fn(ctx, pg.keys.items[i] + plen, pg.upload_ids.items[i], pg.initiated.items[i]);
		free(key_marker);
		free(id_marker);
		key_marker = pg.next_token;
		id_marker = next_id;
		pg.next_token = NULL;
		more = pg.truncated;
		if (err == TC_OK && more)
			err = guard_next(&g, where, page, key_marker, id_marker);
		tc_s3_list_page_dispose(&pg);
	}
	free(key_marker);
	free(id_marker);
	guard_dispose(&g);
	return err;
}

static int collect_upload(void *ctx, const char *key, const char *upload_id, const char *initiated)
{
	(void)upload_id;
	(void)initiated;
	return tc_strlist_add(ctx, key);
}

int tc_backend_s3_pending_uploads(tc_strlist *out, tc_backend *be, const char *prefix)
{
	tc_s3 *s = as_s3(be);

	if (!s)
		return TC_EINVALID;
	return for_each_upload(s, prefix, collect_upload, out);
}

/* Aborts one upload; 404 (already completed or aborted) is fine. */
static int abort_upload(tc_s3 *s, const char *key, const char *id)
{
	tc_sigv4_pair q[] = { { "uploadId", id } };
	tc_s3_call c = { .method = "DELETE", .key = key, .what = "AbortMultipartUpload", .query = q, .nquery = 1 };
	int err = tc_s3_http_do(s, &c);

	tc_s3_call_dispose(&c);
	return err == TC_ENOTFOUND ? TC_OK : err;
}

typedef struct stale {
	tc_s3 *s;
	const tc_time *before;
	size_t aborted;
} stale;

static int abort_if_stale(void *ctx, const char *key, const char *upload_id, const char *initiated)
{
	stale *st = ctx;
	tc_time t;
	int err;

	if (tc_time_parse(&t, initiated) < 0 || tc_time_cmp(&t, st->before) >= 0)
		return TC_OK;
	if ((err = abort_upload(st->s, key, upload_id)) == TC_OK)
		st->aborted++;
	return err;
}

/*
 * Multipart uploads are invisible to listings and readers but stored and
 * billed until completed or aborted; a writer killed with -9 leaves its
 * upload open. Anything of ours started before the cut-off is such an
 * orphan (the poller uses partial_block_grace, like partial blocks).
 */
static int s3_abort_stale_uploads(size_t *aborted, tc_backend *be, const tc_time *started_before)
{
	stale st = { as_s3(be), started_before, 0 };
	int err = for_each_upload(st.s, "", abort_if_stale, &st);

	*aborted = st.aborted;
	return err;
}
