/* SPDX-License-Identifier: MIT */
/*
 * record.c - a practitioner's record and its links, to and from JSON.
 *
 * The text comes from the store and is not trusted: its size is capped by
 * the store, its nesting by a scan before cJSON sees it, and every field's
 * type is checked. Keys are wiped from cJSON's copies before they are freed.
 */
#include "internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RECORD_VERSION 1
#define MAX_DEPTH 8

static const char *const state_names[] = { "unlinked", "pending", "linked", "failed" };

const char *pl_state_name(pl_state state)
{
	return state_names[state];
}

static void wipe_string(cJSON *item)
{
	if (cJSON_IsString(item) && item->valuestring)
		explicit_bzero(item->valuestring, strlen(item->valuestring));
}

/* Wipes the keys of one link's object. */
static void wipe_link_keys(cJSON *l)
{
	wipe_string(cJSON_GetObjectItemCaseSensitive(l, "backend_key"));
	wipe_string(cJSON_GetObjectItemCaseSensitive(l, "pending_pms_key"));
}

/* Wipes every key the tree holds, before cJSON frees it. */
static void wipe_keys(cJSON *root)
{
	cJSON *links = cJSON_GetObjectItemCaseSensitive(root, "links"), *l;

	wipe_string(cJSON_GetObjectItemCaseSensitive(root, "pms_key"));
	cJSON_ArrayForEach(l, links)
	{
		wipe_link_keys(l);
	}
}

struct reader {
	const char *id;
	pl_err *err;
	practlink_status st;
};

/* A string field: NULL when absent or null; a wrong type fails r. */
static const char *field(struct reader *r, const cJSON *obj, const char *name, bool required)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	if ((!item || cJSON_IsNull(item)) && !required)
		return NULL;
	if (!cJSON_IsString(item)) {
		if (r->st == PRACTLINK_OK)
			r->st = pl_err_set(r->err, PRACTLINK_STORE,
					   "record of '%s': field '%s' is %s, not a string", r->id,
					   name, item ? "of another type" : "missing");
		return NULL;
	}
	return item->valuestring;
}

static char *dup_field(struct reader *r, const cJSON *obj, const char *name, bool required)
{
	const char *s = field(r, obj, name, required);
	char *copy = s ? strdup(s) : NULL;

	if (s && !copy && r->st == PRACTLINK_OK)
		r->st = pl_err_set(r->err, PRACTLINK_INTERNAL, "out of memory");
	return copy;
}

static practlink_secret *secret_field(struct reader *r, const cJSON *obj, const char *name,
				      bool required)
{
	const char *s = field(r, obj, name, required);
	practlink_secret *sec = s ? pl_secret_new(s, strlen(s)) : NULL;

	if (s && !sec && r->st == PRACTLINK_OK)
		r->st = pl_err_set(r->err, PRACTLINK_INTERNAL, "out of memory");
	return sec;
}

/* A time field in seconds; *ms (when not NULL) gets it in milliseconds. */
static long long time_field(struct reader *r, const cJSON *obj, const char *name, long long *ms)
{
	const char *s = field(r, obj, name, false);
	long long t = s ? pl_time_parse_ms(s) : 0;

	if (t < 0 && r->st == PRACTLINK_OK)
		r->st = pl_err_set(r->err, PRACTLINK_STORE,
				   "record of '%s': field '%s' is not a time like "
				   "2026-01-31T12:00:00Z",
				   r->id, name);
	if (ms)
		*ms = t < 0 ? 0 : t;
	return t < 0 ? 0 : t / 1000;
}

static void read_link(struct reader *r, const cJSON *obj, pl_link *l)
{
	const cJSON *error = cJSON_GetObjectItemCaseSensitive(obj, "error");
	const char *state = field(r, obj, "state", true);

	l->integration = strdup(obj->string);
	l->state = PL_UNLINKED;
	for (int i = 0; state && i < 4; i++)
		if (strcmp(state, state_names[i]) == 0)
			l->state = (pl_state)i;
	if (state && strcmp(state, state_names[l->state]) != 0 && r->st == PRACTLINK_OK)
		r->st = pl_err_set(r->err, PRACTLINK_STORE, "record of '%s': unknown state \"%s\"",
				   r->id, state);
	l->user_id = dup_field(r, obj, "user_id", false);
	l->backend_key = secret_field(r, obj, "backend_key", false);
	l->pending_pms_key = secret_field(r, obj, "pending_pms_key", false);
	l->linked_at = time_field(r, obj, "linked_at", &l->linked_ms);
	/* Patched in place by a verify: one that does not read is unknown. */
	l->verified_ms = pl_time_parse_ms(field(r, obj, "verified_at", false));
	l->verified_at = l->verified_ms < 0 ? 0 : l->verified_ms / 1000;
	if (l->verified_ms < 0)
		l->verified_ms = 0;
	l->updated_at = time_field(r, obj, "updated_at", NULL);
	l->rotation_pending =
		cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "rotation_pending"));
	if (error && !cJSON_IsNull(error)) {
		const char *status = field(r, error, "status", true);
		int code = status ? practlink_status_from_name(status) : -1;
		l->error = code > 0 ? (practlink_status)code : PRACTLINK_INTERNAL;
		l->error_step = dup_field(r, error, "step", false);
		l->error_message = dup_field(r, error, "message", false);
		l->error_hint = dup_field(r, error, "hint", false);
	}
}

