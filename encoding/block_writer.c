/*
 * Streaming block writer (docs/FORMAT.md#page-cutting, docs/COMPACTOR.md#output-block). Memory
 * is the page being filled plus QUEUE_SLOTS pages waiting for compression,
 * the compressed pages not yet flushed, one index record per page and the
 * bloom filter.
 *
 * Compression, the most expensive step of a compaction, runs on its own
 * thread (the "stage"): the caller fills pages while the stage compresses
 * and appends the previous ones, so a merge that reads and decompresses on
 * one core keeps a second one busy. The stage owns the codec, the pending
 * buffer, the append handle and the records until it is joined.
 *
 * Order of writes: data (streamed), index, bloom shards, then meta.json.
 * meta.json is what makes a block exist for every reader, so it is always
 * the last object written; a writer that dies earlier leaves an invisible
 * partial block, never a wrong one.
 */
#include "encoding/block_writer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/array.h"
#include "encoding/bloom.h"
#include "encoding/index.h"
#include "encoding/page.h"

#define DEFAULT_FLUSH_SIZE (20u << 20)
#define QUEUE_SLOTS 2

typedef struct slot {
	tc_buf buf;
	uint8_t last_id[TC_ID_LEN];
} slot;

struct tc_block_writer {
	tc_backend *be;
	tc_block_write_opts opts;
	char tenant[TC_TENANT_MAX + 1];
	char block_id[TC_UUID_STR_LEN + 1];
	char data_encoding[TC_DATA_ENCODING_MAX];
	char key_data[TC_KEY_MAX];

	tc_codec *codec;
	tc_bloom *bloom;
	tc_buf page;    /* objects of the page being filled */
	tc_buf pending; /* framed pages not yet appended */
	tc_append *append;

	tc_record *recs;
	size_t nrecs, recs_cap;
	uint8_t page_last_id[TC_ID_LEN];
	uint8_t min_id[TC_ID_LEN];
	uint8_t max_id[TC_ID_LEN];
	uint64_t off; /* data bytes cut so far */
	int64_t objects;
	int data_committed, finished;

	/* The compression stage. */
	pthread_t stage;
	int stage_running;
	int mu_ready;
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_room;
	slot q[QUEUE_SLOTS];
	size_t q_head, q_count;
	int q_closed;
	int stage_err; /* sticky; its message is in stage_msg (errors are per thread) */
	char stage_msg[1024];
};

void tc_block_config_default(tc_block_config *c)
{
	c->encoding = TC_ENC_ZSTD;
	c->index_downsample_bytes = 1u << 20;
	c->index_page_size_bytes = 250u << 10;
	c->bloom_fp = 0.01;
	c->bloom_shard_size_bytes = 100u << 10;
	c->max_page_bytes = TC_DEFAULT_MAX_PAGE_BYTES;
	c->max_page_ratio = TC_DEFAULT_MAX_PAGE_RATIO;
}

static int flush_pending(tc_block_writer *w)
{
	int rc;

	if (w->pending.len == 0)
		return TC_OK;
	if (!w->append && (rc = tc_backend_append_open(&w->append, w->be, w->key_data)) < 0)
		return rc;
	if ((rc = tc_backend_append(w->append, w->pending.ptr, w->pending.len)) < 0)
		return rc;
	tc_buf_clear(&w->pending);
	return TC_OK;
}

/* Stage thread: compresses one page, frames it, records it, flushes when due. */
static int compress_page(tc_block_writer *w, const tc_buf *page, const uint8_t *last_id)
{
	size_t at = w->pending.len, clen;
	tc_record *rec;
	int rc;

	/* Compressed straight behind its frame header, which is filled in after. */
	if ((rc = tc_buf_grow_by(&w->pending, NULL, TC_PAGE_HEADER_LEN)) < 0)
		return rc;
	rc = tc_codec_compress(&w->pending, w->codec, page->ptr, page->len);
	clen = w->pending.len - at - TC_PAGE_HEADER_LEN;
	if (rc == TC_OK && (rc = tc_page_header(w->pending.ptr + at, clen)) < 0)
		tc_error_set("%s: a compressed page of %zu bytes does not fit the page format",
			     w->key_data, clen);
	if (rc < 0) {
		w->pending.len = at;
		return rc;
	}
	if ((rc = tc_array_reserve(w->recs, w->recs_cap, w->nrecs + 1, 0)) < 0)
		return rc;
	rec = &w->recs[w->nrecs++];
	memcpy(rec->id, last_id, TC_ID_LEN);
	rec->start = w->off;
	rec->length = (uint32_t)(clen + TC_PAGE_HEADER_LEN);
	w->off += rec->length;
	if (w->pending.len >= w->opts.flush_size_bytes)
		return flush_pending(w);
	return TC_OK;
}

