/*
 * The floor of a compaction run: the zstd work it cannot avoid, done
 * single-threaded with libzstd and nothing else (bench/README.md).
 *
 *   floor [--level 3] [--repeat N] --read DIR... --write DIR...
 *
 * --read:  block directories the run read; every data page is decompressed
 *          (timed) with ZSTD_decompressDCtx into a preallocated buffer.
 * --write: block directories the run wrote; every data page is decompressed
 *          untimed to recover its raw payload, then compressed (timed) with the
 *          writer's parameters (encoding/codec.c: level 3, checksum, content
 *          size) through ZSTD_compress2.
 *
 * Files are read into memory before the clock starts: the floor is CPU only.
 * Wall and thread CPU time are both reported. With --repeat N the timed loops
 * run N times and the run with the median wall total is reported. Output is
 * logfmt lines that bench/run.sh parses.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zstd.h>

#define PAGE_HEADER_LEN 6

typedef struct file_buf {
	uint8_t *ptr;
	size_t len;
} file_buf;

/* One data page: its compressed frame inside a file_buf, its raw size. */
typedef struct page_ref {
	const uint8_t *src;
	size_t len;
	size_t raw_len;
} page_ref;

typedef struct phase {
	unsigned long long blocks, pages, bytes, raw, recompressed;
	double secs, cpu; /* wall and thread CPU time of the timed loops */
} phase;

