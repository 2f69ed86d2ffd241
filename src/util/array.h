/*
 * Growable arrays of records, after libgit2's git_array_t: the one place
 * that sizes an array (count * element size, capacity doubling), both
 * overflow-checked. An array is any pointer field plus a size_t capacity
 * field; the count stays the owner's, so public records such as tc_strlist
 * keep their fields. tc_buf stays the one byte buffer.
 *
 *	if ((rc = tc_array_reserve(l->items, l->cap, l->n + 1, 0)) < 0)
 *		return rc;
 *	l->items[l->n++] = item;
 */
#ifndef TC_UTIL_ARRAY_H
#define TC_UTIL_ARRAY_H

#include <stddef.h>

#include "src/util/error.h"

/*
 * Makes room for need elements in ptr, an lvalue of any object pointer type
 * whose capacity (in elements) is the size_t lvalue asize. The element size
 * comes from ptr's type. max > 0 is the most elements the array may hold,
 * for arrays whose length comes from input: past it TC_ELIMIT. A size that
 * overflows is TC_ELIMIT too, no memory is TC_ERROR; either way the message
 * is set and ptr, its elements and asize are unchanged.
 */
#define tc_array_reserve(ptr, asize, need, max) \
	tc_array_grow_to(&(ptr), &(asize), (need), sizeof(*(ptr)), (max))

/* What tc_array_reserve calls; ptrp is the address of the array's pointer. */
int tc_array_grow_to(void *ptrp, size_t *asize, size_t need, size_t elem_size, size_t max);

/*
 * The capacity to grow to: asize (min when 0) doubled until it holds need,
 * or need itself where doubling would overflow; at most max when max > 0
 * (callers check need <= max first). Shared with tc_buf.
 */
size_t tc_array_next_cap(size_t asize, size_t need, size_t min, size_t max);

/*
 * Binary search of n elements of size bytes at base, sorted in the order
 * cmp (bsearch's: key first, then an element) gives. Returns 1 with *idx
 * the index of an element equal to key, or 0 with *idx where key would be
 * inserted to keep the order (n when it goes last).
 */
int tc_array_search(size_t *idx, const void *base, size_t n, size_t size, const void *key,
		    int (*cmp)(const void *key, const void *elem));

#endif
