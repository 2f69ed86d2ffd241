/*
 * The Azure backend's operations (see azure.h). Requests go through
 * tc_azure_http_do (azure_http.c); XML through azure_xml.c. Keys reaching
 * here are already checked by backend.c.
 */
#include "src/backend/azure_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "src/backend/block_scan.h"
#include "src/util/ids.h"
#include "src/util/log.h"

#define SHOW_MAX (TC_KEY_MAX * 2 + 16)
/* Put Block List takes at most 50000 blocks. */
#define MAX_BLOCKS 50000
/* Bad listed names one listing warns about by name. */
#define WARN_NAMES 64

static const tc_backend_ops azure_ops;

/* ---- blobs ---- */

static int az_read(tc_buf *out, tc_backend *be, const char *key)
{
	tc_azure_call c = { .method = "GET", .key = key, .out = out };
	int err = tc_azure_http_do((tc_azure *)be, &c);

	tc_azure_call_dispose(&c);
	return err;
}

static int az_stat(tc_stat *out, tc_backend *be, const char *key)
{
	tc_azure_call c = { .method = "HEAD", .key = key };
	int err = tc_azure_http_do((tc_azure *)be, &c);

	if (err == TC_OK && (!c.have_length || !c.have_mtime)) {
		tc_error_set("azure HEAD %s: response lacks %s", key,
			     c.have_length ? "Last-Modified" : "Content-Length");
		err = TC_ECORRUPT;
	}
	if (err == TC_OK) {
		out->size = c.length;
		out->mtime = c.mtime;
	}
	tc_azure_call_dispose(&c);
	return err;
}

static int short_blob(const char *key, uint64_t off, size_t len, const char *why)
{
	tc_where w = { key, off };

	tc_error_set_at(&w, "short object: wanted %zu bytes (%s)", len, why);
	return TC_ECORRUPT;
}

static int az_read_range(uint8_t *out, tc_backend *be, const char *key, uint64_t off, size_t len)
{
	char range[64];
	tc_sigv4_pair h[1];
	tc_azure_call c = { .method = "GET", .key = key, .headers = h, .nheaders = 1, .fixed = out,
			    .fixed_len = len };
	int err;

	if (len == 0 || off > UINT64_MAX - len) {
		/* nothing to GET (or no such range): existence and size decide */
		tc_stat st;
		if ((err = az_stat(&st, be, key)) < 0)
			return err;
		if (off > st.size || len > st.size - off)
			return short_blob(key, off, len, "object is smaller");
		return TC_OK;
	}
	snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)off,
		 (unsigned long long)(off + len - 1));
	h[0] = (tc_sigv4_pair){ "x-ms-range", range };
	err = tc_azure_http_do((tc_azure *)be, &c);
	if (err == TC_ERROR && c.status == 416)
		err = short_blob(key, off, len, "416 InvalidRange");
	else if (err == TC_OK && c.status != 206 && off != 0) {
		tc_error_set("azure GET %s: the store ignored x-ms-range (status %ld)", key, c.status);
		err = TC_ERROR;
	} else if (err == TC_OK && c.got != len) {
		err = short_blob(key, off, len, "the store returned fewer");
	}
	tc_azure_call_dispose(&c);
	return err;
}

static int put_blob(tc_azure *a, const char *key, const void *data, size_t len)
{
	tc_sigv4_pair h[] = { { "x-ms-blob-type", "BlockBlob" } };
	tc_azure_call c = { .method = "PUT", .key = key, .what = "Put Blob", .headers = h,
			    .nheaders = 1, .body = len ? data : NULL, .body_len = len };
	int err = tc_azure_http_do(a, &c);

	tc_azure_call_dispose(&c);
	return err;
}

static int az_write(tc_backend *be, const char *key, const void *data, size_t len)
{
	return put_blob((tc_azure *)be, key, data, len);
}

static int az_del(tc_backend *be, const char *key)
{
	tc_azure_call c = { .method = "DELETE", .key = key };
	int err = tc_azure_http_do((tc_azure *)be, &c);

	tc_azure_call_dispose(&c);
	return err == TC_ENOTFOUND ? TC_OK : err;
}

/* ---- listings ---- */

/*
 * Calls List Blobs for every page under prefix and hands each page to fn,
 * names still full. A marker that repeats the previous one, or more than
 * max_list_pages pages, ends the listing with an error: a store that
 * never stops must not keep a poll, and its memory, growing.
 */
