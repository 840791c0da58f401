/* SPDX-License-Identifier: MIT */
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
	ctx->err.hint[0] = '\0';
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

	if (!st && (flags & ~(unsigned)PRACTLINK_LINK_DRY_RUN))
		st = pl_err_set(&ctx->err, PRACTLINK_USAGE, "practlink_link: unknown flags 0x%x",
				flags);
	return st ? st : done(ctx, w, pl_link_run(w, id, ix, flags));
}

practlink_status practlink_link_plan(practlink_ctx *ctx, const char *id, const char *integration,
				     practlink_assist **plan)
{
	pl_worker *w = NULL;
	size_t ix;
	practlink_status st;

	return_val_if_fail(plan != NULL, PRACTLINK_USAGE);
	*plan = NULL;
	st = prepare(ctx, integration, &ix, &w);
	return st ? st : done(ctx, w, pl_link_plan(w, id, ix, plan));
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
	if (flags & ~(unsigned)(PRACTLINK_ASSIST_MANUAL | PRACTLINK_ASSIST_ROTATE))
		return pl_err_set(&ctx->err, PRACTLINK_USAGE,
				  "practlink_assist_begin: unknown flags 0x%x", flags);
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
	/* The empty assist of a link that needed no one: nothing to finish. */
	if (!practlink_assist_needs_key(a))
		return pl_err_set(&ctx->err, PRACTLINK_USAGE,
				  "this assisted link waits for no key: the link is complete");
	return done(ctx, w, pl_assist_finish(w, a, backend_key ? backend_key : "", len));
}

/* The longest name or email practlink keeps: a record must stay one the
 * store accepts, however long the roster's cells. */
#define FIELD_MAX 256

/* Whether s is UTF-8 (no overlong forms, no surrogates) and holds no
 * control character (C0, DEL, C1); else the offending byte's position. */
static size_t text_problem(const char *text, bool *is_control)
{
	const unsigned char *s = (const unsigned char *)text;

	for (size_t i = 0; s[i];) {
		unsigned char c = s[i];
		size_t n = c < 0x80                 ? 0
			   : c >= 0xc2 && c <= 0xdf ? 1
			   : (c & 0xf0) == 0xe0     ? 2
			   : c >= 0xf0 && c <= 0xf4 ? 3
						    : 9;
		*is_control = c < 0x20 || c == 0x7f ||
			      (c == 0xc2 && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f);
		if (*is_control || n == 9)
			return i + 1;
		for (size_t k = 1; k <= n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return i + 1;
		if ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xed && s[i + 1] > 0x9f) ||
		    (c == 0xf0 && s[i + 1] < 0x90) || (c == 0xf4 && s[i + 1] > 0x8f))
			return i + 1;
		i += n + 1;
	}
	return 0;
}

/* One of p's text fields: present, not too long, printable UTF-8. */
static practlink_status check_field(practlink_ctx *ctx, const char *id, const char *what,
				    const char *value)
{
	bool control = false;
	size_t at;

	if (!value || !*value)
		return pl_err_set(&ctx->err, PRACTLINK_USAGE, "practitioner %s has no %s", id,
				  what);
	if (strlen(value) > FIELD_MAX)
		return pl_err_set(&ctx->err, PRACTLINK_BAD_DATA,
				  "the %s of %s is %zu bytes long; at most %d are kept", what, id,
				  strlen(value), FIELD_MAX);
	if ((at = text_problem(value, &control)))
		return pl_err_set(&ctx->err, PRACTLINK_BAD_DATA,
				  "the %s of %s holds %s at byte %zu", what, id,
				  control ? "a control character" : "text that is not UTF-8", at);
	return PRACTLINK_OK;
}

static practlink_status check_person(practlink_ctx *ctx, const practlink_person *p)
{
	practlink_status st;

	if (!p->id || !pl_id_valid(p->id))
		return pl_err_set(
			&ctx->err, PRACTLINK_USAGE,
			"'%s' is not a practitioner id: use 1 to 64 of A-Z a-z 0-9 . _ -, "
			"beginning with a letter or a digit",
			p->id ? p->id : "");
	if ((st = check_field(ctx, p->id, "first name", p->first_name)) ||
	    (st = check_field(ctx, p->id, "last name", p->last_name)) ||
	    (st = check_field(ctx, p->id, "email address", p->email)))
		return st;
	if (!strchr(p->email, '@'))
		return pl_err_set(&ctx->err, PRACTLINK_USAGE,
				  "the email address \"%s\" of %s has no '@'", p->email, p->id);
	if (strpbrk(p->email, " \t"))
		return pl_err_set(&ctx->err, PRACTLINK_USAGE,
				  "the email address \"%s\" of %s holds a space", p->email, p->id);
	return PRACTLINK_OK;
}

/* The PMS key of a new practitioner: key (len bytes) normalised and
 * strong enough, or a new one. */
