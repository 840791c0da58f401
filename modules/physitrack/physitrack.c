/* SPDX-License-Identifier: MIT */
/*
 * physitrack.c - physitrack.so: Physitrack, as far as its public API goes.
 *
 * Physitrack publishes no API to find or create a practitioner's user, to
 * choose the PMS under "Integrate with", to enter the PMS token or to read
 * the key it generates (doc/design.md, "What is known of Physitrack"). So
 * this module leaves those steps to the operator, in Physitrack's own
 * words, and does the one thing the API allows: prove a pair of keys with a read that returns no
 * patient data, an exercise-library search for a name that matches
 * nothing (GET /api/v2/exercises?name=RANDOM&page=1).
 *
 * Settings: region (us, uk, ca, au, nz, staging) or base_url (which may
 * hold "{region}"); auth = "pms" (X-Api-Key, X-Api-PMS-Name, X-Api-PMS-Key;
 * the default) or "pt_direct" (X-Api-Key alone); allow_insecure_http (read
 * by the core: plain HTTP to loopback, for tests).
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "practlink-module.h"

static const char *const regions[] = { "us", "uk", "ca", "au", "nz", "staging" };
#define N_REGIONS (sizeof regions / sizeof regions[0])

struct physitrack {
	const practlink_services *svc;
	const char *region;   /* NULL when base_url names a fixed server */
	const char *base_url; /* with "{region}", or fixed */
	bool pt_direct;
	char pms_display[64]; /* "Juvonno" for "juvonno" */
};

static bool known_region(const char *r)
{
	for (size_t i = 0; i < N_REGIONS; i++)
		if (strcmp(regions[i], r) == 0)
			return true;
	return false;
}

/* The API root for region: base_url with "{region}" replaced. */
static void api_root(const struct physitrack *pt, const char *region, char *buf, size_t size)
{
	const char *mark = strstr(pt->base_url, "{region}");

	if (!mark || !region)
		snprintf(buf, size, "%s", pt->base_url);
	else
		snprintf(buf, size, "%.*s%s%s", (int)(mark - pt->base_url), pt->base_url, region,
			 mark + strlen("{region}"));
	size_t len = strlen(buf);
	if (len && buf[len - 1] == '/')
		buf[len - 1] = '\0';
}

/* Physitrack's {"errors": [...]} as one printable line. */
static void errors_text(const char *body, size_t len, char *buf, size_t size)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *errors = cJSON_GetObjectItemCaseSensitive(root, "errors"), *e;
	size_t used = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(e, errors)
	{
		if (!cJSON_IsString(e) || used + 3 >= size)
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? "; " : "",
					 e->valuestring);
		if (used >= size)
			used = size - 1;
	}
	cJSON_Delete(root);
	/* Words from the network go into messages and logs: printable only. */
	for (char *c = buf; *c; c++)
		if (!isprint((unsigned char)*c))
			*c = '?';
	if (!buf[0])
		snprintf(buf, size, "no reason given");
}

/* Whether body is the documented answer: {"exercises": [...]}. */
static bool exercises_answer(const practlink_http_response *r)
{
	cJSON *root;
	bool ok;

	if (!r->content_type || !strstr(r->content_type, "json"))
		return false;
	root = cJSON_ParseWithLength(r->body, r->body_len);
	ok = cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "exercises"));
	cJSON_Delete(root);
	return ok;
}

/* Whether the core can take a hint (services version 2). */
static bool svc_hint_ok(const struct physitrack *pt)
{
	return pt->svc->version >= 2 && pt->svc->hint;
}

/* Whether url looks like http[s]://HOST[:PORT][/PATH], where "{region}"
 * may stand anywhere; else why not, in why. */
static bool url_ok(const char *url, char *why, size_t size)
{
	const char *host = NULL, *end;

	if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	if (!host) {
		snprintf(why, size, "it must begin with https://");
		return false;
	}
	end = host + strcspn(host, "/?#");
	if (end == host || *host == ':') {
		snprintf(why, size, "it names no host");
		return false;
	}
	for (const char *c = url; *c; c++)
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f) {
			snprintf(why, size, "it holds a space or a control character");
			return false;
		}
	/* The port follows the host, or an address in brackets: [::1]:8443. */
	const char *bracket = host[0] == '[' ? memchr(host, ']', (size_t)(end - host)) : NULL;
	const char *colon = bracket ? (bracket[1] == ':' ? bracket + 1 : NULL)
				    : memchr(host, ':', (size_t)(end - host));
	if (colon) {
		size_t digits = strspn(colon + 1, "0123456789");
		if (colon + 1 + digits != end || digits == 0 || digits > 5 ||
		    atoi(colon + 1) > 65535) {
			snprintf(why, size, "the port \"%.*s\" is not a number from 1 to 65535",
				 (int)(end - colon - 1), colon + 1);
			return false;
		}
	}
	return true;
}

/* One verification request against region; OK, AUTH, CONFIG, TRANSIENT or
 * PROTOCOL, with the reason given to svc->error. */
