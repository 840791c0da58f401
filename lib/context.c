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
	return PRACTLINK_OK;
}

static void drop_config(practlink_ctx *ctx)
{
	if (ctx->cfg)
		for (size_t i = 0; i < ctx->cfg->n_integ; i++)
			pl_module_unload(ctx->loaded[i].mod);
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
	drop_config(ctx);
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

size_t practlink_integration_count(const practlink_ctx *ctx)
{
	return ctx && ctx->cfg ? ctx->cfg->n_integ : 0;
}

const pl_module *pl_ctx_module(practlink_ctx *ctx, size_t i)
{
	struct pl_loaded *l = &ctx->loaded[i];

	if (!l->tried) {
		l->tried = true;
		if (pl_module_load(ctx->active_module_dir, ctx->cfg->integ[i].module, &l->mod,
				   &l->err) != PRACTLINK_OK)
			pl_log_msg(&ctx->log, PRACTLINK_LOG_ERR, "%s: %s", ctx->cfg->integ[i].name,
				   l->err.msg);
	}
	if (!l->mod)
		ctx->err = l->err;
	return l->mod;
}

practlink_status practlink_integration_get(practlink_ctx *ctx, size_t i,
					   practlink_integration_info *info)
{
	const pl_integration *ig;
	const pl_module *mod;

	return_val_if_fail(ctx != NULL && info != NULL, PRACTLINK_USAGE);
	if (!ctx->cfg || i >= ctx->cfg->n_integ)
		return pl_err_set(&ctx->err, PRACTLINK_NOT_FOUND, "no integration %zu", i);
	ig = &ctx->cfg->integ[i];
	mod = pl_ctx_module(ctx, i);
	memset(info, 0, sizeof *info);
	info->name = ig->name;
	info->module = ig->module;
	info->file = ig->file;
	info->enabled = ig->enabled;
	info->create_missing_users = ig->create_missing_users;
	info->load_status = mod ? PRACTLINK_OK : ctx->loaded[i].err.status;
	info->load_error = mod ? NULL : ctx->loaded[i].err.msg;
	info->module_path = mod ? mod->path : NULL;
	if (mod) {
		info->abi = mod->be->abi;
		info->version = mod->be->version;
		info->description = mod->be->description;
	}
	return PRACTLINK_OK;
}

practlink_status practlink_integration_check(practlink_ctx *ctx, size_t i)
{
	const pl_module *mod;
	pl_instance *inst;
	practlink_status st;

	return_val_if_fail(ctx != NULL, PRACTLINK_USAGE);
	if (!ctx->cfg || i >= ctx->cfg->n_integ)
		return pl_err_set(&ctx->err, PRACTLINK_NOT_FOUND, "no integration %zu", i);
	if (!(mod = pl_ctx_module(ctx, i)))
		return ctx->err.status;
	st = pl_instance_open(mod, &ctx->cfg->integ[i], ctx->cfg->pms_name, &ctx->log, &inst,
			      &ctx->err);
	pl_instance_close(inst);
	return st;
}
