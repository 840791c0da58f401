/* SPDX-License-Identifier: MIT */
/*
 * bulk.c - a whole clinic at once.
 *
 * A verify with no integration named checks every enabled one: each
 * practitioner's links in turn, one outcome each.
 *
 * One producer (the caller's thread) feeds practitioners into a small
 * bounded queue; jobs workers take them one at a time, each with its own
 * module instance and HTTP handle. Whatever the workers share is made
 * before they start (the store, the module, the HTTP share), so the run
 * itself takes no lock but the queue's, the outcome callback's, and the
 * store's per-practitioner locks. Memory is that of the queue, whatever
 * the size of the clinic.
 *
 * Several runs on one store - processes on one host, or hosts sharing a
 * store - split the work instead of repeating it: a link or verify takes
 * each practitioner's lock without waiting, and one that another run
 * holds is put aside and taken, waiting then, once the rest is done; one
 * that another run verified or linked after this one began is left as it
 * is and counted as done elsewhere. (Runs started together start some
 * milliseconds apart: what one did before another began, the other does
 * again.)
 */
#include "internal.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_JOBS 8
#define MAX_JOBS 256

struct item {
	char id[PRACTLINK_ID_MAX];
	char *key; /* LINK_KEYS: the operator's key */
	size_t line;
	size_t first; /* put aside: the integration it was put aside at */
};

struct run {
	practlink_ctx *ctx;
	const practlink_bulk *b;
	size_t *ix; /* the integrations: one, or for verify every enabled one */
	size_t n_ix;
	bool not_due; /* verify: a link never made is not a failure */
	pthread_mutex_t lock;
	pthread_cond_t more, room;
	struct item *queue;
	size_t cap, head, count;
	bool closed; /* the producer has finished */
	pthread_mutex_t done_lock;
	practlink_status worst;
	bool split;     /* link, verify: busy practitioners wait for the end */
	bool last_pass; /* the practitioners put aside, their locks waited for */
	long long since;
	struct item *later; /* busy in the first pass (done_lock) */
	size_t n_later, cap_later;
};

static atomic_int *stop_flag(practlink_ctx *ctx)
{
	return &ctx->bulk_stop;
}

void practlink_bulk_stop(practlink_ctx *ctx)
{
	if (ctx)
		atomic_store(&ctx->bulk_stop, 1);
}

static void wipe_key(struct item *it)
{
	if (it->key) {
		explicit_bzero(it->key, strlen(it->key));
		free(it->key);
		it->key = NULL;
	}
}

