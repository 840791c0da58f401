/* practitioner.c - the host API's calls on practitioners and their links:
 * each resolves the integration, runs on the context's own worker, and
 * leaves the message of a failure in practlink_errmsg(). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* The context's worker and integration ix, or why not. */
static practlink_status prepare(practlink_ctx *ctx, const char *integration, size_t *ix,
				pl_worker **w)
{
	return_val_if_fail(ctx != NULL, PRACTLINK_USAGE);
	ctx->err.msg[0] = '\0';
	if (!ctx->cfg)
		return pl_err_set(&ctx->err, PRACTLINK_CONFIG, "no configuration loaded");
	if (!(*w = pl_ctx_main(ctx)))
		return pl_err_set(&ctx->err, PRACTLINK_INTERNAL, "out of memory");
	return ix ? pl_ctx_integration(ctx, integration, ix, &ctx->err) : PRACTLINK_OK;
}

/* Copies the worker's outcome to the context. */
static practlink_status done(practlink_ctx *ctx, pl_worker *w, practlink_status st)
{
	if (st != PRACTLINK_OK)
		ctx->err = w->err;
	return st;
}

/* Whether integration ix can link with no one's help. */
static bool automatic(pl_worker *w, size_t ix, bool rotate)
{
	pl_instance *inst;
	const practlink_backend *be;

	if (pl_worker_instance(w, ix, &inst) != PRACTLINK_OK)
		return true; /* let the run report why */
	be = inst->mod->be;
	return be->exchange && (rotate || (be->find_user && be->set_integration));
}

practlink_status practlink_link(practlink_ctx *ctx, const char *id, const char *integration,
				unsigned flags)
{
	pl_worker *w = NULL;
	size_t ix;
	practlink_status st = prepare(ctx, integration, &ix, &w);

	return st ? st : done(ctx, w, pl_link_run(w, id, ix, flags));
}

practlink_status practlink_verify(practlink_ctx *ctx, const char *id, const char *integration)
{
	pl_worker *w = NULL;
	size_t ix;
	practlink_status st = prepare(ctx, integration, &ix, &w);

	return st ? st : done(ctx, w, pl_verify_run(w, id, ix));
}

practlink_status practlink_diagnose(practlink_ctx *ctx, const char *id, const char *integration,
				    char *buf, size_t size)
{
	pl_worker *w = NULL;
	size_t ix;
	practlink_status st = prepare(ctx, integration, &ix, &w);

	return_val_if_fail(buf != NULL && size > 0, PRACTLINK_USAGE);
	return st ? st : done(ctx, w, pl_diagnose_run(w, id, ix, buf, size));
}

practlink_status practlink_rotate(practlink_ctx *ctx, const char *id, const char *integration)
{
	pl_worker *w = NULL;
	size_t ix;
	practlink_status st = prepare(ctx, integration, &ix, &w);

	return st ? st : done(ctx, w, pl_rotate_run(w, id, ix));
}

practlink_status practlink_unlink(practlink_ctx *ctx, const char *id, const char *integration,
				  practlink_assist **manual)
{
	pl_worker *w = NULL;
	size_t ix;
	practlink_status st = prepare(ctx, integration, &ix, &w);

	return st ? st : done(ctx, w, pl_unlink_run(w, id, ix, manual));
}

practlink_status practlink_assist_begin(practlink_ctx *ctx, const char *id, const char *integration,
					unsigned flags, practlink_assist **out)
{
	bool rotate = flags & PRACTLINK_ASSIST_ROTATE;
	pl_worker *w = NULL;
	size_t ix;
	practlink_status st;

	return_val_if_fail(out != NULL, PRACTLINK_USAGE);
	*out = NULL;
	if ((st = prepare(ctx, integration, &ix, &w)))
		return st;
	if (!(flags & PRACTLINK_ASSIST_MANUAL) && automatic(w, ix, rotate)) {
		/* Nothing for the operator: the whole link runs here. */
		st = rotate ? pl_rotate_run(w, id, ix) : pl_link_run(w, id, ix, 0);
		if (st == PRACTLINK_OK && !(*out = calloc(1, pl_assist_size())))
			st = pl_err_set(&w->err, PRACTLINK_INTERNAL, "out of memory");
		return done(ctx, w, st);
	}
	return done(ctx, w, pl_assist_begin(w, id, ix, flags, out));
}

