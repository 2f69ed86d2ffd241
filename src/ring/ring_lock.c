/*
 * Job locks (ring.h; docs/RING.md#job-locks): a key per job created only
 * if absent, on the ring's lease, holding a value unique to the holder and
 * the attempt. The ring tells a replica which jobs to plan; the lock makes
 * one of two replicas that briefly disagree about the ring give way, and
 * the fencing check (confirm) makes a replica whose lock went away stop
 * before its output becomes visible.
 */
#include "src/ring/ring_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/array.h"
#include "src/util/error.h"
#include "src/util/fnv.h"
#include "src/util/ids.h"
#include "src/util/log.h"
#include "src/util/timeutil.h"
#include "src/util/utf8.h"

/* Escaped job bytes kept in a key; past it, a hash of the whole job stands for the rest. */
#define JOB_KEY_MAX 400
/* Failed deletes waiting for the store; past this many the oldest are left to the lease. */
#define PENDING_DELETES_MAX 4096
/* Lock values are a few hundred bytes; anything else at the key is cut short. */
#define VALUE_CAP ((size_t)1 << 16)

struct tc_ring_job_lock {
	tc_ring *r;
	char *key;
	char *job;
	int64_t lease;
	int64_t create_revision;
	int lost_logged;
};

/* Tenant ID bytes (src/util/ids.c) and a job hash's separators stay as they are. */
static int plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!-_.*'()", c));
}

static size_t escaped_len(unsigned char c)
{
	return plain(c) ? 1 : 3;
}

/*
 * <prefix><key>-jobs/<job>, job bytes other than a tenant ID's percent-
 * escaped, so any job string makes one readable key of bounded length and
 * different jobs never share a key: '~' (itself escaped) marks a long job
 * cut short and followed by the FNV-1 64 of all of it.
 */
static int lock_key(tc_buf *out, const tc_ring *r, const char *job)
{
	size_t n = strlen(job), total = 0, room = JOB_KEY_MAX;
	int rc;

	for (size_t i = 0; i < n; i++)
		total += escaped_len((unsigned char)job[i]);
	if (total > JOB_KEY_MAX)
		room = JOB_KEY_MAX - 17;
	if ((rc = tc_buf_puts(out, r->lock_prefix)) < 0)
		return rc;
	for (size_t i = 0, used = 0; i < n; i++) {
		unsigned char c = (unsigned char)job[i];
		if ((used += escaped_len(c)) > room)
			break;
		rc = plain(c) ? tc_buf_putc(out, c) : tc_buf_printf(out, "%%%02X", c);
		if (rc < 0)
			return rc;
	}
	if (total > JOB_KEY_MAX &&
	    (rc = tc_buf_printf(out, "~%016llx", (unsigned long long)tc_fnv1_64_update(
				   TC_FNV64_INIT, (const uint8_t *)job, n))) < 0)
		return rc;
	return tc_buf_cstr(out);
}

/* The start of every lock value this instance writes: what marks a lock as ours. */
static int value_head(tc_buf *out, const tc_ring *r)
{
	int rc;

	if ((rc = tc_buf_puts(out, "{\"instance\":")) < 0 ||
	    (rc = tc_json_put_string(out, r->o.instance_id)) < 0)
		return rc;
	return tc_buf_putc(out, ',');
}

/* {"instance","addr","nonce","acquired"}: the nonce makes every attempt's value unique. */
static int lock_value(tc_buf *out, const tc_ring *r)
{
	char nonce[TC_UUID_STR_LEN + 1], at[TC_TIME_STR_MAX];
	tc_uuid u;
	tc_time now = tc_time_now();
	int rc;

	if ((rc = tc_uuid_v4(&u)) < 0)
		return rc;
	tc_uuid_format(nonce, &u);
	tc_time_format_utc(at, &now);
	if ((rc = value_head(out, r)) < 0 || (rc = tc_buf_puts(out, "\"addr\":")) < 0 ||
	    (rc = tc_json_put_string(out, r->o.instance_addr)) < 0)
		return rc;
	return tc_buf_printf(out, ",\"nonce\":\"%s\",\"acquired\":\"%s\"}", nonce, at);
}

static int starts_with(const tc_buf *b, const tc_buf *head)
{
	return b->len >= head->len && memcmp(b->ptr, head->ptr, head->len) == 0;
}

/* ---- this process's locks (under r->mu) ---- */

static int registry_add(tc_ring *r, tc_ring_job_lock *l)
{
	for (size_t i = 0; i < r->n_locks; i++) {
		if (strcmp(r->locks[i]->key, l->key) == 0) {
			tc_error_set("job %s is locked by this replica already (%s)", l->job, l->key);
			return TC_ECONFLICT;
		}
	}
	if (tc_array_reserve(r->locks, r->cap_locks, r->n_locks + 1, 0) < 0)
		return TC_ERROR;
	r->locks[r->n_locks++] = l;
	return TC_OK;
}

