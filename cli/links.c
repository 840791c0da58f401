/* SPDX-License-Identifier: MIT */
/* links.c - practlink link | unlink | verify | rotate | status. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#define KEY_MAX 1024

/* What a link or verify run is asked to do. */
struct run {
	practlink_ctx *ctx;
	const struct opts *o;
	const char *integration;
	bool all, assisted, dry_run;
	const char *key_file; /* --backend-key-file */
	const char *keys_csv; /* --backend-keys */
	const char *metrics;  /* --metrics */
	unsigned jobs;        /* -j */
};

/* Shows the operator's steps and the PMS key, on the terminal only. */
static void show_steps(FILE *tty, const char *id, const practlink_assist *a)
{
	FILE *out = tty ? tty : stderr;

	fprintf(out, "\nLink %s: %zu step%s to do by hand on the platform:\n", id,
		practlink_assist_count(a), practlink_assist_count(a) == 1 ? "" : "s");
	for (size_t i = 0; i < practlink_assist_count(a); i++) {
		fprintf(out, "  %zu. ", i + 1);
		cli_put_text(out, practlink_assist_text(a, i));
		fputc('\n', out);
	}
	if (tty)
		fprintf(tty, "\n  PMS key to paste: %s\n\n", practlink_assist_pms_key(a));
	else
		fprintf(stderr, "\n  (the PMS key is shown only on a terminal)\n\n");
}

/* An assisted link: the module's steps, the key from the operator. A
 * failure of the CLI's own (no key given) is reported here: *rc is set
 * and USAGE returned. */
static practlink_status assisted(struct run *r, const char *id, unsigned flags, int *rc)
{
	practlink_assist *a = NULL;
	char key[KEY_MAX];
	long len = -1;
	practlink_status st;
	FILE *tty = NULL;

	*rc = 0;
	st = practlink_assist_begin(r->ctx, id, r->integration, flags, &a);
	if (st != PRACTLINK_OK || !practlink_assist_needs_key(a)) {
		practlink_assist_free(a);
		return st;
	}
	tty = cli_tty();
	show_steps(tty, id, a);
	if (r->key_file)
		len = cli_read_key_file(r->key_file, key, sizeof key);
	else if (tty)
		len = cli_read_hidden(tty, "Platform key (not shown as you type): ", key,
				      sizeof key);
	if (tty)
		fclose(tty);
	if (len < 0) {
		practlink_assist_free(a);
		explicit_bzero(key, sizeof key);
		/* The link waits, pending, for its key. */
		if (len < -1)
			*rc = (int)-len;
		else if (!r->key_file && !cli_tty()) {
			char msg[200];
			snprintf(msg, sizeof msg, "%s needs the operator's key: no terminal here",
				 id);
			*rc = cli_fail_with(
				PRACTLINK_USAGE, msg,
				"run it on a terminal, or pass --backend-key-file FILE");
		} else {
			char msg[200];
			snprintf(msg, sizeof msg, "no key given for %s; the link waits, pending",
				 id);
			*rc = cli_fail_with(PRACTLINK_BAD_KEY, msg,
					    "run the link again and paste the platform's key");
		}
		return PRACTLINK_USAGE;
	}
	st = practlink_assist_finish(r->ctx, a, key, (size_t)len);
	explicit_bzero(key, sizeof key);
	practlink_assist_free(a);
	return st;
}

/* Parses the options link and verify share. Returns -1 to go on. */
static int parse_run(struct run *r, int argc, char **argv, bool is_link)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "integration", required_argument, NULL, 'i' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "assisted", no_argument, NULL, 'A' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "backend-key-file", required_argument, NULL, 'k' },
		{ "backend-keys", required_argument, NULL, 'K' },
		{ "metrics", required_argument, NULL, 'M' },
		{ 0 },
	};
	int c;

	while ((c = cli_getopt(argc, argv, "i:j:", longopts)) != -1) {
		switch (c) {
		case 'a': r->all = true; break;
		case 'i': r->integration = optarg; break;
		case 'j':
			if (atoi(optarg) < 1 || atoi(optarg) > 256)
				return cli_usage("-j needs a number of jobs, 1 to 256");
			r->jobs = (unsigned)atoi(optarg);
			break;
		case 'M': r->metrics = optarg; break;
		case 'A':
		case 'n':
		case 'k':
		case 'K':
			if (!is_link)
				return cli_usage("%s: unknown option", argv[optind - 1]);
			r->assisted |= c == 'A';
			r->dry_run |= c == 'n';
			if (c == 'k')
				r->key_file = optarg;
			if (c == 'K')
				r->keys_csv = optarg;
			break;
		default: return practlink_exit_code(PRACTLINK_USAGE);
		}
	}
	if (r->keys_csv && optind < argc)
		return cli_usage("--backend-keys names the practitioners itself");
	if (!r->keys_csv && r->all == (optind < argc))
		return cli_usage("name practitioners, or --all");
	if (r->key_file && (r->all || argc - optind != 1))
		return cli_usage("--backend-key-file goes with one practitioner");
	return -1;
}

