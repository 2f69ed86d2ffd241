#include "tests/kv_suite.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "src/util/timeutil.h"
#include "tests/test.h"

void tc_kv_suite_prefix(tc_kv_suite_fx *f, const char *base, const char *check)
{
	static atomic_int seq;

	snprintf(f->prefix, sizeof(f->prefix), "%s%d-%lld-%d/%s/", base, (int)getpid(),
		 (long long)time(NULL), atomic_fetch_add(&seq, 1), check);
}

const char *tc_kv_suite_key(char *out, const tc_kv_suite_fx *f, const char *name)
{
	snprintf(out, TC_KV_SUITE_KEY_MAX, "%s%s", f->prefix, name);
	return out;
}

void tc_kv_suite_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int tc_kv_suite_get_str(char out[4096], int64_t *version, tc_kv *kv, const char *key)
{
	tc_kv_value v = TC_KV_VALUE_INIT;
	int err = tc_kv_get(&v, kv, key);

	out[0] = '\0';
	if (err == TC_OK) {
		size_t n = v.data.len < 4095 ? v.data.len : 4095;
		if (n)
			memcpy(out, v.data.ptr, n);
		out[n] = '\0';
		if (version)
			*version = v.version;
	}
	tc_kv_value_dispose(&v);
	return err;
}

static int cas_str(tc_kv *kv, const char *key, int64_t version, const char *s)
{
	return tc_kv_cas(kv, key, version, s, strlen(s));
}

void tc_kv_suite_get_absent(tc_kv_suite_fx *f)
{
	char k[TC_KV_SUITE_KEY_MAX];
	tc_kv_value v = TC_KV_VALUE_INIT;

	CHECK_OK(tc_kv_get(&v, f->kv, tc_kv_suite_key(k, f, "absent")));
	CHECK_EQ_U64(v.version, 0);
	CHECK_EQ_U64(v.data.len, 0);
	CHECK_EQ_U64(v.create_revision, 0);
	CHECK_EQ_U64(v.mod_revision, 0);
	CHECK_EQ_U64(v.lease, 0);
	/* a value that held something before reads as absent too, not as what it held */
	CHECK_OK(tc_buf_puts(&v.data, "stale"));
	v.version = 7;
	v.create_revision = v.mod_revision = 9;
	CHECK_OK(tc_kv_get(&v, f->kv, k));
	CHECK_EQ_U64(v.version, 0);
	CHECK_EQ_U64(v.data.len, 0);
	CHECK_EQ_U64(v.create_revision, 0);
	tc_kv_value_dispose(&v);
	tc_kv_value_dispose(&v); /* twice is fine */
}

