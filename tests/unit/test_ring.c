/*
 * The lifecycler and ownership (src/ring/ring.h) over the in-memory kv
 * store (tests/ring_fixture.h): joining, Tempo's members carried through,
 * leaving, a member that stops heartbeating (its keys move clockwise),
 * outages seen by the failing member itself, waiting for stability,
 * stopping against a store that hangs, and the member gauges.
 */
#include "tests/ring_fixture.h"

#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/timeutil.h"

#define NKEYS 10000

/* compactor-a, -b and -c at 10.0.0.1..3, started. */
static int start_three(rf_member m[3], tc_kv *store)
{
	static const char *const ids[] = { "compactor-a", "compactor-b", "compactor-c" };
	int rc = 0;

	for (int i = 0; i < 3 && rc >= 0; i++)
		rc = rf_member_start(&m[i], store, ids[i], i + 1);
	return rc;
}

/* ---- tests ---- */

static void test_bad_options(void)
{
	tc_kv *store = NULL;
	tc_ring *r = NULL;
	tc_ring_options o;
	rf_member m = { .id = "a", .addr = "1.2.3.4:1" };

	CHECK_OK(tc_kv_mem_new(&store));
	rf_opts(&o, &m);
	o.instance_addr = "";
	CHECK_ERR(tc_ring_new(&r, store, &o), TC_EINVALID);
	rf_opts(&o, &m);
	o.heartbeat_period_ns = 0;
	CHECK_ERR(tc_ring_new(&r, store, &o), TC_EINVALID);
	rf_opts(&o, &m);
	CHECK_OK(tc_ring_new(&r, store, &o));
	/* not started: no view, no answers */
	CHECK_ERR(tc_ring_owns(r, "x"), TC_ERROR);
	tc_ring_free(r);
	tc_kv_free(store);
}

/*
 * Three members join: the value is a Tempo ring of three ACTIVE members
 * with 512 distinct tokens each; every key has exactly one owner among
 * them and each gets a fair share; one leaves (LEAVING, then gone) and
 * the other two take its keys.
 */