practlink_status pl_record_parse(const char *text, size_t len, const char *id, pl_record **out,
				 pl_err *err)
{
	struct reader r = { id, err, PRACTLINK_OK };
	const cJSON *links, *l, *version;
	pl_record *rec;
	cJSON *root;

	*out = NULL;
	if (!pl_json_depth_ok(text, len, MAX_DEPTH))
		return pl_err_set(err, PRACTLINK_STORE, "record of '%s' nests deeper than %d", id,
				  MAX_DEPTH);
	root = cJSON_ParseWithLength(text, len);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return pl_err_set(err, PRACTLINK_STORE, "record of '%s' is not valid JSON", id);
	}
	if (!(rec = calloc(1, sizeof *rec))) {
		wipe_keys(root);
		cJSON_Delete(root);
		return pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
	}
	version = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!cJSON_IsNumber(version) || version->valueint != RECORD_VERSION)
		r.st = pl_err_set(err, PRACTLINK_STORE,
				  "record of '%s' has no version %d: written by another practlink?",
				  id, RECORD_VERSION);
	rec->id = dup_field(&r, root, "id", true);
	if (r.st == PRACTLINK_OK && strcmp(rec->id, id) != 0)
		r.st = pl_err_set(err, PRACTLINK_STORE, "record of '%s' says it is '%s'", id,
				  rec->id);
	rec->first_name = dup_field(&r, root, "first_name", true);
	rec->last_name = dup_field(&r, root, "last_name", true);
	rec->email = dup_field(&r, root, "email", true);
	rec->pms_key = secret_field(&r, root, "pms_key", false);
	rec->created_at = time_field(&r, root, "created_at", NULL);
	links = cJSON_GetObjectItemCaseSensitive(root, "links");
	if (links && !cJSON_IsObject(links) && r.st == PRACTLINK_OK)
		r.st = pl_err_set(err, PRACTLINK_STORE, "record of '%s': 'links' is not an object",
				  id);
	if (cJSON_IsObject(links)) {
		size_t n = (size_t)cJSON_GetArraySize(links);
		rec->links = calloc(n ? n : 1, sizeof *rec->links);
		cJSON_ArrayForEach(l, links)
		{
			if (!cJSON_IsObject(l) || !rec->links) {
				if (r.st == PRACTLINK_OK)
					r.st = pl_err_set(
						err, PRACTLINK_STORE,
						"record of '%s': link '%s' is not an object", id,
						l->string);
				break;
			}
			read_link(&r, l, &rec->links[rec->n_links++]);
		}
	}
	wipe_keys(root);
	cJSON_Delete(root);
	if (r.st != PRACTLINK_OK) {
		pl_record_free(rec);
		return r.st;
	}
	*out = rec;
	return PRACTLINK_OK;
}

/* Each add says whether it was made: out of memory must never yield a
 * record that is merely missing a field. */
static bool add_string(cJSON *obj, const char *name, const char *value)
{
	return value ? cJSON_AddStringToObject(obj, name, value) != NULL
		     : cJSON_AddNullToObject(obj, name) != NULL;
}

/* t in seconds, written with its milliseconds ms when they are known. */
static bool add_time(cJSON *obj, const char *name, long long t, long long ms)
{
	char buf[32];

	if (t <= 0)
		return cJSON_AddNullToObject(obj, name) != NULL;
	if (ms > 0 && ms / 1000 == t)
		pl_time_format_ms(ms, buf);
	else
		pl_time_format(t, buf);
	return cJSON_AddStringToObject(obj, name, buf) != NULL;
}

