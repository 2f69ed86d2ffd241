/*
 * The selector reproduces Tempo's choices exactly, string keys included:
 * two compactors (or a Tempo and us) looking at one bucket must pick the
 * same groups, or they fight over blocks.
 */
#include "src/compactor/selector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ~150 bytes: the meta stays the caller's, the hash is made for a chosen group only. */
typedef struct entry {
	const tc_meta *meta;
	int64_t window;
	int active;
	char group[48];
	char order[64];
	size_t seq; /* blocklist position, for a stable sort */
} entry;

struct tc_selector {
	entry *e;
	size_t n, pos;
	uint64_t max_objects, max_bytes;
	const tc_meta *chosen[TC_SELECTOR_MAX_INPUTS];
};

/*
 * Go's %016X of an int64: a negative value prints as '-' and 15 digits.
 * By hand, as the decimal below: five snprintf calls per block were most
 * of a 100,000-block selection.
 */
static size_t hex16(char *out, int64_t v)
{
	static const char digits[] = "0123456789ABCDEF";
	uint64_t u = v < 0 ? (uint64_t)-(v + 1) + 1ULL : (uint64_t)v;
	size_t o = 0, width = v < 0 ? 15 : 16;
	char tmp[20];
	size_t n = 0;

	if (v < 0)
		out[o++] = '-';
	do {
		tmp[n++] = digits[u & 15];
		u >>= 4;
	} while (u);
	for (size_t i = n; i < width; i++)
		out[o++] = '0';
	while (n)
		out[o++] = tmp[--n];
	out[o] = '\0';
	return o;
}

/* %lld / %u */
static size_t dec(char *out, int64_t v)
{
	uint64_t u = v < 0 ? (uint64_t)-(v + 1) + 1ULL : (uint64_t)v;
	char tmp[24];
	size_t n = 0, o = 0;

	if (v < 0)
		out[o++] = '-';
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		out[o++] = tmp[--n];
	out[o] = '\0';
	return o;
}

/* Appends s to out at *o, never past cap - 1 (as snprintf would cut). */
static void put(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
	if (*o + n >= cap)
		n = *o < cap - 1 ? cap - 1 - *o : 0;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
}

static int64_t window_of(const tc_time *t, int64_t window_s)
{
	return t->sec / window_s; /* Go's integer division truncates toward zero too */
}

int64_t tc_selector_window_of(const tc_time *end, int64_t window_ns)
{
	int64_t window_s = window_ns / 1000000000LL;

	return window_s > 0 ? window_of(end, window_s) : 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const entry *x = a, *y = b;
	int c = strcmp(x->group, y->group);

	if (c == 0)
		c = strcmp(x->order, y->order);
	if (c == 0)
		c = x->seq < y->seq ? -1 : x->seq > y->seq;
	return c;
}

static void fill_entry(entry *e, int64_t w, int64_t cur, int active)
{
	char age[64], objs[64], level[64];
	size_t na = hex16(age, cur - w), no = hex16(objs, e->meta->total_objects), nl = dec(level, e->meta->level);
	size_t o = 0;

	/* "A-<level>-<age>" and "<objs>-<format>" when active, "B-<age>" and "<level>-<objs>-<format>" when not */
	e->window = w;
	e->active = active;
	e->group[0] = e->order[0] = '\0';
	put(e->group, sizeof(e->group), &o, active ? "A-" : "B-", 2);
	if (active) {
		put(e->group, sizeof(e->group), &o, level, nl);
		put(e->group, sizeof(e->group), &o, "-", 1);
	}
	put(e->group, sizeof(e->group), &o, age, na);
	o = 0;
	if (!active) {
		put(e->order, sizeof(e->order), &o, level, nl);
		put(e->order, sizeof(e->order), &o, "-", 1);
	}
	put(e->order, sizeof(e->order), &o, objs, no);
	put(e->order, sizeof(e->order), &o, "-", 1);
	put(e->order, sizeof(e->order), &o, e->meta->format, strlen(e->meta->format));
}

