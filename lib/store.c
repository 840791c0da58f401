/* SPDX-License-Identifier: MIT */
/* store.c - records through whichever store the context has, and the
 * audit trail. Messages name the record's file for the files store. */
#include "internal.h"

#include <cjson/cJSON.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static practlink_status open_store(practlink_ctx *ctx, bool create, pl_err *err)
{
	practlink_status st;

	if (ctx->store)
		return PRACTLINK_OK;
	if (!ctx->cfg)
		return pl_err_set(err, PRACTLINK_CONFIG, "no configuration loaded");
	st = pl_store_files_open(ctx->cfg->store_path, create, &ctx->store, &ctx->store_data, err);
	if (st == PRACTLINK_CONFIG) {
		/* Missing: say which setting named it, and what makes one. */
		size_t len = strlen(err->msg);
		snprintf(err->msg + len, sizeof err->msg - len, " (store.path, %s)",
			 ctx->cfg->store_where);
		pl_err_hint(err, "check store.path; 'practlink practitioner add' or 'practitioner "
				 "import' creates the store");
	}
	return st;
}

practlink_status pl_ctx_store(practlink_ctx *ctx, pl_err *err)
{
	return open_store(ctx, false, err);
}

practlink_status pl_ctx_store_create(practlink_ctx *ctx, pl_err *err)
{
	return open_store(ctx, true, err);
}

/* Where id's record lives, for messages. */
static void where(practlink_ctx *ctx, const char *id, char *buf, size_t size)
{
	if (ctx->store_is_host || !ctx->cfg)
		snprintf(buf, size, "record of '%s'", id);
	else
		snprintf(buf, size, "%s/practitioners/%s.json", ctx->cfg->store_path, id);
}

practlink_status pl_store_load(practlink_ctx *ctx, const char *id, pl_record **out, pl_err *err)
{
	char *text = NULL, at[4200];
	size_t len = 0;
	practlink_status st;

	*out = NULL;
	if (!pl_id_valid(id))
		return pl_err_set(err, PRACTLINK_USAGE,
				  "'%s' is not a practitioner id: use 1 to 64 of A-Z a-z 0-9 . _ -",
				  id);
	if ((st = pl_ctx_store(ctx, err)) != PRACTLINK_OK)
		return st;
	st = pl_status_check(
		(int)ctx->store->get(ctx->store_data, id, &text, &len, err->msg, sizeof err->msg));
	if (st != PRACTLINK_OK)
		return err->status = st;
	st = pl_record_parse(text, len, id, out, err);
	explicit_bzero(text, len);
	free(text);
	if (st != PRACTLINK_OK && st != PRACTLINK_INTERNAL) {
		/* Name the file, and say that practlink leaves it alone. */
		char msg[sizeof err->msg];
		where(ctx, id, at, sizeof at);
		memcpy(msg, err->msg, sizeof msg);
		pl_err_set(err, st, "%s: %s; it is left untouched: repair or remove it", at, msg);
	}
	return st;
}

practlink_status pl_store_save(practlink_ctx *ctx, const pl_record *rec, unsigned flags,
			       pl_err *err)
{
	char *text;
	size_t len;
	practlink_status st;

	if ((st = pl_ctx_store(ctx, err)) != PRACTLINK_OK)
		return st;
	if (!(text = pl_record_format(rec)))
		return pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
	len = strlen(text);
	st = pl_status_check((int)ctx->store->put(ctx->store_data, rec->id, text, len, flags,
						  err->msg, sizeof err->msg));
	explicit_bzero(text, len);
	free(text);
	if (st != PRACTLINK_OK)
		err->status = st;
	else if (ctx->on_save) /* the key index, when there is one */
		ctx->on_save(ctx, rec->id, rec);
	return st;
}

practlink_status pl_store_each(practlink_ctx *ctx, practlink_status (*each)(void *, const char *),
			       void *arg, pl_err *err)
{
	practlink_status st;

	if ((st = pl_ctx_store(ctx, err)) != PRACTLINK_OK)
		return st;
	err->msg[0] = err->hint[0] = '\0';
	st = pl_status_check(
		(int)ctx->store->list(ctx->store_data, each, arg, err->msg, sizeof err->msg));
	err->status = st;
	return st;
}

