/*
 * The ring as Tempo 1.5 stores it (dskit ring.Desc; docs/RING.md): a map
 * from instance ID to {addr, heartbeat timestamp, state, tokens, zone,
 * registered timestamp}, protobuf-encoded and snappy block-compressed, in
 * one kv key. Decoding and encoding keep every field we do not know, of
 * the Desc and of every instance, so writing back a ring another program
 * wrote changes only the entries we changed.
 *
 * Ownership (docs/RING.md#ownership): a key is hashed with FNV-1a 32; its
 * token is the first ring token strictly greater than the hash, wrapping
 * to the first. Tempo's answer is that token's instance if it is healthy
 * and nobody otherwise; ours walks on clockwise to the first healthy
 * instance, so a dead replica's share is served before it is forgotten
 * (docs/RING.md#our-difference-clockwise-fallback).
 *
 * Nothing here is thread-safe: a desc and the tables built from it belong
 * to one thread at a time.
 */
#ifndef TC_RING_DESC_H
#define TC_RING_DESC_H

#include <stddef.h>
#include <stdint.h>

#include "src/util/buf.h"
#include "src/util/error.h"

#define TC_RING_TOKENS 512
/* Most bytes a ring value may decompress to (real rings: ~2.5 KiB per instance). */
#define TC_RING_MAX_VALUE_BYTES ((size_t)64 << 20)
/* Most map entries a decoded ring may hold: each costs far more memory than its wire bytes. */
#define TC_RING_MAX_INSTANCES 65536

typedef enum tc_ring_state {
	TC_RING_ACTIVE = 0, /* the proto3 default: omitted on the wire */
	TC_RING_LEAVING = 1,
	TC_RING_PENDING = 2,
	TC_RING_JOINING = 3,
	TC_RING_LEFT = 4
} tc_ring_state;

/* "ACTIVE", "LEAVING", ...; "UNKNOWN" for values outside the enum. */
const char *tc_ring_state_name(int state);

typedef struct tc_ring_desc tc_ring_desc;

/* A read-only view of one instance, valid until the desc changes or is freed. */
typedef struct tc_ring_instance {
	const char *id;
	const char *addr;                 /* "instance_addr:instance_port" */
	int64_t timestamp;                /* last heartbeat, Unix seconds */
	int state;                        /* tc_ring_state, or an unknown value as read */
	const uint32_t *tokens;           /* as stored (sorted by writers) */
	size_t n_tokens;
	const char *zone;                 /* "" when unset */
	int64_t registered_timestamp;     /* Unix seconds, 0 when unset */
} tc_ring_instance;

/* An empty ring (what an absent key means). */
int tc_ring_desc_new(tc_ring_desc **out);
/*
 * Decodes a kv value: snappy block format, then protobuf ring.Desc
 * (docs/RING.md#the-value). An empty value is an empty ring. Damage is
 * TC_ECORRUPT naming w's key (and, for protobuf damage, the offset in the
 * decompressed bytes); a value past TC_RING_MAX_VALUE_BYTES or
 * TC_RING_MAX_INSTANCES is TC_ELIMIT. Where an instance ID appears twice
 * the last entry wins, as in Go's map decoding.
 */
int tc_ring_desc_decode(tc_ring_desc **out, const uint8_t *p, size_t n, const tc_where *w);
/*
 * Appends the kv value for d: protobuf, then snappy block format. Entries
 * go out in ID order, so the same desc always encodes to the same bytes;
 * docs/RING.md#byte-compatibility says how they compare with Tempo's.
 */
int tc_ring_desc_encode(tc_buf *out, const tc_ring_desc *d);
void tc_ring_desc_free(tc_ring_desc *d);

/* Instances in ID order. */
size_t tc_ring_desc_count(const tc_ring_desc *d);
void tc_ring_desc_at(tc_ring_instance *out, const tc_ring_desc *d, size_t i);
/* TC_ENOTFOUND when id is not in the ring. */
int tc_ring_desc_get(tc_ring_instance *out, const tc_ring_desc *d, const char *id);

/*
 * Adds instance id (not "") or updates it: addr, state and heartbeat
 * timestamp are set; tokens are replaced by a sorted copy of tokens when
 * n_tokens > 0 (kept otherwise). registered_timestamp is set to now_s when
 * the instance is new and kept otherwise, even when 0: as in dskit, 0
 * means "registered at an unknown time", which is not now. Zone and
 * unknown fields of an existing entry are kept.
 */
int tc_ring_desc_set(tc_ring_desc *d, const char *id, const char *addr, tc_ring_state state,
		     int64_t now_s, const uint32_t *tokens, size_t n_tokens);
/* Removes instance id; an absent id is not an error. */
int tc_ring_desc_remove(tc_ring_desc *d, const char *id);

/*
 * n random tokens (n <= 1 << 24), sorted ascending, none held by any
 * instance of d nor repeated (dskit's GenerateTokens), from a PRNG seeded
 * by getrandom(2). *out is malloc'ed (even for n == 0).
 */
int tc_ring_desc_new_tokens(uint32_t **out, size_t n, const tc_ring_desc *d);

/*
 * Healthy for the compactor: state ACTIVE and a heartbeat no older than
 * timeout_s (now_s - timestamp <= timeout_s; a heartbeat in the future is
 * fresh). timeout_s <= 0 disables the heartbeat check, as dskit's 0 does.
 */
int tc_ring_instance_healthy(const tc_ring_instance *i, int64_t now_s, int64_t timeout_s);

/*
 * Removes every instance other than keep_id (may be NULL) whose heartbeat
 * is older than 2 x timeout_s, now_s - timestamp > 2 x timeout_s (Tempo's
 * auto-forget); *removed (may be NULL) gets the count. timeout_s <= 0
 * forgets nobody (Tempo would forget every other instance at each
 * heartbeat; docs/RING.md#membership).
 */
int tc_ring_desc_forget_stale(size_t *removed, tc_ring_desc *d, const char *keep_id,
			      int64_t now_s, int64_t timeout_s);

/*
 * The token table of one ring view, for ownership lookups: every token of
 * every instance, sorted, with the health of its instance at now_s. It
 * points into d, which must outlive it unchanged. Where two instances hold
 * the same token, the one first in ID order owns it (Tempo picks one in Go
 * map order).
 */
typedef struct tc_ring_table tc_ring_table;

int tc_ring_table_new(tc_ring_table **out, const tc_ring_desc *d, int64_t now_s, int64_t timeout_s);
void tc_ring_table_free(tc_ring_table *t);

/*
 * The instance that owns key (FNV-1a 32 of its bytes), exactly as Tempo
 * 1.5 computes it: the first token > hash, wrapping; TC_ENOTFOUND when the
 * ring has no tokens or that token's instance is unhealthy. *instance
 * points into the desc the table was built from.
 */
int tc_ring_table_owner_tempo(tc_ring_instance *instance, const tc_ring_table *t, const char *key);
/* Ours: the same token, then clockwise to the first healthy instance. */
int tc_ring_table_owner(tc_ring_instance *instance, const tc_ring_table *t, const char *key);

/*
 * Share of the hash space each instance owns by its tokens, health aside
 * (the ring page's "ownership"): a token owns the hashes from the previous
 * token (inclusive) up to it (exclusive), wrapping, so the shares of a ring
 * with tokens sum to 1 (docs/RING.md#ownership). out[i] for
 * tc_ring_desc_at(i) of the desc the table was built from, in [0, 1].
 */
void tc_ring_table_ownership(double *out, const tc_ring_table *t);

#endif
