/*
 * Block reader and writer against real Tempo blocks: every fixture reads
 * with its counts and checks; rewriting an uncompressed fixture with the
 * same parameters reproduces Tempo's files byte for byte; what we write in
 * any encoding reads back and is found the way a querier looks.
 */
#include <stdlib.h>

#include "encoding/block_reader.h"
#include "encoding/block_writer.h"
#include "encoding/trace.h"
#include "src/backend/backend.h"
#include "src/compactor/blocklist.h"
#include "tests/test.h"

static const char *SETS[] = { "zstd", "snappy", "none", "gzip", "lz4-1M", "zstd-tempo-compacted",
			      "snappy-tempo-compacted", "none-tempo-compacted", "gzip-tempo-compacted",
			      "lz4-1M-tempo-compacted" };
#define NSETS (sizeof(SETS) / sizeof(SETS[0]))

static int open_set(tc_backend **be, tc_blocklist *bl, const char *set, const char *tenant)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "tempo-v2/%s/blocks", set);
	if (tc_backend_local_new(be, tc_test_data(rel)) < 0)
		return -1;
	return tc_blocklist_read_tenant(bl, *be, tenant);
}

static void read_all_fixture_blocks(void)
{
	for (size_t s = 0; s < NSETS + 1; s++) {
		const char *set = s < NSETS ? SETS[s] : "tempo-repo-fake";
		const char *tenant = s < NSETS ? "single-tenant" : "fake";
		tc_backend *be = NULL;
		tc_blocklist bl;
		CHECK_OK(open_set(&be, &bl, set, tenant));
		CHECK_MSG(bl.n_live >= 1 && bl.skipped == 0, "%s: %zu live blocks", set, bl.n_live);
		for (size_t i = 0; i < bl.n_live; i++) {
			tc_block_reader *r;
			tc_object o;
			int64_t n = 0;
			uint64_t spans = 0;
			int rc;
			tc_data_kind kind = tc_data_kind_of(bl.live[i].data_encoding);
			CHECK_OK(tc_block_reader_open(&r, be, &bl.live[i], NULL));
			while ((rc = tc_block_reader_next(&o, r)) == 1) {
				size_t sp = 0;
				tc_where w = { "fixture", 0 };
				n++;
				CHECK_OK(tc_trace_validate(&sp, kind, o.body, o.body_len, &w));
				spans += sp;
			}
			CHECK_MSG(rc == 0, "%s/%s: %s", set, bl.live[i].block_id, tc_error_last());
			CHECK_EQ_U64(n, bl.live[i].total_objects);
			CHECK(kind == TC_DATA_OPAQUE || spans >= (uint64_t)n);
			tc_block_reader_free(r);
		}
		if (s == NSETS)
			CHECK_STR(bl.live[0].data_encoding, "foo");
		tc_blocklist_dispose(&bl);
		tc_backend_free(be);
	}
}

static void compare_key(tc_backend *a, tc_backend *b, const char *key)
{
	tc_buf x = TC_BUF_INIT, y = TC_BUF_INIT;
	CHECK_OK(tc_backend_read(&x, a, key));
	CHECK_OK(tc_backend_read(&y, b, key));
	CHECK_MSG(x.len == y.len && memcmp(x.ptr, y.ptr, x.len) == 0, "%s differs (%zu vs %zu bytes)", key,
		  x.len, y.len);
	tc_buf_dispose(&x);
	tc_buf_dispose(&y);
}