/* Runs op over what the options named: many practitioners at once. */
static int run_bulk(struct run *r, unsigned op, int argc, char **argv)
{
	practlink_bulk b = { .size = sizeof b,
			     .op = op,
			     .integration = r->integration,
			     .jobs = r->jobs,
			     .flags = r->dry_run ? PRACTLINK_LINK_DRY_RUN : 0 };

	return cli_bulk(r->ctx, r->o, &b, r->all ? NULL : argv + optind,
			r->all ? 0 : (size_t)(argc - optind), r->keys_csv, r->metrics);
}

/* The practitioners a run is about: those named, or every one. */
struct ids {
	char **v;
	size_t n;
};

static practlink_status add_id(void *arg, const char *id)
{
	struct ids *ids = arg;
	char **more = realloc(ids->v, (ids->n + 1) * sizeof *more);

	if (!more || !(more[ids->n] = strdup(id)))
		return PRACTLINK_INTERNAL;
	ids->v = more;
	ids->n++;
	return PRACTLINK_OK;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ids named on the command line, or every practitioner's, sorted. */
static practlink_status collect_ids(struct run *r, int argc, char **argv, struct ids *ids)
{
	practlink_status st = PRACTLINK_OK;

	if (!r->all) {
		for (int i = optind; i < argc && st == PRACTLINK_OK; i++)
			st = add_id(ids, argv[i]);
		return st;
	}
	st = practlink_practitioner_each(r->ctx, add_id, ids);
	if (ids->n)
		qsort(ids->v, ids->n, sizeof *ids->v, by_name);
	return st;
}

static void free_ids(struct ids *ids)
{
	for (size_t i = 0; i < ids->n; i++)
		free(ids->v[i]);
	free(ids->v);
}

/* link --dry-run: per practitioner, what a link would do. */
static int dry_run(struct run *r, int argc, char **argv)
{
	struct ids ids = { NULL, 0 };
	practlink_status st, worst = PRACTLINK_OK;
	cJSON *doc = r->o->json ? cJSON_CreateArray() : NULL;

	if ((st = collect_ids(r, argc, argv, &ids)) != PRACTLINK_OK) {
		cJSON_Delete(doc);
		free_ids(&ids);
		return cli_fail(r->ctx, st);
	}
	if (!doc)
		printf("dry run: nothing is changed\n");
	for (size_t i = 0; i < ids.n; i++) {
		practlink_assist *plan = NULL;
		const char *id = ids.v[i];

		st = practlink_link_plan(r->ctx, id, r->integration, &plan);
		worst = cli_worse(worst, st);
		if (doc) {
			cJSON *p = cJSON_CreateObject(), *steps;
			cJSON_AddStringToObject(p, "id", id);
			cJSON_AddStringToObject(p, "status", practlink_status_name(st));
			if (st != PRACTLINK_OK) {
				cJSON_AddStringToObject(p, "message", practlink_errmsg(r->ctx));
				cJSON_AddStringToObject(p, "hint", practlink_errhint(r->ctx));
			}
			steps = cJSON_AddArrayToObject(p, "steps");
			for (size_t k = 0; k < practlink_assist_count(plan); k++) {
				cJSON *s = cJSON_CreateObject();
				cJSON_AddStringToObject(s, "step", practlink_assist_step(plan, k));
				cJSON_AddBoolToObject(s, "automatic",
						      practlink_assist_automatic(plan, k));
				cJSON_AddStringToObject(s, "text", practlink_assist_text(plan, k));
				cJSON_AddItemToArray(steps, s);
			}
			cJSON_AddItemToArray(doc, p);
		} else if (st != PRACTLINK_OK) {
			printf("%s: would fail (%s): ", id, practlink_status_name(st));
			cli_put_text(stdout, practlink_errmsg(r->ctx));
			printf("\n  hint: ");
			cli_put_text(stdout, practlink_errhint(r->ctx));
			printf("\n");
		} else if (practlink_assist_count(plan) == 0) {
			printf("%s: linked already; nothing to do\n", id);
		} else {
			printf("%s: would link in %zu steps:\n", id, practlink_assist_count(plan));
			for (size_t k = 0; k < practlink_assist_count(plan); k++) {
				printf("  %zu. [%s] ", k + 1,
				       practlink_assist_automatic(plan, k) ? "automatic"
									   : "by hand");
				cli_put_text(stdout, practlink_assist_text(plan, k));
				printf("\n");
			}
		}
		practlink_assist_free(plan);
	}
	if (doc)
		cli_print_json(doc);
	free_ids(&ids);
	return practlink_exit_code(worst);
}

/* The integration a link names (-i), or the one enabled: its details. */
static practlink_status link_integration(struct run *r, practlink_integration_info *info)
{
	size_t n = practlink_integration_count(r->ctx), found = n, enabled = 0;

	for (size_t i = 0; i < n; i++) {
		if (practlink_integration_get(r->ctx, i, info) != PRACTLINK_OK)
			continue;
		if (r->integration ? strcmp(info->name, r->integration) == 0 : info->enabled)
			found = i, enabled++;
	}
	if (found == n || (!r->integration && enabled != 1))
		return PRACTLINK_NOT_FOUND; /* the run itself will say why */
	return practlink_integration_get(r->ctx, found, info);
}

/* link --all on a platform that leaves steps to the operator: on a
 * terminal with --assisted, one practitioner after another; otherwise
 * one message saying how, instead of the same failure for everyone. */
static int link_all_by_hand(struct run *r, const char *integration, int argc, char **argv)
{
	struct ids ids = { NULL, 0 };
	practlink_status st, worst = PRACTLINK_OK;
	FILE *tty = cli_tty();
	char msg[512];
	int rc = 0;

	if (!r->assisted || !tty) {
		if (tty)
			fclose(tty);
		snprintf(msg, sizeof msg,
			 "%s has no API for every step of a link, so a whole clinic cannot be "
			 "linked unattended",
			 integration);
		return cli_fail_with(
			PRACTLINK_USAGE, msg,
			"collect the platform's keys in a CSV file with the columns "
			"id,backend_key and run 'practlink link --all --backend-keys FILE.csv'; "
			"or, on a terminal, 'practlink link --all --assisted' walks through the "
			"practitioners one by one");
	}
	fclose(tty);
	if ((st = collect_ids(r, argc, argv, &ids)) != PRACTLINK_OK) {
		free_ids(&ids);
		return cli_fail(r->ctx, st);
	}
	for (size_t i = 0; i < ids.n && rc == 0; i++) {
		st = assisted(r, ids.v[i], PRACTLINK_ASSIST_MANUAL, &rc);
		if (rc)
			break; /* no key given: the operator stopped */
		if (st != PRACTLINK_OK)
			cli_fail(r->ctx, st);
		else
			cli_say("%s: linked\n", ids.v[i]);
		worst = cli_worse(worst, st);
	}
	free_ids(&ids);
	return rc ? rc : practlink_exit_code(worst);
}

int cmd_link(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	struct run r = { .ctx = ctx, .o = o };
	practlink_integration_info info = { .size = sizeof info };
	practlink_status st;
	int rc;

	if ((rc = parse_run(&r, argc, argv, true)) >= 0)
		return rc;
	if (r.keys_csv)
		return run_bulk(&r, PRACTLINK_BULK_LINK_KEYS, argc, argv);
	if (r.dry_run)
		return dry_run(&r, argc, argv);
	if ((r.all || argc - optind > 1) && link_integration(&r, &info) == PRACTLINK_OK &&
	    info.load_status == PRACTLINK_OK && (!info.automatic || r.assisted))
		return link_all_by_hand(&r, info.name, argc, argv);
	if (r.all || argc - optind > 1)
		return run_bulk(&r, PRACTLINK_BULK_LINK, argc, argv);
	/* One practitioner: the operator may be asked to do steps by hand. */
	st = assisted(&r, argv[optind], r.assisted ? PRACTLINK_ASSIST_MANUAL : 0, &rc);
	if (rc)
		return rc;
	if (st != PRACTLINK_OK)
		return cli_fail(ctx, st);
	if (o->json) {
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "id", argv[optind]);
		cJSON_AddStringToObject(doc, "state", "linked");
		cli_print_json(doc);
	}
	cli_say("%s: linked\n", argv[optind]);
	return 0;
}

