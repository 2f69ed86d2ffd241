/*
 * Whole-block verification (`tracecompactor inspect`, the tests' check of
 * every block a compaction writes) and the per-object body check the
 * compaction job shares with it.
 */
#include "encoding/block_verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding/bloom.h"
#include "encoding/index.h"
#include "encoding/trace.h"

#define BLOOM_FILE_MAX (256u << 20)

int tc_block_check_object(size_t *spans, const tc_block_reader *r, const tc_object *o)
{
	const tc_meta *m = tc_block_reader_meta(r);
	char why[768], hex[2 * TC_ID_LEN + 1];
	tc_where page;
	uint64_t at;
	int rc;

	rc = tc_trace_validate(spans, tc_data_kind_of(m->data_encoding), o->body, o->body_len, NULL);
	if (rc == TC_OK)
		return TC_OK;
	/* The message is built only on failure: the check runs for every object a compaction passes. */
	snprintf(why, sizeof(why), "%s", tc_error_last());
	tc_block_reader_where(&page, &at, r);
	tc_hex_encode(hex, o->id, o->id_len < TC_ID_LEN ? o->id_len : TC_ID_LEN);
	tc_error_set_at(&page, "object at page position %llu, trace %s: %s", (unsigned long long)at, hex, why);
	return rc;
}

/* Tempo writes exactly ceil(totalRecords / R) pages; anything after them is not the index's. */
static int check_index_length(tc_backend *be, const tc_meta *m)
{
	char key[TC_KEY_MAX];
	tc_stat st;
	uint64_t want;
	int rc;

	if ((rc = tc_key_block(key, sizeof(key), m->tenant, m->block_id, "index")) < 0 ||
	    (rc = tc_backend_stat(&st, be, key)) < 0)
		return rc;
	want = (uint64_t)tc_index_page_count(m->total_records, m->index_page_size) * m->index_page_size;
	if (st.size != want) {
		tc_error_set("%s: file is %llu bytes but totalRecords %u in pages of indexPageSize %u make %llu",
			     key, (unsigned long long)st.size, m->total_records, m->index_page_size,
			     (unsigned long long)want);
		return TC_ECORRUPT;
	}
	return TC_OK;
}

typedef struct blooms {
	tc_buf *files;
	uint16_t n;
} blooms;

static int load_blooms(blooms *b, tc_backend *be, const tc_meta *m)
{
	b->n = m->bloom_shards ? m->bloom_shards : TC_BLOOM_LEGACY_SHARDS;
	b->files = calloc(b->n, sizeof(tc_buf));
	if (!b->files) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	for (uint16_t i = 0; i < b->n; i++) {
		char key[TC_KEY_MAX], name[16];
		int rc;
		snprintf(name, sizeof(name), "bloom-%u", (unsigned)i);
		tc_buf_init(&b->files[i], BLOOM_FILE_MAX);
		if ((rc = tc_key_block(key, sizeof(key), m->tenant, m->block_id, name)) < 0 ||
		    (rc = tc_backend_read(&b->files[i], be, key)) < 0)
			return rc;
	}
	return TC_OK;
}

static void free_blooms(blooms *b)
{
	for (uint16_t i = 0; b->files && i < b->n; i++)
		tc_buf_dispose(&b->files[i]);
	free(b->files);
}

static int check_bloom(const blooms *b, const tc_meta *m, const tc_object *o)
{
	char key[TC_KEY_MAX], name[16], hex[2 * TC_ID_LEN + 1];
	uint16_t shard = tc_bloom_shard_of(o->id, o->id_len, m->bloom_shards);
	int present = 0, rc;

	snprintf(name, sizeof(name), "bloom-%u", (unsigned)shard);
	if ((rc = tc_key_block(key, sizeof(key), m->tenant, m->block_id, name)) < 0)
		return rc;
	tc_where w = { key, 0 };
	if ((rc = tc_bloom_file_test(&present, b->files[shard].ptr, b->files[shard].len, o->id, o->id_len,
				     &w)) < 0)
		return rc;
	if (!present) {
		tc_hex_encode(hex, o->id, o->id_len);
		tc_error_set("%s: trace %s is missing from the bloom filter", key, hex);
		return TC_ECORRUPT;
	}
	return TC_OK;
}

int tc_block_verify(tc_block_verify_stats *out, tc_backend *be, const tc_meta *m, const tc_block_read_opts *ro,
		    tc_block_verify_fn each, void *ctx)
{
	blooms b = { 0 };
	tc_block_reader *r = NULL;
	tc_object o;
	uint64_t bytes;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_index_length(be, m)) < 0 || (rc = load_blooms(&b, be, m)) < 0 ||
	    (rc = tc_block_reader_open(&r, be, m, ro)) < 0)
		goto cleanup;
	out->bloom_shards = b.n;
	while ((rc = tc_block_reader_next(&o, r)) == 1) {
		size_t spans = 0;
		if ((rc = check_bloom(&b, m, &o)) < 0 || (rc = tc_block_check_object(&spans, r, &o)) < 0 ||
		    (each && (rc = each(ctx, &o)) < 0))
			goto cleanup;
		out->objects++;
		out->spans += spans;
	}
	if (rc < 0)
		goto cleanup;
	tc_block_reader_progress(&out->pages, &bytes, r);
cleanup:
	tc_block_reader_free(r);
	free_blooms(&b);
	return rc;
}
