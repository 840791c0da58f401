/* SPDX-License-Identifier: MIT */
/*
 * link.c - the manual procedure, automated.
 *
 * The seed's procedure, in its order, for practitioner P and integration I:
 *
 *   1. the clinic-wide integration must be enabled;
 *   2. open P's profile (the right one: by id, under a lock);
 *   3. P's PMS key: the one the PMS holds, or a new one, persisted;
 *   4. P's user on the platform: found, or created when allowed;
 *   5. "Integrate with" -> this PMS;
 *   6. the PMS key into "PMS Token"; the platform's key comes back;
 *   7. verify the pair with a real request to the platform;
 *   8. save both sides: one durable write, and a line of audit.
 *
 * Steps 4 to 6 run through the module when it has the operation, and are
 * left to the operator, in the module's words, when it has not (assisted
 * mode). A failed step records why on the link and changes nothing else;
 * running the link again resumes it.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* One link under way. */
struct job {
	practlink_ctx *ctx;
	pl_worker *w;
	pl_err *err;
	size_t ix;
	const pl_integration *ig;
	pl_instance *inst;
	const char *action; /* "link", "verify", ... for the audit */
	void *lock;
	pl_record *rec;
	pl_link *link;
	practlink_person person;
	char user_id[PRACTLINK_USER_ID_MAX];
	practlink_step step;   /* the step under way, for the link's last error */
	pl_state loaded_state; /* the link's state as the store had it */
	bool dry_run;
	bool force_manual;
};

static bool has_op(const struct job *j, practlink_step step)
{
	if (j->force_manual && step != PRACTLINK_STEP_VERIFY)
		return false;
	return pl_instance_offers(j->inst, step);
}

/* A failed module operation: its words, under the job's error. */
static practlink_status module_failed(struct job *j, practlink_status st)
{
	pl_err_set(j->err, st, "%s: %s on %s: %s", j->person.id, pl_step_name(j->step), j->ig->name,
		   j->inst->err.msg);
	memcpy(j->err->hint, j->inst->err.hint, sizeof j->err->hint);
	/* Nor any key the record holds, before the words are shown or stored. */
	const practlink_secret *keys[] = { j->rec ? j->rec->pms_key : NULL,
					   j->link ? j->link->backend_key : NULL,
					   j->link ? j->link->pending_pms_key : NULL };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		pl_redact(j->err->msg, sizeof j->err->msg, keys[i]);
		pl_redact(j->err->hint, sizeof j->err->hint, keys[i]);
	}
	return st;
}

/* 1. The clinic-wide integration must be enabled. */
static practlink_status check_enabled(struct job *j)
{
	if (!j->ig->enabled)
		return pl_err_set(j->err, PRACTLINK_DISABLED, "integration %s is disabled in %s",
				  j->ig->name, j->ig->file);
	return PRACTLINK_OK;
}

/* 2. Open the practitioner's profile, and no one else's. */
static practlink_status open_profile(struct job *j, const char *id)
{
	practlink_status st;

	if (!j->dry_run &&
	    (st = j->w->try_lock ? pl_store_trylock(j->ctx, id, &j->lock, &j->w->busy, j->err)
				 : pl_store_lock(j->ctx, id, &j->lock, j->err)) != PRACTLINK_OK)
		return st;
	if ((st = pl_store_load(j->ctx, id, &j->rec, j->err)) != PRACTLINK_OK)
		return st;
	if (!(j->link = pl_record_link(j->rec, j->ig->name, true)))
		return pl_err_set(j->err, PRACTLINK_INTERNAL, "out of memory");
	j->loaded_state = j->link->state;
	j->person = (practlink_person){ j->rec->id, j->rec->first_name, j->rec->last_name,
					j->rec->email, j->link->user_id };
	/* The worker's error is the job's: a failure there says why already. */
	return pl_worker_instance(j->w, j->ix, &j->inst);
}

/* 3. The PMS key: a profile without one gets a new one, persisted before
 * anyone sees it, so that a crash cannot lose a key already handed out. */
static practlink_status ensure_pms_key(struct job *j)
{
	char key[41];
	practlink_status st;

	if (j->rec->pms_key)
		return PRACTLINK_OK;
	if ((st = practlink_keygen(key, sizeof key)) != PRACTLINK_OK)
		return pl_err_set(j->err, st, "cannot generate a PMS key");
	j->rec->pms_key = pl_secret_new(key, strlen(key));
	explicit_bzero(key, sizeof key);
	if (!j->rec->pms_key)
		return pl_err_set(j->err, PRACTLINK_INTERNAL, "out of memory");
	return pl_store_save(j->ctx, j->rec, 0, j->err);
}