static void test_join_own_leave(void)
{
	tc_kv *store = NULL;
	rf_member m[3];
	tc_ring_desc *d = NULL;
	tc_ring_table *t = NULL;
	uint32_t *all = NULL;
	size_t n_all = 0;
	int owned[3] = { 0 };
	char key[64];
	atomic_int stop = 0;

	CHECK_OK(tc_kv_mem_new(&store));
	rf_log_capture();
	CHECK_OK(start_three(m, store));
	for (int i = 0; i < 3; i++)
		CHECK_OK(tc_ring_wait_ready(m[i].ring, &stop));

	/* the value, decoded as Tempo's ring.Desc */
	CHECK((d = rf_stored(store)) != NULL);
	CHECK_EQ_U64(tc_ring_desc_count(d), 3);
	all = malloc(3 * TC_RING_TOKENS * sizeof(*all));
	for (size_t i = 0; i < 3; i++) {
		tc_ring_instance inst;
		tc_ring_desc_at(&inst, d, i);
		CHECK_STR(inst.id, m[i].id);
		CHECK_STR(inst.addr, m[i].addr);
		CHECK_EQ_U64(inst.state, TC_RING_ACTIVE);
		CHECK_EQ_U64(inst.n_tokens, TC_RING_TOKENS);
		CHECK(inst.registered_timestamp > 0);
		CHECK(tc_time_now().sec - inst.timestamp <= 2);
		for (size_t k = 0; k < inst.n_tokens; k++) {
			if (k)
				CHECK(inst.tokens[k] > inst.tokens[k - 1]);
			all[n_all++] = inst.tokens[k];
		}
	}
	for (size_t i = 0; i < n_all; i++)
		for (size_t j = i + 1; j < n_all; j++)
			CHECK_MSG(all[i] != all[j], "token %u held twice", all[i]);

	/* every member's view has all three (their gauges say so) */
	for (int i = 0; i < 3; i++) {
		CHECK(rf_wait_members(&m[i], 3, 0, 3000));
		CHECK(tc_metrics_get(m[i].metrics, TC_M_RING_MEMBERS_TEMPO, "compactor",
				     "ACTIVE") == 3);
	}
	{
		tc_buf txt = TC_BUF_INIT;
		CHECK_OK(tc_metrics_render(&txt, m[0].metrics));
		tc_buf_cstr(&txt);
		for (int s = 0; s < 5; s++) {
			static const char *const st[] = { "ACTIVE", "LEAVING", "PENDING", "JOINING",
							  "Unhealthy" };
			char want[128];
			snprintf(want, sizeof(want), "cortex_ring_members{name=\"compactor\","
				 "state=\"%s\"} %d\n", st[s], s == 0 ? 3 : 0);
			CHECK_MSG(strstr((char *)txt.ptr, want), "no %s", want);
			snprintf(want, sizeof(want), "tempo_ring_members{name=\"compactor\","
				 "state=\"%s\"} %d\n", st[s], s == 0 ? 3 : 0);
			CHECK_MSG(strstr((char *)txt.ptr, want), "no %s", want);
		}
		tc_buf_dispose(&txt);
	}

	/* exactly one owner per key, the one the table computed from the stored ring names */
	CHECK_OK(tc_ring_table_new(&t, d, tc_time_now().sec, 2));
	for (int k = 0; k < NKEYS; k++) {
		tc_ring_instance want;
		int n = 0, who = -1;
		rf_key_name(key, sizeof(key), k);
		CHECK_OK(tc_ring_table_owner(&want, t, key));
		for (int i = 0; i < 3; i++) {
			int rc = tc_ring_owns(m[i].ring, key);
			CHECK_MSG(rc == 0 || rc == 1, "owns returned %d: %s", rc, tc_error_last());
			if (rc == 1) {
				n++;
				who = i;
			}
		}
		CHECK_MSG(n == 1, "key %s has %d owners", key, n);
		CHECK_STR(want.addr, m[who].addr);
		owned[who]++;
	}
	for (int i = 0; i < 3; i++)
		CHECK_MSG(owned[i] > NKEYS / 5 && owned[i] < NKEYS / 2, "member %d owns %d of %d",
			  i, owned[i], NKEYS);
	tc_ring_table_free(t);
	t = NULL;
	tc_ring_desc_free(d);
	d = NULL;

	/* c leaves: its last two writes are c LEAVING, then the ring without c */
	tc_ring_stop(m[2].ring);
	{
		tc_ring_desc *w1 = NULL, *w2 = NULL;
		tc_ring_instance inst;
		const tc_buf *b1 = rf_deco_write(m[2].kv, 1), *b2 = rf_deco_write(m[2].kv, 0);
		CHECK(b1 && b2);
		CHECK_OK(tc_ring_desc_decode(&w1, b1->ptr, b1->len, NULL));
		CHECK_OK(tc_ring_desc_decode(&w2, b2->ptr, b2->len, NULL));
		CHECK_OK(tc_ring_desc_get(&inst, w1, "compactor-c"));
		CHECK_EQ_U64(inst.state, TC_RING_LEAVING);
		CHECK_EQ_U64(inst.n_tokens, TC_RING_TOKENS);
		CHECK_ERR(tc_ring_desc_get(&inst, w2, "compactor-c"), TC_ENOTFOUND);
		CHECK_EQ_U64(tc_ring_desc_count(w2), 2);
		tc_ring_desc_free(w1);
		tc_ring_desc_free(w2);
	}
	CHECK((d = rf_stored(store)) != NULL);
	CHECK_EQ_U64(tc_ring_desc_count(d), 2);
	tc_ring_desc_free(d);
	d = NULL;
	CHECK_ERR(tc_ring_owns(m[2].ring, "x"), TC_ERROR);
	CHECK(rf_wait_members(&m[0], 2, 0, 3000));
	CHECK(rf_wait_members(&m[1], 2, 0, 3000));
	for (int k = 0; k < NKEYS; k++) {
		int a, b;
		rf_key_name(key, sizeof(key), k);
		a = tc_ring_owns(m[0].ring, key);
		b = tc_ring_owns(m[1].ring, key);
		CHECK_MSG(a + b == 1, "key %s: a=%d b=%d", key, a, b);
	}
	CHECK(rf_log_count("ring member left", "compactor-c") == 2);
	CHECK(rf_log_count("instance is ACTIVE in the ring", "tokens=new") == 3);
	CHECK(rf_log_count("left the ring", "compactor-c") == 1);

	/* the others leave: an empty ring, and the leases (and their locks) are revoked */
	rf_member_free(&m[0]);
	rf_member_free(&m[1]);
	rf_member_free(&m[2]);
	CHECK((d = rf_stored(store)) != NULL);
	CHECK_EQ_U64(tc_ring_desc_count(d), 0);
	tc_ring_desc_free(d);
	free(all);
	tc_kv_free(store);
}