int cmd_verify(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	struct run r = { .ctx = ctx, .o = o };
	int rc;

	if ((rc = parse_run(&r, argc, argv, false)) >= 0)
		return rc;
	return run_bulk(&r, PRACTLINK_BULK_VERIFY, argc, argv);
}

/* The ID and -i of unlink and rotate. Returns -1 to go on. */
static int one_id(int argc, char **argv, const char **integration)
{
	static const struct option longopts[] = {
		{ "integration", required_argument, NULL, 'i' },
		{ 0 },
	};
	int c;

	while ((c = cli_getopt(argc, argv, "i:", longopts)) != -1) {
		if (c != 'i')
			return practlink_exit_code(PRACTLINK_USAGE);
		*integration = optarg;
	}
	if (argc - optind != 1)
		return cli_usage("name one practitioner");
	return -1;
}

/* One practitioner's outcome, for --json. */
static void print_outcome(const char *id, const char *state, const char *note)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "id", id);
	cJSON_AddStringToObject(doc, "state", state);
	if (note)
		cJSON_AddStringToObject(doc, "note", note);
	cli_print_json(doc);
}

int cmd_unlink(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	const char *integration = NULL;
	practlink_assist *manual = NULL;
	practlink_status st;
	int rc;

	if ((rc = one_id(argc, argv, &integration)) >= 0)
		return rc;
	st = practlink_unlink(ctx, argv[optind], integration, &manual);
	if (st == PRACTLINK_NOT_LINKED) {
		/* Already as asked: scripts may repeat an unlink. */
		if (o->json)
			print_outcome(argv[optind], "unlinked", "not linked");
		cli_say("%s: not linked\n", argv[optind]);
		return 0;
	}
	if (st != PRACTLINK_OK)
		return cli_fail(ctx, st);
	if (practlink_assist_count(manual)) {
		/* The platform still holds the link until someone does this. */
		FILE *f = o->json ? stderr : stdout;
		fprintf(f, "The platform has no API to revoke the link; do it by hand:\n");
		for (size_t i = 0; i < practlink_assist_count(manual); i++) {
			fprintf(f, "  %zu. ", i + 1);
			cli_put_text(f, practlink_assist_text(manual, i));
			fputc('\n', f);
		}
	}
	if (o->json)
		print_outcome(argv[optind], "unlinked",
			      practlink_assist_count(manual) ? "revoke it by hand on the platform"
							     : NULL);
	cli_say("%s: unlinked\n", argv[optind]);
	practlink_assist_free(manual);
	return 0;
}