/* 4. The practitioner's user on the platform: found, or created if the
 * configuration allows it. Never a second one: a known id is reused and
 * a search comes before any creation. */
static practlink_status find_or_create_user(struct job *j)
{
	practlink_status st;

	if (j->link->user_id) {
		snprintf(j->user_id, sizeof j->user_id, "%s", j->link->user_id);
		return PRACTLINK_OK;
	}
	j->step = PRACTLINK_STEP_FIND_USER;
	st = pl_instance_find_user(j->inst, &j->person, j->user_id);
	if (st != PRACTLINK_NO_USER)
		return st == PRACTLINK_OK ? st : module_failed(j, st);
	if (!j->ig->create_missing_users || !has_op(j, PRACTLINK_STEP_CREATE_USER))
		return pl_err_set(
			j->err, PRACTLINK_NO_USER, "%s (%s %s, %s) has no user on %s%s",
			j->person.id, j->person.first_name, j->person.last_name, j->person.email,
			j->ig->name,
			j->ig->create_missing_users ? "" : " and create_missing_users is false");
	if (j->dry_run)
		return PRACTLINK_OK;
	j->step = PRACTLINK_STEP_CREATE_USER;
	st = pl_instance_create_user(j->inst, &j->person, j->user_id);
	return st == PRACTLINK_OK ? st : module_failed(j, st);
}

/* 5. "Integrate with": the platform links the user to this PMS. */
static practlink_status integrate_with_pms(struct job *j)
{
	practlink_status st;

	j->step = PRACTLINK_STEP_SET_INTEGRATION;
	j->person.user_id = j->user_id;
	st = pl_instance_set_integration(j->inst, &j->person, j->ctx->cfg->pms_name);
	return st == PRACTLINK_OK ? st : module_failed(j, st);
}

/* 6. The PMS key goes into "PMS Token"; the platform's key comes back. */
static practlink_status exchange_keys(struct job *j, const practlink_secret *pms_key,
				      practlink_secret **backend_key)
{
	practlink_status st;

	j->step = PRACTLINK_STEP_EXCHANGE;
	st = pl_instance_exchange(j->inst, &j->person, pms_key, backend_key);
	if (st != PRACTLINK_OK)
		return module_failed(j, st);
	if ((*backend_key)->len == 0) {
		pl_secret_free(*backend_key);
		*backend_key = NULL;
		/* The seed: "the API key did not appear". */
		return pl_err_set(j->err, PRACTLINK_BAD_KEY,
				  "%s: %s generated no key: the PMS key was not taken",
				  j->person.id, j->ig->name);
	}
	return PRACTLINK_OK;
}

