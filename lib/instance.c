/* SPDX-License-Identifier: MIT */
/* instance.c - the services table a module instance gets, and the calls
 * that open and close it. */
#include "internal.h"

#include <ctype.h>
#include <stdatomic.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pl_instance *of(const practlink_services *svc)
{
	return (pl_instance *)svc->core;
}

static const char *const step_names[] = {
	[PRACTLINK_STEP_FIND_USER] = "find_user",
	[PRACTLINK_STEP_CREATE_USER] = "create_user",
	[PRACTLINK_STEP_SET_INTEGRATION] = "set_integration",
	[PRACTLINK_STEP_EXCHANGE] = "exchange",
	[PRACTLINK_STEP_VERIFY] = "verify",
	[PRACTLINK_STEP_REVOKE] = "revoke",
};

const char *pl_step_name(practlink_step step)
{
	if ((size_t)step >= sizeof step_names / sizeof step_names[0] || !step_names[step])
		return "?";
	return step_names[step];
}

/* The settings group the module reads: its own, or, for a module isolated
 * in practlink-module-host, exec.so's. */
static const config_setting_t *settings_of(const pl_instance *inst)
{
	return inst->isolated ? inst->ig->host_settings : inst->ig->settings;
}

/* The setting name, or NULL when it is absent; a wrong type is CONFIG. */
static practlink_status lookup(const practlink_services *svc, const char *name, int t1, int t2,
			       const char *words, const config_setting_t **out)
{
	pl_instance *inst = of(svc);
	const config_setting_t *s;

	*out = NULL;
	if (inst->opening && inst->n_read < sizeof inst->read / sizeof inst->read[0] &&
	    (inst->read[inst->n_read] = strdup(name)))
		inst->n_read++;
	if (!settings_of(inst) || !(s = config_setting_get_member(settings_of(inst), name)))
		return PRACTLINK_OK;
	if (config_setting_type(s) != t1 && config_setting_type(s) != t2)
		return pl_err_set(&inst->err, PRACTLINK_CONFIG,
				  "%s:%d: '%s.settings.%s' must be %s", inst->ig->file,
				  (int)config_setting_source_line(s), inst->ig->name, name, words);
	*out = s;
	return PRACTLINK_OK;
}

static practlink_status setting_string(const practlink_services *svc, const char *name,
				       const char *def, const char **out)
{
	const config_setting_t *s;
	practlink_status st = lookup(svc, name, CONFIG_TYPE_STRING, CONFIG_TYPE_STRING,
				     "a string in double quotes", &s);

	*out = s ? config_setting_get_string(s) : def;
	return st;
}

static practlink_status setting_int(const practlink_services *svc, const char *name, long long def,
				    long long *out)
{
	const config_setting_t *s;
	practlink_status st =
		lookup(svc, name, CONFIG_TYPE_INT, CONFIG_TYPE_INT64, "a whole number", &s);

	*out = s ? config_setting_get_int64(s) : def;
	return st;
}

static practlink_status setting_double(const practlink_services *svc, const char *name, double def,
				       double *out)
{
	const config_setting_t *s;
	practlink_status st = lookup(svc, name, CONFIG_TYPE_FLOAT, CONFIG_TYPE_INT, "a number", &s);

	if (!s)
		*out = def;
	else if (config_setting_type(s) == CONFIG_TYPE_INT)
		*out = (double)config_setting_get_int(s);
	else
		*out = config_setting_get_float(s);
	return st;
}

static practlink_status setting_bool(const practlink_services *svc, const char *name, int def,
				     int *out)
{
	const config_setting_t *s;
	practlink_status st =
		lookup(svc, name, CONFIG_TYPE_BOOL, CONFIG_TYPE_BOOL, "true or false", &s);

	*out = s ? config_setting_get_bool(s) : def;
	return st;
}

static practlink_status setting_path(const practlink_services *svc, const char *name,
				     const char *def, char **out)
{
	const char *value;
	practlink_status st = setting_string(svc, name, def, &value);

	*out = NULL;
	if (st != PRACTLINK_OK || !value)
		return st;
	if (!(*out = pl_path_resolve(of(svc)->ig->dir, value)))
		return pl_err_set(&of(svc)->err, PRACTLINK_INTERNAL, "out of memory");
	return PRACTLINK_OK;
}

/* Withholds the operation's keys from text (size bytes): a platform's
 * error may echo what it was sent. */
