/* SPDX-License-Identifier: MIT */
/*
 * module_host.c - practlink-module-host: one C backend module in a process
 * of its own, serving practlink-exec(7) on stdin and stdout to exec.so.
 *
 * An integration with isolate = true runs here: a module that crashes,
 * calls exit() or hangs takes this process with it, and the core, across
 * the socket, reports a status for that practitioner's operation. The
 * hello names the configuration and the module folder; the module is
 * loaded from there with the core's own checks and opened with its own
 * settings, by the same library, so it behaves as it would in-process.
 * Logs go to stderr, each line led by its syslog level ("<4>"), for exec.so
 * to pass on.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "wire.h"

struct host {
	practlink_ctx *ctx;
	const pl_module *mod;
	pl_instance *inst;
	size_t ix;
	practlink_status loaded; /* why hello found no module, for open */
	char why[sizeof((pl_err *)0)->msg];
};

static void log_line(void *data, int level, const char *msg)
{
	fprintf(stderr, "<%d>%s\n", level, msg);
}

/* Writes b, a whole answer, to stdout; false when the core is gone. */
static bool send_answer(struct buf *b)
{
	bool ok = buf_str(b, "}\n") && fwrite(b->p, 1, b->len, stdout) == b->len &&
		  fflush(stdout) == 0;

	buf_clear(b);
	return ok;
}

/* {"id":N,"status":"NAME" with the instance's message and hint */
static bool begin_answer(struct buf *b, const cJSON *id, practlink_status st, const pl_err *err)
{
	char num[32];

	snprintf(num, sizeof num, "%.0f", cJSON_IsNumber(id) ? id->valuedouble : 0.0);
	return buf_str(b, "{\"id\":") && buf_str(b, num) && buf_str(b, ",\"status\":") &&
	       buf_json(b, practlink_status_name(st)) &&
	       (st == PRACTLINK_OK || !err ||
		(buf_str(b, ",\"message\":") && buf_json(b, err->msg) && buf_str(b, ",\"hint\":") &&
		 buf_json(b, err->hint)));
}

/* The configuration named in hello, and the integration's module. */
static void hello(struct host *h, const cJSON *req, struct buf *b)
{
	const char *config = wire_string(req, "config"), *dir = wire_string(req, "module_dir"),
		   *name = wire_string(req, "integration");
	const practlink_backend *be = NULL;
	practlink_status st;

	h->loaded = PRACTLINK_MODULE;
	snprintf(h->why, sizeof h->why, "practlink-module-host: no module loaded");
	if ((st = practlink_new(&h->ctx)) == PRACTLINK_OK) {
		h->ctx->in_host = true; /* the module runs here, not in another host */
		practlink_set_log(h->ctx, PRACTLINK_LOG_DEBUG, log_line, NULL);
		if (dir && *dir)
			st = practlink_set_module_dir(h->ctx, dir);
		if (st == PRACTLINK_OK)
			st = practlink_load_config(h->ctx, config);
		if (st == PRACTLINK_OK)
			st = pl_ctx_integration(h->ctx, name ? name : "", &h->ix, &h->ctx->err);
		if (st == PRACTLINK_OK && !(h->mod = pl_ctx_module(h->ctx, h->ix)))
			st = h->ctx->err.status;
		if (st != PRACTLINK_OK)
			snprintf(h->why, sizeof h->why, "%s", practlink_errmsg(h->ctx));
	}
	h->loaded = st;
	if (h->mod)
		be = h->mod->be;
	buf_str(b, ",\"protocol\":1,\"name\":");
	buf_json(b, h->mod ? h->mod->name : "practlink-module-host");
	const struct {
		const char *name;
		bool has;
	} ops[] = {
		{ "find_user", be && be->find_user },
		{ "create_user", be && be->create_user },
		{ "set_integration", be && be->set_integration },
		{ "exchange", be && be->exchange },
		{ "revoke", be && be->revoke },
		{ "diagnose", be && be->diagnose },
		{ "probe", be && be->probe },
	};
	buf_str(b, ",\"operations\":[\"verify\",\"manual_step\"");
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (ops[i].has) {
			buf_str(b, ",");
			buf_json(b, ops[i].name);
		}
	buf_str(b, "]");
}

static practlink_status open_instance(struct host *h, pl_err *err)
{
	if (h->loaded != PRACTLINK_OK)
		return pl_err_set(err, h->loaded, "%s", h->why);
	return pl_instance_open(&h->ctx->env, h->mod, &h->ctx->cfg->integ[h->ix], &h->inst, err);
}

static practlink_secret *key_of(const cJSON *req, const char *name)
{
	const char *s = wire_string(req, name);
	return s ? pl_secret_new(s, strlen(s)) : NULL;
}

static const practlink_step steps[] = {
	PRACTLINK_STEP_FIND_USER, PRACTLINK_STEP_CREATE_USER, PRACTLINK_STEP_SET_INTEGRATION,
	PRACTLINK_STEP_EXCHANGE,  PRACTLINK_STEP_VERIFY,      PRACTLINK_STEP_REVOKE,
};

/* One request on the open instance; the answer's members after the
 * status go into b. */