typedef int (*page_fn)(void *ctx, const tc_azure_list_page *p);

static int list_pages(tc_azure *a, const char *prefix, int delimited, page_fn fn, void *ctx)
{
	char *marker = NULL, maxres[16], where[SHOW_MAX + 64];
	tc_strlist warned = TC_STRLIST_INIT;
	size_t plen = strlen(prefix);
	int err = TC_OK;

	if ((err = tc_azure_name_check(prefix)) < 0)
		return err;
	snprintf(maxres, sizeof(maxres), "%d", TC_AZURE_LIST_MAX);
	for (unsigned page = 1;; page++) {
		tc_sigv4_pair q[6];
		size_t nq = 0;
		tc_azure_list_page p;
		tc_azure_call c = { .method = "GET", .what = "List Blobs", .query = q };

		q[nq++] = (tc_sigv4_pair){ "restype", "container" };
		q[nq++] = (tc_sigv4_pair){ "comp", "list" };
		q[nq++] = (tc_sigv4_pair){ "maxresults", maxres };
		if (*prefix)
			q[nq++] = (tc_sigv4_pair){ "prefix", prefix };
		if (delimited)
			q[nq++] = (tc_sigv4_pair){ "delimiter", "/" };
		if (marker)
			q[nq++] = (tc_sigv4_pair){ "marker", marker };
		c.nquery = nq;
		snprintf(where, sizeof(where), "azure List Blobs prefix \"%s\" page %u", prefix, page);
		err = tc_azure_http_do(a, &c);
		if (err == TC_OK)
			err = tc_azure_xml_list(&p, &c.xml, &(tc_where){ where, TC_WHERE_NO_OFFSET });
		tc_azure_call_dispose(&c);
		if (err < 0)
			break;
		for (size_t i = 0; i < p.bad.n; i++) {
			if (tc_strlist_contains(&warned, p.bad.items[i]) || warned.n >= WARN_NAMES ||
			    tc_strlist_add(&warned, p.bad.items[i]) < 0)
				continue;
			tc_log_warn("msg=\"skipping a listed name that cannot be a key\" request=%s "
				    "name=%s reason=%s", tc_log_q(where), tc_log_q(p.bad.items[i]),
				    tc_log_q(p.bad_why.items[i]));
		}
		/* names outside the prefix (a store ignoring it) are dropped: callers delete them */
		tc_strlist_keep_prefix(&p.blobs, &p.stamps, prefix, plen);
		tc_strlist_keep_prefix(&p.prefixes, NULL, prefix, plen);
		err = fn(ctx, &p);
		if (err == TC_OK && p.next_marker && marker && !strcmp(p.next_marker, marker)) {
			tc_error_set("%s: NextMarker repeats the marker of this page: the store's "
				     "listing loops and would never end", where);
			err = TC_ECORRUPT;
		}
		if (err == TC_OK && p.next_marker && page >= a->max_list_pages) {
			tc_error_set("%s: still more pages after %u: refusing to list further",
				     where, page);
			err = TC_ELIMIT;
		}
		free(marker);
		marker = p.next_marker;
		p.next_marker = NULL;
		tc_azure_list_page_dispose(&p);
		if (err < 0 || !marker)
			break;
	}
	free(marker);
	tc_strlist_dispose(&warned);
	return err;
}

static int accumulate(void *ctx, const tc_azure_list_page *p)
{
	tc_azure_list_page *acc = ctx;
	int err = TC_OK;

	for (size_t i = 0; i < p->blobs.n && err == TC_OK; i++)
		err = tc_strlist_add(&acc->blobs, p->blobs.items[i]);
	for (size_t i = 0; i < p->prefixes.n && err == TC_OK; i++)
		err = tc_strlist_add(&acc->prefixes, p->prefixes.items[i]);
	return err;
}

/* Every page's blob names and (delimited) prefixes under prefix, still full. */
static int list_all(tc_azure_list_page *acc, tc_azure *a, const char *prefix, int delimited)
{
	int err;

	memset(acc, 0, sizeof(*acc));
	if ((err = list_pages(a, prefix, delimited, accumulate, acc)) < 0)
		tc_azure_list_page_dispose(acc);
	return err;
}