static void withhold(const pl_instance *inst, char *text, size_t size)
{
	for (size_t i = 0; i < 2; i++)
		pl_redact(text, size, inst->flight[i]);
}

static void svc_log(const practlink_services *svc, int level, const char *fmt, ...)
{
	pl_instance *inst = of(svc);
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	withhold(inst, line, sizeof line);
	if (inst->step)
		pl_log_msg(inst->log, level, "%s: %s: %s", inst->ig->name, inst->step, line);
	else
		pl_log_msg(inst->log, level, "%s: %s", inst->ig->name, line);
}

static void svc_error(const practlink_services *svc, const char *fmt, ...)
{
	pl_instance *inst = of(svc);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(inst->err.msg, sizeof inst->err.msg, fmt, ap);
	va_end(ap);
}

/* Whether the operation under way should end: the run stops, or its
 * deadline passed. */
static int svc_cancelled(const practlink_services *svc)
{
	const pl_instance *inst = of(svc);

	if (inst->env && inst->env->stop && atomic_load(inst->env->stop))
		return 1;
	return inst->deadline && pl_now_ms() >= inst->deadline;
}

static void svc_hint(const practlink_services *svc, const char *fmt, ...)
{
	pl_instance *inst = of(svc);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(inst->err.hint, sizeof inst->err.hint, fmt, ap);
	va_end(ap);
}

static practlink_status svc_http(const practlink_services *svc, const practlink_http_request *req,
				 practlink_http_response *resp)
{
	pl_instance *inst = of(svc);
	pl_http_share *share;
	int insecure = 0;
	practlink_status st;

	memset(resp, 0, sizeof *resp);
	if (!inst->http) {
		if (!inst->env || !inst->env->http ||
		    !(share = inst->env->share(inst->env->owner, &inst->err)))
			return inst->env && inst->env->http
				       ? inst->err.status
				       : pl_err_set(&inst->err, PRACTLINK_INTERNAL, "no HTTP here");
		/* The core's own setting in the module's group: tests on loopback. */
		if ((st = svc->setting_bool(svc, "allow_insecure_http", 0, &insecure)) ||
		    (st = pl_http_new(
			     share, inst->env->http, inst->log,
			     inst->env->pacer ? inst->env->pacer(inst->env->owner, inst->ig) : NULL,
			     insecure, inst->env->stop, &inst->http, &inst->err)))
			return st;
	}
	pl_http_set_deadline(inst->http, inst->deadline);
	return pl_http_request(inst->http, req, resp, &inst->err);
}

static void svc_http_free(practlink_http_response *resp)
{
	if (!resp)
		return;
	if (resp->body) /* an answer may echo a key */
		explicit_bzero(resp->body, resp->body_len);
	free(resp->body);
	free(resp->content_type);
	memset(resp, 0, sizeof *resp);
}

/*
 * In-process modules are trusted code, as PAM's are; still, the core must
 * not report success it did not see. A module that calls exit() inside an
 * operation would end practlink with the caller's status (0, "linked"):
 * an exit handler turns that into a loud failure.
 */
static pl_instance *_Atomic in_flight;
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;

static void exit_in_module(void)
{
	pl_instance *inst = in_flight;

	if (!inst)
		return;
	pl_log_msg(inst->log, PRACTLINK_LOG_ERR,
		   "%s: module %s ended the process during %s; nothing of it was saved",
		   inst->ig->name, inst->mod->name, inst->step ? inst->step : "open");
	_exit(70); /* EX_SOFTWARE, never the status the module chose */
}

static void guard(void)
{
	atexit(exit_in_module);
}

/* Whether word stands in text as a word of its own. */
static bool has_word(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (const char *at = strstr(text, word); at; at = strstr(at + 1, word)) {
		bool starts = at == text || !(isalnum((unsigned char)at[-1]) || at[-1] == '_');
		bool ends = !(isalnum((unsigned char)at[n]) || at[n] == '_');
		if (starts && ends)
			return true;
	}
	return false;
}

/* A module that refused its settings names the setting in its words; the
 * core adds where it is: file and line. */