typedef struct ctx {
	ZSTD_DCtx *dctx;
	ZSTD_CCtx *cctx;
	uint8_t *dst; /* decompression / compression output */
	size_t dst_cap;
} ctx;

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of this thread: unlike wall time, not inflated by a busy machine. */
static double cpu_s(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static int read_file(file_buf *out, const char *path)
{
	FILE *f = fopen(path, "rb");
	long sz;
	int rc = -1;

	out->ptr = NULL;
	out->len = 0;
	if (!f) {
		fprintf(stderr, "floor: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "floor: %s: cannot size: %s\n", path, strerror(errno));
		goto cleanup;
	}
	if (!(out->ptr = malloc(sz ? (size_t)sz : 1))) {
		fprintf(stderr, "floor: %s: out of memory for %ld bytes\n", path, sz);
		goto cleanup;
	}
	if (fread(out->ptr, 1, (size_t)sz, f) != (size_t)sz) {
		fprintf(stderr, "floor: %s: short read\n", path);
		goto cleanup;
	}
	out->len = (size_t)sz;
	rc = 0;
cleanup:
	if (rc < 0) {
		free(out->ptr);
		out->ptr = NULL;
	}
	fclose(f);
	return rc;
}

static int ensure_dst(ctx *c, size_t need)
{
	uint8_t *p;

	if (need <= c->dst_cap)
		return 0;
	if (!(p = realloc(c->dst, need))) {
		fprintf(stderr, "floor: out of memory for %zu bytes\n", need);
		return -1;
	}
	c->dst = p;
	c->dst_cap = need;
	return 0;
}

/* Raw size of a page through the frame headers, or by streaming it when a
 * frame does not declare its size. */
static int page_raw_size(size_t *out, ctx *c, const uint8_t *src, size_t len, const char *path)
{
	ZSTD_inBuffer in = { src, len, 0 };
	uint8_t tmp[1 << 16];
	size_t off = 0;

	*out = 0;
	/* Frame by frame: a page may hold concatenated or skippable frames. */
	while (off < len) {
		unsigned long long n = ZSTD_getFrameContentSize(src + off, len - off);
		size_t fl = ZSTD_findFrameCompressedSize(src + off, len - off);

		if (n == ZSTD_CONTENTSIZE_ERROR || ZSTD_isError(fl)) {
			fprintf(stderr, "floor: %s: a data page is not zstd frames\n", path);
			return -1;
		}
		if (n == ZSTD_CONTENTSIZE_UNKNOWN)
			break;
		*out += (size_t)n;
		off += fl;
	}
	if (off == len)
		return 0;
	*out = 0;
	ZSTD_DCtx_reset(c->dctx, ZSTD_reset_session_only);
	for (;;) {
		ZSTD_outBuffer ob = { tmp, sizeof(tmp), 0 };
		size_t r = ZSTD_decompressStream(c->dctx, &ob, &in);

		if (ZSTD_isError(r)) {
			fprintf(stderr, "floor: %s: %s\n", path, ZSTD_getErrorName(r));
			return -1;
		}
		*out += ob.pos;
		if (in.pos == in.size && ob.pos < ob.size) {
			if (r == 0)
				return 0;
			fprintf(stderr, "floor: %s: truncated zstd frame\n", path);
			return -1;
		}
	}
}

/* Splits a data object into pages; lengths are checked against the file. */
static int walk_pages(page_ref **out, size_t *n, ctx *c, const file_buf *f, const char *path)
{
	page_ref *v = NULL;
	size_t cap = 0, off = 0;

	*n = 0;
	while (off < f->len) {
		uint32_t total;

		if (f->len - off < PAGE_HEADER_LEN) {
			fprintf(stderr, "floor: %s: truncated page header at %zu\n", path, off);
			goto fail;
		}
		total = (uint32_t)f->ptr[off] | (uint32_t)f->ptr[off + 1] << 8 |
			(uint32_t)f->ptr[off + 2] << 16 | (uint32_t)f->ptr[off + 3] << 24;
		if (f->ptr[off + 4] || f->ptr[off + 5] || total < PAGE_HEADER_LEN ||
		    total > f->len - off) {
			fprintf(stderr, "floor: %s: bad page header at %zu\n", path, off);
			goto fail;
		}
		if (*n == cap) {
			page_ref *p;

			cap = cap ? 2 * cap : 64;
			if (!(p = realloc(v, cap * sizeof(*v)))) {
				fprintf(stderr, "floor: out of memory\n");
				goto fail;
			}
			v = p;
		}
		v[*n].src = f->ptr + off + PAGE_HEADER_LEN;
		v[*n].len = total - PAGE_HEADER_LEN;
		if (page_raw_size(&v[*n].raw_len, c, v[*n].src, v[*n].len, path) < 0)
			goto fail;
		++*n;
		off += total;
	}
	*out = v;
	return 0;
fail:
	free(v);
	return -1;
}

/* Every page of one input block, decompressed one-shot; only the loop is timed. */
static int read_block(phase *ph, ctx *c, const char *dir)
{
	char path[4096];
	file_buf f;
	page_ref *pg = NULL;
	size_t n = 0, max = 0;
	int rc = -1;
	double t0, c0;

	snprintf(path, sizeof(path), "%s/data", dir);
	if (read_file(&f, path) < 0)
		return -1;
	if (walk_pages(&pg, &n, c, &f, path) < 0)
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		max = pg[i].raw_len > max ? pg[i].raw_len : max;
	if (ensure_dst(c, max ? max : 1) < 0)
		goto cleanup;
	t0 = now_s();
	c0 = cpu_s();
	for (size_t i = 0; i < n; i++) {
		size_t r = ZSTD_decompressDCtx(c->dctx, c->dst, c->dst_cap, pg[i].src, pg[i].len);

		if (ZSTD_isError(r)) {
			fprintf(stderr, "floor: %s: page %zu: %s\n", path, i, ZSTD_getErrorName(r));
			goto cleanup;
		}
		ph->raw += r;
		ph->bytes += pg[i].len + PAGE_HEADER_LEN;
	}
	ph->secs += now_s() - t0;
	ph->cpu += cpu_s() - c0;
	ph->pages += n;
	ph->blocks++;
	rc = 0;
cleanup:
	free(pg);
	free(f.ptr);
	return rc;
}

/* Every page of one output block: payloads recovered untimed, compression timed. */
static int write_block(phase *ph, ctx *c, const char *dir)
{
	char path[4096];
	file_buf f;
	page_ref *pg = NULL;
	uint8_t *raw = NULL;
	size_t n = 0, total_raw = 0, max_raw = 0, off = 0;
	int rc = -1;
	double t0, c0;

	snprintf(path, sizeof(path), "%s/data", dir);
	if (read_file(&f, path) < 0)
		return -1;
	if (walk_pages(&pg, &n, c, &f, path) < 0)
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		total_raw += pg[i].raw_len;
		max_raw = pg[i].raw_len > max_raw ? pg[i].raw_len : max_raw;
	}
	if (!(raw = malloc(total_raw ? total_raw : 1))) {
		fprintf(stderr, "floor: out of memory for %zu bytes\n", total_raw);
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		size_t r = ZSTD_decompressDCtx(c->dctx, raw + off, total_raw - off, pg[i].src, pg[i].len);

		if (ZSTD_isError(r)) {
			fprintf(stderr, "floor: %s: page %zu: %s\n", path, i, ZSTD_getErrorName(r));
			goto cleanup;
		}
		off += r;
	}
	if (ensure_dst(c, ZSTD_compressBound(max_raw)) < 0)
		goto cleanup;
	off = 0;
	t0 = now_s();
	c0 = cpu_s();
	for (size_t i = 0; i < n; i++) {
		size_t r;

		/* As tc_codec_zstd_compress: a fresh session, parameters kept. */
		ZSTD_CCtx_reset(c->cctx, ZSTD_reset_session_only);
		r = ZSTD_compress2(c->cctx, c->dst, c->dst_cap, raw + off, pg[i].raw_len);
		if (ZSTD_isError(r)) {
			fprintf(stderr, "floor: %s: page %zu: %s\n", path, i, ZSTD_getErrorName(r));
			goto cleanup;
		}
		off += pg[i].raw_len;
		ph->recompressed += r + PAGE_HEADER_LEN;
	}
	ph->secs += now_s() - t0;
	ph->cpu += cpu_s() - c0;
	ph->raw += total_raw;
	ph->bytes += f.len;
	ph->pages += n;
	ph->blocks++;
	rc = 0;
cleanup:
	free(raw);
	free(pg);
	free(f.ptr);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void usage(void)
{
	fprintf(stderr, "usage: floor [--level 3] [--repeat N] --read DIR... --write DIR...\n");
}

int main(int argc, char **argv)
{
	const char **rd = calloc((size_t)argc, sizeof(char *)), **wr = calloc((size_t)argc, sizeof(char *));
	size_t nrd = 0, nwr = 0;
	int level = 3, repeat = 1, mode = 0, rc = 1;
	phase *runs_r = NULL, *runs_w = NULL;
	double *totals = NULL, med;
	ctx c = { 0 };
	int mid;

	if (!rd || !wr)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--read")) {
			mode = 'r';
		} else if (!strcmp(argv[i], "--write")) {
			mode = 'w';
		} else if (!strcmp(argv[i], "--level") && i + 1 < argc) {
			level = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) {
			repeat = atoi(argv[++i]);
		} else if (!strncmp(argv[i], "--", 2) || !mode) {
			usage();
			goto cleanup;
		} else if (mode == 'r') {
			rd[nrd++] = argv[i];
		} else {
			wr[nwr++] = argv[i];
		}
	}
	if (repeat < 1 || (nrd == 0 && nwr == 0)) {
		usage();
		goto cleanup;
	}
	c.dctx = ZSTD_createDCtx();
	c.cctx = ZSTD_createCCtx();
	runs_r = calloc((size_t)repeat, sizeof(*runs_r));
	runs_w = calloc((size_t)repeat, sizeof(*runs_w));
	totals = calloc((size_t)repeat, sizeof(*totals));
	if (!c.dctx || !c.cctx || !runs_r || !runs_w || !totals) {
		fprintf(stderr, "floor: out of memory\n");
		goto cleanup;
	}
	/* The writer's parameters (encoding/codec.c, TC_ENC_ZSTD). */
	if (ZSTD_isError(ZSTD_CCtx_setParameter(c.cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c.cctx, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c.cctx, ZSTD_c_contentSizeFlag, 1))) {
		fprintf(stderr, "floor: cannot set zstd parameters\n");
		goto cleanup;
	}
	for (int k = 0; k < repeat; k++) {
		for (size_t i = 0; i < nrd; i++)
			if (read_block(&runs_r[k], &c, rd[i]) < 0)
				goto cleanup;
		for (size_t i = 0; i < nwr; i++)
			if (write_block(&runs_w[k], &c, wr[i]) < 0)
				goto cleanup;
		totals[k] = runs_r[k].secs + runs_w[k].secs;
	}
	qsort(totals, (size_t)repeat, sizeof(*totals), cmp_double);
	med = totals[repeat / 2];
	for (mid = 0; mid < repeat; mid++)
		if (runs_r[mid].secs + runs_w[mid].secs == med)
			break;
	printf("floor read blocks=%llu pages=%llu bytes=%llu raw_bytes=%llu decompress_s=%.3f "
	       "decompress_cpu_s=%.3f\n",
	       runs_r[mid].blocks, runs_r[mid].pages, runs_r[mid].bytes, runs_r[mid].raw,
	       runs_r[mid].secs, runs_r[mid].cpu);
	printf("floor write blocks=%llu pages=%llu bytes=%llu raw_bytes=%llu recompressed_bytes=%llu "
	       "compress_s=%.3f compress_cpu_s=%.3f level=%d\n",
	       runs_w[mid].blocks, runs_w[mid].pages, runs_w[mid].bytes, runs_w[mid].raw,
	       runs_w[mid].recompressed, runs_w[mid].secs, runs_w[mid].cpu, level);
	printf("floor total_s=%.3f total_cpu_s=%.3f repeat=%d min_s=%.3f max_s=%.3f\n", med,
	       runs_r[mid].cpu + runs_w[mid].cpu, repeat, totals[0], totals[repeat - 1]);
	rc = 0;
cleanup:
	ZSTD_freeDCtx(c.dctx);
	ZSTD_freeCCtx(c.cctx);
	free(c.dst);
	free(runs_r);
	free(runs_w);
	free(totals);
	free(rd);
	free(wr);
	return rc;
}
