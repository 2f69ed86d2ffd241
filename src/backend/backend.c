/*
 * The tc_backend_* wrappers: every key and prefix is checked here, once,
 * before any backend sees it, so no backend has to trust its callers.
 */
#include "src/backend/backend_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/array.h"
#include "src/util/error.h"
#include "src/util/ids.h"

/*
 * A printable rendering of a possibly hostile key for messages: control
 * bytes escaped, long keys cut, so a message never carries raw terminal
 * sequences or fills the error buffer.
 */
#define SHOW_MAX 200

static const char *key_show(char out[SHOW_MAX + 8], const char *key)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		if (o >= SHOW_MAX) {
			memcpy(out + o, "...", 4);
			return out;
		}
		if (*p < 0x20 || *p == 0x7f) {
			static const char hex[] = "0123456789abcdef";
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
	return out;
}

static int key_bad(const char *key, const char *why)
{
	char show[SHOW_MAX + 8];
	tc_error_set("invalid key \"%s\": %s", key_show(show, key), why);
	return TC_EINVALID;
}

int tc_backend_key_check(const char *key)
{
	size_t len, seg = 0;
	const char *start;

	if (!key) {
		tc_error_set("invalid key: NULL");
		return TC_EINVALID;
	}
	len = strlen(key);
	if (len == 0)
		return key_bad(key, "empty");
	if (len > TC_KEY_MAX)
		return key_bad(key, "longer than 512 bytes");
	if (key[0] == '/')
		return key_bad(key, "leading '/'");
	start = key;
	for (const char *p = key;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '/' || c == '\0') {
			seg = (size_t)(p - start);
			if (seg == 0)
				return key_bad(key, "empty path segment");
			if ((seg == 1 && start[0] == '.') ||
			    (seg == 2 && start[0] == '.' && start[1] == '.'))
				return key_bad(key, "'.' or '..' segment");
			if (c == '\0')
				break;
			start = p + 1;
		} else if (c < 0x20 || c == 0x7f) {
			return key_bad(key, "control character");
		}
	}
	return TC_OK;
}

/* A listing prefix: "" (the root) or a valid key with an optional trailing '/'. */
static int prefix_check(const char *prefix)
{
	char tmp[TC_KEY_MAX + 2];
	size_t len;

	if (!prefix) {
		tc_error_set("invalid prefix: NULL");
		return TC_EINVALID;
	}
	len = strlen(prefix);
	if (len == 0)
		return TC_OK;
	if (len > TC_KEY_MAX)
		return key_bad(prefix, "longer than 512 bytes");
	if (prefix[len - 1] != '/')
		return tc_backend_key_check(prefix);
	if (len == 1)
		return key_bad(prefix, "leading '/'");
	memcpy(tmp, prefix, len - 1);
	tmp[len - 1] = '\0';
	return tc_backend_key_check(tmp);
}

/* tenant and block are single segments; the joined key must pass the check. */
static int block_check(char out[TC_KEY_MAX + 1], const char *tenant, const char *block)
{
	char show[SHOW_MAX + 8];
	int err;

	if (!tenant || !block || !*tenant || !*block) {
		tc_error_set("invalid block: empty tenant or block name");
		return TC_EINVALID;
	}
	if (strchr(tenant, '/')) {
		tc_error_set("invalid tenant \"%s\": contains '/'", key_show(show, tenant));
		return TC_EINVALID;
	}
	if (strchr(block, '/')) {
		tc_error_set("invalid block \"%s\": contains '/'", key_show(show, block));
		return TC_EINVALID;
	}
	if (strlen(tenant) > TC_KEY_MAX || strlen(block) > TC_KEY_MAX)
		return key_bad(strlen(tenant) > TC_KEY_MAX ? tenant : block, "longer than 512 bytes");
	if ((err = tc_key_block(out, TC_KEY_MAX + 1, tenant, block, "meta.compacted.json")) < 0)
		return err;
	return tc_backend_key_check(out);
}

int tc_backend_read(tc_buf *out, tc_backend *be, const char *key)
{
	int err;
	if ((err = tc_backend_key_check(key)) < 0)
		return err;
	return be->ops->read(out, be, key);
}

int tc_backend_read_range(uint8_t *out, tc_backend *be, const char *key, uint64_t off, size_t len)
{
	int err;
	if ((err = tc_backend_key_check(key)) < 0)
		return err;
	return be->ops->read_range(out, be, key, off, len);
}

int tc_backend_write(tc_backend *be, const char *key, const void *data, size_t len)
{
	int err;
	if ((err = tc_backend_key_check(key)) < 0)
		return err;
	return be->ops->write(be, key, data, len);
}

int tc_backend_append_open(tc_append **out, tc_backend *be, const char *key)
{
	int err;
	*out = NULL;
	if ((err = tc_backend_key_check(key)) < 0)
		return err;
	return be->ops->append_open(out, be, key);
}

int tc_backend_append(tc_append *a, const void *data, size_t len)
{
	if (!a) {
		tc_error_set("append to a NULL handle");
		return TC_EINVALID;
	}
	return a->be->ops->append(a, data, len);
}

int tc_backend_append_commit(tc_append *a)
{
	if (!a) {
		tc_error_set("commit of a NULL append handle");
		return TC_EINVALID;
	}
	return a->be->ops->append_commit(a);
}

void tc_backend_append_abort(tc_append *a)
{
	if (a)
		a->be->ops->append_abort(a);
}

int tc_backend_list(tc_strlist *out, tc_backend *be, const char *prefix)
{
	int err;
	if ((err = prefix_check(prefix)) < 0)
		return err;
	return be->ops->list(out, be, prefix);
}

