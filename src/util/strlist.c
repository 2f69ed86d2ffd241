#include "src/util/strlist.h"

#include <stdlib.h>
#include <string.h>

#include "src/util/array.h"
#include "src/util/error.h"

int tc_strlist_addn(tc_strlist *l, const char *s, size_t len)
{
	char *copy;
	int err;

	if ((err = tc_array_reserve(l->items, l->cap, l->n + 1, 0)) < 0)
		return err;
	copy = malloc(len + 1);
	if (!copy) {
		tc_error_set("out of memory copying a %zu byte string", len);
		return TC_ERROR;
	}
	memcpy(copy, s, len);
	copy[len] = '\0';
	l->items[l->n++] = copy;
	return TC_OK;
}

int tc_strlist_add(tc_strlist *l, const char *s)
{
	return tc_strlist_addn(l, s, strlen(s));
}

int tc_strlist_contains(const tc_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return 1;
	return 0;
}

int tc_strlist_sorted_contains(const tc_strlist *l, const char *s)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->items[mid], s);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void tc_strlist_sort(tc_strlist *l)
{
	if (l->n > 1)
		qsort(l->items, l->n, sizeof(char *), cmp_str);
}

int tc_strlist_split(tc_strlist *l, const char *s, char sep)
{
	const char *start = s;
	int err;

	for (const char *p = s;; p++) {
		if (*p == sep || *p == '\0') {
			if (p > start && (err = tc_strlist_addn(l, start, (size_t)(p - start))) < 0)
				return err;
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}
	return TC_OK;
}

void tc_strlist_clear(tc_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	l->n = 0;
}

void tc_strlist_dispose(tc_strlist *l)
{
	if (!l)
		return;
	tc_strlist_clear(l);
	free(l->items);
	l->items = NULL;
	l->cap = 0;
}

void tc_strlist_keep_prefix(tc_strlist *l, tc_strlist *parallel, const char *prefix, size_t plen)
{
	int step = parallel && parallel->n == l->n;
	size_t kept = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (!strncmp(l->items[i], prefix, plen)) {
			l->items[kept] = l->items[i];
			if (step)
				parallel->items[kept] = parallel->items[i];
			kept++;
			continue;
		}
		free(l->items[i]);
		if (step)
			free(parallel->items[i]);
	}
	l->n = kept;
	if (step)
		parallel->n = kept;
}
