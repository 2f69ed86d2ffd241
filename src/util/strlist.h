/* A growable list of owned strings (listing results, block ID lists). */
#ifndef TC_UTIL_STRLIST_H
#define TC_UTIL_STRLIST_H

#include <stddef.h>

typedef struct tc_strlist {
	char **items;
	size_t n;
	size_t cap;
} tc_strlist;

#define TC_STRLIST_INIT { NULL, 0, 0 }

int tc_strlist_add(tc_strlist *l, const char *s);
int tc_strlist_addn(tc_strlist *l, const char *s, size_t len);
int tc_strlist_contains(const tc_strlist *l, const char *s);
/* The same for a list sorted by tc_strlist_sort, in log n (tenant lists of 10,000). */
int tc_strlist_sorted_contains(const tc_strlist *l, const char *s);
void tc_strlist_sort(tc_strlist *l);
/*
 * Keeps only the items of l that start with prefix (plen bytes), in order;
 * when parallel has as many items as l it is kept in step with it (a
 * listing's names and their stamps).
 */
void tc_strlist_keep_prefix(tc_strlist *l, tc_strlist *parallel, const char *prefix, size_t plen);
/* Splits s at every sep into l (empty pieces skipped). */
int tc_strlist_split(tc_strlist *l, const char *s, char sep);
void tc_strlist_clear(tc_strlist *l);
void tc_strlist_dispose(tc_strlist *l);

#endif