/* dirs: the prefixes one level below prefix; otherwise the blobs directly under it. */
static int list_kind(tc_strlist *out, tc_azure *a, const char *prefix, int dirs)
{
	char p[SHOW_MAX];
	tc_azure_list_page all;
	tc_strlist names = TC_STRLIST_INIT;
	const tc_strlist *src;
	size_t plen = strlen(prefix);
	int err;

	if (snprintf(p, sizeof(p), "%s%s", prefix, plen && prefix[plen - 1] != '/' ? "/" : "") >=
	    (int)sizeof(p)) {
		tc_error_set("prefix \"%s\" too long", prefix);
		return TC_EINVALID;
	}
	if ((err = list_all(&all, a, p, 1)) < 0)
		return err;
	plen = strlen(p);
	src = dirs ? &all.prefixes : &all.blobs;
	for (size_t i = 0; i < src->n && err == TC_OK; i++) {
		const char *name = src->items[i] + plen;
		size_t n = strlen(name);
		if (dirs && n && name[n - 1] == '/')
			n--;
		if (n == 0 || memchr(name, '/', n))
			continue;
		err = tc_strlist_addn(&names, name, n);
	}
	tc_strlist_sort(&names);
	for (size_t i = 0; i < names.n && err == TC_OK; i++)
		err = tc_strlist_add(out, names.items[i]);
	tc_strlist_dispose(&names);
	tc_azure_list_page_dispose(&all);
	return err;
}

static int az_list(tc_strlist *out, tc_backend *be, const char *prefix)
{
	return list_kind(out, (tc_azure *)be, prefix, 1);
}

static int az_list_objects(tc_strlist *out, tc_backend *be, const char *prefix)
{
	return list_kind(out, (tc_azure *)be, prefix, 0);
}

static int scan_page(void *ctx, const tc_azure_list_page *p)
{
	tc_block_scan *b = ctx;
	int err = TC_OK;

	for (size_t i = 0; i < p->blobs.n && err == TC_OK; i++)
		err = tc_block_scan_key(b, p->blobs.items[i],
					p->stamps.n == p->blobs.n ? p->stamps.items[i] : "");
	return err;
}

/*
 * One List Blobs of the tenant without a delimiter, as S3's (see
 * s3_list_blocks): each meta's and marker's Etag, Last-Modified and
 * Content-Length make the block's version (docs/STORAGE.md#block-listing).
 */
static int az_list_blocks(tc_block_list *out, tc_backend *be, const char *tenant)
{
	char p[SHOW_MAX];
	tc_block_scan b;
	int err, n = snprintf(p, sizeof(p), "%s/", tenant);

	if (n < 0 || (size_t)n >= sizeof(p)) {
		tc_error_set("tenant \"%s\" too long", tenant);
		return TC_EINVALID;
	}
	tc_block_scan_init(&b, out, (size_t)n);
	if ((err = list_pages((tc_azure *)be, p, 0, scan_page, &b)) == TC_OK)
		err = tc_block_scan_flush(&b);
	return err;
}

/* ---- block operations ---- */

static int az_mark_compacted(tc_backend *be, const char *tenant, const char *block)
{
	char from[TC_KEY_MAX + 1], to[TC_KEY_MAX + 1];
	tc_buf meta = TC_BUF_INIT;
	int err;

	if ((err = tc_key_block(from, sizeof(from), tenant, block, "meta.json")) < 0 ||
	    (err = tc_key_block(to, sizeof(to), tenant, block, "meta.compacted.json")) < 0)
		return err;
	/* as Tempo 1.5: read, write the copy (its Last-Modified is the marking time), delete */
	if ((err = az_read(&meta, be, from)) == TC_OK &&
	    (err = put_blob((tc_azure *)be, to, meta.ptr, meta.len)) == TC_OK)
		err = az_del(be, from);
	tc_buf_dispose(&meta);
	return err;
}

static int az_clear_block(tc_backend *be, const char *tenant, const char *block)
{
	tc_azure *a = (tc_azure *)be;
	char p[SHOW_MAX];
	tc_azure_list_page all;
	int err, n = snprintf(p, sizeof(p), "%s/%s/", tenant, block);

	if (n < 0 || (size_t)n >= sizeof(p)) {
		tc_error_set("block %s/%s: name too long", tenant, block);
		return TC_EINVALID;
	}
	/* every blob of the block, nested ones included */
	if ((err = list_all(&all, a, p, 0)) < 0)
		return err;
	for (size_t i = 0; i < all.blobs.n && err == TC_OK; i++)
		err = az_del(be, all.blobs.items[i]);
	tc_azure_list_page_dispose(&all);
	return err;
}

