/*
 * Finds the block directories of the Tempo fixtures (every directory under
 * tests/data/tempo-v2 holding a meta.json or meta.compacted.json)
 * and loads their files. Header-only, for the encoding unit tests.
 */
#ifndef TC_TEST_FIXTURE_BLOCKS_H
#define TC_TEST_FIXTURE_BLOCKS_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/test.h"

#define FIXTURE_MAX_BLOCKS 64

typedef struct fixture_blocks {
	size_t n;
	char dir[FIXTURE_MAX_BLOCKS][1024];
} fixture_blocks;

static fixture_blocks fixture_found;

static inline int fixture_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	const char *base = path + ftw->base;
	(void)sb;
	if (flag == FTW_F && (strcmp(base, "meta.json") == 0 || strcmp(base, "meta.compacted.json") == 0)) {
		size_t dl = (size_t)ftw->base - 1;
		for (size_t i = 0; i < fixture_found.n; i++)
			if (strlen(fixture_found.dir[i]) == dl && strncmp(fixture_found.dir[i], path, dl) == 0)
				return 0;
		if (fixture_found.n < FIXTURE_MAX_BLOCKS && dl < sizeof(fixture_found.dir[0])) {
			memcpy(fixture_found.dir[fixture_found.n], path, dl);
			fixture_found.dir[fixture_found.n++][dl] = '\0';
		}
	}
	return 0;
}

static inline int fixture_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* All fixture block directories, sorted. */
static inline const fixture_blocks *fixture_blocks_all(void)
{
	if (fixture_found.n == 0) {
		nftw(tc_test_data("tempo-v2"), fixture_cb, 16, FTW_PHYS);
		qsort(fixture_found.dir, fixture_found.n, sizeof(fixture_found.dir[0]), fixture_cmp);
	}
	return &fixture_found;
}

/* Reads dir/name into out (replacing its content); < 0 if missing. */
static inline int fixture_read(tc_buf *out, const char *dir, const char *name)
{
	char path[1200];
	tc_buf_clear(out);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return tc_test_read_file(out, path);
}

/* Whether dir/name exists. */
static inline int fixture_has(const char *dir, const char *name)
{
	char path[1200];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

#endif