/* Link l as an object, or NULL when memory ran out. */
static cJSON *link_object(const pl_link *l)
{
	cJSON *o = cJSON_CreateObject(), *e;
	bool ok = o != NULL;

	ok = ok && add_string(o, "state", pl_state_name(l->state));
	ok = ok && add_string(o, "user_id", l->user_id);
	ok = ok && add_string(o, "backend_key", l->backend_key ? l->backend_key->str : NULL);
	ok = ok &&
	     add_string(o, "pending_pms_key", l->pending_pms_key ? l->pending_pms_key->str : NULL);
	ok = ok && add_time(o, "linked_at", l->linked_at, l->linked_ms);
	ok = ok && add_time(o, "verified_at", l->verified_at, l->verified_ms);
	ok = ok && add_time(o, "updated_at", l->updated_at, 0);
	if (ok && l->rotation_pending)
		ok = cJSON_AddTrueToObject(o, "rotation_pending") != NULL;
	if (ok && l->unlink_pending)
		ok = cJSON_AddTrueToObject(o, "unlink_pending") != NULL;
	if (ok && l->error != PRACTLINK_OK) {
		ok = (e = cJSON_AddObjectToObject(o, "error")) != NULL;
		ok = ok && add_string(e, "status", practlink_status_name(l->error));
		ok = ok && add_string(e, "step", l->error_step);
		ok = ok && add_string(e, "message", l->error_message);
		ok = ok && (!l->error_hint || add_string(e, "hint", l->error_hint));
	} else if (ok) {
		ok = cJSON_AddNullToObject(o, "error") != NULL;
	}
	if (!ok && o) {
		wipe_link_keys(o);
		cJSON_Delete(o);
		o = NULL;
	}
	return o;
}

char *pl_record_format(const pl_record *rec)
{
	cJSON *root = cJSON_CreateObject(), *links = cJSON_CreateObject(), *o;
	char *text = NULL;
	bool ok = root && links;

	ok = ok && cJSON_AddNumberToObject(root, "version", RECORD_VERSION) != NULL;
	ok = ok && add_string(root, "id", rec->id);
	ok = ok && add_string(root, "first_name", rec->first_name);
	ok = ok && add_string(root, "last_name", rec->last_name);
	ok = ok && add_string(root, "email", rec->email);
	ok = ok && add_string(root, "pms_key", rec->pms_key ? rec->pms_key->str : NULL);
	ok = ok && add_time(root, "created_at", rec->created_at, 0);
	for (size_t i = 0; ok && i < rec->n_links; i++) {
		ok = (o = link_object(&rec->links[i])) != NULL;
		if (ok && !cJSON_AddItemToObject(links, rec->links[i].integration, o)) {
			wipe_link_keys(o);
			cJSON_Delete(o);
			ok = false;
		}
	}
	if (ok && !cJSON_AddItemToObject(root, "links", links))
		ok = false;
	else if (ok)
		links = NULL; /* root's now */
	if (!ok) {
		wipe_keys(root);
		cJSON_Delete(root);
		if (links) {
			cJSON *l;
			cJSON_ArrayForEach(l, links)
			{
				wipe_link_keys(l);
			}
			cJSON_Delete(links);
		}
		return NULL;
	}
	/* Into a buffer of ours, so that no copy of a key is left behind by a
	 * growing buffer; a size that proves too small is wiped and doubled. */
	for (size_t size = 4096 + 1024 * rec->n_links;; size *= 2) {
		if (!(text = malloc(size)))
			break;
		if (cJSON_PrintPreallocated(root, text, (int)size, true))
			break;
		explicit_bzero(text, size);
		free(text);
		text = NULL;
		if (size > (1u << 24))
			break;
	}
	wipe_keys(root);
	cJSON_Delete(root);
	return text;
}

static void link_clear(pl_link *l)
{
	free(l->integration);
	free(l->user_id);
	pl_secret_free(l->backend_key);
	pl_secret_free(l->pending_pms_key);
	free(l->error_step);
	free(l->error_message);
	free(l->error_hint);
	memset(l, 0, sizeof *l);
}

void pl_record_free(pl_record *rec)
{
	if (!rec)
		return;
	free(rec->id);
	free(rec->first_name);
	free(rec->last_name);
	free(rec->email);
	pl_secret_free(rec->pms_key);
	for (size_t i = 0; i < rec->n_links; i++)
		link_clear(&rec->links[i]);
	free(rec->links);
	free(rec);
}

pl_link *pl_record_link(pl_record *rec, const char *integration, bool create)
{
	pl_link *more;

	for (size_t i = 0; i < rec->n_links; i++)
		if (strcmp(rec->links[i].integration, integration) == 0)
			return &rec->links[i];
	if (!create || !(more = realloc(rec->links, (rec->n_links + 1) * sizeof *more)))
		return NULL;
	rec->links = more;
	memset(&more[rec->n_links], 0, sizeof *more);
	if (!(more[rec->n_links].integration = strdup(integration)))
		return NULL;
	return &more[rec->n_links++];
}

void pl_record_drop_link(pl_record *rec, const char *integration)
{
	for (size_t i = 0; i < rec->n_links; i++) {
		if (strcmp(rec->links[i].integration, integration) != 0)
			continue;
		link_clear(&rec->links[i]);
		rec->links[i] = rec->links[--rec->n_links];
		return;
	}
}