/* ---- streamed appends: Put Block per block_size bytes, Put Block List at commit ---- */

typedef struct az_stream {
	tc_append base;
	char *key;
	tc_buf buf;       /* bytes not yet sent as a block */
	tc_strlist ids;   /* the staged blocks' IDs, in order */
	int failed;
} az_stream;

int tc_azure_append_open(tc_append **out, tc_backend *be, const char *key)
{
	az_stream *s = calloc(1, sizeof(*s));

	if (!s || !(s->key = strdup(key))) {
		free(s);
		tc_error_set("out of memory opening %s", key);
		return TC_ERROR;
	}
	s->base.be = be;
	tc_buf_init(&s->buf, 0);
	*out = &s->base;
	return TC_OK;
}

/*
 * Block IDs must have one length within a blob: base64 of "tc-block-%06u"
 * (15 bytes, 20 characters, no padding).
 */
static int put_block(tc_azure *a, az_stream *s, const uint8_t *data, size_t len)
{
	char raw[32], id[64], what[48];
	tc_sigv4_pair q[2];
	tc_azure_call c = { .method = "PUT", .key = s->key, .what = what, .query = q, .nquery = 2,
			    .body = data, .body_len = len };
	int err;

	if (s->ids.n >= MAX_BLOCKS) {
		tc_error_set("azure Put Block %s: more than %d blocks of %llu bytes; raise "
			     "storage.trace.azure.buffer-size", s->key, MAX_BLOCKS,
			     (unsigned long long)a->block_size);
		return TC_ELIMIT;
	}
	snprintf(raw, sizeof(raw), "tc-block-%06zu", s->ids.n);
	EVP_EncodeBlock((unsigned char *)id, (const unsigned char *)raw, 15);
	snprintf(what, sizeof(what), "Put Block %zu", s->ids.n + 1);
	q[0] = (tc_sigv4_pair){ "comp", "block" };
	q[1] = (tc_sigv4_pair){ "blockid", id };
	err = tc_azure_http_do(a, &c);
	tc_azure_call_dispose(&c);
	if (err == TC_OK)
		err = tc_strlist_add(&s->ids, id);
	return err;
}

static int put_block_list(tc_azure *a, az_stream *s)
{
	tc_sigv4_pair q[] = { { "comp", "blocklist" } };
	tc_sigv4_pair h[] = { { "Content-Type", "application/xml" } };
	tc_buf body = TC_BUF_INIT;
	tc_azure_call c = { .method = "PUT", .key = s->key, .what = "Put Block List", .query = q,
			    .nquery = 1, .headers = h, .nheaders = 1 };
	int err;

	if ((err = tc_azure_xml_block_list(&body, &s->ids)) == TC_OK) {
		c.body = body.ptr;
		c.body_len = body.len;
		err = tc_azure_http_do(a, &c);
	}
	tc_azure_call_dispose(&c);
	tc_buf_dispose(&body);
	return err;
}

static int az_append(tc_append *ta, const void *data, size_t len)
{
	az_stream *s = (az_stream *)ta;
	tc_azure *a = (tc_azure *)s->base.be;
	size_t sent = 0;
	int err;

	if (s->failed) {
		tc_error_set("azure append to %s: an earlier request failed", s->key);
		return TC_ERROR;
	}
	if (len == 0)
		return TC_OK;
	if ((err = tc_buf_put(&s->buf, data, len)) < 0) {
		s->failed = 1;
		return err;
	}
	/* only once more than a block is buffered: a stream of one block is one Put Blob */
	while (err == TC_OK && s->buf.len - sent > a->block_size) {
		err = put_block(a, s, s->buf.ptr + sent, a->block_size);
		sent += a->block_size;
	}
	if (sent) {
		memmove(s->buf.ptr, s->buf.ptr + sent, s->buf.len - sent);
		s->buf.len -= sent;
	}
	if (err < 0)
		s->failed = 1;
	return err;
}

static void stream_free(az_stream *s)
{
	tc_buf_dispose(&s->buf);
	tc_strlist_dispose(&s->ids);
	free(s->key);
	free(s);
}

