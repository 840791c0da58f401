/* SPDX-License-Identifier: MIT */
/*
 * pacer.c - how fast a run may ask one platform: shared by every worker of
 * the run for that integration.
 *
 * Requests go out no faster than http.max_rate a second (0: no limit of
 * ours), spaced evenly. When the platform answers 429 or 503, every
 * worker slows down at once: the pace drops a little under what the
 * platform was answering well over the last second (much more when it
 * refused again soon after), and no request goes out until its
 * Retry-After has passed - once for all of them, not once per worker,
 * since the answers that arrive during that pause are to requests sent
 * before it. While answers are healthy the pace climbs back each second:
 * to just under the pace that was refused, for ten seconds, then beyond
 * it by a twentieth a second, up to http.max_rate when there is one.
 */
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define BUCKETS 10         /* healthy answers over the last second, */
#define BUCKET_US 100000LL /* in tenths */
#define CLIMB_EVERY_US 1000000LL
#define CEILING_US 10000000LL /* how long a refused pace is remembered */
#define HOLD_WITHOUT_RETRY_AFTER_US 500000LL

struct pl_pacer {
	pthread_mutex_t lock;
	double max_rate;   /* http.max_rate; 0: none */
	double rate;       /* the pace now; 0: none */
	long long next_us; /* when the next request may go */
	long long hold_us; /* no request before this: the platform asked */
	long long climbed_us;
	double ceiling;       /* the pace the platform last refused */
	long long refused_us; /* when */
	long ok[BUCKETS];
	long long ok_bucket; /* which tenth of a second ok[] ends at */
};

long long pl_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

pl_pacer *pl_pacer_new(double max_rate)
{
	pl_pacer *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->max_rate = p->rate = max_rate > 0 ? max_rate : 0;
	return p;
}

void pl_pacer_free(pl_pacer *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Moves the window of healthy answers up to now. */
static void slide(pl_pacer *p, long long now)
{
	long long bucket = now / BUCKET_US;

	for (long long b = p->ok_bucket + 1; b <= bucket && b <= p->ok_bucket + BUCKETS; b++)
		p->ok[b % BUCKETS] = 0;
	if (bucket > p->ok_bucket)
		p->ok_bucket = bucket;
}

long long pl_pacer_turn(pl_pacer *p)
{
	long long now = pl_now_us(), at;

	pthread_mutex_lock(&p->lock);
	at = now;
	if (at < p->hold_us)
		at = p->hold_us;
	if (p->rate > 0) {
		if (at < p->next_us)
			at = p->next_us;
		p->next_us = at + (long long)(1e6 / p->rate);
	}
	pthread_mutex_unlock(&p->lock);
	return at;
}

bool pl_pacer_answered(pl_pacer *p, long code, long long retry_after_s, const pl_log *log,
		       const char *url)
{
	long long now = pl_now_us();
	bool slow = code == 429 || code == 503;
	double was, rate;
	long long hold;
	long recent = 0;

	pthread_mutex_lock(&p->lock);
	slide(p, now);
	if (!slow) {
		p->ok[p->ok_bucket % BUCKETS]++;
		/* Healthy for a second: faster, up to what was refused lately,
		 * and never past the limit. */
		if (p->rate > 0 && now >= p->hold_us && now - p->climbed_us >= CLIMB_EVERY_US) {
			if (now - p->refused_us < CEILING_US)
				p->rate =
					fmax(p->rate, fmin(p->rate * 1.02 + 1, p->ceiling * 0.99));
			else
				p->rate = p->rate * 1.05 + 1;
			if (p->max_rate > 0 && p->rate > p->max_rate)
				p->rate = p->max_rate;
			p->climbed_us = now;
		}
		pthread_mutex_unlock(&p->lock);
		return false;
	}
	if (now < p->hold_us) { /* sent before the pause began: it is in hand */
		pthread_mutex_unlock(&p->lock);
		return true;
	}
	for (int i = 0; i < BUCKETS; i++)
		recent += p->ok[i];
	was = p->rate;
	p->ceiling = was > 0 ? fmin(was, fmax(1, recent)) : fmax(1, recent);
	/* Refused again soon after: the platform's limit is well below. */
	rate = p->ceiling *
	       (p->refused_us && now - p->refused_us < 3 * CLIMB_EVERY_US ? 0.7 : 0.95);
	p->refused_us = now;
	if (p->max_rate > 0)
		rate = fmin(rate, p->max_rate);
	rate = fmax(1, rate);
	hold = retry_after_s > 0 && retry_after_s < 3600 ? retry_after_s * 1000000
							 : HOLD_WITHOUT_RETRY_AFTER_US;
	p->rate = rate;
	p->hold_us = p->next_us = p->climbed_us = now + hold;
	pthread_mutex_unlock(&p->lock);
	pl_log_msg(log, PRACTLINK_LOG_NOTICE,
		   "%s: HTTP %ld: the platform asks to slow down; every worker now waits %lld ms, "
		   "then sends at most %.0f requests a second",
		   url, code, hold / 1000, rate);
	return true;
}
