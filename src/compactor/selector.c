/*
 * The selector reproduces Tempo's choices exactly, string keys included:
 * two compactors (or a Tempo and us) looking at one bucket must pick the
 * same groups, or they fight over blocks.
 */
#include "src/compactor/selector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
	tc_meta meta;
	char group[48];
	char order[64];
	char hash[TC_SELECTOR_HASH_MAX];
	size_t seq; /* blocklist position, for a stable sort */
} entry;

struct tc_selector {
	entry *e;
	size_t n, pos;
	uint64_t max_objects, max_bytes;
	const tc_meta *chosen[TC_SELECTOR_MAX_INPUTS];
};

/* Go's %016X of an int64: a negative value prints as '-' and 15 digits. */
static void hex16(char out[18], int64_t v)
{
	if (v < 0)
		snprintf(out, 18, "-%015llX", (unsigned long long)-(v + 1) + 1ULL);
	else
		snprintf(out, 18, "%016llX", (unsigned long long)v);
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
	char age[18], objs[18];
	const tc_meta *m = &e->meta;

	hex16(age, cur - w);
	hex16(objs, m->total_objects);
	if (active) {
		snprintf(e->group, sizeof(e->group), "A-%u-%s", (unsigned)m->level, age);
		snprintf(e->order, sizeof(e->order), "%s-%s", objs, m->format);
		snprintf(e->hash, sizeof(e->hash), "%s-%u-%lld", m->tenant, (unsigned)m->level, (long long)w);
	} else {
		snprintf(e->group, sizeof(e->group), "B-%s", age);
		snprintf(e->order, sizeof(e->order), "%u-%s-%s", (unsigned)m->level, objs, m->format);
		snprintf(e->hash, sizeof(e->hash), "%s-%lld", m->tenant, (long long)w);
	}
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
		e->meta = metas[i];
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
	return strcmp(a->group, b->group) == 0 && strcmp(a->meta.data_encoding, b->meta.data_encoding) == 0 &&
	       strcmp(a->meta.format, b->meta.format) == 0;
}

int tc_selector_next(const tc_meta ***out, size_t *n, char hash[TC_SELECTOR_HASH_MAX], tc_selector *s)
{
	while (s->pos < s->n) {
		size_t i, chosen = 0;
		for (i = s->pos; i < s->n; i++) {
			uint64_t objs = (uint64_t)s->e[i].meta.total_objects, bytes = s->e[i].meta.size;
			for (size_t j = i + 1; j < s->n; j++) {
				objs += (uint64_t)s->e[j].meta.total_objects;
				bytes += s->e[j].meta.size;
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
				s->chosen[k] = &s->e[i + k].meta;
			*out = s->chosen;
			*n = chosen;
			snprintf(hash, TC_SELECTOR_HASH_MAX, "%s", s->e[i].hash);
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
