/*
 * What the ring's unit tests share (tests/ring_fixture.h): a kv decorator
 * that fails on demand, members over one in-memory store, log capture.
 */
#include "tests/ring_fixture.h"

#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "src/util/log.h"
#include "src/util/timeutil.h"

/* ---- a kv decorator that fails on demand and records the ring's writes ---- */

static int down(rf_deco *d, const char *op)
{
	int ms = atomic_load(&d->delay_ms);

	if (ms > 0) {
		struct timespec ts = { ms / 1000, (long)(ms % 1000) * MS };
		nanosleep(&ts, NULL);
	}
	if (atomic_load(&d->fail)) {
		tc_error_set("deco: %s: store unreachable", op);
		return 1;
	}
	return 0;
}

static int d_get(tc_kv_value *out, tc_kv *kv, const char *key)
{
	rf_deco *d = (rf_deco *)kv;
	return down(d, "get") ? TC_ERROR : d->inner->ops->get(out, d->inner, key);
}

static int d_cas(tc_kv *kv, const char *key, int64_t version, const void *value, size_t len)
{
	rf_deco *d = (rf_deco *)kv;
	int rc;

	if (down(d, "cas"))
		return TC_ERROR;
	if ((rc = d->inner->ops->cas(d->inner, key, version, value, len)) == TC_OK &&
	    strcmp(key, RING_KEY) == 0) {
		pthread_mutex_lock(&d->mu);
		tc_buf *b = &d->writes[d->n_writes++ % 64];
		b->len = 0;
		tc_buf_put(b, value, len);
		pthread_mutex_unlock(&d->mu);
	}
	return rc;
}

static int d_create(int64_t *rev, tc_kv *kv, const char *key, const void *value, size_t len,
		    int64_t lease)
{
	rf_deco *d = (rf_deco *)kv;
	int rc;

	if (down(d, "create"))
		return TC_ERROR;
	if (atomic_load(&d->fail_create)) {
		tc_error_set("deco: create %s: store unreachable", key);
		return TC_ERROR;
	}
	rc = d->inner->ops->create(rev, d->inner, key, value, len, lease);
	if (rc == TC_OK && atomic_load(&d->create_lost)) {
		tc_error_set("deco: create %s: answer lost", key);
		return TC_ERROR;
	}
	return rc;
}

static int d_del(tc_kv *kv, const char *key, int64_t rev)
{
	rf_deco *d = (rf_deco *)kv;

	if (down(d, "delete"))
		return TC_ERROR;
	if (atomic_load(&d->fail_delete)) {
		tc_error_set("deco: delete %s: store unreachable", key);
		return TC_ERROR;
	}
	return d->inner->ops->del(d->inner, key, rev);
}

static int d_list(tc_strlist *out, tc_kv *kv, const char *prefix)
{
	rf_deco *d = (rf_deco *)kv;
	return down(d, "list") ? TC_ERROR : d->inner->ops->list(out, d->inner, prefix);
}

static int d_grant(int64_t *id, tc_kv *kv, int64_t ttl)
{
	rf_deco *d = (rf_deco *)kv;
	return down(d, "grant") ? TC_ERROR : d->inner->ops->lease_grant(id, d->inner, ttl);
}

static int d_keepalive(int64_t *ttl, tc_kv *kv, int64_t id)
{
	rf_deco *d = (rf_deco *)kv;

	if (down(d, "keepalive"))
		return TC_ERROR;
	if (atomic_load(&d->fail_keepalive)) {
		tc_error_set("deco: keepalive: store unreachable");
		return TC_ERROR;
	}
	return d->inner->ops->lease_keepalive(ttl, d->inner, id);
}

static int d_revoke(tc_kv *kv, int64_t id)
{
	rf_deco *d = (rf_deco *)kv;
	return down(d, "revoke") ? TC_ERROR : d->inner->ops->lease_revoke(d->inner, id);
}

static const char *d_describe(const tc_kv *kv)
{
	(void)kv;
	return "deco";
}