void tc_kv_suite_cas(tc_kv_suite_fx *f)
{
	char k[TC_KV_SUITE_KEY_MAX], k2[TC_KV_SUITE_KEY_MAX], k3[TC_KV_SUITE_KEY_MAX], s[4096];
	tc_kv_value v = TC_KV_VALUE_INIT, v2 = TC_KV_VALUE_INIT;
	int64_t ver = -1, created, mod1;

	tc_kv_suite_key(k, f, "ring");
	tc_kv_suite_key(k2, f, "other");
	tc_kv_suite_key(k3, f, "never");
	/* version 0: only if absent, and it creates the key */
	CHECK_OK(cas_str(f->kv, k, 0, "one"));
	CHECK_OK(tc_kv_get(&v, f->kv, k));
	CHECK_EQ_U64(v.version, 1);
	CHECK(v.data.len == 3 && memcmp(v.data.ptr, "one", 3) == 0);
	CHECK(v.create_revision > 0);
	CHECK_EQ_U64(v.mod_revision, v.create_revision);
	CHECK_EQ_U64(v.lease, 0);
	created = v.create_revision;
	mod1 = v.mod_revision;
	/* stale versions lose, naming the key, and leave the value alone */
	CHECK_ERR(cas_str(f->kv, k, 0, "zero again"), TC_ECONFLICT);
	CHECK_ERRMSG(k);
	CHECK_ERR(cas_str(f->kv, k, 2, "ahead"), TC_ECONFLICT);
	CHECK_OK(tc_kv_suite_get_str(s, &ver, f->kv, k));
	CHECK_STR(s, "one");
	CHECK_EQ_U64(ver, 1);
	/* the current version wins: one more version, same create revision */
	CHECK_OK(cas_str(f->kv, k2, 0, "elsewhere")); /* revisions are store-wide */
	CHECK_OK(cas_str(f->kv, k, 1, "two"));
	CHECK_OK(tc_kv_get(&v, f->kv, k));
	CHECK_OK(tc_kv_get(&v2, f->kv, k2));
	CHECK_EQ_U64(v.version, 2);
	CHECK(v.data.len == 3 && memcmp(v.data.ptr, "two", 3) == 0);
	CHECK_EQ_U64(v.create_revision, created);
	CHECK(v2.mod_revision > mod1);
	CHECK(v.mod_revision > v2.mod_revision);
	CHECK_ERR(cas_str(f->kv, k, 1, "stale"), TC_ECONFLICT);
	CHECK_OK(tc_kv_suite_get_str(s, &ver, f->kv, k));
	CHECK_STR(s, "two");
	CHECK_EQ_U64(ver, 2);
	/* a version an absent key never had creates nothing */
	CHECK_ERR(cas_str(f->kv, k3, 3, "x"), TC_ECONFLICT);
	CHECK_OK(tc_kv_suite_get_str(s, &ver, f->kv, k3));
	CHECK_EQ_U64(ver, 0);
	/* an empty value is a value: the key exists */
	CHECK_OK(tc_kv_cas(f->kv, k3, 0, NULL, 0));
	CHECK_OK(tc_kv_get(&v, f->kv, k3));
	CHECK_EQ_U64(v.version, 1);
	CHECK_EQ_U64(v.data.len, 0);
	CHECK_ERR(tc_kv_cas(f->kv, k3, 0, NULL, 0), TC_ECONFLICT);
	tc_kv_value_dispose(&v);
	tc_kv_value_dispose(&v2);
}

typedef struct writer {
	tc_kv_suite_fx *f;
	const char *key;
	atomic_int *go;
	int done;
	int conflicts;
	int err;
	char msg[1024];
} writer;

/* Increments the counter at key f->increments times, re-reading on every conflict. */
static void *writer_run(void *arg)
{
	writer *w = arg;
	tc_kv_value v = TC_KV_VALUE_INIT;
	char next[32];

	while (!atomic_load(w->go)) /* all at once, so the writers overlap */
		sched_yield();
	while (w->done < w->f->increments && !w->err) {
		long n = 0;
		int err = tc_kv_get(&v, w->f->kv, w->key);
		if (err == TC_OK && v.data.len) {
			char s[32];
			size_t l = v.data.len < sizeof(s) - 1 ? v.data.len : sizeof(s) - 1;
			memcpy(s, v.data.ptr, l);
			s[l] = '\0';
			n = atol(s);
		}
		if (err == TC_OK) {
			snprintf(next, sizeof(next), "%ld", n + 1);
			err = tc_kv_cas(w->f->kv, w->key, v.version, next, strlen(next));
		}
		if (err == TC_OK) {
			w->done++;
		} else if (err == TC_ECONFLICT) {
			w->conflicts++;
		} else {
			w->err = err;
			snprintf(w->msg, sizeof(w->msg), "%s", tc_error_last());
		}
	}
	tc_kv_value_dispose(&v);
	return NULL;
}

void tc_kv_suite_cas_concurrent(tc_kv_suite_fx *f)
{
	char k[TC_KV_SUITE_KEY_MAX], s[4096];
	writer w[16];
	pthread_t th[16];
	atomic_int go = 0;
	int n = f->threads < 16 ? f->threads : 16, started = 0, conflicts = 0;
	int64_t ver = 0;

	CHECK(n > 1);
	tc_kv_suite_key(k, f, "counter");
	memset(w, 0, sizeof(w));
	for (int i = 0; i < n; i++) {
		w[i].f = f;
		w[i].key = k;
		w[i].go = &go;
		if (pthread_create(&th[i], NULL, writer_run, &w[i]) != 0)
			break;
		started++;
	}
	atomic_store(&go, 1);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	CHECK(started == n);
	for (int i = 0; i < n; i++) {
		CHECK_MSG(w[i].err == 0, "writer %d: %d %s", i, w[i].err, w[i].msg);
		conflicts += w[i].conflicts;
	}
	fprintf(stderr, "  %d writers x %d increments, %d conflicts retried\n", n, f->increments,
		conflicts);
	/* every increment landed once: none lost to a concurrent writer */
	CHECK_OK(tc_kv_suite_get_str(s, &ver, f->kv, k));
	CHECK_EQ_U64(atol(s), n * f->increments);
	CHECK_EQ_U64(ver, n * f->increments);
}