/* 7. A real request to the platform with both keys. */
static practlink_status verify_pair(struct job *j, const practlink_secret *pms_key,
				    const practlink_secret *backend_key)
{
	practlink_status st;

	j->step = PRACTLINK_STEP_VERIFY;
	j->person.user_id = j->user_id[0] ? j->user_id : j->link->user_id;
	st = pl_instance_verify(j->inst, &j->person, pms_key, backend_key);
	return st == PRACTLINK_OK ? st : module_failed(j, st);
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static void clear_error(pl_link *l)
{
	l->error = PRACTLINK_OK;
	free(l->error_step);
	free(l->error_message);
	free(l->error_hint);
	l->error_step = l->error_message = l->error_hint = NULL;
}

/* 8. Save both sides: the link, durably, in one write. Takes backend_key. */
static practlink_status save_link(struct job *j, practlink_secret *backend_key)
{
	pl_link *l = j->link;
	long long ms = pl_wall_ms(), now = ms / 1000;

	if (j->user_id[0] && (!l->user_id || strcmp(l->user_id, j->user_id) != 0)) {
		free(l->user_id);
		l->user_id = dup_or_null(j->user_id);
	}
	pl_secret_free(l->backend_key);
	l->backend_key = backend_key;
	l->state = PL_LINKED;
	l->linked_at = l->verified_at = l->updated_at = now;
	l->linked_ms = l->verified_ms = ms;
	l->rotation_pending = false;
	clear_error(l);
	return pl_store_save(j->ctx, j->rec, 0, j->err);
}

/* Records on the link why the job failed, and nothing else: the record is
 * written as it was loaded, but for the error. */
static void record_failure(struct job *j, practlink_status st)
{
	pl_link *l = j->link;
	pl_err ignored;

	if (!j->rec || !l || j->dry_run)
		return;
	clear_error(l);
	l->error = st;
	l->error_step = dup_or_null(j->step ? pl_step_name(j->step) : NULL);
	l->error_message = dup_or_null(j->err->msg);
	l->error_hint = dup_or_null(j->err->hint);
	l->updated_at = pl_now();
	if (strcmp(j->action, "rotate") == 0 && l->state == PL_LINKED)
		l->rotation_pending = true; /* the old keys stay, and still work */
	else if (st == PRACTLINK_AUTH || l->state == PL_UNLINKED)
		l->state = PL_FAILED;
	/* The failure stays the one reported, even if this write fails. */
	pl_store_save(j->ctx, j->rec, 0, &ignored);
}

static practlink_status job_begin(struct job *j, pl_worker *w, size_t ix, const char *action)
{
	memset(j, 0, sizeof *j);
	j->ctx = w->ctx;
	j->w = w;
	j->err = &w->err;
	j->ix = ix;
	j->ig = &w->ctx->cfg->integ[ix];
	j->action = action;
	j->err->status = PRACTLINK_OK;
	j->err->msg[0] = '\0';
	j->err->hint[0] = '\0';
	w->busy = w->elsewhere = false;
	return PRACTLINK_OK;
}

/* A bulk run's practitioner that another run already did since this one
 * began (at when, in ms; 0 for a record that kept seconds only, which
 * then counts only from the next second): left as it is, with no audit
 * line, done. */
static bool done_elsewhere(struct job *j, long long when_s, long long when_ms)
{
	long long since = j->w->since;

	if (!since || j->link->state != PL_LINKED ||
	    (when_ms ? when_ms < since : when_s <= since / 1000))
		return false;
	j->w->elsewhere = true;
	j->w->state = PL_LINKED;
	pl_record_free(j->rec);
	j->rec = NULL;
	pl_store_unlock(j->ctx, j->lock);
	j->lock = NULL;
	return true;
}

/* Ends a job: records a failure, audits, unlocks, frees. Returns st. */
static practlink_status job_end(struct job *j, const char *id, practlink_status st)
{
	const pl_link *l;
	pl_err audit;

	if (st != PRACTLINK_OK)
		record_failure(j, st);
	/* A change the store could not keep did not happen, as far as anyone
	 * reading the store can tell: report the state as stored. */
	if (j->link && st == PRACTLINK_STORE)
		j->w->state = j->loaded_state;
	else if (j->link)
		j->w->state = j->link->state;
	else if (j->rec && (l = pl_record_link(j->rec, j->ig->name, false)))
		j->w->state = l->state;
	else
		j->w->state = PL_UNLINKED;
	/* A change's audit line is required: one that cannot be written makes
	 * the change's status STORE, though the change stands. A verify's is
	 * not: it is warned about and counted. */
	if (!j->dry_run && pl_audit(j->ctx, j->action, id, j->ig->name, st, &audit) &&
	    st == PRACTLINK_OK && strcmp(j->action, "verify") != 0) {
		*j->err = audit;
		st = PRACTLINK_STORE;
	}
	pl_record_free(j->rec);
	pl_store_unlock(j->ctx, j->lock);
	return st;
}

/* A job that found its practitioner's lock taken did nothing: no failure
 * recorded, no audit line; the run comes back to it. */
static practlink_status busy_or_end(struct job *j, const char *id, practlink_status st)
{
	return j->w->busy ? st : job_end(j, id, st);
}

practlink_status pl_link_run(pl_worker *w, const char *id, size_t ix, unsigned flags)
{
	practlink_secret *backend_key = NULL;
	practlink_status st;
	struct job j;

	job_begin(&j, w, ix, "link");
	j.dry_run = flags & PRACTLINK_LINK_DRY_RUN;
	if ((st = check_enabled(&j)) || (st = open_profile(&j, id)))
		return busy_or_end(&j, id, st);
	if (done_elsewhere(&j, j.link->linked_at, j.link->linked_ms))
		return PRACTLINK_OK;
	if (j.link->state == PL_LINKED) /* linked already: nothing to change */
		return job_end(&j, id, PRACTLINK_OK);
	if (j.dry_run) /* what can be checked without changing anything */
		return job_end(&j, id,
			       has_op(&j, PRACTLINK_STEP_FIND_USER) ? find_or_create_user(&j)
								    : PRACTLINK_OK);
	if (!has_op(&j, PRACTLINK_STEP_FIND_USER) || !has_op(&j, PRACTLINK_STEP_SET_INTEGRATION) ||
	    !has_op(&j, PRACTLINK_STEP_EXCHANGE)) {
		st = pl_err_set(j.err, PRACTLINK_USAGE,
				"%s: %s leaves steps to the operator: link it assisted "
				"(practlink link %s, on a terminal, or --backend-key-file)",
				id, j.ig->module, id);
		j.link = NULL; /* a usage error changes nothing */
		return job_end(&j, id, st);
	}
	if ((st = ensure_pms_key(&j)) || (st = find_or_create_user(&j)) ||
	    (st = integrate_with_pms(&j)) ||
	    (st = exchange_keys(&j, j.rec->pms_key, &backend_key)) ||
	    (st = verify_pair(&j, j.rec->pms_key, backend_key))) {
		pl_secret_free(backend_key);
		return job_end(&j, id, st);
	}
	return job_end(&j, id, save_link(&j, backend_key));
}

practlink_status pl_verify_run(pl_worker *w, const char *id, size_t ix)
{
	practlink_status st;
	struct job j;

	job_begin(&j, w, ix, "verify");
	if ((st = check_enabled(&j)) || (st = open_profile(&j, id)))
		return busy_or_end(&j, id, st);
	if (done_elsewhere(&j, j.link->verified_at, j.link->verified_ms))
		return PRACTLINK_OK;
	if (!j.link->backend_key || !j.rec->pms_key) {
		st = pl_err_set(j.err, PRACTLINK_NOT_LINKED, "%s is not linked on %s", id,
				j.ig->name);
		j.link = NULL; /* nothing to record on a link that does not exist */
		return job_end(&j, id, st);
	}
	if ((st = verify_pair(&j, j.rec->pms_key, j.link->backend_key)))
		return job_end(&j, id, st);
	/* Only a timestamp changes: a crash may lose it, nothing else. */
	j.link->state = PL_LINKED;
	j.link->verified_ms = pl_wall_ms();
	j.link->verified_at = j.link->verified_ms / 1000;
	clear_error(j.link);
	return job_end(&j, id, pl_store_save(j.ctx, j.rec, PRACTLINK_STORE_LAZY, j.err));
}

/* --- assisted linking ----------------------------------------------------- */

struct manual_step {
	practlink_step step;
	bool automatic; /* in a plan: done through the module, not by hand */
	char *text;
};

struct practlink_assist {
	char *id;
	size_t ix;
	bool rotate;
	bool needs_key;
	practlink_secret *pms_key;
	struct manual_step steps[8];
	size_t n;
};

/* Words for a step whose module gives none. */
static void generic_words(const struct job *j, practlink_step step, char *buf, size_t size)
{
	const practlink_person *p = &j->person;

	switch (step) {
	case PRACTLINK_STEP_FIND_USER:
		snprintf(buf, size, "On %s, open the user of %s %s (%s).", j->ig->name,
			 p->first_name, p->last_name, p->email);
		break;
	case PRACTLINK_STEP_CREATE_USER:
		snprintf(buf, size, "If %s has no user there, create one with these details.",
			 p->first_name);
		break;
	case PRACTLINK_STEP_SET_INTEGRATION:
		snprintf(buf, size, "Choose %s as the PMS the user integrates with.",
			 j->ctx->cfg->pms_name);
		break;
	case PRACTLINK_STEP_EXCHANGE:
		snprintf(buf, size,
			 "Paste the PMS key below into the user's PMS token field, save, and "
			 "copy the key %s generates.",
			 j->ig->name);
		break;
	default:
		snprintf(buf, size, "Remove the %s integration from the user's account on %s.",
			 j->ctx->cfg->pms_name, j->ig->name);
		break;
	}
}

/* Adds step to a, in the module's words when it has some. */
static practlink_status add_step(struct job *j, practlink_assist *a, practlink_step step)
{
	char buf[1024];
	int n = -1;

	if (j->inst->mod->be->manual_step)
		n = j->inst->mod->be->manual_step(j->inst->handle, step, &j->person, buf,
						  sizeof buf);
	if (n < 0)
		generic_words(j, step, buf, sizeof buf);
	if (!(a->steps[a->n].text = strdup(buf)))
		return pl_err_set(j->err, PRACTLINK_INTERNAL, "out of memory");
	a->steps[a->n++].step = step;
	return PRACTLINK_OK;
}

size_t pl_assist_size(void)
{
	return sizeof(practlink_assist);
}

static practlink_assist *assist_new(const char *id, size_t ix)
{
	practlink_assist *a = calloc(1, sizeof *a);

	if (a && !(a->id = strdup(id))) {
		free(a);
		return NULL;
	}
	if (a)
		a->ix = ix;
	return a;
}

void practlink_assist_free(practlink_assist *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->steps[i].text);
	pl_secret_free(a->pms_key);
	free(a->id);
	free(a);
}