/* Producer: blocks while the queue is full. Returns false once stopped. */
static bool push(struct run *r, const struct item *it)
{
	pthread_mutex_lock(&r->lock);
	while (r->count == r->cap && !*stop_flag(r->ctx)) {
		/* A stop comes from a signal handler, which cannot signal the
		 * condition: look again every tenth of a second. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&r->room, &r->lock, &ts);
	}
	if (*stop_flag(r->ctx)) {
		pthread_mutex_unlock(&r->lock);
		return false;
	}
	r->queue[(r->head + r->count++) % r->cap] = *it;
	pthread_cond_signal(&r->more);
	pthread_mutex_unlock(&r->lock);
	return true;
}

/* Worker: the next item, or false when there is none left to take. */
static bool pop(struct run *r, struct item *it)
{
	pthread_mutex_lock(&r->lock);
	while (r->count == 0 && !r->closed)
		pthread_cond_wait(&r->more, &r->lock);
	if (r->count == 0 || *stop_flag(r->ctx)) {
		pthread_mutex_unlock(&r->lock);
		return false;
	}
	*it = r->queue[r->head];
	r->head = (r->head + 1) % r->cap;
	r->count--;
	pthread_cond_signal(&r->room);
	pthread_mutex_unlock(&r->lock);
	return true;
}

static practlink_status one(struct run *r, pl_worker *w, struct item *it, size_t ix)
{
	practlink_assist *a = NULL;
	practlink_status st;

	switch (r->b->op) {
	case PRACTLINK_BULK_VERIFY:
		st = pl_verify_run(w, it->id, ix);
		return st == PRACTLINK_NOT_LINKED && r->not_due ? PRACTLINK_OK : st;
	case PRACTLINK_BULK_LINK_KEYS:
		/* The operator did the platform's steps; their key finishes it. */
		st = pl_assist_begin(w, it->id, ix, PRACTLINK_ASSIST_MANUAL, &a);
		if (st == PRACTLINK_OK && practlink_assist_needs_key(a))
			st = pl_assist_finish(w, a, it->key ? it->key : "",
					      it->key ? strlen(it->key) : 0);
		practlink_assist_free(a);
		return st;
	default: return pl_link_run(w, it->id, ix, r->b->flags);
	}
}

/* Keeps a practitioner another run holds for the last pass; false when
 * out of memory (the caller reports it TRANSIENT: busy). */
static bool put_aside(struct run *r, const struct item *it)
{
	bool kept;

	pthread_mutex_lock(&r->done_lock);
	if (r->n_later == r->cap_later) {
		size_t cap = r->cap_later ? 2 * r->cap_later : 64;
		struct item *more = realloc(r->later, cap * sizeof *more);
		if (more) {
			r->later = more;
			r->cap_later = cap;
		}
	}
	if ((kept = r->n_later < r->cap_later))
		r->later[r->n_later++] = *it;
	pthread_mutex_unlock(&r->done_lock);
	return kept;
}

static void *worker(void *arg)
{
	struct run *r = arg;
	pl_worker *w;
	struct item it;
	sigset_t block;

	/* SIGINT and SIGTERM are the caller's thread's to handle. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	w = pl_worker_new(r->ctx);
	if (w) {
		w->try_lock = r->split && !r->last_pass;
		w->since = r->split ? r->since : 0;
	}

	while (w && pop(r, &it)) {
		for (size_t i = it.first; i < r->n_ix; i++) {
			practlink_status st = one(r, w, &it, r->ix[i]);
			practlink_outcome o = { it.id,
						it.line,
						st,
						st ? w->err.msg : "",
						pl_state_name(w->state),
						r->ctx->cfg->integ[r->ix[i]].name,
						st ? pl_err_hint_of(&w->err) : "",
						w->elsewhere };

			if (w->busy) { /* another run has it: at the end, then */
				it.first = i;
				if (put_aside(r, &it))
					break;
			}
			pthread_mutex_lock(&r->done_lock);
			if (practlink_exit_code(st) > practlink_exit_code(r->worst))
				r->worst = st;
			if (r->b->done)
				r->b->done(r->b->done_arg, &o);
			pthread_mutex_unlock(&r->done_lock);
		}
		wipe_key(&it);
	}
	pl_worker_free(w);
	return NULL;
}

static practlink_status from_store(void *arg, const char *id)
{
	struct run *r = arg;
	struct item it = { { 0 }, NULL, 0, 0 };

	snprintf(it.id, sizeof it.id, "%s", id);
	return push(r, &it) ? PRACTLINK_OK : PRACTLINK_USAGE; /* USAGE: stopped */
}

static practlink_status produce(struct run *r)
{
	struct item it;

	if (r->last_pass) {
		for (size_t i = 0; i < r->n_later; i++)
			if (!push(r, &r->later[i]))
				break;
		return PRACTLINK_OK;
	}
	if (!r->b->next)
		return pl_store_each(r->ctx, from_store, r, &r->ctx->err);
	for (;;) {
		memset(&it, 0, sizeof it);
		if (!r->b->next(r->b->next_arg, it.id, &it.key, &it.line))
			return PRACTLINK_OK;
		if (!push(r, &it)) {
			wipe_key(&it);
			return PRACTLINK_OK;
		}
	}
}

/* What the workers share, made before any of them starts. */
static practlink_status prepare(struct run *r)
{
	practlink_ctx *ctx = r->ctx;
	practlink_status st;

	if (!ctx->cfg)
		return pl_err_set(&ctx->err, PRACTLINK_CONFIG, "no configuration loaded");
	if (!(r->ix = calloc(ctx->cfg->n_integ ? ctx->cfg->n_integ : 1, sizeof *r->ix)))
		return pl_err_set(&ctx->err, PRACTLINK_INTERNAL, "out of memory");
	if (r->b->op == PRACTLINK_BULK_VERIFY && !r->b->integration) {
		/* The health check: every enabled integration at once. */
		for (size_t i = 0; i < ctx->cfg->n_integ; i++)
			if (ctx->cfg->integ[i].enabled)
				r->ix[r->n_ix++] = i;
	}
	if (r->n_ix == 0) {
		if ((st = pl_ctx_integration(ctx, r->b->integration, &r->ix[0], &ctx->err)))
			return st;
		r->n_ix = 1;
	}
	r->not_due = r->b->op == PRACTLINK_BULK_VERIFY && (!r->b->next || r->n_ix > 1);
	if ((st = pl_ctx_store(ctx, &ctx->err)))
		return st;
	/* One integration whose module cannot load ends the run before it
	 * starts; among several, only its own links fail, each saying why. */
	if (r->n_ix == 1 && !pl_ctx_module(ctx, r->ix[0]))
		return ctx->err.status;
	if (!pl_ctx_http_share(ctx, &ctx->err))
		return ctx->err.status;
	return PRACTLINK_OK;
}