practlink_status practlink_assist_finish(practlink_ctx *ctx, practlink_assist *a,
					 const char *backend_key, size_t len)
{
	pl_worker *w = NULL;
	practlink_status st;

	return_val_if_fail(a != NULL && (backend_key || !len), PRACTLINK_USAGE);
	if ((st = prepare(ctx, NULL, NULL, &w)))
		return st;
	return done(ctx, w, pl_assist_finish(w, a, backend_key ? backend_key : "", len));
}

practlink_status practlink_practitioner_add(practlink_ctx *ctx, const practlink_person *p,
					    const char *pms_key, size_t len)
{
	pl_record rec = { 0 };
	char key[41];
	pl_worker *w = NULL;
	practlink_status st;

	return_val_if_fail(p != NULL, PRACTLINK_USAGE);
	if ((st = prepare(ctx, NULL, NULL, &w)))
		return st;
	if (!p->id || !pl_id_valid(p->id))
		return pl_err_set(&ctx->err, PRACTLINK_USAGE,
				  "'%s' is not a practitioner id: use 1 to 64 of A-Z a-z 0-9 . _ -",
				  p->id ? p->id : "");
	if (!p->first_name || !*p->first_name || !p->last_name || !*p->last_name || !p->email ||
	    !strchr(p->email, '@') || strpbrk(p->email, " \t\r\n"))
		return pl_err_set(&ctx->err, PRACTLINK_USAGE,
				  "practitioner %s needs a first name, a last name and an email "
				  "address",
				  p->id);
	if (pms_key) {
		st = pl_key_normalise(pms_key, len, "PMS key", &rec.pms_key, &ctx->err);
		if (st == PRACTLINK_OK && !pl_key_is_strong(rec.pms_key->str, rec.pms_key->len))
			st = pl_err_set(
				&ctx->err, PRACTLINK_BAD_KEY,
				"the PMS key of %s is too weak: at least %d characters, with "
				"upper and lower case letters and digits",
				p->id, PRACTLINK_PMS_KEY_MIN);
	} else if ((st = practlink_keygen(key, sizeof key)) == PRACTLINK_OK) {
		rec.pms_key = pl_secret_new(key, strlen(key));
		explicit_bzero(key, sizeof key);
	}
	if (st != PRACTLINK_OK) {
		pl_secret_free(rec.pms_key);
		return st;
	}
	rec.id = (char *)p->id;
	rec.first_name = (char *)p->first_name;
	rec.last_name = (char *)p->last_name;
	rec.email = (char *)p->email;
	rec.created_at = pl_now();
	st = pl_store_save(ctx, &rec, PRACTLINK_STORE_CREATE, &ctx->err);
	pl_audit(ctx, "add", p->id, NULL, st);
	pl_secret_free(rec.pms_key);
	return st;
}

practlink_status practlink_practitioner_remove(practlink_ctx *ctx, const char *id)
{
	pl_worker *w = NULL;
	void *lock;
	practlink_status st;

	if ((st = prepare(ctx, NULL, NULL, &w)))
		return st;
	if (!id || !pl_id_valid(id))
		return pl_err_set(&ctx->err, PRACTLINK_USAGE, "'%s' is not a practitioner id",
				  id ? id : "");
	if ((st = pl_store_lock(ctx, id, &lock, &ctx->err)))
		return st;
	st = pl_status_check(
		(int)ctx->store->remove(ctx->store_data, id, ctx->err.msg, sizeof ctx->err.msg));
	ctx->err.status = st;
	pl_store_unlock(ctx, lock);
	if (st == PRACTLINK_OK)
		pl_key_index_note(ctx, id, NULL);
	pl_audit(ctx, "remove", id, NULL, st);
	return st;
}