int cmd_rotate(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	struct run r = { .ctx = ctx, .o = o };
	practlink_status st;
	int rc;

	if ((rc = one_id(argc, argv, &r.integration)) >= 0)
		return rc;
	st = assisted(&r, argv[optind], PRACTLINK_ASSIST_ROTATE, &rc);
	if (rc)
		return rc;
	if (st != PRACTLINK_OK)
		return cli_fail(ctx, st);
	if (o->json)
		print_outcome(argv[optind], "linked", "new PMS key exchanged and verified");
	cli_say("%s: new PMS key exchanged and verified\n", argv[optind]);
	return 0;
}

/* --- status ---------------------------------------------------------------- */

/* One link as DESIGN's status object. */
static cJSON *status_object(const practlink_link_info *in)
{
	cJSON *e, *x = cJSON_CreateObject();
	char t[32];

	cJSON_AddStringToObject(x, "id", in->id);
	cJSON_AddStringToObject(x, "integration", in->integration);
	cJSON_AddStringToObject(x, "state", in->state);
	if (in->user_id)
		cJSON_AddStringToObject(x, "user_id", in->user_id);
	else
		cJSON_AddNullToObject(x, "user_id");
	if (in->linked_at)
		cJSON_AddStringToObject(x, "linked_at", cli_time(in->linked_at, t));
	else
		cJSON_AddNullToObject(x, "linked_at");
	if (in->verified_at)
		cJSON_AddStringToObject(x, "verified_at", cli_time(in->verified_at, t));
	else
		cJSON_AddNullToObject(x, "verified_at");
	if (in->key_hint)
		cJSON_AddStringToObject(x, "key_hint", in->key_hint);
	else
		cJSON_AddNullToObject(x, "key_hint");
	if (in->error == PRACTLINK_OK) {
		cJSON_AddNullToObject(x, "error");
	} else {
		e = cJSON_AddObjectToObject(x, "error");
		cJSON_AddStringToObject(e, "status", practlink_status_name(in->error));
		cJSON_AddStringToObject(e, "message", in->error_message ? in->error_message : "");
		cJSON_AddStringToObject(
			e, "hint", in->error_hint ? in->error_hint : practlink_hint(in->error));
	}
	if (in->unlink_pending)
		cJSON_AddStringToObject(x, "note", "unlink pending: run practlink unlink again");
	else if (in->rotation_pending)
		cJSON_AddStringToObject(x, "note", "rotation pending; old keys in use");
	return x;
}

