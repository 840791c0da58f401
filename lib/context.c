/* SPDX-License-Identifier: MIT */
/* context.c - a host's handle on practlink: configuration, modules, log. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

practlink_status practlink_new(practlink_ctx **out)
{
	practlink_ctx *ctx;

	return_val_if_fail(out != NULL, PRACTLINK_USAGE);
	if (!(*out = ctx = calloc(1, sizeof *ctx)))
		return PRACTLINK_INTERNAL;
	ctx->log.level = PRACTLINK_LOG_INFO;
	pthread_mutex_init(&ctx->lock, NULL);
	return PRACTLINK_OK;
}

static void drop_store(practlink_ctx *ctx)
{
	if (ctx->store && ctx->store->close)
		ctx->store->close(ctx->store_data);
	ctx->store = NULL;
	ctx->store_data = NULL;
	ctx->store_is_host = false;
	pl_key_index_free(ctx->key_index);
	ctx->key_index = NULL;
	ctx->on_save = NULL;
}

static void drop_config(practlink_ctx *ctx)
{
	pl_worker_free(ctx->main);
	ctx->main = NULL;
	if (!ctx->store_is_host)
		drop_store(ctx);
	if (ctx->cfg)
		for (size_t i = 0; i < ctx->cfg->n_integ; i++) {
			pl_module_unload(ctx->loaded[i].mod);
			if (ctx->pacers)
				pl_pacer_free(ctx->pacers[i]);
		}
	free(ctx->pacers);
	ctx->pacers = NULL;
	free(ctx->loaded);
	pl_config_free(ctx->cfg);
	free(ctx->active_module_dir);
	ctx->loaded = NULL;
	ctx->cfg = NULL;
	ctx->active_module_dir = NULL;
}

void practlink_free(practlink_ctx *ctx)
{
	if (!ctx)
		return;
	free(ctx->batch); /* not committed: its rows are absent, as after a crash */
	drop_config(ctx);
	drop_store(ctx);
	pl_http_share_free(ctx->http_share);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx->module_dir);
	free(ctx);
}

void practlink_set_log(practlink_ctx *ctx, int level, practlink_log_fn fn, void *data)
{
	if (!ctx)
		return;
	ctx->log.fn = fn;
	ctx->log.data = data;
	if (level >= 0) {
		ctx->log.level = level;
		ctx->log_level_set = true;
	}
}

practlink_status practlink_set_module_dir(practlink_ctx *ctx, const char *dir)
{
	char *copy = NULL;

	return_val_if_fail(ctx != NULL, PRACTLINK_USAGE);
	if (dir && !(copy = strdup(dir)))
		return pl_err_set(&ctx->err, PRACTLINK_INTERNAL, "out of memory");
	free(ctx->module_dir);
	ctx->module_dir = copy;
	return PRACTLINK_OK;
}

const char *practlink_errmsg(const practlink_ctx *ctx)
{
	return ctx ? ctx->err.msg : "no context";
}

const char *practlink_errhint(const practlink_ctx *ctx)
{
	return ctx ? pl_err_hint_of(&ctx->err) : "";
}

/* The context's HTTP share, for its instances. */
/* Integration ig's pacer in this context, made on first use; NULL when
 * out of memory (the requests then go unpaced). */
static pl_pacer *pacer_of(void *owner, const pl_integration *ig)
{
	practlink_ctx *ctx = owner;
	size_t i = (size_t)(ig - ctx->cfg->integ);
	pl_pacer *p;

	pthread_mutex_lock(&ctx->lock);
	if (!ctx->pacers)
		ctx->pacers = calloc(ctx->cfg->n_integ, sizeof *ctx->pacers);
	if (ctx->pacers && !ctx->pacers[i])
		ctx->pacers[i] = pl_pacer_new((double)ctx->cfg->http.max_rate);
	p = ctx->pacers ? ctx->pacers[i] : NULL;
	pthread_mutex_unlock(&ctx->lock);
	return p;
}

static pl_http_share *share_of(void *owner, pl_err *err)
{
	return pl_ctx_http_share(owner, err);
}

