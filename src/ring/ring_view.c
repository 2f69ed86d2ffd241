/*
 * The ring as this replica last read it (ring.h; docs/RING.md#the-lifecycler):
 * the view ownership is answered from, the member logs and gauges each new
 * view brings, and waiting for the ring to settle at start.
 */
#include "src/ring/ring_impl.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/util/array.h"
#include "src/util/error.h"
#include "src/util/fnv.h"
#include "src/util/log.h"
#include "src/util/strlist.h"
#include "src/util/timeutil.h"

/* How often tc_ring_wait_ready looks at the view and the stop flag. */
#define WAIT_POLL_NS (50 * 1000000LL)

static const char UNHEALTHY[] = "Unhealthy";
/* The gauges' name label: Tempo's ring name, whatever key (override_ring_key) it lives at. */
static const char RING_NAME[] = "compactor";

static void fmt_time(char out[TC_TIME_STR_MAX], int64_t unix_s)
{
	tc_time t = tc_time_from_unix(unix_s, 0);

	tc_time_format_utc(out, &t);
}

static void view_free(tc_ring_view *v)
{
	if (!v)
		return;
	tc_ring_table_free(v->table);
	tc_ring_desc_free(v->desc);
	free(v);
}

tc_ring_view *tc_ring_view_get(tc_ring *r)
{
	tc_ring_view *v;

	pthread_mutex_lock(&r->mu);
	if ((v = r->view))
		v->refs++;
	pthread_mutex_unlock(&r->mu);
	return v;
}

void tc_ring_view_put(tc_ring *r, tc_ring_view *v)
{
	int last;

	if (!v)
		return;
	pthread_mutex_lock(&r->mu);
	last = --v->refs == 0;
	pthread_mutex_unlock(&r->mu);
	if (last)
		view_free(v);
}

int tc_ring_view_fresh(const tc_ring *r, const tc_ring_view *v, uint64_t now_ns)
{
	return r->o.heartbeat_timeout_ns <= 0 ||
	       now_ns - v->read_ns <= (uint64_t)r->o.heartbeat_timeout_ns;
}

const char *tc_ring_member_class(const tc_ring *r, const tc_ring_instance *i, int64_t now_s)
{
	if (r->timeout_s > 0 && i->timestamp < now_s - r->timeout_s)
		return UNHEALTHY;
	return tc_ring_state_name(i->state);
}

/* The member gauges, all five of Tempo's states always (docs/RING.md#metrics). */
static void set_metrics(tc_ring *r, const tc_ring_view *v)
{
	static const char *const classes[] = { "ACTIVE", "LEAVING", "PENDING", "JOINING",
					       UNHEALTHY, "LEFT", "UNKNOWN" };
	enum { N_ALWAYS = 5, N_CLASSES = 7 };
	size_t count[N_CLASSES] = { 0 };

	if (!r->o.metrics)
		return;
	for (size_t i = 0; i < tc_ring_desc_count(v->desc); i++) {
		tc_ring_instance inst;
		const char *c;

		tc_ring_desc_at(&inst, v->desc, i);
		c = tc_ring_member_class(r, &inst, v->now_s);
		for (size_t k = 0; k < N_CLASSES; k++)
			if (strcmp(c, classes[k]) == 0)
				count[k]++;
	}
	for (size_t k = 0; k < N_CLASSES; k++) {
		/* states Tempo does not list show up once seen, and stay (at 0) after */
		if (k >= N_ALWAYS) {
			if (count[k])
				r->extra_states |= 1u << k;
			if (!(r->extra_states & (1u << k)))
				continue;
		}
		tc_metrics_set(r->o.metrics, TC_M_RING_MEMBERS, (double)count[k], RING_NAME,
			       classes[k]);
		tc_metrics_set(r->o.metrics, TC_M_RING_MEMBERS_TEMPO, (double)count[k], RING_NAME,
			       classes[k]);
	}
}

static void known_clear(tc_ring *r)
{
	for (size_t i = 0; i < r->n_known; i++)
		free(r->known[i].id);
	r->n_known = 0;
}

void tc_ring_known_dispose(tc_ring *r)
{
	known_clear(r);
	free(r->known);
	r->known = NULL;
	r->cap_known = 0;
}

static int in_list(const tc_strlist *l, const char *s)
{
	return l && tc_strlist_contains(l, s);
}

