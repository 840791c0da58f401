/* SPDX-License-Identifier: MIT */
/*
 * keyindex.c - practitioners by PMS key, and by email, in constant time.
 *
 * Physitrack's webhooks name a practitioner by PMS key only; a platform
 * finds its user by email, so no two practitioners may share one. The
 * context keeps two open-addressing tables from a salted hash (of the key;
 * of the email, trimmed and in lower case) to the practitioner's id, built
 * from the store on first use and kept up to date by this context's own
 * writes. The tables hold no key: a hit is confirmed against the record.
 * A miss rebuilds them at most once every few seconds, so that
 * practitioners added by another process are found without letting
 * unknown keys cost a scan each.
 */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define REBUILD_AFTER_S 5

struct slot {
	uint64_t hash; /* 0: empty */
	char id[PRACTLINK_ID_MAX];
};

struct table {
	struct slot *slots;
	size_t cap; /* a power of two, at least twice the entries */
	size_t used;
};

/* What each id is indexed under, so that a change finds its old entries
 * at once (the id's hash alone: 64 bits tell ids apart). */
struct where {
	uint64_t id; /* 0: empty */
	uint64_t key, email;
};

struct places {
	struct where *slots;
	size_t cap, used;
};

struct pl_key_index {
	uint64_t salt;
	struct table keys, emails;
	struct places ids;
	time_t built;
};