static practlink_status probe(struct physitrack *pt, const char *region,
			      const practlink_secret *pms_key, const practlink_secret *backend_key)
{
	const practlink_services *svc = pt->svc;
	char root[512], url[640], why[256];
	unsigned char rnd[12];
	char name[sizeof rnd + 1];
	practlink_http_header headers[4] = {
		{ "accept", "application/json", NULL },
		{ "X-Api-Key", NULL, backend_key },
		{ "X-Api-PMS-Name", svc->pms_name, NULL },
		{ "X-Api-PMS-Key", NULL, pms_key },
	};
	practlink_http_request req = { "GET", url, headers, pt->pt_direct ? 2 : 4, NULL, 0, 1 };
	practlink_http_response resp;
	practlink_status st;

	/* A name no exercise has: the answer is empty, and holds no patient. */
	if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
		return PRACTLINK_INTERNAL;
	for (size_t i = 0; i < sizeof rnd; i++)
		name[i] = (char)('a' + rnd[i] % 26);
	name[sizeof rnd] = '\0';
	api_root(pt, region, root, sizeof root);
	snprintf(url, sizeof url, "%s/api/v2/exercises?name=zz-practlink-%s&page=1", root, name);

	if ((st = svc->http(svc, &req, &resp)) != PRACTLINK_OK)
		return st; /* the core said why */
	if (resp.code == 200 && exercises_answer(&resp)) {
		st = PRACTLINK_OK;
	} else if (resp.code == 401) {
		errors_text(resp.body, resp.body_len, why, sizeof why);
		svc->error(svc, "Physitrack rejected the keys (HTTP %ld): %s", resp.code, why);
		st = PRACTLINK_AUTH;
	} else if (resp.code == 403) {
		/* Known keys, refused anyway: not a key typed wrong. */
		errors_text(resp.body, resp.body_len, why, sizeof why);
		svc->error(svc,
			   "Physitrack refused access (HTTP 403: the practitioner's integration "
			   "may be off, or the account lacks API access): %s",
			   why);
		if (svc_hint_ok(pt))
			svc->hint(svc, "in Physitrack, check that the practitioner's integration "
				       "with the PMS is on and that the account has API access");
		st = PRACTLINK_AUTH;
	} else if (resp.code == 404) {
		svc->error(svc, "no Physitrack API at %s (HTTP 404): check the region", root);
		st = PRACTLINK_CONFIG;
	} else if (resp.code == 408 || resp.code == 429 || resp.code >= 500) {
		svc->error(svc, "Physitrack answered HTTP %ld, still after retries", resp.code);
		st = PRACTLINK_TRANSIENT;
	} else if (resp.code >= 300 && resp.code < 400) {
		svc->error(svc, "Physitrack answered with a redirect (HTTP %ld), not followed",
			   resp.code);
		st = PRACTLINK_PROTOCOL;
	} else {
		svc->error(
			svc, "Physitrack answered HTTP %ld%s, not the documented answer", resp.code,
			resp.code == 200 ? " with a body that is not {\"exercises\": [...]}" : "");
		st = PRACTLINK_PROTOCOL;
	}
	svc->http_free(&resp);
	return st;
}

/* Whether Physitrack answers at the configured address: the same cheap
 * read, without any key, which Physitrack refuses (401) when it is there. */
static practlink_status pt_probe(void *h, char *buf, size_t size)
{
	struct physitrack *pt = h;
	const practlink_services *svc = pt->svc;
	char root[512], url[640];
	practlink_http_header accept = { "accept", "application/json", NULL };
	practlink_http_request req = { "GET", url, &accept, 1, NULL, 0, 1 };
	practlink_http_response resp;
	practlink_status st;

	api_root(pt, pt->region, root, sizeof root);
	snprintf(url, sizeof url, "%s/api/v2/exercises?name=zz-practlink-probe&page=1", root);
	if ((st = svc->http(svc, &req, &resp)) != PRACTLINK_OK)
		return st; /* the core said why: no answer */
	if (resp.code == 404) {
		svc->error(svc, "no Physitrack API at %s (HTTP 404): check region and base_url",
			   root);
		st = PRACTLINK_CONFIG;
	} else if (resp.code >= 500 || resp.code == 408 || resp.code == 429) {
		svc->error(svc, "Physitrack at %s answered HTTP %ld, still after retries", root,
			   resp.code);
		st = PRACTLINK_TRANSIENT;
	} else {
		snprintf(buf, size, "Physitrack answers at %s (HTTP %ld to a request without keys)",
			 root, resp.code);
	}
	svc->http_free(&resp);
	return st;
}

static practlink_status pt_verify(void *h, const practlink_person *p,
				  const practlink_secret *pms_key,
				  const practlink_secret *backend_key)
{
	struct physitrack *pt = h;

	return probe(pt, pt->region, pms_key, backend_key);
}