void tc_kv_suite_create_lease(tc_kv_suite_fx *f)
{
	char k[TC_KV_SUITE_KEY_MAX], k2[TC_KV_SUITE_KEY_MAX], s[4096];
	tc_kv_value v = TC_KV_VALUE_INIT;
	int64_t lease = 0, lease2 = 0, rev = -1, rev2 = -1, ver = -1;

	tc_kv_suite_key(k, f, "jobs/t1-0-123");
	tc_kv_suite_key(k2, f, "jobs/plain");
	CHECK_OK(tc_kv_lease_grant(&lease, f->kv, 60));
	CHECK(lease > 0);
	CHECK_OK(tc_kv_create(&rev, f->kv, k, "replica-a", 9, lease));
	CHECK(rev > 0);
	CHECK_OK(tc_kv_get(&v, f->kv, k));
	CHECK_EQ_U64(v.version, 1);
	CHECK_EQ_U64(v.create_revision, rev);
	CHECK_EQ_U64(v.mod_revision, rev);
	CHECK_EQ_U64(v.lease, lease);
	CHECK(v.data.len == 9 && memcmp(v.data.ptr, "replica-a", 9) == 0);
	/* a second create loses, naming the key, and changes nothing */
	rev2 = 77;
	CHECK_ERR(tc_kv_create(&rev2, f->kv, k, "replica-b", 9, lease), TC_ECONFLICT);
	CHECK_ERRMSG(k);
	CHECK_EQ_U64(rev2, 0);
	CHECK_OK(tc_kv_suite_get_str(s, &ver, f->kv, k));
	CHECK_STR(s, "replica-a");
	CHECK_EQ_U64(ver, 1);
	/* without a lease */
	CHECK_OK(tc_kv_create(&rev2, f->kv, k2, "p", 1, 0));
	CHECK(rev2 > rev);
	/* revoking the lease deletes its keys, and only those */
	CHECK_OK(tc_kv_lease_revoke(f->kv, lease));
	CHECK_OK(tc_kv_suite_get_str(s, &ver, f->kv, k));
	CHECK_EQ_U64(ver, 0);
	CHECK_OK(tc_kv_suite_get_str(s, &ver, f->kv, k2));
	CHECK_EQ_U64(ver, 1);
	/* a revoked lease: keepalive says so, revoking again is fine, creating on it fails */
	CHECK_ERR(tc_kv_lease_keepalive(NULL, f->kv, lease), TC_ENOTFOUND);
	CHECK_OK(tc_kv_lease_revoke(f->kv, lease));
	CHECK_ERR(tc_kv_create(&rev2, f->kv, k, "replica-b", 9, lease), TC_ENOTFOUND);
	CHECK_ERRMSG(k);
	CHECK_OK(tc_kv_suite_get_str(s, &ver, f->kv, k));
	CHECK_EQ_U64(ver, 0);
	/* the key is free again: another replica takes it, at a later revision */
	CHECK_OK(tc_kv_lease_grant(&lease2, f->kv, 60));
	CHECK(lease2 != lease);
	CHECK_OK(tc_kv_create(&rev2, f->kv, k, "replica-b", 9, lease2));
	CHECK(rev2 > rev);
	CHECK_OK(tc_kv_suite_get_str(s, &ver, f->kv, k));
	CHECK_STR(s, "replica-b");
	CHECK_OK(tc_kv_lease_revoke(f->kv, lease2));
	tc_kv_value_dispose(&v);
}

void tc_kv_suite_lease_keepalive(tc_kv_suite_fx *f)
{
	char k[TC_KV_SUITE_KEY_MAX], s[4096];
	int64_t lease = 0, rev = 0, ttl = 0, ver = 0;
	uint64_t t0;

	tc_kv_suite_key(k, f, "alive");
	CHECK_OK(tc_kv_lease_grant(&lease, f->kv, 2));
	CHECK_OK(tc_kv_create(&rev, f->kv, k, "x", 1, lease));
	/* renewed every 500 ms for 4 s, twice the TTL: the key stays */
	t0 = tc_mono_ns();
	while (tc_mono_ns() - t0 < 4000000000ULL) {
		CHECK_OK(tc_kv_lease_keepalive(&ttl, f->kv, lease));
		CHECK_EQ_U64(ttl, 2);
		CHECK_OK(tc_kv_suite_get_str(s, &ver, f->kv, k));
		CHECK_EQ_U64(ver, 1);
		tc_kv_suite_sleep_ms(500);
	}
	CHECK_OK(tc_kv_lease_revoke(f->kv, lease));
}