/* Rewrites every block of an uncompressed set with its own parameters. */
static void rewrite_matches_tempo_bytes(void)
{
	const char *sets[] = { "none", "none-tempo-compacted" };
	for (size_t s = 0; s < 2; s++) {
		tc_backend *be = NULL, *mem = NULL;
		tc_blocklist bl;
		CHECK_OK(open_set(&be, &bl, sets[s], "single-tenant"));
		CHECK_OK(tc_backend_mem_new(&mem));
		for (size_t i = 0; i < bl.n_live; i++) {
			const tc_meta *m = &bl.live[i];
			tc_block_write_opts wo = { .tenant = m->tenant, .block_id = m->block_id,
						   .data_encoding = m->data_encoding, .level = m->level,
						   .start = m->start, .end = m->end };
			tc_block_reader *r;
			tc_block_writer *w;
			tc_object o;
			tc_meta out;
			char key[TC_KEY_MAX];
			int rc;
			wo.block = (tc_block_config){ TC_ENC_NONE, 1u << 20, m->index_page_size, 0.01, 100000, 0, 0 };
			/* The compacted block's bloom was sized for the 600 input objects. */
			wo.estimated_objects = m->level == 0 ? (uint64_t)m->total_objects : 600;
			CHECK_OK(tc_block_reader_open(&r, be, m, NULL));
			CHECK_OK(tc_block_writer_new(&w, mem, &wo));
			while ((rc = tc_block_reader_next(&o, r)) == 1)
				CHECK_OK(tc_block_writer_add(w, o.id, o.id_len, o.body, o.body_len));
			CHECK_EQ_U64(rc, 0);
			CHECK_OK(tc_block_writer_finish(&out, w));
			tc_block_writer_free(w);
			tc_block_reader_free(r);
			const char *names[] = { "data", "index", "bloom-0", "meta.json" };
			for (size_t k = 0; k < 4; k++) {
				tc_key_block(key, sizeof(key), m->tenant, m->block_id, names[k]);
				compare_key(be, mem, key);
			}
		}
		tc_blocklist_dispose(&bl);
		tc_backend_free(be);
		tc_backend_free(mem);
	}
}

static void find_every_fixture_trace(void)
{
	for (size_t s = 0; s < NSETS; s++) {
		tc_backend *be = NULL;
		tc_blocklist bl;
		CHECK_OK(open_set(&be, &bl, SETS[s], "single-tenant"));
		for (size_t i = 0; i < bl.n_live; i++) {
			tc_block_reader *r;
			tc_object o;
			tc_buf body = TC_BUF_INIT;
			uint8_t absent[TC_ID_LEN] = { 0 };
			CHECK_OK(tc_block_reader_open(&r, be, &bl.live[i], NULL));
			while (tc_block_reader_next(&o, r) == 1) {
				tc_buf_clear(&body);
				CHECK_OK(tc_block_find(&body, be, &bl.live[i], o.id, NULL));
				CHECK(body.len == o.body_len && memcmp(body.ptr, o.body, o.body_len) == 0);
			}
			CHECK_ERR(tc_block_find(&body, be, &bl.live[i], absent, NULL), TC_ENOTFOUND);
			tc_buf_dispose(&body);
			tc_block_reader_free(r);
		}
		tc_blocklist_dispose(&bl);
		tc_backend_free(be);
	}
}

/* A v2 body whose bytes depend on seed; not a real trace, only framed like one. */
static void make_body(tc_buf *b, uint64_t *seed, size_t len)
{
	tc_buf_clear(b);
	tc_buf_put_u32le(b, 100);
	tc_buf_put_u32le(b, 200);
	tc_buf_putc(b, 0x0a); /* TraceBytes.traces, one entry of opaque bytes */
	tc_buf_putc(b, (uint8_t)len);
	for (size_t i = 0; i < len; i++)
		tc_buf_putc(b, (uint8_t)(tc_test_rand(seed) % 7));
}