static int az_append_commit(tc_append *ta)
{
	az_stream *s = (az_stream *)ta;
	tc_azure *a = (tc_azure *)s->base.be;
	int err = TC_OK;

	if (s->failed) {
		tc_error_set("azure commit of %s: an earlier request failed", s->key);
		err = TC_ERROR;
	} else if (s->ids.n == 0) {
		err = put_blob(a, s->key, s->buf.ptr, s->buf.len);
	} else {
		if (s->buf.len)
			err = put_block(a, s, s->buf.ptr, s->buf.len);
		if (err == TC_OK)
			err = put_block_list(a, s);
	}
	stream_free(s);
	return err;
}

/* Staged blocks are never committed: Azure drops them after 7 days, nobody sees them. */
static void az_append_abort(tc_append *ta)
{
	stream_free((az_stream *)ta);
}

/* ---- lifecycle ---- */

static void az_cancel(tc_backend *be)
{
	tc_cancel_fire(((tc_azure *)be)->cancel);
}

static void az_free(tc_backend *be)
{
	tc_azure *a = (tc_azure *)be;

	if (!a)
		return;
	tc_azure_http_free(a);
	tc_cancel_free(a->cancel);
	OPENSSL_cleanse(a->key, sizeof(a->key));
	free(a->account);
	free(a->container);
	free(a->url_base);
	free(a->path_base);
	free(a);
}

static const tc_backend_ops azure_ops = {
	.name = "azure",
	.read = az_read,
	.read_range = az_read_range,
	.write = az_write,
	.append_open = tc_azure_append_open,
	.append = az_append,
	.append_commit = az_append_commit,
	.append_abort = az_append_abort,
	.list = az_list,
	.list_objects = az_list_objects,
	.list_blocks = az_list_blocks,
	.stat = az_stat,
	.del = az_del,
	.mark_compacted = az_mark_compacted,
	.clear_block = az_clear_block,
	.cancel = az_cancel,
	.free = az_free,
};

static int starts_with(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

int tc_azure_container_url(char *out, size_t outsz, const char *account, const char *suffix,
			   const char *container)
{
	int n;

	suffix = suffix && *suffix ? suffix : TC_AZURE_SUFFIX_DEFAULT;
	if (starts_with(suffix, "blob.core"))
		n = snprintf(out, outsz, "https://%s.%s/%s", account, suffix, container);
	else
		n = snprintf(out, outsz, "http://%s/%s/%s", suffix, account, container);
	if (n < 0 || (size_t)n >= outsz) {
		tc_error_set("azure: endpoint too long");
		return TC_EINVALID;
	}
	return TC_OK;
}

/* Account names: 3-24 lowercase letters and digits; the emulator's too. */
static int account_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 3 || n > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

/* Container names: 3-63 of lowercase letters, digits and '-' ("$root" aside). */
static int container_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 3 || n > 63 || s[0] == '-')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return 1;
}

static int suffix_ok(const char *e)
{
	if (strstr(e, "://"))
		return 0;
	for (const char *p = e; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '/' || *p == '?' || *p == '#' ||
		    *p == '@')
			return 0;
	return 1;
}

static int check_options(const tc_azure_options *o)
{
	if (!o->container || !*o->container) {
		tc_error_set("azure: storage.trace.azure.container-name is required");
		return TC_EINVALID;
	}
	if (!container_ok(o->container)) {
		tc_error_set("azure: invalid container-name \"%.64s\" (3-63 of a-z, 0-9, '-')",
			     o->container);
		return TC_EINVALID;
	}
	if (!o->account || !*o->account) {
		tc_error_set("azure: storage.trace.azure.storage-account-name (or AZURE_STORAGE_ACCOUNT) "
			     "is required");
		return TC_EINVALID;
	}
	if (!account_ok(o->account)) {
		tc_error_set("azure: invalid storage-account-name \"%.64s\" (a-z and 0-9)", o->account);
		return TC_EINVALID;
	}
	if (!o->key || !*o->key) {
		tc_error_set("azure: storage.trace.azure.storage-account-key (or AZURE_STORAGE_KEY) "
			     "is required");
		return TC_EINVALID;
	}
	if (o->endpoint_suffix && *o->endpoint_suffix && !suffix_ok(o->endpoint_suffix)) {
		tc_error_set("azure: endpoint-suffix must be a host[:port] without scheme or path, "
			     "got \"%.200s\"", o->endpoint_suffix);
		return TC_EINVALID;
	}
	if (o->buffer_size > TC_AZURE_BUFFER_SIZE_MAX) {
		tc_error_set("azure: buffer-size %llu is above Put Block's limit of 4000 MiB",
			     (unsigned long long)o->buffer_size);
		return TC_EINVALID;
	}
	return TC_OK;
}