static void note_change(const tc_ring *r, const tc_ring_instance *inst, const char *was,
			const char *is)
{
	char hb[TC_TIME_STR_MAX];

	fmt_time(hb, inst->timestamp);
	if (strcmp(is, UNHEALTHY) == 0)
		tc_log_warn("msg=\"ring member unhealthy\" ring=%s instance=%s addr=%s state=%s "
			    "last_heartbeat=%s", tc_log_q(r->ring_key), tc_log_q(inst->id),
			    tc_log_q(inst->addr), tc_ring_state_name(inst->state), hb);
	else
		tc_log_info("msg=\"ring member state changed\" ring=%s instance=%s from=%s to=%s "
			    "last_heartbeat=%s", tc_log_q(r->ring_key), tc_log_q(inst->id), was, is,
			    hb);
}

/*
 * Logs what changed among the other members since the last view: joined,
 * left (unless we forgot them, which the forgetter logs), unhealthy, other
 * state changes. Both lists are in ID order. Called with mu held.
 */
static void note_members(tc_ring *r, const tc_ring_view *v, const tc_strlist *forgotten)
{
	size_t n = tc_ring_desc_count(v->desc), i = 0, k = 0;
	const char *me = r->o.instance_id;
	tc_ring_instance inst;

	while (r->have_known && (i < n || k < r->n_known)) {
		int c;

		if (i < n)
			tc_ring_desc_at(&inst, v->desc, i);
		c = i >= n ? 1 : k >= r->n_known ? -1 : strcmp(inst.id, r->known[k].id);
		if (c > 0) {
			const char *id = r->known[k++].id;
			if (strcmp(id, me) != 0 && !in_list(forgotten, id))
				tc_log_info("msg=\"ring member left\" ring=%s instance=%s",
					    tc_log_q(r->ring_key), tc_log_q(id));
			continue;
		}
		i++;
		if (c == 0) {
			const char *was = r->known[k++].class;
			const char *is = tc_ring_member_class(r, &inst, v->now_s);
			if (strcmp(inst.id, me) != 0 && strcmp(was, is) != 0)
				note_change(r, &inst, was, is);
		} else if (strcmp(inst.id, me) != 0) {
			tc_log_info("msg=\"ring member joined\" ring=%s instance=%s addr=%s state=%s",
				    tc_log_q(r->ring_key), tc_log_q(inst.id), tc_log_q(inst.addr),
				    tc_ring_member_class(r, &inst, v->now_s));
		}
	}
	known_clear(r);
	r->have_known = 0;
	if (tc_array_reserve(r->known, r->cap_known, n, 0) < 0)
		return; /* out of memory: the next view starts the comparison afresh */
	for (i = 0; i < n; i++) {
		tc_ring_desc_at(&inst, v->desc, i);
		if (!(r->known[i].id = strdup(inst.id))) {
			known_clear(r);
			return;
		}
		r->known[i].class = tc_ring_member_class(r, &inst, v->now_s);
		r->n_known = i + 1;
	}
	r->have_known = 1;
}

int tc_ring_view_install(tc_ring *r, tc_ring_desc *d, uint64_t read_ns, int64_t now_s,
			const tc_strlist *forgotten)
{
	tc_ring_view *v = calloc(1, sizeof(*v)), *old = NULL;
	int rc;

	if (!v) {
		tc_ring_desc_free(d);
		tc_error_set("ring %s: out of memory for a view", r->ring_key);
		return TC_ERROR;
	}
	v->desc = d;
	v->now_s = now_s;
	v->read_ns = read_ns;
	v->refs = 1;
	if ((rc = tc_ring_table_new(&v->table, d, now_s, r->timeout_s)) < 0) {
		view_free(v);
		return rc;
	}
	pthread_mutex_lock(&r->mu);
	if (r->stopped || (r->view && r->view->read_ns > read_ns)) {
		old = v;
	} else {
		old = r->view;
		r->view = v;
		note_members(r, v, forgotten);
		set_metrics(r, v);
	}
	pthread_mutex_unlock(&r->mu);
	tc_ring_view_put(r, old);
	return TC_OK;
}

/* A fingerprint of the healthy members and their tokens: what "stable" compares. */
static uint64_t fingerprint(const tc_ring_view *v, int64_t timeout_s)
{
	uint64_t h = TC_FNV64_INIT;

	for (size_t i = 0; i < tc_ring_desc_count(v->desc); i++) {
		tc_ring_instance inst;

		tc_ring_desc_at(&inst, v->desc, i);
		if (!tc_ring_instance_healthy(&inst, v->now_s, timeout_s))
			continue;
		h = tc_fnv1_64_update(h, (const uint8_t *)inst.id, strlen(inst.id) + 1);
		h = tc_fnv1_64_update(h, (const uint8_t *)inst.addr, strlen(inst.addr) + 1);
		h = tc_fnv1_64_update(h, (const uint8_t *)inst.tokens,
				      inst.n_tokens * sizeof(*inst.tokens));
	}
	return h;
}

