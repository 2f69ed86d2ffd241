/*
 * The ring value (desc.h; docs/RING.md). protobuf-c does the parsing and
 * packing and keeps every unknown field of every message, so a ring
 * written by a newer Tempo keeps what we do not know. We keep the unpacked
 * message itself as the desc, with its entries sorted by instance ID and
 * unique, and change it in place with the same allocator (malloc) that
 * ring__desc__free_unpacked frees with.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <snappy-c.h>

#include "ring.pb-c.h"
#include "src/ring/desc.h"
#include "src/util/array.h"
#include "src/util/fnv.h"

/* Most bytes a snappy block yields per input byte, rounded up (a 3-byte copy of 64). */
#define SNAPPY_MAX_EXPANSION 22

#define MAX_NEW_TOKENS ((size_t)1 << 24)

struct tc_ring_desc {
	Ring__Desc *pb;
	size_t cap; /* capacity of pb->ingesters */
};

typedef Ring__Desc__IngestersEntry entry;

const char *tc_ring_state_name(int state)
{
	switch (state) {
	case TC_RING_ACTIVE: return "ACTIVE";
	case TC_RING_LEAVING: return "LEAVING";
	case TC_RING_PENDING: return "PENDING";
	case TC_RING_JOINING: return "JOINING";
	case TC_RING_LEFT: return "LEFT";
	default: return "UNKNOWN";
	}
}

static const char *key_of(const tc_where *w)
{
	return w && w->key ? w->key : "ring value";
}

int tc_ring_desc_new(tc_ring_desc **out)
{
	tc_ring_desc *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (d)
		d->pb = malloc(sizeof(*d->pb));
	if (!d || !d->pb) {
		free(d);
		tc_error_set("out of memory for a ring desc");
		return TC_ERROR;
	}
	ring__desc__init(d->pb);
	*out = d;
	return TC_OK;
}

void tc_ring_desc_free(tc_ring_desc *d)
{
	if (!d)
		return;
	ring__desc__free_unpacked(d->pb, NULL);
	free(d);
}

/* ---- decoding ---- */

/*
 * A walk over the wire bytes (docs/RING.md#the-value) before protobuf-c
 * sees them, for what protobuf-c cannot tell us: where the damage is;
 * instance IDs, addresses and zones with a NUL byte (protobuf-c would cut
 * them short, and a cut ID could collide with another on write-back); and
 * how many entries the map has (each costs far more memory than its
 * bytes). Everything else is left to protobuf-c.
 */
enum { LV_DESC, LV_ENTRY, LV_INSTANCE };

typedef struct walker {
	const uint8_t *base;
	const tc_where *w;
	size_t entries;
} walker;

static int wire_corrupt(const walker *wk, const uint8_t *at, const char *what)
{
	tc_error_set_at(&(tc_where){ key_of(wk->w), (uint64_t)(at - wk->base) },
			"ring.Desc (snappy-decompressed protobuf): %s", what);
	return TC_ECORRUPT;
}

/* A varint of at most max bytes; returns bytes used, 0 when truncated or too long. */
static size_t read_varint(uint64_t *v, const uint8_t *p, const uint8_t *end, size_t max)
{
	uint64_t x = 0;

	for (size_t i = 0; i < max && p + i < end; i++) {
		x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*v = x;
			return i + 1;
		}
	}
	return 0;
}

/* Whether field `field` of a message at `level` is a string we check for NUL bytes. */
static int is_checked_string(int level, uint64_t field)
{
	return (level == LV_ENTRY && field == 1) ||
	       (level == LV_INSTANCE && (field == 1 || field == 7));
}