void tc_kv_suite_lease_expiry(tc_kv_suite_fx *f)
{
	char k[TC_KV_SUITE_KEY_MAX], s[4096];
	int64_t lease = 0, rev = 0, rev2 = 0, ttl = 0, ver = 1;
	uint64_t t0;

	tc_kv_suite_key(k, f, "lock");
	CHECK_OK(tc_kv_lease_grant(&lease, f->kv, 2));
	CHECK_OK(tc_kv_create(&rev, f->kv, k, "x", 1, lease));
	CHECK_OK(tc_kv_lease_keepalive(&ttl, f->kv, lease));
	CHECK_EQ_U64(ttl, 2);
	/* no more keepalives: the key goes within the TTL and some slack for etcd's reaper */
	t0 = tc_mono_ns();
	while (tc_mono_ns() - t0 < 15000000000ULL) {
		CHECK_OK(tc_kv_suite_get_str(s, &ver, f->kv, k));
		if (ver == 0)
			break;
		tc_kv_suite_sleep_ms(100);
	}
	CHECK_MSG(ver == 0, "key %s still there 15 s after its 2 s lease", k);
	CHECK_MSG(tc_mono_ns() - t0 >= 1000000000ULL, "key gone before its lease ran out");
	CHECK_ERR(tc_kv_lease_keepalive(&ttl, f->kv, lease), TC_ENOTFOUND);
	CHECK_EQ_U64(ttl, 0);
	/* and the name is free for the next holder */
	CHECK_OK(tc_kv_create(&rev2, f->kv, k, "y", 1, 0));
	CHECK(rev2 > rev);
}

void tc_kv_suite_delete(tc_kv_suite_fx *f)
{
	char k[TC_KV_SUITE_KEY_MAX], s[4096];
	int64_t rev1 = 0, rev2 = 0, ver = 0;

	tc_kv_suite_key(k, f, "jobs/lock");
	CHECK_OK(tc_kv_create(&rev1, f->kv, k, "a", 1, 0));
	/* someone else's create revision: refused, naming the key, key kept */
	CHECK_ERR(tc_kv_delete(f->kv, k, rev1 + 1000), TC_ECONFLICT);
	CHECK_ERRMSG(k);
	CHECK_OK(tc_kv_suite_get_str(s, &ver, f->kv, k));
	CHECK_EQ_U64(ver, 1);
	CHECK_OK(tc_kv_delete(f->kv, k, rev1));
	CHECK_OK(tc_kv_suite_get_str(s, &ver, f->kv, k));
	CHECK_EQ_U64(ver, 0);
	/* gone already: not an error */
	CHECK_OK(tc_kv_delete(f->kv, k, rev1));
	/* re-created by another holder: our old revision must not delete theirs */
	CHECK_OK(tc_kv_create(&rev2, f->kv, k, "b", 1, 0));
	CHECK(rev2 > rev1);
	CHECK_ERR(tc_kv_delete(f->kv, k, rev1), TC_ECONFLICT);
	CHECK_OK(tc_kv_suite_get_str(s, &ver, f->kv, k));
	CHECK_STR(s, "b");
	/* a later write keeps the create revision, so the holder can still delete */
	CHECK_OK(cas_str(f->kv, k, 1, "b2"));
	CHECK_OK(tc_kv_delete(f->kv, k, rev2));
	CHECK_OK(tc_kv_suite_get_str(s, &ver, f->kv, k));
	CHECK_EQ_U64(ver, 0);
	/* 0: unconditionally */
	CHECK_OK(cas_str(f->kv, k, 0, "c"));
	CHECK_OK(tc_kv_delete(f->kv, k, 0));
	CHECK_OK(tc_kv_suite_get_str(s, &ver, f->kv, k));
	CHECK_EQ_U64(ver, 0);
	CHECK_OK(tc_kv_delete(f->kv, k, 0));
}

