/* SPDX-License-Identifier: MIT */
/* view.c - practlink_status_each: each practitioner's links as status
 * shows them, streamed from the store, never a key. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

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

	if ((st = pl_api_prepare(ctx, NULL, NULL, &w)) ||
	    (integration && (st = pl_ctx_integration(ctx, integration, &ix, &ctx->err))))
		return st;
	st = id ? status_of(&s, id) : practlink_practitioner_each(ctx, status_of, &s);
	return st != PRACTLINK_OK ? st : s.worst;
}