static void roundtrip_every_encoding(void)
{
	for (int e = 0; e < TC_ENC_COUNT; e++) {
		tc_backend *mem = NULL;
		tc_block_writer *w = NULL;
		tc_block_reader *r = NULL;
		tc_buf body = TC_BUF_INIT, found = TC_BUF_INIT;
		uint64_t seed = 42;
		tc_meta m;
		tc_object o;
		const size_t N = 3000;
		if (!tc_encoding_can_write((tc_encoding)e))
			continue;
		tc_block_write_opts wo = { .tenant = "t1", .data_encoding = "v2", .level = 3,
					   .estimated_objects = N, .flush_size_bytes = 10000 };
		wo.block = (tc_block_config){ (tc_encoding)e, 4096, 1000, 0.01, 512, 0, 0 };
		wo.start = tc_time_from_unix(1000, 0);
		wo.end = tc_time_from_unix(2000, 0);
		CHECK_OK(tc_backend_mem_new(&mem));
		CHECK_OK(tc_block_writer_new(&w, mem, &wo));
		for (size_t i = 0; i < N; i++) {
			uint8_t id[TC_ID_LEN] = { 0 };
			tc_put_u64le(id + 8, __builtin_bswap64(i * 7 + 1));
			make_body(&body, &seed, 20 + i % 100);
			CHECK_OK(tc_block_writer_add(w, id, TC_ID_LEN, body.ptr, body.len));
		}
		CHECK_OK(tc_block_writer_finish(&m, w));
		tc_block_writer_free(w);
		CHECK(m.total_records > 35); /* more than one index page */
		CHECK(m.bloom_shards > 1);
		CHECK_EQ_U64(m.total_objects, N);
		/* Read back through a fresh parse of what was written. */
		tc_meta parsed;
		tc_buf js = TC_BUF_INIT;
		char key[TC_KEY_MAX];
		tc_key_block(key, sizeof(key), "t1", m.block_id, "meta.json");
		CHECK_OK(tc_backend_read(&js, mem, key));
		CHECK_OK(tc_meta_parse(&parsed, (const char *)js.ptr, js.len, &(tc_where){ key, 0 }));
		tc_buf_dispose(&js);
		tc_block_read_opts ro = { 8192, 0, 0 };
		CHECK_OK(tc_block_reader_open(&r, mem, &parsed, &ro));
		seed = 42;
		for (size_t i = 0; i < N; i++) {
			CHECK_EQ_U64(tc_block_reader_next(&o, r), 1);
			make_body(&body, &seed, 20 + i % 100);
			CHECK(o.body_len == body.len && !memcmp(o.body, body.ptr, body.len));
			if (i % 97 == 0) {
				tc_buf_clear(&found);
				CHECK_OK(tc_block_find(&found, mem, &parsed, o.id, NULL));
				CHECK(found.len == body.len && !memcmp(found.ptr, body.ptr, body.len));
			}
		}
		CHECK_EQ_U64(tc_block_reader_next(&o, r), 0);
		uint8_t absent[TC_ID_LEN] = { 0 };
		absent[15] = 2; /* between written IDs */
		CHECK_ERR(tc_block_find(&found, mem, &parsed, absent, NULL), TC_ENOTFOUND);
		tc_block_reader_free(r);
		tc_buf_dispose(&body);
		tc_buf_dispose(&found);
		tc_backend_free(mem);
	}
}

/*
 * Reads a block into one buffer of (id, body) records. Deferred bodies are
 * read in pieces of varying size; with skip_deferred they are left to the
 * next call instead, and only their IDs and lengths recorded.
 */
static int read_flat(tc_buf *out, tc_backend *be, const tc_meta *m, const tc_block_read_opts *ro,
		     int skip_deferred, size_t *deferred)
{
	tc_block_reader *r;
	tc_object o;
	int rc;

	tc_buf_clear(out);
	if ((rc = tc_block_reader_open(&r, be, m, ro)) < 0)
		return rc;
	while ((rc = tc_block_reader_next(&o, r)) == 1) {
		tc_buf_put(out, o.id, o.id_len);
		tc_buf_put_u64le(out, o.body_len);
		if (o.body) {
			tc_buf_put(out, o.body, o.body_len);
			continue;
		}
		(*deferred)++;
		if (skip_deferred)
			continue;
		for (size_t step = 1; tc_block_reader_body_left(r) > 0; step = step * 3 + 1) {
			const uint8_t *p;
			size_t n = tc_block_reader_body_left(r) < step ? (size_t)tc_block_reader_body_left(r) : step;
			if ((rc = tc_block_reader_body(&p, r, n)) < 0)
				goto done;
			tc_buf_put(out, p, n);
		}
	}
done:
	tc_block_reader_free(r);
	return rc;
}