static practlink_status new_pms_key(practlink_ctx *ctx, const char *id, const char *key, size_t len,
				    practlink_secret **out)
{
	char made[41];
	practlink_status st;

	*out = NULL;
	if (!key) {
		if ((st = practlink_keygen(made, sizeof made)) != PRACTLINK_OK)
			return pl_err_set(&ctx->err, st, "cannot generate a PMS key");
		*out = pl_secret_new(made, strlen(made));
		explicit_bzero(made, sizeof made);
		return *out ? PRACTLINK_OK
			    : pl_err_set(&ctx->err, PRACTLINK_INTERNAL, "out of memory");
	}
	if ((st = pl_key_normalise(key, len, "PMS key", out, &ctx->err)))
		return st;
	if (!pl_key_is_strong((*out)->str, (*out)->len)) {
		pl_secret_free(*out);
		*out = NULL;
		pl_err_set(&ctx->err, PRACTLINK_BAD_KEY,
			   "the PMS key of %s is too weak: at least %d characters, with upper and "
			   "lower case letters and digits",
			   id, PRACTLINK_PMS_KEY_MIN);
		return pl_err_hint(&ctx->err,
				   "give a stronger key, or none and practlink generates one "
				   "(practlink keygen)");
	}
	return PRACTLINK_OK;
}

/* Whether id's stored record is p with key (NULL: any key): an unchanged
 * roster row. Fills what differs otherwise. */
static bool same_as_stored(practlink_ctx *ctx, const practlink_person *p,
			   const practlink_secret *key, bool key_given, char *differs, size_t size)
{
	pl_record *rec = NULL;
	pl_err ignored;
	bool same;

	differs[0] = '\0';
	if (pl_store_load(ctx, p->id, &rec, &ignored) != PRACTLINK_OK)
		return false;
	snprintf(differs, size, "%s%s%s%s",
		 strcmp(rec->first_name, p->first_name) ? " first_name" : "",
		 strcmp(rec->last_name, p->last_name) ? " last_name" : "",
		 strcmp(rec->email, p->email) ? " email" : "",
		 key_given && !pl_secret_equal(rec->pms_key, key) ? " pms_key" : "");
	same = !differs[0];
	pl_record_free(rec);
	return same;
}

practlink_status practlink_practitioner_import(practlink_ctx *ctx, const practlink_person *p,
					       const char *pms_key, size_t len, int *unchanged)
{
	pl_record rec = { 0 };
	pl_worker *w = NULL;
	practlink_status st;
	char differs[64];

	return_val_if_fail(p != NULL, PRACTLINK_USAGE);
	if (unchanged)
		*unchanged = 0;
	if ((st = prepare(ctx, NULL, NULL, &w)) || (st = check_person(ctx, p)) ||
	    (st = new_pms_key(ctx, p->id, pms_key, len, &rec.pms_key)))
		return st;
	rec.id = (char *)p->id;
	rec.first_name = (char *)p->first_name;
	rec.last_name = (char *)p->last_name;
	rec.email = (char *)p->email;
	rec.created_at = pl_now();
	void *lock = NULL;
	char other[65];
	st = pl_ctx_store_create(ctx, &ctx->err);
	/* A platform finds its user by email: two practitioners sharing one
	 * would be linked to the same user, and all but the last would fail. */
	if (st == PRACTLINK_OK && pl_find_by_email(ctx, p->email, p->id, other) == PRACTLINK_OK)
		st = pl_err_set(&ctx->err, PRACTLINK_USAGE,
				"the email address \"%s\" of %s is %s's already; each practitioner "
				"needs an email of their own",
				p->email, p->id, other);
	/* Under the id's lock, as every write of a record is. */
	if (st == PRACTLINK_OK &&
	    (st = pl_store_lock(ctx, p->id, &lock, &ctx->err)) == PRACTLINK_OK)
		st = pl_store_save(ctx, &rec, PRACTLINK_STORE_CREATE, &ctx->err);
	pl_store_unlock(ctx, lock);
	if (st == PRACTLINK_USAGE && unchanged) {
		/* There already: the same row imported again is no error. */
		if (same_as_stored(ctx, p, rec.pms_key, pms_key != NULL, differs, sizeof differs)) {
			*unchanged = 1;
			st = PRACTLINK_OK;
		} else if (differs[0]) {
			pl_err_set(&ctx->err, PRACTLINK_USAGE,
				   "%s is in the store already, with another%s", p->id, differs);
		}
	}
	if ((!unchanged || !*unchanged) &&
	    pl_audit(ctx, "add", p->id, NULL, st, st == PRACTLINK_OK ? &ctx->err : NULL) &&
	    st == PRACTLINK_OK)
		st = PRACTLINK_STORE;
	pl_secret_free(rec.pms_key);
	return st;
}

practlink_status practlink_practitioner_add(practlink_ctx *ctx, const practlink_person *p,
					    const char *pms_key, size_t len)
{
	return practlink_practitioner_import(ctx, p, pms_key, len, NULL);
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
	if (pl_audit(ctx, "remove", id, NULL, st, st == PRACTLINK_OK ? &ctx->err : NULL) &&
	    st == PRACTLINK_OK)
		st = PRACTLINK_STORE;
	return st;
}

practlink_status practlink_practitioner_each(practlink_ctx *ctx,
					     practlink_status (*each)(void *arg, const char *id),
					     void *arg)
{
	pl_worker *w = NULL;
	practlink_status st;

	if ((st = prepare(ctx, NULL, NULL, &w)))
		return st;
	return pl_store_each(ctx, each, arg, &ctx->err);
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
			in.created_at = rec->created_at;
		} else {
			/* A record that cannot be read is shown, not skipped. */
			in.error = st;
			in.error_message = err.msg;
			in.error_hint = pl_err_hint_of(&err);
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
			in.error_hint = l->error_hint ? l->error_hint : practlink_hint(l->error);
			in.error_step = l->error_step;
			in.rotation_pending = l->rotation_pending;
			in.unlink_pending = l->unlink_pending;
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
