/*
 * meta.json / meta.compacted.json: Go's backend.BlockMeta as JSON, same key
 * order and value formats (docs/FORMAT.md#block-meta). tc_meta is a plain record.
 */
#ifndef TC_ENCODING_META_H
#define TC_ENCODING_META_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"
#include "src/util/ids.h"
#include "src/util/timeutil.h"
#include "encoding/codec.h"
#include "encoding/page.h"

#define TC_META_MAX_BYTES (1u << 20)     /* refuse bigger meta files unread */
#define TC_META_MAX_OBJECTS 2147483647LL /* totalObjects must fit an int32 */
#define TC_DATA_ENCODING_MAX 32

typedef struct tc_meta {
	char format[16];
	char block_id[TC_UUID_STR_LEN + 1];
	uint8_t min_id[TC_ID_LEN];
	uint8_t max_id[TC_ID_LEN];
	uint8_t min_id_len; /* 0 = empty */
	uint8_t max_id_len;
	char tenant[TC_TENANT_MAX + 1];
	tc_time start;
	tc_time end;
	int64_t total_objects;
	uint64_t size;
	uint8_t level;
	tc_encoding encoding;
	uint32_t index_page_size;
	uint32_t total_records;
	char data_encoding[TC_DATA_ENCODING_MAX];
	uint16_t bloom_shards;
	uint32_t footer_size;
	int has_footer_size; /* older metas lack the key; keep what we read */
	/* Set for compacted metas; from the object's mtime, not the JSON. */
	int compacted;
	tc_time compacted_time;
} tc_meta;

/*
 * Parses meta JSON read from w (key and offset of its first byte; NULL
 * names it "meta"). Messages name the key, and the offset of the bad byte
 * where the JSON itself is broken. Rejects bad
 * JSON, a format other than "v2" (TC_EUNSUPPORTED for "vParquet"), unknown
 * encodings, bad times, IDs that are not 16 bytes, and numbers out of range
 * for their Go type or implausible (totalObjects >= 2^31, bloomShards >
 * 1000, indexPageSize outside [42, 64 MiB], totalRecords > size / 6).
 * A "compactedTime" key is parsed into compacted_time when present.
 */
int tc_meta_parse(tc_meta *out, const char *json, size_t len, const tc_where *w);

/*
 * Appends the Go json encoding of m: compact, no trailing newline, with
 * "compactedTime" last when with_compacted_time is set.
 */
int tc_meta_write(tc_buf *out, const tc_meta *m, int with_compacted_time);

/* Checks that a parsed meta belongs where it was found. */
int tc_meta_check_location(const tc_meta *m, const char *tenant, const char *block_id, const char *what);

#endif