/* Pages read piece by piece, decompressed through the window, objects deferred: same bytes. */
static void streamed_reads_match_whole_reads(void)
{
	static const tc_block_read_opts variants[] = {
		{ 1, 0, 0 }, { 700, 0, 0 }, { 1, 0, 50 }, { 3000, 0, 200 }, { 0, 0, 1 },
	};
	size_t deferred = 0, blocks = 0;

	for (size_t s = 0; s < NSETS + 1; s++) {
		const char *set = s < NSETS ? SETS[s] : "tempo-repo-fake";
		tc_backend *be = NULL;
		tc_blocklist bl;
		CHECK_OK(open_set(&be, &bl, set, s < NSETS ? "single-tenant" : "fake"));
		for (size_t i = 0; i < bl.n_live; i++, blocks++) {
			tc_buf whole = TC_BUF_INIT, got = TC_BUF_INIT, ids = TC_BUF_INIT;
			CHECK_OK(read_flat(&whole, be, &bl.live[i], NULL, 0, &deferred));
			for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
				int rc = read_flat(&got, be, &bl.live[i], &variants[v], 0, &deferred);
				CHECK_MSG(rc == 0 && got.len == whole.len && !memcmp(got.ptr, whole.ptr, whole.len),
					  "%s/%s variant %zu: rc %d (%s), %zu vs %zu bytes", set,
					  bl.live[i].block_id, v, rc, tc_error_last(), got.len, whole.len);
			}
			/* Deferred bodies left unread are skipped; every object still comes. */
			CHECK_OK(read_flat(&ids, be, &bl.live[i], &variants[2], 1, &deferred));
			CHECK(ids.len > 0 && ids.len <= whole.len);
			tc_buf_dispose(&whole);
			tc_buf_dispose(&got);
			tc_buf_dispose(&ids);
		}
		tc_blocklist_dispose(&bl);
		tc_backend_free(be);
	}
	CHECK(blocks > 20 && deferred > 1000);
}

/* One object far larger than a chunk, in every encoding: streamed, deferred, skipped. */
static void large_object_streams(void)
{
	for (int e = 0; e < TC_ENC_COUNT; e++) {
		tc_backend *mem = NULL;
		tc_block_writer *w = NULL;
		tc_buf big = TC_BUF_INIT, small = TC_BUF_INIT, whole = TC_BUF_INIT, got = TC_BUF_INIT;
		uint64_t seed = 7;
		size_t deferred = 0;
		tc_meta m;
		if (!tc_encoding_can_write((tc_encoding)e))
			continue;
		tc_block_write_opts wo = { .tenant = "t1", .data_encoding = "v2", .estimated_objects = 3 };
		tc_block_config_default(&wo.block);
		wo.block.encoding = (tc_encoding)e;
		CHECK_OK(tc_backend_mem_new(&mem));
		CHECK_OK(tc_block_writer_new(&w, mem, &wo));
		make_body(&small, &seed, 100);
		make_body(&big, &seed, 200);
		for (size_t i = 0; i < 3000000 / 8; i++) /* compressible but not constant */
			tc_buf_put_u64le(&big, tc_test_rand(&seed) % 16);
		for (uint8_t k = 1; k <= 3; k++) {
			uint8_t id[TC_ID_LEN] = { 0 };
			id[15] = k;
			CHECK_OK(tc_block_writer_add(w, id, TC_ID_LEN, k == 2 ? big.ptr : small.ptr,
						     k == 2 ? big.len : small.len));
		}
		CHECK_OK(tc_block_writer_finish(&m, w));
		tc_block_writer_free(w);
		CHECK_OK(read_flat(&whole, mem, &m, NULL, 0, &deferred));
		tc_block_read_opts ro = { 65536, 0, 100000 };
		CHECK_OK(read_flat(&got, mem, &m, &ro, 0, &deferred));
		CHECK_MSG(got.len == whole.len && !memcmp(got.ptr, whole.ptr, whole.len), "%s",
			  tc_encoding_name((tc_encoding)e));
		CHECK_OK(read_flat(&got, mem, &m, &ro, 1, &deferred));
		CHECK_EQ_U64(deferred, 2);
		/* The decompressed page cap still holds for a page read through the window. */
		tc_page_limits lim = { 1u << 20, 0, 16, 1000000 };
		ro.limits = &lim;
		CHECK_ERR(read_flat(&got, mem, &m, &ro, 1, &deferred), TC_ELIMIT);
		tc_buf_dispose(&big);
		tc_buf_dispose(&small);
		tc_buf_dispose(&whole);
		tc_buf_dispose(&got);
		tc_backend_free(mem);
	}
}