static practlink_status operate(struct host *h, const char *op, const cJSON *req, char *text,
				size_t size, char user_id[PRACTLINK_USER_ID_MAX],
				practlink_secret **backend)
{
	const cJSON *pj = cJSON_GetObjectItemCaseSensitive(req, "person");
	practlink_person p = { wire_string(pj, "id"), wire_string(pj, "first_name"),
			       wire_string(pj, "last_name"), wire_string(pj, "email"),
			       wire_string(pj, "user_id") };
	practlink_secret *pms = key_of(req, "pms_key"), *bk = key_of(req, "backend_key");
	const char *step = wire_string(req, "step");
	practlink_status st = PRACTLINK_PROTOCOL;
	const practlink_backend *be = h->mod->be;

	h->inst->err.msg[0] = h->inst->err.hint[0] = '\0';
	if (strcmp(op, "verify") == 0)
		st = pl_instance_verify(h->inst, &p, pms, bk);
	else if (strcmp(op, "find_user") == 0 && be->find_user)
		st = pl_instance_find_user(h->inst, &p, user_id);
	else if (strcmp(op, "create_user") == 0 && be->create_user)
		st = pl_instance_create_user(h->inst, &p, user_id);
	else if (strcmp(op, "set_integration") == 0 && be->set_integration)
		st = pl_instance_set_integration(h->inst, &p, wire_string(req, "pms_name"));
	else if (strcmp(op, "exchange") == 0 && be->exchange && pms)
		st = pl_instance_exchange(h->inst, &p, pms, backend);
	else if (strcmp(op, "revoke") == 0 && be->revoke)
		st = pl_instance_revoke(h->inst, &p);
	else if (strcmp(op, "probe") == 0 && be->probe)
		st = pl_instance_probe(h->inst, text, size);
	else if (strcmp(op, "diagnose") == 0 && be->diagnose) {
		st = PRACTLINK_OK;
		if (be->diagnose(h->inst->handle, &p, pms, bk, text, size) < 0)
			text[0] = '\0';
	} else if (strcmp(op, "manual_step") == 0) {
		st = PRACTLINK_OK;
		for (size_t i = 0; i < sizeof steps / sizeof steps[0] && step; i++)
			if (strcmp(pl_step_name(steps[i]), step) == 0 &&
			    be->manual_step(h->inst->handle, steps[i], &p, text, size) < 0)
				text[0] = '\0';
	} else {
		snprintf(h->inst->err.msg, sizeof h->inst->err.msg,
			 "practlink-module-host: no operation \"%.40s\" in module %s", op,
			 h->mod->name);
	}
	pl_secret_free(pms);
	pl_secret_free(bk);
	return st;
}

/* Answers one request into b. */
static void serve(struct host *h, const cJSON *req, struct buf *b)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
	const char *op = wire_string(req, "op");
	char text[1024] = "", user_id[PRACTLINK_USER_ID_MAX] = "";
	practlink_secret *backend = NULL;
	practlink_status st;
	pl_err err = { 0 };

	if (op && strcmp(op, "hello") == 0) {
		begin_answer(b, id, PRACTLINK_OK, NULL);
		hello(h, req, b);
		return;
	}
	if (op && strcmp(op, "open") == 0) {
		st = h->inst ? PRACTLINK_OK : open_instance(h, &err);
		begin_answer(b, id, st, &err);
		return;
	}
	if (!h->inst || !op) {
		pl_err_set(&err, PRACTLINK_PROTOCOL, "practlink-module-host: %s before open",
			   op ? op : "a request without op");
		begin_answer(b, id, PRACTLINK_PROTOCOL, &err);
		return;
	}
	st = operate(h, op, req, text, sizeof text, user_id, &backend);
	begin_answer(b, id, st, &h->inst->err);
	if (st == PRACTLINK_OK && user_id[0]) {
		buf_str(b, ",\"user_id\":");
		buf_json(b, user_id);
	}
	if (st == PRACTLINK_OK && backend) {
		buf_str(b, ",\"backend_key\":");
		buf_json(b, backend->str);
	}
	if (st == PRACTLINK_OK && text[0]) {
		buf_str(b, ",\"text\":");
		buf_json(b, text);
	}
	pl_secret_free(backend);
}

int main(int argc, char **argv)
{
	struct host h = { 0 };
	struct buf b = { 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (argc > 1) {
		fprintf(stderr, "usage: %s (run by exec.so; see practlink-exec(7))\n", argv[0]);
		return 64;
	}
	while ((len = getline(&line, &cap, stdin)) > 0) {
		cJSON *req = cJSON_ParseWithLength(line, (size_t)len);
		explicit_bzero(line, (size_t)len);
		if (!cJSON_IsObject(req)) {
			wire_json_free(req);
			fprintf(stderr, "<3>practlink-module-host: a request that is not JSON\n");
			break;
		}
		serve(&h, req, &b);
		wire_json_free(req);
		if (!send_answer(&b))
			break;
	}
	free(line);
	buf_free(&b);
	pl_instance_close(h.inst);
	practlink_free(h.ctx);
	return 0;
}
