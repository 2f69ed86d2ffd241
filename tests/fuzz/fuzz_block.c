/*
 * A whole block in the in-memory backend, read by the streaming block
 * reader and searched by tc_block_find. Input layout:
 *   u8 flags | u16le n | meta.json (n) | u16le n | index (n) | data (rest)
 * The keys come from the meta's tenant and block ID. Flags:
 *   1: repair every index page's length, header and checksum (the fuzzer
 *      cannot forge xxHash64; this lets it reach the record checks)
 *   2: store an all-ones bloom file so every lookup passes the bloom
 *   4, 8: small read chunks (64 bytes, 4 KiB) instead of the default
 * After a clean full read, every object read (up to 8) must be found by
 * tc_block_find with the same body, and the block compacted alone (every
 * body passes the merge undecoded) either fails as corrupt or writes a
 * block that tc_block_verify (inspect) accepts; with the all-ones bloom, a
 * block that verifies always compacts.
 */
#include <string.h>

#include "encoding/block_reader.h"
#include "encoding/block_verify.h"
#include "encoding/block_writer.h"
#include "encoding/bloom.h"
#include "encoding/merge.h"
#include "encoding/hash.h"
#include "tests/fuzz/fuzz.h"
#include "src/backend/backend.h"
#include "src/util/ids.h"

#define MAX_CHECK 8

static void fix_index(uint8_t *idx, size_t len, uint32_t psize)
{
	for (size_t off = 0; psize >= TC_INDEX_PAGE_HEADER_LEN && len - off >= psize; off += psize) {
		uint8_t *p = idx + off;
		tc_put_u32le(p, psize);
		p[4] = 8;
		p[5] = 0;
		tc_put_u64le(p + 6, tc_xxh64(p + TC_INDEX_PAGE_HEADER_LEN,
					     psize - TC_INDEX_PAGE_HEADER_LEN));
	}
}

static int put(tc_backend *be, const tc_meta *m, const char *name, const void *p, size_t n)
{
	char key[TC_KEY_MAX];
	if (tc_key_block(key, sizeof(key), m->tenant, m->block_id, name) < 0)
		return -1;
	return tc_backend_write(be, key, p, n);
}

