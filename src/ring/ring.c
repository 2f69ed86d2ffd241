/*
 * The lifecycler (ring.h; docs/RING.md#membership and
 * docs/RING.md#the-lifecycler): joining, the heartbeat thread, leaving,
 * and the view that ownership is answered from. Every change to the ring
 * is one read-change-CAS loop (ring_update), so members, ours or Tempo's,
 * that write the key at the same time never lose each other's entries.
 */
#include "src/ring/ring_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/util/error.h"
#include "src/util/log.h"
#include "src/util/strlist.h"
#include "src/util/timeutil.h"

#define NS 1000000000LL
/* etcd raises shorter lease TTLs to this (docs/RING.md#job-locks). */
#define LEASE_MIN_NS (2 * NS)

static int64_t wall_s(void)
{
	return tc_time_now().sec;
}

static char *concat3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(la + lb + lc + 1);

	if (s) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb);
		memcpy(s + la + lb, c, lc + 1);
	}
	return s;
}

static int opt_invalid(const char *what)
{
	tc_error_set("ring: %s", what);
	return TC_EINVALID;
}

int tc_ring_new(tc_ring **out, tc_kv *kv, const tc_ring_options *o)
{
	pthread_condattr_t ca;
	tc_ring *r;
	int64_t ttl;

	*out = NULL;
	if (!kv || !o)
		return opt_invalid("no kv store or options");
	if (!o->prefix || !o->key || !*o->key)
		return opt_invalid("the ring key is empty");
	if (!o->instance_id || !*o->instance_id)
		return opt_invalid("instance_id is empty");
	if (!o->instance_addr || !*o->instance_addr)
		return opt_invalid("the instance address is empty");
	if (o->heartbeat_period_ns <= 0)
		return opt_invalid("heartbeat_period must be positive");
	if (o->heartbeat_timeout_ns < 0 || o->wait_stability_min_ns < 0 ||
	    o->wait_stability_max_ns < 0 || o->wait_active_instance_timeout_ns < 0)
		return opt_invalid("negative heartbeat_timeout or wait duration");
	if (!(r = calloc(1, sizeof(*r))))
		goto oom;
	r->kv = kv;
	r->o = *o;
	r->ring_key = concat3(o->prefix, o->key, "");
	r->lock_prefix = concat3(o->prefix, o->key, "-jobs/");
	if (!r->ring_key || !r->lock_prefix) {
		free(r->ring_key);
		free(r->lock_prefix);
		free(r);
		goto oom;
	}
	/* desc.h judges health in whole seconds; a sub-second timeout still allows one */
	r->timeout_s = o->heartbeat_timeout_ns / NS;
	if (o->heartbeat_timeout_ns > 0 && r->timeout_s == 0)
		r->timeout_s = 1;
	ttl = o->heartbeat_period_ns > INT64_MAX / 3 ? INT64_MAX / 3 : 3 * o->heartbeat_period_ns;
	if (ttl < LEASE_MIN_NS)
		ttl = LEASE_MIN_NS;
	r->ttl_s = ttl / NS + (ttl % NS != 0);
	r->ttl_ns = (uint64_t)r->ttl_s * NS;
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	*out = r;
	return TC_OK;
oom:
	tc_error_set("ring: out of memory");
	return TC_ERROR;
}

/* ---- changing the ring ---- */

enum { TOKENS_NEW, TOKENS_KEPT, TOKENS_TOPPED_UP };

typedef struct update update;
struct update {
	/* Edits the decoded ring: 1 to write it, 0 to leave it as it is, < 0 to give up. */
	int (*fn)(tc_ring *r, tc_ring_desc *d, int64_t now_s, update *u);
	tc_ring_state state;   /* set_state */
	const char *id;        /* forget */
	/* What fn did on its last run, the one that was written: */
	tc_strlist forgotten;  /* removed by auto-forget or tc_ring_forget */
	int found;             /* our entry (or id's) was there */
	int tokens_how;
	uint32_t *tokens;      /* join: ours as written */
	size_t n_tokens;
	char other_addr[256];  /* join: a fresh entry under our ID with another address */
};

static void update_dispose(update *u)
{
	tc_strlist_dispose(&u->forgotten);
	free(u->tokens);
}

/*
 * dskit's CAS loop: read, decode, let u->fn change the ring, write it back
 * if the bytes changed, on the version read. A conflict means someone
 * wrote in between: read again, up to max_cas_retries times. The ring as
 * written (or as read, if nothing needed writing) becomes the view.
 */