static void registry_remove(tc_ring *r, const tc_ring_job_lock *l)
{
	for (size_t i = 0; i < r->n_locks; i++) {
		if (r->locks[i] == l) {
			r->locks[i] = r->locks[--r->n_locks];
			return;
		}
	}
}

static void lock_free(tc_ring_job_lock *l)
{
	if (!l)
		return;
	free(l->key);
	free(l->job);
	free(l);
}

/*
 * After a create found the key taken: 1 when the holder was a lock of
 * this instance that this process does not hold (one from a create that
 * failed but landed later, or from before a restart) and it is gone now,
 * so the create may be tried again; 0 otherwise, with the holder named.
 */
static int clear_stale_own(tc_ring *r, const tc_ring_job_lock *l, const tc_buf *head)
{
	tc_kv_value v = TC_KV_VALUE_INIT;
	int rc;

	tc_buf_init(&v.data, VALUE_CAP);
	if (tc_kv_get(&v, r->kv, l->key) < 0) {
		rc = 0;
	} else if (v.version == 0) {
		rc = 1; /* released in between */
	} else if (starts_with(&v.data, head)) {
		/* registry_add made sure no lock of this process is at this key */
		rc = tc_kv_delete(r->kv, l->key, v.create_revision) == TC_OK;
		if (rc)
			tc_log_info("msg=\"removed a stale job lock of this instance\" job=%s key=%s "
				    "create_revision=%lld", tc_log_q(l->job), tc_log_q(l->key),
				    (long long)v.create_revision);
	} else {
		tc_error_set("job %s is locked by another replica: %s holds %.*s", l->job, l->key,
			     (int)(v.data.len < 256 ? v.data.len : 256), (const char *)v.data.ptr);
		rc = 0;
	}
	tc_kv_value_dispose(&v);
	return rc;
}

/*
 * A create that failed with TC_ERROR may still land (kv.h): if it did,
 * delete it now, and if the store cannot say, the lease or our next
 * attempt (clear_stale_own) ends it.
 */
static void undo_unknown_create(tc_ring *r, const tc_ring_job_lock *l, const tc_buf *value)
{
	tc_kv_value v = TC_KV_VALUE_INIT;
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", tc_error_last());
	tc_buf_init(&v.data, VALUE_CAP);
	if (tc_kv_get(&v, r->kv, l->key) == TC_OK && v.version > 0 && v.data.len == value->len &&
	    memcmp(v.data.ptr, value->ptr, value->len) == 0)
		tc_kv_delete(r->kv, l->key, v.create_revision);
	tc_kv_value_dispose(&v);
	tc_error_set("%s", msg);
}

int tc_ring_lock(tc_ring_job_lock **out, tc_ring *r, const char *job)
{
	tc_buf key = TC_BUF_INIT, value = TC_BUF_INIT, head = TC_BUF_INIT;
	tc_ring_job_lock *l = NULL;
	int rc, registered = 0;

	*out = NULL;
	if (!job || !*job) {
		tc_error_set("ring %s: lock: empty job", r->ring_key);
		return TC_EINVALID;
	}
	if (!(l = calloc(1, sizeof(*l))) || !(l->job = strdup(job)) ||
	    (rc = lock_key(&key, r, job)) < 0 || (rc = lock_value(&value, r)) < 0 ||
	    (rc = value_head(&head, r)) < 0) {
		tc_error_set("ring %s: lock %s: out of memory", r->ring_key, job);
		rc = TC_ERROR;
		goto done;
	}
	l->r = r;
	l->key = (char *)tc_buf_detach(&key, NULL);
	pthread_mutex_lock(&r->mu);
	if (r->stopping) {
		tc_error_set("ring %s: lock %s: the ring is stopping", r->ring_key, job);
		rc = TC_ERROR;
	} else if (!r->lease) {
		tc_error_set("ring %s: lock %s: no lease (the last one was lost; the heartbeat "
			     "grants another)", r->ring_key, job);
		rc = TC_ERROR;
	} else if ((rc = registry_add(r, l)) == TC_OK) {
		registered = 1;
		l->lease = r->lease;
	}
	pthread_mutex_unlock(&r->mu);
	if (rc < 0)
		goto done;
	rc = tc_kv_create(&l->create_revision, r->kv, l->key, value.ptr, value.len, l->lease);
	if (rc == TC_ECONFLICT && clear_stale_own(r, l, &head))
		rc = tc_kv_create(&l->create_revision, r->kv, l->key, value.ptr, value.len,
				  l->lease);
	if (rc == TC_ERROR) {
		undo_unknown_create(r, l, &value);
	} else if (rc == TC_ENOTFOUND) {
		tc_ring_lease_lost(r, l->lease, tc_error_last());
		tc_error_set("ring %s: lock %s: lease %llx is gone (the heartbeat grants another)",
			     r->ring_key, job, (unsigned long long)l->lease);
		rc = TC_ERROR;
	}
	if (rc == TC_OK)
		tc_log_debug("msg=\"took job lock\" job=%s key=%s create_revision=%lld",
			     tc_log_q(job), tc_log_q(l->key), (long long)l->create_revision);
done:
	if (rc < 0) {
		if (registered) {
			pthread_mutex_lock(&r->mu);
			registry_remove(r, l);
			pthread_mutex_unlock(&r->mu);
		}
		lock_free(l);
	} else {
		*out = l;
	}
	tc_buf_dispose(&key);
	tc_buf_dispose(&value);
	tc_buf_dispose(&head);
	return rc;
}

