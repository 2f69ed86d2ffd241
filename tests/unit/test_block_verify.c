/*
 * tc_block_verify, the checks of `tracecompactor inspect`: every Tempo
 * fixture passes, the helper every compaction test ends with accepts them,
 * and an index file with bytes after its last page is refused although the
 * block reader (which never reads past the records) still reads the block.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "encoding/block_reader.h"
#include "encoding/block_verify.h"
#include "src/compactor/blocklist.h"
#include "tests/test.h"

static const char *SETS[] = { "zstd", "snappy", "none", "gzip", "lz4-1M", "zstd-tempo-compacted",
			      "snappy-tempo-compacted", "none-tempo-compacted", "gzip-tempo-compacted",
			      "lz4-1M-tempo-compacted", "tempo-repo-fake" };
#define NSETS (sizeof(SETS) / sizeof(SETS[0]))

typedef struct seen {
	uint64_t n;
	uint8_t last[TC_ID_LEN];
	int ordered;
	uint64_t stop_at; /* 0: never */
} seen;

static int count_object(void *ctx, const tc_object *o)
{
	seen *s = ctx;

	if (s->n > 0 && memcmp(o->id, s->last, TC_ID_LEN) <= 0)
		s->ordered = 0;
	memcpy(s->last, o->id, TC_ID_LEN);
	if (++s->n == s->stop_at) {
		tc_error_set("stopped");
		return TC_ECANCELED;
	}
	return TC_OK;
}

static void every_fixture_verifies(void)
{
	for (size_t s = 0; s < NSETS; s++) {
		char rel[256];
		const char *tenant = strcmp(SETS[s], "tempo-repo-fake") ? "single-tenant" : "fake";
		tc_backend *be = NULL;
		tc_blocklist bl;

		snprintf(rel, sizeof(rel), "tempo-v2/%s/blocks", SETS[s]);
		CHECK_OK(tc_backend_local_new(&be, tc_test_data(rel)));
		CHECK_OK(tc_blocklist_read_tenant(&bl, be, tenant));
		for (size_t i = 0; i < bl.n_live; i++) {
			tc_block_verify_stats st;
			seen sn = { 0, { 0 }, 1, 0 };
			CHECK_OK(tc_block_verify(&st, be, &bl.live[i], NULL, count_object, &sn));
			CHECK_EQ_U64(st.objects, bl.live[i].total_objects);
			CHECK_EQ_U64(sn.n, st.objects);
			CHECK(sn.ordered);
			CHECK_EQ_U64(st.pages, bl.live[i].total_records);
			CHECK(st.spans >= st.objects || strcmp(bl.live[i].data_encoding, "foo") == 0);
		}
		CHECK_EQ_U64(tc_test_inspect_live_blocks(__FILE__, __LINE__, be), bl.n_live);
		tc_blocklist_dispose(&bl);
		tc_backend_free(be);
	}
}

static void callback_stops_the_walk(void)
{
	tc_backend *be = NULL;
	tc_blocklist bl;
	tc_block_verify_stats st;
	seen sn = { 0, { 0 }, 1, 3 };

	CHECK_OK(tc_backend_local_new(&be, tc_test_data("tempo-v2/zstd/blocks")));
	CHECK_OK(tc_blocklist_read_tenant(&bl, be, "single-tenant"));
	CHECK_ERR(tc_block_verify(&st, be, &bl.live[0], NULL, count_object, &sn), TC_ECANCELED);
	CHECK_EQ_U64(sn.n, 3);
	CHECK_ERRMSG("stopped");
	tc_blocklist_dispose(&bl);
	tc_backend_free(be);
}

static int read_block(tc_backend *be, const tc_meta *m)
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

/* An index is ceil(totalRecords / R) pages of indexPageSize: appended bytes, or a page short, are refused. */
static void index_length_must_match(void)
{
	char root[512], path[1024], want[128];
	tc_backend *be = NULL;
	tc_blocklist bl;
	tc_block_verify_stats st;
	tc_buf idx = TC_BUF_INIT;
	const tc_meta *m;
	size_t len;

	snprintf(root, sizeof(root), "%s/idx", tc_test_tmpdir());
	CHECK_OK(tc_test_copy_tree(tc_test_data("tempo-v2/none/blocks"), root));
	CHECK_OK(tc_backend_local_new(&be, root));
	CHECK_OK(tc_blocklist_read_tenant(&bl, be, "single-tenant"));
	m = &bl.live[1];
	snprintf(path, sizeof(path), "%s/single-tenant/%s/index", root, m->block_id);
	CHECK_OK(tc_test_read_file(&idx, path));
	len = idx.len;
	CHECK(len > 0 && len % m->index_page_size == 0);
	CHECK_OK(tc_block_verify(&st, be, m, NULL, NULL, NULL));

	/* one byte after the last page */
	CHECK_OK(tc_buf_putc(&idx, 0));
	CHECK_OK(tc_test_write_file(path, idx.ptr, idx.len));
	CHECK_ERR(tc_block_verify(&st, be, m, NULL, NULL, NULL), TC_ECORRUPT);
	CHECK_ERRMSG("/index: file is ");
	snprintf(want, sizeof(want), "%zu bytes but totalRecords %u", len + 1, m->total_records);
	CHECK_ERRMSG(want);
	/* the reader and so compaction read the records only: the block still reads */
	CHECK_OK(read_block(be, m));

	/* a whole zero page after the last */
	idx.len = len;
	CHECK_OK(tc_buf_grow_by(&idx, NULL, m->index_page_size));
	memset(idx.ptr + len, 0, m->index_page_size);
	CHECK_OK(tc_test_write_file(path, idx.ptr, idx.len));
	CHECK_ERR(tc_block_verify(&st, be, m, NULL, NULL, NULL), TC_ECORRUPT);
	CHECK_ERRMSG("/index: file is ");

	/* cut short: the last page is incomplete */
	CHECK_OK(tc_test_write_file(path, idx.ptr, len - 1));
	CHECK_ERR(tc_block_verify(&st, be, m, NULL, NULL, NULL), TC_ECORRUPT);
	CHECK_ERRMSG("/index");

	/* restored, it passes again */
	CHECK_OK(tc_test_write_file(path, idx.ptr, len));
	CHECK_OK(tc_block_verify(&st, be, m, NULL, NULL, NULL));
	tc_buf_dispose(&idx);
	tc_blocklist_dispose(&bl);
	tc_backend_free(be);
}

TC_TEST_MAIN(T(every_fixture_verifies), T(callback_stops_the_walk), T(index_length_must_match))
