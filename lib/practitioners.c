/* SPDX-License-Identifier: MIT */
/* practitioners.c - the host API's calls on practitioners: add and
 * import (each field checked), remove, and the list. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

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

#define BATCH 512

struct pl_batch {
	char ids[BATCH][PRACTLINK_ID_MAX];
	practlink_status each[BATCH];
	size_t n, failed;
	pl_err first; /* why the first that could not be kept was not */
};

/* Puts the batch on disk; each record's audit line follows its fate. */
static void publish(practlink_ctx *ctx)
{
	struct pl_batch *b = ctx->batch;
	pl_err err = { 0 };

	pl_store_files_publish(ctx->store_data, b->ids, b->n, b->each, &err);
	for (size_t i = 0; i < b->n; i++) {
		if (b->each[i] != PRACTLINK_OK && b->failed++ == 0)
			pl_err_set(&b->first, b->each[i], "%s", err.msg);
		pl_audit(ctx, "add", b->ids[i], NULL, b->each[i], NULL);
	}
	b->n = 0;
}

practlink_status practlink_import_begin(practlink_ctx *ctx)
{
	pl_worker *w = NULL;
	practlink_status st;

	if ((st = pl_api_prepare(ctx, NULL, NULL, &w)) ||
	    (st = pl_ctx_store_create(ctx, &ctx->err)))
		return st;
	if (ctx->store_is_host || ctx->batch)
		return PRACTLINK_OK;
	if (!(ctx->batch = calloc(1, sizeof *ctx->batch)))
		return pl_err_set(&ctx->err, PRACTLINK_INTERNAL, "out of memory");
	ctx->flush = publish;
	return PRACTLINK_OK;
}

practlink_status practlink_import_commit(practlink_ctx *ctx, size_t *failed)
{
	struct pl_batch *b;
	practlink_status st = PRACTLINK_OK;

	return_val_if_fail(ctx != NULL, PRACTLINK_USAGE);
	if (failed)
		*failed = 0;
	if (!(b = ctx->batch))
		return PRACTLINK_OK;
	publish(ctx);
	if (failed)
		*failed = b->failed;
	if (b->failed)
		st = pl_err_set(&ctx->err, PRACTLINK_STORE,
				"%zu imported practitioner%s could not be kept: %s", b->failed,
				b->failed == 1 ? "" : "s", b->first.msg);
	free(b);
	ctx->batch = NULL;
	ctx->flush = NULL;
	return st;
}

/* A new practitioner's record, staged in the batch: USAGE when there is
 * one already (the caller then compares), else OK once written whole. */
static practlink_status stage(practlink_ctx *ctx, const pl_record *rec)
{
	struct pl_batch *b = ctx->batch;
	char *text = pl_record_format(rec);
	size_t len = text ? strlen(text) : 0;
	practlink_status st;

	if (!text)
		return pl_err_set(&ctx->err, PRACTLINK_INTERNAL, "out of memory");
	/* The same id twice in one batch: the first goes on disk, and this
	 * one then meets it as a record. */
	if (b->n && pl_store_files_staged(ctx->store_data, rec->id))
		publish(ctx);
	st = pl_store_files_stage(ctx->store_data, rec->id, text, len, &ctx->err);
	explicit_bzero(text, len);
	free(text);
	if (st != PRACTLINK_OK)
		return st;
	snprintf(b->ids[b->n++], PRACTLINK_ID_MAX, "%s", rec->id);
	if (ctx->on_save) /* its email is taken from now on */
		ctx->on_save(ctx, rec->id, rec);
	if (b->n == BATCH)
		publish(ctx);
	return PRACTLINK_OK;
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
	if ((st = pl_api_prepare(ctx, NULL, NULL, &w)) || (st = check_person(ctx, p)) ||
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
	/* In a batch, staged: its audit line comes when it is on disk. */
	if (st == PRACTLINK_OK && ctx->batch && (st = stage(ctx, &rec)) == PRACTLINK_OK) {
		pl_secret_free(rec.pms_key);
		return PRACTLINK_OK;
	}
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

	if ((st = pl_api_prepare(ctx, NULL, NULL, &w)))
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

	if ((st = pl_api_prepare(ctx, NULL, NULL, &w)))
		return st;
	return pl_store_each_sorted(ctx, each, arg, &ctx->err);
}