static void *stage_main(void *arg)
{
	tc_block_writer *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		slot *sl;
		int rc = TC_OK;
		while (w->q_count == 0 && !w->q_closed)
			pthread_cond_wait(&w->cv_work, &w->mu);
		if (w->q_count == 0)
			break;
		sl = &w->q[w->q_head];
		if (!w->stage_err) {
			pthread_mutex_unlock(&w->mu);
			rc = compress_page(w, &sl->buf, sl->last_id);
			pthread_mutex_lock(&w->mu);
			if (rc < 0 && !w->stage_err) {
				w->stage_err = rc;
				snprintf(w->stage_msg, sizeof(w->stage_msg), "%s", tc_error_last());
			}
		}
		tc_buf_clear(&sl->buf);
		w->q_head = (w->q_head + 1) % QUEUE_SLOTS;
		w->q_count--;
		pthread_cond_signal(&w->cv_room);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Caller side: hands the filled page to the stage (swapping buffers, no copy). */
static int cut_page(tc_block_writer *w)
{
	slot *sl;
	tc_buf t;
	int rc = TC_OK;

	if (w->page.len == 0)
		return TC_OK;
	pthread_mutex_lock(&w->mu);
	while (w->q_count == QUEUE_SLOTS && !w->stage_err)
		pthread_cond_wait(&w->cv_room, &w->mu);
	if (w->stage_err) {
		rc = w->stage_err;
		tc_error_set("%s", w->stage_msg);
	} else {
		sl = &w->q[(w->q_head + w->q_count) % QUEUE_SLOTS];
		t = sl->buf;
		sl->buf = w->page;
		w->page = t;
		memcpy(sl->last_id, w->page_last_id, TC_ID_LEN);
		w->q_count++;
		pthread_cond_signal(&w->cv_work);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

/* Waits for the stage to finish every queued page and joins it. */
static int stage_join(tc_block_writer *w, int abandon)
{
	int rc;

	if (!w->stage_running)
		return TC_OK;
	pthread_mutex_lock(&w->mu);
	w->q_closed = 1;
	if (abandon && !w->stage_err) {
		w->stage_err = TC_ECANCELED;
		snprintf(w->stage_msg, sizeof(w->stage_msg), "block %s abandoned", w->block_id);
	}
	pthread_cond_signal(&w->cv_work);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->stage, NULL);
	w->stage_running = 0;
	rc = w->stage_err;
	/* When abandoning, the caller's own error is the one worth keeping. */
	if (rc < 0 && !abandon)
		tc_error_set("%s", w->stage_msg);
	return rc;
}

int tc_block_writer_add(tc_block_writer *w, const uint8_t *id, size_t id_len, const uint8_t *body,
			size_t body_len)
{
	int rc;

	if (w->finished) {
		tc_error_set("block %s: add after finish", w->block_id);
		return TC_EINVALID;
	}
	if (id_len != TC_ID_LEN) {
		tc_error_set("block %s: object ID of %zu bytes, IDs must be %d bytes", w->block_id,
			     id_len, TC_ID_LEN);
		return TC_EINVALID;
	}
	if (w->objects > 0 && memcmp(id, w->max_id, TC_ID_LEN) <= 0) {
		tc_error_set("block %s: object IDs must be added in strictly ascending order", w->block_id);
		return TC_EINVALID;
	}
	if (body_len > UINT32_MAX - TC_OBJECT_HEADER_LEN - id_len) {
		tc_error_set("block %s: an object body of %zu bytes does not fit the format",
			     w->block_id, body_len);
		return TC_ELIMIT;
	}
	if ((rc = tc_object_write(&w->page, id, id_len, body, body_len)) < 0)
		return rc;
	tc_bloom_add(w->bloom, id, id_len);
	if (w->objects == 0)
		memcpy(w->min_id, id, TC_ID_LEN);
	memcpy(w->max_id, id, TC_ID_LEN);
	memcpy(w->page_last_id, id, TC_ID_LEN);
	w->objects++;
	/* Strictly greater, as Tempo cuts: a page exceeds the threshold by less than one object. */
	if (w->page.len > w->opts.block.index_downsample_bytes)
		return cut_page(w);
	return TC_OK;
}

static int write_key(tc_block_writer *w, const char *name, const void *data, size_t len)
{
	char key[TC_KEY_MAX];
	int rc = tc_key_block(key, sizeof(key), w->tenant, w->block_id, name);

	if (rc < 0)
		return rc;
	return tc_backend_write(w->be, key, data, len);
}

static void fill_meta(tc_meta *m, const tc_block_writer *w)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->format, sizeof(m->format), "v2");
	snprintf(m->block_id, sizeof(m->block_id), "%s", w->block_id);
	memcpy(m->min_id, w->min_id, TC_ID_LEN);
	memcpy(m->max_id, w->max_id, TC_ID_LEN);
	m->min_id_len = m->max_id_len = TC_ID_LEN;
	snprintf(m->tenant, sizeof(m->tenant), "%s", w->tenant);
	m->start = w->opts.start;
	m->end = w->opts.end;
	m->total_objects = w->objects;
	m->size = w->off;
	m->level = w->opts.level;
	m->encoding = w->opts.block.encoding;
	m->index_page_size = w->opts.block.index_page_size_bytes;
	m->total_records = (uint32_t)w->nrecs;
	snprintf(m->data_encoding, sizeof(m->data_encoding), "%s", w->data_encoding);
	m->bloom_shards = tc_bloom_shard_count(w->bloom);
	m->footer_size = 0;
	m->has_footer_size = 1;
}