static void locate_setting(const pl_instance *inst, pl_err *err)
{
	const config_setting_t *g = settings_of(inst);
	char msg[sizeof err->msg];

	memcpy(msg, err->msg, sizeof msg);
	for (int i = 0; g && i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		if (has_word(msg, config_setting_name(s))) {
			pl_err_set(err, err->status, "%s:%d: %s.settings: %s", inst->ig->file,
				   (int)config_setting_source_line(s), inst->ig->name, msg);
			return;
		}
	}
	pl_err_set(err, err->status, "%s: %s.settings: %s", inst->ig->file, inst->ig->name, msg);
}

/* Warns, once per configuration, about settings the module did not read:
 * a typo there is otherwise silently a default. */
static void warn_unknown_settings(pl_instance *inst)
{
	pl_integration *ig = (pl_integration *)inst->ig;
	const config_setting_t *g = settings_of(inst);
	bool first;

	if (!inst->env || !g)
		return;
	pthread_mutex_lock(inst->env->lock);
	first = !ig->settings_checked;
	ig->settings_checked = true;
	pthread_mutex_unlock(inst->env->lock);
	for (int i = 0; first && i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);
		bool known = strcmp(name, "allow_insecure_http") == 0; /* the core's own */
		for (size_t k = 0; k < inst->n_read && !known; k++)
			known = strcmp(inst->read[k], name) == 0;
		if (!known)
			pl_log_msg(inst->log, PRACTLINK_LOG_WARNING,
				   "%s:%d: unknown setting '%s.settings.%s' (ignored): module %s "
				   "does not read it",
				   ig->file, (int)config_setting_source_line(s), ig->name, name,
				   inst->mod->name);
	}
}

static void forget_read(pl_instance *inst)
{
	for (size_t k = 0; k < inst->n_read; k++)
		free(inst->read[k]);
	inst->n_read = 0;
}

practlink_status pl_instance_open(const pl_env *env, const pl_module *mod, const pl_integration *ig,
				  pl_instance **out, pl_err *err)
{
	pl_instance *inst;
	practlink_status st;

	*out = NULL;
	if (!(inst = calloc(1, sizeof *inst)))
		return pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
	inst->env = env;
	inst->mod = mod;
	inst->ig = ig;
	inst->log = env ? env->log : NULL;
	inst->isolated = ig->isolate && !(env && env->in_host);
	inst->svc = (practlink_services){
		.version = PRACTLINK_SERVICES_VERSION,
		.integration = ig->name,
		.pms_name = env ? env->pms_name : "",
		.setting_string = setting_string,
		.setting_int = setting_int,
		.setting_double = setting_double,
		.setting_bool = setting_bool,
		.setting_path = setting_path,
		.log = svc_log,
		.error = svc_error,
		.secret_new = pl_secret_new,
		.secret_free = pl_secret_free,
		.free = free,
		.http = svc_http,
		.http_free = svc_http_free,
		.core = inst,
		.hint = svc_hint,
		.cancelled = svc_cancelled,
		.config_file = env ? env->config_file : NULL,
		.module_dir = env ? env->module_dir : NULL,
	};
	pthread_once(&guard_once, guard);
	inst->opening = true;
	in_flight = inst;
	st = pl_status_check((int)mod->be->open(&inst->svc, &inst->handle));
	in_flight = NULL;
	inst->opening = false;
	if (st != PRACTLINK_OK) {
		/* A setting the core read for the module already says where. */
		if (st == PRACTLINK_CONFIG && !strstr(inst->err.msg, ig->file))
			locate_setting(inst, &inst->err);
		pl_err_set(err, st, "%s",
			   inst->err.msg[0] ? inst->err.msg : practlink_strerror(st));
		memcpy(err->hint, inst->err.hint, sizeof err->hint);
		if (st == PRACTLINK_CONFIG && !err->hint[0])
			pl_err_hint(err, "correct that setting in %s", ig->file);
		forget_read(inst);
		free(inst);
		return st;
	}
	warn_unknown_settings(inst);
	forget_read(inst);
	*out = inst;
	return PRACTLINK_OK;
}

void pl_instance_close(pl_instance *inst)
{
	if (!inst)
		return;
	inst->mod->be->close(inst->handle);
	pl_http_free(inst->http);
	free(inst);
}

static void begin_with(pl_instance *inst, practlink_step step, const practlink_secret *a,
		       const practlink_secret *b)
{
	in_flight = inst;
	inst->step = pl_step_name(step);
	inst->err.status = PRACTLINK_OK;
	inst->err.msg[0] = '\0';
	inst->err.hint[0] = '\0';
	inst->flight[0] = a;
	inst->flight[1] = b;
}