static uint64_t hash_of(const struct pl_key_index *x, const char *s, size_t len, bool fold)
{
	uint64_t h = x->salt ^ 14695981039346656037u;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (fold && c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * 1099511628211u;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	return h ? h : 1;
}

static uint64_t key_hash(const struct pl_key_index *x, const char *key, size_t len)
{
	return hash_of(x, key, len, false);
}

/* An email as it is compared: without surrounding blanks, case folded. */
static void email_span(const char *email, const char **start, size_t *len)
{
	const char *end = email + strlen(email);

	while (*email == ' ' || *email == '\t')
		email++;
	while (end > email && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*start = email;
	*len = (size_t)(end - email);
}

static uint64_t email_hash(const struct pl_key_index *x, const char *email)
{
	const char *start;
	size_t len;

	email_span(email, &start, &len);
	return hash_of(x, start, len, true);
}

bool pl_email_same(const char *a, const char *b)
{
	const char *sa, *sb;
	size_t la, lb;

	email_span(a, &sa, &la);
	email_span(b, &sb, &lb);
	return la == lb && strncasecmp(sa, sb, la) == 0;
}

void pl_key_index_free(struct pl_key_index *x)
{
	if (!x)
		return;
	free(x->keys.slots);
	free(x->emails.slots);
	free(x->ids.slots);
	free(x);
}

static bool grow(struct table *x)
{
	size_t cap = x->cap ? x->cap * 2 : 1024;
	struct slot *old = x->slots, *slots = calloc(cap, sizeof *slots);

	if (!slots)
		return false;
	for (size_t i = 0; i < x->cap; i++) {
		if (!old[i].hash)
			continue;
		size_t j = old[i].hash & (cap - 1);
		while (slots[j].hash)
			j = (j + 1) & (cap - 1);
		slots[j] = old[i];
	}
	free(old);
	x->slots = slots;
	x->cap = cap;
	return true;
}

/* Removes id's entry under hash h, if any, keeping the probe chains
 * whole. */
static void forget(struct table *x, uint64_t h, const char *id)
{
	for (size_t i = x->cap ? h & (x->cap - 1) : 0; x->cap && x->slots[i].hash;
	     i = (i + 1) & (x->cap - 1)) {
		if (x->slots[i].hash != h || strcmp(x->slots[i].id, id) != 0)
			continue;
		x->slots[i].hash = 0;
		x->used--;
		for (size_t j = (i + 1) & (x->cap - 1); x->slots[j].hash;
		     j = (j + 1) & (x->cap - 1)) {
			struct slot s = x->slots[j];
			x->slots[j].hash = 0;
			x->used--;
			size_t k = s.hash & (x->cap - 1);
			while (x->slots[k].hash)
				k = (k + 1) & (x->cap - 1);
			x->slots[k] = s;
			x->used++;
		}
		return;
	}
}

static void insert(struct table *x, const char *id, uint64_t h)
{
	size_t j;

	if ((x->used + 1) * 2 > x->cap && !grow(x))
		return;
	j = h & (x->cap - 1);
	while (x->slots[j].hash)
		j = (j + 1) & (x->cap - 1);
	x->slots[j].hash = h;
	snprintf(x->slots[j].id, sizeof x->slots[j].id, "%s", id);
	x->used++;
}

/* Where id is indexed: its slot in ids, or the empty one it would take. */
static struct where *place_of(struct places *p, uint64_t h)
{
	size_t j = h & (p->cap - 1);

	while (p->slots[j].id && p->slots[j].id != h)
		j = (j + 1) & (p->cap - 1);
	return &p->slots[j];
}

static bool grow_places(struct places *p)
{
	struct places bigger = { NULL, p->cap ? p->cap * 2 : 1024, p->used };

	if (!(bigger.slots = calloc(bigger.cap, sizeof *bigger.slots)))
		return false;
	for (size_t i = 0; i < p->cap; i++)
		if (p->slots[i].id)
			*place_of(&bigger, p->slots[i].id) = p->slots[i];
	free(p->slots);
	*p = bigger;
	return true;
}

/* Indexes rec (NULL: id has none any more), in constant time. */
static void index_record(struct pl_key_index *x, const char *id, const pl_record *rec)
{
	uint64_t h = hash_of(x, id, strlen(id), false);
	struct where *w;

	if ((x->ids.used + 1) * 2 > x->ids.cap && !grow_places(&x->ids))
		return;
	w = place_of(&x->ids, h);
	if (w->id) { /* indexed before: its old entries go */
		if (w->key)
			forget(&x->keys, w->key, id);
		if (w->email)
			forget(&x->emails, w->email, id);
	} else {
		x->ids.used++;
	}
	/* A slot of ids, once taken, stays: an id that comes back finds it. */
	*w = (struct where){ h, 0, 0 };
	if (rec && rec->pms_key)
		insert(&x->keys, id, w->key = key_hash(x, rec->pms_key->str, rec->pms_key->len));
	if (rec && rec->email)
		insert(&x->emails, id, w->email = email_hash(x, rec->email));
}

void pl_key_index_note(practlink_ctx *ctx, const char *id, const pl_record *rec)
{
	pthread_mutex_lock(&ctx->lock); /* bulk workers write side by side */
	if (ctx->key_index)
		index_record(ctx->key_index, id, rec);
	pthread_mutex_unlock(&ctx->lock);
}

static practlink_status add_from_store(void *arg, const char *id)
{
	practlink_ctx *ctx = arg;
	pl_record *rec;
	pl_err err;

	/* A record that cannot be read has nothing to find: skip it. */
	if (pl_store_load(ctx, id, &rec, &err) == PRACTLINK_OK) {
		index_record(ctx->key_index, id, rec);
		pl_record_free(rec);
	}
	return PRACTLINK_OK;
}

static practlink_status rebuild(practlink_ctx *ctx)
{
	struct pl_key_index *x = ctx->key_index;

	if (!x) {
		if (!(x = ctx->key_index = calloc(1, sizeof *x)))
			return pl_err_set(&ctx->err, PRACTLINK_INTERNAL, "out of memory");
		if (getrandom(&x->salt, sizeof x->salt, 0) != sizeof x->salt)
			x->salt = (uint64_t)time(NULL);
	}
	if (x->keys.slots)
		memset(x->keys.slots, 0, x->keys.cap * sizeof *x->keys.slots);
	if (x->emails.slots)
		memset(x->emails.slots, 0, x->emails.cap * sizeof *x->emails.slots);
	if (x->ids.slots)
		memset(x->ids.slots, 0, x->ids.cap * sizeof *x->ids.slots);
	x->keys.used = x->emails.used = x->ids.used = 0;
	x->built = time(NULL);
	ctx->on_save = pl_key_index_note; /* kept up to date from here on */
	return pl_store_each(ctx, add_from_store, ctx, &ctx->err);
}

/* Looks up hash in table t, confirming each hit with match on the record:
 * the first id whose record matches, other than not_id. */
static bool lookup(practlink_ctx *ctx, const struct table *t, uint64_t h,
		   bool (*match)(const pl_record *rec, const void *what), const void *what,
		   const char *not_id, char id[PRACTLINK_ID_MAX])
{
	for (size_t j = t->cap ? h & (t->cap - 1) : 0; t->cap && t->slots[j].hash;
	     j = (j + 1) & (t->cap - 1)) {
		pl_record *rec;
		pl_err err;
		bool same;

		if (t->slots[j].hash != h || (not_id && strcmp(t->slots[j].id, not_id) == 0))
			continue;
		/* Not in the store: staged by an import, perhaps; then on disk. */
		if (pl_store_load(ctx, t->slots[j].id, &rec, &err) &&
		    (!ctx->flush ||
		     (ctx->flush(ctx), pl_store_load(ctx, t->slots[j].id, &rec, &err))))
			continue;
		same = match(rec, what);
		pl_record_free(rec);
		if (same) {
			memcpy(id, t->slots[j].id, PRACTLINK_ID_MAX);
			return true;
		}
	}
	return false;
}

static bool key_matches(const pl_record *rec, const void *key)
{
	return pl_secret_equal(rec->pms_key, key);
}

static bool email_matches(const pl_record *rec, const void *email)
{
	return rec->email && pl_email_same(rec->email, email);
}

/* The index, built on first use. */
static practlink_status ready(practlink_ctx *ctx)
{
	return ctx->key_index ? PRACTLINK_OK : rebuild(ctx);
}

/* Whether a rebuild may find what a lookup missed. */
static bool stale(const practlink_ctx *ctx)
{
	return time(NULL) - ctx->key_index->built >= REBUILD_AFTER_S;
}

practlink_status pl_find_by_email(practlink_ctx *ctx, const char *email, const char *not_id,
				  char id[PRACTLINK_ID_MAX])
{
	practlink_status st;
	uint64_t h;

	if ((st = ready(ctx)))
		return st;
	/* No rebuild on a miss: a miss is the rule here (a new practitioner),
	 * and an import would otherwise rescan the store every few seconds. */
	h = email_hash(ctx->key_index, email);
	return lookup(ctx, &ctx->key_index->emails, h, email_matches, email, not_id, id)
		       ? PRACTLINK_OK
		       : PRACTLINK_NOT_FOUND;
}

practlink_status practlink_find_by_pms_key(practlink_ctx *ctx, const char *key, size_t len,
					   char id[PRACTLINK_ID_MAX])
{
	practlink_secret *k;
	practlink_status st;
	bool found;

	return_val_if_fail(ctx != NULL && key != NULL && id != NULL, PRACTLINK_USAGE);
	if (!ctx->cfg && !ctx->store)
		return pl_err_set(&ctx->err, PRACTLINK_CONFIG, "no configuration loaded");
	if ((st = pl_key_normalise(key, len, "PMS key", &k, &ctx->err)))
		return st;
	if ((st = ready(ctx))) {
		pl_secret_free(k);
		return st;
	}
	uint64_t h = key_hash(ctx->key_index, k->str, k->len);
	found = lookup(ctx, &ctx->key_index->keys, h, key_matches, k, NULL, id);
	if (!found && stale(ctx) && rebuild(ctx) == PRACTLINK_OK)
		found = lookup(ctx, &ctx->key_index->keys, h, key_matches, k, NULL, id);
	pl_secret_free(k);
	if (!found)
		return pl_err_set(&ctx->err, PRACTLINK_NOT_FOUND,
				  "no practitioner has that PMS key");
	return PRACTLINK_OK;
}
