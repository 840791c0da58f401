/*
 * keyindex.c - practitioners by PMS key, in constant time.
 *
 * Physitrack's webhooks name a practitioner by PMS key only. The context
 * keeps an open-addressing table from a salted hash of each key to its
 * practitioner's id, built from the store on first use and kept up to date
 * by this context's own writes. The table holds no key: a hit is confirmed
 * by comparing the key in the record. A miss rebuilds the table at most
 * once every few seconds, so that practitioners added by another process
 * are found without letting unknown keys cost a scan each.
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
	char id[65];
};

struct pl_key_index {
	uint64_t salt;
	struct slot *slots;
	size_t cap; /* a power of two, at least twice the entries */
	size_t used;
	time_t built;
};

static uint64_t key_hash(const struct pl_key_index *x, const char *key, size_t len)
{
	uint64_t h = x->salt ^ 14695981039346656037u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211u;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	return h ? h : 1;
}

void pl_key_index_free(struct pl_key_index *x)
{
	if (!x)
		return;
	free(x->slots);
	free(x);
}

static bool grow(struct pl_key_index *x)
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

/* Removes id's entry, if any, keeping the probe chains whole. */
static void forget(struct pl_key_index *x, const char *id)
{
	for (size_t i = 0; i < x->cap; i++) {
		if (!x->slots[i].hash || strcmp(x->slots[i].id, id) != 0)
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

static void insert(struct pl_key_index *x, const char *id, const practlink_secret *key)
{
	uint64_t h;
	size_t j;

	if ((x->used + 1) * 2 > x->cap && !grow(x))
		return;
	h = key_hash(x, key->str, key->len);
	j = h & (x->cap - 1);
	while (x->slots[j].hash)
		j = (j + 1) & (x->cap - 1);
	x->slots[j].hash = h;
	snprintf(x->slots[j].id, sizeof x->slots[j].id, "%s", id);
	x->used++;
}

void pl_key_index_note(practlink_ctx *ctx, const char *id, const practlink_secret *key)
{
	struct pl_key_index *x;

	pthread_mutex_lock(&ctx->lock); /* bulk workers write side by side */
	if ((x = ctx->key_index)) {
		forget(x, id);
		if (key)
			insert(x, id, key);
	}
	pthread_mutex_unlock(&ctx->lock);
}

static practlink_status add_from_store(void *arg, const char *id)
{
	practlink_ctx *ctx = arg;
	pl_record *rec;
	pl_err err;

	/* A record that cannot be read has no key to find: skip it. */
	if (pl_store_load(ctx, id, &rec, &err) == PRACTLINK_OK) {
		if (rec->pms_key)
			insert(ctx->key_index, id, rec->pms_key);
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
	if (x->slots)
		memset(x->slots, 0, x->cap * sizeof *x->slots);
	x->used = 0;
	x->built = time(NULL);
	return practlink_practitioner_each(ctx, add_from_store, ctx);
}

/* Looks key up in the table, confirming a hit against the record. */
static bool lookup(practlink_ctx *ctx, const practlink_secret *key, char id[65])
{
	struct pl_key_index *x = ctx->key_index;
	uint64_t h = key_hash(x, key->str, key->len);

	for (size_t j = x->cap ? h & (x->cap - 1) : 0; x->cap && x->slots[j].hash;
	     j = (j + 1) & (x->cap - 1)) {
		pl_record *rec;
		pl_err err;
		bool same;

		if (x->slots[j].hash != h || pl_store_load(ctx, x->slots[j].id, &rec, &err))
			continue;
		same = pl_secret_equal(rec->pms_key, key);
		pl_record_free(rec);
		if (same) {
			memcpy(id, x->slots[j].id, 65);
			return true;
		}
	}
	return false;
}

practlink_status practlink_find_by_pms_key(practlink_ctx *ctx, const char *key, size_t len,
					   char id[65])
{
	practlink_secret *k;
	practlink_status st;
	bool found;

	return_val_if_fail(ctx != NULL && key != NULL && id != NULL, PRACTLINK_USAGE);
	if (!ctx->cfg && !ctx->store)
		return pl_err_set(&ctx->err, PRACTLINK_CONFIG, "no configuration loaded");
	if ((st = pl_key_normalise(key, len, "PMS key", &k, &ctx->err)))
		return st;
	if (!ctx->key_index && (st = rebuild(ctx))) {
		pl_secret_free(k);
		return st;
	}
	found = lookup(ctx, k, id);
	if (!found && time(NULL) - ctx->key_index->built >= REBUILD_AFTER_S &&
	    rebuild(ctx) == PRACTLINK_OK)
		found = lookup(ctx, k, id);
	pl_secret_free(k);
	if (!found)
		return pl_err_set(&ctx->err, PRACTLINK_NOT_FOUND,
				  "no practitioner has that PMS key");
	return PRACTLINK_OK;
}