static int ring_update(tc_ring *r, update *u)
{
	const tc_where w = { r->ring_key, TC_WHERE_NO_OFFSET };
	tc_kv_value v = TC_KV_VALUE_INIT;
	tc_buf enc = TC_BUF_INIT;
	tc_ring_desc *d = NULL;
	int rc;

	tc_buf_init(&v.data, TC_RING_MAX_VALUE_BYTES);
	for (uint32_t attempt = 0;; attempt++) {
		uint64_t read_ns = tc_mono_ns();
		int64_t now;

		tc_ring_desc_free(d);
		d = NULL;
		tc_strlist_clear(&u->forgotten);
		if ((rc = tc_kv_get(&v, r->kv, r->ring_key)) < 0 ||
		    (rc = tc_ring_desc_decode(&d, v.data.ptr, v.data.len, &w)) < 0)
			break;
		now = wall_s();
		if ((rc = u->fn(r, d, now, u)) < 0)
			break;
		if (rc > 0) {
			enc.len = 0;
			if ((rc = tc_ring_desc_encode(&enc, d)) < 0)
				break;
			/* The same bytes (a heartbeat within the same second): no write. */
			rc = enc.len != v.data.len || memcmp(enc.ptr, v.data.ptr, enc.len) != 0;
		}
		if (rc > 0) {
			rc = tc_kv_cas(r->kv, r->ring_key, v.version, enc.ptr, enc.len);
			if (rc == TC_ECONFLICT && attempt < r->o.max_cas_retries)
				continue;
			if (rc < 0)
				break;
		}
		rc = tc_ring_view_install(r, d, read_ns, now, &u->forgotten);
		d = NULL;
		break;
	}
	tc_ring_desc_free(d);
	tc_kv_value_dispose(&v);
	tc_buf_dispose(&enc);
	return rc;
}

/* Tempo's OnRingInstanceRegister: ACTIVE, our tokens kept, topped up to 512 if fewer. */
static int mutate_join(tc_ring *r, tc_ring_desc *d, int64_t now, update *u)
{
	const char *id = r->o.instance_id;
	tc_ring_instance me;
	uint32_t *fresh = NULL, *all = NULL;
	size_t have = 0;
	int rc;

	u->found = tc_ring_desc_get(&me, d, id) == TC_OK;
	u->other_addr[0] = '\0';
	if (u->found) {
		have = me.n_tokens;
		if (strcmp(me.addr, r->o.instance_addr) != 0 &&
		    tc_ring_instance_healthy(&me, now, r->timeout_s))
			snprintf(u->other_addr, sizeof(u->other_addr), "%s", me.addr);
	}
	if (have >= TC_RING_TOKENS) {
		u->tokens_how = TOKENS_KEPT;
		rc = tc_ring_desc_set(d, id, r->o.instance_addr, TC_RING_ACTIVE, now, NULL, 0);
	} else {
		u->tokens_how = have ? TOKENS_TOPPED_UP : TOKENS_NEW;
		if ((rc = tc_ring_desc_new_tokens(&fresh, TC_RING_TOKENS - have, d)) < 0)
			return rc;
		if (!(all = malloc(TC_RING_TOKENS * sizeof(*all)))) {
			free(fresh);
			tc_error_set("ring %s: out of memory for tokens", r->ring_key);
			return TC_ERROR;
		}
		if (have)
			memcpy(all, me.tokens, have * sizeof(*all));
		memcpy(all + have, fresh, (TC_RING_TOKENS - have) * sizeof(*all));
		rc = tc_ring_desc_set(d, id, r->o.instance_addr, TC_RING_ACTIVE, now, all,
				      TC_RING_TOKENS);
		free(fresh);
		free(all);
	}
	if (rc < 0)
		return rc;
	tc_ring_desc_get(&me, d, id);
	free(u->tokens);
	u->n_tokens = me.n_tokens;
	if (!(u->tokens = malloc((me.n_tokens ? me.n_tokens : 1) * sizeof(*u->tokens)))) {
		tc_error_set("ring %s: out of memory for tokens", r->ring_key);
		return TC_ERROR;
	}
	memcpy(u->tokens, me.tokens, me.n_tokens * sizeof(*u->tokens));
	return 1;
}

/*
 * Our entry with a fresh timestamp (re-added with our tokens if someone
 * removed it, as dskit's heartbeat does), and the auto-forget of members
 * silent for 2 x heartbeat_timeout.
 */