/* A rejoining member keeps its tokens and registration time. */
static void test_rejoin_keeps_tokens(void)
{
	tc_kv *store = NULL;
	rf_member m;
	tc_ring_desc *d = NULL;
	tc_ring_instance inst;
	uint32_t first[TC_RING_TOKENS];
	int64_t registered;

	CHECK_OK(tc_kv_mem_new(&store));
	rf_log_capture();
	CHECK_OK(rf_member_start(&m, store, "compactor-a", 1));
	CHECK((d = rf_stored(store)) != NULL);
	CHECK_OK(tc_ring_desc_get(&inst, d, "compactor-a"));
	memcpy(first, inst.tokens, sizeof(first));
	registered = inst.registered_timestamp;
	tc_ring_desc_free(d);
	/* a crash: the thread stops and the entry stays */
	atomic_store(&m.kv->fail, 1);
	rf_member_free(&m);
	CHECK((d = rf_stored(store)) != NULL);
	CHECK_OK(tc_ring_desc_get(&inst, d, "compactor-a"));
	CHECK_EQ_U64(inst.state, TC_RING_ACTIVE);
	tc_ring_desc_free(d);
	/* a later second, so a registration time of now would differ */
	rf_nap_ms(1100);

	CHECK_OK(rf_member_start(&m, store, "compactor-a", 1));
	CHECK((d = rf_stored(store)) != NULL);
	CHECK_OK(tc_ring_desc_get(&inst, d, "compactor-a"));
	CHECK(memcmp(inst.tokens, first, sizeof(first)) == 0);
	CHECK_EQ_U64(inst.registered_timestamp, registered);
	tc_ring_desc_free(d);
	CHECK(rf_log_count("instance is ACTIVE in the ring", "tokens=kept") == 1);
	rf_member_free(&m);
	tc_kv_free(store);
}

/* ---- Tempo's member, written as Tempo would, with fields we do not know ---- */