/* Never write what cannot be read back: the merge of the block alone, written and verified. */
static void compact_alone(tc_backend *be, const tc_meta *m, const tc_block_read_opts *opts, int verified)
{
	tc_block_write_opts wo = { .tenant = m->tenant, .data_encoding = m->data_encoding, .level = 1,
				   .start = m->start, .end = m->end,
				   .estimated_objects = (uint64_t)m->total_objects };
	tc_block_reader *r = NULL;
	tc_block_writer *w = NULL;
	tc_merge *mg = NULL;
	tc_block_verify_stats st;
	tc_object o;
	tc_meta out;
	int rc;

	tc_block_config_default(&wo.block);
	wo.block.encoding = TC_ENC_NONE; /* the bodies are the point, not the codec */
	FUZZ_ASSERT(tc_block_reader_open(&r, be, m, opts) == TC_OK, "reader open (compaction)");
	FUZZ_ASSERT(tc_merge_new(&mg, &r, 1, tc_data_kind_of(m->data_encoding), 0) == TC_OK, "merge");
	FUZZ_ASSERT(tc_block_writer_new(&w, be, &wo) == TC_OK, "writer");
	while ((rc = tc_merge_next(&o, mg)) == 1)
		if ((rc = tc_block_writer_add(w, o.id, o.id_len, o.body, o.body_len)) < 0)
			break;
	if (rc == 0)
		rc = tc_block_writer_finish(&out, w);
	if (rc == TC_OK) {
		FUZZ_ASSERT(tc_block_verify(&st, be, &out, NULL, NULL, NULL) == TC_OK,
			    "a block the compaction wrote passes inspect");
		FUZZ_ASSERT(st.objects == (uint64_t)m->total_objects, "every object written once");
	} else {
		FUZZ_ASSERT(fuzz_expected_rc(rc), "compaction return code");
		FUZZ_ASSERT(rc != TC_ECORRUPT || tc_merge_failed_input(mg) == 0, "a corrupt body names its input");
		/* an empty block is not written; a page past the fuzz reader's 1 MiB cap is its limit */
		FUZZ_ASSERT(!verified || rc == TC_ELIMIT || (rc == TC_EINVALID && m->total_objects == 0),
			    "a block that passes inspect compacts");
	}
	tc_block_writer_free(w);
	tc_merge_free(mg);
	tc_block_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_in in = { data, size };
	tc_backend *be = NULL;
	tc_block_reader *r = NULL;
	/* Small caps keep every input cheap; bombs end at them (docs/FORMAT.md#decompression-caps). */
	static const tc_page_limits limits = { 65536, 262144, 16, 1u << 20 };
	tc_block_read_opts opts = { 0, &limits, 0 };
	tc_meta m;
	const uint8_t *meta_p, *index_p;
	size_t meta_len, index_len, n_ids = 0;
	uint8_t *index = NULL, ids[MAX_CHECK][TC_ID_LEN];
	tc_buf bodies[MAX_CHECK];
	tc_record *recs = NULL;
	tc_object o;
	int flags, rc;

	flags = fuzz_u8(&in);
	meta_p = fuzz_take(&in, fuzz_u16(&in), &meta_len);
	index_p = fuzz_take(&in, fuzz_u16(&in), &index_len);
	if (tc_meta_parse(&m, (const char *)meta_p, meta_len, &(tc_where){ "fuzz/meta.json", 0 }) < 0)
		return 0;
	if (tc_tenant_validate(m.tenant) < 0)
		return 0; /* the poller refuses such metas before any reader sees them */
	if (flags & 4)
		opts.chunk_size_bytes = 64;
	else if (flags & 8)
		opts.chunk_size_bytes = 4096;
	if (flags & 16)
		opts.defer_objects_over = 32; /* bodies above 32 bytes read in pieces below */

	index = fuzz_dup(index_p, index_len);
	if (flags & 1)
		fix_index(index, index_len, m.index_page_size);
	if (tc_backend_mem_new(&be) < 0)
		abort();
	if (put(be, &m, "meta.json", meta_p, meta_len) < 0 || put(be, &m, "index", index, index_len) < 0 ||
	    put(be, &m, "data", in.p, in.left) < 0)
		goto cleanup;
	if (flags & 2) {
		uint8_t bloom[24 + 8];
		char name[24];
		memset(bloom, 0, 24);
		bloom[7] = 64;  /* m */
		bloom[15] = 1;  /* k */
		bloom[23] = 64; /* bitset length */
		memset(bloom + 24, 0xff, 8);
		for (unsigned s = 0; s < (m.bloom_shards ? m.bloom_shards : TC_BLOOM_LEGACY_SHARDS);
		     s++) {
			snprintf(name, sizeof(name), "bloom-%u", s);
			if (put(be, &m, name, bloom, sizeof(bloom)) < 0)
				goto cleanup;
		}
	}

	FUZZ_ASSERT(tc_block_reader_open(&r, be, &m, &opts) == TC_OK, "reader open");
	while ((rc = tc_block_reader_next(&o, r)) == 1) {
		FUZZ_ASSERT(o.id_len == TC_ID_LEN, "object ID length");
		tc_buf *keep = NULL;
		if (n_ids < MAX_CHECK) {
			keep = &bodies[n_ids];
			memcpy(ids[n_ids], o.id, TC_ID_LEN);
			tc_buf_init(&bodies[n_ids], 0);
			if (o.body)
				FUZZ_ASSERT(tc_buf_put(&bodies[n_ids], o.body, o.body_len) == TC_OK, "copy");
			n_ids++;
		}
		while (!o.body && tc_block_reader_body_left(r) > 0) {
			const uint8_t *p;
			size_t n = tc_block_reader_body_left(r) < 5 ? (size_t)tc_block_reader_body_left(r) : 5;
			if ((rc = tc_block_reader_body(&p, r, n)) < 0)
				break;
			if (keep)
				FUZZ_ASSERT(tc_buf_put(keep, p, n) == TC_OK, "copy");
		}
		if (rc < 0)
			break;
	}
	FUZZ_ASSERT(fuzz_expected_rc(rc), "reader return code");
	FUZZ_ASSERT(tc_block_reader_next(&o, r) == rc, "reader errors and the end are sticky");

	if (rc == 0) {
		tc_block_verify_stats vst;
		int verified;

		FUZZ_ASSERT(tc_block_read_index(&recs, be, &m) == TC_OK,
			    "a block that reads cleanly has a readable index");
		free(recs);
		rc = tc_block_verify(&vst, be, &m, &opts, NULL, NULL);
		FUZZ_ASSERT(fuzz_expected_rc(rc), "verify return code");
		verified = rc == TC_OK && (flags & 2);
		compact_alone(be, &m, &opts, verified);
		rc = 0;
	}
	for (size_t i = 0; i < n_ids; i++) {
		tc_buf found = TC_BUF_INIT;
		int fr = tc_block_find(&found, be, &m, ids[i], &limits);

		FUZZ_ASSERT(fuzz_expected_rc(fr), "find return code");
		if (rc == 0 && (flags & 2)) {
			FUZZ_ASSERT(fr == TC_OK, "every object of a clean block is found");
			FUZZ_ASSERT(found.len == bodies[i].len &&
					    (!found.len ||
					     memcmp(found.ptr, bodies[i].ptr, found.len) == 0),
				    "find returns the body the reader read");
		}
		tc_buf_dispose(&found);
		tc_buf_dispose(&bodies[i]);
	}
	{
		tc_buf found = TC_BUF_INIT;
		FUZZ_ASSERT(fuzz_expected_rc(tc_block_find(&found, be, &m, m.min_id, &limits)),
			    "find return code (minID)");
		tc_buf_dispose(&found);
	}
cleanup:
	tc_block_reader_free(r);
	tc_backend_free(be);
	free(index);
	return 0;
}