/* One pass of the run: jobs workers over what produce gives them. */
static practlink_status pass(struct run *r, pthread_t *threads, unsigned jobs)
{
	unsigned started = 0;
	practlink_status st;

	r->closed = false;
	r->head = r->count = 0;
	for (; started < jobs; started++)
		if (pthread_create(&threads[started], NULL, worker, r) != 0)
			break;
	st = started ? produce(r) : pl_err_set(&r->ctx->err, PRACTLINK_INTERNAL, "no threads");
	if (st == PRACTLINK_USAGE && atomic_load(&r->ctx->bulk_stop))
		st = PRACTLINK_OK; /* the listing stopped because we asked it to */
	pthread_mutex_lock(&r->lock);
	r->closed = true;
	pthread_cond_broadcast(&r->more);
	pthread_mutex_unlock(&r->lock);
	for (unsigned i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	/* Items left in the queue by a stop were never started. */
	for (size_t i = 0; i < r->count; i++)
		wipe_key(&r->queue[(r->head + i) % r->cap]);
	return st;
}

practlink_status practlink_bulk_run(practlink_ctx *ctx, const practlink_bulk *given)
{
	practlink_bulk all = { .size = sizeof all }, *b = &all;
	struct run r = { .ctx = ctx, .b = b, .worst = PRACTLINK_OK };
	pthread_t threads[MAX_JOBS];
	unsigned jobs;
	practlink_status st;

	return_val_if_fail(ctx != NULL && given != NULL, PRACTLINK_USAGE);
	if (given->size < PL_BULK_MIN || given->size > (1u << 16))
		return pl_err_set(&ctx->err, PRACTLINK_USAGE,
				  "practlink_bulk.size is %zu: set it to the struct's sizeof",
				  given->size);
	/* What the caller's struct holds; fields it does not know stay 0. */
	memcpy(&all, given, given->size < sizeof all ? given->size : sizeof all);
	jobs = b->jobs ? b->jobs : DEFAULT_JOBS;
	/* A host's struct is checked, never guessed at: op 0 is no link. */
	if (b->op < PRACTLINK_BULK_LINK || b->op > PRACTLINK_BULK_LINK_KEYS)
		return pl_err_set(&ctx->err, PRACTLINK_USAGE,
				  "practlink_bulk: op %u is none of PRACTLINK_BULK_LINK, _VERIFY, "
				  "_LINK_KEYS",
				  b->op);
	if (b->flags & ~(unsigned)PRACTLINK_LINK_DRY_RUN)
		return pl_err_set(&ctx->err, PRACTLINK_USAGE, "practlink_bulk: unknown flags 0x%x",
				  b->flags);
	if (b->op == PRACTLINK_BULK_LINK_KEYS && !b->next)
		return pl_err_set(
			&ctx->err, PRACTLINK_USAGE,
			"practlink_bulk: LINK_KEYS takes its keys from next, which is NULL");
	if (jobs > MAX_JOBS)
		jobs = MAX_JOBS;
	atomic_store(&ctx->bulk_stop, 0);
	if ((st = prepare(&r))) {
		free(r.ix);
		return st;
	}
	r.cap = 2 * jobs;
	if (!(r.queue = calloc(r.cap, sizeof *r.queue)))
		return pl_err_set(&ctx->err, PRACTLINK_INTERNAL, "out of memory");
	pthread_mutex_init(&r.lock, NULL);
	pthread_mutex_init(&r.done_lock, NULL);
	pthread_cond_init(&r.more, NULL);
	pthread_cond_init(&r.room, NULL);
	r.split = b->op != PRACTLINK_BULK_LINK_KEYS && !(b->flags & PRACTLINK_LINK_DRY_RUN);
	r.since = pl_wall_ms();
	st = pass(&r, threads, jobs);
	if (st == PRACTLINK_OK && r.n_later && !atomic_load(&ctx->bulk_stop)) {
		r.last_pass = true;
		st = pass(&r, threads, jobs);
	}
	free(r.later);
	free(r.queue);
	free(r.ix);
	pthread_cond_destroy(&r.more);
	pthread_cond_destroy(&r.room);
	pthread_mutex_destroy(&r.lock);
	pthread_mutex_destroy(&r.done_lock);
	if (st != PRACTLINK_OK)
		return st;
	return r.worst;
}