static void writer_refuses_bad_input_and_cleans_up(void)
{
	tc_backend *mem = NULL;
	tc_block_writer *w = NULL;
	tc_strlist l = TC_STRLIST_INIT;
	uint8_t id[TC_ID_LEN] = { 5 };
	tc_block_write_opts wo = { .tenant = "t1", .data_encoding = "v2", .estimated_objects = 10 };
	tc_block_config_default(&wo.block);
	wo.flush_size_bytes = 1;
	wo.block.index_downsample_bytes = 10;
	CHECK_OK(tc_backend_mem_new(&mem));
	CHECK_OK(tc_block_writer_new(&w, mem, &wo));
	CHECK_OK(tc_block_writer_add(w, id, TC_ID_LEN, (const uint8_t *)"0123456789abcdef", 16));
	CHECK_ERR(tc_block_writer_add(w, id, TC_ID_LEN, (const uint8_t *)"x", 1), TC_EINVALID);
	CHECK_ERR(tc_block_writer_add(w, id, 8, (const uint8_t *)"x", 1), TC_EINVALID);
	/* Data was flushed already; dropping the writer must remove it. */
	tc_block_writer_free(w);
	CHECK_OK(tc_backend_list(&l, mem, "t1/"));
	CHECK_EQ_U64(l.n, 0);
	CHECK_OK(tc_block_writer_new(&w, mem, &wo));
	CHECK_ERR(tc_block_writer_finish(NULL, w), TC_EINVALID);
	tc_block_writer_free(w);
	wo.tenant = "../x";
	CHECK_ERR(tc_block_writer_new(&w, mem, &wo), TC_EINVALID);
	tc_strlist_dispose(&l);
	tc_backend_free(mem);
}

/* What the before_commit hook saw of the block, and what it answers. */
typedef struct commit_probe {
	tc_backend *be;
	const char *block_id;
	int calls;
	int had_index, had_meta;
	int answer;
} commit_probe;

static int probe_commit(void *ctx)
{
	commit_probe *p = ctx;
	char key[TC_KEY_MAX];
	tc_stat st;

	p->calls++;
	tc_key_block(key, sizeof(key), "t1", p->block_id, "index");
	p->had_index = tc_backend_stat(&st, p->be, key) == TC_OK;
	tc_key_block(key, sizeof(key), "t1", p->block_id, "meta.json");
	p->had_meta = tc_backend_stat(&st, p->be, key) == TC_OK;
	if (p->answer != TC_OK)
		tc_error_set("lock lost");
	return p->answer;
}

/*
 * before_commit runs once, after index and bloom are stored and before
 * meta.json; a refusal is finish's result and the whole block goes with
 * the writer, so nothing of it stays visible or behind.
 */
static void writer_before_commit_can_withdraw(void)
{
	static const char *id_str = "0b0b0b0b-0000-4000-8000-000000000001";
	tc_backend *mem = NULL;
	tc_block_writer *w = NULL;
	tc_strlist l = TC_STRLIST_INIT;
	commit_probe p = { .block_id = id_str, .answer = TC_ECONFLICT };
	uint8_t id[TC_ID_LEN] = { 5 };
	tc_block_write_opts wo = { .tenant = "t1", .data_encoding = "v2", .estimated_objects = 10,
				   .block_id = id_str, .before_commit = probe_commit, .before_commit_ctx = &p };
	tc_meta m;

	tc_block_config_default(&wo.block);
	CHECK_OK(tc_backend_mem_new(&mem));
	p.be = mem;
	CHECK_OK(tc_block_writer_new(&w, mem, &wo));
	CHECK_OK(tc_block_writer_add(w, id, TC_ID_LEN, (const uint8_t *)"0123456789abcdef", 16));
	CHECK_ERR(tc_block_writer_finish(&m, w), TC_ECONFLICT);
	CHECK_ERRMSG("lock lost");
	CHECK(p.calls == 1 && p.had_index && !p.had_meta);
	tc_block_writer_free(w);
	CHECK_OK(tc_backend_list(&l, mem, "t1/"));
	CHECK_EQ_U64(l.n, 0);

	p.answer = TC_OK;
	p.calls = 0;
	CHECK_OK(tc_block_writer_new(&w, mem, &wo));
	CHECK_OK(tc_block_writer_add(w, id, TC_ID_LEN, (const uint8_t *)"0123456789abcdef", 16));
	CHECK_OK(tc_block_writer_finish(&m, w));
	tc_block_writer_free(w);
	CHECK(p.calls == 1 && p.had_index && !p.had_meta);
	CHECK_EQ_U64(m.total_objects, 1);
	{
		char key[TC_KEY_MAX];
		tc_stat st;
		tc_key_block(key, sizeof(key), "t1", id_str, "meta.json");
		CHECK_OK(tc_backend_stat(&st, mem, key));
	}
	tc_strlist_dispose(&l);
	tc_backend_free(mem);
}