static const char *str(const cJSON *o, const char *name)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, name));
	return s ? s : "-";
}

/* Column widths of the status table, from what it will show. */
struct widths {
	size_t id, integration, user;
};

static size_t wider(size_t w, const char *text)
{
	size_t n = cli_width(text);
	return n > w ? n : w;
}

static void print_row(const cJSON *x, const struct widths *w)
{
	const cJSON *e = cJSON_GetObjectItem(x, "error");

	cli_put_cell(str(x, "id"), w->id + 1);
	cli_put_cell(str(x, "integration"), w->integration + 1);
	printf("%-9s ", str(x, "state"));
	cli_put_cell(str(x, "user_id"), w->user + 1);
	printf("%-20s %-20s %-4s %s\n", str(x, "linked_at"), str(x, "verified_at"),
	       str(x, "key_hint"), cJSON_IsObject(e) ? str(e, "status") : "");
	if (cJSON_GetObjectItem(x, "note"))
		printf("%*s %s\n", (int)w->id, "", str(x, "note"));
	if (cJSON_IsObject(e)) {
		printf("%*s ", (int)w->id, "");
		cli_put_text(stdout, str(e, "message"));
		if (*str(e, "hint") && strcmp(str(e, "hint"), "-") != 0) {
			printf("\n%*s hint: ", (int)w->id, "");
			cli_put_text(stdout, str(e, "hint"));
		}
		printf("\n");
	}
}

/* The status table is printed in two passes over the store, the first
 * for the widths of its columns: no row is held. */
struct table {
	struct widths w;
	struct cli_stream json;
	bool json_out, widths_only;
	const char *state; /* --state: only links in it */
	size_t rows;
};

static practlink_status table_row(void *arg, const practlink_link_info *in)
{
	struct table *t = arg;
	cJSON *x;

	if (t->state && strcmp(in->state, t->state) != 0)
		return PRACTLINK_OK;
	t->rows++;
	if (t->widths_only) {
		t->w.id = wider(t->w.id, in->id);
		t->w.integration = wider(t->w.integration, in->integration);
		t->w.user = wider(t->w.user, in->user_id ? in->user_id : "-");
		return PRACTLINK_OK;
	}
	x = status_object(in);
	if (!x)
		return PRACTLINK_INTERNAL;
	if (t->json_out) {
		cli_stream_item(&t->json, x);
	} else {
		print_row(x, &t->w);
		cJSON_Delete(x);
	}
	return PRACTLINK_OK;
}

int cmd_status(practlink_ctx *ctx, const struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "integration", required_argument, NULL, 'i' },
		{ "state", required_argument, NULL, 's' },
		{ 0 },
	};
	static const char *const states[] = { "unlinked", "pending", "linked", "failed" };
	const char *integration = NULL, *id;
	struct table t = { .w = { 2, 11, 4 }, .json_out = o->json };
	practlink_status st;
	int c;

	while ((c = cli_getopt(argc, argv, "i:", longopts)) != -1) {
		if (c == 'i') {
			integration = optarg;
			continue;
		}
		if (c != 's')
			return practlink_exit_code(PRACTLINK_USAGE);
		t.state = NULL;
		for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
			if (strcmp(optarg, states[i]) == 0)
				t.state = states[i];
		if (!t.state)
			return cli_usage("--state takes unlinked, pending, linked or failed, "
					 "not '%s'",
					 optarg);
	}
	if (argc - optind > 1)
		return cli_usage("status takes at most one ID");
	id = optind < argc ? argv[optind] : NULL;
	if (!o->json) {
		t.widths_only = true;
		st = practlink_status_each(ctx, id, integration, table_row, &t);
		if (st != PRACTLINK_OK && t.rows == 0)
			return cli_fail(ctx, st); /* nothing to show: only why */
		t.widths_only = false;
		t.rows = 0;
		cli_put_cell("ID", t.w.id + 1);
		cli_put_cell("INTEGRATION", t.w.integration + 1);
		printf("%-9s ", "STATE");
		cli_put_cell("USER", t.w.user + 1);
		printf("%-20s %-20s %-4s %s\n", "LINKED", "VERIFIED", "KEY", "ERROR");
	}
	/* In id order, from the library: rows come and go, none is kept. */
	st = practlink_status_each(ctx, id, integration, table_row, &t);
	if (st != PRACTLINK_OK && t.rows == 0 && o->json)
		return cli_fail(ctx, st);
	if (o->json)
		cli_stream_end(&t.json);
	return st == PRACTLINK_OK ? 0 : cli_fail(ctx, st);
}