practlink_status practlink_practitioner_each(practlink_ctx *ctx,
					     practlink_status (*each)(void *arg, const char *id),
					     void *arg)
{
	pl_worker *w = NULL;
	practlink_status st;

	if ((st = prepare(ctx, NULL, NULL, &w)) || (st = pl_ctx_store(ctx, &ctx->err)))
		return st;
	ctx->err.msg[0] = '\0';
	st = pl_status_check((int)ctx->store->list(ctx->store_data, each, arg, ctx->err.msg,
						   sizeof ctx->err.msg));
	ctx->err.status = st;
	return st;
}

/* --- status ---------------------------------------------------------------- */

struct status_walk {
	practlink_ctx *ctx;
	const char *integration;
	practlink_status (*each)(void *, const practlink_link_info *);
	void *arg;
	practlink_status worst;
	bool one; /* a single practitioner: one that cannot be read is an error */
};

static void last_four(const practlink_secret *key, char hint[8])
{
	if (!key || key->len < 8) {
		hint[0] = '\0'; /* a short key would give too much of itself away */
		return;
	}
	memcpy(hint, key->str + key->len - 4, 4);
	hint[4] = '\0';
}

static practlink_status status_of(void *arg, const char *id)
{
	struct status_walk *s = arg;
	practlink_ctx *ctx = s->ctx;
	pl_record *rec;
	pl_err err = { 0 };
	practlink_status st = pl_store_load(ctx, id, &rec, &err);

	if (st != PRACTLINK_OK && s->one) {
		ctx->err = err;
		return st;
	}
	for (size_t i = 0; i < ctx->cfg->n_integ; i++) {
		const char *name = ctx->cfg->integ[i].name;
		const pl_link *l = rec ? pl_record_link(rec, name, false) : NULL;
		practlink_link_info in = { .id = id, .integration = name, .state = "unlinked" };
		char hint[8] = "";

		if (s->integration && strcmp(s->integration, name) != 0)
			continue;
		if (rec) {
			in.first_name = rec->first_name;
			in.last_name = rec->last_name;
			in.email = rec->email;
		} else {
			/* A record that cannot be read is shown, not skipped. */
			in.error = st;
			in.error_message = err.msg;
			in.state = "failed";
		}
		if (l) {
			last_four(l->backend_key, hint);
			in.state = pl_state_name(l->state);
			in.user_id = l->user_id;
			in.linked_at = l->linked_at;
			in.verified_at = l->verified_at;
			in.key_hint = hint[0] ? hint : NULL;
			in.error = l->error;
			in.error_message = l->error_message;
			in.error_step = l->error_step;
		}
		practlink_status r = s->each(s->arg, &in);
		if (r != PRACTLINK_OK) {
			pl_record_free(rec);
			return r;
		}
	}
	if (st != PRACTLINK_OK && practlink_exit_code(st) > practlink_exit_code(s->worst)) {
		s->worst = st;
		ctx->err = err;
	}
	pl_record_free(rec);
	return PRACTLINK_OK;
}

practlink_status practlink_status_each(practlink_ctx *ctx, const char *id, const char *integration,
				       practlink_status (*each)(void *arg,
								const practlink_link_info *info),
				       void *arg)
{
	struct status_walk s = { ctx, integration, each, arg, PRACTLINK_OK, id != NULL };
	pl_worker *w = NULL;
	size_t ix;
	practlink_status st;

	if ((st = prepare(ctx, NULL, NULL, &w)) ||
	    (integration && (st = pl_ctx_integration(ctx, integration, &ix, &ctx->err))))
		return st;
	st = id ? status_of(&s, id) : practlink_practitioner_each(ctx, status_of, &s);
	return st != PRACTLINK_OK ? st : s.worst;
}