/* Writes one block of `objects` zero bodies of `body` bytes, all in one page. */
static int write_zero_block(tc_meta *m, tc_backend *be, tc_encoding enc, size_t objects, size_t body)
{
	tc_block_write_opts wo = { .tenant = "t1", .data_encoding = "v2", .estimated_objects = objects };
	tc_block_writer *w = NULL;
	uint8_t *zeros = calloc(1, body);
	int rc = zeros ? TC_OK : TC_ERROR;

	tc_block_config_default(&wo.block);
	wo.block.index_downsample_bytes = INT32_MAX;
	wo.block.encoding = enc;
	if (rc == TC_OK)
		rc = tc_block_writer_new(&w, be, &wo);
	for (size_t i = 0; rc == TC_OK && i < objects; i++) {
		uint8_t id[TC_ID_LEN] = { 0 };
		id[15] = (uint8_t)(i + 1);
		rc = tc_block_writer_add(w, id, TC_ID_LEN, zeros, body);
	}
	if (rc == TC_OK)
		rc = tc_block_writer_finish(m, w);
	tc_block_writer_free(w);
	free(zeros);
	return rc;
}

static int read_through(tc_backend *be, const tc_meta *m, const tc_page_limits *l, size_t chunk)
{
	tc_block_read_opts ro = { chunk, l, 0 };
	tc_block_reader *r;
	tc_object o;
	int rc;

	if ((rc = tc_block_reader_open(&r, be, m, &ro)) < 0)
		return rc;
	while ((rc = tc_block_reader_next(&o, r)) == 1)
		;
	tc_block_reader_free(r);
	return rc;
}

/*
 * docs/FORMAT.md#decompression-caps: a page of a few KB that decompresses
 * to 16 MiB is refused by the reader (held whole or read piece by piece)
 * and by tc_block_find at the writers' limits, 7298576 bytes by default:
 * at the first object whose header claims more than is left under the
 * cap, before decoding it; a zstd frame that declares more, at once;
 * anything else (here a header cut by the cap) when the decoded bytes
 * reach the cap. Limits that allow such pages read them.
 */
