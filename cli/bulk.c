/* SPDX-License-Identifier: MIT */
/*
 * bulk.c - link and verify for many practitioners: the workers are the
 * library's; here are the sources (names, a key list, the whole store),
 * the progress bar, the signals that stop a run, and the summary.
 */
#include "cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct failure {
	char id[PRACTLINK_ID_MAX];
	char integration[65];
	size_t line;
	practlink_status status;
	char *message;
	char *hint;
};

struct row {
	char id[PRACTLINK_ID_MAX];
	char *key;
	size_t line;
};

struct tally {
	const struct opts *o;
	const char *source; /* the key list's path, for line numbers */
	/* What to run over: names, rows of a key list, or the store. */
	char **ids;
	size_t n_ids;
	struct row *rows;
	size_t n_rows, cap_rows;
	size_t next;
	/* What came of it. */
	size_t total, done, elsewhere;
	size_t statuses[64];
	size_t states[4];
	struct failure *failed;
	size_t n_failed;
	practlink_status worst;
	bool several;          /* several integrations: failures name theirs */
	size_t audit_failures; /* audit lines the run could not write */
	/* The progress bar, on a terminal only. */
	bool progress;
	long long t0, drawn;
};

static const char *const state_names[] = { "unlinked", "pending", "linked", "failed" };

static practlink_ctx *stopping;
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
	practlink_bulk_stop(stopping);
	signal(sig, SIG_DFL); /* a second one ends practlink at once */
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void draw(struct tally *t, bool last)
{
	long long ms = now_ms() - t->t0;
	double rate = ms > 0 ? (double)t->done * 1000.0 / (double)ms : 0;
	int width = 30, filled = t->total ? (int)((size_t)width * t->done / t->total) : 0;
	char bar[64];

	if (!t->progress || (!last && now_ms() - t->drawn < 100))
		return;
	t->drawn = now_ms();
	memset(bar, '=', (size_t)filled);
	memset(bar + filled, ' ', (size_t)(width - filled));
	bar[width] = '\0';
	fprintf(stderr, "\r[%s] %zu/%zu  %.0f/s", bar, t->done, t->total, rate);
	if (rate > 0 && t->done < t->total)
		fprintf(stderr, "  ETA %.0fs ", (double)(t->total - t->done) / rate);
	else
		fprintf(stderr, "            ");
	if (last)
		fprintf(stderr, "\n");
}

static void done(void *arg, const practlink_outcome *o)
{
	struct tally *t = arg;

	t->done++;
	t->elsewhere += o->elsewhere != 0;
	t->statuses[o->status < 64 ? o->status : PRACTLINK_INTERNAL]++;
	for (int i = 0; i < 4; i++)
		if (strcmp(o->state, state_names[i]) == 0)
			t->states[i]++;
	if (practlink_exit_code(o->status) > practlink_exit_code(t->worst))
		t->worst = o->status;
	if (t->o->verbosity > 0 && !t->o->json) {
		fprintf(stderr, "%s on %s: %s%s", o->id, o->integration ? o->integration : "-",
			o->state, o->status ? ": " : "");
		cli_put_text(stderr, o->message);
		fputc('\n', stderr);
	}
	if (o->status != PRACTLINK_OK) {
		struct failure *more = realloc(t->failed, (t->n_failed + 1) * sizeof *more);
		if (more) {
			struct failure *f = &more[t->n_failed];
			t->failed = more;
			snprintf(f->id, sizeof f->id, "%s", o->id);
			snprintf(f->integration, sizeof f->integration, "%s",
				 o->integration ? o->integration : "");
			f->line = o->line;
			f->status = o->status;
			f->message = strdup(o->message);
			f->hint = strdup(o->hint ? o->hint : practlink_hint(o->status));
			t->n_failed++;
		}
	}
	draw(t, false);
}

/* The next practitioner of the names or the key list. */
static int next(void *arg, char id[PRACTLINK_ID_MAX], char **key, size_t *line)
{
	struct tally *t = arg;

	if (t->rows) {
		if (t->next >= t->n_rows)
			return 0;
		struct row *r = &t->rows[t->next++];
		memcpy(id, r->id, PRACTLINK_ID_MAX);
		*key = r->key; /* the core frees it */
		r->key = NULL;
		*line = r->line;
		return 1;
	}
	if (t->next >= t->n_ids)
		return 0;
	snprintf(id, PRACTLINK_ID_MAX, "%s", t->ids[t->next++]);
	return 1;
}