static int lost(tc_ring_job_lock *l, const char *why)
{
	tc_error_set("job lock %s lost: %s", l->key, why);
	if (!l->lost_logged) {
		l->lost_logged = 1;
		tc_log_warn("msg=\"job lock lost\" job=%s key=%s reason=%s", tc_log_q(l->job),
			    tc_log_q(l->key), tc_log_q(why));
	}
	return TC_ECONFLICT;
}

int tc_ring_lock_confirm(tc_ring_job_lock *l)
{
	tc_ring *r = l->r;
	tc_kv_value v = TC_KV_VALUE_INIT;
	uint64_t sent, now;
	int64_t lease, ttl;
	int rc;

	pthread_mutex_lock(&r->mu);
	lease = r->lease;
	sent = r->lease_sent_ns;
	pthread_mutex_unlock(&r->mu);
	if (lease != l->lease)
		return lost(l, "the lease it was held on is gone");
	/*
	 * The lease lives ttl after the last keep-alive etcd saw, which was sent
	 * no earlier than `sent`. With less than a heartbeat period of that
	 * left, renew it now rather than trust it.
	 */
	now = tc_mono_ns();
	if (now - sent >= r->ttl_ns - (uint64_t)r->o.heartbeat_period_ns) {
		rc = tc_kv_lease_keepalive(&ttl, r->kv, lease);
		if (rc == TC_ENOTFOUND) {
			tc_ring_lease_lost(r, lease, tc_error_last());
			return lost(l, "the lease it was held on expired");
		}
		if (rc < 0)
			return rc;
		pthread_mutex_lock(&r->mu);
		if (r->lease == lease && now > r->lease_sent_ns)
			r->lease_sent_ns = now;
		pthread_mutex_unlock(&r->mu);
	}
	tc_buf_init(&v.data, VALUE_CAP);
	if ((rc = tc_kv_get(&v, r->kv, l->key)) == TC_OK) {
		if (v.version == 0)
			rc = lost(l, "the key is gone");
		else if (v.create_revision != l->create_revision || v.lease != l->lease)
			rc = lost(l, "the key was created again by another holder");
	}
	tc_kv_value_dispose(&v);
	return rc;
}

static void pending_add(tc_ring *r, char *key, int64_t create_revision)
{
	int kept = 0;

	pthread_mutex_lock(&r->mu);
	if (!r->stopping && r->n_deletes < PENDING_DELETES_MAX &&
	    tc_array_reserve(r->deletes, r->cap_deletes, r->n_deletes + 1, 0) == TC_OK) {
		r->deletes[r->n_deletes++] = (tc_ring_pending_delete){ key, create_revision };
		kept = 1;
	}
	pthread_mutex_unlock(&r->mu);
	if (!kept)
		free(key);
}

void tc_ring_unlock(tc_ring_job_lock *l)
{
	tc_ring *r;
	int stopped, rc;

	if (!l)
		return;
	r = l->r;
	pthread_mutex_lock(&r->mu);
	registry_remove(r, l);
	stopped = r->stopped;
	pthread_mutex_unlock(&r->mu);
	/* After stop the lease is revoked (or left to expire) and the key with it. */
	if (!stopped) {
		rc = tc_kv_delete(r->kv, l->key, l->create_revision);
		if (rc == TC_ERROR) {
			/* Held on our live lease it would block the job: retried by the heartbeat. */
			tc_log_debug("msg=\"job lock delete failed; retrying with the heartbeat\" "
				     "key=%s err=%s", tc_log_q(l->key), tc_log_q(tc_error_last()));
			pending_add(r, l->key, l->create_revision);
			l->key = NULL;
		}
	}
	lock_free(l);
}

void tc_ring_retry_deletes(tc_ring *r)
{
	tc_ring_pending_delete *d;
	size_t n, i;

	pthread_mutex_lock(&r->mu);
	d = r->deletes;
	n = r->n_deletes;
	r->deletes = NULL;
	r->n_deletes = r->cap_deletes = 0;
	pthread_mutex_unlock(&r->mu);
	for (i = 0; i < n; i++) {
		if (tc_kv_delete(r->kv, d[i].key, d[i].create_revision) == TC_ERROR)
			break;
		free(d[i].key);
	}
	for (; i < n; i++)
		pending_add(r, d[i].key, d[i].create_revision);
	free(d);
}

void tc_ring_locks_dispose(tc_ring *r)
{
	for (size_t i = 0; i < r->n_deletes; i++)
		free(r->deletes[i].key);
	free(r->deletes);
	free(r->locks);
	r->deletes = NULL;
	r->locks = NULL;
	r->n_deletes = r->n_locks = 0;
}