/* Keys are per region: a key that works on uk fails on au. */
static int pt_diagnose(void *h, const practlink_person *p, const practlink_secret *pms_key,
		       const practlink_secret *backend_key, char *buf, size_t size)
{
	struct physitrack *pt = h;

	if (!pt->region || !strstr(pt->base_url, "{region}"))
		return -1;
	for (size_t i = 0; i < N_REGIONS; i++) {
		if (strcmp(regions[i], pt->region) == 0)
			continue;
		if (probe(pt, regions[i], pms_key, backend_key) != PRACTLINK_OK)
			continue;
		if (svc_hint_ok(pt))
			pt->svc->hint(pt->svc,
				      "set region = \"%s\" in this integration's settings: the "
				      "keys are right, the region is not",
				      regions[i]);
		return snprintf(buf, size,
				"the keys work on region '%s', not on '%s': the practitioner's "
				"account lives there; set region = \"%s\" (or give that region "
				"an integration of its own)",
				regions[i], pt->region, regions[i]);
	}
	return snprintf(buf, size,
			"no other region knows these keys either: the keys were not exchanged, "
			"or not copied exactly");
}

static int pt_manual_step(void *h, practlink_step step, const practlink_person *p, char *buf,
			  size_t size)
{
	struct physitrack *pt = h;

	switch (step) {
	case PRACTLINK_STEP_FIND_USER:
		return snprintf(buf, size,
				"In Physitrack: log in, click Users and select %s %s (%s). "
				"(An individual account: My account > Settings > Integrations.)",
				p->first_name, p->last_name, p->email);
	case PRACTLINK_STEP_CREATE_USER:
		return snprintf(buf, size,
				"If %s %s is not listed: click + Add user, enter their details "
				"(%s %s, %s) and click Save. A new user stays \"(unconfirmed)\" "
				"until they accept the emailed invitation: wait for that before "
				"going on.",
				p->first_name, p->last_name, p->first_name, p->last_name, p->email);
	case PRACTLINK_STEP_SET_INTEGRATION:
		return snprintf(buf, size,
				"Under \"Integrate with\", choose %s from the drop-down.",
				pt->pms_display);
	case PRACTLINK_STEP_EXCHANGE:
		return snprintf(buf, size,
				"Paste the PMS key below into the PMS Token field, then copy the "
				"Physitrack API Key that appears and save. If no key appears, the "
				"PMS key was not entered exactly: paste it again, without spaces.");
	case PRACTLINK_STEP_REVOKE:
		return snprintf(buf, size,
				"In Physitrack: Users > select %s %s > Integrate with: remove %s "
				"and clear the PMS Token field, then save.",
				p->first_name, p->last_name, pt->pms_display);
	default: return -1;
	}
}

static void pt_close(void *h)
{
	free(h);
}

static practlink_status pt_open(const practlink_services *svc, void **out)
{
	struct physitrack *pt = calloc(1, sizeof *pt);
	const char *auth;
	char why[160];
	practlink_status st;

	*out = NULL;
	if (!pt)
		return PRACTLINK_INTERNAL;
	pt->svc = svc;
	if ((st = svc->setting_string(svc, "region", NULL, &pt->region)) ||
	    (st = svc->setting_string(svc, "base_url", "https://{region}.physitrack.com",
				      &pt->base_url)) ||
	    (st = svc->setting_string(svc, "auth", "pms", &auth)))
		goto fail;
	st = PRACTLINK_CONFIG;
	if (strcmp(auth, "pms") != 0 && strcmp(auth, "pt_direct") != 0) {
		svc->error(svc, "auth \"%s\" is unknown: use \"pms\" or \"pt_direct\"", auth);
		goto fail;
	}
	pt->pt_direct = strcmp(auth, "pt_direct") == 0;
	if (pt->region && !known_region(pt->region)) {
		svc->error(svc, "region \"%s\" is unknown: use us, uk, ca, au, nz or staging",
			   pt->region);
		goto fail;
	}
	if (!url_ok(pt->base_url, why, sizeof why)) {
		svc->error(svc, "base_url \"%s\" is not a URL: %s", pt->base_url, why);
		goto fail;
	}
	if (!pt->region && strstr(pt->base_url, "{region}")) {
		svc->error(svc, "set region (us, uk, ca, au, nz or staging), the one the "
				"clinic's accounts live on");
		goto fail;
	}
	/* "juvonno" -> "Juvonno", "jane_app" -> "Jane app": the drop-down's words. */
	snprintf(pt->pms_display, sizeof pt->pms_display, "%s", svc->pms_name);
	pt->pms_display[0] = (char)toupper((unsigned char)pt->pms_display[0]);
	for (char *c = pt->pms_display; *c; c++)
		if (*c == '_')
			*c = ' ';
	*out = pt;
	return PRACTLINK_OK;
fail:
	free(pt);
	return st;
}

PRACTLINK_EXPORT const practlink_backend practlink_backend_v1 = {
	.abi = PRACTLINK_MODULE_ABI,
	.size = sizeof(practlink_backend),
	.name = "physitrack",
	.version = PACKAGE_VERSION,
	.description = "Physitrack: verification by API, the key exchange by hand",
	.open = pt_open,
	.close = pt_close,
	.verify = pt_verify,
	.diagnose = pt_diagnose,
	.manual_step = pt_manual_step,
	.probe = pt_probe,
	/* No API for these (physitrack-api.md): the operator does them. */
	.find_user = NULL,
	.create_user = NULL,
	.set_integration = NULL,
	.exchange = NULL,
	.revoke = NULL,
};
