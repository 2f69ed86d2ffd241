#include "encoding/span_set.h"

#include <string.h>

#include "src/util/error.h"
#include "src/util/fnv.h"
#include "encoding/pbwire.h"

int tc_span_ident_read(tc_span_ident *out, const uint8_t *p, size_t len, size_t *bad, const char **why)
{
	tc_pb_field f;
	size_t pos = 0;
	uint8_t k[4];
	int r;

	memset(out, 0, sizeof(*out));
	while ((r = tc_pb_next(&f, p, len, &pos, why)) > 0) {
		if (f.num == 2 && f.wt == TC_PB_LEN) {
			out->sid = f.data;
			out->sid_len = f.len;
		} else if (f.num == 6) {
			out->kind = (uint32_t)f.val; /* int32(s.Kind), then uint32 */
		} else if (f.num == 7) {
			out->start = f.val;
		}
	}
	if (r < 0) {
		*bad = pos;
		return TC_ECORRUPT;
	}
	tc_put_u32le(k, out->kind);
	out->token = tc_fnv1_64_update(tc_fnv1_64_update(TC_FNV64_INIT, out->sid, out->sid_len), k, 4);
	return TC_OK;
}

void tc_span_set_init(tc_span_set *s)
{
	memset(s, 0, sizeof(*s));
	tc_buf_init(&s->tab, 0);
}

void tc_span_set_reset(tc_span_set *s)
{
	/*
	 * A table grown for one large trace would be cleared in full before
	 * every small one after it: give it back instead, and start small.
	 */
	if (s->slots > 1024 && s->used * 8 < s->slots) {
		tc_buf_dispose(&s->tab);
		s->slots = 0;
	} else if (s->used) {
		memset(s->tab.ptr, 0, s->tab.len);
	}
	s->used = 0;
	s->has_zero = 0;
}

static size_t slot_of(uint64_t t, size_t slots)
{
	return (size_t)((t * 0x9e3779b97f4a7c15ULL) >> 32) & (slots - 1);
}

int tc_span_set_has(const tc_span_set *s, uint64_t t)
{
	const uint64_t *tab = (const uint64_t *)(const void *)s->tab.ptr;

	if (t == 0)
		return s->has_zero;
	if (!s->slots)
		return 0;
	for (size_t i = slot_of(t, s->slots);; i = (i + 1) & (s->slots - 1)) {
		if (tab[i] == t)
			return 1;
		if (tab[i] == 0)
			return 0;
	}
}

static void insert_raw(uint64_t *tab, size_t slots, uint64_t t)
{
	size_t i = slot_of(t, slots);
	while (tab[i] != 0 && tab[i] != t)
		i = (i + 1) & (slots - 1);
	tab[i] = t;
}

int tc_span_set_add(tc_span_set *s, uint64_t t)
{
	if (t == 0) {
		s->has_zero = 1;
		return TC_OK;
	}
	if (tc_span_set_has(s, t))
		return TC_OK;
	if ((s->used + 1) * 2 > s->slots) {
		size_t slots = s->slots ? s->slots * 2 : 1024;
		tc_buf nb = TC_BUF_INIT;
		uint64_t *old = (uint64_t *)(void *)s->tab.ptr;
		int err;

		if (slots > SIZE_MAX / sizeof(uint64_t)) {
			tc_error_set("span token set too large");
			return TC_ELIMIT;
		}
		if ((err = tc_buf_grow_by(&nb, NULL, slots * sizeof(uint64_t))) < 0)
			return err;
		for (size_t i = 0; i < s->slots; i++)
			if (old[i])
				insert_raw((uint64_t *)(void *)nb.ptr, slots, old[i]);
		tc_buf_dispose(&s->tab);
		s->tab = nb;
		s->slots = slots;
	}
	insert_raw((uint64_t *)(void *)s->tab.ptr, s->slots, t);
	s->used++;
	return TC_OK;
}

void tc_span_set_dispose(tc_span_set *s)
{
	tc_buf_dispose(&s->tab);
	memset(s, 0, sizeof(*s));
}