int tc_backend_azure_new(tc_backend **out, const tc_azure_options *o, tc_metrics *metrics)
{
	static const char *const methods[] = { "DELETE", "GET", "HEAD", "PUT" };
	char url[1024];
	const char *suffix;
	tc_azure *a = NULL;
	int err;

	*out = NULL;
	if ((err = check_options(o)) < 0)
		return err;
	if (!(a = calloc(1, sizeof(*a)))) {
		tc_error_set("out of memory creating the azure backend");
		return TC_ERROR;
	}
	if ((err = tc_cancel_new(&a->cancel)) < 0) {
		free(a);
		return err;
	}
	if ((err = tc_azure_http_init(a)) < 0) {
		tc_cancel_free(a->cancel);
		free(a);
		return err;
	}
	a->base.ops = &azure_ops;
	a->metrics = metrics;
	a->block_size = o->buffer_size ? o->buffer_size : TC_AZURE_BUFFER_SIZE_DEFAULT;
	a->max_retries = o->max_retries;
	a->max_list_pages = o->max_list_pages ? o->max_list_pages : TC_AZURE_MAX_LIST_PAGES_DEFAULT;
	if ((err = tc_azure_key_decode(a->key, &a->keylen, o->key)) < 0)
		goto fail;
	suffix = o->endpoint_suffix && *o->endpoint_suffix ? o->endpoint_suffix
							   : TC_AZURE_SUFFIX_DEFAULT;
	if ((err = tc_azure_container_url(url, sizeof(url), o->account, suffix, o->container)) < 0)
		goto fail;
	a->account = strdup(o->account);
	a->container = strdup(o->container);
	/* the URL without the path, and the path: "/container/" or "/account/container/" */
	{
		const char *path = strchr(strstr(url, "://") + 3, '/');
		a->url_base = strndup(url, (size_t)(path - url));
		a->path_base = malloc(strlen(path) + 2);
		if (a->path_base)
			snprintf(a->path_base, strlen(path) + 2, "%s/", path);
	}
	if (!a->account || !a->container || !a->url_base || !a->path_base) {
		tc_error_set("out of memory creating the azure backend");
		err = TC_ERROR;
		goto fail;
	}
	/* every method we send, so each retries series is exported from the start */
	for (size_t i = 0; metrics && i < sizeof(methods) / sizeof(methods[0]); i++)
		tc_metrics_touch(metrics, TC_M_BACKEND_RETRIES_TOTAL, methods[i], NULL);
	*out = &a->base;
	return TC_OK;
fail:
	az_free(&a->base);
	return err;
}

static tc_azure *as_azure(tc_backend *be)
{
	if (!be || be->ops != &azure_ops) {
		tc_error_set("not an azure backend");
		return NULL;
	}
	return (tc_azure *)be;
}

int tc_backend_azure_check(tc_backend *be)
{
	tc_azure *a = as_azure(be);
	tc_sigv4_pair q[] = { { "restype", "container" } };
	tc_azure_call c = { .method = "GET", .what = "Get Container Properties", .query = q,
			    .nquery = 1 };
	int err;

	if (!a)
		return TC_EINVALID;
	err = tc_azure_http_do(a, &c);
	if (err == TC_ENOTFOUND)
		err = TC_ERROR;
	tc_azure_call_dispose(&c);
	return err;
}

int tc_backend_azure_create_container(tc_backend *be)
{
	tc_azure *a = as_azure(be);
	tc_sigv4_pair q[] = { { "restype", "container" } };
	tc_azure_call c = { .method = "PUT", .what = "Create Container", .query = q, .nquery = 1 };
	int err;

	if (!a)
		return TC_EINVALID;
	err = tc_azure_http_do(a, &c);
	if (err < 0 && !strcmp(c.code, "ContainerAlreadyExists"))
		err = TC_OK;
	tc_azure_call_dispose(&c);
	return err;
}