practlink_status pl_store_lock(practlink_ctx *ctx, const char *id, void **token, pl_err *err)
{
	practlink_status st;

	*token = NULL;
	if ((st = pl_ctx_store(ctx, err)) != PRACTLINK_OK)
		return st;
	st = pl_status_check(
		(int)ctx->store->lock(ctx->store_data, id, token, err->msg, sizeof err->msg));
	if (st != PRACTLINK_OK)
		err->status = st;
	return st;
}

practlink_status pl_store_trylock(practlink_ctx *ctx, const char *id, void **token, bool *busy,
				  pl_err *err)
{
	practlink_status st;

	*token = NULL;
	*busy = false;
	if ((st = pl_ctx_store(ctx, err)) != PRACTLINK_OK)
		return st;
	if (ctx->store->version < 3 || !ctx->store->trylock)
		return pl_store_lock(ctx, id, token, err);
	st = pl_status_check(
		(int)ctx->store->trylock(ctx->store_data, id, token, err->msg, sizeof err->msg));
	*busy = st == PRACTLINK_TRANSIENT;
	if (st != PRACTLINK_OK)
		err->status = st;
	return st;
}

void pl_store_unlock(practlink_ctx *ctx, void *token)
{
	if (ctx->store)
		ctx->store->unlock(ctx->store_data, token);
}

/* Who runs this, for the audit: the user name, looked up once. */
static const char *audit_user(practlink_ctx *ctx)
{
	struct passwd pw, *who = NULL;
	char buf[1024];

	pthread_mutex_lock(&ctx->lock);
	if (!ctx->audit_user[0]) {
		getpwuid_r(getuid(), &pw, buf, sizeof buf, &who);
		if (who)
			snprintf(ctx->audit_user, sizeof ctx->audit_user, "%s", who->pw_name);
		else
			snprintf(ctx->audit_user, sizeof ctx->audit_user, "%u", (unsigned)getuid());
	}
	pthread_mutex_unlock(&ctx->lock);
	return ctx->audit_user;
}

practlink_status pl_audit(practlink_ctx *ctx, const char *action, const char *id,
			  const char *integration, practlink_status status, pl_err *err)
{
	char time[32], *line, why[512] = "";
	practlink_status st = PRACTLINK_OK;
	cJSON *o;

	if (!ctx->store ||
	    (!ctx->store->audit && !(ctx->store->version >= 2 && ctx->store->audit_line)))
		return PRACTLINK_OK;
	pl_time_format(pl_now(), time);
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "time", time) ||
	    !cJSON_AddStringToObject(o, "user", audit_user(ctx)) ||
	    !cJSON_AddStringToObject(o, "action", action) ||
	    !cJSON_AddStringToObject(o, "id", id) ||
	    !(integration ? cJSON_AddStringToObject(o, "integration", integration)
			  : cJSON_AddNullToObject(o, "integration")) ||
	    !cJSON_AddStringToObject(o, "status", practlink_status_name(status)) ||
	    !(line = cJSON_PrintUnformatted(o))) {
		cJSON_Delete(o);
		st = PRACTLINK_STORE;
		snprintf(why, sizeof why, "out of memory");
	} else {
		if (ctx->store->version >= 2 && ctx->store->audit_line)
			st = pl_status_check((int)ctx->store->audit_line(ctx->store_data, line, why,
									 sizeof why));
		else
			ctx->store->audit(ctx->store_data, line);
		free(line);
		cJSON_Delete(o);
	}
	if (st == PRACTLINK_OK)
		return PRACTLINK_OK;
	/* The operation stands; the trail lacks it: said, and counted. */
	if (atomic_fetch_add(&ctx->audit_failures, 1) == 0)
		pl_log_msg(&ctx->log, PRACTLINK_LOG_WARNING,
			   "the audit trail could not be written (%s): %s of %s is not in it", why,
			   action, id);
	pl_err_set(err, PRACTLINK_STORE, "%s of %s %s, but its audit line could not be written: %s",
		   action, id, status == PRACTLINK_OK ? "was done" : "failed", why);
	return PRACTLINK_STORE;
}