static void key_row(void *arg, size_t line, size_t n, char **f, const char *problem)
{
	struct tally *t = arg;
	practlink_outcome o = { n ? f[0] : "",
				line,
				PRACTLINK_USAGE,
				"expected two fields, id,backend_key",
				"unlinked",
				NULL,
				"",
				0 };

	if (problem)
		o.message = problem;
	if (problem || n != 2 || !f[0] || !f[1] || strlen(f[0]) > 64) {
		t->total++;
		done(t, &o); /* a bad row is a failure of its own */
		return;
	}
	if (t->n_rows == t->cap_rows) {
		size_t cap = t->cap_rows ? t->cap_rows * 2 : 64;
		struct row *more = realloc(t->rows, cap * sizeof *more);
		if (!more)
			return;
		t->rows = more;
		t->cap_rows = cap;
	}
	snprintf(t->rows[t->n_rows].id, PRACTLINK_ID_MAX, "%s", f[0]);
	t->rows[t->n_rows].key = strdup(f[1]);
	t->rows[t->n_rows].line = line;
	t->n_rows++;
}

static practlink_status count_one(void *arg, const char *id)
{
	(*(size_t *)arg)++;
	return PRACTLINK_OK;
}

/* Failures in the order of the key list, else of their ids. */
static int by_line(const void *a, const void *b)
{
	const struct failure *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void summary(struct tally *t)
{
	if (t->n_failed)
		qsort(t->failed, t->n_failed, sizeof *t->failed, by_line);
	if (t->o->json) {
		cJSON *doc = cJSON_CreateObject(), *states, *statuses, *failed;
		cJSON_AddNumberToObject(doc, "total", (double)t->done);
		cJSON_AddBoolToObject(doc, "interrupted", got_signal != 0);
		cJSON_AddNumberToObject(doc, "audit_failures", (double)t->audit_failures);
		cJSON_AddNumberToObject(doc, "done_elsewhere", (double)t->elsewhere);
		states = cJSON_AddObjectToObject(doc, "states");
		for (int i = 0; i < 4; i++)
			if (t->states[i])
				cJSON_AddNumberToObject(states, state_names[i],
							(double)t->states[i]);
		statuses = cJSON_AddObjectToObject(doc, "statuses");
		for (int i = 0; i < 64; i++)
			if (t->statuses[i])
				cJSON_AddNumberToObject(statuses, practlink_status_name(i),
							(double)t->statuses[i]);
		failed = cJSON_AddArrayToObject(doc, "failed");
		for (size_t i = 0; i < t->n_failed; i++) {
			cJSON *f = cJSON_CreateObject();
			cJSON_AddStringToObject(f, "id", t->failed[i].id);
			if (t->failed[i].integration[0])
				cJSON_AddStringToObject(f, "integration", t->failed[i].integration);
			if (t->failed[i].line)
				cJSON_AddNumberToObject(f, "line", (double)t->failed[i].line);
			cJSON_AddStringToObject(f, "status",
						practlink_status_name(t->failed[i].status));
			cJSON_AddStringToObject(f, "message",
						t->failed[i].message ? t->failed[i].message : "");
			cJSON_AddStringToObject(f, "hint",
						t->failed[i].hint ? t->failed[i].hint : "");
			cJSON_AddItemToArray(failed, f);
		}
		cli_print_json(doc);
		return;
	}
	if (t->o->verbosity < 0 && t->n_failed == 0 && t->audit_failures == 0)
		return;
	printf("%zu practitioner%s%s:", t->done, t->done == 1 ? "" : "s",
	       got_signal ? " (interrupted)" : "");
	for (int i = 0; i < 4; i++)
		if (t->states[i])
			printf(" %zu %s", t->states[i], state_names[i]);
	printf("\nby status:");
	for (int i = 0; i < 64; i++)
		if (t->statuses[i])
			printf(" %s %zu", practlink_status_name(i), t->statuses[i]);
	printf("\n");
	if (t->elsewhere)
		printf("done elsewhere: %zu (another run did them after this one began)\n",
		       t->elsewhere);
	if (t->audit_failures)
		printf("audit lines not written: %zu (the operations stand; the trail lacks "
		       "them)\n",
		       t->audit_failures);
	if (t->n_failed)
		printf("failed:\n");
	for (size_t i = 0; i < t->n_failed; i++) {
		const struct failure *f = &t->failed[i];
		if (f->line)
			printf("  %s:%zu: ", t->source, f->line);
		else
			printf("  ");
		printf("%s%s%s (%s): ", f->id, t->several ? " on " : "",
		       t->several ? f->integration : "", practlink_status_name(f->status));
		cli_put_text(stdout, f->message ? f->message : "");
		printf("\n");
		if (f->hint && *f->hint) {
			printf("      hint: ");
			cli_put_text(stdout, f->hint);
			printf("\n");
		}
	}
}

/* The run's failures counted by integration and status, for metrics. */
static size_t count_failures(const struct tally *t, struct cli_failure_count *c, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n_failed; i++) {
		size_t k;
		for (k = 0; k < n; k++)
			if (c[k].status == t->failed[i].status &&
			    strcmp(c[k].integration, t->failed[i].integration) == 0)
				break;
		if (k == n) {
			if (n == max)
				continue;
			snprintf(c[n].integration, sizeof c[n].integration, "%s",
				 t->failed[i].integration);
			c[n].status = t->failed[i].status;
			c[n++].count = 0;
		}
		c[k].count++;
	}
	return n;
}

