/*
 * Bad blocks: every kind of damage gives a clear error naming the file and,
 * where there is one, the offset; a compaction over a damaged input changes
 * nothing (no output left, inputs byte-identical, nothing marked) and no
 * hostile length ever sizes an allocation.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encoding/block_reader.h"
#include "encoding/block_writer.h"
#include "encoding/index.h"
#include "src/backend/backend.h"
#include "src/compactor/blocklist.h"
#include "src/compactor/compact.h"
#include "tests/test.h"

#define TENANT "single-tenant"
static char root[512];
static tc_backend *be;
static tc_blocklist bl;

/* A fresh copy of the uncompressed fixture set (so bytes can be edited in place). */
static int setup(const char *set)
{
	static int seq;
	char rel[256];
	tc_blocklist_dispose(&bl);
	tc_backend_free(be);
	be = NULL;
	snprintf(rel, sizeof(rel), "tempo-v2/%s/blocks", set);
	snprintf(root, sizeof(root), "%s/bad%d", tc_test_tmpdir(), seq++);
	if (tc_test_copy_tree(tc_test_data(rel), root) < 0 || tc_backend_local_new(&be, root) < 0)
		return -1;
	return tc_blocklist_read_tenant(&bl, be, TENANT);
}

static void path_of(char *out, size_t sz, const tc_meta *m, const char *name)
{
	snprintf(out, sz, "%s/%s/%s/%s", root, m->tenant, m->block_id, name);
}

static void patch(const tc_meta *m, const char *name, size_t off, const void *bytes, size_t n)
{
	char p[1024];
	tc_buf f = TC_BUF_INIT;
	path_of(p, sizeof(p), m, name);
	if (tc_test_read_file(&f, p) == 0 && off + n <= f.len) {
		memcpy(f.ptr + off, bytes, n);
		tc_test_write_file(p, f.ptr, f.len);
	}
	tc_buf_dispose(&f);
}

static void truncate_file(const tc_meta *m, const char *name, size_t len)
{
	char p[1024];
	path_of(p, sizeof(p), m, name);
	if (truncate(p, (off_t)len) != 0)
		abort();
}

/* Reads the whole block; returns the reader's final code. */
static int read_block(const tc_meta *m)
{
	tc_block_reader *r;
	tc_object o;
	int rc = tc_block_reader_open(&r, be, m, NULL);
	if (rc < 0)
		return rc;
	while ((rc = tc_block_reader_next(&o, r)) == 1)
		;
	tc_block_reader_free(r);
	return rc;
}

/* Sum of all file bytes under root, to prove nothing changed. */
/* A digest of every name and byte under root; 0 only if it could not be taken. */
static uint64_t tree_digest(void)
{
	char cmd[1100];
	uint64_t h = 0;
	size_t n = 0;
	snprintf(cmd, sizeof(cmd), "cd '%s' && find . -type f | sort | xargs cat | cksum && find . | sort | cksum", root);
	FILE *p = popen(cmd, "r");
	int c;
	while (p && (c = fgetc(p)) != EOF) {
		h = h * 131 + (uint64_t)c;
		n++;
	}
	if (!p || pclose(p) != 0 || n == 0)
		return 0;
	return h ? h : 1;
}

/* A compaction over the damaged set fails and leaves the bucket exactly as it was. */
static void compaction_changes_nothing(int want_input)
{
	const tc_meta *in[4];
	tc_compact_result res;
	tc_compact_opts o = { 0 };
	uint64_t before = tree_digest();
	CHECK_MSG(before != 0, "cannot digest %s", root);
	tc_block_config_default(&o.block);
	for (size_t i = 0; i < bl.n_live; i++)
		in[i] = &bl.live[i];
	CHECK(tc_compact_blocks(&res, be, in, bl.n_live, &o) < 0);
	CHECK_EQ_U64(res.failed_input, want_input);
	CHECK_EQ_U64(res.marked, 0);
	CHECK_EQ_U64(tree_digest(), before);
}

static void truncated_data_file(void)
{
	CHECK_OK(setup("none"));
	truncate_file(&bl.live[1], "data", bl.live[1].size / 2);
	CHECK_ERR(read_block(&bl.live[1]), TC_ECORRUPT);
	CHECK_ERRMSG("/data");
	CHECK_ERRMSG("meta.json says size");
	compaction_changes_nothing(1);
}

static void flipped_index_byte(void)
{
	uint8_t x = 0x5a;
	CHECK_OK(setup("zstd"));
	patch(&bl.live[2], "index", 20, &x, 1);
	CHECK_ERR(read_block(&bl.live[2]), TC_ECORRUPT);
	CHECK_ERRMSG("/index at offset 0");
	compaction_changes_nothing(2);
}

