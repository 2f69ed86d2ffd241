/*
 * A cancel flag with the backoff sleep of a retrying client, shared by
 * the HTTP backends (S3, Azure): a retry waits tc_backoff_ms, but wakes at
 * once when tc_cancel_fire is called, so a shutdown never waits out a
 * backoff. The flag is also what curl's progress callback checks to abort
 * a transfer in flight.
 */
#ifndef TC_UTIL_CANCEL_H
#define TC_UTIL_CANCEL_H

typedef struct tc_cancel tc_cancel;

int tc_cancel_new(tc_cancel **out);
void tc_cancel_free(tc_cancel *c);
/* Sets the flag and wakes every sleeper; there is no undoing it. Any thread. */
void tc_cancel_fire(tc_cancel *c);
int tc_cancel_fired(const tc_cancel *c);
/*
 * Sleeps before retry attempt+1 (tc_backoff_ms with the client's jitter
 * state); returns 1, at once, when the flag is or becomes set, else 0.
 */
int tc_cancel_backoff(tc_cancel *c, unsigned attempt, unsigned base_ms, unsigned max_ms);

#endif