static void d_free(tc_kv *kv)
{
	rf_deco *d = (rf_deco *)kv;

	for (size_t i = 0; i < 64; i++)
		tc_buf_dispose(&d->writes[i]);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

static const tc_kv_ops deco_ops = {
	.name = "deco", .get = d_get, .cas = d_cas, .create = d_create, .del = d_del,
	.list = d_list, .lease_grant = d_grant, .lease_keepalive = d_keepalive,
	.lease_revoke = d_revoke, .describe = d_describe, .free = d_free,
};

rf_deco *rf_deco_new(tc_kv *inner)
{
	rf_deco *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->base.ops = &deco_ops;
	d->inner = inner;
	pthread_mutex_init(&d->mu, NULL);
	return d;
}

const tc_buf *rf_deco_write(rf_deco *d, size_t i)
{
	return i < d->n_writes && i < 64 ? &d->writes[(d->n_writes - 1 - i) % 64] : NULL;
}

/* ---- rings ---- */

void rf_opts(tc_ring_options *o, rf_member *m)
{
	memset(o, 0, sizeof(*o));
	o->prefix = "t/";
	o->key = "compactor";
	o->instance_id = m ? m->id : NULL;
	o->instance_addr = m ? m->addr : NULL;
	o->heartbeat_period_ns = 200 * MS;
	o->heartbeat_timeout_ns = 2 * S;
	o->wait_stability_min_ns = 0;
	o->wait_stability_max_ns = 3 * S;
	o->wait_active_instance_timeout_ns = 5 * S;
	o->max_cas_retries = 10;
	o->metrics = m ? m->metrics : NULL;
}

int rf_member_new(rf_member *m, tc_kv *store, const char *id, int n, tc_ring_options *o)
{
	tc_ring_options def;

	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", id);
	snprintf(m->addr, sizeof(m->addr), "10.0.0.%d:9095", n);
	m->kv = rf_deco_new(store);
	if (tc_metrics_new(&m->metrics) < 0)
		return TC_ERROR;
	if (!o) {
		rf_opts(&def, m);
		o = &def;
	}
	o->instance_id = m->id;
	o->instance_addr = m->addr;
	o->metrics = m->metrics;
	return tc_ring_new(&m->ring, &m->kv->base, o);
}

int rf_member_start_with(rf_member *m, tc_kv *store, const char *id, int n, tc_ring_options *o)
{
	int rc = rf_member_new(m, store, id, n, o);
	return rc < 0 ? rc : tc_ring_start(m->ring);
}

int rf_member_start(rf_member *m, tc_kv *store, const char *id, int n)
{
	return rf_member_start_with(m, store, id, n, NULL);
}

void rf_member_free(rf_member *m)
{
	tc_ring_free(m->ring);
	tc_kv_free(&m->kv->base);
	tc_metrics_free(m->metrics);
	memset(m, 0, sizeof(*m));
}

void rf_nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * MS };
	nanosleep(&ts, NULL);
}

double rf_since_s(uint64_t t0)
{
	return (double)(tc_mono_ns() - t0) / 1e9;
}

tc_ring_desc *rf_stored(tc_kv *store)
{
	tc_kv_value v = TC_KV_VALUE_INIT;
	tc_ring_desc *d = NULL;

	if (tc_kv_get(&v, store, RING_KEY) == TC_OK)
		tc_ring_desc_decode(&d, v.data.ptr, v.data.len, NULL);
	tc_kv_value_dispose(&v);
	return d;
}

double rf_members(rf_member *m, const char *state)
{
	return tc_metrics_get(m->metrics, TC_M_RING_MEMBERS, "compactor", state);
}

int rf_wait_members(rf_member *m, double active, double unhealthy, int timeout_ms)
{
	for (int t = 0; t < timeout_ms; t += 20) {
		if (rf_members(m, "ACTIVE") == active && rf_members(m, "Unhealthy") == unhealthy)
			return 1;
		rf_nap_ms(20);
	}
	return 0;
}

void rf_key_name(char *out, size_t n, int i)
{
	snprintf(out, n, "tenant-%d-1-%d", i % 37, 19000 + i);
}

/* ---- log capture ---- */

static char log_path[4096];

void rf_log_capture(void)
{
	int fd;

	snprintf(log_path, sizeof(log_path), "%s/ring.log", tc_test_tmpdir());
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	tc_log_set_fd(fd);
}

int rf_log_count(const char *needle, const char *also)
{
	tc_buf b = TC_BUF_INIT;
	int n = 0;

	if (tc_test_read_file(&b, log_path) < 0)
		return -1;
	tc_buf_cstr(&b);
	for (char *line = (char *)b.ptr; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strstr(line, needle) && (!also || strstr(line, also)))
			n++;
		line = nl ? nl + 1 : NULL;
	}
	tc_buf_dispose(&b);
	return n;
}


int rf_wait_log(const char *needle, const char *also, int n, int timeout_ms)
{
	int got;

	for (int waited = 0;; waited += 20) {
		got = rf_log_count(needle, also);
		if (got >= n || waited >= timeout_ms)
			return got;
		rf_nap_ms(20);
	}
}