/* The group's ownership hash: "<tenant>-<level>-<window>" when active, "<tenant>-<window>" when not. */
static void fill_hash(char hash[TC_SELECTOR_HASH_MAX], const entry *e)
{
	char level[64], win[64];
	size_t nl = dec(level, e->meta->level), nw = dec(win, e->window), o = 0;

	hash[0] = '\0';
	put(hash, TC_SELECTOR_HASH_MAX, &o, e->meta->tenant, strlen(e->meta->tenant));
	put(hash, TC_SELECTOR_HASH_MAX, &o, "-", 1);
	if (e->active) {
		put(hash, TC_SELECTOR_HASH_MAX, &o, level, nl);
		put(hash, TC_SELECTOR_HASH_MAX, &o, "-", 1);
	}
	put(hash, TC_SELECTOR_HASH_MAX, &o, win, nw);
}

int tc_selector_new(tc_selector **out, const tc_meta *metas, size_t n, const tc_selector_opts *o)
{
	int64_t window_s = o->window_ns / 1000000000LL;
	tc_selector *s;
	int64_t cur, active;
	tc_time day_ago = o->now;

	*out = NULL;
	if (window_s <= 0) {
		tc_error_set("compaction_window must be at least 1s");
		return TC_EINVALID;
	}
	s = calloc(1, sizeof(*s));
	if (!s || (n && !(s->e = calloc(n, sizeof(entry))))) {
		free(s);
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	s->max_objects = o->max_objects;
	s->max_bytes = o->max_bytes;
	day_ago.sec -= 24 * 3600;
	cur = window_of(&o->now, window_s);
	active = window_of(&day_ago, window_s);
	for (size_t i = 0; i < n; i++) {
		int64_t w = window_of(&metas[i].end, window_s);
		entry *e;
		/* The window crossing from active to inactive is skipped so two
		 * owners never compact the same block during the cut-over. */
		if (w == active)
			continue;
		e = &s->e[s->n++];
		e->meta = &metas[i];
		e->seq = i;
		fill_entry(e, w, cur, w > active);
	}
	if (s->n > 1)
		qsort(s->e, s->n, sizeof(entry), entry_cmp);
	*out = s;
	return TC_OK;
}

static int compatible(const entry *a, const entry *b)
{
	return strcmp(a->group, b->group) == 0 && strcmp(a->meta->data_encoding, b->meta->data_encoding) == 0 &&
	       strcmp(a->meta->format, b->meta->format) == 0;
}

int tc_selector_next(const tc_meta ***out, size_t *n, char hash[TC_SELECTOR_HASH_MAX], tc_selector *s)
{
	while (s->pos < s->n) {
		size_t i, chosen = 0;
		for (i = s->pos; i < s->n; i++) {
			uint64_t objs = (uint64_t)s->e[i].meta->total_objects, bytes = s->e[i].meta->size;
			for (size_t j = i + 1; j < s->n; j++) {
				objs += (uint64_t)s->e[j].meta->total_objects;
				bytes += s->e[j].meta->size;
				if (!compatible(&s->e[i], &s->e[j]) || j - i + 1 > TC_SELECTOR_MAX_INPUTS ||
				    objs > s->max_objects || bytes > s->max_bytes)
					break;
				chosen = j - i + 1;
			}
			if (chosen)
				break;
		}
		s->pos = i + chosen;
		if (chosen >= TC_SELECTOR_MIN_INPUTS) {
			for (size_t k = 0; k < chosen; k++)
				s->chosen[k] = s->e[i + k].meta;
			*out = s->chosen;
			*n = chosen;
			fill_hash(hash, &s->e[i]);
			return 1;
		}
	}
	*out = NULL;
	*n = 0;
	return 0;
}

size_t tc_selector_outstanding(tc_selector *s)
{
	const tc_meta **g;
	size_t n, total = 0;
	char hash[TC_SELECTOR_HASH_MAX];

	while (tc_selector_next(&g, &n, hash, s) == 1)
		total += n;
	return total;
}

void tc_selector_free(tc_selector *s)
{
	if (!s)
		return;
	free(s->e);
	free(s);
}