static int walk(walker *wk, const uint8_t *p, const uint8_t *end, int level)
{
	while (p < end) {
		const uint8_t *at = p;
		uint64_t tag, len;
		size_t used = read_varint(&tag, p, end, 5);

		if (!used)
			return wire_corrupt(wk, at, "truncated or overlong field tag");
		p += used;
		uint64_t field = tag >> 3;
		unsigned wt = (unsigned)(tag & 7);
		if (field == 0 || field > 0x1fffffff)
			return wire_corrupt(wk, at, "field number out of range");
		int sub = (level == LV_DESC && field == 1) || (level == LV_ENTRY && field == 2);
		if ((sub || is_checked_string(level, field)) && wt != 2)
			return wire_corrupt(wk, at, "a string or message field with another wire type");
		switch (wt) {
		case 0:
			used = read_varint(&len, p, end, 10);
			if (!used)
				return wire_corrupt(wk, at, "truncated varint");
			p += used;
			break;
		case 1:
		case 5:
			if ((size_t)(end - p) < (wt == 1 ? 8u : 4u))
				return wire_corrupt(wk, at, "truncated fixed-size field");
			p += wt == 1 ? 8 : 4;
			break;
		case 2:
			used = read_varint(&len, p, end, 10);
			if (!used)
				return wire_corrupt(wk, at, "truncated length");
			p += used;
			if (len > (uint64_t)(end - p))
				return wire_corrupt(wk, at, "length past the end");
			if (is_checked_string(level, field) && memchr(p, 0, (size_t)len))
				return wire_corrupt(wk, at, "an ID, address or zone with a NUL byte");
			if (level == LV_DESC && field == 1 && ++wk->entries > TC_RING_MAX_INSTANCES) {
				tc_error_set_at(&(tc_where){ key_of(wk->w), TC_WHERE_NO_OFFSET },
						"ring.Desc has more than %d instances", TC_RING_MAX_INSTANCES);
				return TC_ELIMIT;
			}
			if (sub) {
				int rc = walk(wk, p, p + len, level + 1);
				if (rc < 0)
					return rc;
			}
			p += len;
			break;
		default:
			/* Groups (3, 4) are not proto3, and protobuf-c refuses them. */
			return wire_corrupt(wk, at, "unsupported wire type");
		}
	}
	return TC_OK;
}

typedef struct keyed {
	entry *e;
	size_t pos;
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
	const keyed *x = a, *y = b;
	int c = strcmp(x->e->key, y->e->key);

	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * Sorts the entries by ID and keeps the last of each ID (Go's map decoding
 * lets a later entry replace an earlier one), and gives every entry a
 * value: an entry without one is an instance with every field zero.
 */
static int normalise(Ring__Desc *pb, const tc_where *w)
{
	size_t n = pb->n_ingesters, kept = 0;
	keyed *k;

	if (n == 0)
		return TC_OK;
	k = malloc(n * sizeof(*k));
	if (!k)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		if (!pb->ingesters[i]->value) {
			Ring__InstanceDesc *v = malloc(sizeof(*v));
			if (!v) {
				free(k);
				goto oom;
			}
			ring__instance_desc__init(v);
			pb->ingesters[i]->value = v;
		}
		k[i] = (keyed){ pb->ingesters[i], i };
	}
	qsort(k, n, sizeof(*k), keyed_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && strcmp(k[i].e->key, k[i + 1].e->key) == 0)
			protobuf_c_message_free_unpacked(&k[i].e->base, NULL);
		else
			pb->ingesters[kept++] = k[i].e;
	}
	pb->n_ingesters = kept;
	free(k);
	return TC_OK;
oom:
	tc_error_set("%s: out of memory decoding the ring", key_of(w));
	return TC_ERROR;
}

