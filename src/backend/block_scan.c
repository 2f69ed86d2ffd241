/*
 * The fold of a recursive tenant listing into block versions shared by
 * S3, Azure and GCS (docs/STORAGE.md#block-listing).
 */
#include "src/backend/block_scan.h"

#include <string.h>

#include "src/util/error.h"
#include "src/util/fnv.h"

void tc_block_scan_init(tc_block_scan *b, tc_block_list *out, size_t plen)
{
	memset(b, 0, sizeof(*b));
	b->out = out;
	b->plen = plen;
}

int tc_block_scan_flush(tc_block_scan *b)
{
	int err = TC_OK;

	/* 0 means "unknown": a block that hashes to it is read every poll, so avoid it */
	if (b->name_len)
		err = tc_block_list_add(b->out, b->name, b->name_len, b->h ? b->h : 1, b->objects);
	b->name_len = 0;
	return err;
}

int tc_block_scan_key(tc_block_scan *b, const char *key, const char *stamp)
{
	const char *rest, *slash;
	size_t len;
	uint8_t f;
	int err;

	if (strlen(key) < b->plen)
		return TC_OK;
	rest = key + b->plen;
	slash = strchr(rest, '/');
	if (!slash || slash == rest) /* the tenant's own objects (index.json.gz) */
		return TC_OK;
	len = (size_t)(slash - rest);
	if (len >= sizeof(b->name)) /* cannot be a block we could read */
		return TC_OK;
	if (len != b->name_len || memcmp(b->name, rest, len) != 0) {
		if ((err = tc_block_scan_flush(b)) < 0)
			return err;
		memcpy(b->name, rest, len);
		b->name_len = len;
		b->h = TC_FNV64_INIT;
		b->objects = TC_BLOCK_KNOWN;
	}
	if (!(f = tc_block_object_flag(slash + 1)))
		return TC_OK;
	b->objects |= f;
	b->h = tc_fnv1_64_update(b->h, &f, 1);
	b->h = tc_fnv1_64_update(b->h, (const uint8_t *)stamp, strlen(stamp) + 1);
	return TC_OK;
}