int tc_block_writer_finish(tc_meta *out, tc_block_writer *w)
{
	tc_buf buf = TC_BUF_INIT;
	tc_meta m;
	int rc;

	if (w->finished) {
		tc_error_set("block %s: finished twice", w->block_id);
		return TC_EINVALID;
	}
	if (w->objects == 0) {
		tc_error_set("block %s: refusing to write a block with no objects", w->block_id);
		return TC_EINVALID;
	}
	if ((rc = cut_page(w)) < 0 || (rc = stage_join(w, 0)) < 0 || (rc = flush_pending(w)) < 0)
		return rc;
	rc = tc_backend_append_commit(w->append);
	w->append = NULL;
	w->data_committed = 1;
	if (rc < 0)
		return rc;
	if ((rc = tc_index_write(&buf, w->recs, w->nrecs, w->opts.block.index_page_size_bytes)) < 0)
		goto cleanup;
	if ((rc = write_key(w, "index", buf.ptr, buf.len)) < 0)
		goto cleanup;
	for (uint16_t s = 0; s < tc_bloom_shard_count(w->bloom); s++) {
		char name[16];
		snprintf(name, sizeof(name), "bloom-%u", (unsigned)s);
		tc_buf_clear(&buf);
		if ((rc = tc_bloom_write_shard(&buf, w->bloom, s)) < 0 ||
		    (rc = write_key(w, name, buf.ptr, buf.len)) < 0)
			goto cleanup;
	}
	fill_meta(&m, w);
	tc_buf_clear(&buf);
	if ((rc = tc_meta_write(&buf, &m, 0)) < 0)
		goto cleanup;
	if (w->opts.before_commit && (rc = w->opts.before_commit(w->opts.before_commit_ctx)) != TC_OK) {
		if (rc > 0)
			rc = TC_ERROR;
		goto cleanup;
	}
	if ((rc = write_key(w, "meta.json", buf.ptr, buf.len)) < 0)
		goto cleanup;
	w->finished = 1;
	if (out)
		*out = m;
cleanup:
	tc_buf_dispose(&buf);
	return rc;
}