/* 1 when our fresh view shows us ACTIVE; *fp gets its fingerprint. */
static int see_ourselves(tc_ring *r, uint64_t *fp)
{
	tc_ring_view *v = tc_ring_view_get(r);
	tc_ring_instance me;
	int ok;

	if (!v)
		return 0;
	ok = tc_ring_view_fresh(r, v, tc_mono_ns()) &&
	     tc_ring_desc_get(&me, v->desc, r->o.instance_id) == TC_OK &&
	     me.state == TC_RING_ACTIVE;
	*fp = fingerprint(v, r->timeout_s);
	tc_ring_view_put(r, v);
	return ok;
}

static void nap(void)
{
	struct timespec ts = { 0, WAIT_POLL_NS };

	nanosleep(&ts, NULL);
}

int tc_ring_wait_ready(tc_ring *r, const atomic_int *stop)
{
	uint64_t start = tc_mono_ns(), changed, fp = 0, fp2;
	uint64_t min = (uint64_t)r->o.wait_stability_min_ns;
	uint64_t max = (uint64_t)r->o.wait_stability_max_ns;
	char a[64], b[64];

	/* Tempo's WaitInstanceState(ACTIVE), then WaitRingStability. */
	while (!see_ourselves(r, &fp)) {
		if (stop && atomic_load(stop))
			goto canceled;
		if (tc_mono_ns() - start >= (uint64_t)r->o.wait_active_instance_timeout_ns) {
			tc_duration_format(a, sizeof(a), r->o.wait_active_instance_timeout_ns);
			tc_error_set("ring %s: this instance (%s) did not see itself ACTIVE in a "
				     "current view of the ring within wait_active_instance_timeout "
				     "%s", r->ring_key, r->o.instance_id, a);
			return TC_ERROR;
		}
		nap();
	}
	if (min == 0)
		return TC_OK;
	tc_duration_format(a, sizeof(a), (int64_t)min);
	tc_duration_format(b, sizeof(b), (int64_t)max);
	tc_log_info("msg=\"waiting until the ring topology is stable\" ring=%s min_waiting=%s "
		    "max_waiting=%s", tc_log_q(r->ring_key), a, b);
	start = changed = tc_mono_ns();
	for (;;) {
		uint64_t now;

		if (stop && atomic_load(stop))
			goto canceled;
		nap();
		see_ourselves(r, &fp2);
		now = tc_mono_ns();
		if (fp2 != fp) {
			fp = fp2;
			changed = now;
		} else if (now - changed >= min) {
			tc_log_info("msg=\"ring topology is stable\" ring=%s", tc_log_q(r->ring_key));
			return TC_OK;
		}
		if (now - start >= max) {
			tc_log_warn("msg=\"ring topology is not stable after the max waiting time, "
				    "proceeding anyway\" ring=%s max_waiting=%s",
				    tc_log_q(r->ring_key), b);
			return TC_OK;
		}
	}
canceled:
	tc_error_set("ring %s: stopped while waiting to be ready", r->ring_key);
	return TC_ECANCELED;
}

int tc_ring_owns(tc_ring *r, const char *key)
{
	tc_ring_view *v;
	tc_ring_instance owner;
	uint64_t now = tc_mono_ns();
	char age[64], limit[64];
	int rc;

	if (!key) {
		tc_error_set("ring %s: owns: NULL key", r->ring_key);
		return TC_EINVALID;
	}
	if (!(v = tc_ring_view_get(r))) {
		tc_error_set("ring %s: not running", r->ring_key);
		return TC_ERROR;
	}
	if (!tc_ring_view_fresh(r, v, now)) {
		tc_duration_format(age, sizeof(age), (int64_t)(now - v->read_ns));
		tc_duration_format(limit, sizeof(limit), r->o.heartbeat_timeout_ns);
		tc_error_set("ring %s: last read from %s %s ago, longer than heartbeat_timeout %s: "
			     "ownership unknown", r->ring_key, tc_kv_name(r->kv), age, limit);
		rc = TC_ERROR;
	} else if ((rc = tc_ring_table_owner(&owner, v->table, key)) == TC_OK) {
		/* Tempo compares addresses, not IDs (docs/RING.md#ownership) */
		rc = strcmp(owner.addr, r->o.instance_addr) == 0;
	} else if (rc == TC_ENOTFOUND) {
		rc = 0;
	}
	tc_ring_view_put(r, v);
	return rc;
}