size_t practlink_assist_count(const practlink_assist *a)
{
	return a ? a->n : 0;
}

const char *practlink_assist_text(const practlink_assist *a, size_t i)
{
	return a && i < a->n ? a->steps[i].text : NULL;
}

const char *practlink_assist_step(const practlink_assist *a, size_t i)
{
	return a && i < a->n ? pl_step_name(a->steps[i].step) : NULL;
}

const char *practlink_assist_pms_key(const practlink_assist *a)
{
	return a && a->pms_key ? a->pms_key->str : NULL;
}

int practlink_assist_needs_key(const practlink_assist *a)
{
	return a && a->needs_key;
}

int practlink_assist_automatic(const practlink_assist *a, size_t i)
{
	return a && i < a->n && a->steps[i].automatic;
}

/* Steps 4 and 5 as far as the module can take them; from the first it
 * cannot, the rest of 4 to 6 go to the operator. */
static practlink_status run_or_hand_over(struct job *j, practlink_assist *a)
{
	practlink_status st = PRACTLINK_OK;
	bool manual = !has_op(j, PRACTLINK_STEP_FIND_USER);

	if (!manual) {
		st = find_or_create_user(j);
		if (st == PRACTLINK_NO_USER && !has_op(j, PRACTLINK_STEP_CREATE_USER) &&
		    j->ig->create_missing_users)
			manual = true, st = PRACTLINK_OK;
		else if (st != PRACTLINK_OK)
			return st;
	}
	if (manual && ((st = add_step(j, a, PRACTLINK_STEP_FIND_USER)) ||
		       (st = add_step(j, a, PRACTLINK_STEP_CREATE_USER))))
		return st;
	if (!manual && has_op(j, PRACTLINK_STEP_SET_INTEGRATION))
		st = integrate_with_pms(j);
	else
		manual = true, st = add_step(j, a, PRACTLINK_STEP_SET_INTEGRATION);
	if (st == PRACTLINK_OK)
		st = add_step(j, a, PRACTLINK_STEP_EXCHANGE);
	return st;
}

