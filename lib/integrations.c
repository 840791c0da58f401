/* SPDX-License-Identifier: MIT */
/* integrations.c - the host API's look at the configured integrations:
 * which there are, their modules, whether they open and answer; and the
 * one a call names, or the one enabled. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

size_t practlink_integration_count(const practlink_ctx *ctx)
{
	return ctx && ctx->cfg ? ctx->cfg->n_integ : 0;
}

const char *practlink_integration_name(const practlink_ctx *ctx, size_t i)
{
	return ctx && ctx->cfg && i < ctx->cfg->n_integ ? ctx->cfg->integ[i].name : NULL;
}

practlink_status practlink_integration_get(practlink_ctx *ctx, size_t i,
					   practlink_integration_info *info)
{
	practlink_integration_info all = { .size = sizeof all };
	const pl_integration *ig;
	const pl_module *mod;
	size_t size;

	return_val_if_fail(ctx != NULL && info != NULL, PRACTLINK_USAGE);
	if (info->size < PL_INTEGRATION_INFO_MIN)
		return pl_err_set(&ctx->err, PRACTLINK_USAGE,
				  "practlink_integration_info.size is %zu: set it to the struct's "
				  "sizeof",
				  info->size);
	if (!ctx->cfg || i >= ctx->cfg->n_integ)
		return pl_err_set(&ctx->err, PRACTLINK_NOT_FOUND, "no integration %zu", i);
	ig = &ctx->cfg->integ[i];
	mod = pl_ctx_module(ctx, i);
	all.name = ig->name;
	all.module = ig->module;
	all.file = ig->file;
	all.enabled = ig->enabled;
	all.create_missing_users = ig->create_missing_users;
	all.isolated = ig->isolate;
	all.load_status = mod ? PRACTLINK_OK : ctx->loaded[i].err.status;
	all.load_error = mod ? NULL : ctx->loaded[i].err.msg;
	all.module_path = mod ? mod->path : NULL;
	if (mod) {
		all.abi = mod->be->abi;
		all.version = mod->be->version;
		all.description = mod->be->description;
		all.automatic = mod->be->find_user && mod->be->set_integration && mod->be->exchange;
	}
	/* As much as the caller's struct holds; its size stays its own. */
	size = info->size < sizeof all ? info->size : sizeof all;
	memcpy((char *)info + sizeof info->size, (char *)&all + sizeof all.size,
	       size - sizeof info->size);
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
	st = pl_instance_open(&ctx->env, mod, &ctx->cfg->integ[i], &inst, &ctx->err);
	pl_instance_close(inst);
	return st;
}

practlink_status practlink_integration_probe(practlink_ctx *ctx, size_t i, char *buf, size_t size)
{
	pl_worker *w;
	pl_instance *inst;
	practlink_status st;

	return_val_if_fail(ctx != NULL && buf != NULL && size > 0, PRACTLINK_USAGE);
	buf[0] = '\0';
	if (!ctx->cfg || i >= ctx->cfg->n_integ)
		return pl_err_set(&ctx->err, PRACTLINK_NOT_FOUND, "no integration %zu", i);
	if (!(w = pl_ctx_main(ctx)))
		return pl_err_set(&ctx->err, PRACTLINK_INTERNAL, "out of memory");
	if ((st = pl_worker_instance(w, i, &inst)) != PRACTLINK_OK) {
		ctx->err = w->err;
		return st;
	}
	if (!inst->mod->be->probe)
		return PRACTLINK_OK;
	st = pl_instance_probe(inst, buf, size);
	if (st != PRACTLINK_OK) {
		buf[0] = '\0';
		pl_err_set(&ctx->err, st, "%s: %s", ctx->cfg->integ[i].name, inst->err.msg);
		memcpy(ctx->err.hint, inst->err.hint, sizeof ctx->err.hint);
	}
	return st;
}

practlink_status pl_ctx_integration(practlink_ctx *ctx, const char *name, size_t *index,
				    pl_err *err)
{
	size_t n = practlink_integration_count(ctx), found = n, enabled = 0;
	char names[512] = "";

	for (size_t i = 0; i < n; i++) {
		const pl_integration *ig = &ctx->cfg->integ[i];
		if (name ? strcmp(ig->name, name) == 0 : ig->enabled) {
			found = i;
			enabled++;
		}
		if (!name || ig->enabled) {
			size_t used = strlen(names);
			snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "",
				 ig->name);
		}
	}
	if (name && found == n)
		return pl_err_set(err, PRACTLINK_USAGE,
				  "no integration named '%s' (configured: %s)", name,
				  n ? names : "none");
	if (!name && enabled == 0)
		return pl_err_set(
			err, PRACTLINK_DISABLED,
			"no integration is enabled (configured: %s); set enabled = true in "
			"one integrations.d file",
			n ? names : "none");
	if (!name && enabled > 1)
		return pl_err_set(err, PRACTLINK_USAGE,
				  "several integrations are enabled (%s): choose one with -i",
				  names);
	*index = found;
	return PRACTLINK_OK;
}