static int mutate_heartbeat(tc_ring *r, tc_ring_desc *d, int64_t now, update *u)
{
	const char *id = r->o.instance_id;
	tc_ring_instance me;
	size_t removed;
	int rc;

	u->found = tc_ring_desc_get(&me, d, id) == TC_OK;
	if ((rc = tc_ring_desc_set(d, id, r->o.instance_addr, TC_RING_ACTIVE, now,
				   u->found ? NULL : r->tokens, u->found ? 0 : r->n_tokens)) < 0)
		return rc;
	if (r->timeout_s > 0) {
		for (size_t i = 0; i < tc_ring_desc_count(d); i++) {
			tc_ring_instance o;

			tc_ring_desc_at(&o, d, i);
			/* tc_ring_desc_forget_stale's rule, to name whom it removes */
			if (strcmp(o.id, id) != 0 && o.timestamp < now - 2 * r->timeout_s &&
			    (rc = tc_strlist_add(&u->forgotten, o.id)) < 0)
				return rc;
		}
	}
	if ((rc = tc_ring_desc_forget_stale(&removed, d, id, now, r->timeout_s)) < 0)
		return rc;
	return 1;
}

static int mutate_state(tc_ring *r, tc_ring_desc *d, int64_t now, update *u)
{
	tc_ring_instance me;
	int rc;

	if (!(u->found = tc_ring_desc_get(&me, d, r->o.instance_id) == TC_OK))
		return 0;
	if ((rc = tc_ring_desc_set(d, r->o.instance_id, r->o.instance_addr, u->state, now, NULL,
				   0)) < 0)
		return rc;
	return 1;
}

static int mutate_remove(tc_ring *r, tc_ring_desc *d, int64_t now, update *u)
{
	tc_ring_instance i;
	int rc;

	(void)r;
	(void)now;
	if (!(u->found = tc_ring_desc_get(&i, d, u->id) == TC_OK))
		return 0;
	if ((rc = tc_strlist_add(&u->forgotten, u->id)) < 0 ||
	    (rc = tc_ring_desc_remove(d, u->id)) < 0)
		return rc;
	return 1;
}

/* ---- the lease job locks hang on ---- */

void tc_ring_lease_lost(tc_ring *r, int64_t lease, const char *why)
{
	int first;

	pthread_mutex_lock(&r->mu);
	if ((first = r->lease == lease))
		r->lease = 0;
	pthread_mutex_unlock(&r->mu);
	if (first)
		tc_log_warn("msg=\"ring lease lost; job locks held on it are lost\" ring=%s "
			    "lease=%llx err=%s", tc_log_q(r->ring_key), (unsigned long long)lease,
			    tc_log_q(why));
}

static int lease_grant(tc_ring *r, int again)
{
	uint64_t sent = tc_mono_ns();
	int64_t id, stale = 0;
	int rc;

	if ((rc = tc_kv_lease_grant(&id, r->kv, r->ttl_s)) < 0)
		return rc;
	pthread_mutex_lock(&r->mu);
	if (r->stopping) {
		stale = id;
	} else {
		r->lease = id;
		r->lease_sent_ns = sent;
	}
	pthread_mutex_unlock(&r->mu);
	if (stale) {
		tc_kv_lease_revoke(r->kv, stale);
		return TC_OK;
	}
	if (again)
		tc_log_info("msg=\"granted a new ring lease\" ring=%s lease=%llx ttl=%llds",
			    tc_log_q(r->ring_key), (unsigned long long)id, (long long)r->ttl_s);
	else
		tc_log_debug("msg=\"granted the ring lease\" ring=%s lease=%llx ttl=%llds",
			     tc_log_q(r->ring_key), (unsigned long long)id, (long long)r->ttl_s);
	return TC_OK;
}

/* Keeps our lease alive; one gone (expired, revoked) is replaced: its locks are lost. */
static int lease_keep(tc_ring *r)
{
	int64_t lease, ttl;
	uint64_t sent;
	int rc;

	pthread_mutex_lock(&r->mu);
	lease = r->lease;
	pthread_mutex_unlock(&r->mu);
	if (lease) {
		sent = tc_mono_ns();
		rc = tc_kv_lease_keepalive(&ttl, r->kv, lease);
		if (rc == TC_OK) {
			pthread_mutex_lock(&r->mu);
			if (r->lease == lease && sent > r->lease_sent_ns)
				r->lease_sent_ns = sent;
			pthread_mutex_unlock(&r->mu);
			return TC_OK;
		}
		if (rc != TC_ENOTFOUND)
			return rc;
		tc_ring_lease_lost(r, lease, tc_error_last());
	}
	return lease_grant(r, 1);
}

/* ---- the heartbeat thread ---- */

