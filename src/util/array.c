#include "src/util/array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Small arrays start here rather than at 1, 2, 4: fewer reallocations. */
#define ARRAY_MIN_CAP 16

size_t tc_array_next_cap(size_t asize, size_t need, size_t min, size_t max)
{
	size_t n = asize ? asize : (min ? min : 1);

	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	if (max && n > max)
		n = max;
	return n;
}

int tc_array_grow_to(void *ptrp, size_t *asize, size_t need, size_t elem_size, size_t max)
{
	size_t ncap;
	void *old, *p;

	if (need <= *asize)
		return TC_OK;
	if (max && need > max) {
		tc_error_set("array limit of %zu entries exceeded (need %zu)", max, need);
		return TC_ELIMIT;
	}
	if (elem_size == 0 || need > SIZE_MAX / elem_size) {
		tc_error_set("array of %zu entries of %zu bytes exceeds the address space", need,
			     elem_size);
		return TC_ELIMIT;
	}
	ncap = tc_array_next_cap(*asize, need, ARRAY_MIN_CAP, max);
	if (ncap > SIZE_MAX / elem_size)
		ncap = SIZE_MAX / elem_size; /* still >= need, checked above */
	/* The pointer is moved as bytes: the caller's field may be any object pointer type. */
	memcpy(&old, ptrp, sizeof(old));
	p = realloc(old, ncap * elem_size);
	if (!p) {
		tc_error_set("out of memory growing an array to %zu entries of %zu bytes", ncap,
			     elem_size);
		return TC_ERROR;
	}
	memcpy(ptrp, &p, sizeof(p));
	*asize = ncap;
	return TC_OK;
}

int tc_array_search(size_t *idx, const void *base, size_t n, size_t size, const void *key,
		    int (*cmp)(const void *key, const void *elem))
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp(key, (const char *)base + mid * size);
		if (c == 0) {
			*idx = mid;
			return 1;
		}
		if (c > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*idx = lo;
	return 0;
}
