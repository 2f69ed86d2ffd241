/*
 * Index and bloom rebuilt from the data file alone (encoding/block_rebuild.h)
 * come out byte for byte as Tempo 1.5 wrote them for its fixture blocks and
 * as our writer wrote them for a block of many pages, index pages and bloom
 * shards; damaged data and wrong bloom settings are refused.
 */
#include <libgen.h>
#include <stdlib.h>

#include "tests/test.h"
#include "tests/unit/fixture_blocks.h"

#include "encoding/block_rebuild.h"
#include "encoding/block_writer.h"
#include "encoding/bloom.h"
#include "src/compactor/blocklist.h"

static void compare(tc_backend *be, const tc_meta *m, const char *name, const tc_buf *made)
{
	char key[TC_KEY_MAX];
	tc_buf want = TC_BUF_INIT;

	CHECK_OK(tc_key_block(key, sizeof(key), m->tenant, m->block_id, name));
	CHECK_OK(tc_backend_read(&want, be, key));
	CHECK_MSG(want.len == made->len && memcmp(want.ptr, made->ptr, want.len) == 0,
		  "%s: rebuilt %zu bytes differ from the %zu written", key, made->len, want.len);
	tc_buf_dispose(&want);
}

static void rebuild_and_compare(tc_backend *be, const tc_meta *m, double fp, uint32_t shard_size)
{
	tc_buf index = TC_BUF_INIT, *shards = NULL;
	uint16_t n = 0;
	char name[16];

	CHECK_OK(tc_block_rebuild_index(&index, be, m, NULL));
	compare(be, m, "index", &index);
	CHECK_OK(tc_block_rebuild_bloom(&shards, &n, be, m, NULL, fp, shard_size));
	CHECK_EQ_U64(n, m->bloom_shards);
	for (uint16_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "bloom-%u", (unsigned)i);
		compare(be, m, name, &shards[i]);
	}
	tc_block_rebuild_bloom_free(shards, n);
	tc_buf_dispose(&index);
}

/* Every Tempo fixture block, level 0 and compacted (tests/data/README.md: fp 0.01, shards of 100000), and Tempo's own test block. */
static void tempo_fixtures(void)
{
	const fixture_blocks *fb = fixture_blocks_all();
	size_t done = 0;

	CHECK(fb->n > 0);
	for (size_t i = 0; i < fb->n; i++) {
		char dir[1024], block[1024], tenant[1024], root[1024];
		tc_backend *be = NULL;
		tc_meta m;
		snprintf(dir, sizeof(dir), "%s", fb->dir[i]);
		snprintf(block, sizeof(block), "%s", basename(dir));
		snprintf(dir, sizeof(dir), "%s", fb->dir[i]);
		snprintf(root, sizeof(root), "%s", dirname(dir));
		snprintf(tenant, sizeof(tenant), "%s", basename(root));
		snprintf(dir, sizeof(dir), "%s", root);
		snprintf(root, sizeof(root), "%s", dirname(dir));
		if (!fixture_has(fb->dir[i], "index") || tc_tenant_validate(tenant) < 0)
			continue; /* the fake-repo set holds metas only */
		CHECK_OK(tc_backend_local_new(&be, root));
		CHECK_OK(tc_blocklist_read_meta(&m, be, tenant, block));
		/* Tempo's own v2test block was written with shards of 10000 bytes. */
		rebuild_and_compare(be, &m, 0.01, strcmp(tenant, "fake") ? 100000 : 10000);
		tc_backend_free(be);
		done++;
	}
	CHECK(done >= 11);
}