static void begin(pl_instance *inst, practlink_step step)
{
	begin_with(inst, step, NULL, NULL);
}

/* Clamps what the module answered and makes sure a failure has words,
 * none of them a key. */
static practlink_status end(pl_instance *inst, practlink_status answered)
{
	practlink_status st = pl_status_check((int)answered);

	in_flight = NULL;
	withhold(inst, inst->err.msg, sizeof inst->err.msg);
	withhold(inst, inst->err.hint, sizeof inst->err.hint);
	inst->flight[0] = inst->flight[1] = NULL;
	if (st != PRACTLINK_OK && !inst->err.msg[0])
		snprintf(inst->err.msg, sizeof inst->err.msg, "%s", practlink_strerror(st));
	if (st != PRACTLINK_OK)
		pl_log_msg(inst->log, PRACTLINK_LOG_DEBUG, "%s: %s: %s: %s", inst->ig->name,
			   inst->step, practlink_status_name(st), inst->err.msg);
	inst->err.status = st;
	inst->step = NULL;
	return st;
}

practlink_status pl_instance_find_user(pl_instance *inst, const practlink_person *p,
				       char user_id[PRACTLINK_USER_ID_MAX])
{
	begin(inst, PRACTLINK_STEP_FIND_USER);
	user_id[0] = '\0';
	return end(inst, inst->mod->be->find_user(inst->handle, p, user_id));
}

practlink_status pl_instance_create_user(pl_instance *inst, const practlink_person *p,
					 char user_id[PRACTLINK_USER_ID_MAX])
{
	begin(inst, PRACTLINK_STEP_CREATE_USER);
	user_id[0] = '\0';
	return end(inst, inst->mod->be->create_user(inst->handle, p, user_id));
}

practlink_status pl_instance_set_integration(pl_instance *inst, const practlink_person *p,
					     const char *pms_name)
{
	begin(inst, PRACTLINK_STEP_SET_INTEGRATION);
	return end(inst, inst->mod->be->set_integration(inst->handle, p, pms_name));
}

practlink_status pl_instance_exchange(pl_instance *inst, const practlink_person *p,
				      const practlink_secret *pms_key,
				      practlink_secret **backend_key)
{
	practlink_status st;

	begin_with(inst, PRACTLINK_STEP_EXCHANGE, pms_key, NULL);
	*backend_key = NULL;
	st = inst->mod->be->exchange(inst->handle, p, pms_key, backend_key);
	inst->flight[1] = *backend_key;
	st = end(inst, st);
	if (st != PRACTLINK_OK) {
		pl_secret_free(*backend_key);
		*backend_key = NULL;
	}
	return st;
}

practlink_status pl_instance_probe(pl_instance *inst, char *buf, size_t size)
{
	begin(inst, PRACTLINK_STEP_VERIFY);
	inst->step = "probe";
	return end(inst, inst->mod->be->probe(inst->handle, buf, size));
}

bool pl_instance_offers(const pl_instance *inst, practlink_step step)
{
	const practlink_backend *be = inst->mod->be;
	bool has;

	switch (step) {
	case PRACTLINK_STEP_FIND_USER: has = be->find_user != NULL; break;
	case PRACTLINK_STEP_CREATE_USER: has = be->create_user != NULL; break;
	case PRACTLINK_STEP_SET_INTEGRATION: has = be->set_integration != NULL; break;
	case PRACTLINK_STEP_EXCHANGE: has = be->exchange != NULL; break;
	case PRACTLINK_STEP_REVOKE: has = be->revoke != NULL; break;
	case PRACTLINK_STEP_VERIFY: return true;
	default: return false;
	}
	return has && (!be->offers || be->offers(inst->handle, step));
}

practlink_status pl_instance_revoke(pl_instance *inst, const practlink_person *p)
{
	begin(inst, PRACTLINK_STEP_REVOKE);
	return end(inst, inst->mod->be->revoke(inst->handle, p));
}

practlink_status pl_instance_verify(pl_instance *inst, const practlink_person *p,
				    const practlink_secret *pms_key,
				    const practlink_secret *backend_key)
{
	begin_with(inst, PRACTLINK_STEP_VERIFY, pms_key, backend_key);
	return end(inst, inst->mod->be->verify(inst->handle, p, pms_key, backend_key));
}