/* Marks the link pending, with what is known so far, durably: the key the
 * operator is about to paste must survive a crash. */
static practlink_status save_pending(struct job *j)
{
	pl_link *l = j->link;

	if (j->user_id[0] && !l->user_id)
		l->user_id = dup_or_null(j->user_id);
	if (l->state != PL_LINKED)
		l->state = PL_PENDING;
	else
		l->rotation_pending = true; /* an assisted rotation waits for its key */
	l->updated_at = pl_now();
	clear_error(l);
	return pl_store_save(j->ctx, j->rec, 0, j->err);
}

/* A new PMS key, kept as pending until the platform has proved it. */
static practlink_status new_pending_key(struct job *j)
{
	char key[41];

	if (practlink_keygen(key, sizeof key) != PRACTLINK_OK)
		return pl_err_set(j->err, PRACTLINK_INTERNAL, "cannot generate a PMS key");
	pl_secret_free(j->link->pending_pms_key);
	j->link->pending_pms_key = pl_secret_new(key, strlen(key));
	explicit_bzero(key, sizeof key);
	return j->link->pending_pms_key ? PRACTLINK_OK
					: pl_err_set(j->err, PRACTLINK_INTERNAL, "out of memory");
}

/* Ends a job that makes an assist: *out gets a on success, else it goes. */
static practlink_status job_end_assist(struct job *j, const char *id, practlink_status st,
				       practlink_assist *a, practlink_assist **out)
{
	st = job_end(j, id, st);
	if (st != PRACTLINK_OK)
		practlink_assist_free(a);
	else
		*out = a;
	return st;
}