practlink_status practlink_load_config(practlink_ctx *ctx, const char *path)
{
	const char *dir;
	struct pl_loaded *loaded;
	pl_config *cfg;
	practlink_status st;
	char *mdir;

	return_val_if_fail(ctx != NULL, PRACTLINK_USAGE);
	if (!path)
		path = secure_getenv("PRACTLINK_CONFIG");
	if (!path || !*path)
		path = SYSCONFDIR "/practlink/practlink.conf";
	ctx->err.msg[0] = '\0';
	ctx->err.hint[0] = '\0';
	st = pl_config_load(path, &ctx->log, &cfg, &ctx->err);
	if (st != PRACTLINK_OK)
		return st;

	dir = ctx->module_dir ? ctx->module_dir : secure_getenv("PRACTLINK_MODULE_DIR");
	mdir = strdup(dir && *dir ? dir : cfg->module_dir);
	loaded = calloc(cfg->n_integ ? cfg->n_integ : 1, sizeof *loaded);
	if (!mdir || !loaded) {
		free(mdir);
		free(loaded);
		pl_config_free(cfg);
		return pl_err_set(&ctx->err, PRACTLINK_INTERNAL, "out of memory");
	}
	/* All of it parsed: only now does it replace what the context had. */
	drop_config(ctx);
	ctx->cfg = cfg;
	ctx->loaded = loaded;
	ctx->active_module_dir = mdir;
	if (!ctx->log_level_set)
		ctx->log.level = cfg->log_level;
	ctx->log.syslog = cfg->log_syslog;
	ctx->env = (pl_env){ .log = &ctx->log,
			     .http = &cfg->http,
			     .pms_name = cfg->pms_name,
			     .stop = &ctx->bulk_stop,
			     .lock = &ctx->lock,
			     .share = share_of,
			     .pacer = pacer_of,
			     .owner = ctx,
			     .config_file = cfg->files[0],
			     .module_dir = mdir,
			     .in_host = ctx->in_host };
	return PRACTLINK_OK;
}

const char *practlink_config_file(const practlink_ctx *ctx, size_t i)
{
	if (!ctx || !ctx->cfg || i >= ctx->cfg->n_files)
		return NULL;
	return ctx->cfg->files[i];
}

const char *practlink_module_dir(const practlink_ctx *ctx)
{
	return ctx ? ctx->active_module_dir : NULL;
}

size_t practlink_audit_failures(const practlink_ctx *ctx)
{
	return ctx ? (size_t)ctx->audit_failures : 0;
}

const char *practlink_store_path(const practlink_ctx *ctx)
{
	return ctx && ctx->cfg && !ctx->store_is_host ? ctx->cfg->store_path : NULL;
}

practlink_status practlink_set_store(practlink_ctx *ctx, const practlink_store_ops *ops, void *data)
{
	return_val_if_fail(ctx != NULL && ops != NULL, PRACTLINK_USAGE);
	if (ops->version < 1 || ops->version > PRACTLINK_STORE_OPS_VERSION || !ops->get ||
	    !ops->put || !ops->remove || !ops->list || !ops->lock || !ops->unlock)
		return pl_err_set(
			&ctx->err, PRACTLINK_USAGE,
			"the store table lacks an operation or has version %u, not 1 to %u",
			ops->version, PRACTLINK_STORE_OPS_VERSION);
	drop_store(ctx);
	ctx->store = ops;
	ctx->store_data = data;
	ctx->store_is_host = true;
	return PRACTLINK_OK;
}

practlink_status practlink_store_clean(practlink_ctx *ctx, size_t *removed)
{
	practlink_status st;

	return_val_if_fail(ctx != NULL && removed != NULL, PRACTLINK_USAGE);
	*removed = 0;
	if ((st = pl_ctx_store(ctx, &ctx->err)) || ctx->store_is_host)
		return st;
	return pl_store_files_clean(ctx->store_data, removed, &ctx->err);
}

pl_http_share *pl_ctx_http_share(practlink_ctx *ctx, pl_err *err)
{
	pl_http_share *share;

	pthread_mutex_lock(&ctx->lock);
	if (!ctx->http_share)
		pl_http_share_new(&ctx->http_share, err);
	share = ctx->http_share;
	pthread_mutex_unlock(&ctx->lock);
	return share;
}

/* The context's worker and integration ix, or why not. */
practlink_status pl_api_prepare(practlink_ctx *ctx, const char *integration, size_t *ix,
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
practlink_status pl_api_done(practlink_ctx *ctx, pl_worker *w, practlink_status st)
{
	if (st != PRACTLINK_OK)
		ctx->err = w->err;
	return st;
}
