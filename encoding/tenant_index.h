/*
 * <tenant>/index.json.gz: {"created_at", "meta": [...], "compacted": [...]}
 * gzipped the way Tempo writes it (docs/FORMAT.md#tenant-index).
 */
#ifndef TC_ENCODING_TENANT_INDEX_H
#define TC_ENCODING_TENANT_INDEX_H

#include <stddef.h>

#include "src/util/buf.h"
#include "encoding/meta.h"

/* Decompressed JSON: RATIO x the gzip's length, at least FLOOR, at most MAX. */
#define TC_TENANT_INDEX_MAX_BYTES (256u << 20)
#define TC_TENANT_INDEX_RATIO 64u
#define TC_TENANT_INDEX_FLOOR (1u << 20)

typedef struct tc_tenant_index {
	tc_time created_at;
	tc_meta *live;
	size_t n_live;
	tc_meta *compacted;
	size_t n_compacted;
} tc_tenant_index;

/*
 * Appends the gzipped index for the given lists, each sorted by startTime
 * ascending (stable) before writing; the arrays are not modified.
 */
int tc_tenant_index_write(tc_buf *out, const tc_time *created_at, const tc_meta *live,
			  size_t n_live, const tc_meta *compacted, size_t n_compacted);

/*
 * Parses a gzipped index read from w (its key and the offset of its first
 * byte; NULL names it "tenant index"). Messages name the key; a corrupt
 * gzip stream also the offset it failed at, a bad JSON the byte of the
 * decompressed text.
 */
int tc_tenant_index_parse(tc_tenant_index *out, const uint8_t *gz, size_t len, const tc_where *w);
void tc_tenant_index_dispose(tc_tenant_index *ti);

#endif