static int list_str(char *out, size_t outsz, const tc_kv_suite_fx *f, const char *sub)
{
	char p[TC_KV_SUITE_KEY_MAX];
	tc_strlist l = TC_STRLIST_INIT;
	size_t plen = strlen(f->prefix), o = 0;
	int err = tc_kv_list(&l, f->kv, tc_kv_suite_key(p, f, sub));

	out[0] = '\0';
	for (size_t i = 0; err == TC_OK && i < l.n && o < outsz; i++) {
		/* the names come back whole: show them without the run's prefix */
		const char *name = strncmp(l.items[i], f->prefix, plen) ? "<outside prefix>"
									 : l.items[i] + plen;
		o += (size_t)snprintf(out + o, outsz - o, "%s%s", i ? "," : "", name);
	}
	tc_strlist_dispose(&l);
	return err;
}

void tc_kv_suite_list(tc_kv_suite_fx *f)
{
	static const char *const names[] = { "p/b", "p/a", "p/b/c", "p/\x80z", "p0", "p", "o/x",
					     "f\xff", "f\xff\x01", "f\xff\xff", "g" };
	char k[TC_KV_SUITE_KEY_MAX], s[4096];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK_OK(cas_str(f->kv, tc_kv_suite_key(k, f, names[i]), 0, "v"));
	/* whole key names, in byte order (0x80 after ASCII) */
	CHECK_OK(list_str(s, sizeof(s), f, "p/"));
	CHECK_STR(s, "p/a,p/b,p/b/c,p/\x80z");
	CHECK_OK(list_str(s, sizeof(s), f, "p"));
	CHECK_STR(s, "p,p/a,p/b,p/b/c,p/\x80z,p0");
	CHECK_OK(list_str(s, sizeof(s), f, "p/b/"));
	CHECK_STR(s, "p/b/c");
	CHECK_OK(list_str(s, sizeof(s), f, "nothing/"));
	CHECK_STR(s, "");
	/* a prefix ending in 0xff: its range ends after the last byte below 0xff */
	CHECK_OK(list_str(s, sizeof(s), f, "f\xff"));
	CHECK_STR(s, "f\xff,f\xff\x01,f\xff\xff");
	CHECK_OK(list_str(s, sizeof(s), f, "f\xff\xff"));
	CHECK_STR(s, "f\xff\xff");
	/* the whole run */
	CHECK_OK(list_str(s, sizeof(s), f, ""));
	CHECK_STR(s, "f\xff,f\xff\x01,f\xff\xff,g,o/x,p,p/a,p/b,p/b/c,p/\x80z,p0");
	/* deleted keys leave the listing */
	CHECK_OK(tc_kv_delete(f->kv, tc_kv_suite_key(k, f, "p/a"), 0));
	CHECK_OK(list_str(s, sizeof(s), f, "p/"));
	CHECK_STR(s, "p/b,p/b/c,p/\x80z");
}

static int value_is(tc_kv *kv, const char *key, const uint8_t *want, size_t len)
{
	tc_kv_value v = TC_KV_VALUE_INIT;
	int ok = tc_kv_get(&v, kv, key) == TC_OK && v.version > 0 && v.data.len == len &&
		 (len == 0 || memcmp(v.data.ptr, want, len) == 0);
	tc_kv_value_dispose(&v);
	return ok;
}

void tc_kv_suite_binary(tc_kv_suite_fx *f)
{
	char k[TC_KV_SUITE_KEY_MAX], name[32];
	uint8_t all[256], ff[8];
	int64_t rev = 0;

	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	memset(ff, 0xff, sizeof(ff));
	/* every byte value, through both writes; NUL first so a C string would be empty */
	CHECK_OK(tc_kv_cas(f->kv, tc_kv_suite_key(k, f, "all-cas"), 0, all, sizeof(all)));
	CHECK(value_is(f->kv, k, all, sizeof(all)));
	CHECK_OK(tc_kv_create(&rev, f->kv, tc_kv_suite_key(k, f, "all-create"), all, sizeof(all), 0));
	CHECK(value_is(f->kv, k, all, sizeof(all)));
	/* reversed, and every length mod 3 (base64 padding) */
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)(255 - i);
	CHECK_OK(tc_kv_cas(f->kv, tc_kv_suite_key(k, f, "all-cas"), 1, all, sizeof(all)));
	CHECK(value_is(f->kv, k, all, sizeof(all)));
	for (size_t len = 0; len <= sizeof(ff); len++) {
		snprintf(name, sizeof(name), "ff-%zu", len);
		CHECK_OK(tc_kv_cas(f->kv, tc_kv_suite_key(k, f, name), 0, ff, len));
		CHECK_MSG(value_is(f->kv, k, ff, len), "%zu bytes of 0xff", len);
	}
	/* keys with bytes outside ASCII */
	CHECK_OK(tc_kv_cas(f->kv, tc_kv_suite_key(k, f, "\xc3\xa9t\xc3\xa9/\x01\x7f+/="), 0, "u", 1));
	CHECK(value_is(f->kv, k, (const uint8_t *)"u", 1));
}

