/* SPDX-License-Identifier: MIT */
/* links.c - the host API's calls on links: link, its plan, verify,
 * diagnose, rotate, unlink and the assisted link. Each resolves the
 * integration, runs on the context's own worker, and leaves the message
 * of a failure in practlink_errmsg(). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Whether integration ix can link with no one's help. */
static bool automatic(pl_worker *w, size_t ix, bool rotate)
{
	pl_instance *inst;

	if (pl_worker_instance(w, ix, &inst) != PRACTLINK_OK)
		return true; /* let the run report why */
	return pl_instance_offers(inst, PRACTLINK_STEP_EXCHANGE) &&
	       (rotate || (pl_instance_offers(inst, PRACTLINK_STEP_FIND_USER) &&
			   pl_instance_offers(inst, PRACTLINK_STEP_SET_INTEGRATION)));
}

practlink_status practlink_link(practlink_ctx *ctx, const char *id, const char *integration,
				unsigned flags)
{
	pl_worker *w = NULL;
	size_t ix;
	practlink_status st = pl_api_prepare(ctx, integration, &ix, &w);

	if (!st && (flags & ~(unsigned)PRACTLINK_LINK_DRY_RUN))
		st = pl_err_set(&ctx->err, PRACTLINK_USAGE, "practlink_link: unknown flags 0x%x",
				flags);
	return st ? st : pl_api_done(ctx, w, pl_link_run(w, id, ix, flags));
}

practlink_status practlink_link_plan(practlink_ctx *ctx, const char *id, const char *integration,
				     practlink_assist **plan)
{
	pl_worker *w = NULL;
	size_t ix;
	practlink_status st;

	return_val_if_fail(plan != NULL, PRACTLINK_USAGE);
	*plan = NULL;
	st = pl_api_prepare(ctx, integration, &ix, &w);
	return st ? st : pl_api_done(ctx, w, pl_link_plan(w, id, ix, plan));
}

practlink_status practlink_verify(practlink_ctx *ctx, const char *id, const char *integration)
{
	pl_worker *w = NULL;
	size_t ix;
	practlink_status st = pl_api_prepare(ctx, integration, &ix, &w);

	return st ? st : pl_api_done(ctx, w, pl_verify_run(w, id, ix));
}

practlink_status practlink_diagnose(practlink_ctx *ctx, const char *id, const char *integration,
				    char *buf, size_t size)
{
	pl_worker *w = NULL;
	size_t ix;
	practlink_status st;

	return_val_if_fail(buf != NULL && size > 0, PRACTLINK_USAGE);
	st = pl_api_prepare(ctx, integration, &ix, &w);
	return st ? st : pl_api_done(ctx, w, pl_diagnose_run(w, id, ix, buf, size));
}

practlink_status practlink_rotate(practlink_ctx *ctx, const char *id, const char *integration)
{
	pl_worker *w = NULL;
	size_t ix;
	practlink_status st = pl_api_prepare(ctx, integration, &ix, &w);

	return st ? st : pl_api_done(ctx, w, pl_rotate_run(w, id, ix));
}

practlink_status practlink_unlink(practlink_ctx *ctx, const char *id, const char *integration,
				  practlink_assist **manual)
{
	pl_worker *w = NULL;
	size_t ix;
	practlink_status st = pl_api_prepare(ctx, integration, &ix, &w);

	return st ? st : pl_api_done(ctx, w, pl_unlink_run(w, id, ix, manual));
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
	if ((st = pl_api_prepare(ctx, integration, &ix, &w)))
		return st;
	if (flags & ~(unsigned)(PRACTLINK_ASSIST_MANUAL | PRACTLINK_ASSIST_ROTATE))
		return pl_err_set(&ctx->err, PRACTLINK_USAGE,
				  "practlink_assist_begin: unknown flags 0x%x", flags);
	if (!(flags & PRACTLINK_ASSIST_MANUAL) && automatic(w, ix, rotate)) {
		/* Nothing for the operator: the whole link runs here. */
		st = rotate ? pl_rotate_run(w, id, ix) : pl_link_run(w, id, ix, 0);
		if (st == PRACTLINK_OK && !(*out = calloc(1, pl_assist_size())))
			st = pl_err_set(&w->err, PRACTLINK_INTERNAL, "out of memory");
		return pl_api_done(ctx, w, st);
	}
	return pl_api_done(ctx, w, pl_assist_begin(w, id, ix, flags, out));
}

practlink_status practlink_assist_finish(practlink_ctx *ctx, practlink_assist *a,
					 const char *backend_key, size_t len)
{
	pl_worker *w = NULL;
	practlink_status st;

	return_val_if_fail(a != NULL && (backend_key || !len), PRACTLINK_USAGE);
	if ((st = pl_api_prepare(ctx, NULL, NULL, &w)))
		return st;
	/* The empty assist of a link that needed no one: nothing to finish. */
	if (!practlink_assist_needs_key(a))
		return pl_err_set(&ctx->err, PRACTLINK_USAGE,
				  "this assisted link waits for no key: the link is complete");
	return pl_api_done(ctx, w, pl_assist_finish(w, a, backend_key ? backend_key : "", len));
}
