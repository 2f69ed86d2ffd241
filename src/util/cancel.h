/*
 * A cancel flag with the retry sleeps that honour it: an HTTP client's
 * backoff between attempts ends at once when the flag is set, so a
 * shutdown never waits out a sleep (tc_backend_cancel). Shared by the
 * backends that retry their own requests.
 */
#ifndef TC_UTIL_CANCEL_H
#define TC_UTIL_CANCEL_H

typedef struct tc_cancel tc_cancel;

int tc_cancel_new(tc_cancel **out);
void tc_cancel_free(tc_cancel *c);
/* Sets the flag (for good) and wakes every sleeper. Any thread, any number of times. */
void tc_cancel_set(tc_cancel *c);
int tc_cancel_is_set(tc_cancel *c);
/*
 * Sleeps the backoff before retry round+1 (tc_backoff_ms: exponential from
 * base_ms, capped at max_ms, with jitter); returns 1, at once, when the
 * flag is or becomes set, 0 after a full sleep.
 */
int tc_cancel_backoff(tc_cancel *c, unsigned round, unsigned base_ms, unsigned max_ms);

#endif
