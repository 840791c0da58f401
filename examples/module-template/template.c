/* SPDX-License-Identifier: MIT */
/*
 * template.c - the smallest complete practlink backend, to copy.
 *
 * It plays a platform that derives everything from what it is given, so
 * that it links with no server at all; replace each operation's body with
 * your platform's API calls through svc->http, and keep the shape:
 *
 *   - read settings in open, fail with CONFIG and say which one;
 *   - return a practlink_status, and say why through svc->error;
 *   - never put a key in a message;
 *   - leave an operation NULL when your platform has no API for it, and
 *     give the operator your platform's words for it in manual_step.
 *
 * Build it with the Makefile beside it; install template.so in practlink's
 * module folder (pkg-config --variable=moduledir practlink) and name it in
 * an integrations.d file: template = { enabled = true; module = "template"; };
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <practlink-module.h>

struct template
{
	const practlink_services *svc;
	const char *prefix; /* a setting, to show how they are read */
};

/* The key this platform would generate for pms_key. */
static void derive(const struct template *t, const practlink_secret *pms_key, char out[64])
{
	unsigned long long h = 1469598103934665603ull;

	for (size_t i = 0; i < pms_key->len; i++)
		h = (h ^ (unsigned char)pms_key->str[i]) * 1099511628211ull;
	snprintf(out, 64, "%s%016llx", t->prefix, h);
}

static practlink_status t_find_user(void *h, const practlink_person *p,
				    char user_id[PRACTLINK_USER_ID_MAX])
{
	snprintf(user_id, PRACTLINK_USER_ID_MAX, "user:%s", p->email);
	return PRACTLINK_OK;
}

static practlink_status t_set_integration(void *h, const practlink_person *p, const char *pms_name)
{
	return PRACTLINK_OK;
}

static practlink_status t_exchange(void *h, const practlink_person *p,
				   const practlink_secret *pms_key, practlink_secret **backend_key)
{
	struct template *t = h;
	char key[64];

	derive(t, pms_key, key);
	*backend_key = t->svc->secret_new(key, strlen(key));
	return *backend_key ? PRACTLINK_OK : PRACTLINK_INTERNAL;
}

static practlink_status t_verify(void *h, const practlink_person *p,
				 const practlink_secret *pms_key,
				 const practlink_secret *backend_key)
{
	struct template *t = h;
	char key[64];

	derive(t, pms_key, key);
	if (strlen(key) != backend_key->len || memcmp(key, backend_key->str, backend_key->len)) {
		t->svc->error(t->svc, "template: the platform does not know these keys");
		return PRACTLINK_AUTH;
	}
	return PRACTLINK_OK;
}

static int t_manual_step(void *h, practlink_step step, const practlink_person *p, char *buf,
			 size_t size)
{
	if (step == PRACTLINK_STEP_REVOKE)
		return snprintf(buf, size,
				"On the platform: open %s %s and remove the integration.",
				p->first_name, p->last_name);
	return -1;
}

static practlink_status t_open(const practlink_services *svc, void **out)
{
	struct template *t = calloc(1, sizeof *t);
	practlink_status st;

	if (!t)
		return PRACTLINK_INTERNAL;
	t->svc = svc;
	if ((st = svc->setting_string(svc, "prefix", "tpl", &t->prefix)) != PRACTLINK_OK) {
		free(t);
		return st;
	}
	*out = t;
	return PRACTLINK_OK;
}

static void t_close(void *h)
{
	free(h);
}

PRACTLINK_EXPORT const practlink_backend practlink_backend_v1 = {
	.abi = PRACTLINK_MODULE_ABI,
	.size = sizeof(practlink_backend),
	.name = "template",
	.version = "1.0",
	.description = "a module to copy",
	.open = t_open,
	.close = t_close,
	.verify = t_verify,
	.find_user = t_find_user,
	.create_user = t_find_user, /* this platform has every user already */
	.set_integration = t_set_integration,
	.exchange = t_exchange,
	.revoke = NULL, /* no API: the operator does it, in manual_step's words */
	.manual_step = t_manual_step,
};