int tc_ring_desc_decode(tc_ring_desc **out, const uint8_t *p, size_t n, const tc_where *w)
{
	tc_ring_desc *d = NULL;
	uint8_t *raw = NULL;
	size_t len = 0, got;
	walker wk = { NULL, w, 0 };
	int rc;

	*out = NULL;
	if (n == 0)
		return tc_ring_desc_new(out);
	if (snappy_uncompressed_length((const char *)p, n, &len) != SNAPPY_OK) {
		tc_error_set_at(&(tc_where){ key_of(w), TC_WHERE_NO_OFFSET },
				"not snappy block data (bad length preamble)");
		return TC_ECORRUPT;
	}
	if (len > TC_RING_MAX_VALUE_BYTES) {
		tc_error_set_at(&(tc_where){ key_of(w), TC_WHERE_NO_OFFSET },
				"ring value would decompress to %zu bytes, more than the %zu allowed",
				len, TC_RING_MAX_VALUE_BYTES);
		return TC_ELIMIT;
	}
	/*
	 * Snappy gives at most 64 bytes for a 3-byte copy: a preamble claiming
	 * more than that is a lie, refused before it sizes an allocation
	 * (docs/FORMAT.md#decompression-caps).
	 */
	if (len / SNAPPY_MAX_EXPANSION > n) {
		tc_error_set_at(&(tc_where){ key_of(w), TC_WHERE_NO_OFFSET },
				"ring value of %zu bytes cannot decompress to the %zu its snappy preamble "
				"claims", n, len);
		return TC_ECORRUPT;
	}
	raw = malloc(len ? len : 1);
	if (!raw) {
		tc_error_set("%s: out of memory for %zu bytes", key_of(w), len);
		return TC_ERROR;
	}
	got = len;
	if (snappy_uncompress((const char *)p, n, (char *)raw, &got) != SNAPPY_OK || got != len) {
		tc_error_set_at(&(tc_where){ key_of(w), TC_WHERE_NO_OFFSET },
				"corrupt snappy block data");
		rc = TC_ECORRUPT;
		goto cleanup;
	}
	wk.base = raw;
	if ((rc = walk(&wk, raw, raw + len, LV_DESC)) < 0)
		goto cleanup;
	d = calloc(1, sizeof(*d));
	if (!d) {
		tc_error_set("%s: out of memory for a ring desc", key_of(w));
		rc = TC_ERROR;
		goto cleanup;
	}
	d->pb = ring__desc__unpack(NULL, len, raw);
	if (!d->pb) {
		/* The walk passed, so this is what protobuf-c checks beyond it. */
		tc_error_set_at(&(tc_where){ key_of(w), TC_WHERE_NO_OFFSET },
				"ring.Desc (snappy-decompressed protobuf) does not parse");
		rc = TC_ECORRUPT;
		goto cleanup;
	}
	if ((rc = normalise(d->pb, w)) < 0)
		goto cleanup;
	d->cap = d->pb->n_ingesters;
	*out = d;
	d = NULL;
	rc = TC_OK;
cleanup:
	tc_ring_desc_free(d);
	free(raw);
	return rc;
}

/* ---- encoding ---- */

/* Entries are kept in ID order, so this is deterministic (docs/RING.md#byte-compatibility). */
int tc_ring_desc_encode(tc_buf *out, const tc_ring_desc *d)
{
	size_t n = ring__desc__get_packed_size(d->pb), clen;
	uint8_t *raw = malloc(n ? n : 1);
	int rc;

	if (!raw) {
		tc_error_set("out of memory encoding the ring (%zu bytes)", n);
		return TC_ERROR;
	}
	ring__desc__pack(d->pb, raw);
	clen = snappy_max_compressed_length(n);
	if ((rc = tc_buf_reserve(out, clen)) < 0)
		goto cleanup;
	if (snappy_compress((const char *)raw, n, (char *)out->ptr + out->len, &clen) != SNAPPY_OK) {
		tc_error_set("snappy_compress failed on %zu bytes", n);
		rc = TC_ERROR;
		goto cleanup;
	}
	out->len += clen;
	rc = TC_OK;
cleanup:
	free(raw);
	return rc;
}

/* ---- instances ---- */

size_t tc_ring_desc_count(const tc_ring_desc *d)
{
	return d->pb->n_ingesters;
}

void tc_ring_desc_at(tc_ring_instance *out, const tc_ring_desc *d, size_t i)
{
	const entry *e = d->pb->ingesters[i];
	const Ring__InstanceDesc *v = e->value;

	out->id = e->key;
	out->addr = v->addr;
	out->timestamp = v->timestamp;
	out->state = (int)v->state;
	out->tokens = v->tokens;
	out->n_tokens = v->n_tokens;
	out->zone = v->zone;
	out->registered_timestamp = v->registered_timestamp;
}

static int entry_cmp(const void *id, const void *elem)
{
	return strcmp(id, (*(const entry *const *)elem)->key);
}

/* The index of id, or where it would go (*found = 0). */
static size_t find(const tc_ring_desc *d, const char *id, int *found)
{
	size_t i;

	*found = tc_array_search(&i, d->pb->ingesters, d->pb->n_ingesters,
				 sizeof(*d->pb->ingesters), id, entry_cmp);
	return i;
}

