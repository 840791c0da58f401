/* SPDX-License-Identifier: MIT */
/* modules.c - each integration's module, loaded on first use and kept for
 * the configuration's life. */
#include "internal.h"

const pl_module *pl_ctx_module(practlink_ctx *ctx, size_t i)
{
	struct pl_loaded *l = &ctx->loaded[i];

	if (!l->tried) {
		l->tried = true;
		/* Not logged: every command that meets it reports it once. */
		const pl_integration *ig = &ctx->cfg->integ[i];
		/* An isolated module runs in practlink-module-host, through exec.so. */
		pl_module_load(ctx->active_module_dir,
			       ig->isolate && !ctx->in_host ? "exec" : ig->module, &l->mod,
			       &l->err);
	}
	if (!l->mod)
		ctx->err = l->err;
	return l->mod;
}