static int stopping(tc_ring *r)
{
	int s;

	pthread_mutex_lock(&r->mu);
	s = r->stopping;
	pthread_mutex_unlock(&r->mu);
	return s;
}

static void log_forgotten(const tc_ring *r, const tc_strlist *ids, const char *why)
{
	for (size_t i = 0; i < ids->n; i++)
		tc_log_info("msg=\"forgot ring member\" ring=%s instance=%s reason=%s",
			    tc_log_q(r->ring_key), tc_log_q(ids->items[i]), why);
}

/* Logs the first failure of an outage and its end, once each. */
static void note_outcome(tc_ring *r, int rc)
{
	char d[64];

	r->unreachable = rc == TC_ERROR;
	if (rc < 0 && !r->failing) {
		r->failing = 1;
		r->failing_since_ns = tc_mono_ns();
		if (rc == TC_ERROR)
			tc_log_warn("msg=\"kv store unreachable; no new job starts while the ring "
				    "view is older than heartbeat_timeout\" ring=%s store=%s err=%s",
				    tc_log_q(r->ring_key), tc_log_q(tc_kv_name(r->kv)),
				    tc_log_q(tc_error_last()));
		else
			tc_log_warn("msg=\"ring heartbeat failed; no new job starts while the ring "
				    "view is older than heartbeat_timeout\" ring=%s err=%s",
				    tc_log_q(r->ring_key), tc_log_q(tc_error_last()));
	} else if (rc == TC_OK && r->failing) {
		r->failing = 0;
		/* to the millisecond: nanoseconds of a multi-second outage are noise */
		tc_duration_format(d, sizeof(d),
				   (int64_t)((tc_mono_ns() - r->failing_since_ns) / 1000000 * 1000000));
		tc_log_info("msg=\"kv store reachable again; ring heartbeat back\" ring=%s "
			    "outage=%s", tc_log_q(r->ring_key), d);
	}
}

static void heartbeat(tc_ring *r)
{
	update u = { .fn = mutate_heartbeat };
	int rc;

	if ((rc = ring_update(r, &u)) == TC_OK) {
		if (!u.found)
			tc_log_warn("msg=\"this instance was missing from the ring; added it back "
				    "with its tokens\" ring=%s instance=%s", tc_log_q(r->ring_key),
				    tc_log_q(r->o.instance_id));
		log_forgotten(r, &u.forgotten, "heartbeat older than 2 x heartbeat_timeout");
	}
	/* Unreachable: another call would only cost another timeout. */
	if (rc != TC_ERROR && !stopping(r)) {
		int lrc = lease_keep(r);
		if (rc == TC_OK)
			rc = lrc;
	}
	if (rc == TC_OK)
		tc_ring_retry_deletes(r);
	if (!stopping(r))
		note_outcome(r, rc);
	update_dispose(&u);
}