practlink_status pl_assist_begin(pl_worker *w, const char *id, size_t ix, unsigned flags,
				 practlink_assist **out)
{
	practlink_assist *a;
	practlink_status st;
	struct job j;

	*out = NULL;
	job_begin(&j, w, ix, flags & PRACTLINK_ASSIST_ROTATE ? "rotate" : "link");
	j.force_manual = flags & PRACTLINK_ASSIST_MANUAL;
	if (!(a = assist_new(id, ix)))
		return pl_err_set(j.err, PRACTLINK_INTERNAL, "out of memory");
	a->rotate = flags & PRACTLINK_ASSIST_ROTATE;
	if ((st = check_enabled(&j)) || (st = open_profile(&j, id)))
		goto out;
	if (a->rotate) {
		if (j.link->state != PL_LINKED) {
			st = pl_err_set(j.err, PRACTLINK_NOT_LINKED, "%s is not linked on %s", id,
					j.ig->name);
			j.link = NULL;
			goto out;
		}
		if ((st = new_pending_key(&j)) || (st = add_step(&j, a, PRACTLINK_STEP_EXCHANGE)))
			goto out;
		j.user_id[0] = '\0';
	} else {
		if (j.link->state == PL_LINKED) /* nothing left to do */
			goto out;
		if ((st = ensure_pms_key(&j)) || (st = run_or_hand_over(&j, a)))
			goto out;
	}
	const practlink_secret *key = a->rotate ? j.link->pending_pms_key : j.rec->pms_key;
	if (!(a->pms_key = pl_secret_new(key->str, key->len))) {
		st = pl_err_set(j.err, PRACTLINK_INTERNAL, "out of memory");
		goto out;
	}
	a->needs_key = true;
	st = save_pending(&j);
out:
	return job_end_assist(&j, id, st, a, out);
}

/* The other integrations' links still carry the old PMS key. */
static void mark_rotated(struct job *j)
{
	for (size_t i = 0; i < j->rec->n_links; i++) {
		pl_link *l = &j->rec->links[i];
		if (l == j->link || l->state != PL_LINKED)
			continue;
		clear_error(l);
		l->state = PL_FAILED;
		l->error = PRACTLINK_AUTH;
		l->error_step = strdup("rotate");
		if (asprintf(&l->error_message, "the PMS key was rotated on %s: link again",
			     j->ig->name) < 0)
			l->error_message = NULL;
	}
}

/* Makes the pending key the practitioner's PMS key. */
static void commit_rotation(struct job *j)
{
	pl_secret_free(j->rec->pms_key);
	j->rec->pms_key = j->link->pending_pms_key;
	j->link->pending_pms_key = NULL;
	mark_rotated(j);
}

/* The module's diagnose, within one request's timeout however many
 * requests it makes (physitrack tries every other region). */
static int diagnose_within(struct job *j, const practlink_secret *pms_key,
			   const practlink_secret *backend_key, char *buf, size_t size)
{
	int n;

	j->inst->step = "diagnose";
	j->inst->deadline = pl_now_ms() + j->ctx->cfg->http.timeout_ms;
	n = j->inst->mod->be->diagnose(j->inst->handle, &j->person, pms_key, backend_key, buf,
				       size);
	j->inst->deadline = 0;
	j->inst->step = NULL;
	return n;
}

/* After the platform rejected a pair, adds what the module can find out
 * about why (the region that knows the keys, say) to the message. */
static void explain(struct job *j, const practlink_secret *pms_key,
		    const practlink_secret *backend_key)
{
	const practlink_backend *be = j->inst->mod->be;
	char found[512];
	size_t len = strlen(j->err->msg);

	if (!be->diagnose)
		return;
	j->inst->err.hint[0] = '\0';
	if (diagnose_within(j, pms_key, backend_key, found, sizeof found) > 0) {
		pl_redact(found, sizeof found, pms_key);
		pl_redact(found, sizeof found, backend_key);
		snprintf(j->err->msg + len, sizeof j->err->msg - len, "; %s", found);
		if (j->inst->err.hint[0])
			memcpy(j->err->hint, j->inst->err.hint, sizeof j->err->hint);
	}
}