int cli_bulk(practlink_ctx *ctx, const struct opts *o, const practlink_bulk *spec, char **ids,
	     size_t n_ids, const char *keys_csv, const char *metrics)
{
	static const char *const header[] = { "id", "backend_key" };
	struct tally t = { .o = o, .source = keys_csv, .ids = ids, .n_ids = n_ids };
	practlink_bulk b = *spec;
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	practlink_status st;
	size_t per = 1;
	int rc;

	if (keys_csv && (rc = cli_csv_read(keys_csv, header, 2, 0, "backend_key", key_row, &t)) > 0)
		return rc;
	if (spec->op == PRACTLINK_BULK_VERIFY && !spec->integration) {
		/* Every enabled integration: one outcome per practitioner each. */
		per = 0;
		for (size_t i = 0; i < practlink_integration_count(ctx); i++) {
			practlink_integration_info in = { .size = sizeof in };
			if (practlink_integration_get(ctx, i, &in) == PRACTLINK_OK && in.enabled)
				per++;
		}
		t.several = per > 1;
		per = per ? per : 1;
	}
	if (keys_csv)
		t.total += t.n_rows;
	else if (ids)
		t.total = n_ids;
	else if ((st = practlink_practitioner_each(ctx, count_one, &t.total)))
		return cli_fail(ctx, st);
	t.total *= per;
	b.next = keys_csv || ids ? next : NULL;
	b.next_arg = &t;
	b.done = done;
	b.done_arg = &t;
	t.progress = isatty(2) && o->verbosity == 0 && !o->json;
	t.t0 = now_ms();

	stopping = ctx;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	st = practlink_bulk_run(ctx, &b);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	draw(&t, true);

	if (t.done == 0 && st != PRACTLINK_OK && !t.n_failed) {
		rc = cli_fail(ctx, st); /* the run could not start */
	} else {
		t.audit_failures = practlink_audit_failures(ctx);
		summary(&t);
		rc = got_signal ? 128 + got_signal : practlink_exit_code(t.worst);
	}
	if (metrics) {
		struct cli_failure_count counts[64];
		size_t n = count_failures(&t, counts, sizeof counts / sizeof counts[0]);
		int mrc = cli_metrics_write(ctx, metrics,
					    spec->op == PRACTLINK_BULK_VERIFY ? "verify" : "link",
					    counts, n, rc == 0, (double)(now_ms() - t.t0) / 1000.0);
		rc = rc ? rc : mrc;
	}
	for (size_t i = 0; i < t.n_failed; i++) {
		free(t.failed[i].message);
		free(t.failed[i].hint);
	}
	free(t.failed);
	for (size_t i = 0; i < t.n_rows; i++)
		if (t.rows[i].key) {
			explicit_bzero(t.rows[i].key, strlen(t.rows[i].key));
			free(t.rows[i].key);
		}
	free(t.rows);
	return rc;
}