int tc_ring_desc_get(tc_ring_instance *out, const tc_ring_desc *d, const char *id)
{
	int found;
	size_t i = find(d, id, &found);

	if (!found) {
		tc_error_set("instance %s is not in the ring", id);
		return TC_ENOTFOUND;
	}
	tc_ring_desc_at(out, d, i);
	return TC_OK;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* protobuf-c's default for unset strings is a shared "" it never frees. */
static void free_pb_string(char *s)
{
	if (s != protobuf_c_empty_string)
		free(s);
}

int tc_ring_desc_set(tc_ring_desc *d, const char *id, const char *addr, tc_ring_state state,
		     int64_t now_s, const uint32_t *tokens, size_t n_tokens)
{
	Ring__Desc *pb = d->pb;
	Ring__InstanceDesc *v;
	entry *e = NULL;
	char *new_addr = NULL;
	uint32_t *new_tokens = NULL;
	int found, rc = TC_ERROR;
	size_t i;

	if (!id || !*id) {
		tc_error_set("ring instance ID is empty");
		return TC_EINVALID;
	}
	i = find(d, id, &found);
	if (!found && (rc = tc_array_reserve(pb->ingesters, d->cap, pb->n_ingesters + 1, 0)) < 0)
		return rc;
	new_addr = strdup(addr);
	if (!new_addr)
		goto oom;
	if (n_tokens > 0) {
		if (n_tokens > SIZE_MAX / sizeof(*tokens) ||
		    !(new_tokens = malloc(n_tokens * sizeof(*tokens))))
			goto oom;
		memcpy(new_tokens, tokens, n_tokens * sizeof(*tokens));
		qsort(new_tokens, n_tokens, sizeof(*new_tokens), u32_cmp);
	}
	if (!found) {
		e = malloc(sizeof(*e));
		if (!e)
			goto oom;
		ring__desc__ingesters_entry__init(e);
		e->value = malloc(sizeof(*e->value));
		e->key = strdup(id);
		if (!e->value || !e->key) {
			free(e->value);
			free(e->key);
			free(e);
			goto oom;
		}
		ring__instance_desc__init(e->value);
		e->value->registered_timestamp = now_s;
		memmove(pb->ingesters + i + 1, pb->ingesters + i,
			(pb->n_ingesters - i) * sizeof(*pb->ingesters));
		pb->ingesters[i] = e;
		pb->n_ingesters++;
	}
	v = pb->ingesters[i]->value;
	free_pb_string(v->addr);
	v->addr = new_addr;
	v->timestamp = now_s;
	v->state = (Ring__InstanceState)state;
	if (new_tokens) {
		free(v->tokens);
		v->tokens = new_tokens;
		v->n_tokens = n_tokens;
	}
	return TC_OK;
oom:
	free(new_addr);
	free(new_tokens);
	tc_error_set("out of memory setting ring instance %s", id);
	return TC_ERROR;
}

static void remove_at(tc_ring_desc *d, size_t i)
{
	Ring__Desc *pb = d->pb;

	protobuf_c_message_free_unpacked(&pb->ingesters[i]->base, NULL);
	memmove(pb->ingesters + i, pb->ingesters + i + 1,
		(pb->n_ingesters - i - 1) * sizeof(*pb->ingesters));
	pb->n_ingesters--;
}

int tc_ring_desc_remove(tc_ring_desc *d, const char *id)
{
	int found;
	size_t i = find(d, id, &found);

	if (found)
		remove_at(d, i);
	return TC_OK;
}

/* ---- tokens ---- */

/* xoshiro256** (Blackman and Vigna): fast, and far better than Go's math/rand. */
typedef struct rng {
	uint64_t s[4];
} rng;

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

static int rng_seed(rng *r)
{
	uint8_t *p = (uint8_t *)r->s;
	size_t got = 0;

	while (got < sizeof(r->s)) {
		ssize_t n = getrandom(p + got, sizeof(r->s) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			tc_error_set_os("getrandom for ring tokens");
			return TC_ERROR;
		}
		got += (size_t)n;
	}
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1; /* the one state xoshiro cannot leave */
	return TC_OK;
}

/* Every token of every instance of d, sorted; *out NULL when there are none. */
static int all_tokens(uint32_t **out, size_t *n_out, const tc_ring_desc *d)
{
	size_t n = 0, o = 0;
	uint32_t *t;

	*out = NULL;
	*n_out = 0;
	for (size_t i = 0; i < d->pb->n_ingesters; i++)
		n += d->pb->ingesters[i]->value->n_tokens; /* bounded by the decoded bytes */
	if (n == 0)
		return TC_OK;
	if (n > SIZE_MAX / sizeof(*t) || !(t = malloc(n * sizeof(*t)))) {
		tc_error_set("out of memory for %zu ring tokens", n);
		return TC_ERROR;
	}
	for (size_t i = 0; i < d->pb->n_ingesters; i++) {
		const Ring__InstanceDesc *v = d->pb->ingesters[i]->value;
		memcpy(t + o, v->tokens, v->n_tokens * sizeof(*t));
		o += v->n_tokens;
	}
	qsort(t, n, sizeof(*t), u32_cmp);
	*out = t;
	*n_out = n;
	return TC_OK;
}

int tc_ring_desc_new_tokens(uint32_t **out, size_t n, const tc_ring_desc *d)
{
	uint32_t *taken = NULL, *gen = NULL;
	size_t n_taken, filled = 0;
	rng r;
	int rc;

	*out = NULL;
	if (n > MAX_NEW_TOKENS) {
		tc_error_set("asked for %zu ring tokens, more than %zu", n, MAX_NEW_TOKENS);
		return TC_EINVALID;
	}
	if ((rc = rng_seed(&r)) < 0 || (rc = all_tokens(&taken, &n_taken, d)) < 0)
		return rc;
	gen = malloc(n ? n * sizeof(*gen) : 1);
	if (!gen) {
		tc_error_set("out of memory for %zu ring tokens", n);
		rc = TC_ERROR;
		goto cleanup;
	}
	/*
	 * Fill, sort, drop repeats; refill what was dropped. A round drops a
	 * token with odds (taken + n) / 2^32 at most, so this ends at once.
	 */
	while (filled < n) {
		while (filled < n) {
			uint32_t c = (uint32_t)(rng_next(&r) >> 32);
			if (!n_taken || !bsearch(&c, taken, n_taken, sizeof(c), u32_cmp))
				gen[filled++] = c;
		}
		qsort(gen, n, sizeof(*gen), u32_cmp);
		filled = 1;
		for (size_t i = 1; i < n; i++)
			if (gen[i] != gen[filled - 1])
				gen[filled++] = gen[i];
	}
	*out = gen;
	gen = NULL;
	rc = TC_OK;
cleanup:
	free(gen);
	free(taken);
	return rc;
}

/* ---- health (docs/RING.md#membership) ---- */

int tc_ring_instance_healthy(const tc_ring_instance *i, int64_t now_s, int64_t timeout_s)
{
	if (i->state != TC_RING_ACTIVE)
		return 0;
	/* timestamp >= now - timeout: no overflow whatever timestamp was read. */
	return timeout_s <= 0 || i->timestamp >= now_s - timeout_s;
}

int tc_ring_desc_forget_stale(size_t *removed, tc_ring_desc *d, const char *keep_id,
			      int64_t now_s, int64_t timeout_s)
{
	size_t count = 0;

	if (timeout_s > 0) {
		for (size_t i = d->pb->n_ingesters; i-- > 0;) {
			const entry *e = d->pb->ingesters[i];
			if (keep_id && strcmp(e->key, keep_id) == 0)
				continue;
			if (e->value->timestamp < now_s - 2 * timeout_s) {
				remove_at(d, i);
				count++;
			}
		}
	}
	if (removed)
		*removed = count;
	return TC_OK;
}

/* ---- ownership (docs/RING.md#ownership) ---- */

typedef struct tok {
	uint32_t token;
	uint32_t owner; /* instance index in ID order */
} tok;

struct tc_ring_table {
	const tc_ring_desc *d;
	tok *toks;
	size_t n;
	uint8_t *healthy; /* per instance */
	size_t n_inst;
};

static int tok_cmp(const void *a, const void *b)
{
	const tok *x = a, *y = b;

	if (x->token != y->token)
		return x->token < y->token ? -1 : 1;
	return x->owner < y->owner ? -1 : x->owner > y->owner;
}

int tc_ring_table_new(tc_ring_table **out, const tc_ring_desc *d, int64_t now_s, int64_t timeout_s)
{
	tc_ring_table *t = calloc(1, sizeof(*t));
	size_t n = 0, o = 0, n_inst = d->pb->n_ingesters;

	*out = NULL;
	if (!t)
		goto oom;
	t->d = d;
	t->n_inst = n_inst;
	for (size_t i = 0; i < n_inst; i++)
		n += d->pb->ingesters[i]->value->n_tokens;
	t->healthy = malloc(n_inst ? n_inst : 1);
	t->toks = n <= SIZE_MAX / sizeof(tok) ? malloc(n ? n * sizeof(tok) : 1) : NULL;
	if (!t->healthy || !t->toks)
		goto oom;
	for (size_t i = 0; i < n_inst; i++) {
		tc_ring_instance inst;
		tc_ring_desc_at(&inst, d, i);
		t->healthy[i] = (uint8_t)tc_ring_instance_healthy(&inst, now_s, timeout_s);
		for (size_t j = 0; j < inst.n_tokens; j++)
			t->toks[o++] = (tok){ inst.tokens[j], (uint32_t)i };
	}
	qsort(t->toks, n, sizeof(tok), tok_cmp);
	t->n = n;
	*out = t;
	return TC_OK;
oom:
	tc_ring_table_free(t);
	tc_error_set("out of memory for a ring token table");
	return TC_ERROR;
}

void tc_ring_table_free(tc_ring_table *t)
{
	if (!t)
		return;
	free(t->toks);
	free(t->healthy);
	free(t);
}

/* dskit's searchToken: the first token strictly greater than h, wrapping to 0. */
static size_t search(const tc_ring_table *t, uint32_t h)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->toks[mid].token > h)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo == t->n ? 0 : lo;
}