void tc_kv_suite_large_value(tc_kv_suite_fx *f)
{
	char k[TC_KV_SUITE_KEY_MAX];
	size_t len = 200 * 1024 + 7;
	uint8_t *big = malloc(len);
	uint64_t seed = 42;
	tc_kv_value v = TC_KV_VALUE_INIT;

	CHECK(big != NULL);
	for (size_t i = 0; i < len; i++)
		big[i] = (uint8_t)tc_test_rand(&seed);
	tc_kv_suite_key(k, f, "big");
	if (tc_kv_cas(f->kv, k, 0, big, len) != TC_OK || !value_is(f->kv, k, big, len)) {
		free(big);
		CHECK_MSG(0, "a %zu byte value did not round-trip: %s", len, tc_error_last());
	}
	big[0] ^= 1;
	big[len - 1] ^= 1;
	if (tc_kv_cas(f->kv, k, 1, big, len) != TC_OK || !value_is(f->kv, k, big, len)) {
		free(big);
		CHECK_MSG(0, "a %zu byte rewrite did not round-trip: %s", len, tc_error_last());
	}
	free(big);
	/* the caller's buffer cap bounds what a read may allocate */
	tc_buf_init(&v.data, 1000);
	CHECK_ERR(tc_kv_get(&v, f->kv, k), TC_ELIMIT);
	CHECK_ERRMSG(k);
	CHECK_EQ_U64(v.data.len, 0);
	CHECK_EQ_U64(v.version, 0);
	tc_kv_value_dispose(&v);
}

void tc_kv_suite_bad_args(tc_kv_suite_fx *f)
{
	char long_key[1100];
	tc_kv_value v = TC_KV_VALUE_INIT;
	tc_strlist l = TC_STRLIST_INIT;
	int64_t id = 5, rev = 5, ttl = 5;

	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	CHECK_ERR(tc_kv_get(&v, f->kv, ""), TC_EINVALID);
	CHECK_ERR(tc_kv_get(&v, f->kv, NULL), TC_EINVALID);
	CHECK_ERR(tc_kv_get(&v, f->kv, long_key), TC_EINVALID);
	CHECK_ERR(tc_kv_cas(f->kv, "", 0, "x", 1), TC_EINVALID);
	CHECK_ERR(tc_kv_cas(f->kv, "k", -1, "x", 1), TC_EINVALID);
	CHECK_ERR(tc_kv_cas(f->kv, "k", 0, NULL, 1), TC_EINVALID);
	CHECK_ERR(tc_kv_create(&rev, f->kv, "", "x", 1, 0), TC_EINVALID);
	CHECK_EQ_U64(rev, 0);
	CHECK_ERR(tc_kv_create(&rev, f->kv, "k", "x", 1, -3), TC_EINVALID);
	CHECK_ERR(tc_kv_delete(f->kv, "", 0), TC_EINVALID);
	CHECK_ERR(tc_kv_delete(f->kv, "k", -1), TC_EINVALID);
	CHECK_ERR(tc_kv_list(&l, f->kv, NULL), TC_EINVALID);
	CHECK_ERR(tc_kv_lease_grant(&id, f->kv, 0), TC_EINVALID);
	CHECK_EQ_U64(id, 0);
	CHECK_ERR(tc_kv_lease_grant(&id, f->kv, -5), TC_EINVALID);
	CHECK_ERR(tc_kv_lease_keepalive(&ttl, f->kv, 0), TC_EINVALID);
	CHECK_EQ_U64(ttl, 0);
	CHECK_ERR(tc_kv_lease_revoke(f->kv, 0), TC_EINVALID);
	CHECK_ERRMSG(tc_kv_name(f->kv));
	tc_strlist_dispose(&l);
}