static void flipped_data_byte(void)
{
	uint8_t x[4] = { 0xde, 0xad, 0xbe, 0xef };
	CHECK_OK(setup("zstd"));
	patch(&bl.live[0], "data", 100, x, 4);
	CHECK(read_block(&bl.live[0]) < 0);
	CHECK_ERRMSG("/data");
	compaction_changes_nothing(0);
}

static void wrong_meta_size(void)
{
	CHECK_OK(setup("none"));
	bl.live[3].size += 10;
	CHECK_ERR(read_block(&bl.live[3]), TC_ECORRUPT);
	CHECK_ERRMSG("meta.json says size");
	compaction_changes_nothing(3);
}

static void wrong_total_objects(void)
{
	CHECK_OK(setup("none"));
	bl.live[0].total_objects = 149;
	CHECK_ERR(read_block(&bl.live[0]), TC_ECORRUPT);
	CHECK_ERRMSG("totalObjects is 149 but the data holds 150");
}

static void index_claims_more_records_than_it_holds(void)
{
	CHECK_OK(setup("zstd"));
	/* One real record; the rest of the page is zero padding, then there is no second page. */
	bl.live[0].total_records = 2;
	CHECK_ERR(read_block(&bl.live[0]), TC_ECORRUPT);
	CHECK_ERRMSG("/index at offset 42");
	CHECK_ERRMSG("fewer records than the meta says");
	bl.live[0].total_records = 9143; /* one more than a 256000-byte page holds */
	CHECK(read_block(&bl.live[0]) < 0);
	CHECK_ERRMSG("/index");
}

static void page_length_4gib(void)
{
	uint8_t len[4] = { 0xff, 0xff, 0xff, 0xff };
	tc_record *recs = NULL;
	tc_buf idx = TC_BUF_INIT;
	char p[1024];
	CHECK_OK(setup("none"));
	/* In the page frame: disagrees with the index record. */
	patch(&bl.live[0], "data", 0, len, 4);
	CHECK_ERR(read_block(&bl.live[0]), TC_ECORRUPT);
	CHECK_ERRMSG("/data at offset 0");
	/* In a validly checksummed index record: refused before any allocation. */
	CHECK_OK(tc_block_read_index(&recs, be, &bl.live[1]));
	recs[0].length = 0xffffffffu;
	CHECK_OK(tc_index_write(&idx, recs, bl.live[1].total_records, bl.live[1].index_page_size));
	path_of(p, sizeof(p), &bl.live[1], "index");
	CHECK_OK(tc_test_write_file(p, idx.ptr, idx.len));
	CHECK_ERR(read_block(&bl.live[1]), TC_ECORRUPT);
	CHECK_ERRMSG("runs past the data size");
	bl.live[1].size = 0xffffffffffULL; /* a meta that agrees with the lie */
	CHECK(read_block(&bl.live[1]) < 0);
	free(recs);
	tc_buf_dispose(&idx);
}

static void zero_length_object(void)
{
	tc_block_writer *w;
	tc_meta m;
	uint8_t id1[TC_ID_LEN] = { 1 }, id2[TC_ID_LEN] = { 2 };
	tc_block_write_opts wo = { .tenant = TENANT, .data_encoding = "v2", .estimated_objects = 2 };
	CHECK_OK(setup("none"));
	tc_block_config_default(&wo.block);
	wo.start = wo.end = bl.live[0].end;
	CHECK_OK(tc_block_writer_new(&w, be, &wo));
	CHECK_OK(tc_block_writer_add(w, id1, TC_ID_LEN, (const uint8_t *)"\0\0\0\0\0\0\0\0", 8));
	CHECK_OK(tc_block_writer_add(w, id2, TC_ID_LEN, (const uint8_t *)"", 0));
	CHECK_OK(tc_block_writer_finish(&m, w));
	tc_block_writer_free(w);
	CHECK_ERR(read_block(&m), TC_ECORRUPT);
	CHECK_ERRMSG("empty body");
}

static void garbage_meta(void)
{
	char p[1024];
	tc_meta m;
	CHECK_OK(setup("none"));
	path_of(p, sizeof(p), &bl.live[0], "meta.json");
	CHECK_OK(tc_test_write_file(p, "{\"format\":\"v2\",\"blockID\":", 26));
	CHECK_ERR(tc_blocklist_read_meta(&m, be, TENANT, bl.live[0].block_id), TC_ECORRUPT);
	CHECK_ERRMSG("meta.json");
	/* The poller skips it and still sees the other blocks. */
	tc_blocklist again;
	CHECK_OK(tc_blocklist_read_tenant(&again, be, TENANT));
	CHECK_EQ_U64(again.n_live, 3);
	CHECK_EQ_U64(again.skipped, 1);
	tc_blocklist_dispose(&again);
}

TC_TEST_MAIN(T(truncated_data_file), T(flipped_index_byte), T(flipped_data_byte), T(wrong_meta_size),
	     T(wrong_total_objects), T(index_claims_more_records_than_it_holds), T(page_length_4gib), T(zero_length_object), T(garbage_meta))