int tc_block_writer_new(tc_block_writer **out, tc_backend *be, const tc_block_write_opts *opts)
{
	tc_block_writer *w;
	tc_uuid u;
	int rc;

	*out = NULL;
	if ((rc = tc_tenant_validate(opts->tenant)) < 0)
		return rc;
	if (opts->block_id && !tc_uuid_is_valid(opts->block_id)) {
		tc_error_set("invalid block ID \"%.40s\"", opts->block_id);
		return TC_EINVALID;
	}
	if (!tc_encoding_can_write(opts->block.encoding)) {
		tc_error_set("cannot write blocks in encoding %s", tc_encoding_name(opts->block.encoding));
		return TC_EUNSUPPORTED;
	}
	if (tc_index_records_per_page(opts->block.index_page_size_bytes) == 0 ||
	    opts->block.index_page_size_bytes > TC_INDEX_PAGE_MAX) {
		tc_error_set("index_page_size_bytes %u is out of range", opts->block.index_page_size_bytes);
		return TC_EINVALID;
	}
	if (!opts->data_encoding || strlen(opts->data_encoding) >= TC_DATA_ENCODING_MAX) {
		tc_error_set("data encoding missing or too long");
		return TC_EINVALID;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	w->be = be;
	w->opts = *opts;
	if (!w->opts.flush_size_bytes)
		w->opts.flush_size_bytes = DEFAULT_FLUSH_SIZE;
	snprintf(w->tenant, sizeof(w->tenant), "%s", opts->tenant);
	snprintf(w->data_encoding, sizeof(w->data_encoding), "%s", opts->data_encoding);
	w->opts.tenant = w->tenant;
	w->opts.data_encoding = w->data_encoding;
	if (opts->block_id) {
		snprintf(w->block_id, sizeof(w->block_id), "%s", opts->block_id);
	} else {
		if ((rc = tc_uuid_v4(&u)) < 0)
			goto fail;
		tc_uuid_format(w->block_id, &u);
	}
	w->opts.block_id = w->block_id;
	tc_buf_init(&w->page, 0);
	tc_buf_init(&w->pending, 0);
	if ((rc = tc_key_block(w->key_data, sizeof(w->key_data), w->tenant, w->block_id, "data")) < 0 ||
	    (rc = tc_codec_new(&w->codec, opts->block.encoding)) < 0 ||
	    (rc = tc_bloom_new(&w->bloom, opts->estimated_objects ? opts->estimated_objects : 1,
			       opts->block.bloom_fp, opts->block.bloom_shard_size_bytes)) < 0)
		goto fail;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv_work, NULL);
	pthread_cond_init(&w->cv_room, NULL);
	w->mu_ready = 1;
	for (size_t i = 0; i < QUEUE_SLOTS; i++)
		tc_buf_init(&w->q[i].buf, 0);
	if (pthread_create(&w->stage, NULL, stage_main, w) != 0) {
		tc_error_set_os("block %s: start the compression thread", w->block_id);
		rc = TC_ERROR;
		goto fail;
	}
	w->stage_running = 1;
	*out = w;
	return TC_OK;
fail:
	tc_block_writer_free(w);
	return rc;
}

/*
 * Deletes what an unfinished writer stored. meta.json was never written, so
 * nothing outside this writer can be using the block.
 */
static void remove_partial(tc_block_writer *w)
{
	/*
	 * Best effort on the way out of a failure: the message stays the
	 * failure's, not what the clean-up met (a block directory never made).
	 */
	char failure[1024];

	snprintf(failure, sizeof(failure), "%s", tc_error_last());
	tc_backend_append_abort(w->append);
	w->append = NULL;
	tc_backend_clear_block(w->be, w->tenant, w->block_id);
	tc_error_set("%s", failure);
}

void tc_block_writer_free(tc_block_writer *w)
{
	if (!w)
		return;
	stage_join(w, 1);
	if (!w->finished && (w->append || w->data_committed || w->nrecs))
		remove_partial(w);
	for (size_t i = 0; i < QUEUE_SLOTS; i++)
		tc_buf_dispose(&w->q[i].buf);
	if (w->mu_ready) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv_work);
		pthread_cond_destroy(&w->cv_room);
	}
	tc_codec_free(w->codec);
	tc_bloom_free(w->bloom);
	tc_buf_dispose(&w->page);
	tc_buf_dispose(&w->pending);
	free(w->recs);
	free(w);
}