/* estimate: the objects the writer sizes its bloom for (a compaction: its inputs', duplicates included). */
static int write_block(tc_meta *out, tc_backend *be, size_t n_objects, uint64_t estimate)
{
	tc_block_write_opts wo = { .tenant = "t", .data_encoding = "v2", .level = 1,
				   .estimated_objects = estimate, .flush_size_bytes = 10000 };
	tc_block_writer *w = NULL;
	uint8_t body[300];
	uint64_t seed = 7;
	int rc = TC_OK;

	wo.block = (tc_block_config){ TC_ENC_ZSTD, 2048, 200, 0.01, 256, 0, 0 };
	wo.start = tc_time_from_unix(1000, 0);
	wo.end = tc_time_from_unix(2000, 0);
	if ((rc = tc_block_writer_new(&w, be, &wo)) < 0)
		return rc;
	for (size_t i = 0; i < n_objects && rc == TC_OK; i++) {
		uint8_t id[TC_ID_LEN] = { 0 };
		size_t len = 1 + tc_test_rand(&seed) % (sizeof(body) - 1);
		tc_put_u64le(id + 8, __builtin_bswap64(i * 13 + 5));
		for (size_t k = 0; k < len; k++)
			body[k] = (uint8_t)tc_test_rand(&seed);
		rc = tc_block_writer_add(w, id, TC_ID_LEN, body, len);
	}
	if (rc == TC_OK)
		rc = tc_block_writer_finish(out, w);
	tc_block_writer_free(w);
	return rc;
}

/* Our writer: many data pages, several index pages, several bloom shards. */
static void own_writer(void)
{
	tc_backend *be = NULL;
	tc_meta m;

	CHECK_OK(tc_backend_mem_new(&be));
	CHECK_OK(write_block(&m, be, 2000, 2000));
	CHECK_MSG(m.total_records > 20 && m.bloom_shards > 2 &&
			  m.total_records > tc_index_records_per_page(m.index_page_size),
		  "want many pages and shards: %u records, %u shards", m.total_records, (unsigned)m.bloom_shards);
	rebuild_and_compare(be, &m, 0.01, 256);
	tc_backend_free(be);
	/* A compaction's output: its bloom sized for 3x the objects it kept, so more shards than they need. */
	CHECK_OK(tc_backend_mem_new(&be));
	CHECK_OK(write_block(&m, be, 2000, 6000));
	CHECK_MSG(m.bloom_shards > tc_bloom_shards_for(2000, 0.01, 256), "%u shards", (unsigned)m.bloom_shards);
	rebuild_and_compare(be, &m, 0.01, 256);
	tc_backend_free(be);
}

static void refused(void)
{
	tc_backend *be = NULL;
	tc_buf data = TC_BUF_INIT, out = TC_BUF_INIT, *shards = NULL;
	char key[TC_KEY_MAX];
	uint16_t n = 0;
	tc_meta m, bad;

	CHECK_OK(tc_backend_mem_new(&be));
	CHECK_OK(write_block(&m, be, 500, 500));
	/* Settings that give more shards than the block has for its objects. */
	CHECK_ERR(tc_block_rebuild_bloom(&shards, &n, be, &m, NULL, 0.01, 8), TC_EINVALID);
	CHECK_ERRMSG("use the settings the block was written with");
	/* A meta that disagrees with the data: no index made for it. */
	bad = m;
	bad.total_objects--;
	CHECK_ERR(tc_block_rebuild_index(&out, be, &bad, NULL), TC_ECORRUPT);
	CHECK_ERRMSG("totalObjects");
	/* A truncated data file, with the meta's size adjusted or not. */
	CHECK_OK(tc_key_block(key, sizeof(key), m.tenant, m.block_id, "data"));
	CHECK_OK(tc_backend_read(&data, be, key));
	CHECK_OK(tc_backend_write(be, key, data.ptr, data.len - 100));
	CHECK_ERR(tc_block_rebuild_index(&out, be, &m, NULL), TC_ECORRUPT);
	CHECK_ERRMSG("meta.json says size");
	bad = m;
	bad.size = data.len - 100;
	CHECK_ERR(tc_block_rebuild_index(&out, be, &bad, NULL), TC_ECORRUPT);
	CHECK_EQ_U64(out.len, 0);
	tc_buf_dispose(&data);
	tc_buf_dispose(&out);
	tc_backend_free(be);
}

TC_TEST_MAIN(T(tempo_fixtures), T(own_writer), T(refused))