static void bomb_pages_fail_at_their_cap(void)
{
	tc_backend *mem = NULL;
	tc_meta one, many, sized;
	tc_buf found = TC_BUF_INIT;
	uint8_t last[TC_ID_LEN] = { 0 };
	tc_page_limits unlimited, roomy;

	CHECK_OK(tc_backend_mem_new(&mem));
	/* gzip and lz4 frames do not declare their size, our zstd frames do. */
	CHECK_OK(write_zero_block(&one, mem, TC_ENC_GZIP, 1, 16u << 20));
	/* Objects of 1042653 bytes: the 8th header starts 5 bytes short of the cap. */
	CHECK_OK(write_zero_block(&many, mem, TC_ENC_LZ4, 16, 1042653 - 24));
	CHECK_OK(write_zero_block(&sized, mem, TC_ENC_ZSTD, 16, 1u << 20));
	CHECK_MSG(one.size < 65536 && many.size < 100000 && sized.size < 65536, "sizes %llu, %llu, %llu",
		  (unsigned long long)one.size, (unsigned long long)many.size, (unsigned long long)sized.size);
	last[15] = 16;
	for (size_t chunk = 0; chunk <= 1024; chunk += 1024) { /* 1024: read piece by piece */
		CHECK_ERR(read_through(mem, &one, NULL, chunk), TC_ELIMIT);
		CHECK_ERRMSG("/data at offset 0: object at page position 0 claims 16777240 bytes, past "
			     "the page's cap of 7298576 decompressed bytes (storage.trace.block.index_downsample_bytes "
			     "1048576 + 1.25 x max_bytes_per_trace 5000000)");
		CHECK_ERR(read_through(mem, &many, NULL, chunk), TC_ELIMIT);
		CHECK_ERRMSG("/data at offset 0: lz4: decompresses to more than the cap of 7298576 bytes");
		CHECK_ERR(read_through(mem, &sized, NULL, chunk), TC_ELIMIT);
		CHECK_ERRMSG("/data at offset 0: zstd: stream declares 16777600 decompressed bytes, more than "
			     "the cap of 7298576");
	}
	CHECK_ERR(tc_block_find(&found, mem, &one, one.max_id, NULL), TC_ELIMIT);
	CHECK_ERRMSG("object at page position 0 claims 16777240 bytes, past the page's cap of 7298576");
	CHECK_ERR(tc_block_find(&found, mem, &many, last, NULL), TC_ELIMIT);
	CHECK_ERRMSG("lz4: decompresses to more than the cap of 7298576 bytes");
	CHECK(found.asize <= 2 * 7298576);
	CHECK_ERR(tc_block_find(&found, mem, &sized, last, NULL), TC_ELIMIT);
	CHECK_ERRMSG("zstd: stream declares 16777600 decompressed bytes");

	tc_page_limits_default(&unlimited);
	unlimited.max_bytes_per_trace = 0;
	tc_page_limits_default(&roomy);
	roomy.max_bytes_per_trace = 20000000;
	for (int i = 0; i < 2; i++) {
		const tc_page_limits *l = i ? &roomy : &unlimited;
		CHECK_OK(read_through(mem, &one, l, 0));
		CHECK_OK(read_through(mem, &many, l, 1024));
		CHECK_OK(read_through(mem, &sized, l, 0));
		tc_buf_clear(&found);
		CHECK_OK(tc_block_find(&found, mem, &many, last, l));
		CHECK_EQ_U64(found.len, 1042653 - 24);
		tc_buf_clear(&found);
		CHECK_OK(tc_block_find(&found, mem, &sized, last, l));
		CHECK_EQ_U64(found.len, 1u << 20);
	}
	tc_buf_dispose(&found);
	tc_backend_free(mem);
}

/* Dropping a failed writer removes its partial output and keeps the failure's message. */
static void writer_cleanup_keeps_the_message(void)
{
	tc_backend *be = NULL;
	tc_block_writer *w = NULL;
	uint8_t id[TC_ID_LEN] = { 5 };
	tc_block_write_opts wo = { .tenant = "t1", .data_encoding = "v2", .estimated_objects = 10 };

	/*
	 * Pages compressed (more than the two the queue holds), nothing stored
	 * yet: the clean-up finds no block directory.
	 */
	tc_block_config_default(&wo.block);
	wo.block.index_downsample_bytes = 10;
	CHECK_OK(tc_backend_local_new(&be, tc_test_tmpdir()));
	CHECK_OK(tc_block_writer_new(&w, be, &wo));
	for (int i = 0; i < 6; i++) {
		id[15] = (uint8_t)(i + 1);
		CHECK_OK(tc_block_writer_add(w, id, TC_ID_LEN, (const uint8_t *)"0123456789abcdef", 16));
	}
	CHECK_ERR(tc_block_writer_add(w, id, TC_ID_LEN, (const uint8_t *)"x", 1), TC_EINVALID);
	tc_block_writer_free(w);
	CHECK_ERRMSG("object IDs must be added in strictly ascending order");
	tc_backend_free(be);
}

TC_TEST_MAIN(T(read_all_fixture_blocks), T(rewrite_matches_tempo_bytes), T(find_every_fixture_trace),
	     T(roundtrip_every_encoding), T(streamed_reads_match_whole_reads), T(large_object_streams),
	     T(writer_refuses_bad_input_and_cleans_up), T(writer_before_commit_can_withdraw),
	     T(bomb_pages_fail_at_their_cap), T(writer_cleanup_keeps_the_message))