static uint32_t key_hash(const char *key)
{
	return tc_fnv1a_32((const uint8_t *)key, strlen(key));
}

int tc_ring_table_owner_tempo(tc_ring_instance *instance, const tc_ring_table *t, const char *key)
{
	uint32_t h = key_hash(key);
	const tok *k;

	if (t->n == 0) {
		tc_error_set("ring has no tokens: nobody owns %s", key);
		return TC_ENOTFOUND;
	}
	k = &t->toks[search(t, h)];
	if (!t->healthy[k->owner]) {
		tc_error_set("the owner of %s (hash %" PRIu32 ", token %" PRIu32 "), instance %s, "
			     "is unhealthy", key, h, k->token, t->d->pb->ingesters[k->owner]->key);
		return TC_ENOTFOUND;
	}
	tc_ring_desc_at(instance, t->d, k->owner);
	return TC_OK;
}

/* docs/RING.md#our-difference-clockwise-fallback */
int tc_ring_table_owner(tc_ring_instance *instance, const tc_ring_table *t, const char *key)
{
	size_t start = search(t, key_hash(key));

	for (size_t j = 0; j < t->n; j++) {
		const tok *k = &t->toks[(start + j) % t->n];
		if (t->healthy[k->owner]) {
			tc_ring_desc_at(instance, t->d, k->owner);
			return TC_OK;
		}
	}
	tc_error_set("no healthy instance in the ring owns %s", key);
	return TC_ENOTFOUND;
}

void tc_ring_table_ownership(double *out, const tc_ring_table *t)
{
	/*
	 * Distances are summed as doubles, which hold every integer up to 2^53
	 * exactly, so a ring's shares add up to exactly 1. A repeated token
	 * owns nothing (lookups land on its first copy); in a ring of one token
	 * value the first copy owns everything.
	 */
	for (size_t i = 0; i < t->n_inst; i++)
		out[i] = 0;
	for (size_t i = 0; i < t->n; i++) {
		uint32_t prev = t->toks[i ? i - 1 : t->n - 1].token;
		uint64_t dist = (uint32_t)(t->toks[i].token - prev);
		if (i == 0 && dist == 0)
			dist = (uint64_t)1 << 32;
		out[t->toks[i].owner] += (double)dist;
	}
	for (size_t i = 0; i < t->n_inst; i++)
		out[i] /= 4294967296.0;
}