static void *heartbeat_main(void *arg)
{
	tc_ring *r = arg;
	uint64_t period = (uint64_t)r->o.heartbeat_period_ns;
	uint64_t next = tc_mono_ns() + period;

	pthread_mutex_lock(&r->mu);
	while (!r->stopping) {
		struct timespec ts = { (time_t)(next / NS), (long)(next % NS) };
		uint64_t now;

		pthread_cond_timedwait(&r->cond, &r->mu, &ts);
		if (r->stopping)
			break;
		if ((now = tc_mono_ns()) < next)
			continue;
		pthread_mutex_unlock(&r->mu);
		heartbeat(r);
		/* A round slower than the period starts the next at once, as a ticker would. */
		next += period;
		if (next < (now = tc_mono_ns()))
			next = now;
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* ---- lifecycle ---- */

int tc_ring_start(tc_ring *r)
{
	static const char *const how[] = { "new", "kept", "topped up" };
	update u = { .fn = mutate_join };
	int rc;

	if (r->joined || r->started || r->stopping) {
		tc_error_set("ring %s: already started", r->ring_key);
		return TC_EINVALID;
	}
	tc_log_info("msg=\"joining the ring\" ring=%s store=%s instance=%s addr=%s",
		    tc_log_q(r->ring_key), tc_log_q(tc_kv_name(r->kv)),
		    tc_log_q(r->o.instance_id), tc_log_q(r->o.instance_addr));
	if ((rc = ring_update(r, &u)) < 0)
		goto done;
	r->joined = 1;
	r->tokens = u.tokens;
	r->n_tokens = u.n_tokens;
	u.tokens = NULL;
	if (u.other_addr[0])
		tc_log_warn("msg=\"took over a ring entry with our instance ID and a fresh heartbeat "
			    "from another address; instance IDs must be unique\" ring=%s "
			    "instance=%s other_addr=%s", tc_log_q(r->ring_key),
			    tc_log_q(r->o.instance_id), tc_log_q(u.other_addr));
	tc_log_info("msg=\"instance is ACTIVE in the ring\" ring=%s instance=%s addr=%s "
		    "tokens=%s n_tokens=%zu", tc_log_q(r->ring_key), tc_log_q(r->o.instance_id),
		    tc_log_q(r->o.instance_addr), tc_log_q(how[u.tokens_how]), r->n_tokens);
	if ((rc = lease_grant(r, 0)) < 0)
		goto done;
	if (pthread_create(&r->thread, NULL, heartbeat_main, r) != 0) {
		tc_error_set("ring %s: cannot start the heartbeat thread", r->ring_key);
		rc = TC_ERROR;
		goto done;
	}
	r->started = 1;
done:
	update_dispose(&u);
	return rc;
}

int tc_ring_forget(tc_ring *r, const char *instance_id)
{
	update u = { .fn = mutate_remove, .id = instance_id };
	int rc;

	if (!instance_id || !*instance_id) {
		tc_error_set("ring %s: forget: empty instance ID", r->ring_key);
		return TC_EINVALID;
	}
	if ((rc = ring_update(r, &u)) == TC_OK) {
		if (u.found) {
			log_forgotten(r, &u.forgotten, "forgotten on the ring page");
		} else {
			tc_error_set("ring %s: no instance %s to forget", r->ring_key, instance_id);
			rc = TC_ENOTFOUND;
		}
	}
	update_dispose(&u);
	return rc;
}

/* LEAVING, then removed; gives up at the first sign the store is unreachable. */
static void leave(tc_ring *r)
{
	update u = { .fn = mutate_state, .state = TC_RING_LEAVING };
	int rc;

	if ((rc = ring_update(r, &u)) == TC_OK && u.found)
		tc_log_info("msg=\"leaving the ring\" ring=%s instance=%s state=LEAVING",
			    tc_log_q(r->ring_key), tc_log_q(r->o.instance_id));
	update_dispose(&u);
	if (rc != TC_ERROR) {
		update rm = { .fn = mutate_remove, .id = r->o.instance_id };
		if ((rc = ring_update(r, &rm)) == TC_OK)
			tc_log_info("msg=\"left the ring\" ring=%s instance=%s",
				    tc_log_q(r->ring_key), tc_log_q(r->o.instance_id));
		update_dispose(&rm);
	}
	if (rc < 0) {
		tc_log_warn("msg=\"could not leave the ring; the others forget this instance after "
			    "2 x heartbeat_timeout\" ring=%s instance=%s err=%s",
			    tc_log_q(r->ring_key), tc_log_q(r->o.instance_id),
			    tc_log_q(tc_error_last()));
	}
	r->unreachable = rc == TC_ERROR;
}

void tc_ring_stop(tc_ring *r)
{
	tc_ring_view *v;
	int64_t lease;

	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	if (r->stopped) {
		pthread_mutex_unlock(&r->mu);
		return;
	}
	r->stopping = 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
	if (r->started) {
		pthread_join(r->thread, NULL);
		r->started = 0;
	}
	if (r->joined) {
		if (r->unreachable)
			tc_log_warn("msg=\"kv store unreachable: stopping without leaving the ring; "
				    "the others forget this instance after 2 x heartbeat_timeout\" "
				    "ring=%s instance=%s", tc_log_q(r->ring_key),
				    tc_log_q(r->o.instance_id));
		else
			leave(r);
	}
	pthread_mutex_lock(&r->mu);
	lease = r->lease;
	r->lease = 0;
	r->stopped = 1;
	v = r->view;
	r->view = NULL;
	pthread_mutex_unlock(&r->mu);
	tc_ring_view_put(r, v);
	/* Revoking drops every lock still held on it; an unreachable store lets it expire. */
	if (lease && !r->unreachable && tc_kv_lease_revoke(r->kv, lease) < 0)
		tc_log_warn("msg=\"could not revoke the ring lease; it expires on its own\" "
			    "ring=%s lease=%llx err=%s", tc_log_q(r->ring_key),
			    (unsigned long long)lease, tc_log_q(tc_error_last()));
}

void tc_ring_free(tc_ring *r)
{
	if (!r)
		return;
	tc_ring_stop(r);
	tc_ring_locks_dispose(r);
	tc_ring_known_dispose(r);
	free(r->tokens);
	free(r->ring_key);
	free(r->lock_prefix);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