practlink_status pl_assist_finish(pl_worker *w, practlink_assist *a, const char *typed, size_t len)
{
	practlink_secret *backend_key = NULL;
	const practlink_secret *pms_key;
	practlink_status st;
	struct job j;

	job_begin(&j, w, a->ix, a->rotate ? "rotate" : "link");
	/* The seed: copy the key exactly; surrounding blanks are forgiven. */
	if ((st = pl_key_normalise(typed, len, "platform key", &backend_key, j.err)))
		return job_end(&j, a->id, st);
	if ((st = open_profile(&j, a->id)))
		goto out;
	pms_key = a->rotate ? j.link->pending_pms_key : j.rec->pms_key;
	if (!pl_secret_equal(pms_key, a->pms_key)) {
		st = pl_err_set(j.err, PRACTLINK_USAGE,
				"%s: the PMS key changed while waiting for the platform key; "
				"start the link again",
				a->id);
		j.link = NULL;
		goto out;
	}
	if (pl_secret_equal(pms_key, backend_key)) {
		/* The PMS key pasted back: the commonest slip of the seed's. */
		st = pl_err_set(j.err, PRACTLINK_BAD_KEY,
				"%s: the key given is the PMS key practlink showed, not the key "
				"%s generated",
				a->id, j.ig->name);
		pl_err_hint(j.err,
			    "paste the PMS key into the platform's PMS token field, save, and give "
			    "back the key the platform shows then");
		j.link = NULL; /* nothing was tried: the link still waits */
		goto out;
	}
	if ((st = verify_pair(&j, pms_key, backend_key))) {
		if (st == PRACTLINK_AUTH)
			explain(&j, pms_key, backend_key);
		goto out;
	}
	if (a->rotate)
		commit_rotation(&j);
	st = save_link(&j, backend_key);
	backend_key = NULL;
out:
	pl_secret_free(backend_key);
	return job_end(&j, a->id, st);
}

/* --- rotate and unlink ---------------------------------------------------- */

practlink_status pl_rotate_run(pl_worker *w, const char *id, size_t ix)
{
	practlink_secret *backend_key = NULL;
	practlink_status st;
	struct job j;

	job_begin(&j, w, ix, "rotate");
	if ((st = check_enabled(&j)) || (st = open_profile(&j, id)))
		return job_end(&j, id, st);
	if (j.link->state != PL_LINKED || !has_op(&j, PRACTLINK_STEP_EXCHANGE)) {
		st = j.link->state != PL_LINKED
			     ? pl_err_set(j.err, PRACTLINK_NOT_LINKED, "%s is not linked on %s", id,
					  j.ig->name)
			     : pl_err_set(j.err, PRACTLINK_USAGE,
					  "%s: %s cannot exchange keys itself: rotate assisted", id,
					  j.ig->module);
		j.link = NULL;
		return job_end(&j, id, st);
	}
	snprintf(j.user_id, sizeof j.user_id, "%s", j.link->user_id ? j.link->user_id : "");
	/* The new key is on disk before the platform sees it: whatever fails
	 * after, status tells the truth and running rotate again finishes the
	 * rotation with that same key (one left by a failed run is reused). */
	if (!j.link->pending_pms_key && (st = new_pending_key(&j)))
		return job_end(&j, id, st);
	j.link->rotation_pending = true;
	if ((st = pl_store_save(j.ctx, j.rec, 0, j.err)))
		return job_end(&j, id, st);
	if ((st = exchange_keys(&j, j.link->pending_pms_key, &backend_key)) ||
	    (st = verify_pair(&j, j.link->pending_pms_key, backend_key))) {
		pl_secret_free(backend_key);
		return job_end(&j, id, st);
	}
	commit_rotation(&j);
	return job_end(&j, id, save_link(&j, backend_key));
}

practlink_status pl_unlink_run(pl_worker *w, const char *id, size_t ix, practlink_assist **manual)
{
	practlink_assist *a = NULL;
	practlink_status st;
	struct job j;

	if (manual)
		*manual = NULL;
	job_begin(&j, w, ix, "unlink");
	if ((st = open_profile(&j, id)))
		return job_end(&j, id, st);
	if (j.link->state == PL_UNLINKED && !j.link->backend_key && !j.link->user_id) {
		j.link = NULL;
		return job_end(&j, id,
			       pl_err_set(j.err, PRACTLINK_NOT_LINKED, "%s is not linked on %s", id,
					  j.ig->name));
	}
	if (has_op(&j, PRACTLINK_STEP_REVOKE)) {
		/* The intent is on disk before the platform is told: a failure
		 * after leaves "unlink pending", and running unlink again ends it. */
		j.link->unlink_pending = true;
		if ((st = pl_store_save(j.ctx, j.rec, 0, j.err)))
			return job_end(&j, id, st);
		j.step = PRACTLINK_STEP_REVOKE;
		if ((st = pl_instance_revoke(j.inst, &j.person)))
			return job_end(&j, id, module_failed(&j, st));
	} else if (!(a = assist_new(id, ix)) || (st = add_step(&j, a, PRACTLINK_STEP_REVOKE))) {
		practlink_assist_free(a);
		return job_end(&j, id,
			       a ? st : pl_err_set(j.err, PRACTLINK_INTERNAL, "out of memory"));
	}
	pl_record_drop_link(j.rec, j.ig->name);
	j.link = NULL;
	st = job_end(&j, id, pl_store_save(j.ctx, j.rec, 0, j.err));
	if (st == PRACTLINK_OK && manual)
		*manual = a;
	else
		practlink_assist_free(a);
	return st;
}