static void put_varint(tc_buf *b, uint64_t v)
{
	while (v >= 0x80) {
		tc_buf_putc(b, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	tc_buf_putc(b, (uint8_t)v);
}

static void put_bytes(tc_buf *b, int field, const void *p, size_t n)
{
	put_varint(b, (uint64_t)field << 3 | 2);
	put_varint(b, n);
	tc_buf_put(b, p, n);
}

/*
 * The map entry of "tempo-compactor-0": addr, heartbeat ts, 16 tokens,
 * registered 1699999000, and InstanceDesc field 9 ("new") we do not know.
 */
static void tempo_entry(tc_buf *entry, int64_t ts)
{
	tc_buf inst = TC_BUF_INIT, toks = TC_BUF_INIT, e = TC_BUF_INIT;

	put_bytes(&inst, 1, "10.9.9.9:9095", 13);
	put_varint(&inst, 2 << 3);
	put_varint(&inst, (uint64_t)ts);
	for (uint32_t i = 0; i < 16; i++)
		put_varint(&toks, i * 0x10000000u + 12345);
	put_bytes(&inst, 6, toks.ptr, toks.len);
	put_varint(&inst, 8 << 3);
	put_varint(&inst, 1699999000);
	put_bytes(&inst, 9, "new", 3);
	put_bytes(&e, 1, "tempo-compactor-0", 17);
	put_bytes(&e, 2, inst.ptr, inst.len);
	put_bytes(entry, 1, e.ptr, e.len);
	tc_buf_dispose(&inst);
	tc_buf_dispose(&toks);
	tc_buf_dispose(&e);
}

/* Desc field 3 (varint 7) and field 4 (fixed32): unknown to us and to Tempo 1.5. */
static const uint8_t DESC_UNKNOWN[] = { 0x18, 0x07, 0x25, 0x01, 0x02, 0x03, 0x04 };

static int raw_of(tc_buf *raw, tc_kv *store, int64_t *version)
{
	tc_kv_value v = TC_KV_VALUE_INIT;
	size_t len;
	int rc = TC_ERROR;

	raw->len = 0;
	if (tc_kv_get(&v, store, RING_KEY) == TC_OK &&
	    snappy_uncompressed_length((const char *)v.data.ptr, v.data.len, &len) == SNAPPY_OK &&
	    tc_buf_reserve(raw, len) == TC_OK &&
	    snappy_uncompress((const char *)v.data.ptr, v.data.len, (char *)raw->ptr, &len) ==
		    SNAPPY_OK) {
		raw->len = len;
		*version = v.version;
		rc = TC_OK;
	}
	tc_kv_value_dispose(&v);
	return rc;
}

static int contains(const tc_buf *hay, const tc_buf *needle)
{
	return needle->len <= hay->len && memmem(hay->ptr, hay->len, needle->ptr, needle->len);
}

/*
 * A member Tempo wrote, with an InstanceDesc field and Desc fields we do
 * not know, is carried byte for byte through our heartbeats while it is
 * there; it turns Unhealthy after heartbeat_timeout and is forgotten once
 * its heartbeat is older than 2 x heartbeat_timeout; the Desc's unknown
 * fields stay.
 */
static void test_tempo_member_carried(void)
{
	tc_kv *store = NULL;
	rf_member a, b;
	tc_buf entry = TC_BUF_INIT, raw = TC_BUF_INIT, unknown = TC_BUF_INIT;
	char *comp = NULL;
	size_t clen;
	int64_t ts = tc_time_now().sec - 1, version = 0, last = 0;
	int carried = 0, unhealthy_seen = 0;
	uint64_t t0 = tc_mono_ns();

	CHECK_OK(tc_kv_mem_new(&store));
	rf_log_capture();
	tempo_entry(&entry, ts);
	tc_buf_put(&raw, entry.ptr, entry.len);
	tc_buf_put(&raw, DESC_UNKNOWN, sizeof(DESC_UNKNOWN));
	tc_buf_put(&unknown, DESC_UNKNOWN, sizeof(DESC_UNKNOWN));
	clen = snappy_max_compressed_length(raw.len);
	comp = malloc(clen);
	CHECK(snappy_compress((const char *)raw.ptr, raw.len, comp, &clen) == SNAPPY_OK);
	CHECK_OK(tc_kv_cas(store, RING_KEY, 0, comp, clen));

	CHECK_OK(rf_member_start(&a, store, "compactor-a", 1));
	CHECK_OK(rf_member_start(&b, store, "compactor-b", 2));
	for (;;) {
		CHECK_MSG(rf_since_s(t0) < 15, "tempo-compactor-0 never forgotten");
		CHECK_OK(raw_of(&raw, store, &version));
		CHECK_MSG(contains(&raw, &unknown) &&
				  memcmp(raw.ptr + raw.len - unknown.len, unknown.ptr, unknown.len) == 0,
			  "the Desc's unknown fields are not at the end of version %lld",
			  (long long)version);
		if (!memmem(raw.ptr, raw.len, "tempo-compactor-0", 17))
			break;
		CHECK_MSG(contains(&raw, &entry), "tempo-compactor-0 changed in version %lld",
			  (long long)version);
		if (version != last) {
			carried++;
			last = version;
		}
		if (rf_members(&a, "Unhealthy") == 1)
			unhealthy_seen = 1;
		rf_nap_ms(20);
	}
	/* join, join, and heartbeats of both in between */
	CHECK_MSG(carried >= 3, "only %d versions carried it", carried);
	CHECK(unhealthy_seen);
	/* forgotten only when now - ts > 2 x 2 s, in whole seconds */
	CHECK_MSG(tc_time_now().sec >= ts + 5, "forgotten at %lld, heartbeat %lld",
		  (long long)tc_time_now().sec, (long long)ts);
	CHECK(rf_log_count("forgot ring member", "tempo-compactor-0") == 1);
	CHECK(rf_log_count("ring member unhealthy", "tempo-compactor-0") == 2);
	CHECK(rf_wait_members(&a, 2, 0, 3000));
	rf_member_free(&a);
	rf_member_free(&b);
	free(comp);
	tc_buf_dispose(&entry);
	tc_buf_dispose(&raw);
	tc_buf_dispose(&unknown);
	tc_kv_free(store);
}

/*
 * A member whose store stops answering: after heartbeat_timeout it can no
 * longer answer ownership itself, the others see it Unhealthy and serve
 * its keys clockwise, one outage is logged once, and all recovers when
 * the store answers again.
 */
static void test_member_stops_heartbeating(void)
{
	tc_kv *store = NULL;
	rf_member m[3];
	tc_ring_desc *d = NULL;
	tc_ring_table *t = NULL;
	char key[64];
	int rc, moved = 0;
	uint64_t t0;
	double err_after = -1;
	atomic_int stop = 0;

	CHECK_OK(tc_kv_mem_new(&store));
	rf_log_capture();
	CHECK_OK(start_three(m, store));
	for (int i = 0; i < 3; i++)
		CHECK(rf_wait_members(&m[i], 3, 0, 3000));

	t0 = tc_mono_ns();
	atomic_store(&m[2].kv->fail, 1);
	/* c's own view ages: it answers until heartbeat_timeout, then refuses */
	while (rf_since_s(t0) < 4) {
		rc = tc_ring_owns(m[2].ring, "anything");
		if (rc < 0) {
			CHECK_ERR(rc, TC_ERROR);
			CHECK_ERRMSG("heartbeat_timeout");
			err_after = rf_since_s(t0);
			break;
		}
		rf_nap_ms(20);
	}
	CHECK_MSG(err_after >= 1.7 && err_after < 2.6, "c's owns failed %.2fs into the outage",
		  err_after);
	/* the others see c Unhealthy... */
	CHECK(rf_wait_members(&m[0], 2, 1, 4000));
	CHECK(rf_wait_members(&m[1], 2, 1, 4000));
	/* ... and give its keys to the next healthy member clockwise */
	CHECK((d = rf_stored(store)) != NULL);
	CHECK_OK(tc_ring_table_new(&t, d, tc_time_now().sec, 2));
	for (int k = 0; k < NKEYS; k++) {
		tc_ring_instance want, tempo;
		int a, b;
		rf_key_name(key, sizeof(key), k);
		CHECK_OK(tc_ring_table_owner(&want, t, key));
		a = tc_ring_owns(m[0].ring, key);
		b = tc_ring_owns(m[1].ring, key);
		CHECK_MSG(a + b == 1, "key %s: a=%d b=%d", key, a, b);
		CHECK_STR(want.addr, a ? m[0].addr : m[1].addr);
		/* Tempo would leave these to nobody */
		if (tc_ring_table_owner_tempo(&tempo, t, key) == TC_ENOTFOUND)
			moved++;
	}
	CHECK_MSG(moved > NKEYS / 5, "only %d keys moved from c", moved);
	tc_ring_table_free(t);
	tc_ring_desc_free(d);

	/* the store answers again: c owns again, everyone sees three */
	atomic_store(&m[2].kv->fail, 0);
	CHECK(rf_wait_members(&m[0], 3, 0, 4000));
	CHECK(rf_wait_members(&m[2], 3, 0, 4000));
	CHECK_OK(tc_ring_wait_ready(m[2].ring, &stop));
	rc = tc_ring_owns(m[2].ring, "anything");
	CHECK(rc == 0 || rc == 1);
	CHECK_EQ_U64(rf_log_count("kv store unreachable", NULL), 1);
	CHECK_EQ_U64(rf_log_count("kv store reachable again", NULL), 1);
	CHECK_EQ_U64(rf_log_count("ring member unhealthy", "compactor-c"), 2);
	for (int i = 0; i < 3; i++)
		rf_member_free(&m[i]);
	tc_kv_free(store);
}

/* ---- waiting to be ready ---- */

typedef struct stopper {
	atomic_int *flag;
	int after_ms;
} stopper;

static void *stop_later(void *arg)
{
	stopper *s = arg;

	rf_nap_ms(s->after_ms);
	atomic_store(s->flag, 1);
	return NULL;
}

typedef struct joiner {
	tc_kv *store;
	rf_member *m;
	int after_ms;
	int rc;
} joiner;

static void *join_later(void *arg)
{
	joiner *j = arg;

	rf_nap_ms(j->after_ms);
	j->rc = rf_member_start(j->m, j->store, "compactor-b", 2);
	return NULL;
}

static void test_wait_ready(void)
{
	tc_kv *store = NULL;
	rf_member a, b, c;
	tc_ring_options o;
	atomic_int stop = 0;
	pthread_t th;
	stopper s = { &stop, 300 };
	joiner j;
	uint64_t t0;
	double took;

	CHECK_OK(tc_kv_mem_new(&store));
	rf_log_capture();
	/* stable for 1 s; b joins 0.5 s in, so a waits until 1 s after it sees b */
	rf_opts(&o, NULL);
	o.wait_stability_min_ns = 1 * S;
	CHECK_OK(rf_member_start_with(&a, store, "compactor-a", 1, &o));
	j = (joiner){ store, &b, 500, -1 };
	t0 = tc_mono_ns();
	pthread_create(&th, NULL, join_later, &j);
	CHECK_OK(tc_ring_wait_ready(a.ring, &stop));
	took = rf_since_s(t0);
	pthread_join(th, NULL);
	CHECK_OK(j.rc);
	CHECK_MSG(took >= 1.45 && took < 3, "ready after %.2fs", took);
	CHECK(rf_members(&a, "ACTIVE") == 2);

	/* stop is honoured within the poll interval */
	rf_opts(&o, NULL);
	o.wait_stability_min_ns = 10 * S;
	o.wait_stability_max_ns = 20 * S;
	CHECK_OK(rf_member_start_with(&c, store, "compactor-c", 3, &o));
	t0 = tc_mono_ns();
	pthread_create(&th, NULL, stop_later, &s);
	CHECK_ERR(tc_ring_wait_ready(c.ring, &stop), TC_ECANCELED);
	took = rf_since_s(t0);
	pthread_join(th, NULL);
	CHECK_MSG(took >= 0.29 && took < 0.45, "canceled after %.2fs", took);
	rf_member_free(&c);

	/* never stable within max: ready anyway, as Tempo proceeds */
	rf_opts(&o, NULL);
	o.wait_stability_min_ns = 10 * S;
	o.wait_stability_max_ns = 500 * MS;
	CHECK_OK(rf_member_start_with(&c, store, "compactor-c", 3, &o));
	stop = 0;
	t0 = tc_mono_ns();
	CHECK_OK(tc_ring_wait_ready(c.ring, &stop));
	CHECK(rf_since_s(t0) >= 0.5 && rf_since_s(t0) < 1);
	CHECK(rf_log_count("not stable after the max waiting time", NULL) == 1);

	/* a store that stops answering: never seen ACTIVE in a current view */
	rf_member_free(&c);
	rf_opts(&o, NULL);
	o.heartbeat_timeout_ns = 400 * MS;
	o.wait_active_instance_timeout_ns = 300 * MS;
	CHECK_OK(rf_member_start_with(&c, store, "compactor-c", 3, &o));
	atomic_store(&c.kv->fail, 1);
	rf_nap_ms(600);
	t0 = tc_mono_ns();
	CHECK_ERR(tc_ring_wait_ready(c.ring, &stop), TC_ERROR);
	CHECK_ERRMSG("wait_active_instance_timeout");
	CHECK(rf_since_s(t0) >= 0.29 && rf_since_s(t0) < 0.5);
	rf_member_free(&c);
	rf_member_free(&a);
	rf_member_free(&b);
	tc_kv_free(store);
}

/* Stopping never hangs on a store that does not answer. */
static void test_stop_bounded(void)
{
	tc_kv *store = NULL;
	rf_member a, b;
	tc_ring_desc *d = NULL;
	tc_ring_instance inst;
	uint64_t t0;

	CHECK_OK(tc_kv_mem_new(&store));
	rf_log_capture();
	/* every call hangs 1 s, then fails: at most the call in flight and one more */
	CHECK_OK(rf_member_start(&a, store, "compactor-a", 1));
	atomic_store(&a.kv->delay_ms, 1000);
	atomic_store(&a.kv->fail, 1);
	rf_nap_ms(100);
	t0 = tc_mono_ns();
	tc_ring_stop(a.ring);
	CHECK_MSG(rf_since_s(t0) < 2.3, "stop took %.2fs", rf_since_s(t0));
	/* calls that fail at once: stop is quick, and says it did not leave */
	CHECK_OK(rf_member_start(&b, store, "compactor-b", 2));
	atomic_store(&b.kv->fail, 1);
	rf_nap_ms(300);
	t0 = tc_mono_ns();
	tc_ring_stop(b.ring);
	CHECK_MSG(rf_since_s(t0) < 0.2, "stop took %.2fs", rf_since_s(t0));
	CHECK(rf_log_count("stopping without leaving the ring", NULL) >= 1);
	CHECK((d = rf_stored(store)) != NULL);
	CHECK_OK(tc_ring_desc_get(&inst, d, "compactor-b"));
	tc_ring_desc_free(d);
	rf_member_free(&a);
	rf_member_free(&b);
	tc_kv_free(store);
}

TC_TEST_MAIN(T(test_bad_options), T(test_join_own_leave), T(test_rejoin_keeps_tokens),
	     T(test_tempo_member_carried), T(test_member_stops_heartbeating), T(test_wait_ready),
	     T(test_stop_bounded))
