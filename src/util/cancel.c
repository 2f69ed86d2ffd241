#include "src/util/cancel.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "src/util/error.h"
#include "src/util/timeutil.h"

struct tc_cancel {
	atomic_int fired;
	atomic_uint_fast64_t rng; /* jitter */
	pthread_mutex_t mu;       /* for cv */
	pthread_cond_t cv;        /* CLOCK_MONOTONIC: a clock step must not stretch a sleep */
};

int tc_cancel_new(tc_cancel **out)
{
	pthread_condattr_t ca;
	tc_cancel *c;

	*out = NULL;
	if (!(c = calloc(1, sizeof(*c)))) {
		tc_error_set("out of memory creating a cancel flag");
		return TC_ERROR;
	}
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		tc_error_set("cannot create a cancel flag's mutex");
		return TC_ERROR;
	}
	if (pthread_condattr_init(&ca) != 0 || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&c->cv, &ca) != 0) {
		pthread_mutex_destroy(&c->mu);
		free(c);
		tc_error_set("cannot create a cancel flag's condition variable");
		return TC_ERROR;
	}
	pthread_condattr_destroy(&ca);
	atomic_store(&c->rng, (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)c);
	*out = c;
	return TC_OK;
}

void tc_cancel_free(tc_cancel *c)
{
	if (!c)
		return;
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

void tc_cancel_fire(tc_cancel *c)
{
	pthread_mutex_lock(&c->mu);
	atomic_store(&c->fired, 1);
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

int tc_cancel_fired(const tc_cancel *c)
{
	return atomic_load(&((tc_cancel *)c)->fired);
}

int tc_cancel_backoff(tc_cancel *c, unsigned attempt, unsigned base_ms, unsigned max_ms)
{
	unsigned ms = tc_backoff_ms(&c->rng, attempt, base_ms, max_ms);
	struct timespec until;
	int fired;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->mu);
	while (!(fired = atomic_load(&c->fired)))
		if (pthread_cond_timedwait(&c->cv, &c->mu, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&c->mu);
	return fired;
}
