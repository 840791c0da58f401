/* SPDX-License-Identifier: MIT */
/*
 * sorted.c - every practitioner's id in byte order, in memory that does
 * not grow with the store: ids are gathered in runs of at most
 * pl_sort_run_ids,
 * each run sorted and, when there is more than one, written to an
 * anonymous temporary file; the runs are then merged, one id of each in
 * memory at a time. A million practitioners cost 16 runs, a few megabytes
 * of temporary files, and about a megabyte of memory.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t pl_sort_run_ids = 65536;

struct runs {
	char *arena; /* ids of the run being gathered, NUL-terminated */
	size_t used, cap;
	size_t *at; /* where each id of the run starts */
	size_t n;
	FILE **files; /* runs already written */
	size_t n_files;
	practlink_status (*each)(void *, const char *);
	void *arg;
	pl_err *err;
};

static int by_bytes(const void *a, const void *b, void *arena)
{
	return strcmp((const char *)arena + *(const size_t *)a,
		      (const char *)arena + *(const size_t *)b);
}

static void sort_run(struct runs *r)
{
	qsort_r(r->at, r->n, sizeof *r->at, by_bytes, r->arena);
}

/* Writes the run in hand to a temporary file of its own. */
static practlink_status spill(struct runs *r)
{
	FILE **files = realloc(r->files, (r->n_files + 1) * sizeof *files);
	FILE *f;

	if (!files)
		return pl_err_set(r->err, PRACTLINK_INTERNAL, "out of memory");
	r->files = files;
	if (!(f = tmpfile()))
		return pl_err_set(r->err, PRACTLINK_STORE,
				  "a temporary file to sort the ids in: %s (check $TMPDIR)",
				  strerror(errno));
	r->files[r->n_files++] = f;
	sort_run(r);
	for (size_t i = 0; i < r->n; i++)
		if (fputs(r->arena + r->at[i], f) == EOF || putc('\n', f) == EOF)
			break;
	if (fflush(f) != 0 || ferror(f) || fseek(f, 0, SEEK_SET) != 0)
		return pl_err_set(r->err, PRACTLINK_STORE,
				  "a temporary file to sort the ids in: %s (check $TMPDIR)",
				  strerror(errno));
	r->n = r->used = 0;
	return PRACTLINK_OK;
}

static practlink_status gather(void *arg, const char *id)
{
	struct runs *r = arg;
	size_t len = strlen(id) + 1;
	practlink_status st;

	if (r->n == pl_sort_run_ids && (st = spill(r)))
		return st;
	if (r->used + len > r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16384;
		char *arena;
		while (cap < r->used + len)
			cap *= 2;
		if (!(arena = realloc(r->arena, cap)))
			return pl_err_set(r->err, PRACTLINK_INTERNAL, "out of memory");
		r->arena = arena;
		r->cap = cap;
	}
	if (!r->at && !(r->at = malloc(pl_sort_run_ids * sizeof *r->at)))
		return pl_err_set(r->err, PRACTLINK_INTERNAL, "out of memory");
	memcpy(r->arena + r->used, id, len);
	r->at[r->n++] = r->used;
	r->used += len;
	return PRACTLINK_OK;
}

/* The next id of run f into line; false at its end. */
static bool next_of(FILE *f, char line[PRACTLINK_ID_MAX + 2])
{
	size_t len;

	if (!fgets(line, PRACTLINK_ID_MAX + 2, f))
		return false;
	len = strlen(line);
	if (len && line[len - 1] == '\n')
		line[len - 1] = '\0';
	return true;
}

static practlink_status merge(struct runs *r)
{
	char(*head)[PRACTLINK_ID_MAX + 2] = calloc(r->n_files, sizeof *head);
	bool *live = calloc(r->n_files, sizeof *live);
	practlink_status st = PRACTLINK_OK;

	if (!head || !live) {
		free(head);
		free(live);
		return pl_err_set(r->err, PRACTLINK_INTERNAL, "out of memory");
	}
	for (size_t i = 0; i < r->n_files; i++)
		live[i] = next_of(r->files[i], head[i]);
	for (;;) {
		size_t min = r->n_files;
		for (size_t i = 0; i < r->n_files; i++)
			if (live[i] && (min == r->n_files || strcmp(head[i], head[min]) < 0))
				min = i;
		if (min == r->n_files || (st = r->each(r->arg, head[min])) != PRACTLINK_OK)
			break;
		live[min] = next_of(r->files[min], head[min]);
	}
	for (size_t i = 0; i < r->n_files; i++)
		if (ferror(r->files[i]) && st == PRACTLINK_OK)
			st = pl_err_set(r->err, PRACTLINK_STORE,
					"a temporary file to sort the ids in could not be read");
	free(head);
	free(live);
	return st;
}

practlink_status pl_store_each_sorted(practlink_ctx *ctx,
				      practlink_status (*each)(void *, const char *), void *arg,
				      pl_err *err)
{
	struct runs r = { .each = each, .arg = arg, .err = err };
	practlink_status st = pl_store_each(ctx, gather, &r, err);

	if (st == PRACTLINK_OK && r.n_files == 0) {
		sort_run(&r);
		for (size_t i = 0; i < r.n && st == PRACTLINK_OK; i++)
			st = each(arg, r.arena + r.at[i]);
	} else if (st == PRACTLINK_OK && (st = spill(&r)) == PRACTLINK_OK) {
		free(r.arena);
		free(r.at);
		r.arena = NULL;
		r.at = NULL;
		st = merge(&r);
	}
	for (size_t i = 0; i < r.n_files; i++)
		fclose(r.files[i]);
	free(r.files);
	free(r.arena);
	free(r.at);
	return st;
}