/* --- what a link would do ------------------------------------------------ */

/* Adds an automatic step to a plan, in the core's words. */
static practlink_status add_auto(struct job *j, practlink_assist *a, practlink_step step)
{
	char buf[512];

	switch (step) {
	case PRACTLINK_STEP_FIND_USER:
		snprintf(buf, sizeof buf, "find the user of %s on %s", j->person.email,
			 j->ig->name);
		break;
	case PRACTLINK_STEP_CREATE_USER:
		snprintf(buf, sizeof buf, "create the user on %s if there is none", j->ig->name);
		break;
	case PRACTLINK_STEP_SET_INTEGRATION:
		snprintf(buf, sizeof buf, "set the user's PMS to %s", j->ctx->cfg->pms_name);
		break;
	case PRACTLINK_STEP_EXCHANGE:
		snprintf(buf, sizeof buf, "hand the PMS key to %s and take its key back",
			 j->ig->name);
		break;
	default:
		snprintf(buf, sizeof buf, "verify the pair of keys with %s, then save the link",
			 j->ig->name);
		break;
	}
	if (!(a->steps[a->n].text = strdup(buf)))
		return pl_err_set(j->err, PRACTLINK_INTERNAL, "out of memory");
	a->steps[a->n].automatic = true;
	a->steps[a->n++].step = step;
	return PRACTLINK_OK;
}

practlink_status pl_link_plan(pl_worker *w, const char *id, size_t ix, practlink_assist **out)
{
	static const practlink_step order[] = { PRACTLINK_STEP_FIND_USER,
						PRACTLINK_STEP_CREATE_USER,
						PRACTLINK_STEP_SET_INTEGRATION,
						PRACTLINK_STEP_EXCHANGE, PRACTLINK_STEP_VERIFY };
	practlink_assist *a;
	practlink_status st;
	bool manual = false;
	struct job j;

	*out = NULL;
	job_begin(&j, w, ix, "plan");
	j.dry_run = true;
	if (!(a = assist_new(id, ix)))
		return pl_err_set(j.err, PRACTLINK_INTERNAL, "out of memory");
	if ((st = check_enabled(&j)) || (st = open_profile(&j, id)))
		goto out;
	if (j.link->state == PL_LINKED)
		goto out; /* nothing to do: an empty plan */
	for (size_t i = 0; i < sizeof order / sizeof order[0] && st == PRACTLINK_OK; i++) {
		practlink_step step = order[i];
		if (step == PRACTLINK_STEP_FIND_USER && j.link->user_id)
			continue; /* known from an earlier attempt */
		/* Creating the user is planned when allowed, and always when
		 * finding it is the operator's: they may not find it. */
		if (step == PRACTLINK_STEP_CREATE_USER &&
		    (j.link->user_id || (!j.ig->create_missing_users && !manual)))
			continue;
		/* From the first step the module lacks, the rest of 4 to 6 is
		 * the operator's, as in an assisted link. */
		manual |= step != PRACTLINK_STEP_VERIFY && !has_op(&j, step);
		st = manual && step != PRACTLINK_STEP_VERIFY ? add_step(&j, a, step)
							     : add_auto(&j, a, step);
	}
	/* What can be checked without changing anything. */
	if (st == PRACTLINK_OK && !j.link->user_id && has_op(&j, PRACTLINK_STEP_FIND_USER))
		st = find_or_create_user(&j);
out:
	return job_end_assist(&j, id, st, a, out);
}

practlink_status pl_diagnose_run(pl_worker *w, const char *id, size_t ix, char *buf, size_t size)
{
	const practlink_backend *be;
	practlink_status st;
	struct job j;
	int n;

	job_begin(&j, w, ix, "diagnose");
	j.dry_run = true; /* reads only: no lock, no record of failure, no audit */
	buf[0] = '\0';
	if ((st = open_profile(&j, id)))
		return job_end(&j, id, st);
	be = j.inst->mod->be;
	if (!j.link->backend_key || !j.rec->pms_key)
		st = pl_err_set(j.err, PRACTLINK_NOT_LINKED, "%s is not linked on %s", id,
				j.ig->name);
	else if (be->diagnose) {
		n = diagnose_within(&j, j.rec->pms_key, j.link->backend_key, buf, size);
		if (n < 0)
			buf[0] = '\0';
	}
	return job_end(&j, id, st);
}