int tc_backend_list_objects(tc_strlist *out, tc_backend *be, const char *prefix)
{
	int err;
	if ((err = prefix_check(prefix)) < 0)
		return err;
	return be->ops->list_objects(out, be, prefix);
}

uint8_t tc_block_object_flag(const char *name)
{
	if (!strcmp(name, "meta.json"))
		return TC_BLOCK_HAS_META;
	if (!strcmp(name, "meta.compacted.json"))
		return TC_BLOCK_HAS_COMPACTED;
	if (!strcmp(name, "nocompact.json"))
		return TC_BLOCK_HAS_NOCOMPACT;
	return 0;
}

int tc_block_list_add(tc_block_list *l, const char *name, size_t len, uint64_t version, uint8_t objects)
{
	size_t cap = l->cap;
	int err;

	if (l->names.n == cap) {
		if ((err = tc_array_reserve(l->version, cap, l->names.n + 1, 0)) < 0)
			return err;
		cap = l->cap;
		if ((err = tc_array_reserve(l->objects, cap, l->names.n + 1, 0)) < 0)
			return err;
		l->cap = cap;
	}
	if ((err = tc_strlist_addn(&l->names, name, len)) < 0)
		return err;
	l->version[l->names.n - 1] = version;
	l->objects[l->names.n - 1] = objects;
	return TC_OK;
}

void tc_block_list_dispose(tc_block_list *l)
{
	if (!l)
		return;
	tc_strlist_dispose(&l->names);
	free(l->version);
	free(l->objects);
	memset(l, 0, sizeof(*l));
}

typedef struct block_ref {
	char *name;
	uint64_t version;
	uint8_t objects;
} block_ref;

static int block_ref_cmp(const void *a, const void *b)
{
	return strcmp(((const block_ref *)a)->name, ((const block_ref *)b)->name);
}

/* Object stores list "t/b-c/x" before "t/b/x" ('-' < '/'): callers get name order. */
static int block_list_sort(tc_block_list *l)
{
	block_ref *r;
	size_t n = l->names.n, i;

	for (i = 1; i < n && strcmp(l->names.items[i - 1], l->names.items[i]) < 0; i++)
		;
	if (i >= n)
		return TC_OK;
	if (!(r = malloc(n * sizeof(*r)))) {
		tc_error_set("out of memory sorting %zu blocks", n);
		return TC_ERROR;
	}
	for (i = 0; i < n; i++)
		r[i] = (block_ref){ l->names.items[i], l->version[i], l->objects[i] };
	qsort(r, n, sizeof(*r), block_ref_cmp);
	for (i = 0; i < n; i++) {
		l->names.items[i] = r[i].name;
		l->version[i] = r[i].version;
		l->objects[i] = r[i].objects;
	}
	free(r);
	return TC_OK;
}

int tc_backend_list_blocks(tc_block_list *out, tc_backend *be, const char *tenant)
{
	tc_strlist names = TC_STRLIST_INIT;
	char prefix[TC_KEY_MAX + 2];
	int err;

	memset(out, 0, sizeof(*out));
	if (!tenant || !*tenant || strchr(tenant, '/') || strlen(tenant) > TC_KEY_MAX) {
		tc_error_set("invalid tenant for a block listing");
		return TC_EINVALID;
	}
	snprintf(prefix, sizeof(prefix), "%s/", tenant);
	if ((err = prefix_check(prefix)) < 0)
		return err;
	if (be->ops->list_blocks) {
		err = be->ops->list_blocks(out, be, tenant);
		if (err == TC_OK)
			err = block_list_sort(out);
		if (err < 0)
			tc_block_list_dispose(out);
		return err;
	}
	/* Nothing known per block: every block is read, as a full poll does. */
	if ((err = be->ops->list(&names, be, prefix)) < 0)
		return err;
	for (size_t i = 0; i < names.n && err == TC_OK; i++)
		err = tc_block_list_add(out, names.items[i], strlen(names.items[i]), 0, 0);
	tc_strlist_dispose(&names);
	if (err < 0)
		tc_block_list_dispose(out);
	return err;
}

int tc_backend_stat(tc_stat *out, tc_backend *be, const char *key)
{
	int err;
	if ((err = tc_backend_key_check(key)) < 0)
		return err;
	return be->ops->stat(out, be, key);
}

int tc_backend_delete(tc_backend *be, const char *key)
{
	int err;
	if ((err = tc_backend_key_check(key)) < 0)
		return err;
	return be->ops->del(be, key);
}

int tc_backend_mark_compacted(tc_backend *be, const char *tenant, const char *block)
{
	char key[TC_KEY_MAX + 1];
	int err;
	if ((err = block_check(key, tenant, block)) < 0)
		return err;
	return be->ops->mark_compacted(be, tenant, block);
}

int tc_backend_clear_block(tc_backend *be, const char *tenant, const char *block)
{
	char key[TC_KEY_MAX + 1];
	int err;
	if ((err = block_check(key, tenant, block)) < 0)
		return err;
	return be->ops->clear_block(be, tenant, block);
}

int tc_backend_abort_stale_uploads(size_t *aborted, tc_backend *be, const tc_time *started_before)
{
	*aborted = 0;
	if (!be->ops->abort_stale_uploads)
		return TC_OK;
	return be->ops->abort_stale_uploads(aborted, be, started_before);
}

void tc_backend_cancel(tc_backend *be)
{
	if (be && be->ops->cancel)
		be->ops->cancel(be);
}

const char *tc_backend_name(const tc_backend *be)
{
	return be ? be->ops->name : "none";
}

void tc_backend_free(tc_backend *be)
{
	if (be)
		be->ops->free(be);
}
