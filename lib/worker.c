/* SPDX-License-Identifier: MIT */
/* worker.c - what one worker thread holds: an instance of each module it
 * has used, so that modules need not be thread-safe. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

pl_worker *pl_worker_new(practlink_ctx *ctx)
{
	pl_worker *w = calloc(1, sizeof *w);
	size_t n = ctx->cfg ? ctx->cfg->n_integ : 0;

	if (!w)
		return NULL;
	w->ctx = ctx;
	w->n_inst = n;
	if (!(w->inst = calloc(n ? n : 1, sizeof *w->inst))) {
		free(w);
		return NULL;
	}
	return w;
}

void pl_worker_free(pl_worker *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n_inst; i++)
		pl_instance_close(w->inst[i]);
	free(w->inst);
	free(w);
}

practlink_status pl_worker_instance(pl_worker *w, size_t ix, pl_instance **out)
{
	practlink_ctx *ctx = w->ctx;
	const pl_module *mod;

	*out = NULL;
	if (ix >= w->n_inst)
		return pl_err_set(&w->err, PRACTLINK_INTERNAL, "integration %zu out of range", ix);
	if (!w->inst[ix]) {
		if (!(mod = pl_ctx_module(ctx, ix))) {
			pl_err_set(&w->err, PRACTLINK_MODULE, "%s: %s", ctx->cfg->integ[ix].name,
				   ctx->loaded[ix].err.msg);
			memcpy(w->err.hint, ctx->loaded[ix].err.hint, sizeof w->err.hint);
			return PRACTLINK_MODULE;
		}
		if (pl_instance_open(&ctx->env, mod, &ctx->cfg->integ[ix], &w->inst[ix], &w->err) !=
		    PRACTLINK_OK)
			return w->err.status;
	}
	*out = w->inst[ix];
	return PRACTLINK_OK;
}

pl_worker *pl_ctx_main(practlink_ctx *ctx)
{
	if (!ctx->main)
		ctx->main = pl_worker_new(ctx);
	return ctx->main;
}
